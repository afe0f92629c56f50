package api_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// monitorWith is a monitor body with the slug and extra raw members.
func monitorWith(slug string, more ...string) string {
	return obj(append([]string{`"slug":` + jstr(slug)}, more...)...)
}

// monitorOf decodes a monitor response that must have the status want.
func monitorOf(t *testing.T, r *response, want int, what string) *api.Monitor {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), want)
	}
	var m api.Monitor
	r.json(t, &m)
	return &m
}

// monitorActions lists the audit actions about monitors, oldest first.
func monitorActions(t *testing.T, s *server, tn *tenant) []string {
	t.Helper()
	es, err := s.store.AuditList(context.Background(), store.AuditFilter{OrganizationID: tn.org.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.TargetType == "monitor" {
			out = append(out, string(e.Action))
		}
	}
	slices.Reverse(out)
	return out
}

var (
	pingURLRE  = regexp.MustCompile(`^http://prikke\.test/ping/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	badgeURLRE = regexp.MustCompile(`^http://prikke\.test/badge/[A-Za-z0-9_-]{22,}\.svg$`)
)

// TestMonitorCRUD: a monitor is created with its defaults, its ping URL
// (a UUID v4) and its badge URL, read, listed, changed field by field
// (schedule, run times, window) and deleted, each write audited.
func TestMonitorCRUD(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		m := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("nightly-backup", `"period":"10m"`, `"grace":"5m"`)), 201, "create")
		if m.ID == "" || m.ProjectID != tn.project.ID.String() || m.Name != "nightly-backup" || m.Status != "new" ||
			m.Period != "10m" || m.Grace != "5m" || m.Cron != "" || m.FailThreshold != 1 || m.RecoveryThreshold != 1 ||
			m.Notify != "project" || m.OpenRuns == nil || m.LastPingAt != nil || m.DueAt != nil {
			t.Errorf("created %+v", m)
		}
		if !pingURLRE.MatchString(m.PingURL) || !badgeURLRE.MatchString(m.BadgeURL) {
			t.Errorf("ping_url %q, badge_url %q", m.PingURL, m.BadgeURL)
		}
		p, err := s.store.ProjectGet(context.Background(), tn.project.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "http://prikke.test/ping/" + p.PingKey + "/nightly-backup"; p.PingKey != "" && m.SlugPingURL != want {
			t.Errorf("slug_ping_url %q; want %q", m.SlugPingURL, want)
		}
		path := "/api/v1/monitors/" + m.ID
		if got := monitorOf(t, c.do("GET", path, nil), 200, "get"); got.ID != m.ID || got.PingURL != m.PingURL {
			t.Errorf("get %+v", got)
		}
		for q, want := range map[string]int{"": 1, "?status=new": 1, "?status=down": 0, "?search=nightly": 1, "?search=zzz": 0,
			"?project_id=" + tn.project.ID.String(): 1} {
			r := c.do("GET", "/api/v1/monitors"+q, nil)
			var page api.MonitorPage
			r.json(t, &page)
			if r.Status != 200 || len(page.Monitors) != want {
				t.Errorf("list%s = %d %s; want %d monitors", q, r.Status, truncate(r.Body), want)
			}
		}

		m = monitorOf(t, c.do("PATCH", path, `{"cron":"0 3 * * *","timezone":"Europe/Oslo","max_runtime":"30m","min_runtime":"5s","realert_every":"6h"}`), 200, "to cron")
		if m.Period != "" || m.Cron != "0 3 * * *" || m.Timezone != "Europe/Oslo" || m.MaxRuntime != "30m" || m.MinRuntime != "5s" || m.RealertEvery != "6h" || m.Grace != "5m" {
			t.Errorf("after the cron edit %+v", m)
		}
		m = monitorOf(t, c.do("PATCH", path, `{"period":"1h30m","max_runtime":"","min_runtime":"","realert_every":"0"}`), 200, "back to a period")
		if m.Period != "1h30m" || m.Cron != "" || m.MaxRuntime != "" || m.MinRuntime != "" || m.RealertEvery != "" {
			t.Errorf("after the period edit %+v", m)
		}
		m = monitorOf(t, c.do("PATCH", path, `{"window":{"cron":"0 2 * * 0","duration":"2h"},"fail_threshold":3,"manual_resume":true}`), 200, "window")
		if m.Window == nil || *m.Window != (api.WindowOut{Cron: "0 2 * * 0", Timezone: "UTC", Duration: "2h"}) || m.FailThreshold != 3 || !m.ManualResume {
			t.Errorf("after the window edit %+v %+v", m, m.Window)
		}
		if m = monitorOf(t, c.do("PATCH", path, `{"window":{"cron":""}}`), 200, "no window"); m.Window != nil {
			t.Errorf("window %+v after removing it", m.Window)
		}
		if r := c.do("DELETE", path, nil); r.Status != 204 {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		if r := c.do("GET", path, nil); r.Status != 404 {
			t.Errorf("get after delete = %d %s", r.Status, r.Body)
		}
		want := []string{"monitor.create", "monitor.update", "monitor.update", "monitor.update", "monitor.update", "monitor.delete"}
		if got := monitorActions(t, s, tn); !slices.Equal(got, want) {
			t.Errorf("audit %v; want %v", got, want)
		}
	})
}

