package worker_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// Shorthands for the engine tests.
const (
	runSucceeded  = prikke.RunStatusSucceeded
	runFailed     = prikke.RunStatusFailed
	runCancelled  = prikke.RunStatusCancelled
	stepSucceeded = prikke.StepStatusSucceeded
	stepFailed    = prikke.StepStatusFailed
	stepSkipped   = prikke.StepStatusSkipped
	stepCancelled = prikke.StepStatusCancelled
)

func hdr(name, value string) prikke.Header { return prikke.Header{Name: name, Value: value} }

// none is an explicit empty needs: the step starts with the run.
var none = []string{}

// A plain list is a sequence: each step starts once the one before was
// answered, and uses its output (a token from login in a header).
func TestWorkflowSequence(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "login", Method: "POST", URL: "/login", Body: `{"user":"{{payload.user}}"}`},
			prikke.Step{Key: "call", Method: "POST", URL: "/call?user={{payload.user | url}}",
				Headers: []prikke.Header{hdr("Authorization", "Bearer {{steps.login.json.token}}")}, Body: `{"run":"{{run.id}}"}`},
			prikke.Step{Key: "done", URL: "/done", Headers: []prikke.Header{hdr("X-Call-Status", "{{steps.call.status}}")}},
		)
		run := e.start(w, `{"user":"ada lovelace"}`)
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"login": stepSucceeded, "call": stepSucceeded, "done": stepSucceeded})
		e.wantAfter(run, "call", "login")
		e.wantAfter(run, "done", "call")
		e.wantKeys(run, "login", "call", "done")
		for _, step := range []string{"login", "call", "done"} {
			hs := e.ep.byKey(run, step, -1)
			if len(hs) != 1 {
				t.Fatalf("step %s: %d requests, want 1", step, len(hs))
			}
		}
		login, done := e.ep.byKey(run, "login", -1)[0], e.ep.byKey(run, "done", -1)[0]
		t.Logf("%s hand-offs: login answered → call sent %v; call answered → done sent %v",
			e.s.Dialect(), e.ep.byKey(run, "call", -1)[0].At.Sub(login.DoneAt), done.At.Sub(e.ep.byKey(run, "call", -1)[0].DoneAt))
		if h := login; h.Body != `{"user":"ada lovelace"}` {
			t.Errorf("login body = %q", h.Body)
		}
		call := e.ep.byKey(run, "call", -1)[0]
		if got := call.Header.Get("Authorization"); got != "Bearer tok-ada lovelace" {
			t.Errorf("call Authorization = %q, want the token login returned", got)
		}
		if call.Query != "user=ada%20lovelace" || call.Body != `{"run":"`+run.ID.String()+`"}` {
			t.Errorf("call query %q body %q", call.Query, call.Body)
		}
		if got := e.ep.byKey(run, "done", -1)[0].Header.Get("X-Call-Status"); got != "200" {
			t.Errorf("done X-Call-Status = %q", got)
		}
		// Every request carried its step's key; the history records it.
		for _, h := range e.ep.requests() {
			if h.Key() == "" {
				t.Errorf("request %s carried no Idempotency-Key", h.Path)
			}
		}
		es := e.stepExecutions(steps["call"])
		if len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess {
			t.Fatalf("call executions = %+v", es)
		}
		if v := headerValue(es[0].RequestHeaders, "Idempotency-Key"); v != run.ID.String()+".call" {
			t.Errorf("recorded Idempotency-Key = %q", v)
		}
		if login := steps["login"]; login.ResponseStatus != 200 || !strings.Contains(string(login.ResponseBody), "tok-ada") || login.Attempts != 1 {
			t.Errorf("login row = status %d body %q attempts %d", login.ResponseStatus, login.ResponseBody, login.Attempts)
		}
	})
}

func headerValue(hs []prikke.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// A step that needs several starts once all of them were answered, even
// when one is much slower; the two it needs run side by side.
func TestWorkflowJoin(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "slow", URL: "/slow?ms=400", Needs: none},
			prikke.Step{Key: "fast", URL: "/slow?ms=10", Needs: none},
			prikke.Step{Key: "join", Method: "POST", URL: "/join", Needs: []string{"slow", "fast"},
				Body: `{{steps.slow.status}}+{{steps.fast.status}}`},
		)
		run := e.start(w, "")
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"slow": stepSucceeded, "fast": stepSucceeded, "join": stepSucceeded})
		e.wantAfter(run, "join", "slow", "fast")
		e.wantKeys(run, "slow", "fast", "join")
		slow, fast := e.ep.byKey(run, "slow", -1), e.ep.byKey(run, "fast", -1)
		if len(slow) != 1 || len(fast) != 1 {
			t.Fatalf("slow %d, fast %d requests", len(slow), len(fast))
		}
		if fast[0].Seq > slow[0].DoneSeq {
			t.Errorf("fast (request #%d) waited for slow to be answered (#%d); both start with the run", fast[0].Seq, slow[0].DoneSeq)
		}
		if j := e.ep.byKey(run, "join", -1); len(j) != 1 || j[0].Body != "200+200" {
			t.Errorf("join requests = %+v", j)
		}
	})
}

