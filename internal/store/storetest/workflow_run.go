package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// rawSecret reads a secret's stored value as the database holds it.
func rawSecret(t testing.TB, s store.Store, projectID prikke.ID, name string) []byte {
	t.Helper()
	ctx := context.Background()
	var b []byte
	var err error
	switch st := s.(type) {
	case *pgstore.Store:
		err = st.Pool().QueryRow(ctx, "SELECT value FROM project_secrets WHERE project_id = $1 AND name = $2", projectID, name).Scan(&b)
	case *sqlitestore.Store:
		err = st.DB().QueryRowContext(ctx, "SELECT value FROM project_secrets WHERE project_id = $1 AND name = $2", projectID.String(), name).Scan(&b)
	default:
		t.Skipf("no raw access to a %T", s)
	}
	if err != nil {
		t.Fatalf("raw secret: %v", err)
	}
	return b
}

func testWorkflowSecrets(t *testing.T, open Opener, cov *coverage) {
	cov.covers("SecretPut", "SecretList", "SecretDelete", "SecretValues")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	put := func(tn *Tenant, name, value string, at time.Time) {
		t.Helper()
		if err := s.SecretPut(ctx, &prikke.Secret{ProjectID: tn.Project.ID, Name: name, Value: value, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatalf("put secret %s: %v", name, err)
		}
	}
	put(a, "TOKEN", "s3cr3t-token-value", T0)
	put(a, "API_KEY", "key-1", T0)
	put(b, "TOKEN", "b's token", T0)
	put(a, "API_KEY", "key-2", T0.Add(time.Hour)) // replaces
	if raw := rawSecret(t, s, a.Project.ID, "TOKEN"); len(raw) == 0 || bytes.Contains(raw, []byte("s3cr3t")) {
		t.Errorf("the stored value is not sealed: %q", raw)
	}
	list, err := s.SecretList(ctx, a.Project.ID)
	if err != nil || len(list) != 2 || list[0].Name != "API_KEY" || list[1].Name != "TOKEN" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	for _, sc := range list {
		if sc.Value != "" || sc.ProjectID != a.Project.ID {
			t.Errorf("a listed secret carries %+v", sc)
		}
	}
	if !list[0].CreatedAt.Equal(T0) || !list[0].UpdatedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("replaced secret's times = %v, %v", list[0].CreatedAt, list[0].UpdatedAt)
	}
	vals, err := s.SecretValues(ctx, a.Project.ID)
	if err != nil || len(vals) != 2 || vals["TOKEN"] != "s3cr3t-token-value" || vals["API_KEY"] != "key-2" {
		t.Fatalf("values = %v, %v", vals, err)
	}
	if err := s.SecretDelete(ctx, a.Project.ID, "TOKEN"); err != nil {
		t.Fatal(err)
	}
	Errcode(t, s.SecretDelete(ctx, a.Project.ID, "TOKEN"), prikke.ENOTFOUND)
	if vals, _ := s.SecretValues(ctx, b.Project.ID); vals["TOKEN"] != "b's token" {
		t.Errorf("another project's secret = %v", vals)
	}
	// At most MaxSecretsPerProject; replacing one still works at the limit.
	for i := len(list) - 1; i < prikke.MaxSecretsPerProject; i++ {
		put(a, "S"+string(rune('A'+i/26))+string(rune('A'+i%26)), "v", T0)
	}
	err = s.SecretPut(ctx, &prikke.Secret{ProjectID: a.Project.ID, Name: "ONE_MORE", Value: "v", CreatedAt: T0})
	Errcode(t, err, prikke.EINVALID)
	put(a, "API_KEY", "key-3", T0)
	if empty, err := s.SecretValues(ctx, prikke.NewID()); err != nil || len(empty) != 0 {
		t.Errorf("values of a project without secrets = %v, %v", empty, err)
	}
}

// joinWorkflow is a and b at once, then c after both.
func joinWorkflow(t testing.TB, s store.Store, tn *Tenant) *prikke.Workflow {
	return NewWorkflow(t, s, tn, httpStep("a", []string{}...), httpStep("b", []string{}...), httpStep("c", "a", "b"))
}

