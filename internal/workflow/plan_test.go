package workflow

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// sim is a store in memory: it keeps a run's rows, the hidden jobs and
// their pending executions, and writes plans the way a store does.
type sim struct {
	t       *testing.T
	run     *prikke.WorkflowRun
	def     *prikke.WorkflowDefinition
	tier    prikke.Tier
	now     time.Time
	rows    map[StepRef]*prikke.RunStep
	jobs    map[prikke.ID]*prikke.Job
	pending map[prikke.ID]*prikke.Execution // by job
	starts  int
}

func newSim(t *testing.T, steps ...prikke.Step) *sim {
	t.Helper()
	def := &prikke.WorkflowDefinition{Steps: steps}
	run := &prikke.WorkflowRun{ID: prikke.NewID(), WorkflowID: prikke.NewID(), ProjectID: prikke.NewID(),
		OrganizationID: prikke.NewID(), Version: 1, WorkflowName: "flow", Status: prikke.RunStatusRunning,
		Payload: json.RawMessage(`{"user": "ann", "ids": [1, 2, 3]}`), ScheduledFor: t0, CreatedAt: t0}
	return &sim{t: t, run: run, def: def, tier: prikke.TierPro, now: t0, rows: map[StepRef]*prikke.RunStep{},
		jobs: map[prikke.ID]*prikke.Job{}, pending: map[prikke.ID]*prikke.Execution{}}
}

func (s *sim) state() *RunState {
	var rows []*prikke.RunStep
	for _, r := range s.rows {
		c := *r
		rows = append(rows, &c)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Key != rows[j].Key {
			return rows[i].Key < rows[j].Key
		}
		return rows[i].Item < rows[j].Item
	})
	run := *s.run
	return &RunState{Run: &run, Def: s.def, Steps: rows, Tier: s.tier, Now: s.now}
}

func (s *sim) apply(p *Plan) *Plan {
	s.t.Helper()
	for _, ref := range p.Delete {
		delete(s.rows, ref)
	}
	for _, r := range p.Steps {
		if r.RunID != s.run.ID {
			s.t.Fatalf("row %s[%d] has run %s", r.Key, r.Item, r.RunID)
		}
		c := *r
		s.rows[StepRef{r.Key, r.Item}] = &c
	}
	for _, st := range p.Starts {
		j, e := st.Job, st.Execution
		row := s.rows[StepRef{j.Step.Key, j.Step.Item}]
		if row == nil || row.Status != prikke.StepStatusScheduled || row.JobID == nil || *row.JobID != j.ID {
			s.t.Fatalf("start of %s[%d] without its scheduled row: %+v", j.Step.Key, j.Step.Item, row)
		}
		if e.JobID != j.ID || !e.DueAt.Equal(*row.DueAt) || !j.RunAt.Equal(e.DueAt) {
			s.t.Fatalf("start of %s: execution %+v does not match job %+v / row due %v", j.Step.Key, e, j, row.DueAt)
		}
		s.jobs[j.ID] = j
		s.pending[j.ID] = e
		s.starts++
	}
	for _, id := range p.DeletePending {
		delete(s.pending, id)
	}
	if p.Status != "" {
		s.run.Status = p.Status
		s.run.Error = p.Error
		s.run.FinishedAt = p.FinishedAt
	}
	return p
}

func (s *sim) row(key string, item int) *prikke.RunStep {
	s.t.Helper()
	r := s.rows[StepRef{key, item}]
	if r == nil {
		s.t.Fatalf("no row %s[%d]", key, item)
	}
	return r
}

// job returns the hidden job of a scheduled step instance.
func (s *sim) job(key string, item int) *prikke.Job {
	s.t.Helper()
	r := s.row(key, item)
	if r.JobID == nil {
		s.t.Fatalf("%s[%d] has no job (status %s, %s)", key, item, r.Status, r.Reason)
	}
	return s.jobs[*r.JobID]
}