// `when` false skips a step without a request; the skip does not skip its
// dependents (their own `when` decides), and a true `when` runs.
func TestWorkflowWhenFalse(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "check", URL: "/status/404", Expect: &prikke.Expect{Status: []string{"404"}}},
			prikke.Step{Key: "found", URL: "/never", When: "steps.check.status == 200"},
			prikke.Step{Key: "after", URL: "/after"}, // needs found (skipped): runs
			prikke.Step{Key: "missing", URL: "/missing", Needs: []string{"check"}, When: "steps.check.status == 404 && steps.check.json.status == 404"},
		)
		run := e.start(w, "")
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{
			"check": stepSucceeded, "found": stepSkipped, "after": stepSucceeded, "missing": stepSucceeded})
		if n := len(e.ep.byStep(run, "found")); n != 0 {
			t.Errorf("a skipped step made %d requests", n)
		}
		if f := steps["found"]; f.Reason == "" || f.JobID != nil {
			t.Errorf("skipped row = reason %q job %v; want a reason and no job", f.Reason, f.JobID)
		}
		e.wantAfter(run, "after", "check")
		e.wantAfter(run, "missing", "check")
	})
}

// on_failure continue: the failed step counts as finished, its dependents
// run and the run succeeds; a 410 fails the step like any status and
// disables nothing but its hidden job. With stop (the default) the run
// fails and the steps not started are cancelled.
func TestWorkflowOnFailure(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "broken", URL: "/status/500", Needs: none, OnFailure: prikke.OnFailureContinue},
			prikke.Step{Key: "gone", URL: "/status/410", Needs: none, OnFailure: prikke.OnFailureContinue},
			prikke.Step{Key: "next", URL: "/next", Needs: []string{"broken", "gone"}, When: "steps.broken.status == 500"},
		)
		for range 2 { // the 410 of the first run disabled nothing the second needs
			run := e.start(w, "")
			r, steps := e.wait(run)
			e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"broken": stepFailed, "gone": stepFailed, "next": stepSucceeded})
			e.wantAfter(run, "next", "broken", "gone")
			if n := len(e.ep.byStep(run, "gone")); n != 1 {
				t.Errorf("gone: %d requests", n)
			}
			if got := steps["broken"].Reason; !strings.Contains(got, "500") {
				t.Errorf("broken reason = %q", got)
			}
		}
		if wf, err := e.s.WorkflowGet(context.Background(), w.ID); err != nil || wf.ID != w.ID {
			t.Errorf("workflow after a 410: %v", err)
		}

		stop := e.workflow(
			prikke.Step{Key: "first", URL: "/status/500"},
			prikke.Step{Key: "second", URL: "/second"},
		)
		run := e.start(stop, "")
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runFailed, map[string]prikke.StepStatus{"first": stepFailed, "second": stepCancelled})
		if !strings.Contains(r.Error, "first") {
			t.Errorf("run error %q does not name the step", r.Error)
		}
		if n := len(e.ep.byStep(run, "second")); n != 0 {
			t.Errorf("a cancelled step made %d requests", n)
		}
	})
}

