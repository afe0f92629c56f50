package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testJobs(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"CreateGet":        testJobCreateGet,
		"List":             testJobList,
		"Update":           testJobUpdate,
		"EnableDelete":     testJobEnableDelete,
		"ExecutionQueries": testExecutionQueries,
		"CreateMany":       testJobCreateMany,
		"AlertPolicy":      testJobAlertPolicy,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

func testJobCreateGet(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreate", "JobGet", "JobCountByOrganization", "JobGetByIdempotencyKey")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	ch := &prikke.Channel{ID: prikke.NewID(), ProjectID: a.Project.ID, Kind: prikke.ChannelWebhook, Target: "https://example.com/c", Enabled: true, CreatedAt: T0, UpdatedAt: T0}
	if err := s.ChannelCreate(ctx, ch); err != nil {
		t.Fatal(err)
	}
	j := NewJob(t, s, a, func(j *prikke.Job) {
		j.Interval = prikke.IntervalHourly
		j.CronExpression = "0 * * * *"
		j.TimeZone = "Europe/Oslo"
		j.CatchUp = prikke.CatchUpSkip
		j.CatchUpWindow = 2 * time.Hour
		j.Overlap = prikke.OverlapSkip
		j.IntervalMinutes = 60
		j.NotifyMode = prikke.NotifyCustom
		j.ChannelIDs = []prikke.ID{ch.ID}
		j.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer x"}, {Name: "X-B", Value: "ø"}}
		j.Body = "<script>alert(1)</script>\u202e"
		j.TimeoutMS = 1500
		j.RetryAttempts = 0
		j.ConsecutiveFailures = 2
		j.Health = prikke.JobFailing
	})
	got, err := s.JobGet(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, j) {
		t.Errorf("JobGet round trip:\n got %+v\nwant %+v", got, j)
	}

	// The last run is the newest finished execution.
	if got.LastRunAt != nil || got.LastStatus != "" {
		t.Errorf("a job that never ran has last run %v %q", got.LastRunAt, got.LastStatus)
	}
	NewExecution(t, s, j, prikke.TierPro, T0)
	complete(t, s, "n", claimOne(t, s, "n", T0), prikke.ExecutionStatusTimeout, nil)
	NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Hour)) // pending: not a run yet
	got, _ = s.JobGet(ctx, j.ID)
	if got.LastRunAt == nil || !got.LastRunAt.Equal(T0.Add(10*time.Millisecond)) || got.LastStatus != prikke.ExecutionStatusTimeout {
		t.Errorf("last run = %v %q; want the timed-out run", got.LastRunAt, got.LastStatus)
	}
	if l, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID}); len(l) == 0 || l[0].LastStatus != prikke.ExecutionStatusTimeout {
		t.Errorf("JobList last status = %+v", l)
	}

	once := NewJob(t, s, a, Once(T0.Add(time.Hour)))
	got, _ = s.JobGet(ctx, once.ID)
	if got.Kind != prikke.JobKindOnce || !got.RunAt.Equal(T0.Add(time.Hour)) || got.CronExpression != "" || got.ChannelIDs != nil {
		t.Errorf("one-time job = %+v", got)
	}
	_, err = s.JobGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	// A job in a missing project is refused.
	bad := *j
	bad.ID, bad.ProjectID = prikke.NewID(), prikke.NewID()
	Errcode(t, s.JobCreate(ctx, &bad), prikke.ENOTFOUND)

	q := NewJob(t, s, a, func(j *prikke.Job) {
		Once(T0)(j)
		j.Kind = prikke.JobKindQueue
		j.IdempotencyKey = "key-1"
	})
	if n, err := s.JobCountByOrganization(ctx, a.Org.ID); err != nil || n != 2 {
		t.Errorf("JobCountByOrganization = %d, %v; want 2 (queued requests do not count)", n, err)
	}
	if got, err := s.JobGetByIdempotencyKey(ctx, a.Project.ID, "key-1"); err != nil || got.ID != q.ID {
		t.Errorf("JobGetByIdempotencyKey = %v, %v", got, err)
	}
	_, err = s.JobGetByIdempotencyKey(ctx, a.Project.ID, "key-2")
	Errcode(t, err, prikke.ENOTFOUND)
	dup := *q
	dup.ID = prikke.NewID()
	Errcode(t, s.JobCreate(ctx, &dup), prikke.ECONFLICT)
}

