package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// server is the API over a real store, with the development mailbox. It
// listens twice: srv takes the client IP from RemoteAddr (the default), and
// proxied trusts X-Forwarded-For from 127.0.0.0/8, as behind a reverse
// proxy, so tests can vary the client IP.
type server struct {
	t       *testing.T
	store   store.Store
	dialect string
	dbPath  string // the SQLite file ("" for PostgreSQL)
	svc     *service.Service
	hasher  *auth.Hasher
	api     *api.API
	mailbox *mail.Mailbox
	srv     *httptest.Server
	proxied *httptest.Server
	logs    *logBuffer
	logger  *slog.Logger
	clock   *clock

	specOnce sync.Once
	spec     map[string]map[string]*specOperation // for checkDeclared
}

// logBuffer is the server log, safe to read while handlers write.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clock is the service's clock: the wall clock moved by an offset, or a
// fixed instant. Safe for concurrent use.
type clock struct {
	mu     sync.Mutex
	fixed  time.Time
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		return c.fixed
	}
	return time.Now().Add(c.offset)
}

// advance moves the clock forward by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		c.fixed = c.fixed.Add(d)
		return
	}
	c.offset += d
}

// set pins the clock at t.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed = t
}

// reset returns to the wall clock.
func (c *clock) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.offset = time.Time{}, 0
}

// newServer starts the API over s; opts, if given, configure the delivery
// client (the SSRF allow list of a development setup).
func newServer(t *testing.T, s store.Store, opts ...delivery.Options) *server {
	t.Helper()
	return newServerConfig(t, s, service.Config{}, opts...)
}