// for_each makes one request per item (each with its own key), at most
// max_concurrency at once, and its output is the array of the items'
// outputs; an empty array succeeds at once.
func TestWorkflowForEach(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			wfDialects(t, false, func(t *testing.T, e *wfEnv) {
				w := e.workflow(
					prikke.Step{Key: "list", URL: "/items?n={{payload.n}}"},
					prikke.Step{Key: "each", Method: "POST", URL: "/item?id={{item.id}}&i={{index}}", Body: "{{item | json}}",
						ForEach: "steps.list.json.items", MaxConcurrency: 10},
					prikke.Step{Key: "after", Method: "POST", URL: "/after", Body: "{{steps.each.json | json}}"},
				)
				run := e.start(w, `{"n":`+strconv.Itoa(n)+`}`)
				r, steps := e.wait(run)
				e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"list": stepSucceeded, "each": stepSucceeded, "after": stepSucceeded})
				if got := steps["each"].Items; got != n {
					t.Errorf("each.Items = %d, want %d", got, n)
				}
				hits := e.ep.byStep(run, "each")
				if len(hits) != n {
					t.Fatalf("%d item requests, want %d", len(hits), n)
				}
				for i := range n {
					hs := e.ep.byKey(run, "each", i)
					if len(hs) != 1 {
						t.Errorf("item %d: %d requests", i, len(hs))
						continue
					}
					var item struct {
						ID   int    `json:"id"`
						Name string `json:"name"`
					}
					if err := json.Unmarshal([]byte(hs[0].Body), &item); err != nil || item.ID != i || item.Name != "item-"+strconv.Itoa(i) {
						t.Errorf("item %d body %q", i, hs[0].Body)
					}
					if hs[0].Query != "id="+strconv.Itoa(i)+"&i="+strconv.Itoa(i) {
						t.Errorf("item %d query %q", i, hs[0].Query)
					}
					if row := steps["each["+strconv.Itoa(i)+"]"]; row == nil || row.Status != stepSucceeded {
						t.Errorf("item %d row = %+v", i, row)
					}
				}
				if p := e.ep.peakInFlight("/item"); p > 10 {
					t.Errorf("%d items in flight at once; max_concurrency is 10", p)
				}
				if n > 0 {
					e.wantAfter(run, "each", "list")
					e.wantAfter(run, "after", "each")
				} else {
					e.wantAfter(run, "after", "list")
				}
				var out []map[string]any
				after := e.ep.byKey(run, "after", -1)
				if len(after) != 1 {
					t.Fatalf("after: %d requests", len(after))
				}
				if err := json.Unmarshal([]byte(after[0].Body), &out); err != nil || len(out) != n {
					t.Errorf("after got each's output %q; want an array of %d", after[0].Body, n)
				}
				for i, o := range out {
					if o["id"] != strconv.Itoa(i) {
						t.Errorf("each output [%d] = %v, out of order", i, o)
						break
					}
				}
			})
		})
	}
}

// A delay step waits durably: the step after it is made due at the
// delay's end, and is delivered only once the clock gets there.
func TestWorkflowDelay(t *testing.T) {
	t.Parallel()
	wfDialects(t, true, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "call", URL: "/call"},
			prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}},
			prikke.Step{Key: "follow", URL: "/follow", Headers: []prikke.Header{hdr("X-Called", "{{steps.call.status}}")}},
		)
		run := e.start(w, "")
		var steps map[string]*prikke.RunStep
		waitFor(t, "the follow-up scheduled after the delay", func() bool {
			steps = e.steps(run)
			return steps["follow"] != nil && steps["follow"].Status == prikke.StepStatusScheduled
		})
		call, wait := steps["call"], steps["wait"]
		if wait.Status != stepSucceeded || wait.FinishedAt == nil || call.FinishedAt == nil {
			t.Fatalf("wait row = %+v", wait)
		}
		if d := wait.FinishedAt.Sub(*call.FinishedAt); d < 24*time.Hour-time.Second || d > 24*time.Hour+5*time.Second {
			t.Errorf("the delay ends %v after call finished, want 24h", d)
		}
		es := e.stepExecutions(steps["follow"])
		if len(es) != 1 || es[0].Status != prikke.ExecutionStatusPending || es[0].DueAt.Before(wait.FinishedAt.Add(-time.Millisecond)) {
			t.Fatalf("follow executions = %+v; want one pending, due at the delay's end %v", es, wait.FinishedAt)
		}
		// An hour short of the end, nothing is sent.
		e.advance(23 * time.Hour)
		time.Sleep(300 * time.Millisecond)
		if n := len(e.ep.byStep(run, "follow")); n != 0 {
			t.Fatalf("follow sent %d requests before the delay ended", n)
		}
		e.advance(time.Hour + time.Second)
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"call": stepSucceeded, "wait": stepSucceeded, "follow": stepSucceeded})
		e.wantAfter(run, "follow", "call")
		if f := e.ep.byKey(run, "follow", -1); len(f) != 1 || f[0].Header.Get("X-Called") != "200" {
			t.Errorf("follow requests = %+v", f)
		}
	})
}

// A delay until an instant (a template on the payload) holds its
// dependents until then.
func TestWorkflowDelayUntil(t *testing.T) {
	t.Parallel()
	wfDialects(t, true, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "wait", Delay: &prikke.StepDelay{Until: "{{payload.at}}"}},
			prikke.Step{Key: "then", URL: "/then"},
		)
		at := e.now().Add(2 * time.Hour).Truncate(time.Second)
		run := e.start(w, `{"at":"`+at.Format(time.RFC3339)+`"}`)
		var steps map[string]*prikke.RunStep
		waitFor(t, "the step after the delay scheduled", func() bool {
			steps = e.steps(run)
			return steps["then"] != nil && steps["then"].Status == prikke.StepStatusScheduled
		})
		if f := steps["wait"].FinishedAt; f == nil || !f.Equal(at) {
			t.Errorf("the delay ends at %v, want %v", f, at)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(e.ep.byStep(run, "then")); n != 0 {
			t.Fatalf("then sent %d requests before the instant", n)
		}
		e.advance(2*time.Hour + time.Second)
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"wait": stepSucceeded, "then": stepSucceeded})
		if h := e.ep.byKey(run, "then", -1); len(h) != 1 || h[0].At.Add(time.Duration(e.clock.shift.Load())).Before(at) {
			t.Errorf("then requests = %+v; want one, at or after %v", h, at)
		}
	})
}

