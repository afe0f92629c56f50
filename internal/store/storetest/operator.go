package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testOperator(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(t *testing.T, open Opener, cov *coverage){
		"Suspend":               testSuspend,
		"SuspendPlanChange":     testSuspendPlanChange,
		"SuspendCreateWithin":   testSuspendCreateWithin,
		"SuspendConcurrent":     testSuspendConcurrentCreate,
		"SuspendStaleResume":    testSuspendStaleResume,
		"SuspendInFlightRetry":  testSuspendInFlightRetry,
		"OrganizationSummaries": testOrganizationSummaries,
		"AuditListOperator":     testAuditListOperator,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// suspension returns the operator's suspend or unsuspend of org at at,
// with the plan change tests' steps.
func suspension(org prikke.ID, reason string, at time.Time) *store.Suspension {
	return &store.Suspension{OrganizationID: org, Reason: reason, At: at,
		NextRun: planNextRun, PauseMonitor: planPause, ResumeMonitor: planResume}
}

// pendingOf returns the IDs of job's pending executions.
func pendingOf(t *testing.T, s store.Store, jobID prikke.ID) []prikke.ID {
	t.Helper()
	es, err := s.ExecutionList(context.Background(), store.ExecutionFilter{JobID: &jobID, Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusPending}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []prikke.ID
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func testSuspend(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "OrganizationUnsuspend", "OrganizationGet", "OrganizationUpdate", "ExecutionClaim", "ExecutionList")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	other := NewTenant(t, s, prikke.TierPro)

	at := func(i int) func(j *prikke.Job) {
		return func(j *prikke.Job) {
			j.CreatedAt, j.UpdatedAt = T0.Add(time.Duration(i)*time.Second), T0.Add(time.Duration(i)*time.Second)
		}
	}
	cron := NewJob(t, s, tn, at(1))
	once := NewJob(t, s, tn, func(j *prikke.Job) { Once(T0.Add(48 * time.Hour))(j); at(2)(j) })
	userPaused := NewJob(t, s, tn, func(j *prikke.Job) { j.Enabled, j.NextRunAt = false, nil; at(3)(j) })
	planPaused := NewJob(t, s, tn, func(j *prikke.Job) { j.Enabled, j.NextRunAt, j.PauseReason = false, nil, prikke.PauseForPlan; at(4)(j) })
	queued := NewJob(t, s, tn, func(j *prikke.Job) { Once(T0)(j); j.Kind = prikke.JobKindQueue; at(5)(j) })
	for _, j := range []*prikke.Job{cron, once} {
		NewExecution(t, s, j, prikke.TierPro, T0)
	}
	NewExecution(t, s, queued, prikke.TierPro, T0)
	NewExecution(t, s, queued, prikke.TierPro, T0.Add(time.Second))
	up := NewMonitor(t, s, tn, func(m *prikke.Monitor) {
		due, deadline := T0.Add(m.Period), T0.Add(m.Period+m.Grace)
		m.Status, m.DueAt, m.DeadlineAt = prikke.MonitorUp, &due, &deadline
	})
	fresh := NewMonitor(t, s, tn, func(m *prikke.Monitor) { m.CreatedAt = T0.Add(time.Second) })
	userPausedMonitor := NewMonitor(t, s, tn, func(m *prikke.Monitor) { m.Status = prikke.MonitorPaused; m.CreatedAt = T0.Add(2 * time.Second) })
	// A workflow's step is the run's: a suspension leaves it alone.
	w := NewWorkflow(t, s, tn, httpStep("a"))
	run := startRun(t, s, w, "k", T0)
	stepJob := *runSteps(t, s, run.ID)["a"].JobID
	stepPending := pendingOf(t, s, stepJob)
	if len(stepPending) != 1 {
		t.Fatalf("the workflow step has %d pending executions, want 1", len(stepPending))
	}
	// Another organization's job runs on.
	otherJob := NewJob(t, s, other, nil)
	otherExec := NewExecution(t, s, otherJob, prikke.TierPro, T0)

	sus := suspension(tn.Org.ID, "abuse: phishing webhooks", T0.Add(time.Hour))
	res, err := s.OrganizationSuspend(ctx, sus)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jobIDs(res.Jobs), []prikke.ID{cron.ID, once.ID}; !slices.Equal(got, want) {
		t.Errorf("suspend paused jobs %v, want %v (creation order)", got, want)
	}
	if got, want := monitorIDs(res.Monitors), []prikke.ID{up.ID, fresh.ID}; !slices.Equal(got, want) {
		t.Errorf("suspend paused monitors %v, want %v", got, want)
	}
	if res.Cancelled != 2 {
		t.Errorf("suspend cancelled %d queued executions, want 2", res.Cancelled)
	}
	o, err := s.OrganizationGet(ctx, tn.Org.ID)
	if err != nil || !o.Suspended() || !o.SuspendedAt.Equal(sus.At) || o.SuspendReason != sus.Reason || !o.UpdatedAt.Equal(sus.At) {
		t.Fatalf("suspended organization = %+v, %v", o, err)
	}
	for _, j := range []*prikke.Job{cron, once} {
		got, err := s.JobGet(ctx, j.ID)
		if err != nil || got.Enabled || got.PauseReason != prikke.PauseForSuspension || got.NextRunAt != nil {
			t.Errorf("suspended job %s = %+v, %v; want paused, reason suspended", j.Name, got, err)
		}
	}
	for j, want := range map[*prikke.Job]string{userPaused: "", planPaused: prikke.PauseForPlan} {
		if got, err := s.JobGet(ctx, j.ID); err != nil || got.Enabled || got.PauseReason != want {
			t.Errorf("already paused job = %+v, %v; want its reason %q kept", got, err, want)
		}
	}
	for _, m := range []*prikke.Monitor{up, fresh} {
		got, err := s.MonitorGet(ctx, m.ID)
		if err != nil || got.Status != prikke.MonitorPaused || got.PauseReason != prikke.PauseForSuspension || got.DeadlineAt != nil || got.Version != m.Version+1 {
			t.Errorf("suspended monitor %s = %+v, %v", m.Name, got, err)
		}
	}
	if got, err := s.MonitorGet(ctx, userPausedMonitor.ID); err != nil || got.PauseReason != "" || got.Version != userPausedMonitor.Version {
		t.Errorf("the user's paused monitor = %+v, %v; want untouched", got, err)
	}
	for _, j := range []*prikke.Job{cron, once, queued} {
		if p := pendingOf(t, s, j.ID); len(p) != 0 {
			t.Errorf("job %s (%s) has pending executions %v after the suspend", j.Name, j.Kind, p)
		}
	}
	if got := pendingOf(t, s, stepJob); !slices.Equal(got, stepPending) {
		t.Errorf("the workflow step's pending executions = %v, want %v (untouched)", got, stepPending)
	}
	// The engine's claim finds the other organization's and the step's,
	// nothing of what was suspended.
	claimed := claimN(t, s, "n1", T0.Add(2*time.Hour), 100)
	var gotOther bool
	for _, c := range claimed {
		switch {
		case c.Execution.ID == otherExec.ID:
			gotOther = true
		case c.Job.ID == stepJob:
		default:
			t.Errorf("claimed %s of job %s (%s) in the suspended organization", c.Execution.ID, c.Job.Name, c.Job.Kind)
		}
	}
	if !gotOther || len(claimed) != 1+len(stepPending) {
		t.Errorf("claimed %d executions (other's: %v); want the other's and %d step executions", len(claimed), gotOther, len(stepPending))
	}
	if step, err := s.JobGet(ctx, stepJob); err != nil || step.PauseReason != "" {
		t.Errorf("step job = %+v, %v; want no pause reason", step, err)
	}

	// A member's rename keeps the suspension.
	o.Name = "renamed"
	o.UpdatedAt = sus.At.Add(time.Minute)
	if err := s.OrganizationUpdate(ctx, &prikke.Organization{ID: o.ID, Name: o.Name, Tier: o.Tier, UpdatedAt: o.UpdatedAt}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || got.Name != "renamed" || !got.Suspended() || got.SuspendReason != sus.Reason {
		t.Errorf("organization after an update = %+v, %v; want still suspended", got, err)
	}

	// Suspended again: only the reason changes.
	again := suspension(tn.Org.ID, "still phishing", T0.Add(90*time.Minute))
	if res, err := s.OrganizationSuspend(ctx, again); err != nil || len(res.Jobs)+len(res.Monitors)+res.Cancelled != 0 {
		t.Fatalf("second suspend = %+v, %v; want an empty result", res, err)
	}
	if got, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || !got.SuspendedAt.Equal(sus.At) || got.SuspendReason != again.Reason {
		t.Errorf("organization after a second suspend = %+v, %v; want the first time and the new reason", got, err)
	}
	// What the user pauses meanwhile stays paused by the user.
	if err := s.JobPauseFor(ctx, once.ID, ""); err != nil {
		t.Fatal(err)
	}

	un := suspension(tn.Org.ID, "", T0.Add(3*time.Hour))
	res, err = s.OrganizationUnsuspend(ctx, un)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jobIDs(res.Jobs), []prikke.ID{cron.ID}; !slices.Equal(got, want) {
		t.Errorf("unsuspend resumed jobs %v, want %v", got, want)
	}
	if got, want := monitorIDs(res.Monitors), []prikke.ID{up.ID, fresh.ID}; !slices.Equal(got, want) {
		t.Errorf("unsuspend resumed monitors %v, want %v", got, want)
	}
	if o, err := s.OrganizationGet(ctx, tn.Org.ID); err != nil || o.Suspended() || o.SuspendReason != "" || !o.UpdatedAt.Equal(un.At) {
		t.Errorf("unsuspended organization = %+v, %v", o, err)
	}
	want := planNextRun(cron, un.At)
	if got, err := s.JobGet(ctx, cron.ID); err != nil || !got.Enabled || got.PauseReason != "" || got.NextRunAt == nil || !got.NextRunAt.Equal(*want) {
		t.Errorf("resumed job = %+v, %v; want enabled, next %v", got, err, want)
	}
	for j, reason := range map[*prikke.Job]string{once: "", userPaused: "", planPaused: prikke.PauseForPlan} {
		if got, err := s.JobGet(ctx, j.ID); err != nil || got.Enabled || got.PauseReason != reason {
			t.Errorf("job %s after the unsuspend = %+v, %v; want paused, reason %q", j.Name, got, err, reason)
		}
	}
	for _, m := range []*prikke.Monitor{up, fresh} {
		if got, err := s.MonitorGet(ctx, m.ID); err != nil || got.Status != prikke.MonitorNew || got.PauseReason != "" {
			t.Errorf("resumed monitor %s = %+v, %v", m.Name, got, err)
		}
	}
	if got, err := s.MonitorGet(ctx, userPausedMonitor.ID); err != nil || got.Status != prikke.MonitorPaused {
		t.Errorf("the user's paused monitor after the unsuspend = %+v, %v", got, err)
	}
	// Not suspended: nothing to do.
	if res, err := s.OrganizationUnsuspend(ctx, un); err != nil || len(res.Jobs)+len(res.Monitors) != 0 {
		t.Errorf("second unsuspend = %+v, %v; want an empty result", res, err)
	}

	_, err = s.OrganizationSuspend(ctx, suspension(prikke.NewID(), "x", T0))
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.OrganizationUnsuspend(ctx, suspension(prikke.NewID(), "", T0))
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.OrganizationSuspend(ctx, suspension(other.Org.ID, strings.Repeat("x", prikke.MaxSuspendReason+1), T0))
	Errcode(t, err, prikke.EINVALID)
}

// testSuspendPlanChange: an upgrade of a suspended organization resumes
// nothing; what the plan paused is the suspension's to resume.
func testSuspendPlanChange(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "OrganizationUnsuspend", "PlanChange")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, tn, nil)
	m := NewMonitor(t, s, tn, nil)
	// Down to Free, then the job and the monitor paused for the plan (as
	// a downgrade of a busier organization would).
	down := &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierFree, At: T0.Add(time.Hour),
		NextRun: planNextRun, PauseMonitor: planPause, ResumeMonitor: planResume}
	if _, err := s.PlanChange(ctx, down); err != nil {
		t.Fatal(err)
	}
	if err := s.JobPauseFor(ctx, j.ID, prikke.PauseForPlan); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MonitorModify(ctx, m.ID, func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error) {
		m.Status, m.PauseReason = prikke.MonitorPaused, prikke.PauseForPlan
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.OrganizationSuspend(ctx, suspension(tn.Org.ID, "r", T0.Add(2*time.Hour))); err != nil || len(res.Jobs)+len(res.Monitors) != 0 {
		t.Fatalf("suspend = %+v, %v; want nothing paused (the plan paused it all)", res, err)
	}
	up := &store.PlanChange{OrganizationID: tn.Org.ID, To: prikke.TierPro, At: T0.Add(3 * time.Hour),
		NextRun: planNextRun, PauseMonitor: planPause, ResumeMonitor: planResume}
	res, err := s.PlanChange(ctx, up)
	if err != nil || res == nil || len(res.Jobs)+len(res.Monitors) != 0 {
		t.Fatalf("upgrade of a suspended organization = %+v, %v; want nothing resumed", res, err)
	}
	if o, _ := s.OrganizationGet(ctx, tn.Org.ID); o.Tier != prikke.TierPro || !o.Suspended() {
		t.Errorf("organization after the upgrade = %+v; want Pro, suspended", o)
	}
	if got, err := s.JobGet(ctx, j.ID); err != nil || got.Enabled || got.PauseReason != prikke.PauseForSuspension {
		t.Errorf("plan-paused job after the upgrade = %+v, %v; want paused, reason suspended", got, err)
	}
	if got, err := s.MonitorGet(ctx, m.ID); err != nil || got.Status != prikke.MonitorPaused || got.PauseReason != prikke.PauseForSuspension {
		t.Errorf("plan-paused monitor after the upgrade = %+v, %v; want paused, reason suspended", got, err)
	}
	res2, err := s.OrganizationUnsuspend(ctx, suspension(tn.Org.ID, "", T0.Add(4*time.Hour)))
	if err != nil || !slices.Equal(jobIDs(res2.Jobs), []prikke.ID{j.ID}) || !slices.Equal(monitorIDs(res2.Monitors), []prikke.ID{m.ID}) {
		t.Fatalf("unsuspend = %+v, %v; want the job and the monitor resumed", res2, err)
	}
}

// testSuspendCreateWithin: a create within the limit in a suspended
// organization is refused, EFORBIDDEN.
func testSuspendCreateWithin(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "JobCreateWithin", "MonitorCreateWithin")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	if _, err := s.OrganizationSuspend(ctx, suspension(tn.Org.ID, "r", T0)); err != nil {
		t.Fatal(err)
	}
	j := newUnsavedJob(tn, T0)
	err := s.JobCreateWithin(ctx, j, 0)
	Errcode(t, err, prikke.EFORBIDDEN)
	if !strings.Contains(prikke.ErrorMessage(err), "suspended") {
		t.Errorf("refusal %q does not say the organization is suspended", prikke.ErrorMessage(err))
	}
	Errcode(t, s.MonitorCreateWithin(ctx, newUnsavedMonitor(tn), 10), prikke.EFORBIDDEN)
	if n, _ := s.JobCountByOrganization(ctx, tn.Org.ID); n != 0 {
		t.Errorf("jobs after refused creates = %d", n)
	}
}

// testSuspendConcurrentCreate: creates racing a suspension either land
// before it (and are paused by it) or are refused; none is left running
// in the suspended organization.
// testSuspendStaleResume: a user's change to a job, read before the
// organization was suspended and written after (the service checked the
// suspension before it), never runs the job while suspended: not an
// enabled copy over the suspension's pause, nor a resume of a job the
// user had paused, by JobUpdate or JobSetEnabled.
func testSuspendStaleResume(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "JobUpdate", "JobSetEnabled")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	running := NewJob(t, s, tn, func(*prikke.Job) {})
	userPaused := NewJob(t, s, tn, func(j *prikke.Job) { j.Enabled, j.NextRunAt = false, nil })
	planPaused := NewJob(t, s, tn, func(j *prikke.Job) { j.Enabled, j.NextRunAt, j.PauseReason = false, nil, prikke.PauseForPlan })
	// The copies the user's requests read.
	staleRunning, staleUser := *running, *userPaused
	if _, err := s.OrganizationSuspend(ctx, suspension(tn.Org.ID, "abuse", T0)); err != nil {
		t.Fatal(err)
	}
	next := T0.Add(time.Hour)
	staleRunning.Name = "renamed"
	Errcode(t, s.JobUpdate(ctx, &staleRunning), prikke.EFORBIDDEN)
	staleUser.Enabled, staleUser.NextRunAt = true, &next
	Errcode(t, s.JobUpdate(ctx, &staleUser), prikke.EFORBIDDEN)
	Errcode(t, s.JobSetEnabled(ctx, planPaused.ID, true, &next), prikke.EFORBIDDEN)
	for _, j := range []*prikke.Job{running, userPaused, planPaused} {
		got, err := s.JobGet(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled || got.NextRunAt != nil {
			t.Errorf("job %s of a suspended organization: enabled %v, next run %v after a stale resume; want paused", j.ID, got.Enabled, got.NextRunAt)
		}
	}
	// Pausing stays open (the suspension's pause becomes the user's).
	if err := s.JobSetEnabled(ctx, running.ID, false, nil); err != nil {
		t.Errorf("pausing a job of a suspended organization: %v", err)
	}
}

// testSuspendInFlightRetry: an attempt claimed before the suspension
// and failed after it leaves no retry to run while suspended (the
// suspension deleted the pending ones; a one-time job's and a queued
// job's alike). Another organization's retry is inserted as ever.
func testSuspendInFlightRetry(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "ExecutionComplete")
	s := open(t)
	ctx := context.Background()
	tn := NewTenant(t, s, prikke.TierPro)
	other := NewTenant(t, s, prikke.TierPro)
	retrying := func(j *prikke.Job) { Once(T0)(j); j.RetryAttempts = 3 }
	once := NewJob(t, s, tn, retrying)
	queued := NewJob(t, s, tn, func(j *prikke.Job) { retrying(j); j.Kind = prikke.JobKindQueue })
	otherJob := NewJob(t, s, other, retrying)
	for _, j := range []*prikke.Job{once, queued, otherJob} {
		NewExecution(t, s, j, prikke.TierPro, T0)
	}
	claimed := claimN(t, s, "n1", T0.Add(time.Second), 10)
	if len(claimed) != 3 {
		t.Fatalf("claimed %d executions, want 3", len(claimed))
	}
	if _, err := s.OrganizationSuspend(ctx, suspension(tn.Org.ID, "abuse", T0.Add(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	for _, c := range claimed {
		complete(t, s, "n1", c, prikke.ExecutionStatusFailed, func(cp *store.Completion) {
			e := c.Execution
			cp.OrganizationID, cp.Health = e.OrganizationID, store.HealthNone
			cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: e.JobID, ProjectID: e.ProjectID, OrganizationID: e.OrganizationID,
				ScheduledFor: e.ScheduledFor, DueAt: T0.Add(time.Minute), Attempt: e.Attempt + 1, Status: prikke.ExecutionStatusPending,
				Priority: e.Priority, CreatedAt: T0.Add(3 * time.Second)}
		})
	}
	for _, j := range []*prikke.Job{once, queued} {
		if p := pendingOf(t, s, j.ID); len(p) != 0 {
			t.Errorf("job %s (%s) of the suspended organization has pending retries %v", j.Name, j.Kind, p)
		}
	}
	if p := pendingOf(t, s, otherJob.ID); len(p) != 1 {
		t.Errorf("the other organization's job has %d pending retries, want 1", len(p))
	}
}

func testSuspendConcurrentCreate(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSuspend", "JobCreateWithin")
	s := open(t)
	ctx := context.Background()
	for round := range 5 {
		tn := NewTenant(t, s, prikke.TierPro)
		var wg sync.WaitGroup
		start := make(chan struct{})
		const n = 8
		errs := make([]error, n)
		var res *store.SuspendResult
		var serr error
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.JobCreateWithin(ctx, newUnsavedJob(tn, T0.Add(time.Duration(i)*time.Second)), 0)
			})
		}
		wg.Go(func() {
			<-start
			res, serr = s.OrganizationSuspend(ctx, suspension(tn.Org.ID, "r", T0.Add(time.Hour)))
		})
		close(start)
		wg.Wait()
		if serr != nil {
			t.Fatal(serr)
		}
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case prikke.ErrorCode(err) != prikke.EFORBIDDEN:
				t.Fatalf("round %d: create: %v", round, err)
			}
		}
		jobs, err := s.JobList(ctx, store.JobFilter{ProjectID: &tn.Project.ID, Limit: 100})
		if err != nil || len(jobs) != created || len(res.Jobs) != created {
			t.Fatalf("round %d: %d jobs stored, %d created, %d paused by the suspend; %v", round, len(jobs), created, len(res.Jobs), err)
		}
		for _, j := range jobs {
			if j.Enabled || j.PauseReason != prikke.PauseForSuspension {
				t.Errorf("round %d: job %s enabled %v, reason %q in a suspended organization", round, j.Name, j.Enabled, j.PauseReason)
			}
		}
		if due, err := s.JobListDue(ctx, T0.Add(48*time.Hour), 100); err != nil {
			t.Fatal(err)
		} else {
			for _, d := range due {
				if d.Job.OrganizationID == tn.Org.ID {
					t.Errorf("round %d: job %s is due in a suspended organization", round, d.Job.Name)
				}
			}
		}
	}
}

