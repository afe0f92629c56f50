package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testWorkflows(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"CRUD":         testWorkflowCRUD,
		"Secrets":      testWorkflowSecrets,
		"RunStart":     testWorkflowRunStart,
		"Sequence":     testWorkflowSequence,
		"Join":         testWorkflowJoin,
		"Cancel":       testWorkflowCancel,
		"Retry":        testWorkflowRetry,
		"AttemptRetry": testWorkflowAttemptRetry,
		"Rescue":       testWorkflowRescue,
		"Repair":       testWorkflowRepair,
		"Prune":        testWorkflowPrune,
		"Reopen":       testWorkflowReopen,
		"FlipClaim":    testWorkflowFlipClaim,
		"ForEach":      testWorkflowForEach,
		"Delay":        testWorkflowDelay,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// httpStep is a POST step; needs nil means after the previous step.
func httpStep(key string, needs ...string) prikke.Step {
	return prikke.Step{Key: key, Method: "POST", URL: "https://example.com/" + key, Body: `{"step":"` + key + `"}`, Needs: needs}
}

// NewWorkflow creates a workflow of steps in the tenant's project.
func NewWorkflow(t testing.TB, s store.Store, tn *Tenant, steps ...prikke.Step) *prikke.Workflow {
	t.Helper()
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID,
		Name: fmt.Sprintf("workflow %d", seq.Add(1)), Definition: prikke.WorkflowDefinition{Steps: steps},
		CreatedAt: T0, UpdatedAt: T0}
	if err := s.WorkflowCreate(context.Background(), w); err != nil {
		t.Fatalf("create workflow: %v", err)
	}
	return w
}

// startRun starts a run of w at now through the API trigger.
func startRun(t testing.TB, s store.Store, w *prikke.Workflow, key string, now time.Time) *prikke.WorkflowRun {
	t.Helper()
	run, created, err := s.WorkflowRunStart(context.Background(), &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI,
		Payload: []byte(`{"n":1}`), IdempotencyKey: key, Now: now})
	if err != nil || !created {
		t.Fatalf("start run = %v, %v", created, err)
	}
	return run
}

// runSteps returns a run's step rows by key (items as key[i]).
func runSteps(t testing.TB, s store.Store, runID prikke.ID) map[string]*prikke.RunStep {
	t.Helper()
	rows, err := s.WorkflowRunSteps(context.Background(), runID)
	if err != nil {
		t.Fatalf("run steps: %v", err)
	}
	out := map[string]*prikke.RunStep{}
	for _, r := range rows {
		k := r.Key
		if r.Item != prikke.NoItem {
			k = fmt.Sprintf("%s[%d]", r.Key, r.Item)
		}
		out[k] = r
	}
	return out
}

// stepStatuses renders a run's steps as "a=succeeded b=scheduled".
func stepStatuses(t testing.TB, s store.Store, runID prikke.ID) string {
	t.Helper()
	rows, err := s.WorkflowRunSteps(context.Background(), runID)
	if err != nil {
		t.Fatalf("run steps: %v", err)
	}
	var out string
	for i, r := range rows {
		if i > 0 {
			out += " "
		}
		k := r.Key
		if r.Item != prikke.NoItem {
			k = fmt.Sprintf("%s[%d]", r.Key, r.Item)
		}
		out += k + "=" + string(r.Status)
	}
	return out
}

