package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
)

// testNow is a fixed clock: Tuesday 24 November 2026, 10:00 UTC.
var testNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type testEnv struct {
	web     *Web
	handler http.Handler
	mailbox *mail.Mailbox
	logs    *bytes.Buffer
}

func newTestEnv(t *testing.T, mod func(*Deps)) *testEnv {
	t.Helper()
	spec, err := os.ReadFile("docs/testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	box := mail.NewMailbox()
	d := Deps{
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		BaseURL: "https://prikke.example",
		Mailbox: box,
		OpenAPI: func() ([]byte, error) { return spec, nil },
		Now:     func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&d)
	}
	w, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{web: w, handler: w.Handler(), mailbox: box, logs: logs}
}

// get serves one request from a loopback client.
func (e *testEnv) get(t *testing.T, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "127.0.0.1:50000"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

func TestNewRequiresLogger(t *testing.T) {
	if _, err := New(Deps{}); err == nil {
		t.Fatal("New without a logger succeeded")
	}
}

func TestPages(t *testing.T) {
	e := newTestEnv(t, nil)
	pro := prikke.TierPro.Limits()
	tests := []struct {
		path  string
		title string
		want  []string
	}{
		{"/", "EU-hosted cron jobs", []string{"Jobs done, <span", "til punkt og prikke", `id="cron-expr"`, "At 09:30, Monday through Friday", `href="/signup"`, `href="/docs/getting-started"`, page.Number(pro.MonthlyRequests) + " requests / month"}},
		{"/pricing", "Plans — prikke", []string{"Unlimited jobs and monitors", "5 jobs and monitors together", "What counts as a request?"}}, // prices: TestBillingOnShowsPrices
		{"/use-cases", "Use cases — prikke", []string{"EU SaaS startups", "Agencies with many client projects", "Health, finance and legal", "Developers who want simple cron"}},
		{"/docs", "Documentation — prikke", []string{"Getting started", "API reference", "Cron syntax", "Webhooks", `href="/docs/own-machine"`}},
		{"/docs/getting-started", "Getting started — prikke docs", []string{"make run", "./bin/prikke --help", "go install ./cmd/prikke", "/dev/mailbox", "prikke apikey create --email you@example.com", "/api/v1/jobs/$JOB_ID/trigger", "/api/v1/queue", "export PRIKKE_URL=https://prikke.example"}},
		{"/docs/cron", "Cron syntax — prikke docs", []string{"A daily job runs exactly once every day; hourly and every-N-minutes jobs run on real time.", "@annually", "0 0 30 2 *", "Europe/Oslo", "2026-03-29 01:00Z", `id="tester"`, "every_5_minutes", "every_12_hours"}},
		{"/docs/webhooks", "Webhooks — prikke docs", []string{"webhook-signature", "Prikke-Scheduled-For", "hmac.Equal", "timingSafeEqual", "hmac.compare_digest", "410 Gone", "64 KiB"}},
		{"/docs/own-machine", "Testing against your own machine — prikke docs", []string{"PRIKKE_SSRF_ALLOW=loopback make run", "destination not allowed: localhost (loopback)", "172.17.0.0/16", "&#34;url&#34;: &#34;http://localhost:8099/&#34;", "is refused when PRIKKE_ENV=production", `href="/docs/webhooks"`}},
		{"/docs/notifications", "Notifications — prikke docs", []string{"job.failing", "webhook-signature", "hooks.slack.com", "allowed_mentions", "https://prikke.example/app/executions/"}},
		{"/docs/teams", "Organizations and roles — prikke docs", []string{"roles-table", ">viewer<", "Reveal and rotate a project&#39;s signing secret", "audit-log"}},
		{"/docs/status-pages", "Status pages — prikke docs", []string{"/status.json", "prikke incident open", "operational"}},
		// The reference is split per resource: the index lists every
		// operation, each resource's page has its curl examples.
		{"/docs/api", "API reference — prikke docs", []string{"Create a job", "Enqueue a request", `href="/docs/api/jobs#op-create-job"`, `href="/docs/api/queue"`}},
		{"/docs/api/jobs", "Jobs — API reference — prikke docs", []string{"Create a job", `curl -X POST &#34;$PRIKKE_URL/api/v1/jobs&#34;`, "$JOB_ID", "Example response"}},
		{"/docs/api/queue", "Queue — API reference — prikke docs", []string{"Enqueue a request", "Idempotency-Key"}},
		{"/dev/mailbox", "Dev mailbox — prikke", []string{"No mail yet"}},
		{"/dev/ui", "UI kit — prikke", []string{"Quota exceeded", `aria-describedby="field-url-error"`, "scheme must be http or https", "&lt;script&gt;alert(1)&lt;/script&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := e.get(t, tt.path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			body := w.Body.String()
			title := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(body)
			if title == nil || !strings.Contains(title[1], tt.title) {
				t.Errorf("title %q, want it to contain %q", title, tt.title)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			for _, s := range []string{`class="skip-link"`, `id="main"`, `<html lang="en"`, `name="htmx-config"`, `"allowEval":false`} {
				if !strings.Contains(body, s) {
					t.Errorf("the layout lacks %q", s)
				}
			}
			if strings.Contains(body, "<script>alert") {
				t.Error("unescaped script in the page")
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, path := range []string{"/no-such-page", "/docs/nope", "/static/nope.js", "/docs/cron/extra", "/%3Cscript%3Ealert(1)%3C/script%3E"} {
		w := e.get(t, path)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, w.Code)
			continue
		}
		body := w.Body.String()
		if !strings.Contains(body, "This page does not exist") || !strings.Contains(body, `class="logo`) {
			t.Errorf("%s: not the branded 404 page", path)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: the path is echoed unescaped", path)
		}
	}
	// A POST to an unknown path is a 404 too, not the landing page.
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d", w.Code)
	}
	if w := e.get(t, "/docs/"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/docs" {
		t.Errorf("/docs/: status %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}

func TestServerError(t *testing.T) {
	e := newTestEnv(t, nil)
	r := httptest.NewRequest(http.MethodGet, "/jobs", nil)
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "req-1234abcd")
	e.web.ServerError(w, r, errors.New("pgstore: claim: connection refused to 10.0.0.5"))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, "Something went wrong on our side") || !strings.Contains(body, "req-1234abcd") {
		t.Errorf("not the branded 500 page with the request id:\n%s", body)
	}
	if strings.Contains(body, "connection refused") || strings.Contains(body, "pgstore") {
		t.Error("the 500 page leaks the error")
	}
	if !strings.Contains(e.logs.String(), "connection refused") || !strings.Contains(e.logs.String(), "req-1234abcd") {
		t.Errorf("the error was not logged with its request id: %s", e.logs)
	}

	// A page whose template fails renders the 500 page, not half a page.
	w = httptest.NewRecorder()
	e.web.render(w, r, http.StatusOK, "no-such-page", nil)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "Something went wrong") {
		t.Errorf("render of a missing page: %d", w.Code)
	}
}

func TestExplain(t *testing.T) {
	e := newTestEnv(t, nil)
	tests := []struct {
		name, query string
		want        []string
		not         []string
	}{
		{"valid", "expr=30+9+*+*+1-5&tz=Europe/Oslo", []string{`data-state="valid"`, "At 09:30, Monday through Friday", "Wed 25 Nov 2026", "09:30 CET", "08:30 UTC", `datetime="2026-11-25T08:30:00Z"`}, []string{"data-state=\"invalid\""}},
		{"default zone is UTC", "expr=@hourly", []string{"At minute 0", "11:00 UTC"}, nil},
		{"five fires", "expr=*/5+*+*+*+*&tz=UTC", []string{"10:05", "10:10", "10:15", "10:20", "10:25"}, []string{"10:30"}},
		{"invalid", "expr=61+*+*+*+*", []string{`data-state="invalid"`, "61"}, nil},
		{"seconds", "expr=0+0+9+*+*+*", []string{`data-state="invalid"`, "seconds are not supported"}, nil},
		{"empty", "expr=", []string{`data-state="invalid"`, "Type a cron expression"}, nil},
		{"bad zone", "expr=0+9+*+*+*&tz=Mars/Olympus", []string{`data-state="invalid"`, "Unknown time zone"}, nil},
		{"hostile expression", "expr=" + url.QueryEscape("<script>alert(1)</script>"), []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>"}},
		{"hostile zone", "expr=0+9+*+*+*&tz=" + url.QueryEscape(`"><img src=x onerror=alert(1)>`), []string{"&lt;img src=x onerror=alert(1)&gt;"}, []string{"<img"}},
		{"huge input", "expr=" + strings.Repeat("1", 5000), []string{`data-state="invalid"`}, []string{strings.Repeat("1", 300)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.get(t, "/explain?"+tt.query, "HX-Request", "true")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", w.Code)
			}
			body := w.Body.String()
			if strings.Contains(body, "<html") {
				t.Error("the answer is a full page, not a fragment")
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("lacks %q in\n%s", s, body)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(body, s) {
					t.Errorf("contains %q", s)
				}
			}
		})
	}

	// Without JavaScript the tester submits to the page, which answers.
	w := e.get(t, "/?expr="+url.QueryEscape("0 12 * * SAT")+"&tz=Europe/Berlin")
	if !strings.Contains(w.Body.String(), "At 12:00, only on Saturday") && !strings.Contains(w.Body.String(), "Saturday") {
		t.Errorf("the landing page ignored ?expr=")
	}
}

func TestPricingFromLimits(t *testing.T) {
	tiers := newTestEnv(t, nil).web.pricingTiers()
	if len(tiers) != 2 {
		t.Fatalf("%d tiers", len(tiers))
	}
	free, pro := prikke.TierFree.Limits(), prikke.TierPro.Limits()
	if got, want := tiers[0].Requests, page.Number(free.MonthlyRequests)+" requests / month"; got != want {
		t.Errorf("free requests %q, want %q", got, want)
	}
	if got, want := tiers[1].Requests, page.Number(pro.MonthlyRequests)+" requests / month"; got != want {
		t.Errorf("pro requests %q, want %q", got, want)
	}
	for _, c := range []struct{ got, want string }{
		{tiers[0].Jobs, "5 jobs and monitors together"}, {tiers[1].Jobs, "Unlimited jobs and monitors"},
		{tiers[0].MinInterval, "Runs at most hourly"}, {tiers[1].MinInterval, "Runs every minute"},
		{tiers[0].History, "7 days of history"}, {tiers[1].History, "30 days of history"},
		{tiers[0].Requests, "5,000 requests / month"}, {tiers[1].Requests, "250,000 requests / month"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q (did the tier limits change? then this test and the copy need a look)", c.got, c.want)
		}
	}
}

func TestDevMailbox(t *testing.T) {
	e := newTestEnv(t, nil)
	msg, err := mail.NewMessage("ann@example.com", mail.ConfirmAccount{Email: "ann@example.com", ConfirmURL: "https://prikke.example/confirm?token=abc123"})
	if err != nil {
		t.Fatal(err)
	}
	msg.Subject = "<script>alert(1)</script> " + msg.Subject
	if err := e.mailbox.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	id := e.mailbox.List()[0].ID

	w := e.get(t, "/dev/mailbox")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/dev/mailbox/"+id) {
		t.Fatalf("list: %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "<script>alert") || !strings.Contains(w.Body.String(), "&lt;script&gt;") {
		t.Error("the subject is not escaped in the list")
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("the mailbox may be cached")
	}
	w = e.get(t, "/dev/mailbox/"+id)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `<a class="link break-all" href="https://prikke.example/confirm?token=abc123">`) {
		t.Errorf("message: %d, the confirmation link is not clickable:\n%s", w.Code, body)
	}
	w = e.get(t, "/dev/mailbox/"+id+"/html")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("html part: %d, CSP %q", w.Code, w.Header().Get("Content-Security-Policy"))
	}
	if w := e.get(t, "/dev/mailbox/nope"); w.Code != http.StatusNotFound {
		t.Errorf("unknown message: %d", w.Code)
	}

	// Only loopback clients, never through a proxy, never in production.
	for _, remote := range []string{"192.0.2.7:1234", "10.0.0.1:80", "[2001:db8::1]:443"} {
		r := httptest.NewRequest(http.MethodGet, "/dev/mailbox", nil)
		r.RemoteAddr = remote
		rw := httptest.NewRecorder()
		e.handler.ServeHTTP(rw, r)
		if rw.Code != http.StatusNotFound {
			t.Errorf("from %s: %d, want 404", remote, rw.Code)
		}
	}
	for _, remote := range []string{"127.0.0.1:1", "127.9.9.9:2", "[::1]:3"} {
		r := httptest.NewRequest(http.MethodGet, "/dev/mailbox", nil)
		r.RemoteAddr = remote
		rw := httptest.NewRecorder()
		e.handler.ServeHTTP(rw, r)
		if rw.Code != http.StatusOK {
			t.Errorf("from %s: %d, want 200", remote, rw.Code)
		}
	}
	if w := e.get(t, "/dev/mailbox", "X-Forwarded-For", "192.0.2.7"); w.Code != http.StatusNotFound {
		t.Errorf("through a proxy: %d, want 404", w.Code)
	}
	prod := newTestEnv(t, func(d *Deps) { d.Production = true })
	for _, path := range []string{"/dev/mailbox", "/dev/mailbox/" + id, "/dev/ui"} {
		if w := prod.get(t, path); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "This page does not exist") {
			t.Errorf("production %s: %d, want the 404 page", path, w.Code)
		}
	}
	smtp := newTestEnv(t, func(d *Deps) { d.Mailbox = nil })
	if w := smtp.get(t, "/dev/mailbox"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Mail goes out through SMTP") {
		t.Errorf("without a mailbox: %d", w.Code)
	}
}

