package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// routes returns every pattern mount registers.
func routes(w *Web) []string {
	var out []string
	w.mount(func(pattern string, _ func(http.ResponseWriter, *http.Request)) { out = append(out, pattern) })
	return out
}

// idRoutes are the dashboard's routes with an id in the path, with the
// form a POST sends. TestOtherTenantIDsAreNotFound fails when a route with
// an id is missing here, so a new route cannot skip the check.
var idRoutes = map[string]url.Values{
	"GET /app/projects/{project_id}":                          nil,
	"GET /app/projects/{project_id}/jobs":                     nil,
	"GET /app/projects/{project_id}/jobs/new":                 nil,
	"POST /app/projects/{project_id}/jobs":                    jobForm("https://example.com/hook", nil),
	"POST /app/projects/{project_id}/jobs/test":               jobForm("https://example.com/hook", nil),
	"POST /app/projects/{project_id}/jobs/preview":            jobForm("https://example.com/hook", nil),
	"GET /app/projects/{project_id}/executions/export":        nil,
	"POST /app/projects/{project_id}/redaction":               {"redact_headers": {"X-Nothing"}},
	"GET /app/jobs/{job_id}/executions/export":                nil,
	"POST /app/jobs/{job_id}/replay-failed":                   {"since": {"2026-01-01T00:00"}, "until": {"2027-01-01T00:00"}},
	"POST /app/executions/{execution_id}/replay":              {},
	"POST /app/executions/{execution_id}/replay/edit":         {"method": {"GET"}, "url": {"https://example.com/x"}},
	"GET /app/projects/{project_id}/schedule-preview":         nil,
	"GET /app/projects/{project_id}/executions":               nil,
	"GET /app/projects/{project_id}/settings":                 nil,
	"POST /app/projects/{project_id}/settings":                {"name": {"taken over"}, "alert_after": {"3"}},
	"POST /app/projects/{project_id}/secret/reveal":           {},
	"POST /app/projects/{project_id}/secret/rotate":           {},
	"GET /app/projects/{project_id}/delete":                   nil,
	"POST /app/projects/{project_id}/delete":                  {},
	"GET /app/jobs/{job_id}":                                  nil,
	"GET /app/jobs/{job_id}/events":                           nil,
	"GET /app/jobs/{job_id}/edit":                             nil,
	"POST /app/jobs/{job_id}":                                 jobForm("https://example.com/hook", nil),
	"POST /app/jobs/{job_id}/pause":                           {},
	"POST /app/jobs/{job_id}/resume":                          {},
	"POST /app/jobs/{job_id}/run":                             {},
	"GET /app/jobs/{job_id}/delete":                           nil,
	"POST /app/jobs/{job_id}/delete":                          {},
	"GET /app/executions/{execution_id}":                      nil,
	"GET /app/orgs/{org_id}":                                  nil,
	"GET /app/orgs/{org_id}/projects":                         nil,
	"POST /app/orgs/{org_id}/projects":                        {"name": {"mine now"}},
	"GET /app/orgs/{org_id}/members":                          nil,
	"POST /app/orgs/{org_id}/members/{user_id}/role":          {"role": {"viewer"}},
	"POST /app/orgs/{org_id}/members/{user_id}/remove":        {},
	"POST /app/orgs/{org_id}/invitations":                     {"email": {"x@example.com"}, "role": {"member"}},
	"POST /app/invitations/{invitation_id}/revoke":            {},
	"GET /app/orgs/{org_id}/api-keys":                         nil,
	"POST /app/orgs/{org_id}/api-keys":                        {"name": {"stolen"}},
	"POST /app/api-keys/{key_id}/revoke":                      {},
	"GET /app/orgs/{org_id}/usage":                            nil,
	"GET /app/orgs/{org_id}/billing":                          nil,
	"POST /app/orgs/{org_id}/billing/checkout":                {},
	"POST /app/orgs/{org_id}/billing/portal":                  {},
	"POST /app/orgs/{org_id}/billing/claim":                   {"subscription_id": {"1"}},
	"GET /app/projects/{project_id}/channels":                 nil,
	"POST /app/projects/{project_id}/channels":                {"target": {"mallory@example.com"}},
	"POST /app/channels/{channel_id}":                         {"name": {"mine now"}},
	"POST /app/channels/{channel_id}/enable":                  {},
	"POST /app/channels/{channel_id}/disable":                 {},
	"POST /app/channels/{channel_id}/test":                    {},
	"GET /app/channels/{channel_id}/delete":                   nil,
	"POST /app/channels/{channel_id}/delete":                  {},
	"GET /app/projects/{project_id}/status-pages":             nil,
	"GET /app/projects/{project_id}/status-pages/new":         nil,
	"POST /app/projects/{project_id}/status-pages":            {"title": {"stolen"}, "slug": {"stolen-page"}, "published": {"on"}},
	"GET /app/status-pages/{status_page_id}/edit":             nil,
	"POST /app/status-pages/{status_page_id}":                 {"title": {"mine now"}, "slug": {"mine-now"}},
	"GET /app/status-pages/{status_page_id}/delete":           nil,
	"POST /app/status-pages/{status_page_id}/delete":          {},
	"GET /app/projects/{project_id}/monitors":                 nil,
	"GET /app/projects/{project_id}/monitors/new":             nil,
	"POST /app/projects/{project_id}/monitors":                monitorForm(nil),
	"POST /app/projects/{project_id}/monitors/snooze":         {"for": {"1h"}},
	"GET /app/monitors/{monitor_id}":                          nil,
	"GET /app/monitors/{monitor_id}/events":                   nil,
	"GET /app/monitors/{monitor_id}/pings/{ping_id}":          nil,
	"GET /app/monitors/{monitor_id}/edit":                     nil,
	"POST /app/monitors/{monitor_id}":                         monitorForm(nil),
	"POST /app/monitors/{monitor_id}/pause":                   {},
	"POST /app/monitors/{monitor_id}/resume":                  {},
	"POST /app/monitors/{monitor_id}/snooze":                  {"for": {"1h"}},
	"POST /app/monitors/{monitor_id}/unsnooze":                {},
	"GET /app/monitors/{monitor_id}/delete":                   nil,
	"POST /app/monitors/{monitor_id}/delete":                  {},
	"GET /app/projects/{project_id}/flow-keys":                nil,
	"POST /app/projects/{project_id}/flow-keys":               {"key": {"api.example.com:443"}, "rate": {"1"}},
	"GET /app/projects/{project_id}/flow-keys/{key}":          nil,
	"GET /app/projects/{project_id}/flow-keys/{key}/events":   nil,
	"POST /app/projects/{project_id}/flow-keys/{key}":         {"rate": {"1"}},
	"POST /app/projects/{project_id}/flow-keys/{key}/pause":   {},
	"POST /app/projects/{project_id}/flow-keys/{key}/resume":  {},
	"POST /app/projects/{project_id}/flow-keys/{key}/release": {},
	"POST /app/projects/{project_id}/flow-keys/{key}/delete":  {},
	"POST /app/projects/{project_id}/secrets":                 {"name": {"API_TOKEN"}, "value": {"mine now"}},
	"POST /app/projects/{project_id}/secrets/{name}/delete":   {},
	"GET /app/projects/{project_id}/workflows":                nil,
	"GET /app/projects/{project_id}/workflows/new":            nil,
	"POST /app/projects/{project_id}/workflows":               {"name": {"stolen"}, "steps[0].key": {"a"}, "steps[0].url": {"https://example.com/x"}},
	"GET /app/workflows/{workflow_id}":                        nil,
	"GET /app/workflows/{workflow_id}/edit":                   nil,
	"POST /app/workflows/{workflow_id}":                       {"name": {"mine now"}, "steps[0].key": {"a"}, "steps[0].url": {"https://example.com/x"}},
	"POST /app/workflows/{workflow_id}/runs":                  {"payload": {"{}"}},
	"GET /app/workflows/{workflow_id}/delete":                 nil,
	"POST /app/workflows/{workflow_id}/delete":                {},
	"GET /app/runs/{run_id}":                                  nil,
	"GET /app/runs/{run_id}/timeline":                         nil,
	"POST /app/runs/{run_id}/cancel":                          {},
	"POST /app/runs/{run_id}/retry":                           {"from": {"wait"}},
}

