package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

// monitor creates a monitor through the service: every period, grace
// 5 minutes.
func (d *dash) monitor(tn *tenant, name, period string) *prikke.Monitor {
	d.t.Helper()
	grace := "5m"
	m, err := d.svc.CreateMonitor(context.Background(), tn.actor(), &service.MonitorInput{ProjectID: &tn.Project.ID,
		Name: &name, Slug: new(slugOf(name)), Period: &period, Grace: &grace})
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

// ping records a ping of m as the ping API does (the store's batch with
// the state machine's step; the store announces it to live pages).
func (d *dash) ping(m *prikke.Monitor, kind prikke.PingKind, body string) *prikke.Ping {
	d.t.Helper()
	return recordPing(d.t, d.store, m, kind, body)
}

func recordPing(t *testing.T, st store.Store, m *prikke.Monitor, kind prikke.PingKind, body string) *prikke.Ping {
	t.Helper()
	p := &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: kind, Method: "POST",
		SourceIP: "192.0.2.7", UserAgent: "curl/8.5.0", Body: []byte(body), BodySize: len(body), CreatedAt: time.Now().UTC()}
	ctx := context.Background()
	if _, err := st.PingsRecord(ctx, []*prikke.Ping{p}, monitor.OnPing); err != nil {
		t.Fatal(err)
	}
	return p
}