// Cancelling a run during a fan-out: the items in flight finish and are
// recorded but start nothing; the others are never sent.
func TestWorkflowCancelDuringFanOut(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "list", URL: "/items?n=20"},
			prikke.Step{Key: "each", URL: "/gate?id={{item.id}}", ForEach: "steps.list.json.items", MaxConcurrency: 3},
			prikke.Step{Key: "after", URL: "/after"},
		)
		run := e.start(w, "")
		waitFor(t, "three items in flight", func() bool { return len(e.ep.byStep(run, "each")) == 3 })
		r, err := e.s.WorkflowRunCancel(context.Background(), run.ID, e.now())
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != runCancelled {
			t.Errorf("cancel returned status %s", r.Status)
		}
		e.ep.openGate()
		// The three in flight are answered and recorded.
		var steps map[string]*prikke.RunStep
		waitFor(t, "the items in flight recorded", func() bool {
			steps = e.steps(run)
			for i := range 20 {
				row := steps["each["+strconv.Itoa(i)+"]"]
				if row == nil || row.JobID == nil {
					continue
				}
				for _, x := range e.stepExecutions(row) {
					if !x.Status.Terminal() {
						return false
					}
				}
			}
			return true
		})
		r, steps = e.wait(run)
		e.wantStatuses(r, steps, runCancelled, map[string]prikke.StepStatus{"list": stepSucceeded, "each": stepCancelled, "after": stepCancelled})
		if n := len(e.ep.byStep(run, "each")); n != 3 {
			t.Errorf("%d item requests; want the 3 in flight at the cancel", n)
		}
		if n := len(e.ep.byStep(run, "after")); n != 0 {
			t.Errorf("after made %d requests", n)
		}
		started := 0
		for i := range 20 {
			row := steps["each["+strconv.Itoa(i)+"]"]
			if row == nil {
				continue
			}
			if row.JobID != nil {
				started++
			}
			if row.Status == prikke.StepStatusScheduled || row.Status == prikke.StepStatusWaiting {
				t.Errorf("item %d still %s after the cancel", i, row.Status)
			}
		}
		if started != 3 {
			t.Errorf("%d items were given a job; want the 3 in flight", started)
		}
	})
}

// Retrying a failed run from its failed step keeps the earlier steps'
// outputs: login is not called again and its token is sent again.
func TestWorkflowRetryFrom(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "login", Method: "POST", URL: "/login", Body: `{"user":"{{payload.user}}"}`},
			prikke.Step{Key: "use", URL: "/toggle", Headers: []prikke.Header{hdr("Authorization", "Bearer {{steps.login.json.token}}")}},
			prikke.Step{Key: "last", URL: "/last"},
		)
		e.ep.fail.Store(true)
		run := e.start(w, `{"user":"grace"}`)
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runFailed, map[string]prikke.StepStatus{"login": stepSucceeded, "use": stepFailed, "last": stepCancelled})
		loginFinished := steps["login"].FinishedAt
		e.ep.fail.Store(false)
		if _, err := e.s.WorkflowRunRetry(context.Background(), run.ID, "", e.now()); err != nil {
			t.Fatal(err)
		}
		r, steps = e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"login": stepSucceeded, "use": stepSucceeded, "last": stepSucceeded})
		if n := len(e.ep.byStep(run, "login")); n != 1 {
			t.Errorf("login called %d times; a retry from use keeps its output", n)
		}
		if !steps["login"].FinishedAt.Equal(*loginFinished) {
			t.Errorf("login's row changed: finished %v, was %v", steps["login"].FinishedAt, loginFinished)
		}
		uses := e.ep.byStep(run, "use")
		if len(uses) != 2 {
			t.Fatalf("use called %d times, want 2", len(uses))
		}
		for _, h := range uses {
			if h.Header.Get("Authorization") != "Bearer tok-grace" || h.Key() != run.ID.String()+".use" {
				t.Errorf("use request: Authorization %q key %q", h.Header.Get("Authorization"), h.Key())
			}
		}
		e.wantAfter(run, "last", "use")
		if r.Error != "" {
			t.Errorf("a succeeded run keeps the error %q", r.Error)
		}
	})
}