// fill puts ids into a route's path.
func fill(pattern string, ids map[string]string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	for k, v := range ids {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return method, path
}

func TestOtherTenantIDsAreNotFound(t *testing.T) {
	storetest.Dialects(t, testOtherTenantIDsAreNotFound)
}

func testOtherTenantIDsAreNotFound(t *testing.T, st store.Store) {
	f := newFixtureOn(t, st)
	d := f.d
	// The tenant who tries: a signed-in owner of their own organization.
	mallory := d.tenant(prikke.TierPro)
	mb := d.as(mallory)

	var withID []string
	for _, p := range routes(d.web) {
		if strings.Contains(p, "{") && !strings.Contains(p, "{$}") && strings.Contains(p, " /app/") {
			withID = append(withID, p)
			if _, ok := idRoutes[p]; !ok {
				t.Errorf("route %q takes an id but is not in idRoutes: add it, so other tenants' ids are checked", p)
			}
		}
	}
	for p := range idRoutes {
		if !slices.Contains(withID, p) {
			t.Errorf("idRoutes has %q, which routes.go does not register", p)
		}
	}
	theirs := map[string]string{
		"project_id": f.owner.Project.ID.String(), "job_id": f.job.ID.String(), "execution_id": f.exec.ID.String(),
		"org_id": f.owner.Org.ID.String(), "user_id": f.owner.User.ID.String(), "invitation_id": f.inv.ID.String(),
		"key_id": f.key.ID.String(), "channel_id": f.channel.ID.String(), "status_page_id": f.page.ID.String(),
		"monitor_id": f.monitor.ID.String(), "ping_id": f.ping.ID.String(), "key": "api.example.com:443",
		"workflow_id": f.workflow.ID.String(), "run_id": f.run.ID.String(), "name": "API_TOKEN",
	}
	garbage := map[string]string{}
	for k := range theirs {
		garbage[k] = "not-an-id"
	}
	for pattern, form := range idRoutes {
		for name, ids := range map[string]map[string]string{"another tenant's": theirs, "a malformed": garbage} {
			method, path := fill(pattern, ids)
			var r *reply
			if method == http.MethodGet {
				r = mb.get(path)
			} else {
				r = mb.post(path, form)
			}
			if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "This page does not exist") {
				t.Errorf("%s with %s ids: status %d, want the 404 page", pattern, name, r.Status)
			}
		}
	}
	// Mallory's own organization with the victim's user id.
	if r := mb.post("/app/orgs/"+mallory.Org.ID.String()+"/members/"+f.owner.User.ID.String()+"/role", url.Values{"role": {"viewer"}}); r.Status != http.StatusNotFound {
		t.Errorf("a stranger's membership: %s", r)
	}
	// Nothing changed.
	ctx := context.Background()
	a := f.owner.actor()
	if ks, err := d.svc.FlowKeys(ctx, a, f.owner.Project.ID); err != nil || len(ks) != 0 {
		t.Errorf("the victim's flow keys changed: %v %v", ks, err)
	}
	if j, _ := d.svc.Job(ctx, a, f.job.ID); !j.Enabled || j.Name != "nightly report" {
		t.Errorf("the job changed: %+v", j)
	}
	if k, _ := d.store.APIKeyGet(ctx, f.key.ID); !k.Active() {
		t.Error("the key was revoked")
	}
	if p, _ := d.svc.Project(ctx, a, f.owner.Project.ID); p.Name != "Default" {
		t.Errorf("the project changed: %+v", p)
	}
	if ms, _ := d.svc.Members(ctx, a, f.owner.Org.ID); len(ms) != 1 || ms[0].Role != prikke.RoleOwner {
		t.Errorf("the members changed: %v", ms)
	}
	assertChannelsAndPagesUnchanged(t, f)
	if wf, err := d.svc.Workflow(ctx, a, f.workflow.ID); err != nil || wf.Version != 1 || wf.Name != "nightly wait" {
		t.Errorf("the workflow changed: %+v %v", wf, err)
	}
	if run, _, err := d.svc.Run(ctx, a, f.run.ID); err != nil || run.Status != f.run.Status {
		t.Errorf("the run changed: %+v %v", run, err)
	}
	if rs, _ := d.svc.Runs(ctx, a, service.RunFilter{WorkflowID: &f.workflow.ID}); len(rs) != 1 {
		t.Errorf("%d runs, want 1", len(rs))
	}
	if ss, _ := d.svc.Secrets(ctx, a, f.owner.Project.ID); len(ss) != 1 || ss[0].UpdatedAt.After(f.run.CreatedAt.Add(time.Minute)) {
		t.Errorf("the secrets changed: %+v", ss)
	}
	if d.sink.Count() != 0 {
		t.Errorf("%d requests reached the sink: a test notification was sent", d.sink.Count())
	}
}