// testWorkflowJoin: two parallel steps finishing at once, in concurrent
// transactions on two nodes or in one batch, start their join exactly
// once.
func testWorkflowJoin(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, prikke.Step{Key: "a", Method: "GET", URL: "https://example.com/a", Needs: []string{}},
		prikke.Step{Key: "b", Method: "GET", URL: "https://example.com/b", Needs: []string{}},
		httpStep("c", "a", "b"))
	rounds := 5
	if s.Dialect() == "postgres" {
		rounds = 25
	}
	for i := range rounds {
		now := T0.Add(time.Duration(i) * time.Hour)
		run := startRun(t, s, w, "", now)
		if st := stepStatuses(t, s, run.ID); st != "a=scheduled b=scheduled c=waiting" {
			t.Fatalf("started: %s", st)
		}
		ca := claimN(t, s, "n1", now, 1)
		cb := claimN(t, s, "n2", now, 1)
		if len(ca) != 1 || len(cb) != 1 {
			t.Fatalf("claims %d, %d", len(ca), len(cb))
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, c := range []*store.Claimed{ca[0], cb[0]} {
			wg.Go(func() {
				node := []string{"n1", "n2"}[k]
				applied, err := s.ExecutionComplete(context.Background(), node, []*store.Completion{stepCompletion(c, prikke.ExecutionStatusSuccess, 200)})
				if err == nil && len(applied) != 1 {
					err = errNotApplied
				}
				errs[k] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent completion: %v", i, err)
			}
		}
		if st := stepStatuses(t, s, run.ID); st != "a=succeeded b=succeeded c=scheduled" {
			t.Fatalf("round %d: joined: %s", i, st)
		}
		cc := claimSteps(t, s, "n1", now.Add(time.Minute), "c")
		completeSteps(t, s, "n1", stepCompletion(cc[0], prikke.ExecutionStatusSuccess, 200))
		if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
			t.Fatalf("round %d: run %s", i, got.Status)
		}
	}
	// Both in one batch: one transaction, one start of c.
	now := T0.Add(100 * time.Hour)
	run := startRun(t, s, w, "", now)
	cs := claimSteps(t, s, "n1", now, "a", "b")
	completeSteps(t, s, "n1", stepCompletion(cs[0], prikke.ExecutionStatusSuccess, 200), stepCompletion(cs[1], prikke.ExecutionStatusSuccess, 200))
	claimSteps(t, s, "n1", now.Add(time.Minute), "c")
	if st := stepStatuses(t, s, run.ID); st != "a=succeeded b=succeeded c=scheduled" {
		t.Fatalf("batch joined: %s", st)
	}
}

var errNotApplied = prikke.Errorf(prikke.EINTERNAL, "completion not applied")