// A template value that is missing at run time fails the step before any
// request, with a message naming it; the run fails.
func TestWorkflowMissingTemplateValue(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "a", URL: "/a"},
			prikke.Step{Key: "b", URL: "/b", Headers: []prikke.Header{hdr("X-Token", "{{steps.a.json.token}}")}},
		)
		run := e.start(w, "")
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runFailed, map[string]prikke.StepStatus{"a": stepSucceeded, "b": stepFailed})
		if n := len(e.ep.byStep(run, "b")); n != 0 {
			t.Errorf("b made %d requests", n)
		}
		b := steps["b"]
		if !strings.Contains(b.Reason, "token") || b.JobID != nil {
			t.Errorf("b = reason %q job %v; want the missing path named and no job", b.Reason, b.JobID)
		}
		if !strings.Contains(r.Error, "b") || !strings.Contains(r.Error, "token") {
			t.Errorf("run error %q", r.Error)
		}
	})
}

// Secrets are sent, and never recorded: the history keeps the templated
// form. A secret the project lacks fails the step without a request.
func TestWorkflowSecrets(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		const value = "s3cr3t-value-9f8e7d"
		if err := e.s.SecretPut(context.Background(), &prikke.Secret{ProjectID: e.tn.Project.ID, Name: "API_KEY", Value: value,
			CreatedAt: e.now(), UpdatedAt: e.now()}); err != nil {
			t.Fatal(err)
		}
		w := e.workflow(
			prikke.Step{Key: "login", Method: "POST", URL: "/login", Body: `{"user":"{{payload.user}}"}`},
			prikke.Step{Key: "call", Method: "POST", URL: "/call?key={{secrets.API_KEY}}",
				Headers: []prikke.Header{hdr("X-Api-Key", "{{secrets.API_KEY}}"), hdr("Authorization", "Bearer {{steps.login.json.token}}")},
				Body:    `{"key":"{{secrets.API_KEY}}","note":"{{payload.note}}"}`},
			// An endpoint that echoes the secret: the record keeps the reference.
			prikke.Step{Key: "echo", URL: "/echo?k={{secrets.API_KEY}}", Headers: []prikke.Header{hdr("X-Api-Key", "{{secrets.API_KEY}}")}},
			prikke.Step{Key: "nope", URL: "/nope", Headers: []prikke.Header{hdr("X-Other", "{{secrets.MISSING_ONE}}")}},
		)
		// The payload's braces must not become a reference to a secret.
		run := e.start(w, `{"user":"lin","note":"{{secrets.API_KEY}}"}`)
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runFailed, map[string]prikke.StepStatus{"login": stepSucceeded, "call": stepSucceeded, "echo": stepSucceeded, "nope": stepFailed})
		calls := e.ep.byKey(run, "call", -1)
		if len(calls) != 1 {
			t.Fatalf("call: %d requests", len(calls))
		}
		c := calls[0]
		if c.Header.Get("X-Api-Key") != value || c.Query != "key="+value || c.Header.Get("Authorization") != "Bearer tok-lin" {
			t.Errorf("sent X-Api-Key %q query %q Authorization %q", c.Header.Get("X-Api-Key"), c.Query, c.Header.Get("Authorization"))
		}
		if want := `{"key":"` + value + `","note":"{{secrets.API_KEY}}"}`; c.Body != want {
			t.Errorf("sent body %q, want %q", c.Body, want)
		}
		es := e.stepExecutions(steps["call"])
		if len(es) != 1 {
			t.Fatalf("call executions: %d", len(es))
		}
		if got := headerValue(es[0].RequestHeaders, "X-Api-Key"); got != "{{secrets.API_KEY}}" {
			t.Errorf("recorded X-Api-Key = %q, want the template", got)
		}
		if !strings.Contains(es[0].RequestURL, "{{secrets.API_KEY}}") {
			t.Errorf("recorded URL = %q, want the template", es[0].RequestURL)
		}
		if got := headerValue(es[0].RequestHeaders, "Authorization"); got != prikke.Redacted {
			t.Errorf("recorded Authorization = %q, want it redacted (the project's default redaction)", got)
		}
		j, err := e.s.JobGet(context.Background(), *steps["call"].JobID)
		if err != nil {
			t.Fatal(err)
		}
		echoed := e.ep.byKey(run, "echo", -1)
		if len(echoed) != 1 || echoed[0].Header.Get("X-Api-Key") != value {
			t.Fatalf("echo requests = %+v", echoed)
		}
		echoes := e.stepExecutions(steps["echo"])
		if len(echoes) != 1 {
			t.Fatalf("echo executions: %d", len(echoes))
		}
		if want := `{"api_key":"{{secrets.API_KEY}}","query":"k={{secrets.API_KEY}}"}`; string(echoes[0].ResponseBody) != want {
			t.Errorf("recorded echo = %s, want %s", echoes[0].ResponseBody, want)
		}
		for what, v := range map[string]any{"execution": es[0], "echo execution": echoes[0], "step row": steps["call"],
			"echo row": steps["echo"], "hidden job": j, "run": r} {
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), value) {
				t.Errorf("the %s holds the secret in clear: %s", what, b)
			}
		}
		for what, b := range map[string][]byte{"echo response": echoes[0].ResponseBody, "echo output": steps["echo"].ResponseBody} {
			if strings.Contains(string(b), value) {
				t.Errorf("the %s holds the secret in clear: %s", what, b)
			}
		}
		nope := steps["nope"]
		if n := len(e.ep.byStep(run, "nope")); n != 0 {
			t.Errorf("nope made %d requests", n)
		}
		if !strings.Contains(nope.Reason, "MISSING_ONE") {
			t.Errorf("nope reason = %q; want the secret named", nope.Reason)
		}
		if nes := e.stepExecutions(nope); len(nes) != 1 || nes[0].Attempt != 1 || nes[0].Status != prikke.ExecutionStatusFailed {
			t.Errorf("nope executions = %+v; want one failed attempt, not retried", nes)
		}
	})
}