// finish completes a step instance's attempt with a response.
func (s *sim) finish(key string, item int, code int, body string) *Plan {
	s.t.Helper()
	r := s.row(key, item)
	if r.Status != prikke.StepStatusScheduled {
		s.t.Fatalf("finish %s[%d]: status %s", key, item, r.Status)
	}
	e := s.pending[*r.JobID]
	if e == nil {
		s.t.Fatalf("finish %s[%d]: no pending execution", key, item)
	}
	delete(s.pending, *r.JobID)
	at := s.now
	e.Status, e.ResponseStatus, e.ResponseBody, e.FinishedAt = prikke.ExecutionStatusSuccess, code, []byte(body), &at
	e.ResponseHeaders = []prikke.Header{{Name: "Content-Type", Value: "application/json"}}
	if code < 200 || code > 299 {
		e.Status, e.Error = prikke.ExecutionStatusFailed, fmt.Sprintf("HTTP %d", code)
	}
	return s.apply(Complete(s.state(), StepRef{key, item}, e))
}

func (s *sim) status() map[string]prikke.StepStatus {
	m := map[string]prikke.StepStatus{}
	for ref, r := range s.rows {
		if ref.Item == prikke.NoItem {
			m[ref.Key] = r.Status
		}
	}
	return m
}

func (s *sim) wantStatus(want map[string]prikke.StepStatus) {
	s.t.Helper()
	got := s.status()
	for k, w := range want {
		if got[k] != w {
			s.t.Errorf("step %s: status %s (%s), want %s", k, got[k], s.rows[StepRef{k, prikke.NoItem}].Reason, w)
		}
	}
}

func (s *sim) wantRun(st prikke.RunStatus) {
	s.t.Helper()
	if s.run.Status != st {
		s.t.Fatalf("run status %s (%s), want %s", s.run.Status, s.run.Error, st)
	}
}

func http(key string, mod ...func(*prikke.Step)) prikke.Step {
	s := prikke.Step{Key: key, Method: "POST", URL: "https://api.example.com/" + key}
	for _, m := range mod {
		m(&s)
	}
	return s
}

func needs(keys ...string) func(*prikke.Step) {
	return func(s *prikke.Step) { s.Needs = append([]string{}, keys...) }
}

const (
	waiting   = prikke.StepStatusWaiting
	scheduled = prikke.StepStatusScheduled
	succeeded = prikke.StepStatusSucceeded
	failed    = prikke.StepStatusFailed
	skipped   = prikke.StepStatusSkipped
	cancelled = prikke.StepStatusCancelled
)