// monitorForm is a valid editor submission; edit changes it.
func monitorForm(edit func(url.Values)) url.Values {
	v := url.Values{
		"name": {"Nightly backup"}, "slug": {""}, "description": {"pg_dump to the bucket"}, "schedule_kind": {"period"},
		"period": {"10m"}, "cron": {"0 3 * * *"}, "timezone": {"Europe/Oslo"}, "grace": {"5m"}, "max_runtime": {"30m"},
		"min_runtime": {""}, "fail_threshold": {"2"}, "recovery_threshold": {"1"}, "realert_every": {""},
		"notify": {"project"}, "window.cron": {""}, "window.timezone": {"UTC"}, "window.duration": {""},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

func TestMonitorCreatePageAndList(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	projects := "/app/projects/" + tn.Project.ID.String()

	// The navigation links the list; the empty list invites a monitor.
	list := b.get(projects + "/monitors")
	if list.Status != 200 || !strings.Contains(list.Body, `href="`+projects+`/monitors" class=`) || !strings.Contains(list.Body, "No monitors yet") {
		t.Fatalf("empty list: %s", list)
	}
	if got := b.get(projects + "/monitors/new"); got.Status != 200 || !strings.Contains(got.Body, `data-slug-from="field-name"`) {
		t.Fatalf("new monitor form: %s", got)
	}

	// Created through the form, the slug made from the name.
	r := b.post(projects+"/monitors", monitorForm(nil))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/app/monitors/") {
		t.Fatalf("create: %s", r)
	}
	id, err := prikke.ParseID(strings.TrimPrefix(r.location(), "/app/monitors/"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.svc.Monitor(context.Background(), tn.actor(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Slug != "nightly-backup" || m.Period != 10*time.Minute || m.Grace != 5*time.Minute || m.MaxRuntime != 30*time.Minute || m.FailThreshold != 2 {
		t.Fatalf("saved monitor: %+v", m)
	}

	// Its page: the flash, the status, the ping URLs, the snippets and the badge.
	pg := b.get(r.location())
	for _, want := range []string{
		"Monitor “Nightly backup” created.",
		`data-testid="monitor-state" data-status="new"`,
		`id="ping-url" data-testid="ping-url">` + d.svc.PingURL(m) + `<`,
		d.svc.SlugPingURL(tn.Project, m),
		`data-copy="ping-url"`,
		`src="/badge/` + m.BadgeToken + `.svg"`, `href="` + d.svc.BadgeURL(m) + `"`,
		`id="snippet-crontab"`, "curl -fsS -m 10 --retry 5",
		"Every 10 minutes",
		"No pings yet.",
		`hx-ext="sse" sse-connect="/app/monitors/` + m.ID.String() + `/events"`,
	} {
		if !strings.Contains(pg.Body, want) {
			t.Errorf("monitor page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("%s", pg)
	}

	// A start and a success: the monitor is up, the log lists both, the
	// chart draws the run, and the list says when it last pinged.
	d.ping(m, prikke.PingStart, "")
	done := d.ping(m, prikke.PingSuccess, "backup done: 12 GB")
	pg = b.get("/app/monitors/" + m.ID.String())
	for _, want := range []string{`data-testid="monitor-state" data-status="up"`, `id="ping-` + done.ID.String() + `"`,
		`data-kind="start"`, "192.0.2.7", "curl/8.5.0", `data-testid="duration-chart"`} {
		if !strings.Contains(pg.Body, want) {
			t.Errorf("monitor page after pings lacks %q", want)
		}
	}
	list = b.get(projects + "/monitors")
	for _, want := range []string{`data-monitor-id="` + m.ID.String() + `" data-status="up"`, "Nightly backup", "Every 10 minutes", `data-testid="last-ping"><span title="`} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	// A row opens the ping with its body.
	one := b.get("/app/monitors/" + m.ID.String() + "/pings/" + done.ID.String())
	if one.Status != 200 || !strings.Contains(one.Body, "backup done: 12 GB") {
		t.Errorf("ping page: %s", one)
	}

	// The status filter.
	if got := b.get(projects + "/monitors?status=down"); !strings.Contains(got.Body, "No monitors match") {
		t.Errorf("filter down lists the up monitor: %s", got)
	}
	if got := b.get(projects + "/monitors?status=up"); !strings.Contains(got.Body, "Nightly backup") {
		t.Errorf("filter up: %s", got)
	}
	if got := b.get(projects + "/monitors?status=sideways"); got.Status != http.StatusUnprocessableEntity || fieldError(got.Body, "status") == "" {
		t.Errorf("unknown status filter: %s", got)
	}
}

func TestMonitorEditorErrorsBesideFields(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	path := "/app/projects/" + tn.Project.ID.String() + "/monitors"
	tests := []struct {
		name, field, want string
		edit              func(url.Values)
	}{
		{"period words", "period", "", func(v url.Values) { v.Set("period", "soon") }},
		{"period too short", "period", "", func(v url.Values) { v.Set("period", "10s") }},
		{"bad cron", "cron", "", func(v url.Values) { v.Set("schedule_kind", "cron"); v.Set("cron", "61 * * * *") }},
		{"zone", "timezone", "", func(v url.Values) { v.Set("schedule_kind", "cron"); v.Set("timezone", "Mars/Olympus") }},
		{"grace", "grace", "", func(v url.Values) { v.Set("grace", "5s") }},
		{"threshold words", "fail_threshold", "must be a whole number", func(v url.Values) { v.Set("fail_threshold", "two") }},
		{"threshold range", "recovery_threshold", "", func(v url.Values) { v.Set("recovery_threshold", "0") }},
		{"slug", "slug", "", func(v url.Values) { v.Set("slug", "Not A Slug") }},
		{"name", "name", "", func(v url.Values) { v.Set("name", "") }},
		{"window without duration", "window.duration", "", func(v url.Values) { v.Set("window.cron", "0 2 * * 0") }},
		{"kind", "schedule_kind", "choose", func(v url.Values) { v.Set("schedule_kind", "sometimes") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(path, monitorForm(tt.edit))
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.Status, r)
			}
			msg := fieldError(r.Body, tt.field)
			if msg == "" || !strings.Contains(msg, tt.want) {
				t.Fatalf("error beside %s = %q, want one with %q:\n%s", tt.field, msg, tt.want, r)
			}
			if !strings.Contains(r.Body, "Please correct the following") {
				t.Errorf("no summary above the form")
			}
		})
	}
	// What was typed stays in the form.
	r := b.post(path, monitorForm(func(v url.Values) { v.Set("period", "soon"); v.Set("name", "kept name") }))
	if !strings.Contains(r.Body, `value="kept name"`) || !strings.Contains(r.Body, `value="soon"`) {
		t.Errorf("the form lost what was typed: %s", r)
	}
	ms, err := d.svc.Monitors(context.Background(), tn.actor(), service.MonitorFilter{ProjectID: &tn.Project.ID})
	if err != nil || len(ms) != 0 {
		t.Errorf("invalid forms saved %d monitors (%v)", len(ms), err)
	}
}

func TestMonitorEditAndActions(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	m := d.monitor(tn, "db backup", "1h")
	base := "/app/monitors/" + m.ID.String()
	ctx := context.Background()

	edit := b.get(base + "/edit")
	if edit.Status != 200 || !strings.Contains(edit.Body, `value="1h"`) || !strings.Contains(edit.Body, `value="db-backup"`) {
		t.Fatalf("edit form: %s", edit)
	}
	r := b.post(base, monitorForm(func(v url.Values) {
		v.Set("name", "db backup")
		v.Set("slug", "db-backup")
		v.Set("schedule_kind", "cron")
		v.Set("cron", "0 3 * * *")
		v.Set("window.cron", "0 2 * * 0")
		v.Set("window.duration", "2h")
	}))
	if r.Status != http.StatusSeeOther || r.location() != base {
		t.Fatalf("update: %s", r)
	}
	got, err := d.svc.Monitor(ctx, tn.actor(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cron != "0 3 * * *" || got.TimeZone != "Europe/Oslo" || got.Period != 0 || got.Window.Duration != 2*time.Hour {
		t.Fatalf("updated: %+v", got)
	}
	if pg := b.get(base); !strings.Contains(pg.Body, "(Europe/Oslo)") || !strings.Contains(pg.Body, "0 2 * * 0") {
		t.Errorf("the page does not show the new schedule and window: %s", pg)
	}
	// An edit with an error keeps the monitor as it was.
	if r := b.post(base, monitorForm(func(v url.Values) { v.Set("grace", "forever") })); r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "grace") == "" {
		t.Errorf("bad edit: %s", r)
	}

	// Pause, resume, snooze for an hour, snooze until, unsnooze.
	step := func(action string, form url.Values, check func(*prikke.Monitor) bool) {
		t.Helper()
		r := b.post(base+"/"+action, form)
		if r.Status != http.StatusSeeOther || r.location() != base {
			t.Fatalf("%s: %s", action, r)
		}
		got, err := d.svc.Monitor(ctx, tn.actor(), m.ID)
		if err != nil || !check(got) {
			t.Fatalf("after %s: %+v, %v", action, got, err)
		}
	}
	step("pause", nil, func(m *prikke.Monitor) bool { return m.Status == prikke.MonitorPaused })
	if pg := b.get(base); !strings.Contains(pg.Body, "paused: its pings are recorded") || !strings.Contains(pg.Body, `data-testid="resume"`) {
		t.Errorf("paused page: %s", pg)
	}
	step("resume", nil, func(m *prikke.Monitor) bool { return m.Status == prikke.MonitorNew })
	before := time.Now()
	step("snooze", url.Values{"for": {"1h"}}, func(m *prikke.Monitor) bool {
		return m.SnoozeUntil != nil && m.SnoozeUntil.After(before.Add(59*time.Minute)) && m.SnoozeUntil.Before(time.Now().Add(61*time.Minute))
	})
	if pg := b.get(base); !strings.Contains(pg.Body, `data-testid="snoozed"`) {
		t.Errorf("snoozed page: %s", pg)
	}
	step("unsnooze", nil, func(m *prikke.Monitor) bool { return m.SnoozeUntil == nil })
	until := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	step("snooze", url.Values{"until": {until.Format("2006-01-02T15:04")}}, func(m *prikke.Monitor) bool {
		return m.SnoozeUntil != nil && m.SnoozeUntil.Equal(until)
	})
	// A snooze in the past is refused with a flash, not a 500.
	r = b.post(base+"/snooze", url.Values{"until": {"2020-01-01T10:00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("past snooze: %s", r)
	}
	if pg := b.get(base); !strings.Contains(pg.Body, "must be in the future") {
		t.Errorf("no flash for a past snooze: %s", pg)
	}

	// Delete asks first, then deletes.
	if c := b.get(base + "/delete"); c.Status != 200 || !strings.Contains(c.Body, `data-testid="confirm-delete"`) {
		t.Fatalf("confirm delete: %s", c)
	}
	r = b.post(base+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.location() != "/app/projects/"+tn.Project.ID.String()+"/monitors" {
		t.Fatalf("delete: %s", r)
	}
	if _, err := d.svc.Monitor(ctx, tn.actor(), m.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	if pg := b.get(base); pg.Status != http.StatusNotFound {
		t.Errorf("deleted monitor's page: %d", pg.Status)
	}
}

// Another organization's monitor is not found on every route, read or
// write, and nothing changes; a viewer sees a monitor but may not change it.
func TestMonitorTenantIsolation(t *testing.T) {
	d := newDash(t, nil)
	alice, mallory := d.tenant(prikke.TierFree), d.tenant(prikke.TierFree)
	m := d.monitor(alice, "alice backup", "10m")
	p := d.ping(m, prikke.PingSuccess, "secret output")
	b := d.as(mallory)
	base := "/app/monitors/" + m.ID.String()
	for _, path := range []string{base, base + "/events", base + "/edit", base + "/delete", base + "/pings/" + p.ID.String(),
		"/app/projects/" + alice.Project.ID.String() + "/monitors", "/app/projects/" + alice.Project.ID.String() + "/monitors/new"} {
		if r := b.get(path); r.Status != http.StatusNotFound || strings.Contains(r.Body, "alice backup") || strings.Contains(r.Body, "secret output") {
			t.Errorf("GET %s as another tenant: %d", path, r.Status)
		}
	}
	for _, path := range []string{base, base + "/pause", base + "/resume", base + "/snooze", base + "/unsnooze", base + "/delete",
		"/app/projects/" + alice.Project.ID.String() + "/monitors"} {
		if r := b.post(path, monitorForm(func(v url.Values) { v.Set("for", "1h") })); r.Status != http.StatusNotFound {
			t.Errorf("POST %s as another tenant: %d", path, r.Status)
		}
	}
	if got := b.get("/app/projects/" + mallory.Project.ID.String() + "/monitors"); strings.Contains(got.Body, "alice backup") {
		t.Errorf("another tenant's list shows the monitor")
	}
	got, err := d.svc.Monitor(context.Background(), alice.actor(), m.ID)
	if err != nil || got.Name != "alice backup" || got.Status != prikke.MonitorUp || got.SnoozeUntil != nil {
		t.Fatalf("the monitor changed: %+v, %v", got, err)
	}

	// A viewer of alice's organization reads but does not change.
	viewer := d.tenant(prikke.TierFree)
	d.member(alice, viewer.User, prikke.RoleViewer)
	vb := d.as(viewer)
	if r := vb.get(base); r.Status != 200 || strings.Contains(r.Body, `action="`+base+`/pause"`) {
		t.Errorf("viewer's page: %d (or it offers pause)", r.Status)
	}
	// Nor does a viewer see the ping URLs, which write: the token, and
	// the project's ping key (which creates monitors with ?create=1).
	key := alice.Project.PingKey
	if pk, err := d.store.ProjectGet(context.Background(), alice.Project.ID); err == nil {
		key = pk.PingKey
	}
	if r := vb.get(base); strings.Contains(r.Body, m.PingToken) || key == "" || strings.Contains(r.Body, key) ||
		!strings.Contains(r.Body, `data-testid="ping-urls-hidden"`) {
		t.Errorf("a viewer is shown the ping URLs")
	}
	if r := d.as(alice).get(base); !strings.Contains(r.Body, m.PingToken) || !strings.Contains(r.Body, key) {
		t.Errorf("the owner is not shown the ping URLs")
	}
	if r := vb.post(base+"/pause", nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer pause: %d", r.Status)
	}
	if r := vb.get(base + "/edit"); r.Status != http.StatusForbidden {
		t.Errorf("viewer edit: %d", r.Status)
	}
}

func TestMonitorBadge(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	m := d.monitor(tn, "Nightly <backup>", "10m")
	anon := d.anon()
	badge := strings.TrimPrefix(d.svc.BadgeURL(m), d.srv.URL)
	if !strings.HasPrefix(badge, "/badge/") || !strings.HasSuffix(badge, ".svg") {
		t.Fatalf("badge URL %q", d.svc.BadgeURL(m))
	}
	r := anon.get(badge)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || r.Header.Get("Cache-Control") != badgeCache {
		t.Fatalf("badge: %d %v", r.Status, r.Header)
	}
	if !strings.Contains(r.Body, "Nightly &lt;backup&gt;") || !strings.Contains(r.Body, ">new<") || !strings.Contains(r.Body, badgeColours[prikke.MonitorNew]) {
		t.Errorf("new badge: %s", r.Body)
	}
	if r.Header.Get("Set-Cookie") != "" {
		t.Errorf("the badge sets a cookie")
	}
	d.ping(m, prikke.PingSuccess, "")
	if r := anon.get(badge); !strings.Contains(r.Body, ">up<") || !strings.Contains(r.Body, badgeColours[prikke.MonitorUp]) {
		t.Errorf("up badge: %s", r.Body)
	}
	// The ping token is not a badge token, and unknown tokens are a grey 404.
	for _, path := range []string{"/badge/" + m.PingToken + ".svg", "/badge/nope.svg", "/badge/" + m.BadgeToken, "/badge/.svg"} {
		r := anon.get(path)
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "not found") || strings.Contains(r.Body, "Nightly") {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
}

func TestMonitorWords(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, c := range []struct {
		got, want string
	}{
		{durationWords(10 * time.Minute), "10 minutes"},
		{durationWords(90 * time.Minute), "1 hour 30 minutes"},
		{durationWords(24 * time.Hour), "1 day"},
		{durationWords(45 * time.Second), "45 seconds"},
		{agoText(nil, now), "never"},
		{agoText(ago(0), now), "just now"},
		{agoText(ago(5*time.Second), now), "5 seconds ago"},
		{agoText(ago(3*time.Minute+10*time.Second), now), "3 minutes ago"},
		{agoText(ago(time.Hour), now), "1 hour ago"},
		{agoText(ago(72*time.Hour), now), "3 days ago"},
		{goDuration(10 * time.Minute), "10m"},
		{goDuration(90 * time.Minute), "1h30m"},
		{goDuration(24 * time.Hour), "24h"},
		{goDuration(90 * time.Second), "1m30s"},
		{goDuration(0), ""},
		{goDuration(30 * time.Second), "30s"},
		{goDuration(time.Hour + 30*time.Second), "1h0m30s"},
		{slugOf("  Nightly Backup (prod)! "), "nightly-backup-prod"},
		{monitorSchedule(&prikke.Monitor{Cron: "0 3 * * *", TimeZone: "Europe/Oslo"}), "At 03:00 every day (Europe/Oslo)"},
		{monitorSchedule(&prikke.Monitor{Period: 10 * time.Minute}), "Every 10 minutes"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// A status page shows monitors picked in the editor under their display
// names, with their current status, and nothing else about them.
func TestStatusPageMonitors(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	m := d.monitor(tn, "internal backup name", "10m")
	other := d.tenant(prikke.TierFree)
	theirs := d.monitor(other, "their monitor", "10m")
	path := "/app/projects/" + tn.Project.ID.String() + "/status-pages"

	form := b.get(path + "/new")
	if !strings.Contains(form.Body, `name="monitor_ids" value="`+m.ID.String()+`"`) || strings.Contains(form.Body, theirs.ID.String()) {
		t.Fatalf("the editor's monitor picker: %s", form)
	}
	// A display name is required beside the ticked monitor.
	v := url.Values{"title": {"Acme"}, "slug": {"acme-jobs"}, "published": {"on"}, "monitor_ids": {m.ID.String()}}
	r := b.post(path, v)
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, monitorNameKey(m.ID)) == "" {
		t.Fatalf("no display name: %s", r)
	}
	// Another tenant's monitor is refused.
	v.Set(monitorNameKey(m.ID), "Nightly backups")
	v.Add("monitor_ids", theirs.ID.String())
	if r := b.post(path, v); r.Status != http.StatusSeeOther {
		t.Fatalf("with a foreign id (the editor ignores what it does not list): %s", r)
	}
	pages, err := d.svc.StatusPages(context.Background(), tn.actor(), tn.Project.ID)
	if err != nil || len(pages) != 1 || len(pages[0].Monitors) != 1 || pages[0].Monitors[0].MonitorID != m.ID {
		t.Fatalf("saved page: %+v, %v", pages, err)
	}
	if _, err := d.svc.UpdateStatusPage(context.Background(), tn.actor(), pages[0].ID, service.StatusPageInput{
		Monitors: &[]prikke.StatusPageMonitor{{MonitorID: theirs.ID, DisplayName: "x"}}}); prikke.ErrorCode(err) != prikke.EINVALID {
		t.Errorf("the service took another tenant's monitor: %v", err)
	}
	if e := b.get("/app/status-pages/" + pages[0].ID.String() + "/edit"); !strings.Contains(e.Body, `value="Nightly backups"`) {
		t.Errorf("the editor lost the monitor's name: %s", e)
	}

	pub := d.anon().get("/s/acme-jobs")
	if pub.Status != 200 || !strings.Contains(pub.Body, "Nightly backups") || !strings.Contains(pub.Body, "Waiting for the first check-in") ||
		strings.Contains(pub.Body, "internal backup name") || strings.Contains(pub.Body, m.PingToken) {
		t.Fatalf("public page, new monitor: %s", pub)
	}
	if strings.Contains(pub.Body, `data-testid="uptime-bars"`) {
		t.Errorf("a monitor has uptime bars, but no daily history")
	}
	d.ping(m, prikke.PingFail, "exit 1")
	pub = d.anon().get("/s/acme-jobs")
	if !strings.Contains(pub.Body, `data-component="Nightly backups" data-status="Outage"`) || !strings.Contains(pub.Body, ">Down<") || strings.Contains(pub.Body, "exit 1") {
		t.Errorf("public page, down monitor: %s", pub)
	}
}

// The ping log shows the newest pings live, and older ones a page at a
// time (not live).
func TestMonitorPingLogPages(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	m := d.monitor(tn, "chatty", "1m")
	var pings []*prikke.Ping
	for range pingsShown + 1 {
		pings = append(pings, d.ping(m, prikke.PingLog, ""))
	}
	base := "/app/monitors/" + m.ID.String()
	first := b.get(base)
	if !strings.Contains(first.Body, `id="ping-`+pings[len(pings)-1].ID.String()+`"`) || strings.Contains(first.Body, `id="ping-`+pings[0].ID.String()+`"`) ||
		!strings.Contains(first.Body, `data-live-rows="prepend"`) {
		t.Fatalf("first page: %s", first)
	}
	older := base + "?before=" + pings[1].ID.String()
	if !strings.Contains(first.Body, `href="`+older+`#pings-title" data-testid="older-pings"`) {
		t.Fatalf("no link to older pings: %s", first)
	}
	second := b.get(older)
	if second.Status != 200 || !strings.Contains(second.Body, `id="ping-`+pings[0].ID.String()+`"`) || strings.Contains(second.Body, `id="ping-`+pings[1].ID.String()+`"`) ||
		strings.Contains(second.Body, "data-live-rows") || !strings.Contains(second.Body, `href="`+base+`#pings-title">Newest`) {
		t.Fatalf("second page: %s", second)
	}
	// Another monitor's ping is no cursor.
	other := d.monitor(tn, "other", "1m")
	op := d.ping(other, prikke.PingLog, "")
	if r := b.get(base + "?before=" + op.ID.String()); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("another monitor's ping as the cursor: %d", r.Status)
	}
}

// The monitors list snoozes the whole project's alerts, and ends that.
func TestProjectSnoozeFromMonitors(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	list := "/app/projects/" + tn.Project.ID.String() + "/monitors"
	project := func() *prikke.Project {
		t.Helper()
		p, err := d.svc.Project(context.Background(), tn.actor(), tn.Project.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if r := b.get(list); !strings.Contains(r.Body, `data-testid="project-snooze"`) {
		t.Fatalf("no project snooze: %s", r)
	}
	before := time.Now()
	if r := b.post(list+"/snooze", url.Values{"for": {"24h"}}); r.Status != http.StatusSeeOther || r.location() != list {
		t.Fatalf("snooze: %s", r)
	}
	if p := project(); p.SnoozeUntil == nil || p.SnoozeUntil.Before(before.Add(24*time.Hour-time.Minute)) {
		t.Fatalf("project snooze: %+v", p.SnoozeUntil)
	}
	if r := b.get(list); !strings.Contains(r.Body, `data-testid="project-snoozed"`) || !strings.Contains(r.Body, "is snoozed until") {
		t.Fatalf("snoozed list: %s", r)
	}
	if r := b.post(list+"/snooze", url.Values{"unsnooze": {"on"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unsnooze: %s", r)
	}
	if p := project(); p.SnoozeUntil != nil {
		t.Fatalf("still snoozed until %v", p.SnoozeUntil)
	}
	// Nonsense is a flash, not a 500.
	b.post(list+"/snooze", url.Values{"for": {"a while"}})
	if r := b.get(list); !strings.Contains(r.Body, "is not a duration such as 1h") {
		t.Errorf("no flash for a bad duration: %s", r)
	}
}