// testWorkflowCancel: a cancel stops every unfinished step and deletes
// their pending executions; an attempt in flight is recorded when it ends
// but starts nothing, and its retry is dropped.
func testWorkflowCancel(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowRunCancel")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	run := startRun(t, s, w, "", T0)
	first := runSteps(t, s, run.ID)["a"]
	got, err := s.WorkflowRunCancel(ctx, run.ID, T0.Add(time.Second))
	if err != nil || got.Status != prikke.RunStatusCancelled || got.FinishedAt == nil || !got.FinishedAt.Equal(T0.Add(time.Second)) {
		t.Fatalf("cancel = %+v, %v", got, err)
	}
	if st := stepStatuses(t, s, run.ID); st != "a=cancelled b=cancelled" {
		t.Errorf("after cancel: %s", st)
	}
	if pending, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: first.JobID}); len(pending) != 0 {
		t.Errorf("cancel left %d executions of the first step", len(pending))
	}
	if d, r, _ := s.ExecutionQueueDepth(ctx, T0.Add(time.Hour)); d != 0 || r != 0 {
		t.Errorf("queue after cancel: %d due, %d running", d, r)
	}
	_, err = s.WorkflowRunCancel(ctx, run.ID, T0.Add(2*time.Second))
	Errcode(t, err, prikke.ECONFLICT)
	_, err = s.WorkflowRunCancel(ctx, prikke.NewID(), T0)
	Errcode(t, err, prikke.ENOTFOUND)
	if wf, _ := s.WorkflowGet(ctx, w.ID); wf.LastRunStatus != prikke.RunStatusCancelled || wf.Health != prikke.JobHealthy {
		t.Errorf("workflow after a cancelled run = %+v", wf)
	}

	// An attempt in flight during the cancel.
	run2 := startRun(t, s, w, "", T0.Add(time.Minute))
	c := claimSteps(t, s, "n1", T0.Add(time.Minute), "a")[0]
	if _, err := s.WorkflowRunCancel(ctx, run2.ID, T0.Add(time.Minute+time.Second)); err != nil {
		t.Fatal(err)
	}
	cp := stepCompletion(c, prikke.ExecutionStatusFailed, 503)
	cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: c.Job.ID, ProjectID: c.Job.ProjectID, OrganizationID: c.Job.OrganizationID,
		ScheduledFor: c.Execution.ScheduledFor, DueAt: T0.Add(2 * time.Minute), Attempt: 2, Status: prikke.ExecutionStatusPending,
		Priority: c.Execution.Priority, CreatedAt: T0.Add(time.Minute)}
	completeSteps(t, s, "n1", cp)
	if e, _ := s.ExecutionGet(ctx, c.Execution.ID); e.Status != prikke.ExecutionStatusFailed || e.ResponseStatus != 503 {
		t.Errorf("the attempt in flight was not recorded: %+v", e)
	}
	if _, err := s.ExecutionGet(ctx, cp.Retry.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("the retry of a cancelled step's attempt was kept: %v", err)
	}
	if st := stepStatuses(t, s, run2.ID); st != "a=cancelled b=cancelled" {
		t.Errorf("after the late attempt: %s", st)
	}
	if cs := claimN(t, s, "n1", T0.Add(time.Hour), 10); len(cs) != 0 {
		t.Errorf("a cancelled run made %d attempts due", len(cs))
	}

	// A cancel racing the completion that starts the next step: either
	// way the run ends cancelled with nothing left due.
	for i := range 10 {
		now := T0.Add(time.Duration(2+i) * time.Hour)
		run := startRun(t, s, w, "", now)
		c := claimSteps(t, s, "n1", now, "a")[0]
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := s.ExecutionComplete(context.Background(), "n1", []*store.Completion{stepCompletion(c, prikke.ExecutionStatusSuccess, 200)}); err != nil {
				t.Errorf("complete: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := s.WorkflowRunCancel(context.Background(), run.ID, now.Add(time.Second)); err != nil {
				t.Errorf("cancel: %v", err)
			}
		})
		wg.Wait()
		if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusCancelled {
			t.Fatalf("round %d: run %s", i, got.Status)
		}
		if d, r, _ := s.ExecutionQueueDepth(ctx, now.Add(time.Hour)); d != 0 || r != 0 {
			t.Fatalf("round %d: %d due, %d running after the race (%s)", i, d, r, stepStatuses(t, s, run.ID))
		}
	}
}

