package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

func testStatus(t *testing.T, open Opener, cov *coverage) {
	t.Run("Heartbeats", func(t *testing.T) {
		t.Parallel()
		testHeartbeats(t, open, cov)
	})
	t.Run("StatusSamples", func(t *testing.T) {
		t.Parallel()
		testStatusSamples(t, open, cov)
	})
	t.Run("StatusSampleCommit", func(t *testing.T) {
		t.Parallel()
		testStatusSampleCommit(t, open, cov)
	})
	t.Run("Incidents", func(t *testing.T) {
		t.Parallel()
		testIncidents(t, open, cov)
	})
	t.Run("StatusPages", func(t *testing.T) {
		t.Parallel()
		testStatusPages(t, open, cov)
	})
	t.Run("JobDays", func(t *testing.T) {
		t.Parallel()
		testJobDays(t, open, cov)
	})
}

func testHeartbeats(t *testing.T, open Opener, cov *coverage) {
	cov.covers("HeartbeatPut", "HeartbeatGet", "HeartbeatList")
	s := open(t)
	ctx := context.Background()
	_, _, err := s.HeartbeatGet(ctx, "scheduler")
	Errcode(t, err, prikke.ENOTFOUND)

	if err := s.HeartbeatPut(ctx, "scheduler", "node-1"); err != nil {
		t.Fatal(err)
	}
	at1, detail, err := s.HeartbeatGet(ctx, "scheduler")
	if err != nil || detail != "node-1" || at1.Location() != time.UTC || time.Since(at1).Abs() > time.Minute {
		t.Fatalf("HeartbeatGet = %v, %q, %v; want about now in UTC, node-1", at1, detail, err)
	}
	if err := s.HeartbeatPut(ctx, "delivery", "node-2"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	if err := s.HeartbeatPut(ctx, "scheduler", "node-3"); err != nil {
		t.Fatal(err)
	}
	at2, detail, err := s.HeartbeatGet(ctx, "scheduler")
	if err != nil || detail != "node-3" || !at2.After(at1) {
		t.Errorf("after a second beat: %v, %q, %v; want later than %v, node-3", at2, detail, err, at1)
	}
	if _, detail, err := s.HeartbeatGet(ctx, "delivery"); err != nil || detail != "node-2" {
		t.Errorf("HeartbeatGet(delivery) = %q, %v", detail, err)
	}
	for _, n := range []string{"node:b", "node:a", "nodes", "node_x"} {
		if err := s.HeartbeatPut(ctx, n, n+" detail"); err != nil {
			t.Fatal(err)
		}
	}
	hs, err := s.HeartbeatList(ctx, "node:")
	if err != nil || len(hs) != 2 || hs[0].Name != "node:a" || hs[1].Name != "node:b" || hs[0].Detail != "node:a detail" ||
		hs[0].At.Location() != time.UTC || time.Since(hs[0].At).Abs() > time.Minute {
		t.Errorf("HeartbeatList(node:) = %+v, %v", hs, err)
	}
	if hs, _ := s.HeartbeatList(ctx, "none:"); len(hs) != 0 {
		t.Errorf("HeartbeatList(none:) = %+v", hs)
	}
}

func testStatusSamples(t *testing.T, open Opener, cov *coverage) {
	cov.covers("StatusSampleAdd", "StatusSampleList")
	s := open(t)
	ctx := context.Background()
	add := func(ds ...prikke.StatusSample) {
		t.Helper()
		for _, d := range ds {
			if err := s.StatusSampleAdd(ctx, &d); err != nil {
				t.Fatalf("StatusSampleAdd(%+v): %v", d, err)
			}
		}
	}
	add(prikke.StatusSample{Day: "2026-11-24", Component: "api", Checks: 1, Outage: 1, OutageSeconds: 15})
	add(prikke.StatusSample{Day: "2026-11-26", Component: "scheduler", Checks: 1, OperationalSeconds: 15})
	// Counters add up, the checks' and the seconds' alike; a gap adds
	// seconds without a check.
	add(prikke.StatusSample{Day: "2026-11-25", Component: "api", Checks: 1, OperationalSeconds: 15},
		prikke.StatusSample{Day: "2026-11-25", Component: "api", Checks: 2, Degraded: 1, Outage: 1, DegradedSeconds: 14, OutageSeconds: 16},
		prikke.StatusSample{Day: "2026-11-25", Component: "api", OutageSeconds: 120},
		prikke.StatusSample{Day: "2026-11-25", Component: "api", MaintenanceSeconds: 600},
		prikke.StatusSample{Day: "2026-11-25", Component: "api", Checks: 2, Degraded: 1, OperationalSeconds: 3, DegradedSeconds: 15})
	add(prikke.StatusSample{Day: "2026-11-26", Component: "api", Checks: 1, OperationalSeconds: 86399})
	for _, bad := range []prikke.StatusSample{
		{Day: "2026-11-26", Component: "api", OutageSeconds: -1},
		{Day: "2026-11-26", Component: "api", Checks: 1, Degraded: 1, Outage: 1},
		{Day: "yesterday", Component: "api"},
		{Day: "2026-11-26"},
	} {
		Errcode(t, s.StatusSampleAdd(ctx, &bad), prikke.EINVALID)
	}

	got, err := s.StatusSampleList(ctx, "2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	want := []*prikke.StatusSample{
		{Day: "2026-11-25", Component: "api", Checks: 5, Degraded: 2, Outage: 1,
			OperationalSeconds: 18, DegradedSeconds: 29, OutageSeconds: 136, MaintenanceSeconds: 600},
		{Day: "2026-11-26", Component: "api", Checks: 1, OperationalSeconds: 86399},
		{Day: "2026-11-26", Component: "scheduler", Checks: 1, OperationalSeconds: 15},
	}
	if !matches(got, want) {
		t.Errorf("StatusSampleList = %s, want %s", formatList(got), formatList(want))
	}
	if got, err := s.StatusSampleList(ctx, "2026-11-01"); err != nil || len(got) != 4 || got[0].Day != "2026-11-24" || got[0].Outage != 1 || got[0].OutageSeconds != 15 {
		t.Errorf("StatusSampleList from the 1st = %s, %v", formatList(got), err)
	}
	if got, err := s.StatusSampleList(ctx, "2026-12-01"); err != nil || len(got) != 0 {
		t.Errorf("StatusSampleList from the future = %s, %v", formatList(got), err)
	}
}

// testStatusSampleCommit: the counters and the mark move together, and
// only from the mark the caller read, so two samplers that read the same
// mark (a leader handover, a retry after a failed write) credit the time
// since it once.
func testStatusSampleCommit(t *testing.T, open Opener, cov *coverage) {
	cov.covers("StatusSampleCommit")
	s := open(t)
	ctx := context.Background()
	const mark = "status:sampled"
	sample := func(secs int) []*prikke.StatusSample {
		return []*prikke.StatusSample{
			{Day: "2026-11-25", Component: "api", Checks: 1, OperationalSeconds: secs},
			{Day: "2026-11-25", Component: "scheduler", Checks: 1, OutageSeconds: secs},
		}
	}
	commit := func(prev, next string, ds []*prikke.StatusSample, want bool) {
		t.Helper()
		if got, err := s.StatusSampleCommit(ctx, mark, prev, next, ds); err != nil || got != want {
			t.Fatalf("StatusSampleCommit(%q -> %q) = %v, %v; want %v", prev, next, got, err, want)
		}
	}
	check := func(wantMark string, api, scheduler int) {
		t.Helper()
		if _, detail, err := s.HeartbeatGet(ctx, mark); err != nil || detail != wantMark {
			t.Errorf("mark = %q, %v; want %q", detail, err, wantMark)
		}
		got, err := s.StatusSampleList(ctx, "2026-11-01")
		if err != nil {
			t.Fatal(err)
		}
		want := []*prikke.StatusSample{
			{Day: "2026-11-25", Component: "api", Checks: api, OperationalSeconds: 15 * (api - 1)},
			{Day: "2026-11-25", Component: "scheduler", Checks: scheduler, OutageSeconds: 15 * (scheduler - 1)},
		}
		if !matches(got, want) {
			t.Errorf("StatusSampleList = %s, want %s", formatList(got), formatList(want))
		}
	}

	// The first sample: no mark yet. A second first sample loses.
	commit("", "t0 a", sample(0), true)
	commit("", "t0 b", sample(0), false)
	check("t0 a", 1, 1)
	// Two samplers read "t0 a": the first moves it and credits the span,
	// the second finds it moved and credits nothing.
	commit("t0 a", "t1 a", sample(15), true)
	commit("t0 a", "t1 b", sample(15), false)
	check("t1 a", 2, 2)
	// A sample that cannot be written in full (the last counter is
	// negative) leaves neither the counters before it nor the mark, so
	// the next sample credits the span.
	bad := append(sample(15), &prikke.StatusSample{Day: "2026-11-25", Component: "delivery", OutageSeconds: -1})
	if ok, err := s.StatusSampleCommit(ctx, mark, "t1 a", "t2 a", bad); ok {
		t.Errorf("StatusSampleCommit of a negative counter = true, %v", err)
	} else {
		Errcode(t, err, prikke.EINVALID)
	}
	check("t1 a", 2, 2)
	commit("t1 a", "t2 a", sample(15), true)
	check("t2 a", 3, 3)
	// A mark of another name is a mark of its own.
	if ok, err := s.StatusSampleCommit(ctx, "status:other", "", "x", nil); err != nil || !ok {
		t.Errorf("StatusSampleCommit of another mark = %v, %v", ok, err)
	}
	check("t2 a", 3, 3)
}

func testIncidents(t *testing.T, open Opener, cov *coverage) {
	cov.covers("IncidentCreate", "IncidentUpdate", "IncidentGet", "IncidentList")
	s := open(t)
	ctx := context.Background()

	update := func(inc *prikke.Incident, status prikke.IncidentStatus, msg string, at time.Time) prikke.IncidentUpdate {
		return prikke.IncidentUpdate{ID: prikke.NewID(), IncidentID: inc.ID, Status: status, Message: msg, CreatedAt: at}
	}
	create := func(title string, components []string, at time.Time) *prikke.Incident {
		t.Helper()
		inc := &prikke.Incident{ID: prikke.NewID(), Title: title, Status: prikke.IncidentInvestigating, Components: components,
			CreatedAt: at, UpdatedAt: at}
		first := update(inc, prikke.IncidentInvestigating, "Looking into it.", at)
		if err := s.IncidentCreate(ctx, inc, &first); err != nil {
			t.Fatal(err)
		}
		inc.Updates = []prikke.IncidentUpdate{first}
		return inc
	}
	get := func(inc *prikke.Incident) {
		t.Helper()
		got, err := s.IncidentGet(ctx, inc.ID)
		if err != nil || !matches(got, inc) {
			t.Errorf("IncidentGet = %+v, %v; want %+v", got, err, inc)
		}
	}
	resolve := func(inc *prikke.Incident, at time.Time) {
		t.Helper()
		u := update(inc, prikke.IncidentResolved, "Fixed.", at)
		if err := s.IncidentUpdate(ctx, &u); err != nil {
			t.Fatal(err)
		}
		inc.Status, inc.UpdatedAt, inc.ResolvedAt = prikke.IncidentResolved, at, &at
		inc.Updates = append([]prikke.IncidentUpdate{u}, inc.Updates...)
	}

	slow := create("Slow deliveries", []string{"delivery", "scheduler"}, T0)
	get(slow)
	u := update(slow, prikke.IncidentIdentified, "A stuck node.", T0.Add(10*time.Minute))
	if err := s.IncidentUpdate(ctx, &u); err != nil {
		t.Fatal(err)
	}
	slow.Status, slow.UpdatedAt = prikke.IncidentIdentified, u.CreatedAt
	slow.Updates = append([]prikke.IncidentUpdate{u}, slow.Updates...)
	get(slow)
	resolve(slow, T0.Add(time.Hour))
	get(slow)

	// An update of a missing incident is refused and leaves nothing behind.
	ghost := &prikke.Incident{ID: prikke.NewID()}
	gu := update(ghost, prikke.IncidentMonitoring, "?", T0)
	Errcode(t, s.IncidentUpdate(ctx, &gu), prikke.ENOTFOUND)
	_, err := s.IncidentGet(ctx, ghost.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	// A failed create (duplicate id) writes no update either.
	dupFirst := update(slow, prikke.IncidentInvestigating, "again", T0)
	Errcode(t, s.IncidentCreate(ctx, &prikke.Incident{ID: slow.ID, Title: "dup", Status: prikke.IncidentInvestigating,
		CreatedAt: T0, UpdatedAt: T0}, &dupFirst), prikke.ECONFLICT)
	get(slow)

	old := create("Old outage", nil, T0.Add(-48*time.Hour))
	resolve(old, T0.Add(-47*time.Hour))
	api := create("API errors", []string{"api"}, T0.Add(2*time.Hour))
	get(api)
	get(old)

	list := func(since time.Time, want ...*prikke.Incident) {
		t.Helper()
		got, err := s.IncidentList(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if !matches(got, want) {
			t.Errorf("IncidentList(%v) = %s, want %s", since, formatList(got), formatList(want))
		}
	}
	list(T0, api, slow)
	list(T0.Add(time.Hour), api, slow) // resolved at since is included
	list(T0.Add(time.Hour+time.Microsecond), api)
	list(T0.Add(-72*time.Hour), api, slow, old)

	// Reopening clears resolved_at: the incident is open again.
	reopen := update(old, prikke.IncidentMonitoring, "It is back.", T0.Add(3*time.Hour))
	if err := s.IncidentUpdate(ctx, &reopen); err != nil {
		t.Fatal(err)
	}
	old.Status, old.UpdatedAt, old.ResolvedAt = prikke.IncidentMonitoring, reopen.CreatedAt, nil
	old.Updates = append([]prikke.IncidentUpdate{reopen}, old.Updates...)
	get(old)
	list(T0.Add(24*time.Hour), api, old)
}

func testStatusPages(t *testing.T, open Opener, cov *coverage) {
	cov.covers("StatusPageCreate", "StatusPageGet", "StatusPageGetBySlug", "StatusPageListByProject", "StatusPageUpdate", "StatusPageDelete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	j1, j2, j3 := NewJob(t, s, a, nil), NewJob(t, s, a, nil), NewJob(t, s, a, nil)
	jb := NewJob(t, s, b, nil)

	p1 := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: a.Project.ID, Slug: "acme-status", Title: "Acme",
		Jobs:      []prikke.StatusPageJob{{JobID: j2.ID, DisplayName: "API sync", Position: 1}, {JobID: j1.ID, DisplayName: "Nightly", Position: 0}},
		CreatedAt: T0, UpdatedAt: T0}
	if err := s.StatusPageCreate(ctx, p1); err != nil {
		t.Fatal(err)
	}
	p1.Jobs = []prikke.StatusPageJob{p1.Jobs[1], p1.Jobs[0]} // by position
	p2 := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: a.Project.ID, Slug: "acme-internal", Title: "Internal", Published: true,
		Jobs: []prikke.StatusPageJob{{JobID: j3.ID, DisplayName: "Backups"}}, CreatedAt: T0.Add(time.Second), UpdatedAt: T0.Add(time.Second)}
	if err := s.StatusPageCreate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	pb := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: b.Project.ID, Slug: "bee", Title: "Bee", CreatedAt: T0, UpdatedAt: T0}
	if err := s.StatusPageCreate(ctx, pb); err != nil {
		t.Fatal(err)
	}

	get := func(p *prikke.StatusPage) {
		t.Helper()
		got, err := s.StatusPageGet(ctx, p.ID)
		if err != nil || !matches(got, p) {
			t.Errorf("StatusPageGet = %+v, %v; want %+v", got, err, p)
		}
		got, err = s.StatusPageGetBySlug(ctx, p.Slug)
		if err != nil || !matches(got, p) {
			t.Errorf("StatusPageGetBySlug(%s) = %+v, %v; want %+v", p.Slug, got, err, p)
		}
	}
	get(p1)
	get(p2)
	get(pb)
	if ps, err := s.StatusPageListByProject(ctx, a.Project.ID); err != nil || len(ps) != 2 || !matches(ps[0], p1) || !matches(ps[1], p2) {
		t.Errorf("StatusPageListByProject = %s, %v; want [p1 p2] with their jobs", formatList(ps), err)
	}
	if ps, err := s.StatusPageListByProject(ctx, b.Project.ID); err != nil || len(ps) != 1 || ps[0].ID != pb.ID {
		t.Errorf("other tenant's StatusPageListByProject = %s, %v", formatList(ps), err)
	}

	// A taken slug, or a job of another project, creates nothing.
	p3 := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: a.Project.ID, Slug: "bee", Title: "x", CreatedAt: T0, UpdatedAt: T0}
	Errcode(t, s.StatusPageCreate(ctx, p3), prikke.ECONFLICT)
	p3.Slug, p3.Jobs = "acme-3", []prikke.StatusPageJob{{JobID: j1.ID, DisplayName: "ok"}, {JobID: jb.ID, DisplayName: "theirs"}}
	Errcode(t, s.StatusPageCreate(ctx, p3), prikke.ENOTFOUND)
	_, err := s.StatusPageGet(ctx, p3.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.StatusPageGetBySlug(ctx, "acme-3")
	Errcode(t, err, prikke.ENOTFOUND)

	// Update rewrites the fields and replaces the job list.
	p1.Slug, p1.Title, p1.Published, p1.UpdatedAt = "acme", "Acme Inc.", true, T0.Add(time.Hour)
	p1.Jobs = []prikke.StatusPageJob{{JobID: j3.ID, DisplayName: "Backups", Position: 0}, {JobID: j1.ID, DisplayName: "Nightly jobs", Position: 5}}
	if err := s.StatusPageUpdate(ctx, p1); err != nil {
		t.Fatal(err)
	}
	get(p1)
	_, err = s.StatusPageGetBySlug(ctx, "acme-status")
	Errcode(t, err, prikke.ENOTFOUND)
	get(p2) // sharing a job with another page is fine

	// A failed update changes nothing.
	bad := *p2
	bad.Slug, bad.Title, bad.Jobs = "acme", "Stolen", nil
	Errcode(t, s.StatusPageUpdate(ctx, &bad), prikke.ECONFLICT)
	bad = *p1
	bad.Title, bad.Jobs = "Mixed", []prikke.StatusPageJob{{JobID: j2.ID, DisplayName: "ok"}, {JobID: jb.ID, DisplayName: "theirs"}}
	Errcode(t, s.StatusPageUpdate(ctx, &bad), prikke.ENOTFOUND)
	get(p1)
	get(p2)
	// The page stays in its project whatever the caller says.
	moved := *p2
	moved.ProjectID, moved.Jobs = b.Project.ID, []prikke.StatusPageJob{{JobID: jb.ID, DisplayName: "theirs"}}
	Errcode(t, s.StatusPageUpdate(ctx, &moved), prikke.ENOTFOUND)
	get(p2)
	// An empty job list empties the page.
	p2.Jobs = nil
	if err := s.StatusPageUpdate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	get(p2)

	missing := *p1
	missing.ID, missing.Slug = prikke.NewID(), "missing"
	Errcode(t, s.StatusPageUpdate(ctx, &missing), prikke.ENOTFOUND)
	if err := s.StatusPageDelete(ctx, p1.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.StatusPageGet(ctx, p1.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.StatusPageGetBySlug(ctx, "acme")
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.StatusPageDelete(ctx, p1.ID), prikke.ENOTFOUND)
	if ps, err := s.StatusPageListByProject(ctx, a.Project.ID); err != nil || len(ps) != 1 || ps[0].ID != p2.ID {
		t.Errorf("after delete: %s, %v", formatList(ps), err)
	}
}

// insertFinishedExecution writes a finished execution of j straight into the
// executions table, as the workers would leave it.
func insertFinishedExecution(t testing.TB, s store.Store, j *prikke.Job, status prikke.ExecutionStatus, finishedAt time.Time) {
	t.Helper()
	ctx := context.Background()
	id := prikke.NewID()
	scheduled := finishedAt.Add(-time.Second)
	const q = `INSERT INTO executions (id, job_id, project_id, organization_id, scheduled_for, due_at, attempt, status,
		started_at, finished_at, created_at) VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $5, $7, $5)`
	var err error
	switch st := s.(type) {
	case *pgstore.Store:
		_, err = st.Pool().Exec(ctx, q, id, j.ID, j.ProjectID, j.OrganizationID, scheduled, string(status), finishedAt)
	case *sqlitestore.Store:
		_, err = st.DB().ExecContext(ctx, q, id.String(), j.ID.String(), j.ProjectID.String(), j.OrganizationID.String(),
			scheduled.UnixMicro(), string(status), finishedAt.UnixMicro())
	default:
		t.Fatalf("insertFinished: unknown store %T", s)
	}
	if err != nil {
		t.Fatalf("insert finished execution: %v", err)
	}
}

func testJobDays(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobDaysRollup", "JobDaysList", "JobDaysPrune")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j1, j2, hidden := NewJob(t, s, a, nil), NewJob(t, s, a, nil), NewJob(t, s, a, nil)
	page := &prikke.StatusPage{ID: prikke.NewID(), ProjectID: a.Project.ID, Slug: "days", Title: "Days", CreatedAt: T0, UpdatedAt: T0,
		Jobs: []prikke.StatusPageJob{{JobID: j1.ID, DisplayName: "one"}, {JobID: j2.ID, DisplayName: "two", Position: 1}}}
	if err := s.StatusPageCreate(ctx, page); err != nil {
		t.Fatal(err)
	}

	d0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	d1, d2 := d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 2)
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d1.Add(-time.Microsecond)) // the last instant of d0
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d1)                        // the first of d1
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusFailed, d1.Add(10*time.Hour))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusTimeout, d1.Add(11*time.Hour))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d2.Add(-time.Microsecond))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d2.Add(9*time.Hour))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusFailed, d2.Add(9*time.Hour+30*time.Minute))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSkipped, d2.Add(10*time.Hour)) // neither success nor failure
	insertFinishedExecution(t, s, j2, prikke.ExecutionStatusTimeout, d2.Add(time.Hour))
	insertFinishedExecution(t, s, hidden, prikke.ExecutionStatusSuccess, d2.Add(time.Hour)) // on no status page

	all := []prikke.ID{j1.ID, j2.ID, hidden.ID}
	check := func(name string, ids []prikke.ID, sinceDay string, want ...*prikke.JobDay) {
		t.Helper()
		got, err := s.JobDaysList(ctx, ids, sinceDay)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sort.SliceStable(want, func(i, k int) bool { return want[i].JobID.String() < want[k].JobID.String() })
		if !matches(got, want) {
			t.Errorf("%s: JobDaysList = %s, want %s", name, formatList(got), formatList(want))
		}
	}
	check("before any rollup", all, "2026-11-01")
	check("no jobs", nil, "2026-11-01")

	// since in the middle of d1 recounts all of d1 and d2.
	for i := range 2 {
		if err := s.JobDaysRollup(ctx, d1.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("rollup %d", i+1), all, "2026-11-01",
			&prikke.JobDay{JobID: j1.ID, Day: "2026-11-25", Success: 2, Failed: 2},
			&prikke.JobDay{JobID: j1.ID, Day: "2026-11-26", Success: 1, Failed: 1},
			&prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	}

	// New results replace the day's counts; older days are left alone.
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d2.Add(20*time.Hour))
	insertFinishedExecution(t, s, j1, prikke.ExecutionStatusSuccess, d1.Add(20*time.Hour))
	if err := s.JobDaysRollup(ctx, d2.Add(21*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("rollup of d2", all, "2026-11-01",
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-25", Success: 2, Failed: 2},
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-26", Success: 2, Failed: 1},
		&prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	if err := s.JobDaysRollup(ctx, d0); err != nil {
		t.Fatal(err)
	}
	check("rollup from d0", all, "2026-11-01",
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-24", Success: 1},
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-25", Success: 3, Failed: 2},
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-26", Success: 2, Failed: 1},
		&prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	check("since d2", all, "2026-11-26",
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-26", Success: 2, Failed: 1},
		&prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	check("one job", []prikke.ID{j2.ID}, "2026-11-01", &prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	check("job on no page", []prikke.ID{hidden.ID}, "2026-11-01")

	n, err := s.JobDaysPrune(ctx, "2026-11-26")
	if err != nil || n != 2 {
		t.Errorf("JobDaysPrune = %d, %v; want 2", n, err)
	}
	check("after prune", all, "2026-11-01",
		&prikke.JobDay{JobID: j1.ID, Day: "2026-11-26", Success: 2, Failed: 1},
		&prikke.JobDay{JobID: j2.ID, Day: "2026-11-26", Success: 0, Failed: 1})
	if n, err := s.JobDaysPrune(ctx, "2026-11-26"); err != nil || n != 0 {
		t.Errorf("second JobDaysPrune = %d, %v; want 0", n, err)
	}
}