// TestMonitorPutBySlug: PUT by slug creates (201), the same PUT again
// answers 200 with the same monitor and writes nothing, and a changed PUT
// changes only what it gives.
func TestMonitorPutBySlug(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		path := "/api/v1/projects/" + tn.project.ID.String() + "/monitors/by-slug/db-backup"
		body := `{"name":"DB backup","cron":"30 2 * * *","timezone":"Europe/Amsterdam","grace":"20m"}`
		first := monitorOf(t, c.do("PUT", path, body), 201, "first PUT")
		s.clock.advance(time.Minute)
		second := monitorOf(t, c.do("PUT", path, body), 200, "second PUT")
		if second.ID != first.ID || !second.UpdatedAt.Equal(first.UpdatedAt) || second.Slug != "db-backup" || second.Name != "DB backup" {
			t.Errorf("second PUT %+v; want the first unchanged %+v", second, first)
		}
		if got := monitorActions(t, s, tn); !slices.Equal(got, []string{"monitor.create"}) {
			t.Errorf("audit after two identical PUTs: %v", got)
		}
		third := monitorOf(t, c.do("PUT", path, `{"grace":"1h"}`), 200, "changed PUT")
		if third.ID != first.ID || third.Grace != "1h" || third.Cron != "30 2 * * *" || third.Name != "DB backup" {
			t.Errorf("changed PUT %+v", third)
		}
		var page api.MonitorPage
		c.do("GET", "/api/v1/monitors", nil).json(t, &page)
		if len(page.Monitors) != 1 {
			t.Errorf("%d monitors after three PUTs; want 1", len(page.Monitors))
		}
		for _, tc := range []struct{ path, body, loc, msg string }{
			{path, `{"slug":"other"}`, "body.slug", "must be the slug in the path"},
			{path, `{"project_id":"` + prikke.NewID().String() + `"}`, "body.project_id", "must be the project in the path"},
			{strings.Replace(path, "db-backup", "Bad_Slug", 1), `{}`, "path.slug", "lowercase"},
		} {
			r := c.do("PUT", tc.path, tc.body)
			if r.Status != 422 {
				t.Errorf("PUT %s %s = %d %s; want 422", tc.path, tc.body, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}
	})
}