func testJobList(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobList")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	var mine []*prikke.Job
	for i := range 5 {
		mine = append(mine, NewJob(t, s, a, func(j *prikke.Job) {
			j.CreatedAt = T0.Add(time.Duration(i) * time.Second)
			j.Name = []string{"Nightly report", "night_owl", "50% off", "sync", "other"}[i]
			j.Enabled = i != 3
		}))
	}
	NewJob(t, s, a, func(j *prikke.Job) { Once(T0)(j); j.Kind = prikke.JobKindQueue })
	NewJob(t, s, b, nil)

	ids := func(js []*prikke.Job) []prikke.ID {
		var out []prikke.ID
		for _, j := range js {
			out = append(out, j.ID)
		}
		return out
	}
	all, err := s.JobList(ctx, store.JobFilter{OrganizationID: &a.Org.ID})
	if err != nil || !reflect.DeepEqual(ids(all), ids(mine)) {
		t.Fatalf("JobList(org) = %v, %v; want the 5 jobs in creation order, no queued request", ids(all), err)
	}
	if got, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Kinds: []prikke.JobKind{prikke.JobKindQueue}}); len(got) != 1 {
		t.Errorf("queue kind filter: %d jobs", len(got))
	}
	f := false
	if got, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Enabled: &f}); !reflect.DeepEqual(ids(got), ids(mine[3:4])) {
		t.Errorf("enabled=false filter: %v", ids(got))
	}
	if got, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Search: "NIGHT"}); len(got) != 2 {
		t.Errorf("search NIGHT: %d jobs, want 2 (case-insensitive)", len(got))
	}
	if got, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Search: "%"}); !reflect.DeepEqual(ids(got), ids(mine[2:3])) {
		t.Errorf("search %%: %v; wildcards must be literal", ids(got))
	}
	if got, _ := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Search: "_"}); !reflect.DeepEqual(ids(got), ids(mine[1:2])) {
		t.Errorf("search _: %v; wildcards must be literal", ids(got))
	}
	page1, _ := s.JobList(ctx, store.JobFilter{OrganizationID: &a.Org.ID, Limit: 2})
	page2, _ := s.JobList(ctx, store.JobFilter{OrganizationID: &a.Org.ID, Limit: 2, AfterCreatedAt: page1[1].CreatedAt, AfterID: page1[1].ID})
	page3, _ := s.JobList(ctx, store.JobFilter{OrganizationID: &a.Org.ID, Limit: 2, AfterCreatedAt: page2[1].CreatedAt, AfterID: page2[1].ID})
	if got := ids(append(append(page1, page2...), page3...)); !reflect.DeepEqual(got, ids(mine)) {
		t.Errorf("paging = %v", got)
	}
	if got, _ := s.JobList(ctx, store.JobFilter{OrganizationID: &a.Org.ID, ProjectID: &b.Project.ID}); len(got) != 0 {
		t.Errorf("org A with project B returned %d jobs", len(got))
	}
	if _, err := s.JobList(ctx, store.JobFilter{}); err == nil {
		t.Error("JobList without a tenant filter succeeded")
	}
}