// testWorkflowRetry: a failed step fails the run and flips the workflow;
// a retry from it (or from a later step) starts over there, keeping the
// outputs of the steps before; a success flips the workflow back.
func testWorkflowRetry(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowRunRetry")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	run := startRun(t, s, w, "", T0)
	c := claimSteps(t, s, "n1", T0, "a")[0]
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusFailed, 500))
	got := getRun(t, s, run.ID)
	if got.Status != prikke.RunStatusFailed || got.FinishedAt == nil || !strings.Contains(got.Error, "a") {
		t.Fatalf("run after a failed step = %+v", got)
	}
	rows := runSteps(t, s, run.ID)
	if rows["a"].Status != prikke.StepStatusFailed || rows["a"].Reason != "HTTP 500" || rows["b"].Status != prikke.StepStatusCancelled {
		t.Errorf("steps = %+v / %+v", rows["a"], rows["b"])
	}
	wf, _ := s.WorkflowGet(ctx, w.ID)
	if wf.Health != prikke.JobFailing || wf.ConsecutiveFailures != 1 || wf.LastRunStatus != prikke.RunStatusFailed {
		t.Errorf("workflow after a failed run = %+v", wf)
	}
	if fs, _ := s.FlipClaim(ctx, T0.Add(time.Hour), 100); len(fs) != 0 {
		t.Errorf("a step's failure wrote job flips: %+v", fs)
	}
	flips, err := s.WorkflowFlipClaim(ctx, T0.Add(time.Hour), 10)
	if err != nil || len(flips) != 1 || flips[0].Event != prikke.EventWorkflowFailing || flips[0].WorkflowID != w.ID ||
		flips[0].RunID == nil || *flips[0].RunID != run.ID || flips[0].ProjectID != a.Project.ID || flips[0].ProcessedAt == nil {
		t.Fatalf("flips = %+v, %v", flips, err)
	}

	_, err = s.WorkflowRunRetry(ctx, run.ID, "nope", T0.Add(time.Minute))
	Errcode(t, err, prikke.EINVALID)
	got, err = s.WorkflowRunRetry(ctx, run.ID, "", T0.Add(time.Minute))
	if err != nil || got.Status != prikke.RunStatusRunning || got.Error != "" || got.FinishedAt != nil {
		t.Fatalf("retry = %+v, %v", got, err)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusRunning || got.Error != "" || got.FinishedAt != nil {
		t.Errorf("retried run as stored = %+v", got)
	}
	_, err = s.WorkflowRunRetry(ctx, run.ID, "", T0.Add(time.Minute))
	Errcode(t, err, prikke.ECONFLICT)
	if st := stepStatuses(t, s, run.ID); st != "a=scheduled b=waiting" {
		t.Fatalf("after retry: %s", st)
	}
	c = claimSteps(t, s, "n1", T0.Add(time.Minute), "a")[0]
	if c.Job.ID == *rows["a"].JobID {
		t.Error("a retried step reuses its old job")
	}
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	c = claimSteps(t, s, "n1", T0.Add(2*time.Minute), "b")[0]
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusFailed, 502))
	before := runSteps(t, s, run.ID)["a"]

	// From b: a keeps its outputs.
	if _, err := s.WorkflowRunRetry(ctx, run.ID, "b", T0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	after := runSteps(t, s, run.ID)
	if a := after["a"]; a.Status != prikke.StepStatusSucceeded || *a.JobID != *before.JobID || string(a.ResponseBody) != string(before.ResponseBody) {
		t.Errorf("a after a retry from b = %+v", a)
	}
	c = claimSteps(t, s, "n1", T0.Add(3*time.Minute), "b")[0]
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
		t.Fatalf("run after the retry = %+v", got)
	}
	_, err = s.WorkflowRunRetry(ctx, run.ID, "", T0.Add(time.Hour))
	Errcode(t, err, prikke.ECONFLICT)
	wf, _ = s.WorkflowGet(ctx, w.ID)
	if wf.Health != prikke.JobHealthy || wf.ConsecutiveFailures != 0 || wf.LastRunStatus != prikke.RunStatusSucceeded {
		t.Errorf("workflow after a success = %+v", wf)
	}
	flips, _ = s.WorkflowFlipClaim(ctx, T0.Add(time.Hour), 10)
	var events []prikke.NotificationEvent
	for _, f := range flips {
		events = append(events, f.Event)
	}
	// The run failed again at b (no second failing flip: already
	// failing), then succeeded.
	if len(events) != 1 || events[0] != prikke.EventWorkflowRecovered {
		t.Errorf("flips after the retries = %v", events)
	}
	_, err = s.WorkflowRunRetry(ctx, prikke.NewID(), "", T0)
	Errcode(t, err, prikke.ENOTFOUND)
}