// sameJSON fails t unless got and want encode to the same JSON.
func sameJSON(t testing.TB, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

func getRun(t testing.TB, s store.Store, id prikke.ID) *prikke.WorkflowRun {
	t.Helper()
	run, err := s.WorkflowRunGet(context.Background(), id)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	return run
}

// stepCompletion completes a claimed step attempt as a worker would: the
// job's step rides along.
func stepCompletion(c *store.Claimed, status prikke.ExecutionStatus, code int) *store.Completion {
	cp := completion(c, status)
	cp.Step, cp.Health = c.Job.Step, store.HealthNone
	cp.ResponseStatus = code
	cp.ResponseHeaders = []prikke.Header{{Name: "Content-Type", Value: "application/json"}}
	cp.ResponseBody = []byte(fmt.Sprintf(`{"key":%q,"attempt":%d}`, c.Job.Step.Key, c.Execution.Attempt))
	return cp
}

// completeSteps completes claimed step attempts on node and fails unless
// every one was applied.
func completeSteps(t testing.TB, s store.Store, node string, cps ...*store.Completion) {
	t.Helper()
	applied, err := s.ExecutionComplete(context.Background(), node, cps)
	if err != nil || len(applied) != len(cps) {
		t.Fatalf("complete steps = %v, %v; want %d applied", applied, err, len(cps))
	}
}

// claimSteps claims every due execution at now on node, and fails unless
// they are the attempts of the steps named (in any order).
func claimSteps(t testing.TB, s store.Store, node string, now time.Time, keys ...string) []*store.Claimed {
	t.Helper()
	cs := claimN(t, s, node, now, 100)
	var got []string
	for _, c := range cs {
		if c.Job.Step == nil {
			t.Fatalf("claimed a job without a step: %+v", c.Job)
		}
		k := c.Job.Step.Key
		if c.Job.Step.Item != prikke.NoItem {
			k = fmt.Sprintf("%s[%d]", k, c.Job.Step.Item)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("claimed steps %v, want %v", got, want)
	}
	slices.SortFunc(cs, func(a, b *store.Claimed) int {
		return cmpStep(a.Job.Step, b.Job.Step)
	})
	return cs
}

func cmpStep(a, b *prikke.JobStep) int {
	if a.Key != b.Key {
		if a.Key < b.Key {
			return -1
		}
		return 1
	}
	return a.Item - b.Item
}

func testWorkflowCRUD(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowCreate", "WorkflowGet", "WorkflowList", "WorkflowUpdate", "WorkflowDelete", "WorkflowVersionGet", "WorkflowCount")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	retry := &prikke.StepRetry{Attempts: 2, Backoff: "fixed", Delay: "5s", On: []string{"5xx"}}
	first := prikke.Step{Key: "login", Method: "POST", URL: "https://example.com/login", Headers: []prikke.Header{{Name: "X-A", Value: "1"}},
		Body: `{"u":"{{payload.user}}"}`, TimeoutMS: 5000, Needs: []string{}, Retry: retry,
		Expect: &prikke.Expect{Status: []string{"200"}, JSONPath: "ok", Equals: []byte(`true`)}}
	wait := prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "1h"}}
	w := NewWorkflow(t, s, a, first, wait)
	if w.Version != 1 {
		t.Fatalf("created at version %d", w.Version)
	}
	got, err := s.WorkflowGet(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != w.Name || got.Version != 1 || got.Health != prikke.JobHealthy || got.ProjectID != a.Project.ID ||
		got.OrganizationID != a.Org.ID || !got.CreatedAt.Equal(T0) || got.LastRunAt != nil || got.LastRunStatus != "" {
		t.Errorf("workflow = %+v", got)
	}
	sameJSON(t, "definition", got.Definition, w.Definition)
	w2 := NewWorkflow(t, s, a, httpStep("one"))
	NewWorkflow(t, s, b, httpStep("other"))
	list, err := s.WorkflowList(ctx, store.WorkflowFilter{ProjectID: a.Project.ID})
	if err != nil || len(list) != 2 || list[0].ID != w.ID && list[1].ID != w.ID {
		t.Fatalf("list = %v, %v", list, err)
	}
	if n, err := s.WorkflowCount(ctx, a.Project.ID); err != nil || n != 2 {
		t.Errorf("count = %d, %v", n, err)
	}

	// An edit makes version 2; an edit from version 1 again is stale.
	edit := *got
	edit.Name = "renamed"
	edit.Definition = prikke.WorkflowDefinition{Steps: []prikke.Step{httpStep("only")}}
	later := T0.Add(time.Hour)
	if err := s.WorkflowUpdate(ctx, &edit, later); err != nil || edit.Version != 2 {
		t.Fatalf("update = %v (version %d)", err, edit.Version)
	}
	stale := *got
	stale.Name = "stale"
	Errcode(t, s.WorkflowUpdate(ctx, &stale, later), prikke.ECONFLICT)
	missing := *got
	missing.ID = prikke.NewID()
	Errcode(t, s.WorkflowUpdate(ctx, &missing, later), prikke.ENOTFOUND)
	now, _ := s.WorkflowGet(ctx, w.ID)
	if now.Name != "renamed" || now.Version != 2 || len(now.Definition.Steps) != 1 || !now.UpdatedAt.Equal(later) {
		t.Errorf("after update = %+v", now)
	}
	v1, err := s.WorkflowVersionGet(ctx, w.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "version 1", *v1, w.Definition)
	if v2, err := s.WorkflowVersionGet(ctx, w.ID, 2); err != nil || len(v2.Steps) != 1 || v2.Steps[0].Key != "only" {
		t.Errorf("version 2 = %+v, %v", v2, err)
	}
	_, err = s.WorkflowVersionGet(ctx, w.ID, 3)
	Errcode(t, err, prikke.ENOTFOUND)

	// Deleting takes its runs, their step jobs, and the jobs targeting it.
	run := startRun(t, s, w2, "", T0)
	target := NewJob(t, s, a, func(j *prikke.Job) { j.WorkflowID = &w2.ID; j.Body = `{"from":"cron"}` })
	if jg, err := s.JobGet(ctx, target.ID); err != nil || jg.WorkflowID == nil || *jg.WorkflowID != w2.ID || jg.Step != nil {
		t.Fatalf("a job targeting a workflow = %+v, %v", jg, err)
	}
	if err := s.WorkflowDelete(ctx, w2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.WorkflowGet(ctx, w2.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.WorkflowRunGet(ctx, run.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.JobGet(ctx, target.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	if d, r, _ := s.ExecutionQueueDepth(ctx, T0.Add(time.Hour)); d != 0 || r != 0 {
		t.Errorf("a deleted workflow's step left %d due, %d running", d, r)
	}
	Errcode(t, s.WorkflowDelete(ctx, w2.ID), prikke.ENOTFOUND)
	if n, _ := s.WorkflowCount(ctx, a.Project.ID); n != 1 {
		t.Errorf("count after delete = %d", n)
	}
}

func testWorkflowRunStart(t *testing.T, open Opener, cov *coverage) {
	cov.covers("WorkflowRunStart", "WorkflowRunGet", "WorkflowRunList", "WorkflowRunSteps")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	job := NewJob(t, s, a, func(j *prikke.Job) { j.WorkflowID = &w.ID })
	p := &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerJob, JobID: &job.ID, Payload: []byte(`{"x":[1,2]}`),
		IdempotencyKey: "job:abc", ScheduledFor: T0.Add(-time.Second), Now: T0}
	run, created, err := s.WorkflowRunStart(ctx, p)
	if err != nil || !created {
		t.Fatalf("start = %v, %v", created, err)
	}
	again, created, err := s.WorkflowRunStart(ctx, p)
	if err != nil || created || again.ID != run.ID {
		t.Fatalf("start with the same key = %v, %v, %v; want the first run", again, created, err)
	}
	got := getRun(t, s, run.ID)
	if got.Status != prikke.RunStatusRunning || got.Trigger != prikke.RunTriggerJob || got.JobID == nil || *got.JobID != job.ID ||
		string(got.Payload) != `{"x":[1,2]}` && string(got.Payload) != `{"x": [1, 2]}` || got.IdempotencyKey != "job:abc" ||
		!got.ScheduledFor.Equal(T0.Add(-time.Second)) || !got.CreatedAt.Equal(T0) || got.WorkflowName != w.Name ||
		got.Version != 1 || got.Definition == nil || len(got.Definition.Steps) != 2 || got.FinishedAt != nil || got.ProjectID != a.Project.ID {
		t.Errorf("run = %+v", got)
	}
	steps := runSteps(t, s, run.ID)
	if st := stepStatuses(t, s, run.ID); st != "a=scheduled b=waiting" {
		t.Fatalf("steps = %s", st)
	}
	first := steps["a"]
	if first.JobID == nil || first.DueAt == nil || !first.DueAt.Equal(T0) {
		t.Fatalf("first step = %+v", first)
	}
	// The step's job carries the step, and lists never show it.
	hidden, err := s.JobGet(ctx, *first.JobID)
	if err != nil || hidden.Step == nil || hidden.Step.RunID != run.ID || hidden.Step.Key != "a" || hidden.Step.Item != prikke.NoItem ||
		hidden.Step.WorkflowID != w.ID || hidden.Kind != prikke.JobKindQueue || hidden.WorkflowID != nil {
		t.Fatalf("step job = %+v, %v", hidden, err)
	}
	for _, kinds := range [][]prikke.JobKind{nil, {prikke.JobKindQueue}, {prikke.JobKindCron, prikke.JobKindOnce, prikke.JobKindQueue}} {
		js, err := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Kinds: kinds})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range js {
			if j.Step != nil {
				t.Errorf("JobList %v shows step job %s", kinds, j.Name)
			}
		}
	}
	if n, _ := s.JobCountByOrganization(ctx, a.Org.ID); n != 1 {
		t.Errorf("job count = %d; want the cron job alone", n)
	}

	// Another key, or none, makes another run; a run without payload has null.
	r2, created, err := s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Now: T0.Add(time.Second)})
	if err != nil || !created || r2.ID == run.ID || string(r2.Payload) != "null" || r2.Trigger != prikke.RunTriggerAPI ||
		!r2.ScheduledFor.Equal(T0.Add(time.Second)) {
		t.Fatalf("second run = %+v, %v, %v", r2, created, err)
	}
	r3 := startRun(t, s, w, "other", T0.Add(2*time.Second))
	_, _, err = s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: prikke.NewID(), Now: T0})
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.WorkflowRunGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)

	list, err := s.WorkflowRunList(ctx, store.RunFilter{WorkflowID: &w.ID})
	if err != nil || len(list) != 3 || list[0].ID != r3.ID || list[2].ID != run.ID || list[0].WorkflowName != w.Name {
		t.Fatalf("runs = %v, %v", list, err)
	}
	page, _ := s.WorkflowRunList(ctx, store.RunFilter{ProjectID: &a.Project.ID, Limit: 2, BeforeCreatedAt: list[0].CreatedAt, BeforeID: list[0].ID})
	if len(page) != 2 || page[0].ID != r2.ID || page[1].ID != run.ID {
		t.Errorf("page after the newest = %v", page)
	}
	if l, _ := s.WorkflowRunList(ctx, store.RunFilter{WorkflowID: &w.ID, Status: []prikke.RunStatus{prikke.RunStatusFailed}}); len(l) != 0 {
		t.Errorf("failed runs = %v", l)
	}
	if _, err := s.WorkflowRunList(ctx, store.RunFilter{}); err == nil {
		t.Error("a run list without workflow or project must fail")
	}

	// Concurrent starts with one key: one run, created once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[prikke.ID]int{}
	made := 0
	for range 8 {
		wg.Go(func() {
			run, created, err := s.WorkflowRunStart(context.Background(), &store.RunStart{WorkflowID: w.ID, IdempotencyKey: "race", Now: T0})
			if err != nil {
				t.Errorf("concurrent start: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[run.ID]++
			if created {
				made++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || made != 1 {
		t.Errorf("concurrent starts with one key made runs %v, %d created", ids, made)
	}
}

// testWorkflowSequence: a step's final attempt finishes it and makes the
// next due in the same transaction, once: the same completion again is
// fenced out and changes nothing.
func testWorkflowSequence(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	w := NewWorkflow(t, s, a, httpStep("a"), httpStep("b"))
	run := startRun(t, s, w, "", T0)
	ca := claimSteps(t, s, "n1", T0, "a")[0]
	if h := ca.Job.Headers; len(h) == 0 || h[len(h)-1].Name != "Idempotency-Key" || h[len(h)-1].Value != run.ID.String()+".a" {
		t.Errorf("step job headers = %v", h)
	}
	cp := stepCompletion(ca, prikke.ExecutionStatusSuccess, 200)
	completeSteps(t, s, "n1", cp)
	if st := stepStatuses(t, s, run.ID); st != "a=succeeded b=scheduled" {
		t.Fatalf("after a: %s", st)
	}
	rows := runSteps(t, s, run.ID)
	if ra := rows["a"]; ra.Attempts != 1 || ra.ResponseStatus != 200 || string(ra.ResponseBody) != string(cp.ResponseBody) ||
		len(ra.ResponseHeaders) != 1 || ra.FinishedAt == nil || !ra.FinishedAt.Equal(cp.FinishedAt) || ra.Reason != "" ||
		ra.StartedAt == nil || !ra.StartedAt.Equal(cp.StartedAt) || ra.DurationMS != cp.DurationMS {
		t.Errorf("finished step = %+v", ra)
	}
	// The same result again: nothing applies, nothing more is due.
	if applied, err := s.ExecutionComplete(ctx, "n1", []*store.Completion{cp}); err != nil || len(applied) != 0 {
		t.Fatalf("second completion = %v, %v", applied, err)
	}
	cb := claimSteps(t, s, "n1", cp.FinishedAt, "b")[0]
	if claimN(t, s, "n1", T0.Add(time.Hour), 10) != nil {
		t.Fatal("more than one attempt of b was due")
	}
	if cb.Job.Body != `{"step":"b"}` {
		t.Errorf("b's body = %s", cb.Job.Body)
	}
	// A step's failure is not its hidden job's: no job flips.
	completeSteps(t, s, "n1", stepCompletion(cb, prikke.ExecutionStatusSuccess, 201))
	got := getRun(t, s, run.ID)
	if got.Status != prikke.RunStatusSucceeded || got.FinishedAt == nil || got.Error != "" {
		t.Fatalf("run = %+v", got)
	}
	wf, _ := s.WorkflowGet(ctx, w.ID)
	if wf.LastRunStatus != prikke.RunStatusSucceeded || wf.LastRunAt == nil || !wf.LastRunAt.Equal(*got.FinishedAt) || wf.Health != prikke.JobHealthy {
		t.Errorf("workflow after its run = %+v", wf)
	}
	if fs, _ := s.WorkflowFlipClaim(ctx, T0.Add(time.Hour), 10); len(fs) != 0 {
		t.Errorf("a healthy workflow's success flipped: %v", fs)
	}
}