// newServerConfig is newServer with the service configured as cfg (its
// BaseURL and SignupOpen are the tests' own).
func newServerConfig(t *testing.T, s store.Store, cfg service.Config, opts ...delivery.Options) *server {
	t.Helper()
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(io.MultiWriter(os.Stderr, logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	mb := mail.NewMailbox()
	var o delivery.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	client := delivery.New(o)
	t.Cleanup(client.Close)
	srv := &server{t: t, store: s, mailbox: mb, logs: logs, logger: logger, clock: &clock{}, hasher: auth.NewHasher()}
	cfg.BaseURL, cfg.SignupOpen = "http://prikke.test", true
	srv.svc = service.New(s, srv.hasher, mb, client, cfg, logger)
	srv.svc.NowFunc = srv.clock.Now
	srv.srv = httptest.NewServer(srv.handler(auth.SessionCookie{}, nil))
	t.Cleanup(srv.srv.Close)
	srv.proxied = httptest.NewServer(srv.handler(auth.SessionCookie{}, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	t.Cleanup(srv.proxied.Close)
	return srv
}

// handler returns another front end on the same service: a different
// cookie configuration or trusted proxies.
func (s *server) handler(cookie auth.SessionCookie, trusted []netip.Prefix) http.Handler {
	return httpserver.New(httpserver.Deps{Store: s.store, Logger: s.logger, Mount: func(mux *http.ServeMux) {
		a := api.New(mux, api.Deps{Service: s.svc, Logger: s.logger, Cookie: cookie, ClientIP: httpserver.ClientIP(trusted)})
		if s.api == nil {
			s.api = a
		}
	}})
}

// client makes requests as one caller: an API key, or a cookie session.
// A client with an ip goes through the proxied listener and claims that
// address in X-Forwarded-For.
type client struct {
	s   *server
	key string
	ip  string
	hc  *http.Client
}

func (s *server) anon() *client { return &client{s: s, hc: &http.Client{}} }

func (s *server) withKey(key string) *client { return &client{s: s, key: key, hc: &http.Client{}} }

func (s *server) withSession() *client {
	jar, _ := cookiejar.New(nil)
	return &client{s: s, hc: &http.Client{Jar: jar}}
}

var ipSeq atomic.Int32

// from returns a copy of c that claims a fresh client IP through the
// proxied listener (its own rate-limit bucket).
func (c *client) from() *client {
	n := ipSeq.Add(1)
	cc := *c
	cc.ip = fmt.Sprintf("198.51.%d.%d", 100+n/250, 1+n%250)
	return &cc
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
// (JSON-encoded). Headers are name, value pairs; a Content-Type given
// there replaces application/json, an empty one removes it.
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
	base := c.s.srv.URL
	if c.ip != "" {
		base = c.s.proxied.URL
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		c.s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.s.checkDeclared(method, req.URL.Path, resp.StatusCode)
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

var tenantSeq atomic.Int64

func (s *server) newTenant(tier prikke.Tier) *tenant {
	s.t.Helper()
	ctx := context.Background()
	email := fmt.Sprintf("tenant%d.%d@example.com", time.Now().UnixNano(), tenantSeq.Add(1))
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

// login signs the tenant in on a new cookie client, from a fresh client IP
// so that tests do not share the per-IP login limit.
// storeOldJob writes an hourly cron job for tn straight to the store, as
// one saved before today's rules (or under a development allow list) would
// be, with change applied first; the API's checks are not run.
func (s *server) storeOldJob(t *testing.T, tn *tenant, change func(j *prikke.Job)) *prikke.Job {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: tn.project.ID, OrganizationID: tn.org.ID, Kind: prikke.JobKindCron,
		Name: "old", URL: "https://example.com/old", Method: "GET", Headers: []prikke.Header{}, Enabled: true,
		TimeoutMS: prikke.DefaultTimeoutMS, RetryAttempts: prikke.DefaultRetryAttempts, CronExpression: "0 * * * *",
		TimeZone: "UTC", CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow, Overlap: prikke.OverlapAllow,
		NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, IntervalMinutes: 60, CreatedAt: now, UpdatedAt: now}
	change(j)
	if err := s.store.JobCreateMany(context.Background(), []*prikke.Job{j}); err != nil {
		t.Fatal(err)
	}
	return j
}

// apiStep is one request of a scripted sequence and the status it must get.
type apiStep struct {
	method, path string
	body         any
	status       int
}

// run sends each step in order and reports, under label, every status
// that differs from the step's.
func (c *client) run(t *testing.T, label string, steps []apiStep) {
	t.Helper()
	for _, step := range steps {
		if r := c.do(step.method, step.path, step.body); r.Status != step.status {
			t.Errorf("%s: %s %s = %d %s; want %d", label, step.method, step.path, r.Status, r.Body, step.status)
		}
	}
}

func (s *server) login(tn *tenant) *client {
	s.t.Helper()
	c := s.withSession().from()
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

// dialects runs fn on a fresh server over each store, in parallel.
func dialects(t *testing.T, fn func(t *testing.T, s *server)) {
	t.Helper()
	dialectsConfig(t, nil, fn)
}

// dialectsConfig is dialects with the service configured by cfg (called
// once per server; nil: the default configuration).
func dialectsConfig(t *testing.T, cfg func(t *testing.T) service.Config, fn func(t *testing.T, s *server)) {
	t.Helper()
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			var st store.Store
			path := ""
			if d == "sqlite" {
				path = filepath.Join(t.TempDir(), "prikke.db")
				st = storetest.OpenSQLiteAt(t, path)
			} else {
				st = storetest.OpenPostgres(t)
			}
			var c service.Config
			if cfg != nil {
				c = cfg(t)
			}
			s := newServerConfig(t, st, c)
			s.dialect, s.dbPath = d, path
			fn(t, s)
		})
	}
}

// sqlRows runs a query straight on the database (around the store, to
// check what is really stored) and returns each row's columns as text.
func (s *server) sqlRows(query string, args ...any) [][]string {
	s.t.Helper()
	ctx := context.Background()
	var out [][]string
	switch st := s.store.(type) {
	case *sqlitestore.Store:
		rows, err := st.DB().QueryContext(ctx, query, args...)
		if err != nil {
			s.t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				s.t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					row[i] = string(b)
				} else if v != nil {
					row[i] = fmt.Sprint(v)
				}
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			s.t.Fatal(err)
		}
	case *pgstore.Store:
		rows, err := st.Pool().Query(ctx, query, args...)
		if err != nil {
			s.t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				s.t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					row[i] = string(b)
				} else if v != nil {
					row[i] = fmt.Sprint(v)
				}
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			s.t.Fatal(err)
		}
	default:
		s.t.Fatalf("unknown store %T", s.store)
	}
	return out
}

// countRows counts a table's rows.
func (s *server) countRows(table string) int {
	s.t.Helper()
	rows := s.sqlRows("SELECT count(*) FROM " + table)
	var n int
	fmt.Sscan(rows[0][0], &n)
	return n
}