// testWorkflowAttemptRetry: an attempt to be retried is shown on the row
// and leaves the step scheduled; the last attempt finishes it. A long
// body is kept up to MaxStepOutputBytes.
func testWorkflowAttemptRetry(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	step := httpStep("a")
	step.Retry = &prikke.StepRetry{Attempts: 1, Backoff: "fixed", Delay: "10s"}
	w := NewWorkflow(t, s, a, step)
	run := startRun(t, s, w, "", T0)
	c := claimSteps(t, s, "n1", T0, "a")[0]
	if c.Job.RetryAttempts != 1 || c.Job.Step.Retry == nil {
		t.Errorf("step job retry = %d, %+v", c.Job.RetryAttempts, c.Job.Step.Retry)
	}
	cp := stepCompletion(c, prikke.ExecutionStatusFailed, 503)
	cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: c.Job.ID, ProjectID: c.Job.ProjectID, OrganizationID: c.Job.OrganizationID,
		ScheduledFor: c.Execution.ScheduledFor, DueAt: T0.Add(10 * time.Second), Attempt: 2, Status: prikke.ExecutionStatusPending,
		Priority: c.Execution.Priority, CreatedAt: T0}
	completeSteps(t, s, "n1", cp)
	row := runSteps(t, s, run.ID)["a"]
	if row.Status != prikke.StepStatusScheduled || row.Attempts != 1 || row.ResponseStatus != 503 || row.FinishedAt != nil {
		t.Fatalf("row after a retried attempt = %+v", row)
	}
	c = claimSteps(t, s, "n1", T0.Add(10*time.Second), "a")[0]
	if c.Execution.Attempt != 2 {
		t.Fatalf("retry attempt = %d", c.Execution.Attempt)
	}
	cp = stepCompletion(c, prikke.ExecutionStatusSuccess, 200)
	cp.ResponseBody = bytes.Repeat([]byte("x"), prikke.MaxStepOutputBytes+10)
	completeSteps(t, s, "n1", cp)
	row = runSteps(t, s, run.ID)["a"]
	if row.Status != prikke.StepStatusSucceeded || row.Attempts != 2 || row.ResponseStatus != 200 ||
		len(row.ResponseBody) != prikke.MaxStepOutputBytes || !row.ResponseTruncated {
		t.Errorf("row after the last attempt = status %s, attempts %d, %d, body %d bytes, truncated %v",
			row.Status, row.Attempts, row.ResponseStatus, len(row.ResponseBody), row.ResponseTruncated)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
		t.Errorf("run = %s", got.Status)
	}
}

// testWorkflowRescue: a step attempt lost with its node is delivered
// again (the step waits on); lost again with no attempts left, it fails
// the step and the run, through the same transition as a completion.
func testWorkflowRescue(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	run := startRun(t, s, w, "", T0)
	claimSteps(t, s, "dead", T0, "a") // lease ends at T0 + 30s + 30s
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(61 * time.Second), Limit: 10}); err != nil || n != 1 {
		t.Fatalf("rescue = %d, %v", n, err)
	}
	row := runSteps(t, s, run.ID)["a"]
	if row.Status != prikke.StepStatusScheduled || row.Attempts != 1 {
		t.Fatalf("row after a rescue with a new attempt = %+v", row)
	}
	c := claimSteps(t, s, "dead", T0.Add(61*time.Second), "a")[0]
	if c.Execution.Attempt != 2 || !c.Execution.Rescued {
		t.Errorf("rescue attempt = %+v", c.Execution)
	}
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(3 * time.Minute), Limit: 10}); err != nil || n != 1 {
		t.Fatalf("second rescue = %d, %v", n, err)
	}
	row = runSteps(t, s, run.ID)["a"]
	if row.Status != prikke.StepStatusFailed || row.Reason != store.RescueNoteFinal || row.Attempts != 2 {
		t.Errorf("row after the final rescue = %+v", row)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusFailed {
		t.Errorf("run after the final rescue = %s", got.Status)
	}

	// A dead node's sent attempt: settled as lost and delivered again.
	run2 := startRun(t, s, w, "", T0.Add(time.Hour))
	c = claimSteps(t, s, "gone", T0.Add(time.Hour), "a")[0]
	if err := s.ExecutionMarkSent(ctx, "gone", []prikke.ID{c.Execution.ID}); err != nil {
		t.Fatal(err)
	}
	if _, rescued, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: T0.Add(time.Hour), Nodes: []string{"gone"}, Limit: 10}); err != nil || rescued != 1 {
		t.Fatalf("rescue dead = %d, %v", rescued, err)
	}
	c = claimSteps(t, s, "n1", T0.Add(time.Hour), "a")[0]
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	if st := stepStatuses(t, s, run2.ID); st != "a=succeeded b=scheduled" {
		t.Errorf("after a dead node's attempt was delivered again: %s", st)
	}
}