func TestSequence(t *testing.T) {
	s := newSim(t, http("login", func(st *prikke.Step) { st.Body = `{"user":{{payload.user|json}}}` }),
		http("call", func(st *prikke.Step) {
			st.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer {{ steps.login.json.token }}"}}
			st.URL = "https://api.example.com/u/{{payload.user}}?run={{run.id}}"
		}),
		http("done"))
	p := s.apply(StartRun(s.state()))
	if len(p.Starts) != 1 || len(p.Steps) != 3 {
		t.Fatalf("start: %d starts, %d rows; want 1, 3", len(p.Starts), len(p.Steps))
	}
	s.wantStatus(map[string]prikke.StepStatus{"login": scheduled, "call": waiting, "done": waiting})
	j := s.job("login", prikke.NoItem)
	e := s.pending[j.ID]
	if j.Kind != prikke.JobKindQueue || j.Name != "flow · login" || j.Body != `{"user":"ann"}` || j.Method != "POST" ||
		j.TimeoutMS != prikke.DefaultTimeoutMS || j.RetryAttempts != 0 || !j.Enabled || j.ProjectID != s.run.ProjectID ||
		j.OrganizationID != s.run.OrganizationID || j.Step.RunID != s.run.ID || j.Step.WorkflowID != s.run.WorkflowID ||
		j.Step.Key != "login" || j.Step.Item != prikke.NoItem || j.Step.Secrets || !j.RunAt.Equal(t0) ||
		j.NotifyMode != prikke.NotifyProject || j.Overlap != prikke.OverlapAllow || j.CatchUp != prikke.CatchUpLatest {
		t.Fatalf("login job = %+v", j)
	}
	if got := j.Headers[len(j.Headers)-1]; got.Name != "Idempotency-Key" || got.Value != s.run.ID.String()+".login" {
		t.Fatalf("idempotency header = %+v", got)
	}
	if e.Attempt != 1 || e.Status != prikke.ExecutionStatusPending || !e.ScheduledFor.Equal(t0) || e.FlowKey != "api.example.com:443" ||
		e.Priority != prikke.Priority(prikke.TierPro, prikke.JobKindQueue, 0) || e.ProjectID != j.ProjectID {
		t.Fatalf("login execution = %+v", e)
	}

	s.now = t0.Add(time.Second)
	p = s.finish("login", prikke.NoItem, 200, `{"token":"t0k"}`)
	s.wantStatus(map[string]prikke.StepStatus{"login": succeeded, "call": scheduled, "done": waiting})
	if len(p.Starts) != 1 || !s.row("call", prikke.NoItem).DueAt.Equal(s.now) {
		t.Fatalf("call not started at now: %+v", p)
	}
	j = s.job("call", prikke.NoItem)
	if j.URL != "https://api.example.com/u/ann?run="+s.run.ID.String() || j.Headers[0].Value != "Bearer t0k" {
		t.Fatalf("call rendered %q %+v", j.URL, j.Headers)
	}
	// A completion arriving twice is fenced.
	if p := Complete(s.state(), StepRef{"login", prikke.NoItem}, &prikke.Execution{JobID: *s.row("login", prikke.NoItem).JobID}); !p.Empty() {
		t.Fatalf("second completion planned %+v", p)
	}
	s.finish("call", prikke.NoItem, 201, `ok`)
	s.wantRun(prikke.RunStatusRunning)
	s.finish("done", prikke.NoItem, 204, ``)
	s.wantRun(prikke.RunStatusSucceeded)
	if s.starts != 3 || len(s.pending) != 0 {
		t.Fatalf("starts %d pending %d", s.starts, len(s.pending))
	}
}

func TestJoin(t *testing.T) {
	s := newSim(t, http("a", needs()), http("b", needs()), http("c", needs("a", "b"),
		func(st *prikke.Step) { st.Body = "{{steps.a.json.x}}+{{steps.b.json.x}}" }))
	p := s.apply(StartRun(s.state()))
	if len(p.Starts) != 2 {
		t.Fatalf("%d starts, want a and b", len(p.Starts))
	}
	s.now = t0.Add(time.Second)
	if p := s.finish("b", prikke.NoItem, 200, `{"x":2}`); len(p.Starts) != 0 {
		t.Fatal("c started before a finished")
	}
	s.wantStatus(map[string]prikke.StepStatus{"c": waiting})
	s.now = t0.Add(2 * time.Second)
	s.finish("a", prikke.NoItem, 200, `{"x":1}`)
	if j := s.job("c", prikke.NoItem); j.Body != "1+2" {
		t.Fatalf("c body %q", j.Body)
	}
	s.finish("c", prikke.NoItem, 200, ``)
	s.wantRun(prikke.RunStatusSucceeded)
}

func TestWhenFalseSkips(t *testing.T) {
	s := newSim(t, http("check"),
		http("notify", func(st *prikke.Step) { st.When = "steps.check.json.changed == true" }),
		http("after"))
	s.apply(StartRun(s.state()))
	s.finish("check", prikke.NoItem, 200, `{"changed": false}`)
	s.wantStatus(map[string]prikke.StepStatus{"check": succeeded, "notify": skipped, "after": scheduled})
	if r := s.row("notify", prikke.NoItem); r.Reason != "when steps.check.json.changed == true is false" || r.JobID != nil {
		t.Fatalf("skip row %+v", r)
	}
	s.finish("after", prikke.NoItem, 200, ``)
	s.wantRun(prikke.RunStatusSucceeded)
}