func TestLinkify(t *testing.T) {
	got := string(linkify("Confirm: https://x.test/c?t=1&u=2.\nOr <b>(see https://x.test/a_(b))</b> javascript:alert(1)"))
	want := `Confirm: <a class="link break-all" href="https://x.test/c?t=1&amp;u=2">https://x.test/c?t=1&amp;u=2</a>.` + "\n" +
		`Or &lt;b&gt;(see <a class="link break-all" href="https://x.test/a_(b)">https://x.test/a_(b)</a>)&lt;/b&gt; javascript:alert(1)`
	if got != want {
		t.Errorf("linkify:\n got %s\nwant %s", got, want)
	}
}

func TestAPIDocsWithoutSpec(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.OpenAPI = nil })
	if w := e.get(t, "/docs/api"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "started without its API") {
		t.Errorf("without a spec: %d", w.Code)
	}
	calls := 0
	e = newTestEnv(t, func(d *Deps) {
		d.OpenAPI = func() ([]byte, error) { calls++; return nil, errors.New("boom") }
	})
	for range 2 {
		w := e.get(t, "/docs/api")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "could not be built") || strings.Contains(w.Body.String(), "boom") {
			t.Errorf("with a failing spec: %d", w.Code)
		}
	}
	// The document cannot change while the process runs: a failure is
	// not retried on every request either.
	if calls != 1 {
		t.Errorf("the OpenAPI document was read %d times; want once", calls)
	}
}

// TestAPIDocsBuiltOnce: the public reference pages are built from the
// OpenAPI document once, not on every request (a cheap way to keep a
// small server busy), and every request gets the same page.
func TestAPIDocsBuiltOnce(t *testing.T) {
	spec, err := os.ReadFile("docs/testdata/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	e := newTestEnv(t, func(d *Deps) {
		d.OpenAPI = func() ([]byte, error) { calls.Add(1); return spec, nil }
	})
	ref, err := docs.ParseAPIReference(spec)
	if err != nil || len(ref.Groups) == 0 {
		t.Fatalf("reference: %v", err)
	}
	paths := []string{"/docs/api", "/docs/api/" + ref.Groups[0].Slug, "/docs/api/" + ref.Groups[len(ref.Groups)-1].Slug}
	first := map[string]string{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 3 {
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := e.get(t, p)
				mu.Lock()
				defer mu.Unlock()
				if w.Code != http.StatusOK {
					t.Errorf("%s: %d", p, w.Code)
				}
				if prev, ok := first[p]; !ok {
					first[p] = w.Body.String()
				} else if prev != w.Body.String() {
					t.Errorf("%s: two requests got different pages", p)
				}
			}()
		}
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("the OpenAPI document was read %d times for %d requests; want once", n, 3*len(paths))
	}
}

func TestStatic(t *testing.T) {
	e := newTestEnv(t, nil)
	types := map[string]string{
		"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
		"htmx.min.js": "text/javascript; charset=utf-8", "sse.min.js": "text/javascript; charset=utf-8",
		"favicon.svg": "image/svg+xml", "fonts/inter-latin-wght-normal.woff2": "font/woff2",
		"fonts/inter-latin-ext-wght-normal.woff2": "font/woff2", "fonts/jetbrains-mono-latin-wght-normal.woff2": "font/woff2",
		"fonts/jetbrains-mono-latin-ext-wght-normal.woff2": "font/woff2",
	}
	for name, ctype := range types {
		u, err := e.web.static.URL(name)
		if err != nil {
			t.Fatal(err)
		}
		w := e.get(t, u)
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", u, w.Code)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ctype)
		}
		if got := w.Header().Get("Cache-Control"); got != page.CacheImmutable {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", name)
		}
		if w := e.get(t, u, "If-None-Match", etag); w.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation gave %d, want 304", name, w.Code)
		}
	}
	// The hash in the URL changes with the content.
	if u, _ := e.web.static.URL("app.css"); !regexp.MustCompile(`^/static/app\.css\?v=[0-9a-f]{12}$`).MatchString(u) {
		t.Errorf("asset URL %q", u)
	}
	if w := e.get(t, "/static/app.css?v=old"); w.Header().Get("Cache-Control") != page.CacheRevalidate {
		t.Errorf("an old hash is cached as %q", w.Header().Get("Cache-Control"))
	}
	if w := e.get(t, "/static/fonts/inter-latin-wght-normal.woff2"); w.Header().Get("Cache-Control") != page.CacheDay {
		t.Errorf("an unversioned URL is cached as %q", w.Header().Get("Cache-Control"))
	}
	// Compressed for clients that accept it.
	u, _ := e.web.static.URL("htmx.min.js")
	w := e.get(t, u, "Accept-Encoding", "gzip, br")
	if w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("htmx.min.js not gzipped: %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, e.web.static.Bytes("htmx.min.js")) {
		t.Error("the gzip body differs from the file")
	}
	if w := e.get(t, "/favicon.ico"); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	// Every asset a page names exists.
	body := e.get(t, "/").Body.String()
	for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		if w := e.get(t, strings.ReplaceAll(m[1], "&amp;", "&")); w.Code != http.StatusOK {
			t.Errorf("%s: %d", m[1], w.Code)
		}
	}
}

// TestNoThirdPartyRequests checks the templates and the stylesheet for
// anything that would make a browser fetch from another host: scripts,
// styles, fonts, images, frames, media. Plain links (<a href>) are fine:
// they only navigate when clicked.
func TestNoThirdPartyRequests(t *testing.T) {
	fetching := regexp.MustCompile(`(?is)<(script|link|img|iframe|source|video|audio|embed|object|image|use)\b[^>]*\b(src|href|srcset|data|poster|xlink:href)\s*=\s*["']?\s*(https?:)?//`)
	cssURL := regexp.MustCompile(`(?i)(url\(\s*["']?\s*(https?:)?//|@import\s+["']?(url\()?\s*["']?\s*(https?:)?//)`)
	checked := 0
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		if m := fetching.Find(b); m != nil {
			t.Errorf("%s fetches from another host: %s", p, m)
		}
		if m := cssURL.Find(b); m != nil {
			t.Errorf("%s has a CSS url() on another host: %s", p, m)
		}
		if regexp.MustCompile(`(?i)\sstyle\s*=|\son[a-z]+\s*=\s*["']`).Match(b) {
			t.Errorf("%s has an inline style or event handler attribute, which the CSP blocks", p)
		}
		if regexp.MustCompile(`(?i)<script>|<script\s[^>]*>\s*[^<\s]`).Match(b) {
			t.Errorf("%s has an inline script, which the CSP blocks", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("only %d templates checked", checked)
	}
	css := newTestEnv(t, nil).web.static.Bytes("app.css")
	if m := cssURL.Find(css); m != nil {
		t.Errorf("app.css loads from another host: %s", m)
	}
	// And the rendered pages, which include everything the funcs add.
	e := newTestEnv(t, nil)
	for _, p := range []string{"/", "/pricing", "/use-cases", "/docs", "/docs/getting-started", "/docs/api", "/docs/cron", "/docs/webhooks", "/dev/ui", "/nope"} {
		if m := fetching.FindString(e.get(t, p).Body.String()); m != "" {
			t.Errorf("%s fetches from another host: %s", p, m)
		}
	}
}

func TestFlash(t *testing.T) {
	e := newTestEnv(t, nil)
	w := httptest.NewRecorder()
	e.web.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Job <b>saved</b>."})
	cookie := w.Result().Cookies()[0]
	if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie flags: %+v", cookie)
	}
	r := httptest.NewRequest(http.MethodGet, "/docs", nil)
	r.AddCookie(cookie)
	w = httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	body := w.Body.String()
	if !strings.Contains(body, "Job &lt;b&gt;saved&lt;/b&gt;.") || !strings.Contains(body, `role="status"`) {
		t.Error("the flash is not shown, escaped")
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("the flash cookie was not cleared: %v", c)
	}
	// Garbage is ignored.
	r = httptest.NewRequest(http.MethodGet, "/docs", nil)
	r.AddCookie(&http.Cookie{Name: page.FlashCookie, Value: "%%%not-base64"})
	w = httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("a broken flash cookie gave %d", w.Code)
	}
}

func TestFormField(t *testing.T) {
	e := newTestEnv(t, nil)
	f := page.NewForm(url.Values{"url": {`"><script>x</script>`}, "name": {"ok"}})
	if !f.Valid() {
		t.Fatal("a new form has errors")
	}
	var v prikke.Validation
	v.Add("url", "scheme must be http or https")
	v.Add("headers[0].name", "is required")
	if !f.AddErrors(v.Err()) || f.Valid() {
		t.Fatal("AddErrors did not record the errors")
	}
	f.AddErrors(errors.New("db down"))
	var buf bytes.Buffer
	if err := e.web.tpl.ExecutePartial(&buf, "field", f.Field("url", "URL", "hint=Where to send it.", "required", "mono")); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<label for="field-url" class="label">URL`, `id="field-url"`, `aria-invalid="true"`,
		`aria-describedby="field-url-hint field-url-error"`, `id="field-url-error"`, "scheme must be http or https",
		`value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`, " required",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("field lacks %q:\n%s", want, html)
		}
	}
	buf.Reset()
	if err := e.web.tpl.ExecutePartial(&buf, "form_errors", f); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="#field-url"`, `href="#field-headers-0--name"`, "Internal error.", `role="alert"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	sel := f.Select("method", "Method", []page.Option{{Value: "GET", Label: "GET"}, {Value: "POST", Label: "POST"}})
	f.Values.Set("method", "POST")
	sel.Value = "POST"
	if err := e.web.tpl.ExecutePartial(&buf, "field", sel); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<option value="POST" selected>`) {
		t.Errorf("select:\n%s", buf.String())
	}
}

func TestStatusBadges(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, s := range prikke.ExecutionStatuses {
		b, ok := statusBadges[s]
		if !ok {
			t.Errorf("no badge for %s", s)
			continue
		}
		var buf bytes.Buffer
		if err := e.web.tpl.ExecutePartial(&buf, "status_badge", s); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), b.Label) || !strings.Contains(buf.String(), "<svg") {
			t.Errorf("%s renders as %s", s, buf.String())
		}
	}
	var buf bytes.Buffer
	if err := e.web.tpl.ExecutePartial(&buf, "status_badge", prikke.ExecutionStatus("<new>")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "&lt;new&gt;") {
		t.Errorf("unknown status: %s", buf.String())
	}
}

func TestEventStream(t *testing.T) {
	e := newTestEnv(t, nil)
	w := httptest.NewRecorder()
	es, err := page.NewEventStream(w, e.web.tpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := es.Send("job-status", "status_badge", prikke.ExecutionStatusFailed); err != nil {
		t.Fatal(err)
	}
	if err := es.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := es.Send("bad\nname", "status_badge", prikke.ExecutionStatusFailed); err == nil {
		t.Error("an event name with a line break was sent")
	}
	if err := es.Send("x", "no-such-partial", nil); err == nil {
		t.Error("an unknown partial was sent")
	}
	out := w.Body.String()
	if w.Header().Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
	}
	if !strings.HasPrefix(out, "event: job-status\ndata: <span class=\"badge") || !strings.Contains(out, "Failed</span>\n\n: ping\n\n") {
		t.Errorf("stream:\n%q", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.HasPrefix(line, "event: ") && !strings.HasPrefix(line, "data: ") && !strings.HasPrefix(line, ": ") {
			t.Errorf("stray line %q", line)
		}
	}
}

func TestIcons(t *testing.T) {
	icons := newTestEnv(t, nil).web.icons
	if len(icons) < 20 {
		t.Fatalf("%d icons loaded; run make assets", len(icons))
	}
	got, err := icons.Icon("check", "size-4 text-emerald-500")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), `<svg class="size-4 text-emerald-500"`) || !strings.Contains(string(got), `aria-hidden="true"`) || strings.Contains(string(got), "@license") {
		t.Errorf("icon: %s", got)
	}
	if _, err := icons.Icon("no-such-icon"); err == nil {
		t.Error("an unknown icon rendered")
	}
}

// TestRolesTable: the docs' roles table is the code's own — each row shows
// exactly the roles prikke.Role.Can grants.
func TestRolesTable(t *testing.T) {
	e := newTestEnv(t, nil)
	body := e.get(t, "/docs/teams").Body.String()
	rows := regexp.MustCompile(`(?s)<tr class="border-b border-slate-100">\s*<td[^>]*>([^<]*)</td>(.*?)</tr>`).FindAllStringSubmatch(body, -1)
	if len(rows) != len(docs.Permissions) {
		t.Fatalf("%d rows, want %d", len(rows), len(docs.Permissions))
	}
	for i, row := range rows {
		marks := regexp.MustCompile(`aria-label="(yes|no)"`).FindAllStringSubmatch(row[2], -1)
		if len(marks) != len(docs.Roles) {
			t.Fatalf("row %q has %d marks", row[1], len(marks))
		}
		for j, role := range docs.Roles {
			if got, want := marks[j][1] == "yes", role.Can(docs.Permissions[i].Perm); got != want {
				t.Errorf("%q for %s shows %v, the code says %v", row[1], role, got, want)
			}
		}
	}
	// Spot checks of the statement of the roles.
	if prikke.RoleViewer.Can(prikke.PermManageJobs) || !prikke.RoleMember.Can(prikke.PermManageJobs) ||
		prikke.RoleMember.Can(prikke.PermManageKeys) || !prikke.RoleAdmin.Can(prikke.PermManageKeys) ||
		prikke.RoleAdmin.Can(prikke.PermDeleteOrg) || !prikke.RoleOwner.Can(prikke.PermDeleteOrg) {
		t.Error("the roles do not match the documented ladder")
	}
}