// assertChannelsAndPagesUnchanged fails when the fixture's channel or
// status page changed, or one was added.
func assertChannelsAndPagesUnchanged(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	a := f.owner.actor()
	if cs, _ := f.d.svc.Channels(ctx, a, f.owner.Project.ID); len(cs) != 1 || cs[0].Name != "ops hook" || !cs[0].Enabled {
		t.Errorf("the channels changed: %+v", cs)
	}
	if ps, _ := f.d.svc.StatusPages(ctx, a, f.owner.Project.ID); len(ps) != 1 || ps[0].Title != "Acme integrations" || ps[0].Slug != "acme-status" {
		t.Errorf("the status pages changed: %+v", ps)
	}
	if ns, _ := f.d.svc.Notifications(ctx, a, f.owner.Project.ID, 10); len(ns) != 0 {
		t.Errorf("%d notifications were sent", len(ns))
	}
}

// TestDashboardNeedsSession: without a session, every dashboard route
// sends to the login page, and an action does nothing.
func TestDashboardNeedsSession(t *testing.T) {
	f := newFixture(t)
	anon := f.d.anon()
	ids := map[string]string{
		"project_id": f.owner.Project.ID.String(), "job_id": f.job.ID.String(), "execution_id": f.exec.ID.String(),
		"org_id": f.owner.Org.ID.String(), "user_id": f.owner.User.ID.String(), "invitation_id": f.inv.ID.String(),
		"key_id": f.key.ID.String(), "channel_id": f.channel.ID.String(), "status_page_id": f.page.ID.String(),
		"monitor_id": f.monitor.ID.String(), "ping_id": f.ping.ID.String(), "key": "api.example.com:443", "$": "",
		"workflow_id": f.workflow.ID.String(), "run_id": f.run.ID.String(), "name": "API_TOKEN",
	}
	n := 0
	for _, pattern := range routes(f.d.web) {
		if !strings.Contains(pattern, " /app") && pattern != "POST /invitations/accept" {
			continue
		}
		n++
		method, path := fill(pattern, ids)
		var r *reply
		if method == http.MethodGet {
			r = anon.get(path)
		} else {
			r = anon.post(path, url.Values{"name": {"x"}})
		}
		want := "/login"
		if method == http.MethodGet {
			want = "/login?next=" + url.QueryEscape(path)
		}
		if r.Status != http.StatusSeeOther || r.location() != want {
			t.Errorf("%s: %d to %q, want 303 to %q", pattern, r.Status, r.location(), want)
		}
	}
	if n < 40 {
		t.Errorf("only %d dashboard routes checked", n)
	}
	// htmx requests are told where to go instead.
	r := anon.get("/app/projects/"+ids["project_id"]+"/schedule-preview", "HX-Request", "true")
	if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/login") {
		t.Errorf("htmx without a session: %s", r)
	}
	if j, _ := f.d.svc.Job(context.Background(), f.owner.actor(), f.job.ID); !j.Enabled {
		t.Error("an anonymous POST paused the job")
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(f.d.srv.URL)
	anon.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "prikke_session", Value: "forged", Path: "/"}})
	if r := anon.get("/app/account"); r.Status != http.StatusSeeOther {
		t.Errorf("forged session: %s", r)
	}
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	f := newFixture(t)
	jp := "/app/jobs/" + f.job.ID.String()
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		r := f.b.post(jp+"/pause", url.Values{}, hdr...)
		if r.Status != http.StatusForbidden {
			t.Errorf("%v: %s", hdr, r)
		}
	}
	if r := f.b.post("/app/orgs/"+f.owner.Org.ID.String()+"/api-keys", url.Values{"name": {"x"}}, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site key creation: %s", r)
	}
	if r := f.d.anon().post("/login", url.Values{"email": {"a@example.com"}}, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site login: %s", r)
	}
	if j, _ := f.d.svc.Job(context.Background(), f.owner.actor(), f.job.ID); !j.Enabled {
		t.Error("a cross-site POST paused the job")
	}
	if ks, _ := f.d.svc.APIKeys(context.Background(), f.owner.actor(), f.owner.Org.ID); len(ks) != 1 {
		t.Errorf("%d keys", len(ks))
	}
	// A GET cannot change anything: actions answer only POST.
	if r := f.b.get(jp + "/pause"); r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
		t.Errorf("GET pause: %s", r)
	}
}