func TestOnFailureContinue(t *testing.T) {
	s := newSim(t, http("a", func(st *prikke.Step) { st.OnFailure = prikke.OnFailureContinue }),
		http("b", func(st *prikke.Step) { st.When = "steps.a.status == 500" }))
	s.apply(StartRun(s.state()))
	s.finish("a", prikke.NoItem, 500, `{}`)
	s.wantStatus(map[string]prikke.StepStatus{"a": failed, "b": scheduled})
	s.finish("b", prikke.NoItem, 200, ``)
	s.wantRun(prikke.RunStatusSucceeded)
}

func TestOnFailureStop(t *testing.T) {
	s := newSim(t, http("a", needs()), http("slow", needs()), http("b", needs("a")), http("c", needs("b")))
	s.apply(StartRun(s.state()))
	slowJob := *s.row("slow", prikke.NoItem).JobID
	s.now = t0.Add(time.Minute)
	p := s.finish("a", prikke.NoItem, 503, `down`)
	s.wantRun(prikke.RunStatusFailed)
	if s.run.Error != "step a failed: HTTP 503" || !s.run.FinishedAt.Equal(s.now) {
		t.Fatalf("run error %q at %v", s.run.Error, s.run.FinishedAt)
	}
	s.wantStatus(map[string]prikke.StepStatus{"a": failed, "slow": cancelled, "b": cancelled, "c": cancelled})
	if r := s.row("b", prikke.NoItem); r.Reason != "run failed at step a" {
		t.Fatalf("b reason %q", r.Reason)
	}
	if len(p.DeletePending) != 1 || p.DeletePending[0] != slowJob || len(s.pending) != 0 {
		t.Fatalf("DeletePending = %v", p.DeletePending)
	}
	// The slow step's request in flight finishes: fenced, nothing more.
	if p := Complete(s.state(), StepRef{"slow", prikke.NoItem}, &prikke.Execution{JobID: slowJob}); !p.Empty() {
		t.Fatalf("completion after failure planned %+v", p)
	}
	// A run that is not running plans nothing.
	if p := Advance(s.state()); !p.Empty() {
		t.Fatalf("Advance of a failed run planned %+v", p)
	}
	if p := Cancel(s.state(), "x"); !p.Empty() {
		t.Fatalf("Cancel of a failed run planned %+v", p)
	}
}