// testWorkflowRepair: a step attempt settled in a claim (over quota) names
// no step; the repair finds its run and moves it on, once.
func testWorkflowRepair(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowRunsRepair")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	busy := startRun(t, s, w, "", T0)
	claimSteps(t, s, "n1", T0, "a") // in flight: not the repair's
	if _, err := s.UsageAdd(ctx, a.Org.ID, prikke.Month(T0), prikke.TierFree.Limits().MonthlyRequests); err != nil {
		t.Fatal(err)
	}
	run := startRun(t, s, w, "", T0.Add(time.Second))
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 10, Now: T0.Add(time.Second), LeaseGrace: 30 * time.Second})
	if err != nil || len(res.Claimed) != 0 || res.Settled != 1 {
		t.Fatalf("claim over quota = %+v, %v", res, err)
	}
	if n, err := s.WorkflowRunsRepair(ctx, T0.Add(time.Minute), 10); err != nil || n != 1 {
		t.Fatalf("repair = %d, %v", n, err)
	}
	row := runSteps(t, s, run.ID)["a"]
	if row.Status != prikke.StepStatusFailed || row.Reason != store.QuotaNote {
		t.Errorf("repaired step = %+v", row)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusFailed {
		t.Errorf("repaired run = %s", got.Status)
	}
	if n, err := s.WorkflowRunsRepair(ctx, T0.Add(2*time.Minute), 10); err != nil || n != 0 {
		t.Errorf("second repair = %d, %v", n, err)
	}
	if st := stepStatuses(t, s, busy.ID); st != "a=scheduled b=waiting" {
		t.Errorf("a run with an attempt in flight was touched: %s", st)
	}
}

// testWorkflowPrune: finished runs older than their organization's
// history window go with their step jobs and executions; running runs
// stay.
func testWorkflowPrune(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowRunPrune")
	s := open(t)
	ctx := context.Background()
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	wf := NewWorkflow(t, s, free, httpStep("a"))
	wp := NewWorkflow(t, s, pro, httpStep("a"))
	finish := func(w *prikke.Workflow) (*prikke.WorkflowRun, prikke.ID) {
		run := startRun(t, s, w, "", T0)
		c := claimSteps(t, s, "n1", T0, "a")[0]
		completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
		return run, c.Execution.ID
	}
	fr, fe := finish(wf)
	pr, _ := finish(wp)
	running := startRun(t, s, wf, "", T0)
	day := 24 * time.Hour
	if n, err := s.WorkflowRunPrune(ctx, T0.Add(6*day), 100); err != nil || n != 0 {
		t.Fatalf("prune within the window = %d, %v", n, err)
	}
	if n, err := s.WorkflowRunPrune(ctx, T0.Add(8*day), 100); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want the free run", n, err)
	}
	_, err := s.WorkflowRunGet(ctx, fr.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.ExecutionGet(ctx, fe)
	Errcode(t, err, prikke.ENOTFOUND)
	getRun(t, s, pr.ID)
	getRun(t, s, running.ID)
	if n, _ := s.WorkflowRunPrune(ctx, T0.Add(31*day), 100); n != 1 {
		t.Errorf("prune after Pro's window = %d", n)
	}
	if got := getRun(t, s, running.ID); got.Status != prikke.RunStatusRunning {
		t.Errorf("a running run = %+v", got)
	}
}