// Retries follow the step's own policy: attempts and delay, on which
// failures; every attempt carries the same key.
func TestWorkflowStepRetries(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(
			prikke.Step{Key: "flaky", URL: "/flaky/2", Needs: none,
				Retry: &prikke.StepRetry{Attempts: 3, Backoff: "fixed", Delay: "1s"}},
			prikke.Step{Key: "notfound", URL: "/status/404", Needs: none, OnFailure: prikke.OnFailureContinue,
				Retry: &prikke.StepRetry{Attempts: 3, Delay: "1s", On: []string{"5xx"}}},
			prikke.Step{Key: "expect", URL: "/expect", Needs: none, OnFailure: prikke.OnFailureContinue,
				Expect: &prikke.Expect{JSONPath: "ok", Equals: json.RawMessage("false")},
				Retry:  &prikke.StepRetry{Attempts: 1, Backoff: "fixed", Delay: "1s"}},
			prikke.Step{Key: "end", URL: "/end", Needs: []string{"flaky", "notfound", "expect"}},
		)
		run := e.start(w, "")
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{
			"flaky": stepSucceeded, "notfound": stepFailed, "expect": stepFailed, "end": stepSucceeded})
		flaky := e.ep.byKey(run, "flaky", -1)
		if len(flaky) != 3 {
			t.Fatalf("flaky: %d attempts, want 3 (two 503s, then 200)", len(flaky))
		}
		for i := 1; i < len(flaky); i++ {
			if gap := flaky[i].At.Sub(flaky[i-1].At); gap < 900*time.Millisecond {
				t.Errorf("flaky attempt %d came %v after the one before; the policy waits 1s", i+1, gap)
			}
		}
		if steps["flaky"].Attempts != 3 {
			t.Errorf("flaky row attempts = %d", steps["flaky"].Attempts)
		}
		es := e.stepExecutions(steps["flaky"])
		if len(es) != 3 || es[0].Status != prikke.ExecutionStatusFailed || es[2].Status != prikke.ExecutionStatusSuccess || es[2].Attempt != 3 {
			t.Errorf("flaky history = %d rows", len(es))
		}
		if n := len(e.ep.byKey(run, "notfound", -1)); n != 1 {
			t.Errorf("a 404 was retried on a 5xx-only policy: %d attempts", n)
		}
		if n := len(e.ep.byKey(run, "expect", -1)); n != 2 {
			t.Errorf("expect: %d attempts, want 2 (a failed expectation is retried)", n)
		}
		if got := steps["expect"].Reason; !strings.Contains(got, "expect") {
			t.Errorf("expect reason = %q", got)
		}
		e.wantAfter(run, "end", "flaky", "notfound", "expect")
		e.wantKeys(run, "flaky", "notfound", "expect", "end")
	})
}

