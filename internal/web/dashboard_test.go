package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// fixture is one tenant with something on every page: two projects, a
// job with executions, an API key and an invitation.
type fixture struct {
	d       *dash
	owner   *tenant
	b       *browser
	job     *prikke.Job
	exec    *prikke.Execution
	project *prikke.Project // the second project
	key     *prikke.APIKey
	inv     *prikke.Invitation
	channel *prikke.Channel    // a webhook channel to the sink
	page    *prikke.StatusPage // a published status page showing the job
	monitor *prikke.Monitor    // a monitor with one ping
	ping    *prikke.Ping
	// A workflow of one delay step and its run, which waits a day (no
	// execution, nothing sent), and a project secret.
	workflow *prikke.Workflow
	run      *prikke.WorkflowRun
}

func newFixture(t *testing.T) *fixture { return newFixtureOn(t, nil) }

// newFixtureOn makes the fixture on st (nil: a fresh SQLite store).
func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	d := newDash(t, st)
	f := &fixture{d: d, owner: d.tenant(prikke.TierFree)}
	ctx := context.Background()
	a := f.owner.actor()
	f.job = d.job(f.owner, "nightly report", d.sink.URL("/ok"))
	d.finishedExecution(f.job, prikke.ExecutionStatusFailed, []byte("boom"))
	f.exec = d.finishedExecution(f.job, prikke.ExecutionStatusSuccess, []byte("everything is fine, thanks"))
	name := "second"
	var err error
	if f.project, err = d.svc.CreateProject(ctx, a, f.owner.Org.ID, service.ProjectInput{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, f.key, err = d.svc.CreateAPIKey(ctx, a, f.owner.Org.ID, service.APIKeyInput{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	if f.inv, err = d.svc.Invite(ctx, a, f.owner.Org.ID, "new@example.com", prikke.RoleMember); err != nil {
		t.Fatal(err)
	}
	hook, hookName := d.sink.URL("/ok"), "ops hook"
	if f.channel, err = d.svc.CreateChannel(ctx, a, f.owner.Project.ID, service.ChannelInput{Name: &hookName, Target: &hook}); err != nil {
		t.Fatal(err)
	}
	slug, title, published := "acme-status", "Acme integrations", true
	if f.page, err = d.svc.CreateStatusPage(ctx, a, f.owner.Project.ID, service.StatusPageInput{Slug: &slug, Title: &title, Published: &published,
		Jobs: &[]prikke.StatusPageJob{{JobID: f.job.ID, DisplayName: "Invoice sync"}}}); err != nil {
		t.Fatal(err)
	}
	f.monitor = d.monitor(f.owner, "db backup", "1h")
	f.ping = d.ping(f.monitor, prikke.PingSuccess, "dumped")
	f.workflow = d.workflow(f.owner, "nightly wait", prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}},
		prikke.Step{Key: "report", URL: "https://example.com/report"})
	if f.run, _, err = d.svc.RunStart(ctx, a, f.workflow.ID, &service.RunInput{Trigger: prikke.RunTriggerDashboard}); err != nil {
		t.Fatal(err)
	}
	if _, err = d.svc.SecretPut(ctx, a, f.owner.Project.ID, "API_TOKEN", "fixture-secret-value"); err != nil {
		t.Fatal(err)
	}
	f.b = d.as(f.owner)
	return f
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

func TestDashboardPages(t *testing.T) {
	storetest.Dialects(t, testDashboardPages)
}

func testDashboardPages(t *testing.T, st store.Store) {
	f := newFixtureOn(t, st)
	p, j, o := f.owner.Project.ID.String(), f.job.ID.String(), f.owner.Org.ID.String()
	pages := []struct {
		path, title string
		want        []string
	}{
		{"/app/projects/" + p, "Default · org", []string{"Next runs", "Recent failures", "nightly report", "Success rate, 24 hours", `<progress class="progress"`, "50%"}},
		{"/app/projects/" + p + "/jobs", "Jobs · Default", []string{"nightly report", "At 09:00, Monday through Friday (Europe/Oslo)", `data-testid="sparkline"`, "Last 2 runs: 1 success, 1 failed", "/app/jobs/" + j + "/pause"}},
		{"/app/projects/" + p + "/jobs?q=nightly", "Jobs", []string{"nightly report"}},
		{"/app/projects/" + p + "/jobs/new", "New job", []string{`name="cron_expression"`, `data-testid="schedule-preview"`, "At 09:00, Monday through Friday", `name="headers[0].name"`, `data-viewer-default`, `id="header-row-template"`, `data-testid="notify"`, `name="notify" value="project" class="accent-emerald-600" checked`}},
		{"/app/projects/" + p + "/executions", "Executions · Default", []string{"nightly report", `data-testid="duration-chart"`}},
		{"/app/projects/" + p + "/executions?status=failed&range=24h", "Executions", []string{`<option value="failed" selected>`}},
		{"/app/projects/" + p + "/settings", "Settings · Default", []string{"Reveal the secret", "Rotate the secret", "hmac.Equal", "timingSafeEqual"}},
		{"/app/projects/" + p + "/delete", "Delete Default", []string{"Delete project"}},
		{"/app/projects/" + p + "/schedule-preview?schedule_kind=cron&cron_expression=30+9+*+*+1-5&timezone=Europe/Oslo", "", []string{"At 09:30, Monday through Friday"}},
		{"/app/jobs/" + j, "nightly report · Default", []string{`sse-connect="/app/jobs/` + j + `/events"`, `sse-swap="execution"`, `data-live-rows="prepend"`, `id="execution-` + f.exec.ID.String() + `"`, "Run now", `sse-swap="job-summary"`}},
		{"/app/jobs/" + j + "/edit", "Edit nightly report", []string{`value="0 9 * * 1-5"`, `<option value="Europe/Oslo" selected>`, "Save job"}},
		{"/app/jobs/" + j + "/delete", "Delete nightly report", []string{"Delete job and history"}},
		{"/app/executions/" + f.exec.ID.String(), "Execution of nightly report", []string{"HTTP 200", "everything is fine, thanks", "only the first 64 KiB were kept", "msg_", "webhook-id"}},
		{"/app/orgs/new", "New organization", []string{`action="/app/orgs"`}},
		{"/app/orgs/" + o + "/projects", "Projects · org", []string{"second", "Create project"}},
		{"/app/orgs/" + o + "/members", "Members · org", []string{f.owner.User.Email, "new@example.com", "Send invitation"}},
		{"/app/orgs/" + o + "/api-keys", "API keys · org", []string{f.key.KeyID, "Create key"}},
		{"/app/orgs/" + o + "/usage", "Usage and plan · org", []string{"Your current plan", "5,000 requests / month"}},
		{"/app/account", "Account — prikke", []string{"Sign out other sessions", "this browser", "Delete my account"}},
		{"/app/projects/" + p + "/channels", "Notifications · Default", []string{"ops hook", ">Webhook<", ">Active<", "Send test notification", "Add channel", "Nothing sent yet", `aria-current="page"`}},
		{"/app/channels/" + f.channel.ID.String() + "/delete", "Delete ops hook", []string{"Delete channel"}},
		{"/app/projects/" + p + "/status-pages", "Status pages · Default", []string{"Acme integrations", `href="/s/acme-status"`, "New status page", "Published"}},
		{"/app/projects/" + p + "/status-pages/new", "New status page", []string{`name="slug"`, `name="job_ids" value="` + j + `"`, "Create status page"}},
		{"/app/status-pages/" + f.page.ID.String() + "/edit", "Edit Acme integrations", []string{`value="acme-status"`, `value="Invoice sync"`, "Save status page"}},
		{"/app/status-pages/" + f.page.ID.String() + "/delete", "Delete Acme integrations", []string{"Delete status page", "/s/acme-status"}},
		{"/app/projects/" + p + "/monitors", "Monitors · Default", []string{"db backup", "Every 1 hour", `data-status="up"`, `aria-current="page"`}},
		{"/app/projects/" + p + "/monitors/new", "New monitor", []string{`name="period"`, `value="24h"`, `value="1h"`, "Create monitor"}},
		{"/app/monitors/" + f.monitor.ID.String(), "db backup · Default", []string{`id="ping-` + f.ping.ID.String() + `"`, `sse-swap="ping"`, `sse-swap="monitor-summary"`, "Ping URL", "Snooze alerts"}},
		{"/app/monitors/" + f.monitor.ID.String() + "/edit", "Edit db backup", []string{`value="db-backup"`, "Save monitor"}},
		{"/app/monitors/" + f.monitor.ID.String() + "/delete", "Delete db backup", []string{"Delete monitor and pings"}},
		{"/app/monitors/" + f.monitor.ID.String() + "/pings/" + f.ping.ID.String(), "Ping · db backup", []string{"dumped", "192.0.2.7"}},
		{"/app/jobs/" + j + "/edit", "Edit nightly report", []string{`id="notify-project" type="radio" name="notify" value="project" class="accent-emerald-600" checked`, `name="channel_ids" value="` + f.channel.ID.String() + `"`}},
		{"/app/projects/" + p + "/workflows", "Workflows · Default", []string{"nightly wait", `href="/app/workflows/` + f.workflow.ID.String() + `"`, `aria-current="page"`}},
		{"/app/workflows/" + f.workflow.ID.String(), "nightly wait · Workflows", []string{`data-step="wait"`, "delay 24h", `href="/app/runs/` + f.run.ID.String() + `"`, "Run now"}},
		{"/app/workflows/" + f.workflow.ID.String() + "/edit", "Edit nightly wait", []string{`name="steps[0].delay.duration" type="text" value="24h"`, "Save a new version", `name="definition"`}},
		{"/app/runs/" + f.run.ID.String(), "Run " + f.run.ID.String(), []string{`data-step-key="wait"`, `data-testid="run-timeline"`}},
		{"/app/projects/" + p + "/settings", "Settings · Default", []string{`data-secret="API_TOKEN"`, `data-testid="secret-form"`}},
	}
	ids := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`)
	for _, pg := range pages {
		t.Run(ids.ReplaceAllString(pg.path, "{id}"), func(t *testing.T) {
			r := f.b.get(pg.path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			if pg.title != "" {
				m := titleRE.FindStringSubmatch(r.Body)
				if m == nil || !strings.Contains(m[1], pg.title) {
					t.Errorf("title %q, want %q", m, pg.title)
				}
				for _, s := range []string{`class="skip-link"`, `id="main"`, `data-testid="switcher"`, `action="/logout"`} {
					if !strings.Contains(r.Body, s) {
						t.Errorf("the layout lacks %q", s)
					}
				}
			}
			for _, s := range pg.want {
				if !strings.Contains(r.Body, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
	// /app opens the project; an organization opens its project.
	if r := f.b.get("/app"); r.Status != http.StatusSeeOther || r.location() != "/app/projects/"+p {
		t.Errorf("/app: %s", r)
	}
	if r := f.b.get("/app/orgs/" + o); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/app/projects/") {
		t.Errorf("/app/orgs/{id}: %s", r)
	}
}

func TestPublicAccountPages(t *testing.T) {
	d := newDash(t, nil)
	b := d.anon()
	for _, pg := range []struct {
		path   string
		status int
		want   string
	}{
		{"/signup", 200, `autocomplete="new-password"`},
		{"/login", 200, `action="/login"`},
		{"/login?next=/app/account", 200, `name="next" value="/app/account"`},
		{"/login?next=//evil.example/x", 200, `action="/login"`},
		{"/forgot-password", 200, `action="/forgot-password"`},
		{"/reset-password?token=abc", 200, `name="token" value="abc"`},
		{"/reset-password", 200, "needs the link from your password reset mail"},
		{"/confirm?token=nope", 200, `name="token" value="nope"`}, // opening only asks
		{"/confirm", 422, "This link does not work"},
		{"/invitations/accept?token=nope", 404, "This invitation does not work"},
	} {
		r := b.get(pg.path)
		if r.Status != pg.status || !strings.Contains(r.Body, pg.want) {
			t.Errorf("%s: status %d, want %d with %q\n%s", pg.path, r.Status, pg.status, pg.want, r.Body)
		}
		if strings.Contains(r.Body, "evil.example") {
			t.Errorf("%s: the page carries an off-site next", pg.path)
		}
	}
}

// TestSignupLoginFlow signs up, confirms through the mailed link, signs
// in, lands on the dashboard, and signs out.
func TestSignupLoginFlow(t *testing.T) {
	d := newDash(t, nil)
	b := d.anon()
	r := b.post("/signup", url.Values{"email": {"Ann@Example.com"}, "password": {"short"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "password") == "" {
		t.Fatalf("short password: %s", r)
	}
	if !strings.Contains(describedBy(r.Body, "field-password"), "field-password-error") {
		t.Errorf("the password error is not linked to its input: %q", describedBy(r.Body, "field-password"))
	}
	if strings.Contains(r.Body, `value="short"`) {
		t.Error("the password is sent back")
	}
	r = b.post("/signup", url.Values{"email": {"Ann@Example.com"}, "password": {"a long enough passphrase"}, "next": {"/app/account"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "ann@example.com") || !strings.Contains(r.Body, `href="/dev/mailbox"`) {
		t.Fatalf("signup: %s", r)
	}
	// Not confirmed yet: sign-in says so.
	r = b.post("/login", url.Values{"email": {"ann@example.com"}, "password": {"a long enough passphrase"}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Confirm your email address first") {
		t.Fatalf("unconfirmed login: %s", r)
	}
	tok := d.mailToken("ann@example.com")
	// Opening the link (as a mail scanner does) only asks.
	r = b.get("/confirm?token=" + tok)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="confirm-form"`) {
		t.Fatalf("confirm link: %s", r)
	}
	if r := b.post("/login", url.Values{"email": {"ann@example.com"}, "password": {"a long enough passphrase"}}); r.Status != http.StatusForbidden {
		t.Fatalf("opening the link confirmed the address: %s", r)
	}
	r = b.post("/confirm", url.Values{"token": {tok}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Address confirmed") {
		t.Fatalf("confirm: %s", r)
	}
	if r := b.post("/confirm", url.Values{"token": {tok}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This link does not work") {
		t.Errorf("a used link: %s", r)
	}
	r = b.post("/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password!"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Incorrect email or password.") {
		t.Fatalf("wrong password: %s", r)
	}
	r = b.post("/login", url.Values{"email": {"ann@example.com"}, "password": {"a long enough passphrase"}, "next": {"https://evil.example/"}})
	if r.Status != http.StatusSeeOther || r.location() != "/app" {
		t.Fatalf("login: %s", r)
	}
	r = b.get("/app")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/app/projects/") {
		t.Fatalf("/app: %s", r)
	}
	r = b.get(r.location())
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "ann@example.com") {
		t.Fatalf("dashboard: %s", r)
	}
	// A signed-in user at /login goes to the dashboard.
	if r := b.get("/login"); r.Status != http.StatusSeeOther || r.location() != "/app" {
		t.Errorf("/login when signed in: %s", r)
	}
	r = b.post("/logout", nil)
	if r.Status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("logout: %s", r)
	}
	if r := b.get("/app/account"); r.Status != http.StatusSeeOther || r.location() != "/login?next=%2Fapp%2Faccount" {
		t.Errorf("after logout: %s", r)
	}
}