func testJobUpdate(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobUpdate", "ExecutionDeletePending")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	pending := NewExecution(t, s, j, prikke.TierPro, T0)
	NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Minute))
	running := claimOne(t, s, "n1", T0)
	if running.Execution.ID != pending.ID {
		t.Fatalf("claimed %v, want the older occurrence", running.Execution.ID)
	}
	next := T0.Add(time.Hour)
	j.Name, j.URL, j.Method, j.Body = "renamed", "https://example.org/x", "PUT", "b"
	j.Headers = nil
	j.CronExpression, j.TimeZone, j.NextRunAt, j.IntervalMinutes = "0 * * * *", "Asia/Tokyo", &next, 60
	j.UpdatedAt = T0.Add(time.Minute)
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, _ := s.JobGet(ctx, j.ID)
	j.Headers = []prikke.Header{}
	if !reflect.DeepEqual(got, j) {
		t.Errorf("after update:\n got %+v\nwant %+v", got, j)
	}
	es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID})
	if len(es) != 1 || es[0].ID != pending.ID || es[0].Status != prikke.ExecutionStatusRunning {
		t.Errorf("after update executions = %v; the pending one must go, the running one stay", es)
	}
	NewExecution(t, s, j, prikke.TierPro, T0.Add(2*time.Minute))
	NewExecution(t, s, j, prikke.TierPro, T0.Add(3*time.Minute))
	if n, err := s.ExecutionDeletePending(ctx, j.ID); err != nil || n != 2 {
		t.Errorf("ExecutionDeletePending = %d, %v; want 2", n, err)
	}
	// A repeating job can become a one-time job and back.
	at := T0.Add(2 * time.Hour)
	j.Kind, j.CronExpression, j.Interval, j.RunAt, j.NextRunAt, j.IntervalMinutes = prikke.JobKindOnce, "", "", &at, &at, 0
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatalf("cron to one-time: %v", err)
	}
	if got, _ := s.JobGet(ctx, j.ID); got.Kind != prikke.JobKindOnce || got.RunAt == nil || !got.RunAt.Equal(at) || got.CronExpression != "" {
		t.Errorf("after the change to one-time: kind %q run_at %v cron %q", got.Kind, got.RunAt, got.CronExpression)
	}
	j.Kind, j.CronExpression, j.RunAt, j.NextRunAt, j.IntervalMinutes = prikke.JobKindCron, "*/5 * * * *", nil, &next, 5
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatalf("one-time to cron: %v", err)
	}
	if got, _ := s.JobGet(ctx, j.ID); got.Kind != prikke.JobKindCron || got.RunAt != nil || got.CronExpression != "*/5 * * * *" {
		t.Errorf("after the change back to cron: kind %q run_at %v cron %q", got.Kind, got.RunAt, got.CronExpression)
	}
	missing := *j
	missing.ID = prikke.NewID()
	Errcode(t, s.JobUpdate(ctx, &missing), prikke.ENOTFOUND)
}

func testJobEnableDelete(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobSetEnabled", "JobDelete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	NewExecution(t, s, j, prikke.TierPro, T0)
	if err := s.JobSetEnabled(ctx, j.ID, false, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := s.JobGet(ctx, j.ID)
	if got.Enabled || got.NextRunAt != nil {
		t.Errorf("paused job = %+v", got)
	}
	if es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID}); len(es) != 0 {
		t.Errorf("pausing kept %d pending executions", len(es))
	}
	next := T0.Add(time.Hour)
	if err := s.JobSetEnabled(ctx, j.ID, true, &next); err != nil {
		t.Fatal(err)
	}
	got, _ = s.JobGet(ctx, j.ID)
	if !got.Enabled || !got.NextRunAt.Equal(next) || got.DisabledReason != "" {
		t.Errorf("resumed job = %+v", got)
	}
	Errcode(t, s.JobSetEnabled(ctx, prikke.NewID(), true, nil), prikke.ENOTFOUND)

	NewExecution(t, s, j, prikke.TierPro, T0)
	if err := s.JobDelete(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.JobGet(ctx, j.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	if es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID}); len(es) != 0 {
		t.Errorf("deleting a job kept %d executions", len(es))
	}
	Errcode(t, s.JobDelete(ctx, j.ID), prikke.ENOTFOUND)
}