// A job that targets a workflow starts a run at its occurrence instead of
// making a request; an attempt of the same occurrence delivered again
// finds that run rather than start another.
func TestWorkflowStartedByJob(t *testing.T) {
	t.Parallel()
	wfDialects(t, false, func(t *testing.T, e *wfEnv) {
		w := e.workflow(prikke.Step{Key: "login", Method: "POST", URL: "/login", Body: `{"user":"{{payload.user}}"}`})
		at := e.now()
		j := storetest.NewJob(t, e.s, e.tn, func(j *prikke.Job) {
			storetest.Once(at)(j)
			j.NextRunAt, j.WorkflowID, j.URL, j.Method, j.Headers, j.Body, j.RetryAttempts = nil, &w.ID, "", "POST", nil, `{"user":"bob"}`, 0
		})
		storetest.NewExecution(t, e.s, j, prikke.TierPro, at)
		var ex *prikke.Execution
		waitFor(t, "the job's execution", func() bool {
			es := executions(t, e.s, j)
			if len(es) == 1 && es[0].Status.Terminal() {
				ex = mustGet(t, e.s, es[0].ID)
				return true
			}
			return false
		})
		var got struct {
			RunID   string `json:"run_id"`
			Created bool   `json:"created"`
		}
		if ex.Status != prikke.ExecutionStatusSuccess || json.Unmarshal(ex.ResponseBody, &got) != nil || !got.Created {
			t.Fatalf("execution = %s %q %q", ex.Status, ex.Error, ex.ResponseBody)
		}
		id, err := prikke.ParseID(got.RunID)
		if err != nil {
			t.Fatal(err)
		}
		run, err := e.s.WorkflowRunGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Trigger != prikke.RunTriggerJob || run.JobID == nil || *run.JobID != j.ID || !run.ScheduledFor.Equal(ex.ScheduledFor) {
			t.Errorf("run = trigger %s job %v scheduled %v", run.Trigger, run.JobID, run.ScheduledFor)
		}
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"login": stepSucceeded})
		if h := e.ep.byKey(run, "login", -1); len(h) != 1 || h[0].Body != `{"user":"bob"}` {
			t.Errorf("login got %+v; want the job's body as the payload", h)
		}
		// The same occurrence delivered again (a rescue's new attempt).
		again := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: ex.ScheduledFor, DueAt: e.now(), Attempt: 2, Status: prikke.ExecutionStatusPending,
			Priority: ex.Priority, CreatedAt: e.now()}
		if err := e.s.ExecutionInsert(context.Background(), again); err != nil {
			t.Fatal(err)
		}
		e.s.Publish(context.Background(), store.TopicWork, "")
		waitFor(t, "the second attempt", func() bool { return mustGet(t, e.s, again.ID).Status.Terminal() })
		x := mustGet(t, e.s, again.ID)
		var got2 struct {
			RunID   string `json:"run_id"`
			Created bool   `json:"created"`
		}
		if x.Status != prikke.ExecutionStatusSuccess || json.Unmarshal(x.ResponseBody, &got2) != nil || got2.Created || got2.RunID != got.RunID {
			t.Errorf("second attempt = %s %q; want the same run, not created", x.Status, x.ResponseBody)
		}
		runs, err := e.s.WorkflowRunList(context.Background(), store.RunFilter{WorkflowID: &w.ID})
		if err != nil || len(runs) != 1 {
			t.Errorf("%d runs (%v); want 1", len(runs), err)
		}
	})
}

// A step's attempt whose node died after sending it is rescued and
// delivered again, with the same Idempotency-Key, and the run goes on.
func TestWorkflowRescuedStep(t *testing.T) {
	t.Parallel()
	wfDialectsIdle(t, true, func(t *testing.T, e *wfEnv) {
		ctx := context.Background()
		w := e.workflow(
			prikke.Step{Key: "a", Method: "POST", URL: "/a"},
			prikke.Step{Key: "b", URL: "/b"},
		)
		run := e.start(w, "")
		// Another node takes a's attempt, sends it and dies.
		res, err := e.s.ExecutionClaim(ctx, &store.ClaimParams{Node: "dead", Limit: 10, LeaseGrace: 5 * time.Second})
		if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Job.Step == nil || res.Claimed[0].Job.Step.Key != "a" {
			t.Fatalf("claim as the node that dies: %+v, %v", res, err)
		}
		lost := res.Claimed[0].Execution
		if err := e.s.ExecutionMarkSent(ctx, "dead", []prikke.ID{lost.ID}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute) // past its lease
		if n, err := e.s.ExecutionRescue(ctx, store.RescueParams{Limit: 100}); err != nil || n != 1 {
			t.Fatalf("rescue: %d, %v", n, err)
		}
		e.startWorker()
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"a": stepSucceeded, "b": stepSucceeded})
		as := e.ep.byKey(run, "a", -1)
		if len(as) != 1 {
			t.Fatalf("a: %d requests reached the endpoint, want the rescued one", len(as))
		}
		es := e.stepExecutions(steps["a"])
		if len(es) != 2 || es[0].Status != prikke.ExecutionStatusFailed || es[1].Status != prikke.ExecutionStatusSuccess || !es[1].Rescued {
			t.Fatalf("a's attempts = %d", len(es))
		}
		if v := headerValue(es[1].RequestHeaders, "Idempotency-Key"); v != run.ID.String()+".a" {
			t.Errorf("the rescued attempt's key = %q", v)
		}
		if steps["a"].Attempts != 2 {
			t.Errorf("a's row counts %d attempts", steps["a"].Attempts)
		}
		if n := len(e.ep.byKey(run, "b", -1)); n != 1 {
			t.Errorf("b: %d requests", n)
		}
		e.wantAfter(run, "b", "a")
	})
}