// TestMonitorValidation: every invalid field is a 422 naming it, with how
// to fix it; a taken slug is a 409 naming slug.
func TestMonitorValidation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		for _, tc := range []struct{ body, loc, msg string }{
			{`{}`, "body.slug", "is required"},
			{monitorWith("Nightly Backup"), "body.slug", "lowercase"},
			{monitorWith("-x"), "body.slug", "must not start with '-'"},
			{monitorWith("a", `"name":"   "`), "body.name", ""},
			{monitorWith("a", `"description":`+jstr(strings.Repeat("x", 1001))), "body.description", ""},
			{monitorWith("a", `"period":"ten minutes"`), "body.period", "must be a duration such as 10m or 1h30m"},
			{monitorWith("a", `"period":"30s"`), "body.period", "1m"},
			{monitorWith("a", `"period":"10m"`, `"cron":"* * * * *"`), "body.period", "give either period or cron, not both"},
			{monitorWith("a", `"cron":"61 * * * *"`), "body.cron", ""},
			{monitorWith("a", `"cron":"0 3 * * *"`, `"timezone":"Mars/Olympus"`), "body.timezone", ""},
			{monitorWith("a", `"grace":"5"`), "body.grace", "must be a duration"},
			{monitorWith("a", `"grace":"30s"`), "body.grace", "1m"},
			{monitorWith("a", `"max_runtime":"-5m"`), "body.max_runtime", "must be a duration"},
			{monitorWith("a", `"max_runtime":"1m"`, `"min_runtime":"2m"`), "body.min_runtime", ""},
			{monitorWith("a", `"fail_threshold":0`), "body.fail_threshold", ""},
			{monitorWith("a", `"recovery_threshold":101`), "body.recovery_threshold", ""},
			{monitorWith("a", `"realert_every":"30s"`), "body.realert_every", ""},
			{monitorWith("a", `"realert_every":"often"`), "body.realert_every", "must be a duration"},
			{monitorWith("a", `"notify":"everyone"`), "body.notify", ""},
			{monitorWith("a", `"notify":"custom"`, `"channel_ids":["nope"]`), "body.channel_ids[0]", "is not a valid id"},
			{monitorWith("a", `"notify":"custom"`, `"channel_ids":["`+prikke.NewID().String()+`"]`), "body.channel_ids[0]", "is not a channel"},
			{monitorWith("a", `"window":{"cron":"bad"}`), "body.window.cron", ""},
			{monitorWith("a", `"window":{"cron":"0 2 * * *","duration":"8d"}`), "body.window.duration", "must be a duration"},
			{monitorWith("a", `"window":{"cron":"0 2 * * *","duration":"200h"}`), "body.window.duration", "7 days"},
			{monitorWith("a", `"window":{"cron":"0 2 * * *"}`), "body.window.duration", "is required"},
			{monitorWith("a", `"window":{"duration":"1h"}`), "body.window.cron", "is required"},
			{monitorWith("a", `"window":{"cron":"0 2 * * *","duration":"1h","timezone":"Nowhere/Else"}`), "body.window.timezone", ""},
			{monitorWith("a", `"project_id":"nope"`), "body.project_id", "is not a valid id"},
			{monitorWith("a", `"colour":"red"`), "body.colour", "unknown field"},
		} {
			r := c.do("POST", "/api/v1/monitors", tc.body)
			if r.Status != 422 {
				t.Errorf("POST %s = %d %s; want 422", truncate([]byte(tc.body)), r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}

		a := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("a")), 201, "create a")
		b := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("b")), 201, "create b")
		if a.Period != "24h" || a.Grace != "1h" {
			t.Errorf("defaults: period %q, grace %q; want 24h and 1h", a.Period, a.Grace)
		}
		for _, r := range []*response{
			c.do("POST", "/api/v1/monitors", monitorWith("a")),
			c.do("PATCH", "/api/v1/monitors/"+b.ID, `{"slug":"a"}`),
		} {
			if r.Status != 409 {
				t.Errorf("taken slug = %d %s; want 409", r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "body.slug", "is taken")
		}
		path := "/api/v1/monitors/" + a.ID
		for _, tc := range []struct{ method, path, body, loc, msg string }{
			{"PATCH", path, `{"period":"soon"}`, "body.period", "must be a duration"},
			{"PATCH", path, `{"project_id":"` + prikke.NewID().String() + `"}`, "body.project_id", "cannot be changed"},
			{"POST", path + "/snooze", `{"until":"tomorrow"}`, "body.until", "RFC 3339"},
			{"POST", path + "/snooze", `{"until":"2000-01-01T00:00:00Z"}`, "body.until", "must be in the future"},
			{"POST", path + "/snooze", `{"until":` + jstr(time.Now().AddDate(2, 0, 0).Format(time.RFC3339)) + `}`, "body.until", "365 days"},
			{"POST", "/api/v1/projects/" + tn.project.ID.String() + "/snooze", `{"until":"2000-01-01T00:00:00Z"}`, "body.until", "must be in the future"},
			{"GET", path + "/pings?kind=start,bogus", "", "query.kind", `"bogus" is not a kind`},
			{"GET", path + "/pings?before=nope", "", "query.before", "is not a ping id"},
			{"GET", path + "/pings?before=" + prikke.NewID().String(), "", "query.before", "is not a ping of this monitor"},
			{"GET", "/api/v1/monitors?status=sleepy", "", "query.status", ""},
			{"GET", "/api/v1/monitors?project_id=nope", "", "query.project_id", "is not a valid id"},
		} {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := c.do(tc.method, tc.path, body)
			if r.Status != 422 {
				t.Errorf("%s %s %s = %d %s; want 422", tc.method, tc.path, tc.body, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}
	})
}