func forEachSim(t *testing.T, n, maxConc int) *sim {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d}`, i)
	}
	s := newSim(t, http("list"),
		http("each", func(st *prikke.Step) {
			st.ForEach = "steps.list.json.items"
			st.MaxConcurrency = maxConc
			st.URL = "https://api.example.com/items/{{item.id}}?i={{index}}"
		}),
		http("sum", func(st *prikke.Step) { st.Body = "{{steps.each.json}}" }))
	s.apply(StartRun(s.state()))
	s.finish("list", prikke.NoItem, 200, `{"items":[`+strings.Join(items, ",")+`]}`)
	return s
}

func (s *sim) scheduledItems(key string) []int {
	var out []int
	for ref, r := range s.rows {
		if ref.Key == key && ref.Item != prikke.NoItem && r.Status == scheduled {
			out = append(out, ref.Item)
		}
	}
	sort.Ints(out)
	return out
}

func TestForEachEmpty(t *testing.T) {
	s := forEachSim(t, 0, 0)
	s.wantStatus(map[string]prikke.StepStatus{"each": succeeded, "sum": scheduled})
	if j := s.job("sum", prikke.NoItem); j.Body != "[]" {
		t.Fatalf("sum body %q", j.Body)
	}
}

func TestForEachOne(t *testing.T) {
	s := forEachSim(t, 1, 0)
	j := s.job("each", 0)
	if j.URL != "https://api.example.com/items/0?i=0" || j.Name != "flow · each [0]" || j.Step.Item != 0 ||
		j.Headers[len(j.Headers)-1].Value != s.run.ID.String()+".each.0" {
		t.Fatalf("item job %+v", j)
	}
	s.finish("each", 0, 200, `{"ok":true}`)
	s.wantStatus(map[string]prikke.StepStatus{"each": succeeded, "sum": scheduled})
	if j := s.job("sum", prikke.NoItem); j.Body != `[{"ok":true}]` {
		t.Fatalf("sum body %q", j.Body)
	}
	if r := s.row("each", prikke.NoItem); r.Items != 1 || r.ResponseStatus != 200 {
		t.Fatalf("each row %+v", r)
	}
}

func TestForEachHundred(t *testing.T) {
	s := forEachSim(t, 100, 7)
	if got := s.scheduledItems("each"); len(got) != 7 || got[0] != 0 || got[6] != 6 {
		t.Fatalf("scheduled %v, want items 0..6", got)
	}
	// Finish items in a scrambled order; never more than 7 at once.
	for done := 0; done < 100; done++ {
		sched := s.scheduledItems("each")
		if len(sched) > 7 || len(sched) == 0 {
			t.Fatalf("after %d: %d scheduled", done, len(sched))
		}
		i := sched[done%len(sched)]
		s.finish("each", i, 200, fmt.Sprintf(`%d`, i*10))
	}
	s.wantStatus(map[string]prikke.StepStatus{"each": succeeded, "sum": scheduled})
	var got []int
	if err := json.Unmarshal([]byte(s.job("sum", prikke.NoItem).Body), &got); err != nil || len(got) != 100 || got[99] != 990 {
		t.Fatalf("sum body: %v %v", got, err)
	}
	if s.starts != 1+100+1 {
		t.Fatalf("starts %d", s.starts)
	}
}

func TestForEachLimits(t *testing.T) {
	s := forEachSim(t, 101, 0)
	s.wantStatus(map[string]prikke.StepStatus{"each": failed, "sum": cancelled})
	if want := "step each failed: for_each: steps.list.json.items has 101 items, more than the 100 a step may run on the pro tier"; s.run.Error != want {
		t.Fatalf("run error %q", s.run.Error)
	}
	s = newSim(t, http("list"), http("each", func(st *prikke.Step) { st.ForEach = "steps.list.json.items" }))
	s.apply(StartRun(s.state()))
	s.finish("list", prikke.NoItem, 200, `{"items":{"a":1}}`)
	if want := "step each failed: for_each: steps.list.json.items is an object, not an array"; s.run.Error != want {
		t.Fatalf("run error %q", s.run.Error)
	}
}

func TestForEachItemFails(t *testing.T) {
	s := forEachSim(t, 5, 2)
	s.finish("each", 0, 200, `1`)
	s.finish("each", 1, 500, `no`)
	// Item 2 was started when 0 finished; 3 and 4 are cancelled.
	if got := s.scheduledItems("each"); len(got) != 1 || got[0] != 2 {
		t.Fatalf("scheduled %v", got)
	}
	if r := s.row("each", 4); r.Status != cancelled || r.Reason != "an earlier item failed" {
		t.Fatalf("item 4 %+v", r)
	}
	s.wantRun(prikke.RunStatusRunning)
	s.finish("each", 2, 200, `3`)
	s.wantRun(prikke.RunStatusFailed)
	if s.run.Error != "step each failed: item 1: HTTP 500" {
		t.Fatalf("run error %q", s.run.Error)
	}
}

func TestDelay(t *testing.T) {
	s := newSim(t, http("call"), prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}}, http("follow"))
	s.apply(StartRun(s.state()))
	s.now = t0.Add(5 * time.Second)
	p := s.finish("call", prikke.NoItem, 200, `{}`)
	end := s.now.Add(24 * time.Hour)
	w := s.row("wait", prikke.NoItem)
	if w.Status != succeeded || !w.FinishedAt.Equal(end) || !w.DueAt.Equal(end) || !w.StartedAt.Equal(s.now) || w.JobID != nil {
		t.Fatalf("wait row %+v", w)
	}
	// The follow-up's execution is written at once, due at the delay's end.
	if len(p.Starts) != 1 || !p.Starts[0].Execution.DueAt.Equal(end) || !s.row("follow", prikke.NoItem).DueAt.Equal(end) {
		t.Fatalf("follow start %+v", p.Starts)
	}
	s.now = end.Add(time.Second)
	s.finish("follow", prikke.NoItem, 200, ``)
	s.wantRun(prikke.RunStatusSucceeded)
}

func TestDelayUntil(t *testing.T) {
	s := newSim(t, http("get"), prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Until: "{{steps.get.json.at}}"}}, http("then"))
	s.apply(StartRun(s.state()))
	s.finish("get", prikke.NoItem, 200, `{"at":"2026-12-02T10:00:00Z"}`)
	if r := s.row("then", prikke.NoItem); !r.DueAt.Equal(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("then due %v", r.DueAt)
	}
	s = newSim(t, http("get"), prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Until: "{{steps.get.json.at}}"}}, http("then"))
	s.apply(StartRun(s.state()))
	s.finish("get", prikke.NoItem, 200, `{"at":"tomorrow"}`)
	s.wantRun(prikke.RunStatusFailed)
	if want := `step wait failed: delay.until: "tomorrow" is not an RFC 3339 instant like 2026-12-24T09:00:00Z`; s.run.Error != want {
		t.Fatalf("error %q", s.run.Error)
	}
}

func TestCancelDuringFanOut(t *testing.T) {
	s := forEachSim(t, 10, 3)
	s.finish("each", 0, 200, `{}`)
	sched := s.scheduledItems("each")
	if len(sched) != 3 {
		t.Fatalf("scheduled %v", sched)
	}
	s.now = t0.Add(time.Minute)
	p := s.apply(Cancel(s.state(), "cancelled by ann@example.com"))
	s.wantRun(prikke.RunStatusCancelled)
	if len(p.DeletePending) != 3 || len(s.pending) != 0 {
		t.Fatalf("DeletePending %v, pending left %d", p.DeletePending, len(s.pending))
	}
	s.wantStatus(map[string]prikke.StepStatus{"list": succeeded, "each": cancelled, "sum": cancelled})
	if r := s.row("each", 0); r.Status != succeeded {
		t.Fatalf("finished item changed: %+v", r)
	}
	for i := 1; i < 10; i++ {
		if r := s.row("each", i); r.Status != cancelled {
			t.Fatalf("item %d %s", i, r.Status)
		}
	}
	// An attempt in flight finishes: fenced.
	if p := Complete(s.state(), StepRef{"each", sched[0]}, &prikke.Execution{JobID: *s.row("each", sched[0]).JobID}); !p.Empty() {
		t.Fatalf("completion after cancel planned %+v", p)
	}
}

func TestCancelDelay(t *testing.T) {
	s := newSim(t, prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "1h"}}, http("then"))
	s.apply(StartRun(s.state()))
	jobID := *s.row("then", prikke.NoItem).JobID
	s.now = t0.Add(time.Minute)
	p := s.apply(Cancel(s.state(), ""))
	s.wantStatus(map[string]prikke.StepStatus{"wait": cancelled, "then": cancelled})
	if len(p.DeletePending) != 1 || p.DeletePending[0] != jobID || s.run.Error != "cancelled" {
		t.Fatalf("plan %+v", p)
	}
}

func TestRetryFrom(t *testing.T) {
	s := newSim(t, http("login"), http("a", func(st *prikke.Step) { st.Body = "{{steps.login.json.token}}" }),
		http("b"), http("side", needs("login")))
	s.apply(StartRun(s.state()))
	s.finish("login", prikke.NoItem, 200, `{"token":"t1"}`)
	loginJob := s.row("login", prikke.NoItem).JobID
	s.finish("a", prikke.NoItem, 500, ``)
	s.wantRun(prikke.RunStatusFailed)
	s.wantStatus(map[string]prikke.StepStatus{"login": succeeded, "a": failed, "b": cancelled, "side": cancelled})

	if _, err := RetryFrom(s.state(), "nope"); prikke.ErrorCode(err) != prikke.EINVALID {
		t.Fatalf("retry from nope: %v", err)
	}
	s.now = t0.Add(time.Hour)
	p, err := RetryFrom(s.state(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.apply(p)
	s.wantRun(prikke.RunStatusRunning)
	if p.Status != prikke.RunStatusRunning || len(p.Starts) != 2 {
		t.Fatalf("retry plan: status %q, %d starts", p.Status, len(p.Starts))
	}
	// login kept its output and job; a and side start again.
	if r := s.row("login", prikke.NoItem); r.JobID != loginJob || r.Status != succeeded {
		t.Fatalf("login row changed: %+v", r)
	}
	if j := s.job("a", prikke.NoItem); j.Body != "t1" || !j.RunAt.Equal(s.now) {
		t.Fatalf("a job %+v", j)
	}
	s.wantStatus(map[string]prikke.StepStatus{"a": scheduled, "b": waiting, "side": scheduled})
	s.finish("a", prikke.NoItem, 200, ``)
	s.finish("b", prikke.NoItem, 200, ``)
	s.finish("side", prikke.NoItem, 200, ``)
	s.wantRun(prikke.RunStatusSucceeded)
	if _, err := RetryFrom(s.state(), ""); prikke.ErrorCode(err) != prikke.ECONFLICT {
		t.Fatalf("retry of a succeeded run: %v", err)
	}
}

func TestRetryFromDeletesItems(t *testing.T) {
	s := forEachSim(t, 3, 0)
	s.finish("each", 0, 200, `1`)
	s.apply(Cancel(s.state(), "stop"))
	p, err := RetryFrom(s.state(), "list")
	if err != nil {
		t.Fatal(err)
	}
	s.apply(p)
	// list starts over; the item rows are deleted, its own row rewritten.
	if len(p.Delete) != 3 || p.Delete[0] != (StepRef{"each", 0}) {
		t.Fatalf("Delete %v", p.Delete)
	}
	for _, ref := range p.Delete {
		for _, r := range p.Steps {
			if r.Key == ref.Key && r.Item == ref.Item {
				t.Fatalf("%v both deleted and written", ref)
			}
		}
	}
	s.wantStatus(map[string]prikke.StepStatus{"list": scheduled, "each": waiting, "sum": waiting})
	if len(s.rows) != 3 {
		t.Fatalf("%d rows, want 3", len(s.rows))
	}
}

func TestMissingValueFailsStep(t *testing.T) {
	s := newSim(t, http("login"), http("call", func(st *prikke.Step) {
		st.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer {{steps.login.json.token}}"}}
	}))
	s.apply(StartRun(s.state()))
	p := s.finish("login", prikke.NoItem, 200, `{"tok":"x"}`)
	if len(p.Starts) != 0 {
		t.Fatal("call started without its token")
	}
	s.wantRun(prikke.RunStatusFailed)
	want := `headers.Authorization: steps.login.json has no field "token"`
	if r := s.row("call", prikke.NoItem); r.Status != failed || r.Reason != want || r.JobID != nil {
		t.Fatalf("call row %+v", r)
	}
	if s.run.Error != "step call failed: "+want {
		t.Fatalf("run error %q", s.run.Error)
	}

	s = newSim(t, http("page"), http("call", func(st *prikke.Step) { st.Body = "{{steps.page.json.x}}" }))
	s.apply(StartRun(s.state()))
	s.finish("page", prikke.NoItem, 200, `<html>`)
	if r := s.row("call", prikke.NoItem); r.Reason != "body: the response of page is not JSON" {
		t.Fatalf("reason %q", r.Reason)
	}
}

func TestSecretsKept(t *testing.T) {
	s := newSim(t, http("a", func(st *prikke.Step) {
		st.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer {{secrets.API_KEY}}"}, {Name: "Idempotency-Key", Value: "mine"}}
		st.Body = `{"u":"{{payload.user}}","lit":"{{{{x}}"}`
		st.Retry = &prikke.StepRetry{Attempts: 3}
		st.TimeoutMS = 5000
		st.FlowKey = "billing"
	}))
	s.apply(StartRun(s.state()))
	j := s.job("a", prikke.NoItem)
	if !j.Step.Secrets || j.Headers[0].Value != "Bearer {{secrets.API_KEY}}" || j.Body != `{"u":"ann","lit":"{{{{x}}"}` {
		t.Fatalf("job %+v", j)
	}
	if len(j.Headers) != 2 || j.Headers[1].Value != s.run.ID.String()+".a" {
		t.Fatalf("headers %+v", j.Headers)
	}
	if j.RetryAttempts != 3 || j.Step.Retry.Attempts != 3 || j.TimeoutMS != 5000 || s.pending[j.ID].FlowKey != "billing" {
		t.Fatalf("job %+v", j)
	}
}

func TestNotRunningPlansNothing(t *testing.T) {
	s := newSim(t, http("a"))
	s.run.Status = prikke.RunStatusCancelled
	if p := StartRun(s.state()); !p.Empty() {
		t.Fatalf("planned %+v", p)
	}
	if p := Advance(s.state()); !p.Empty() {
		t.Fatalf("planned %+v", p)
	}
}

func TestNeedsDownstream(t *testing.T) {
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "a"}, {Key: "b"}, {Key: "c", Needs: []string{}}, {Key: "d", Needs: []string{"b", "c"}}, {Key: "e"}}}
	n := Needs(def)
	if len(n["a"]) != 0 || n["b"][0] != "a" || len(n["c"]) != 0 || len(n["d"]) != 2 || n["e"][0] != "d" {
		t.Fatalf("Needs = %v", n)
	}
	if got := strings.Join(Downstream(def, "b"), ","); got != "b,d,e" {
		t.Fatalf("Downstream(b) = %s", got)
	}
	if got := strings.Join(Downstream(def, "a"), ","); got != "a,b,d,e" {
		t.Fatalf("Downstream(a) = %s", got)
	}
}

func TestRenderedRequestChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*prikke.Step)
		why  string
	}{
		{"header line break", func(s *prikke.Step) { s.Headers = []prikke.Header{{Name: "X-Token", Value: "{{steps.a.json.t}}"}} },
			"headers.X-Token: the value rendered contains a line break or NUL, which a header cannot carry"},
		{"url space", func(s *prikke.Step) { s.URL = "https://api.example.com/{{steps.a.json.t}}" },
			"url: the URL rendered, https://api.example.com/x\ny, is not a valid URL: it contains spaces or control characters (percent-encode them); write values in a URL as {{ … | url }}"},
		{"url host", func(s *prikke.Step) { s.URL = "{{steps.a.json.u}}" }, "url: the URL rendered, ftp://x, scheme must be http or https; write values in a URL as {{ … | url }}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, http("a"), http("b", tc.mod))
			s.apply(StartRun(s.state()))
			s.finish("a", prikke.NoItem, 200, `{"t":"x\ny","u":"ftp://x"}`)
			if r := s.row("b", prikke.NoItem); r.Status != failed || r.Reason != tc.why {
				t.Fatalf("b: %s %q", r.Status, r.Reason)
			}
		})
	}
	// Escaped, the same value goes through.
	s := newSim(t, http("a"), http("b", func(st *prikke.Step) { st.URL = "https://api.example.com/{{steps.a.json.t | url}}" }))
	s.apply(StartRun(s.state()))
	s.finish("a", prikke.NoItem, 200, `{"t":"x\ny"}`)
	if j := s.job("b", prikke.NoItem); j.URL != "https://api.example.com/x%0Ay" {
		t.Fatalf("url %q", j.URL)
	}
}