// TestLoginRateLimit: too many attempts are told so, plainly.
func TestLoginRateLimit(t *testing.T) {
	d := newDash(t, nil)
	b := d.anon()
	var r *reply
	for i := 0; i < 21; i++ {
		r = b.post("/login", url.Values{"email": {"nobody@example.com"}, "password": {"guess number " + string(rune('a'+i))}})
	}
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many attempts. Try again in") {
		t.Fatalf("the 21st attempt: %s", r)
	}
}

func TestPasswordReset(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenantWithPassword("bob@example.com")
	b := d.anon()
	if r := b.post("/forgot-password", url.Values{"email": {"bob@example.com"}}); r.Status != 200 || !strings.Contains(r.Body, "is on its way") {
		t.Fatalf("forgot: %s", r)
	}
	tok := d.mailToken("bob@example.com")
	if r := b.get("/reset-password?token=" + tok); r.Status != 200 || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("reset page: %s", r)
	}
	r := b.post("/reset-password", url.Values{"token": {tok}, "password": {"x"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "password") == "" {
		t.Fatalf("short: %s", r)
	}
	r = b.post("/reset-password", url.Values{"token": {tok}, "password": {"a brand new passphrase"}})
	if r.Status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("reset: %s", r)
	}
	r = b.post("/reset-password", url.Values{"token": {tok}, "password": {"a brand new passphrase"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "invalid or has expired") {
		t.Fatalf("reused token: %s", r)
	}
	r = b.post("/login", url.Values{"email": {tn.User.Email}, "password": {"a brand new passphrase"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login with the new password: %s", r)
	}
}

func TestInvitationFlow(t *testing.T) {
	d := newDash(t, nil)
	owner := d.tenant(prikke.TierFree)
	ob := d.as(owner)
	r := ob.post("/app/orgs/"+owner.Org.ID.String()+"/invitations", url.Values{"email": {"not an address"}, "role": {"member"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "email") == "" {
		t.Fatalf("bad invite: %s", r)
	}
	r = ob.post("/app/orgs/"+owner.Org.ID.String()+"/invitations", url.Values{"email": {"carl@example.com"}, "role": {"admin"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("invite: %s", r)
	}
	tok := d.mailToken("carl@example.com")
	link := "/invitations/accept?token=" + tok

	// Signed out: the page says who invited whom, and offers sign-in.
	r = d.anon().get(link)
	if r.Status != 200 || !strings.Contains(r.Body, owner.User.Email) || !strings.Contains(r.Body, "as Admin") ||
		!strings.Contains(r.Body, "/login?next=%2finvitations%2faccept%3ftoken%3d"+strings.ToLower(tok)) && !strings.Contains(r.Body, "/login?next=%2finvitations%2faccept") {
		t.Fatalf("invitation page: %s", r)
	}
	// Someone else signed in: told to switch.
	other := d.tenant(prikke.TierFree)
	if r := d.as(other).get(link); !strings.Contains(r.Body, "Sign out, then sign in") {
		t.Errorf("wrong account: %s", r)
	}
	if r := d.as(other).post("/invitations/accept", url.Values{"token": {tok}}); r.Status != http.StatusForbidden {
		t.Errorf("accept with the wrong account: %s", r)
	}
	// The invited address accepts.
	carl := d.tenantWithPassword("carl@example.com")
	cb := d.as(carl)
	if r := cb.get(link); !strings.Contains(r.Body, "Accept and join") {
		t.Fatalf("invited page: %s", r)
	}
	r = cb.post("/invitations/accept", url.Values{"token": {tok}})
	if r.Status != http.StatusSeeOther || r.location() != "/app/orgs/"+owner.Org.ID.String() {
		t.Fatalf("accept: %s", r)
	}
	if m, err := d.store.MembershipGet(context.Background(), owner.Org.ID, carl.User.ID); err != nil || m.Role != prikke.RoleAdmin {
		t.Fatalf("membership: %v %v", m, err)
	}
	if r := cb.get(link); r.Status != http.StatusNotFound {
		t.Errorf("a used invitation: %s", r)
	}
	// Decline another.
	ob.post("/app/orgs/"+owner.Org.ID.String()+"/invitations", url.Values{"email": {"dora@example.com"}, "role": {"viewer"}})
	tok2 := d.mailToken("dora@example.com")
	if r := d.anon().post("/invitations/decline", url.Values{"token": {tok2}}); r.Status != http.StatusSeeOther {
		t.Errorf("decline: %s", r)
	}
}
