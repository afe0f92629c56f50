package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/statuspage"
)

// testClock is the web's clock in a test: real time plus an offset the
// test moves, so the database's heartbeats age without waiting.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// summary is /status.json without its 90 days of bars, for failure messages.
func summary(body string) string {
	var s statusJSON
	if json.Unmarshal([]byte(body), &s) != nil {
		return body
	}
	for i := range s.Components {
		s.Components[i].Days = nil
	}
	b, _ := json.Marshal(s)
	return string(b)
}
func (c *testClock) deps() func(*Deps)   { return func(d *Deps) { d.Now = c.Now } }
func (c *testClock) set(d time.Duration) { c.offset.Store(int64(d)) }

// statusJSON is /status.json as a client reads it.
type statusJSON struct {
	Status     string `json:"status"`
	Components []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
		Days   []struct {
			Date string `json:"date"`
		} `json:"days"`
	} `json:"components"`
	Incidents []struct {
		Title      string   `json:"title"`
		Status     string   `json:"status"`
		Components []string `json:"components"`
		Updates    []struct {
			Message string `json:"message"`
		} `json:"updates"`
	} `json:"incidents"`
}

func (s statusJSON) component(name string) (status, detail string) {
	for _, c := range s.Components {
		if c.Name == name {
			return c.Status, c.Detail
		}
	}
	return "", ""
}

// TestStatus: /status and /status.json follow the scheduler's heartbeat
// (the web clock moves, nothing sleeps) and show the incidents operators
// open through the service.
func TestStatus(t *testing.T) {
	storetest.Dialects(t, testStatus)
}

