package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// server is the API over a real store, with the development mailbox.
type server struct {
	t       *testing.T
	store   store.Store
	svc     *service.Service
	api     *api.API
	mailbox *mail.Mailbox
	srv     *httptest.Server
	logs    *bytes.Buffer
}

func newServer(t *testing.T, s store.Store) *server {
	t.Helper()
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	mb := mail.NewMailbox()
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	srv := &server{t: t, store: s, mailbox: mb, logs: logs}
	srv.svc = service.New(s, auth.NewHasher(), mb, client, service.Config{BaseURL: "http://prikke.test", SignupOpen: true}, logger)
	h := httpserver.New(httpserver.Deps{Store: s, Logger: logger, Mount: func(mux *http.ServeMux) {
		srv.api = api.New(mux, api.Deps{Service: srv.svc, Logger: logger, Cookie: auth.SessionCookie{},
			ClientIP: httpserver.ClientIP(nil)})
	}})
	srv.srv = httptest.NewServer(h)
	t.Cleanup(srv.srv.Close)
	return srv
}

// client makes requests as one caller: an API key, or a cookie session.
type client struct {
	s   *server
	key string
	hc  *http.Client
}

func (s *server) anon() *client { return &client{s: s, hc: &http.Client{}} }

func (s *server) withKey(key string) *client { return &client{s: s, key: key, hc: &http.Client{}} }

func (s *server) withSession() *client {
	jar, _ := cookiejar.New(nil)
	return &client{s: s, hc: &http.Client{Jar: jar}}
}

// response is a decoded response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// problem is huma's RFC 9457 error shape.
type problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
	} `json:"errors"`
}

func (r *response) problem(t *testing.T) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("error content type %q, body %s", ct, r.Body)
	}
	var p problem
	r.json(t, &p)
	return p
}

// do sends a request; body may be a string (sent as is) or a value
// (JSON-encoded).
func (c *client) do(method, path string, body any, headers ...string) *response {
	c.s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.srv.URL+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// tenant is a confirmed user with a personal organization and an API key.
type tenant struct {
	user    *prikke.User
	org     *prikke.Organization
	project *prikke.Project
	key     string
	keyRow  *prikke.APIKey
	pw      string
}

var tenantSeq int

func (s *server) newTenant(tier prikke.Tier) *tenant {
	s.t.Helper()
	ctx := context.Background()
	tenantSeq++
	email := "tenant" + time.Now().Format("150405.000000") + strings.Repeat("x", tenantSeq%7) + "@example.com"
	pw := "a long and unusual passphrase"
	u, err := s.svc.CreateConfirmedUser(ctx, email, pw, tier)
	if err != nil {
		s.t.Fatal(err)
	}
	o, err := s.store.OrganizationGetPersonal(ctx, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	ps, _ := s.store.ProjectListByOrganization(ctx, o.ID)
	full, k, err := s.svc.CreateAPIKeyForUser(ctx, email, "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return &tenant{user: u, org: o, project: ps[0], key: full, keyRow: k, pw: pw}
}

// login signs the tenant in on a cookie client.
func (s *server) login(tn *tenant) *client {
	s.t.Helper()
	c := s.withSession()
	r := c.do("POST", "/api/v1/account/login", map[string]string{"email": tn.user.Email, "password": tn.pw})
	if r.Status != 200 {
		s.t.Fatalf("login = %d %s", r.Status, r.Body)
	}
	return c
}

// lastMail returns the newest dev mailbox message to addr.
func (s *server) lastMail(addr string) mail.Stored {
	s.t.Helper()
	for _, m := range s.mailbox.List() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				return m
			}
		}
	}
	s.t.Fatalf("no mail to %s", addr)
	return mail.Stored{}
}

// tokenFrom extracts ?token=… from a mail's text.
func tokenFrom(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "token=")
	if i < 0 {
		t.Fatalf("no token in %q", text)
	}
	rest := text[i+len("token="):]
	end := strings.IndexFunc(rest, func(r rune) bool { return r == ' ' || r == '\n' || r == '\r' || r == '>' || r == ')' })
	if end < 0 {
		end = len(rest)
	}
	return rest[:end]
}

// dialects runs fn on a fresh server over each store.
func dialects(t *testing.T, fn func(t *testing.T, s *server)) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) { fn(t, newServer(t, st)) })
}