// TestMonitorFreeLimit: on Free, jobs and monitors count together against
// the limit of 5, whichever comes last.
func TestMonitorFreeLimit(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.withKey(tn.key)
		for i := range 3 {
			if r := c.do("POST", "/api/v1/jobs", jobWith()); r.Status != 201 {
				t.Fatalf("job %d = %d %s", i, r.Status, r.Body)
			}
		}
		monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("one")), 201, "monitor 1")
		last := monitorOf(t, c.do("PUT", "/api/v1/projects/"+tn.project.ID.String()+"/monitors/by-slug/two", `{}`), 201, "monitor 2")
		for _, r := range []*response{
			c.do("POST", "/api/v1/monitors", monitorWith("three")),
			c.do("PUT", "/api/v1/projects/"+tn.project.ID.String()+"/monitors/by-slug/three", `{}`),
			c.do("POST", "/api/v1/jobs", jobWith()),
		} {
			if r.Status != 422 {
				t.Errorf("the 6th = %d %s; want 422", r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "", "The free tier allows 5 jobs and monitors together and this organization has 5 (3 jobs, 2 monitors)")
		}
		if r := c.do("PUT", "/api/v1/projects/"+tn.project.ID.String()+"/monitors/by-slug/two", `{"grace":"2h"}`); r.Status != 200 {
			t.Errorf("updating at the limit = %d %s; want 200", r.Status, truncate(r.Body))
		}
		if r := c.do("DELETE", "/api/v1/monitors/"+last.ID, nil); r.Status != 204 {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		if r := c.do("POST", "/api/v1/jobs", jobWith()); r.Status != 201 {
			t.Errorf("a job after deleting a monitor = %d %s; want 201", r.Status, truncate(r.Body))
		}
	})
}

// recordPings records pings to m through the store and the state machine,
// one second apart from at.
func recordPings(t *testing.T, s *server, m *api.Monitor, at time.Time, pings ...*prikke.Ping) {
	t.Helper()
	mid, _ := prikke.ParseID(m.ID)
	pid, _ := prikke.ParseID(m.ProjectID)
	for i, p := range pings {
		p.ID, p.MonitorID, p.ProjectID, p.CreatedAt = prikke.NewID(), mid, pid, at.Add(time.Duration(i)*time.Second)
		if p.Method == "" {
			p.Method = "POST"
		}
		p.SourceIP, p.UserAgent, p.BodySize = "203.0.113.7", "curl/8.5.0", len(p.Body)
	}
	if dropped, err := s.store.PingsRecord(context.Background(), pings, monitor.OnPing); err != nil || len(dropped) != 0 {
		t.Fatalf("record pings: dropped %v, %v", dropped, err)
	}
}