func testExecutionQueries(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionGet", "ExecutionList", "ExecutionStats")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	j2 := NewJob(t, s, a, nil)
	other := NewJob(t, s, b, nil)
	var es []*prikke.Execution
	for i := range 6 {
		es = append(es, NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Duration(i)*time.Minute)))
	}
	NewExecution(t, s, j2, prikke.TierPro, T0.Add(10*time.Minute))
	NewExecution(t, s, other, prikke.TierPro, T0.Add(10*time.Minute))
	// Deliver the first two: one success with a response, one failure.
	c := claimN(t, s, "n1", T0.Add(90*time.Second), 2)
	complete(t, s, "n1", c[0], prikke.ExecutionStatusSuccess, func(cp *store.Completion) {
		cp.ResponseStatus = 200
		cp.ResponseHeaders = []prikke.Header{{Name: "Content-Type", Value: "text/plain"}}
		cp.ResponseBody = []byte("ok\x00\xff")
		cp.ResponseTruncated = true
		cp.RequestMethod, cp.RequestURL = "POST", "https://example.com/hook"
		cp.RequestHeaders = []prikke.Header{{Name: "webhook-id", Value: "msg_x"}}
		cp.DurationMS = 12
	})
	complete(t, s, "n1", c[1], prikke.ExecutionStatusFailed, func(cp *store.Completion) { cp.Error = "HTTP 500"; cp.ResponseStatus = 500 })

	got, err := s.ExecutionGet(ctx, es[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != prikke.ExecutionStatusSuccess || got.ResponseStatus != 200 || string(got.ResponseBody) != "ok\x00\xff" ||
		!got.ResponseTruncated || got.DurationMS != 12 || got.RequestMethod != "POST" || got.ClaimedBy != "n1" ||
		!reflect.DeepEqual(got.ResponseHeaders, []prikke.Header{{Name: "Content-Type", Value: "text/plain"}}) ||
		!reflect.DeepEqual(got.RequestHeaders, []prikke.Header{{Name: "webhook-id", Value: "msg_x"}}) ||
		got.StartedAt == nil || got.FinishedAt == nil || got.LeaseExpiresAt != nil {
		t.Errorf("ExecutionGet = %+v", got)
	}
	_, err = s.ExecutionGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)

	list, err := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID})
	if err != nil || len(list) != 6 || list[0].ID != es[5].ID || list[5].ID != es[0].ID {
		t.Fatalf("ExecutionList(job) = %d rows, %v; want 6 newest first", len(list), err)
	}
	if list[5].ResponseBody != nil {
		t.Error("ExecutionList returned response bodies")
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{ProjectID: &a.Project.ID}); len(l) != 7 {
		t.Errorf("ExecutionList(project) = %d, want 7", len(l))
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &b.Org.ID}); len(l) != 1 {
		t.Errorf("ExecutionList(other org) = %d, want 1", len(l))
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &b.Org.ID, JobID: &j.ID}); len(l) != 0 {
		t.Errorf("filter smuggling: other org with job %v returned %d rows", j.ID, len(l))
	}
	l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusSuccess, prikke.ExecutionStatusFailed}})
	if len(l) != 2 {
		t.Errorf("status filter: %d rows, want 2", len(l))
	}
	l, _ = s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, Since: T0.Add(2 * time.Minute), Until: T0.Add(4 * time.Minute)})
	if len(l) != 2 || l[0].ID != es[3].ID {
		t.Errorf("time filter: %v", l)
	}
	p1, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, Limit: 4})
	p2, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, Limit: 4, BeforeCreatedAt: p1[3].CreatedAt, BeforeID: p1[3].ID})
	if len(p1) != 4 || len(p2) != 2 || p2[1].ID != es[0].ID {
		t.Errorf("paging: %d + %d", len(p1), len(p2))
	}
	st, err := s.ExecutionStats(ctx, store.ExecutionFilter{ProjectID: &a.Project.ID})
	if err != nil || st[prikke.ExecutionStatusSuccess] != 1 || st[prikke.ExecutionStatusFailed] != 1 || st[prikke.ExecutionStatusPending] != 5 {
		t.Errorf("ExecutionStats = %v, %v", st, err)
	}
	if _, err := s.ExecutionList(ctx, store.ExecutionFilter{}); err == nil {
		t.Error("ExecutionList without a tenant filter succeeded")
	}
}

// claimN claims up to n due executions at now for node.
func claimN(t testing.TB, s store.Store, node string, now time.Time, n int) []*store.Claimed {
	t.Helper()
	res, err := s.ExecutionClaim(context.Background(), &store.ClaimParams{Node: node, Limit: n, Now: now, LeaseGrace: 30 * time.Second})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return res.Claimed
}

// claimOne claims exactly one execution.
func claimOne(t testing.TB, s store.Store, node string, now time.Time) *store.Claimed {
	t.Helper()
	c := claimN(t, s, node, now, 1)
	if len(c) != 1 {
		t.Fatalf("claimed %d executions, want 1", len(c))
	}
	return c[0]
}

// complete records a result for a claimed execution and fails unless it
// was applied.
func complete(t testing.TB, s store.Store, node string, c *store.Claimed, status prikke.ExecutionStatus, edit func(*store.Completion)) {
	t.Helper()
	cp := completion(c, status)
	if edit != nil {
		edit(cp)
	}
	applied, err := s.ExecutionComplete(context.Background(), node, []*store.Completion{cp})
	if err != nil || len(applied) != 1 {
		t.Fatalf("complete = %v, %v", applied, err)
	}
}

// completion returns a plain completion of c with the health effect a
// worker would give it (no retries).
func completion(c *store.Claimed, status prikke.ExecutionStatus) *store.Completion {
	start := *c.Execution.ClaimedAt
	h := store.HealthFailure
	if status == prikke.ExecutionStatusSuccess {
		h = store.HealthSuccess
	}
	return &store.Completion{
		ExecutionID: c.Execution.ID, JobID: c.Job.ID, Attempt: c.Execution.Attempt, Status: status,
		StartedAt: start, FinishedAt: start.Add(10 * time.Millisecond), DurationMS: 10, Health: h,
	}
}

func testJobCreateMany(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreateMany")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	var js []*prikke.Job
	for i := range 250 {
		at := T0.Add(time.Duration(i) * time.Second)
		js = append(js, &prikke.Job{ID: prikke.NewID(), ProjectID: a.Project.ID, OrganizationID: a.Org.ID, Kind: prikke.JobKindOnce,
			Name: "bulk", URL: "https://example.com/", Method: "GET", TimeoutMS: 5000, RetryAttempts: 1, Enabled: true,
			TimeZone: "UTC", RunAt: &at, NextRunAt: &at, CatchUp: prikke.CatchUpLatest, CatchUpWindow: time.Hour,
			Overlap: prikke.OverlapAllow, NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, CreatedAt: at, UpdatedAt: at})
	}
	if err := s.JobCreateMany(ctx, js); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.JobCountByOrganization(ctx, a.Org.ID); n != 250 {
		t.Errorf("count = %d", n)
	}
	got, _ := s.JobGet(ctx, js[7].ID)
	if got.TimeoutMS != 5000 || !got.RunAt.Equal(*js[7].RunAt) || got.Headers == nil {
		t.Errorf("bulk job = %+v", got)
	}
	// All or nothing: a duplicate fails the whole batch.
	dup := []*prikke.Job{{ID: prikke.NewID(), ProjectID: a.Project.ID, OrganizationID: a.Org.ID, Kind: prikke.JobKindOnce,
		URL: "https://example.com/", Method: "GET", TimeoutMS: 5000, RunAt: &T0, NextRunAt: &T0, CatchUp: prikke.CatchUpLatest,
		Overlap: prikke.OverlapAllow, NotifyMode: prikke.NotifyProject, CreatedAt: T0, UpdatedAt: T0}, js[0]}
	Errcode(t, s.JobCreateMany(ctx, dup), prikke.ECONFLICT)
	if n, _ := s.JobCountByOrganization(ctx, a.Org.ID); n != 250 {
		t.Errorf("count after a failed batch = %d", n)
	}
}