func testOrganizationSummaries(t *testing.T, open Opener, cov *coverage) {
	cov.covers("OrganizationSummaries", "OrganizationCreate", "MembershipCreate", "UsageAdd")
	s := open(t)
	ctx := context.Background()
	// Three organizations made one after another (newest last): a, b,
	// and a team c that a's user owns and b's user joined.
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierFree)
	c := &prikke.Organization{ID: prikke.NewID(), Name: "Acme Widgets", Tier: prikke.TierFree, CreatedAt: T0.Add(time.Hour), UpdatedAt: T0.Add(time.Hour)}
	if err := s.OrganizationCreate(ctx, c, b.User.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MembershipCreate(ctx, &prikke.Membership{OrganizationID: c.ID, UserID: a.User.ID, Role: prikke.RoleOwner, CreatedAt: T0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// a and b are made at T0: their IDs order them.
	cp := &prikke.Project{ID: prikke.NewID(), OrganizationID: c.ID, Name: "P2", SigningSecret: "whsec_x", AlertAfter: 1, CreatedAt: T0, UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, cp); err != nil {
		t.Fatal(err)
	}
	NewJob(t, s, a, nil)
	NewJob(t, s, a, Once(T0.Add(time.Hour)))
	NewJob(t, s, a, func(j *prikke.Job) { Once(T0)(j); j.Kind = prikke.JobKindQueue }) // not counted
	NewMonitor(t, s, a, nil)
	w := NewWorkflow(t, s, a, httpStep("a"))
	startRun(t, s, w, "k", T0) // its step's job is not counted
	month := "2026-11"
	if _, err := s.UsageAdd(ctx, a.Org.ID, month, 42); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UsageAdd(ctx, a.Org.ID, "2026-10", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrganizationSuspend(ctx, suspension(b.Org.ID, "r", T0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}

	// The store is shared by no other test: all its organizations are these.
	all, err := s.OrganizationSummaries(ctx, store.OrganizationSummaryFilter{Month: month})
	if err != nil {
		t.Fatal(err)
	}
	ab := []prikke.ID{a.Org.ID, b.Org.ID}
	slices.SortFunc(ab, func(x, y prikke.ID) int { return bytes.Compare(y[:], x[:]) })
	if got, want := summaryIDs(all), append([]prikke.ID{c.ID}, ab...); !slices.Equal(got, want) {
		t.Fatalf("summaries %v, want %v (newest first)", got, want)
	}
	byID := map[prikke.ID]*store.OrganizationSummary{}
	for _, sm := range all {
		byID[sm.Organization.ID] = sm
	}
	sa, sb, sc := byID[a.Org.ID], byID[b.Org.ID], byID[c.ID]
	if sa.OwnerEmail != a.User.Email || sa.Members != 1 || sa.Projects != 1 || sa.Jobs != 2 || sa.Monitors != 1 || sa.Requests != 42 ||
		sa.Organization.Name != a.Org.Name || sa.Organization.Tier != prikke.TierPro || sa.Organization.Suspended() {
		t.Errorf("a's summary = %+v", sa)
	}
	if n, _ := s.JobCountByOrganization(ctx, a.Org.ID); n != sa.Jobs {
		t.Errorf("a's summary counts %d jobs, JobCountByOrganization %d", sa.Jobs, n)
	}
	if sb.Members != 1 || sb.Projects != 1 || sb.Jobs != 0 || sb.Requests != 0 || !sb.Organization.Suspended() ||
		sb.Organization.SuspendReason != "r" || !sb.Organization.SuspendedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("b's summary = %+v", sb)
	}
	if sc.OwnerEmail != b.User.Email || sc.Members != 2 || sc.Projects != 1 || sc.Jobs != 0 || sc.Monitors != 0 {
		t.Errorf("c's summary = %+v; want b's user as the first owner, 2 members", sc)
	}

	// The organizations an owner's email contains q: a's user owns a and
	// c, b's user b and c (and one email may contain the other: user1@
	// and user11@).
	ownedBy := func(q string) []prikke.ID {
		var out []prikke.ID
		for _, id := range append([]prikke.ID{c.ID}, ab...) {
			owners := []string{a.User.Email, b.User.Email}
			switch id {
			case a.Org.ID:
				owners = owners[:1]
			case b.Org.ID:
				owners = owners[1:]
			}
			if slices.ContainsFunc(owners, func(e string) bool { return strings.Contains(e, q) }) {
				out = append(out, id)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.OrganizationSummaryFilter
		want []prikke.ID
	}{
		{"id", store.OrganizationSummaryFilter{Query: a.Org.ID.String()}, []prikke.ID{a.Org.ID}},
		{"name", store.OrganizationSummaryFilter{Query: "acme WID"}, []prikke.ID{c.ID}},
		{"owner email", store.OrganizationSummaryFilter{Query: strings.ToUpper(a.User.Email)}, ownedBy(a.User.Email)},
		{"email substring", store.OrganizationSummaryFilter{Query: "example.COM"}, append([]prikke.ID{c.ID}, ab...)},
		{"like wildcards are literal", store.OrganizationSummaryFilter{Query: "%"}, nil},
		{"no match", store.OrganizationSummaryFilter{Query: "nobody"}, nil},
		{"suspended", store.OrganizationSummaryFilter{Suspended: true}, []prikke.ID{b.Org.ID}},
		{"suspended and query", store.OrganizationSummaryFilter{Suspended: true, Query: "acme"}, nil},
		{"limit", store.OrganizationSummaryFilter{Limit: 1}, []prikke.ID{c.ID}},
		{"page", store.OrganizationSummaryFilter{BeforeCreatedAt: c.CreatedAt, BeforeID: c.ID, Limit: 1}, ab[:1]},
		{"last page", store.OrganizationSummaryFilter{BeforeCreatedAt: T0, BeforeID: ab[0]}, ab[1:]},
	} {
		got, err := s.OrganizationSummaries(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(summaryIDs(got), tc.want) {
			t.Errorf("%s: summaries %v, want %v", tc.name, summaryIDs(got), tc.want)
		}
	}
}

func summaryIDs(ss []*store.OrganizationSummary) []prikke.ID {
	var out []prikke.ID
	for _, s := range ss {
		out = append(out, s.Organization.ID)
	}
	return out
}

func testAuditListOperator(t *testing.T, open Opener, cov *coverage) {
	cov.covers("AuditListOperator", "AuditInsert")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)
	insert := func(org *prikke.ID, action prikke.AuditAction, at time.Time) *prikke.AuditEntry {
		t.Helper()
		e := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: org, Action: action, Detail: `{}`, CreatedAt: at}
		if err := s.AuditInsert(ctx, e); err != nil {
			t.Fatalf("AuditInsert: %v", err)
		}
		return e
	}
	insert(&a.Org.ID, prikke.AuditJobCreate, T0.Add(5*time.Second))
	insert(nil, prikke.AuditLoginFailed, T0.Add(5*time.Second))
	suspendA := insert(&a.Org.ID, prikke.AuditOrganizationSuspend, T0)
	incident := insert(nil, prikke.AuditIncidentOpen, T0.Add(time.Second))
	tierB := insert(&b.Org.ID, prikke.AuditOperatorTier, T0.Add(2*time.Second))
	unsuspendA := insert(&a.Org.ID, prikke.AuditOrganizationUnsuspend, T0.Add(2*time.Second))

	want := []*prikke.AuditEntry{suspendA, incident, tierB, unsuspendA}
	slices.SortFunc(want, func(x, y *prikke.AuditEntry) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(y.ID[:], x.ID[:])
	})
	got, err := s.AuditListOperator(ctx, store.AuditFilter{})
	if err != nil || len(got) != len(want) {
		t.Fatalf("AuditListOperator = %v, %v; want %d entries", got, err, len(want))
	}
	for i := range want {
		sameRecord(t, fmt.Sprintf("AuditListOperator[%d]", i), got[i], want[i])
	}
	var paged []*prikke.AuditEntry
	f := store.AuditFilter{Limit: 1}
	for range 10 {
		page, err := s.AuditListOperator(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		f.BeforeCreatedAt, f.BeforeID = page[0].CreatedAt, page[0].ID
	}
	if len(paged) != len(want) {
		t.Fatalf("paged %d entries, want %d", len(paged), len(want))
	}
	for i := range want {
		if paged[i].ID != want[i].ID {
			t.Errorf("page %d = %s, want %s", i, paged[i].Action, want[i].Action)
		}
	}
	got, err = s.AuditListOperator(ctx, store.AuditFilter{OrganizationID: a.Org.ID})
	if err != nil || len(got) != 2 || got[0].ID != unsuspendA.ID || got[1].ID != suspendA.ID {
		t.Errorf("AuditListOperator of a = %v, %v; want its unsuspend and suspend", got, err)
	}
}