// A cron job that targets a workflow: the scheduler writes its occurrence
// like any job's, and the worker starts one run for it, scheduled for the
// occurrence.
func TestWorkflowCronOccurrence(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		ep := newEndpoint(t)
		startEngine(t, s, "n1", []netip.AddrPort{ep.addr}, nil)
		now := dbNow(t, s)
		w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Name: "hourly sync",
			Definition: prikke.WorkflowDefinition{Steps: []prikke.Step{
				{Key: "login", Method: "POST", URL: ep.url("/login"), Body: `{"user":"{{payload.user}}"}`},
				{Key: "report", URL: ep.url("/report?at={{run.scheduled_for | url}}")},
			}},
			Health: prikke.JobHealthy, CreatedAt: now, UpdatedAt: now}
		if err := s.WorkflowCreate(context.Background(), w); err != nil {
			t.Fatal(err)
		}
		due := now.Add(time.Second).Truncate(time.Second)
		// Hourly, so its next occurrence is not written during the test.
		j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			j.CronExpression, j.IntervalMinutes, j.NextRunAt = "0 * * * *", 60, &due
			j.WorkflowID, j.URL, j.Headers, j.Body = &w.ID, "", nil, `{"user":"cron"}`
		})
		var runs []*prikke.WorkflowRun
		waitFor(t, "the occurrence's run to succeed", func() bool {
			var err error
			runs, err = s.WorkflowRunList(context.Background(), store.RunFilter{WorkflowID: &w.ID})
			if err != nil {
				t.Fatal(err)
			}
			return len(runs) == 1 && runs[0].Status.Terminal()
		})
		r := runs[0]
		if r.Status != runSucceeded || r.Trigger != prikke.RunTriggerJob || r.JobID == nil || *r.JobID != j.ID || !r.ScheduledFor.Equal(due) {
			t.Errorf("run = %s trigger %s job %v scheduled %v; want succeeded, started by the job for %v", r.Status, r.Trigger, r.JobID, r.ScheduledFor, due)
		}
		if h := ep.byKey(r, "login", -1); len(h) != 1 || h[0].Body != `{"user":"cron"}` {
			t.Errorf("login requests = %+v", h)
		}
		if h := ep.byKey(r, "report", -1); len(h) != 1 || !strings.Contains(h[0].Query, due.Format("2006-01-02")) {
			t.Errorf("report requests = %+v", h)
		}
		es := executions(t, s, j)
		if len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess {
			t.Errorf("the job's executions = %+v", es)
		}
	})
}

// A secret added while the worker holds the project's secrets in its
// short cache is found: a miss in the cache is looked up again before
// the step fails.
func TestWorkflowSecretAddedMidRun(t *testing.T) {
	t.Parallel()
	wfDialects(t, true, func(t *testing.T, e *wfEnv) {
		ctx := context.Background()
		put := func(name, value string) {
			if err := e.s.SecretPut(ctx, &prikke.Secret{ProjectID: e.tn.Project.ID, Name: name, Value: value,
				CreatedAt: e.now(), UpdatedAt: e.now()}); err != nil {
				t.Fatal(err)
			}
		}
		put("FIRST", "first-value")
		w := e.workflow(
			prikke.Step{Key: "a", URL: "/gate", Headers: []prikke.Header{hdr("X-First", "{{secrets.FIRST}}")}},
			prikke.Step{Key: "b", URL: "/b", Headers: []prikke.Header{hdr("X-Late", "{{secrets.LATE}}")}},
		)
		run := e.start(w, "")
		waitFor(t, "a in flight", func() bool { return len(e.ep.byStep(run, "a")) == 1 })
		put("LATE", "late-value")
		e.ep.openGate()
		r, steps := e.wait(run)
		e.wantStatuses(r, steps, runSucceeded, map[string]prikke.StepStatus{"a": stepSucceeded, "b": stepSucceeded})
		if b := e.ep.byKey(run, "b", -1); len(b) != 1 || b[0].Header.Get("X-Late") != "late-value" {
			t.Errorf("b requests = %+v", b)
		}
	})
}
