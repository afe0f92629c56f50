package ping_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/ping"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// server is the ping API over a real store, served as Prikke serves it
// (httpserver's middleware, /ping/ open to other origins), with the
// service for ?create=1 and a clock tests move.
type server struct {
	t     *testing.T
	st    store.Store
	svc   *service.Service
	rec   *ping.Recorder
	srv   *httptest.Server
	clock *clock
	tn    *storetest.Tenant
	key   string // the tenant's project ping key
}

// clock is a fixed instant that tests move.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func logger() *slog.Logger {
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newServer serves the ping API over st for a fresh tenant of tier.
func newServer(t *testing.T, st store.Store, tier prikke.Tier, cfg ping.Config) *server {
	t.Helper()
	s := &server{t: t, st: st, clock: &clock{now: storetest.T0}}
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	s.svc = service.New(st, auth.NewHasher(), mail.NewMailbox(), client, service.Config{BaseURL: "http://prikke.test"}, logger())
	s.svc.NowFunc = s.clock.Now
	s.rec = ping.NewRecorder(st, monitor.OnPing, ping.RecorderConfig{}, logger())
	s.rec.Start(context.Background())
	t.Cleanup(s.rec.Stop)
	h := httpserver.New(httpserver.Deps{Store: st, Logger: logger(), CrossOriginOpen: []string{"/ping/"},
		Mount: func(mux *http.ServeMux) {
			ping.New(ping.Deps{Store: st, Recorder: s.rec, Create: s.svc.CreateMonitorByPingKey,
				ClientIP: httpserver.ClientIP(nil), Now: s.clock.Now, Logger: logger(), Config: cfg}).Mount(mux)
		}})
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	s.tn = storetest.NewTenant(t, st, tier)
	p, err := st.ProjectGet(context.Background(), s.tn.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.PingKey == "" {
		t.Fatal("a new project has no ping key")
	}
	s.key = p.PingKey
	return s
}

// monitor creates a monitor with the slug through the service; edit
// changes its input.
func (s *server) monitor(slug string, edit func(in *service.MonitorInput)) *prikke.Monitor {
	s.t.Helper()
	in := &service.MonitorInput{ProjectID: &s.tn.Project.ID, Slug: &slug}
	if edit != nil {
		edit(in)
	}
	m, err := s.svc.CreateMonitor(context.Background(), &service.Actor{User: s.tn.User}, in)
	if err != nil {
		s.t.Fatalf("create monitor %s: %v", slug, err)
	}
	return m
}

// answer is a ping's response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// do sends method to path (under the server) with body and headers.
func (s *server) do(method, path, body string, header ...string) answer {
	s.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// expect fails unless a has status and body, plain text, open to every
// origin.
func (s *server) expect(what string, a answer, status int, body string) {
	s.t.Helper()
	if a.status != status || !strings.Contains(a.body, body) {
		s.t.Errorf("%s: %d %q; want %d %q", what, a.status, a.body, status, body)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		s.t.Errorf("%s: Content-Type %q", what, ct)
	}
	if o := a.header.Get("Access-Control-Allow-Origin"); o != "*" {
		s.t.Errorf("%s: Access-Control-Allow-Origin %q; want *", what, o)
	}
}

// pings returns the monitor's pings, oldest first.
func (s *server) pings(id prikke.ID) []*prikke.Ping {
	s.t.Helper()
	ps, err := s.st.PingList(context.Background(), store.PingFilter{MonitorID: id, Limit: 10_000})
	if err != nil {
		s.t.Fatal(err)
	}
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

// get reads a monitor back.
func (s *server) get(id prikke.ID) *prikke.Monitor {
	s.t.Helper()
	m, err := s.st.MonitorGet(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }
