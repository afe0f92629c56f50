package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/page"
)

// dash is the dashboard over a real store and service, behind Prikke's
// real middleware (CSP, cross-origin protection, request ids), with the
// development mailbox and a loopback sink that deliveries may reach.
type dash struct {
	t       *testing.T
	store   store.Store
	svc     *service.Service
	web     *Web
	srv     *httptest.Server
	mailbox *mail.Mailbox
	sink    *sink.Sink
	logs    *syncBuffer
}

// syncBuffer is the server log, safe to read while handlers write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newDash serves the dashboard over st (nil: a fresh SQLite store).
func newDash(t *testing.T, st store.Store) *dash { return newDashWith(t, st, nil) }

// newDashWith is newDash with the web's Deps changed by mod (a clock, say)
// before New.
func newDashWith(t *testing.T, st store.Store, mod func(*Deps)) *dash {
	t.Helper()
	return newDashConfig(t, st, nil, mod)
}

// newDashConfig is newDashWith with the service's Config changed by cfg
// (billing, say) before service.New.
func newDashConfig(t *testing.T, st store.Store, cfg func(*service.Config), mod func(*Deps)) *dash {
	t.Helper()
	if st == nil {
		st = storetest.OpenSQLite(t)
	}
	sk, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	box := mail.NewMailbox()
	client := delivery.New(delivery.Options{Allow: []netip.AddrPort{sk.Addr()}})
	t.Cleanup(client.Close)
	d := &dash{t: t, store: st, mailbox: box, sink: sk, logs: logs}
	// The server's address goes into mailed links, so listen first.
	d.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + d.srv.Listener.Addr().String()
	sc := service.Config{BaseURL: base, SignupOpen: true}
	if cfg != nil {
		cfg(&sc)
	}
	d.svc = service.New(st, auth.NewHasher(), box, client, sc, logger)
	// Test notifications go out as in production, through the notifier.
	d.svc.Tester = notify.New(st, box, client, base, nil, logger)
	deps := Deps{Logger: logger, BaseURL: base, Mailbox: box, Service: d.svc,
		ClientIP: httpserver.ClientIP(nil), OpenAPI: func() ([]byte, error) { return []byte(`{}`), nil }}
	if mod != nil {
		mod(&deps)
	}
	d.web, err = New(deps)
	if err != nil {
		t.Fatal(err)
	}
	d.srv.Config.Handler = httpserver.New(httpserver.Deps{Store: st, Logger: logger, Mount: d.web.Mount})
	d.srv.Start()
	t.Cleanup(d.srv.Close)
	return d
}

// tenant is a confirmed user with a personal organization (owner) and its
// default project, as sign-up makes them.
type tenant struct {
	*storetest.Tenant
	password string // "" unless made with a real password hash
}

// tenant makes a user without hashing a password (fast); sessions are
// made directly.
func (d *dash) tenant(tier prikke.Tier) *tenant {
	d.t.Helper()
	return &tenant{Tenant: storetest.NewTenant(d.t, d.store, tier)}
}

// tenantWithPassword makes a user who can sign in with a password.
func (d *dash) tenantWithPassword(email string) *tenant {
	d.t.Helper()
	ctx := context.Background()
	pw := "correct horse battery staple"
	u, err := d.svc.CreateConfirmedUser(ctx, email, pw, prikke.TierFree)
	if err != nil {
		d.t.Fatal(err)
	}
	o, err := d.store.OrganizationGetPersonal(ctx, u.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	ps, err := d.store.ProjectListByOrganization(ctx, o.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	return &tenant{Tenant: &storetest.Tenant{User: u, Org: o, Project: ps[0]}, password: pw}
}

// member adds u to tn's organization with role.
func (d *dash) member(tn *tenant, u *prikke.User, role prikke.Role) {
	d.t.Helper()
	if err := d.store.MembershipCreate(context.Background(), &prikke.Membership{OrganizationID: tn.Org.ID, UserID: u.ID,
		Role: role, CreatedAt: time.Now().UTC()}); err != nil {
		d.t.Fatal(err)
	}
}

// actor is the service actor of a tenant's user.
func (tn *tenant) actor() *service.Actor { return &service.Actor{User: tn.User} }

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	d  *dash
	hc *http.Client
}

func (d *dash) anon() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{d: d, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as returns a browser signed in as tn's user (a session made in the
// store, as Login would make it).
func (d *dash) as(tn *tenant) *browser {
	d.t.Helper()
	b := d.anon()
	tok, hash := auth.NewToken()
	now := d.svc.NowFunc().UTC()
	if err := d.store.TokenCreate(context.Background(), &prikke.Token{ID: prikke.NewID(), UserID: tn.User.ID,
		Kind: prikke.TokenSession, Hash: hash, ExpiresAt: now.Add(prikke.SessionAbsoluteTimeout), LastSeenAt: now,
		CreatedAt: now, IP: "127.0.0.1", UserAgent: "test"}); err != nil {
		d.t.Fatal(err)
	}
	u, _ := url.Parse(d.srv.URL)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "prikke_session", Value: tok, Path: "/"}})
	return b
}

// reply is a response with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   string
}

func (p *reply) location() string { return p.Header.Get("Location") }

func (b *browser) do(req *http.Request) *reply {
	b.d.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.d.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusInternalServerError {
		b.d.t.Errorf("%s %s: 500; server log:\n%s", req.Method, req.URL.Path, b.d.logs)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (b *browser) get(path string, header ...string) *reply {
	b.d.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.d.srv.URL+path, nil)
	if err != nil {
		b.d.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// post submits a form as a browser on this site does (Sec-Fetch-Site:
// same-origin); header pairs replace headers.
func (b *browser) post(path string, form url.Values, header ...string) *reply {
	b.d.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.d.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.d.srv.URL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// lastMail returns the newest mail to addr.
func (d *dash) lastMail(addr string) mail.Stored {
	d.t.Helper()
	for _, m := range d.mailbox.List() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				return m
			}
		}
	}
	d.t.Fatalf("no mail to %s", addr)
	return mail.Stored{}
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// mailToken returns the token of the newest link mailed to addr.
func (d *dash) mailToken(addr string) string {
	d.t.Helper()
	m := tokenRE.FindStringSubmatch(d.lastMail(addr).Text)
	if m == nil {
		d.t.Fatalf("no link with a token in the mail to %s", addr)
	}
	return m[1]
}

// job creates a job through the service.
func (d *dash) job(tn *tenant, name, target string) *prikke.Job {
	d.t.Helper()
	expr, zone := "0 9 * * 1-5", "Europe/Oslo"
	j, err := d.svc.CreateJob(context.Background(), tn.actor(), &service.JobInput{ProjectID: &tn.Project.ID, Name: &name,
		URL: &target, CronExpression: &expr, TimeZone: &zone})
	if err != nil {
		d.t.Fatal(err)
	}
	return j
}

// finishedExecution inserts an execution of j that ran and got a response.
func (d *dash) finishedExecution(j *prikke.Job, status prikke.ExecutionStatus, body []byte) *prikke.Execution {
	d.t.Helper()
	return d.completedExecution(j, status, body, "", nil)
}

// completedExecution is finishedExecution with an error text and extra
// response headers.
func (d *dash) completedExecution(j *prikke.Job, status prikke.ExecutionStatus, body []byte, errText string, headers []prikke.Header) *prikke.Execution {
	d.t.Helper()
	ctx := context.Background()
	e, err := d.svc.TriggerJob(ctx, &service.Actor{User: mustUser(d, j)}, j.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	claimed, err := d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, Now: time.Now().Add(time.Minute), LeaseGrace: time.Minute})
	if err != nil {
		d.t.Fatal(err)
	}
	for _, c := range claimed.Claimed {
		if c.Execution.ID != e.ID {
			continue
		}
		now := time.Now().UTC()
		health := store.HealthSuccess
		code := 200
		if status != prikke.ExecutionStatusSuccess {
			health, code = store.HealthFailure, 500
		}
		if _, err := d.store.ExecutionComplete(ctx, "test", []*store.Completion{{ExecutionID: e.ID, JobID: j.ID,
			OrganizationID: j.OrganizationID, Attempt: 1, Status: status, StartedAt: now.Add(-120 * time.Millisecond),
			FinishedAt: now, DurationMS: 120, RequestMethod: j.Method, RequestURL: j.URL,
			RequestHeaders: append([]prikke.Header{{Name: "webhook-id", Value: "msg_x"}}, j.Headers...), ResponseStatus: code,
			ResponseHeaders: append([]prikke.Header{{Name: "Content-Type", Value: "text/plain"}}, headers...), ResponseBody: body,
			ResponseTruncated: len(body) > 10, Error: errText, Health: health}}); err != nil {
			d.t.Fatal(err)
		}
	}
	got, err := d.store.ExecutionGet(ctx, e.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	return got
}

// mustUser returns an owner of j's organization.
func mustUser(d *dash, j *prikke.Job) *prikke.User {
	d.t.Helper()
	ms, err := d.store.MembershipListByOrganization(context.Background(), j.OrganizationID)
	if err != nil || len(ms) == 0 {
		d.t.Fatalf("no members: %v", err)
	}
	u, err := d.store.UserGet(context.Background(), ms[0].UserID)
	if err != nil {
		d.t.Fatal(err)
	}
	return u
}

// fieldError returns the message shown beside the input named name (by
// its id, as Form.Field makes it), or "".
func fieldError(body, name string) string {
	id := page.FieldID(name)
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `-error"[^>]*>(?:<svg.*?</svg>)?<span>([^<]*)</span>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// describedBy returns the aria-describedby of the element with id.
func describedBy(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*aria-describedby="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// String shows a reply in a failure message: its status, and the main
// element of a page rather than the whole of it.
func (p *reply) String() string {
	body := p.Body
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if len(body) > 4000 {
		body = body[:4000] + "…"
	}
	return fmt.Sprintf("status %d, Location %q\n%s", p.Status, p.location(), body)
}