func testStatus(t *testing.T, st store.Store) {
	clock := &testClock{}
	d := newDashWith(t, st, clock.deps())
	ctx := context.Background()
	anon := d.anon()
	forget := func() { // the page's own few seconds of cache
		d.web.status.Forget()
	}
	read := func() (statusJSON, *reply) {
		t.Helper()
		forget()
		r := anon.get("/status.json")
		var s statusJSON
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(r.Body), &s) != nil {
			t.Fatalf("/status.json: %s", r)
		}
		return s, r
	}
	get := func(path string) *reply { forget(); return anon.get(path) }

	// No scheduler has ever reported: a new installation, starting.
	s, r := read()
	if st, _ := s.component("scheduler"); st != "degraded" || s.Status != "degraded" {
		t.Errorf("before any heartbeat: %s", summary(r.Body))
	}
	if len(s.Components) != 4 || s.Incidents == nil || len(s.Components[0].Days) != 90 {
		t.Errorf("shape: %s", summary(r.Body))
	}
	for _, name := range []string{"api", "dashboard", "scheduler", "delivery"} {
		if st, _ := s.component(name); st == "" {
			t.Errorf("no component %q", name)
		}
	}

	// A heartbeat now: operational.
	if err := d.store.HeartbeatPut(ctx, "scheduler", "web-test"); err != nil {
		t.Fatal(err)
	}
	clock.set(0)
	s, r = read()
	if st, _ := s.component("scheduler"); st != "operational" || s.Status != "operational" {
		t.Fatalf("after a heartbeat: %s", summary(r.Body))
	}
	if r.Header.Get("Cache-Control") != statuspage.CacheStatus || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("headers: %v", r.Header)
	}
	page := get("/status")
	if page.Status != 200 || !strings.Contains(page.Body, "All systems operational") || page.Header.Get("Cache-Control") != statuspage.CacheStatus ||
		strings.Count(page.Body, `data-testid="uptime-bars"`) != 4 || !strings.Contains(page.Body, "Webhook delivery") ||
		strings.Contains(page.Body, "noindex") || page.Header.Get("Set-Cookie") != "" {
		t.Errorf("/status: %s", page)
	}

	// The scheduler stops beating: degraded after 30 s, down after 2 minutes.
	clock.set(45 * time.Second)
	s, r = read()
	if st, detail := s.component("scheduler"); st != "degraded" || !strings.Contains(detail, "last reported") || s.Status != "degraded" {
		t.Errorf("45 s later: %s", summary(r.Body))
	}
	clock.set(3 * time.Minute)
	s, r = read()
	if st, _ := s.component("scheduler"); st != "outage" || s.Status != "outage" {
		t.Errorf("3 minutes later: %s", summary(r.Body))
	}
	page = get("/status")
	if !strings.Contains(page.Body, "Some systems are down") || !strings.Contains(page.Body, "The scheduler last reported 3m0s ago.") ||
		!strings.Contains(page.Body, `data-component="Scheduler" data-status="Outage"`) {
		t.Errorf("/status 3 minutes later: %s", page)
	}

	// The scheduler is back; an operator opens an incident about delivery.
	if err := d.store.HeartbeatPut(ctx, "scheduler", "web-test"); err != nil {
		t.Fatal(err)
	}
	clock.set(0)
	inc, err := d.svc.OpenIncident(ctx, service.IncidentInput{Title: "Slow deliveries <in Frankfurt>", Message: "Requests start up to a minute late.",
		Components: []string{"delivery"}})
	if err != nil {
		t.Fatal(err)
	}
	s, r = read()
	if st, detail := s.component("delivery"); st != "degraded" || detail != "Slow deliveries <in Frankfurt>" || s.Status != "degraded" {
		t.Errorf("with an incident: %s", summary(r.Body))
	}
	if len(s.Incidents) != 1 || s.Incidents[0].Title != "Slow deliveries <in Frankfurt>" || s.Incidents[0].Status != "investigating" ||
		len(s.Incidents[0].Updates) != 1 || s.Incidents[0].Components[0] != "delivery" {
		t.Errorf("incidents: %s", summary(r.Body))
	}
	page = get("/status")
	if !strings.Contains(page.Body, "Ongoing incidents") || !strings.Contains(page.Body, "Slow deliveries &lt;in Frankfurt&gt;") ||
		!strings.Contains(page.Body, "Requests start up to a minute late.") || !strings.Contains(page.Body, "Some systems are degraded") {
		t.Errorf("/status with an incident: %s", page)
	}
	if _, err := d.svc.UpdateIncident(ctx, inc.ID, prikke.IncidentResolved, "Deliveries are on time again."); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	s, r = read()
	if st, _ := s.component("delivery"); st != "operational" || len(s.Incidents) != 1 || s.Incidents[0].Status != "resolved" || len(s.Incidents[0].Updates) != 2 {
		t.Errorf("resolved: %s", summary(r.Body))
	}
	page = get("/status")
	if strings.Contains(page.Body, "Ongoing incidents") || !strings.Contains(page.Body, "Past incidents") || !strings.Contains(page.Body, "Deliveries are on time again.") {
		t.Errorf("/status resolved: %s", page)
	}

	// Within the cache's few seconds, one evaluation answers.
	first := get("/status.json").Body
	if err := d.store.HeartbeatPut(ctx, "scheduler", "again"); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if again := anon.get("/status.json").Body; again != first {
		t.Error("the report was evaluated again within statuspage.TTL")
	}
}

// TestCustomerStatusPage: /s/<slug> shows the chosen jobs under their
// display names, and nothing of what the jobs send or get back.
func TestCustomerStatusPage(t *testing.T) {
	storetest.Dialects(t, testCustomerStatusPage)
}