// testWorkflowFlipClaim: each flip goes to exactly one claimer.
func testWorkflowFlipClaim(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowFlipClaim")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const n = 6
	for i := range n {
		w := NewWorkflow(t, s, a, httpStep("a"))
		run := startRun(t, s, w, "", T0.Add(time.Duration(i)*time.Second))
		c := claimSteps(t, s, "n1", T0.Add(time.Duration(i)*time.Second), "a")[0]
		completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusFailed, 500))
		if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusFailed {
			t.Fatalf("run %d = %s", i, got.Status)
		}
	}
	var mu sync.Mutex
	seen := map[prikke.ID]int{}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				fs, err := s.WorkflowFlipClaim(context.Background(), time.Time{}, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if len(fs) == 0 {
					return
				}
				mu.Lock()
				for _, f := range fs {
					seen[f.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d flips, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("flip %s claimed %d times", id, k)
		}
	}
	if fs, err := s.WorkflowFlipClaim(ctx, T0, 10); err != nil || len(fs) != 0 {
		t.Errorf("claim after all = %v, %v", fs, err)
	}
}

// testWorkflowReopen: a run's state is in the database: a store opened
// afresh (a restarted node; on PostgreSQL another node) carries it on,
// an attempt lost with the old one included.
func testWorkflowReopen(t *testing.T, open Opener, cov *coverage) {
	ctx := context.Background()
	var first store.Store
	var reopen func() store.Store
	var rescue store.RescueParams
	switch open(t).Dialect() {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "reopen.db")
		first = OpenSQLiteAt(t, path)
		reopen = func() store.Store { first.Close(); return OpenSQLiteAt(t, path) }
		rescue = store.RescueParams{Now: T0.Add(2 * time.Minute), Limit: 10, AnyLease: true}
	case "postgres":
		schema := NewSchemaName()
		first = OpenPostgresSchema(t, schema)
		second := OpenPostgresSchema(t, schema)
		reopen = func() store.Store { first.Close(); return second }
		rescue = store.RescueParams{Now: T0.Add(5 * time.Minute), Limit: 10}
	default:
		t.Skip("unknown dialect")
	}
	a := NewTenant(t, first, prikke.TierPro)
	w := NewWorkflow(t, first, a, httpStep("a"), httpStep("b"), httpStep("c"))
	run := startRun(t, first, w, "", T0)
	c := claimSteps(t, first, "old", T0, "a")[0]
	completeSteps(t, first, "old", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	claimSteps(t, first, "old", T0.Add(time.Minute), "b") // in flight when the node dies

	s := reopen()
	if st := stepStatuses(t, s, run.ID); st != "a=succeeded b=scheduled c=waiting" {
		t.Fatalf("after reopening: %s", st)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusRunning || got.WorkflowName != w.Name {
		t.Fatalf("run after reopening = %+v", got)
	}
	if n, err := s.ExecutionRescue(ctx, rescue); err != nil || n != 1 {
		t.Fatalf("rescue = %d, %v", n, err)
	}
	c = claimSteps(t, s, "new", rescue.Now, "b")[0]
	completeSteps(t, s, "new", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	c = claimSteps(t, s, "new", rescue.Now.Add(time.Second), "c")[0]
	completeSteps(t, s, "new", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
		t.Errorf("run = %s", got.Status)
	}
	if rows := runSteps(t, s, run.ID); rows["b"].Attempts != 2 {
		t.Errorf("b's attempts = %d; want the lost one and its rescue", rows["b"].Attempts)
	}
}

// testWorkflowForEach: a for_each step's item rows keep their elements
// (JSON) on both stores, at most max_concurrency of them scheduled at
// once; the step finishes with its last item.
func testWorkflowForEach(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	each := prikke.Step{Key: "each", Method: "POST", URL: "https://example.com/item/{{index}}", Body: `{{item | json}}`,
		ForEach: "steps.list.json.items", MaxConcurrency: 2}
	w := NewWorkflow(t, s, a, httpStep("list"), each)
	run := startRun(t, s, w, "", T0)
	c := claimSteps(t, s, "n1", T0, "list")[0]
	cp := stepCompletion(c, prikke.ExecutionStatusSuccess, 200)
	cp.ResponseBody = []byte(`{"items":[1,{"a":"b"},"x"]}`)
	completeSteps(t, s, "n1", cp)
	if st := stepStatuses(t, s, run.ID); st != "list=succeeded each=scheduled each[0]=scheduled each[1]=scheduled each[2]=waiting" {
		t.Fatalf("after the list: %s", st)
	}
	rows := runSteps(t, s, run.ID)
	if rows["each"].Items != 3 {
		t.Errorf("items = %d", rows["each"].Items)
	}
	for k, want := range map[string]string{"each[0]": `1`, "each[1]": `{"a":"b"}`, "each[2]": `"x"`} {
		var got any // compacted: PostgreSQL's jsonb spaces its own way
		json.Unmarshal(rows[k].ItemValue, &got)
		if g, _ := json.Marshal(got); string(g) != want {
			t.Errorf("%s's item = %s, want %s", k, rows[k].ItemValue, want)
		}
	}
	// The step's own row waits on its items, not on a job: nothing to repair.
	if n, err := s.WorkflowRunsRepair(context.Background(), cp.FinishedAt, 10); err != nil || n != 0 {
		t.Errorf("repair during a for_each = %d, %v", n, err)
	}
	cs := claimSteps(t, s, "n1", cp.FinishedAt, "each[0]", "each[1]")
	if cs[0].Job.URL != "https://example.com/item/0" || cs[1].Job.Body != `{"a":"b"}` {
		t.Errorf("item requests = %s %s", cs[0].Job.URL, cs[1].Job.Body)
	}
	completeSteps(t, s, "n1", stepCompletion(cs[0], prikke.ExecutionStatusSuccess, 200))
	c2 := claimSteps(t, s, "n1", cp.FinishedAt.Add(time.Second), "each[2]")[0]
	completeSteps(t, s, "n1", stepCompletion(cs[1], prikke.ExecutionStatusSuccess, 200), stepCompletion(c2, prikke.ExecutionStatusSuccess, 200))
	if st := stepStatuses(t, s, run.ID); st != "list=succeeded each=succeeded each[0]=succeeded each[1]=succeeded each[2]=succeeded" {
		t.Errorf("at the end: %s", st)
	}
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
		t.Errorf("run = %s", got.Status)
	}
}

// testWorkflowDelay: a delay makes its dependent's first attempt at once,
// due when the delay ends: durable, and claimed no earlier.
func testWorkflowDelay(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "1h"}}, httpStep("b"))
	run := startRun(t, s, w, "", T0)
	rows := runSteps(t, s, run.ID)
	if rows["wait"].Status != prikke.StepStatusSucceeded || rows["wait"].FinishedAt == nil || !rows["wait"].FinishedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("delay row = %+v", rows["wait"])
	}
	if b := rows["b"]; b.Status != prikke.StepStatusScheduled || b.DueAt == nil || !b.DueAt.Equal(T0.Add(time.Hour)) {
		t.Fatalf("b = %+v", b)
	}
	if cs := claimN(t, s, "n1", T0.Add(59*time.Minute), 10); len(cs) != 0 {
		t.Fatalf("b claimed before the delay ended")
	}
	c := claimSteps(t, s, "n1", T0.Add(time.Hour), "b")[0]
	completeSteps(t, s, "n1", stepCompletion(c, prikke.ExecutionStatusSuccess, 200))
	if got := getRun(t, s, run.ID); got.Status != prikke.RunStatusSucceeded {
		t.Errorf("run = %s", got.Status)
	}

	// Cancelled while waiting: the wait and its dependent stop.
	run = startRun(t, s, w, "", T0.Add(2*time.Hour))
	if _, err := s.WorkflowRunCancel(context.Background(), run.ID, T0.Add(2*time.Hour+time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st := stepStatuses(t, s, run.ID); st != "wait=cancelled b=cancelled" {
		t.Errorf("cancelled while waiting: %s", st)
	}
	if cs := claimN(t, s, "n1", T0.Add(5*time.Hour), 10); len(cs) != 0 {
		t.Errorf("a cancelled wait's dependent was claimed")
	}
}