func TestViewerCannotChangeAnything(t *testing.T) {
	f := newFixture(t)
	d := f.d
	viewer := d.tenant(prikke.TierFree)
	d.member(f.owner, viewer.User, prikke.RoleViewer)
	vb := d.as(viewer)
	ids := map[string]string{
		"project_id": f.owner.Project.ID.String(), "job_id": f.job.ID.String(), "execution_id": f.exec.ID.String(),
		"org_id": f.owner.Org.ID.String(), "user_id": f.owner.User.ID.String(), "invitation_id": f.inv.ID.String(),
		"key_id": f.key.ID.String(), "channel_id": f.channel.ID.String(), "status_page_id": f.page.ID.String(),
		"monitor_id": f.monitor.ID.String(), "ping_id": f.ping.ID.String(),
	}
	forbidden := []string{
		"GET /app/projects/{project_id}/jobs/new",
		"POST /app/projects/{project_id}/jobs",
		"GET /app/jobs/{job_id}/edit",
		"POST /app/jobs/{job_id}",
		"GET /app/jobs/{job_id}/delete",
		"POST /app/jobs/{job_id}/delete",
		"POST /app/jobs/{job_id}/pause",
		"POST /app/jobs/{job_id}/resume",
		"POST /app/jobs/{job_id}/run",
		"POST /app/projects/{project_id}/settings",
		"POST /app/projects/{project_id}/secret/reveal",
		"POST /app/projects/{project_id}/secret/rotate",
		"GET /app/projects/{project_id}/delete",
		"POST /app/projects/{project_id}/delete",
		"POST /app/orgs/{org_id}/projects",
		"POST /app/orgs/{org_id}/members/{user_id}/role",
		"POST /app/orgs/{org_id}/members/{user_id}/remove",
		"POST /app/orgs/{org_id}/invitations",
		"POST /app/invitations/{invitation_id}/revoke",
		"GET /app/orgs/{org_id}/api-keys",
		"POST /app/orgs/{org_id}/api-keys",
		"POST /app/api-keys/{key_id}/revoke",
		"POST /app/projects/{project_id}/channels",
		"POST /app/channels/{channel_id}",
		"POST /app/channels/{channel_id}/enable",
		"POST /app/channels/{channel_id}/disable",
		"POST /app/channels/{channel_id}/test",
		"GET /app/channels/{channel_id}/delete",
		"POST /app/channels/{channel_id}/delete",
		"GET /app/projects/{project_id}/monitors/new",
		"POST /app/projects/{project_id}/monitors",
		"POST /app/projects/{project_id}/monitors/snooze",
		"GET /app/monitors/{monitor_id}/edit",
		"POST /app/monitors/{monitor_id}",
		"POST /app/monitors/{monitor_id}/pause",
		"POST /app/monitors/{monitor_id}/resume",
		"POST /app/monitors/{monitor_id}/snooze",
		"POST /app/monitors/{monitor_id}/unsnooze",
		"GET /app/monitors/{monitor_id}/delete",
		"POST /app/monitors/{monitor_id}/delete",
		"GET /app/projects/{project_id}/status-pages/new",
		"POST /app/projects/{project_id}/status-pages",
		"GET /app/status-pages/{status_page_id}/edit",
		"POST /app/status-pages/{status_page_id}",
		"GET /app/status-pages/{status_page_id}/delete",
		"POST /app/status-pages/{status_page_id}/delete",
	}
	for _, pattern := range forbidden {
		method, path := fill(pattern, ids)
		var r *reply
		if method == http.MethodGet {
			r = vb.get(path)
		} else {
			r = vb.post(path, idRoutes[pattern])
		}
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "not allow") {
			t.Errorf("%s as a viewer: status %d, want 403 with the reason\n%s", pattern, r.Status, r)
		}
	}
	// The test request is a fragment: it says why, and sends nothing.
	if r := vb.post(fill2("POST /app/projects/{project_id}/jobs/test", ids), jobForm(d.sink.URL("/ok"), nil)); !strings.Contains(r.Body, "does not allow") || d.sink.Count() != 0 {
		t.Errorf("viewer test request: %s (sink %d)", r, d.sink.Count())
	}
	// Reading is allowed, without the buttons a viewer cannot use.
	for _, path := range []string{"/app/projects/" + ids["project_id"], "/app/projects/" + ids["project_id"] + "/jobs", "/app/jobs/" + ids["job_id"],
		"/app/executions/" + ids["execution_id"], "/app/orgs/" + ids["org_id"] + "/members", "/app/orgs/" + ids["org_id"] + "/usage",
		"/app/projects/" + ids["project_id"] + "/settings", "/app/projects/" + ids["project_id"] + "/channels",
		"/app/projects/" + ids["project_id"] + "/status-pages"} {
		r := vb.get(path)
		if r.Status != 200 {
			t.Errorf("%s as a viewer: %s", path, r)
			continue
		}
		for _, s := range []string{"New job", "/pause\"", "/run\"", "Send invitation", "Reveal the secret", `/role"`,
			"Add channel", "/test\"", "/disable\"", "/delete\"", "Rename", "New status page", "/edit\""} {
			if strings.Contains(r.Body, s) {
				t.Errorf("%s shows a viewer %q", path, s)
			}
		}
	}
	ctx := context.Background()
	a := f.owner.actor()
	if j, _ := d.svc.Job(ctx, a, f.job.ID); !j.Enabled || j.Name != "nightly report" {
		t.Errorf("the job changed: %+v", j)
	}
	if ks, _ := d.svc.APIKeys(ctx, a, f.owner.Org.ID); len(ks) != 1 || !ks[0].Active() {
		t.Error("the keys changed")
	}
	if es, _ := d.svc.Executions(ctx, a, service.ExecutionFilter{JobID: &f.job.ID}); len(es) != 2 {
		t.Errorf("%d executions", len(es))
	}
	assertChannelsAndPagesUnchanged(t, f)
	if d.sink.Count() != 0 {
		t.Errorf("%d requests reached the sink", d.sink.Count())
	}
}