func testCustomerStatusPage(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierPro)
	ctx := context.Background()
	a := tn.actor()
	// Every private thing a job has, each distinctive.
	secrets := []string{"INTERNAL-JOB-NAME", "private-host.example", "URL-PATH-SECRET", "URL-QUERY-SECRET", "X-Header-Name-Secret",
		"HEADER-VALUE-SECRET", "REQUEST-BODY-SECRET", "RESPONSE-BODY-SECRET", "ERROR-TEXT-SECRET", "X-Response-Header-Secret",
		"RESPONSE-HEADER-VALUE-SECRET", "HIDDEN-JOB-NAME", "PROJECT-NAME-SECRET", tn.User.Email}
	projectName := "PROJECT-NAME-SECRET"
	if _, err := d.svc.UpdateProject(ctx, a, tn.Project.ID, service.ProjectInput{Name: &projectName}); err != nil {
		t.Fatal(err)
	}
	mk := func(name, target string) *prikke.Job {
		expr, zone, body := "0 * * * *", "UTC", "REQUEST-BODY-SECRET"
		j, err := d.svc.CreateJob(ctx, a, &service.JobInput{ProjectID: &tn.Project.ID, Name: &name, URL: &target, CronExpression: &expr,
			TimeZone: &zone, Body: &body, Headers: &[]prikke.Header{{Name: "X-Header-Name-Secret", Value: "HEADER-VALUE-SECRET"}}})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	shown := mk("INTERNAL-JOB-NAME", "https://private-host.example/URL-PATH-SECRET?token=URL-QUERY-SECRET")
	fine := mk("billing", "https://private-host.example/billing")
	hidden := mk("HIDDEN-JOB-NAME", "https://private-host.example/hidden")
	respHeaders := []prikke.Header{{Name: "X-Response-Header-Secret", Value: "RESPONSE-HEADER-VALUE-SECRET"}}
	for _, j := range []*prikke.Job{shown, hidden} {
		d.completedExecution(j, prikke.ExecutionStatusSuccess, []byte("RESPONSE-BODY-SECRET"), "", respHeaders)
		d.completedExecution(j, prikke.ExecutionStatusFailed, []byte("RESPONSE-BODY-SECRET"), "ERROR-TEXT-SECRET", respHeaders)
	}
	d.completedExecution(fine, prikke.ExecutionStatusSuccess, []byte("RESPONSE-BODY-SECRET"), "", respHeaders)

	// Through the editor: errors beside the fields first.
	b := d.as(tn)
	base := "/app/projects/" + tn.Project.ID.String() + "/status-pages"
	form := func(edit func(url.Values)) url.Values {
		v := url.Values{"title": {"Acme integrations"}, "slug": {"acme-status"}, "published": {"on"},
			"job_ids": {shown.ID.String(), fine.ID.String()},
			"display_names[" + shown.ID.String() + "]":  {"Invoice sync"},
			"display_names[" + fine.ID.String() + "]":   {"Billing"},
			"display_names[" + hidden.ID.String() + "]": {"HIDDEN-JOB-NAME"}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	r := b.get(base + "/new")
	if r.Status != 200 || !strings.Contains(r.Body, `name="display_names[`+shown.ID.String()+`]"`) || !strings.Contains(r.Body, `name="published" value="on" class="mt-0.5 size-4 accent-emerald-600" checked`) {
		t.Fatalf("editor: %s", r)
	}
	r = b.post(base, form(func(v url.Values) {
		v.Set("slug", "-Bad Slug")
		v.Set("title", "")
		v.Set("display_names["+fine.ID.String()+"]", " ")
	}))
	if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(fieldError(r.Body, "slug"), "must be 3-63 lower-case letters") ||
		fieldError(r.Body, "title") != "is required" || fieldError(r.Body, "display_names["+fine.ID.String()+"]") != "must not be blank" ||
		fieldError(r.Body, "display_names["+shown.ID.String()+"]") != "" {
		t.Errorf("bad page: slug %q, title %q, name %q\n%s", fieldError(r.Body, "slug"), fieldError(r.Body, "title"),
			fieldError(r.Body, "display_names["+fine.ID.String()+"]"), r)
	}
	if r := b.post(base, form(nil)); r.Status != http.StatusSeeOther || r.location() != base {
		t.Fatalf("create: %s", r)
	}
	r = b.get(base)
	if !strings.Contains(r.Body, `href="/s/acme-status"`) || !strings.Contains(r.Body, "Acme integrations") || !strings.Contains(r.Body, "Published") {
		t.Errorf("the list: %s", r)
	}
	// The slug is taken, also for another tenant.
	other := d.tenant(prikke.TierFree)
	r = d.as(other).post("/app/projects/"+other.Project.ID.String()+"/status-pages", url.Values{"title": {"Mine"}, "slug": {"acme-status"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "slug") != "is taken; choose another" {
		t.Errorf("taken slug: %s", r)
	}

	// The public page: display names, state and bars, nothing private.
	anon := d.anon()
	r = anon.get("/s/acme-status")
	if r.Status != 200 || r.Header.Get("Cache-Control") != statuspage.CacheCustomer || r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("/s/acme-status: %s", r)
	}
	for _, s := range []string{"Acme integrations", "Invoice sync", "Billing", `data-testid="uptime-bars"`, `name="robots" content="noindex"`,
		`data-component="Invoice sync" data-status="Outage"`, `data-component="Billing" data-status="Operational"`, "% uptime"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if n := strings.Count(r.Body, `data-testid="uptime-bars"`); n != 2 {
		t.Errorf("%d jobs shown, want 2", n)
	}
	for _, s := range append(secrets, shown.ID.String(), fine.ID.String(), hidden.ID.String(), tn.Project.ID.String()) {
		if strings.Contains(strings.ToLower(r.Body), strings.ToLower(s)) {
			t.Errorf("the public page reveals %q", s)
		}
	}
	// Unknown, unpublished and deleted pages are the 404 page.
	if r := anon.get("/s/no-such-page"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "This page does not exist") {
		t.Errorf("unknown slug: %s", r)
	}
	ps, _ := d.svc.StatusPages(ctx, a, tn.Project.ID)
	if len(ps) != 1 {
		t.Fatalf("%d pages", len(ps))
	}
	edit := "/app/status-pages/" + ps[0].ID.String()
	r = b.get(edit + "/edit")
	if r.Status != 200 || !strings.Contains(r.Body, `value="Invoice sync"`) || !strings.Contains(r.Body, `value="`+shown.ID.String()+`" class="mt-0.5 size-4 shrink-0 accent-emerald-600" checked`) {
		t.Fatalf("edit page: %s", r)
	}
	if r := b.post(edit, form(func(v url.Values) { v.Del("published"); v.Set("title", "Acme, privately") })); r.Status != http.StatusSeeOther {
		t.Fatalf("unpublish: %s", r)
	}
	if r := anon.get("/s/acme-status"); r.Status != http.StatusNotFound {
		t.Errorf("unpublished: %s", r)
	}
	if r := b.get(base); !strings.Contains(r.Body, "Not published") || !strings.Contains(r.Body, "Acme, privately") {
		t.Errorf("the list after unpublishing: %s", r)
	}
	if r := b.get(edit + "/delete"); r.Status != 200 || !strings.Contains(r.Body, "Delete status page") {
		t.Errorf("delete page: %s", r)
	}
	if r := b.post(edit+"/delete", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %s", r)
	}
	if ps, _ := d.svc.StatusPages(ctx, a, tn.Project.ID); len(ps) != 0 {
		t.Errorf("not deleted: %v", ps)
	}
}

// TestStatusPublicSite: /status needs no session and is in the public
// site's footer; the docs list the new pages.
func TestStatusPublicSite(t *testing.T) {
	d := newDash(t, nil)
	anon := d.anon()
	for _, p := range []string{"/", "/docs", "/pricing"} {
		if r := anon.get(p); !strings.Contains(r.Body, `href="/status"`) || !strings.Contains(r.Body, `href="/docs/notifications"`) {
			t.Errorf("%s does not link /status and the notification docs", p)
		}
	}
	for path, want := range map[string][]string{
		"/docs/notifications": {"Alert after N failures", `&#34;type&#34;: &#34;job.failing&#34;`, "hooks.slack.com", "allowed_mentions",
			"hmac.Equal", "410", "80%", "confirmation link", `"notify": "project"`},
		"/docs/status-pages": {"/status.json", "prikke incident open", "never", "30 seconds", "/s/"},
		"/docs":              {"/docs/notifications", "/docs/status-pages"},
	} {
		r := anon.get(path)
		if r.Status != 200 {
			t.Errorf("%s: %s", path, r)
			continue
		}
		for _, s := range want {
			if !strings.Contains(r.Body, s) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
	}
}