// TestMonitorPauseResumeSnooze: pause, resume and snooze move the monitor
// (a success ping makes it up first), and a project snooze is kept.
func TestMonitorPauseResumeSnooze(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		now := time.Now().UTC().Truncate(time.Second)
		s.clock.set(now)
		m := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("job", `"period":"10m"`, `"grace":"5m"`)), 201, "create")
		recordPings(t, s, m, now, &prikke.Ping{Kind: prikke.PingSuccess})
		path := "/api/v1/monitors/" + m.ID
		m = monitorOf(t, c.do("GET", path, nil), 200, "after a success")
		if m.Status != "up" || m.DueAt == nil || !m.DueAt.Equal(now.Add(10*time.Minute)) || m.NextDeadline == nil ||
			!m.NextDeadline.Equal(now.Add(15*time.Minute)) || m.LastPingKind != "success" {
			t.Errorf("after a success %+v", m)
		}
		s.clock.set(now.Add(11 * time.Minute))
		if m = monitorOf(t, c.do("GET", path, nil), 200, "past due"); m.Status != "late" {
			t.Errorf("past due, inside grace: status %q; want late", m.Status)
		}
		var page api.MonitorPage
		c.do("GET", "/api/v1/monitors?status=late", nil).json(t, &page)
		if len(page.Monitors) != 1 {
			t.Errorf("status=late lists %d; want 1", len(page.Monitors))
		}
		c.do("GET", "/api/v1/monitors?status=up", nil).json(t, &page)
		if len(page.Monitors) != 0 {
			t.Errorf("status=up lists %d late monitors; want 0", len(page.Monitors))
		}
		if m = monitorOf(t, c.do("POST", path+"/pause", nil), 200, "pause"); m.Status != "paused" || m.DueAt != nil || m.NextDeadline != nil {
			t.Errorf("paused %+v", m)
		}
		if m = monitorOf(t, c.do("POST", path+"/resume", nil), 200, "resume"); m.Status != "new" || m.DueAt != nil {
			t.Errorf("resumed %+v", m)
		}
		until := now.Add(2 * time.Hour)
		m = monitorOf(t, c.do("POST", path+"/snooze", `{"until":`+jstr(until.Format(time.RFC3339))+`}`), 200, "snooze")
		if m.SnoozeUntil == nil || !m.SnoozeUntil.Equal(until) {
			t.Errorf("snooze_until %v; want %v", m.SnoozeUntil, until)
		}
		if m = monitorOf(t, c.do("POST", path+"/snooze", `{"until":null}`), 200, "unsnooze"); m.SnoozeUntil != nil {
			t.Errorf("snooze_until %v after unsnoozing", m.SnoozeUntil)
		}
		ppath := "/api/v1/projects/" + tn.project.ID.String() + "/snooze"
		var ps api.ProjectSnooze
		r := c.do("POST", ppath, `{"until":`+jstr(until.Format(time.RFC3339))+`}`)
		r.json(t, &ps)
		if r.Status != 200 || ps.SnoozeUntil == nil || !ps.SnoozeUntil.Equal(until) {
			t.Errorf("project snooze = %d %s", r.Status, r.Body)
		}
		if p, err := s.store.ProjectGet(context.Background(), tn.project.ID); err != nil || p.SnoozeUntil == nil || !p.SnoozeUntil.Equal(until) {
			t.Errorf("stored project snooze %v, %v", p, err)
		}
		r = c.do("POST", ppath, `{"until":null}`)
		ps = api.ProjectSnooze{}
		r.json(t, &ps)
		if r.Status != 200 || ps.SnoozeUntil != nil {
			t.Errorf("project unsnooze = %d %s", r.Status, r.Body)
		}
		want := []string{"monitor.create", "monitor.update", "monitor.update", "monitor.update", "monitor.update"}
		if got := monitorActions(t, s, tn); !slices.Equal(got, want) {
			t.Errorf("audit %v; want %v", got, want)
		}
	})
}

// TestMonitorPings: the ping log lists newest first, filters by kind,
// pages with before, and shows one ping's body as text or base64; a
// failing run is a flip in the monitor's history.
func TestMonitorPings(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		now := time.Now().UTC().Truncate(time.Second)
		s.clock.set(now)
		m := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("backup", `"period":"1h"`)), 201, "create")
		other := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("other")), 201, "create other")
		three := 3
		recordPings(t, s, m, now,
			&prikke.Ping{Kind: prikke.PingStart, RID: "r1"},
			&prikke.Ping{Kind: prikke.PingSuccess, RID: "r1", Body: []byte("all good\n")},
			&prikke.Ping{Kind: prikke.PingFail, ExitStatus: &three, Body: []byte("error: disk full\n")},
			&prikke.Ping{Kind: prikke.PingLog, Method: "PUT", Body: []byte{0xff, 0xfe, 0, 'x'}})
		recordPings(t, s, other, now, &prikke.Ping{Kind: prikke.PingSuccess})
		path := "/api/v1/monitors/" + m.ID

		list := func(q string) *api.PingPage {
			t.Helper()
			r := c.do("GET", path+"/pings"+q, nil)
			var page api.PingPage
			r.json(t, &page)
			if r.Status != 200 {
				t.Fatalf("pings%s = %d %s", q, r.Status, r.Body)
			}
			return &page
		}
		kinds := func(p *api.PingPage) string {
			var ks []string
			for _, pg := range p.Pings {
				ks = append(ks, pg.Kind)
				if pg.Body != nil || pg.MonitorID != m.ID {
					t.Errorf("listed ping %+v: a body or another monitor's", pg)
				}
			}
			return strings.Join(ks, ",")
		}
		all := list("")
		if got := kinds(all); got != "log,fail,success,start" || all.NextBefore != "" {
			t.Fatalf("pings %s (next %q); want log,fail,success,start", got, all.NextBefore)
		}
		if got := kinds(list("?kind=start,fail")); got != "fail,start" {
			t.Errorf("kind=start,fail: %s", got)
		}
		first := list("?limit=3")
		second := list("?limit=3&before=" + first.NextBefore)
		if kinds(first) != "log,fail,success" || first.NextBefore == "" || kinds(second) != "start" || second.NextBefore != "" {
			t.Errorf("pages %s (next %q) and %s (next %q)", kinds(first), first.NextBefore, kinds(second), second.NextBefore)
		}
		success, fail, log := all.Pings[2], all.Pings[1], all.Pings[0]
		if success.RID != "r1" || success.Duration != "1s" || fail.ExitStatus == nil || *fail.ExitStatus != 3 ||
			log.Method != "PUT" || log.SourceIP != "203.0.113.7" || log.UserAgent != "curl/8.5.0" || log.BodySize != 4 {
			t.Errorf("listed %+v %+v %+v", success, fail, log)
		}

		var got api.Ping
		r := c.do("GET", path+"/pings/"+success.ID, nil)
		r.json(t, &got)
		if r.Status != 200 || got.Body == nil || *got.Body != "all good\n" || got.BodyEncoding != "" {
			t.Errorf("text ping = %d %s", r.Status, r.Body)
		}
		r = c.do("GET", path+"/pings/"+log.ID, nil)
		r.json(t, &got)
		if r.Status != 200 || got.Body == nil || *got.Body != "//4AeA==" || got.BodyEncoding != "base64" {
			t.Errorf("binary ping = %d %s", r.Status, r.Body)
		}
		if r := c.do("GET", "/api/v1/monitors/"+other.ID+"/pings/"+success.ID, nil); r.Status != 404 {
			t.Errorf("a ping under another monitor = %d %s; want 404", r.Status, truncate(r.Body))
		}

		if m = monitorOf(t, c.do("GET", path, nil), 200, "after the pings"); m.Status != "down" || m.LastDuration != "1s" || m.LastPingAt == nil {
			t.Errorf("after a failed run %+v", m)
		}
		var flips api.FlipList
		r = c.do("GET", path+"/flips", nil)
		r.json(t, &flips)
		if r.Status != 200 || len(flips.Flips) == 0 {
			t.Fatalf("flips = %d %s", r.Status, r.Body)
		}
		f := flips.Flips[0]
		if f.Event != "monitor.failed" || f.To != "down" || f.PingID != fail.ID || !strings.Contains(f.Detail, "3") || f.Muted {
			t.Errorf("newest flip %+v; want monitor.failed to down by the fail ping", f)
		}
		r = c.do("GET", "/api/v1/monitors/"+other.ID+"/flips", nil)
		r.json(t, &flips)
		for _, f := range flips.Flips {
			if f.PingID == fail.ID {
				t.Errorf("another monitor lists this one's flip %+v", f)
			}
		}
	})
}

// TestMonitorOperationsDocumented: the OpenAPI document has every monitor
// operation, by its id, method and path.
func TestMonitorOperationsDocumented(t *testing.T) {
	t.Parallel()
	paths := specPaths(t, newServer(t, nil).api)
	for _, want := range []struct{ id, method, path string }{
		{"monitors", "GET", "/api/v1/monitors"},
		{"monitor-create", "POST", "/api/v1/monitors"},
		{"monitor", "GET", "/api/v1/monitors/{monitor_id}"},
		{"monitor-update", "PATCH", "/api/v1/monitors/{monitor_id}"},
		{"monitor-delete", "DELETE", "/api/v1/monitors/{monitor_id}"},
		{"monitor-put", "PUT", "/api/v1/projects/{project_id}/monitors/by-slug/{slug}"},
		{"monitor-pause", "POST", "/api/v1/monitors/{monitor_id}/pause"},
		{"monitor-resume", "POST", "/api/v1/monitors/{monitor_id}/resume"},
		{"monitor-snooze", "POST", "/api/v1/monitors/{monitor_id}/snooze"},
		{"project-snooze", "POST", "/api/v1/projects/{project_id}/snooze"},
		{"monitor-pings", "GET", "/api/v1/monitors/{monitor_id}/pings"},
		{"monitor-ping", "GET", "/api/v1/monitors/{monitor_id}/pings/{ping_id}"},
		{"monitor-flips", "GET", "/api/v1/monitors/{monitor_id}/flips"},
	} {
		op := paths[want.path][want.method]
		if op == nil || op.OperationID != want.id {
			t.Errorf("%s %s: operation %+v; want %s", want.method, want.path, op, want.id)
		}
	}
}

// TestMonitorListPages: the list pages oldest first with next_cursor.
func TestMonitorListPages(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		var want []string
		for _, slug := range []string{"a", "b", "c", "d", "e"} {
			want = append(want, monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith(slug)), 201, "create "+slug).ID)
			s.clock.advance(time.Millisecond)
		}
		var got []string
		cur, pages := "", 0
		for {
			var page api.MonitorPage
			r := c.do("GET", "/api/v1/monitors?limit=2&cursor="+cur, nil)
			r.json(t, &page)
			if r.Status != 200 || pages > 5 {
				t.Fatalf("page %d = %d %s", pages, r.Status, truncate(r.Body))
			}
			pages++
			for _, m := range page.Monitors {
				got = append(got, m.ID)
			}
			if cur = page.NextCursor; cur == "" {
				break
			}
		}
		if !slices.Equal(got, want) || pages != 3 {
			t.Errorf("%d pages of %v; want 3 of %v", pages, got, want)
		}
	})
}