func fill2(pattern string, ids map[string]string) string {
	_, p := fill(pattern, ids)
	return p
}

// TestHostileNamesAreText: names are shown as text on every page.
func TestHostileNamesAreText(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	ctx := context.Background()
	a := tn.actor()
	evil := "<script>alert(1)</script>"
	o, err := d.svc.CreateOrganization(ctx, a, evil)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := d.svc.Projects(ctx, a, o.ID)
	p, err := d.svc.UpdateProject(ctx, a, ps[0].ID, service.ProjectInput{Name: &evil})
	if err != nil {
		t.Fatal(err)
	}
	target, expr, zone := d.sink.URL("/ok"), "0 9 * * *", "UTC"
	j, err := d.svc.CreateJob(ctx, a, &service.JobInput{ProjectID: &p.ID, Name: &evil, URL: &target, CronExpression: &expr, TimeZone: &zone,
		Headers: &[]prikke.Header{{Name: "X-Evil", Value: evil}}, Body: &evil})
	if err != nil {
		t.Fatal(err)
	}
	full, _, err := d.svc.CreateAPIKey(ctx, a, o.ID, service.APIKeyInput{Name: evil, ProjectID: &p.ID})
	if err != nil {
		t.Fatal(err)
	}
	e := d.finishedExecution(j, prikke.ExecutionStatusSuccess, []byte(evil))
	hook := d.sink.URL("/ok")
	ch, err := d.svc.CreateChannel(ctx, a, p.ID, service.ChannelInput{Name: &evil, Target: &hook})
	if err != nil {
		t.Fatal(err)
	}
	slug, published := "evil-page", true
	sp, err := d.svc.CreateStatusPage(ctx, a, p.ID, service.StatusPageInput{Slug: &slug, Title: &evil, Published: &published,
		Jobs: &[]prikke.StatusPageJob{{JobID: j.ID, DisplayName: evil}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.UpdateJob(ctx, a, j.ID, &service.JobInput{Notify: new("custom"), ChannelIDs: &[]prikke.ID{ch.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.OpenIncident(ctx, service.IncidentInput{Title: evil, Message: evil, Components: []string{"api"}}); err != nil {
		t.Fatal(err)
	}
	b := d.as(tn)
	pages := []string{"/app/projects/" + p.ID.String(), "/app/projects/" + p.ID.String() + "/jobs", "/app/projects/" + p.ID.String() + "/executions",
		"/app/projects/" + p.ID.String() + "/settings", "/app/jobs/" + j.ID.String(), "/app/jobs/" + j.ID.String() + "/edit",
		"/app/jobs/" + j.ID.String() + "/delete", "/app/executions/" + e.ID.String(), "/app/orgs/" + o.ID.String() + "/projects",
		"/app/orgs/" + o.ID.String() + "/members", "/app/orgs/" + o.ID.String() + "/api-keys", "/app/orgs/" + o.ID.String() + "/usage",
		"/app/projects/" + p.ID.String() + "/delete", "/app/projects/" + p.ID.String() + "/channels", "/app/channels/" + ch.ID.String() + "/delete",
		"/app/projects/" + p.ID.String() + "/status-pages", "/app/status-pages/" + sp.ID.String() + "/edit",
		"/app/status-pages/" + sp.ID.String() + "/delete", "/s/evil-page", "/status"}
	for _, path := range pages {
		r := b.get(path)
		if r.Status != 200 {
			t.Errorf("%s: %s", path, r)
			continue
		}
		if strings.Contains(r.Body, "<script>alert") {
			t.Errorf("%s: unescaped script", path)
		}
		if !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the name as text", path)
		}
	}
	// The page that shows a new key once.
	r := b.post("/app/orgs/"+o.ID.String()+"/api-keys", url.Values{"name": {evil}})
	if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, full) {
		t.Error("the key page is unescaped, or shows an older key")
	}
	// A hostile name in the form comes back escaped too.
	r = b.post("/app/projects/"+p.ID.String()+"/jobs", jobForm("ftp://x", func(v url.Values) { v.Set("name", evil) }))
	if strings.Contains(r.Body, "<script>alert") || !strings.Contains(r.Body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Errorf("the re-rendered form: %s", r)
	}
}

// TestNoServerErrorForUserInput: whatever a user types or puts in a URL
// is answered with a page that says what is wrong, never a 500 (the
// harness fails any 500 with the server's log). Run on both stores:
// PostgreSQL refuses NUL bytes and invalid UTF-8 that SQLite keeps.
func TestNoServerErrorForUserInput(t *testing.T) {
	storetest.Dialects(t, testNoServerErrorForUserInput)
}

func testNoServerErrorForUserInput(t *testing.T, st store.Store) {
	f := newFixtureOn(t, st)
	p, j := f.owner.Project.ID.String(), f.job.ID.String()
	nasty := []string{"\x00", "\xff\xfe", "a\x00b", strings.Repeat("x", 5000), "../../etc/passwd", "<script>alert(1)</script>",
		"' OR 1=1 --", "%00", "😀", "-1", "99999999999999999999", " "}
	for _, s := range nasty {
		q := url.QueryEscape(s)
		for _, path := range []string{
			"/app/projects/" + p + "/jobs?q=" + q,
			"/app/projects/" + p + "/jobs?after=" + q + "&after_id=" + q,
			"/app/projects/" + p + "/executions?status=" + q + "&range=" + q + "&before=" + q + "&before_id=" + q,
			"/app/jobs/" + j + "?status=" + q + "&before=2026-01-01T00:00:00Z&before_id=" + q,
			"/app/projects/" + p + "/schedule-preview?schedule_kind=" + q + "&cron_expression=" + q + "&timezone=" + q + "&viewer_tz=" + q,
			"/app/projects/" + p + "/schedule-preview?schedule_kind=once&scheduled_at=" + q + "&timezone=" + q,
			"/app/projects/" + p + "/schedule-preview?schedule_kind=interval&interval=" + q,
			"/login?next=" + q, "/signup?email=" + q + "&next=" + q, "/reset-password?token=" + q, "/confirm?token=" + q,
			"/invitations/accept?token=" + q, "/forgot-password?email=" + q,
			"/channels/confirm?token=" + q, "/s/" + url.PathEscape(s), "/status?x=" + q, "/status.json?x=" + q,
			"/jobs/" + url.PathEscape(s), "/jobs/" + j + "/executions/" + url.PathEscape(s), "/projects/" + url.PathEscape(s) + "/channels",
			"/settings/usage?org=" + q,
		} {
			if r := f.b.get(path); r.Status >= 500 {
				t.Errorf("GET %s: %d", path, r.Status)
			}
		}
		for _, fm := range nastyForms(f, s, q) {
			if r := f.b.post(fm.path, fm.form); r.Status >= 500 {
				t.Errorf("POST %s with %q: %d", fm.path, s, r.Status)
			}
		}
	}
	// A form too large to read is a clear 413.
	big := url.Values{"name": {strings.Repeat("x", 2<<20)}}
	if r := f.b.post("/app/orgs", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB form: %s", r)
	}
}

type postedForm struct {
	path string
	form url.Values
}

// nastyForms are every form of the dashboard with s in its fields.
func nastyForms(f *fixture, s, q string) []postedForm {
	p, j, o := f.owner.Project.ID.String(), f.job.ID.String(), f.owner.Org.ID.String()
	c, sp := f.channel.ID.String(), f.page.ID.String()
	page := func(edit func(url.Values)) url.Values {
		v := url.Values{"title": {s}, "slug": {s}, "published": {s}, "job_ids": {s, j}, "display_names[" + j + "]": {s}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	return []postedForm{
		{"/app/projects/" + p + "/channels", url.Values{"name": {s}, "target": {s}}},
		{"/app/projects/" + p + "/channels", url.Values{"name": {s}, "target": {"https://example.com/" + q}}},
		{"/app/projects/" + p + "/channels", url.Values{"target": {s + "@example.com"}}},
		{"/app/channels/" + c, url.Values{"name": {s}}},
		{"/app/projects/" + p + "/status-pages", page(nil)},
		{"/app/projects/" + p + "/status-pages", page(func(v url.Values) { v.Set("slug", "fine-slug"); v.Set("title", "Fine") })},
		{"/app/status-pages/" + sp, page(nil)},
		{"/app/status-pages/" + sp, page(func(v url.Values) {
			v.Set("slug", "acme-status")
			v.Set("title", "Fine")
			v["job_ids"] = []string{j, j, s}
		})},
		{"/app/jobs/" + j, jobForm("https://example.com/", func(v url.Values) { v.Set("notify", s); v.Set("channel_ids", s) })},
		{"/app/jobs/" + j, jobForm("https://example.com/", func(v url.Values) { v.Set("notify", "custom"); v["channel_ids"] = []string{s, c, c} })},
		{"/app/projects/" + p + "/jobs", jobForm("https://example.com/", func(v url.Values) { v.Set("notify", "custom"); v.Set("channel_ids", s) })},
		{"/app/projects/" + p + "/jobs", jobForm("https://example.com/"+q, func(v url.Values) {
			for _, k := range []string{"name", "body", "headers[0].name", "headers[0].value", "cron_expression", "timezone", "method", "catch_up", "overlap", "timeout_ms"} {
				v.Set(k, s)
			}
		})},
		{"/app/projects/" + p + "/jobs", jobForm(s, func(v url.Values) { v.Set("schedule_kind", "once"); v.Set("scheduled_at", s) })},
		{"/app/jobs/" + j, jobForm(s, func(v url.Values) { v.Set("schedule_kind", s); v.Set("interval", s) })},
		{"/app/jobs/" + j, jobForm("https://example.com/", func(v url.Values) { v.Set("schedule_kind", "interval"); v.Set("interval", s) })},
		{"/app/projects/" + p + "/jobs/test", jobForm(s, nil)},
		{"/app/projects/" + p + "/settings", url.Values{"name": {s}, "alert_after": {s}}},
		{"/app/orgs/" + o + "/projects", url.Values{"name": {s}}},
		{"/app/orgs", url.Values{"name": {s}}},
		{"/app/orgs/" + o + "/api-keys", url.Values{"name": {s}, "project_id": {s}}},
		{"/app/orgs/" + o + "/invitations", url.Values{"email": {s}, "role": {s}}},
		{"/app/orgs/" + o + "/members/" + f.owner.User.ID.String() + "/role", url.Values{"role": {s}}},
		{"/app/jobs/" + j + "/pause", url.Values{"back": {s}}},
		{"/app/jobs/" + j + "/resume", url.Values{"back": {s}}},
		{"/app/account/email", url.Values{"email": {s}, "current_password": {s}}},
		{"/invitations/accept", url.Values{"token": {s}}},
		{"/invitations/decline", url.Values{"token": {s}}},
		{"/reset-password", url.Values{"token": {s}, "password": {s + "long enough"}}},
		{"/forgot-password", url.Values{"email": {s}}},
		{"/confirm/resend", url.Values{"email": {s}}},
		{"/signup", url.Values{"email": {s}, "password": {s}, "next": {s}}},
		{"/login", url.Values{"email": {s}, "password": {s}, "next": {s}}},
	}
}
