package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/store/storetest"
)

// step is one workflow step as a request body holds it.
type step = map[string]any

// workflowBody is a workflow request with the given steps.
func workflowBody(name string, steps ...step) map[string]any {
	if steps == nil {
		steps = []step{}
	}
	return map[string]any{"name": name, "definition": map[string]any{"steps": steps}}
}

// twoSteps is a login, then a call with its token.
func twoSteps() []step {
	return []step{
		{"key": "login", "method": "POST", "url": "https://api.example.com/login", "body": `{"user":"{{ payload.user }}"}`},
		{"key": "call", "url": "https://api.example.com/me", "headers": map[string]string{"Authorization": "Bearer {{ steps.login.json.token }}"}},
	}
}

// workflowOf decodes a workflow response that must have the status want.
func workflowOf(t *testing.T, r *response, want int, what string) *api.Workflow {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), want)
	}
	var w api.Workflow
	r.json(t, &w)
	return &w
}

// runOf decodes a run response that must have the status want.
func runOf(t *testing.T, r *response, want int, what string) *api.RunDetail {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), want)
	}
	var run api.RunDetail
	r.json(t, &run)
	return &run
}

// TestWorkflowCRUD creates, reads, lists, saves new versions of, and
// deletes a workflow, on both stores.
func TestWorkflowCRUD(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.withKey(tn.key)

		w := workflowOf(t, c.do("POST", "/api/v1/workflows", workflowBody("login then call", twoSteps()...)), 201, "create")
		if w.Version != 1 || w.Name != "login then call" || w.ProjectID != tn.project.ID.String() || w.Health != "healthy" ||
			len(w.Definition.Steps) != 2 || w.Definition.Steps[1].Headers["Authorization"] != "Bearer {{ steps.login.json.token }}" {
			t.Fatalf("created = %+v", w)
		}
		if w.Definition.Steps[0].Needs != nil {
			t.Errorf("needs absent on create came back as %v; want absent (the previous step)", *w.Definition.Steps[0].Needs)
		}
		got := workflowOf(t, c.do("GET", "/api/v1/workflows/"+w.ID, nil), 200, "get")
		if got.ID != w.ID || got.Version != 1 || len(got.Definition.Steps) != 2 {
			t.Errorf("get = %+v", got)
		}

		// A new version: a third step that starts with the run (needs []).
		steps := append(twoSteps(), step{"key": "audit", "url": "https://audit.example.com/{{ run.id }}", "needs": []string{}})
		body := workflowBody("login, call, audit", steps...)
		body["version"] = 1
		w2 := workflowOf(t, c.do("PUT", "/api/v1/workflows/"+w.ID, body), 200, "update")
		if w2.Version != 2 || w2.Name != "login, call, audit" || len(w2.Definition.Steps) != 3 ||
			w2.Definition.Steps[2].Needs == nil || len(*w2.Definition.Steps[2].Needs) != 0 {
			t.Fatalf("updated = %+v", w2)
		}
		// A save made from version 1 now would overwrite version 2.
		r := c.do("PUT", "/api/v1/workflows/"+w.ID, body)
		if r.Status != 409 {
			t.Fatalf("stale save = %d %s; want 409", r.Status, r.Body)
		}
		checkProblem(t, r, "", "version 1")
		body["version"] = 9
		if r := c.do("PUT", "/api/v1/workflows/"+w.ID, body); r.Status != 422 {
			t.Errorf("a save from a version ahead = %d %s; want 422", r.Status, r.Body)
		} else {
			checkProblem(t, r, "body.version", "at version 2")
		}
		// Without a version, the save goes through.
		delete(body, "version")
		if w3 := workflowOf(t, c.do("PUT", "/api/v1/workflows/"+w.ID, body), 200, "update without version"); w3.Version != 3 {
			t.Errorf("version after a save without version = %d; want 3", w3.Version)
		}

		// Every version is kept.
		for v, n := range map[int]int{1: 2, 2: 3, 3: 3} {
			r := c.do("GET", fmt.Sprintf("/api/v1/workflows/%s/versions/%d", w.ID, v), nil)
			var wv api.Workflow
			if r.Status != 200 {
				t.Fatalf("version %d = %d %s", v, r.Status, r.Body)
			}
			r.json(t, &wv)
			if wv.Version != v || wv.ID != w.ID || len(wv.Definition.Steps) != n {
				t.Errorf("version %d = %+v; want %d steps", v, wv, n)
			}
		}
		for _, v := range []string{"0", "4", "x", "-1"} {
			if r := c.do("GET", "/api/v1/workflows/"+w.ID+"/versions/"+v, nil); r.Status != 404 {
				t.Errorf("version %s = %d %s; want 404", v, r.Status, r.Body)
			} else {
				r.problem(t)
			}
		}

		// The list.
		workflowOf(t, c.do("POST", "/api/v1/workflows", workflowBody("second", twoSteps()[0])), 201, "create second")
		r = c.do("GET", "/api/v1/workflows", nil)
		var list api.WorkflowList
		r.json(t, &list)
		if r.Status != 200 || len(list.Workflows) != 2 || list.Workflows[0].ID != w.ID || list.Workflows[1].Name != "second" {
			t.Fatalf("list = %d %s", r.Status, truncate(r.Body))
		}
		r = c.do("GET", "/api/v1/workflows?project_id="+tn.project.ID.String(), nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), w.ID) {
			t.Errorf("list of the project = %d %s", r.Status, truncate(r.Body))
		}

		// Delete.
		if r := c.do("DELETE", "/api/v1/workflows/"+w.ID, nil); r.Status != 204 {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		for _, path := range []string{"/api/v1/workflows/" + w.ID, "/api/v1/workflows/" + w.ID + "/versions/1", "/api/v1/workflows/" + w.ID + "/runs"} {
			if r := c.do("GET", path, nil); r.Status != 404 {
				t.Errorf("GET %s after delete = %d %s; want 404", path, r.Status, r.Body)
			}
		}
		if r := c.do("DELETE", "/api/v1/workflows/"+w.ID, nil); r.Status != 404 {
			t.Errorf("second delete = %d %s; want 404", r.Status, r.Body)
		}
		audit := c.do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/audit-log", nil)
		for _, action := range []string{"workflow.create", "workflow.update", "workflow.delete"} {
			if !strings.Contains(string(audit.Body), action) {
				t.Errorf("audit log has no %s: %s", action, truncate(audit.Body))
			}
		}
	})
}

// TestWorkflowReferenceExamples: the request examples the reference shows
// for workflows are accepted as they are, on the Free tier.
func TestWorkflowReferenceExamples(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.OpenSQLite(t))
	tn := s.newTenant(prikke.TierFree)
	c := s.withKey(tn.key)
	raw, err := s.api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Example json.RawMessage `json:"example"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	example := func(method, path string) string {
		t.Helper()
		ex := doc.Paths[path][method].RequestBody.Content["application/json"].Example
		if len(ex) == 0 {
			t.Fatalf("%s %s has no request example", method, path)
		}
		return string(ex)
	}
	base := "/api/v1/projects/" + tn.project.ID.String() + "/secrets/"
	if r := c.do("PUT", base+"API_PASSWORD", example("put", "/api/v1/projects/{project_id}/secrets/{name}")); r.Status != 201 {
		t.Fatalf("the secret example = %d %s", r.Status, r.Body)
	}
	w := workflowOf(t, c.do("POST", "/api/v1/workflows", example("post", "/api/v1/workflows")), 201, "the workflow example")
	if st := w.Definition.Steps; len(st) != 2 || st[1].Expect == nil || string(st[1].Expect.Equals) != "true" || st[0].Retry == nil || st[0].Retry.Attempts != 3 {
		t.Errorf("the example came back as %+v", st)
	}
	workflowOf(t, c.do("PUT", "/api/v1/workflows/"+w.ID, example("put", "/api/v1/workflows/{workflow_id}")), 200, "the update example")
	run := runOf(t, c.do("POST", "/api/v1/workflows/"+w.ID+"/runs", example("post", "/api/v1/workflows/{workflow_id}/runs")), 201, "the run example")
	if run.Status != "running" || len(run.Steps) != 2 || run.Steps[0].Status != "scheduled" {
		t.Errorf("the example's run = %+v", run)
	}
	runOf(t, c.do("POST", "/api/v1/runs/"+run.ID+"/cancel", nil), 200, "cancel")
	runOf(t, c.do("POST", "/api/v1/runs/"+run.ID+"/retry", example("post", "/api/v1/runs/{run_id}/retry")), 200, "the retry example")
}

// TestWorkflowValidation: every definition error is problem+json whose
// location names the step and field and whose message names the step's
// key; the tier decides how many steps and whether for_each is allowed.
func TestWorkflowValidation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		free, pro := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierPro)
		fc, pc := s.withKey(free.key), s.withKey(pro.key)
		if r := pc.do("PUT", "/api/v1/projects/"+pro.project.ID.String()+"/secrets/API_KEY", map[string]string{"value": "k"}); r.Status != 201 {
			t.Fatalf("put secret = %d %s", r.Status, r.Body)
		}
		get := func(key string) step { return step{"key": key, "url": "https://example.com/" + key} }
		with := func(st step, k string, v any) step { st[k] = v; return st }
		list := step{"key": "list", "url": "https://example.com/items"}
		each := step{"key": "each", "url": "https://example.com/items/{{ item.id }}", "for_each": "steps.list.json.items", "max_concurrency": 5}

		for _, tc := range []struct {
			name   string
			c      *client
			body   any
			status int
			loc    string
			msg    []string // fragments the message must hold
		}{
			{"no steps", fc, workflowBody("x"), 422, "body.definition.steps", nil},
			{"no name", fc, workflowBody("", get("a")), 422, "body.name", []string{"required"}},
			{"cycle", pc, workflowBody("x", with(get("a"), "needs", []string{"b"}), with(get("b"), "needs", []string{"a"})),
				422, "body.definition.steps[0].needs", []string{"step a:", "a → b → a", "cycle"}},
			{"unknown need", fc, workflowBody("x", get("a"), with(get("b"), "needs", []string{"nope"})),
				422, "body.definition.steps[1].needs[0]", []string{"step b:", `"nope"`}},
			{"reference to a step not upstream", fc, workflowBody("x", get("a"), with(with(get("b"), "needs", []string{}), "url", "https://example.com/{{ steps.a.json.id }}")),
				422, "body.definition.steps[1].url", []string{"step b:", "steps.a.json.id", "needs"}},
			{"reference to a later step", fc, workflowBody("x", with(get("a"), "body", "{{ steps.b.status }}"), get("b")),
				422, "body.definition.steps[0].body", []string{"step a:", "steps.b.status"}},
			{"bad template", fc, workflowBody("x", get("a"), with(get("b"), "url", "https://example.com/{{ payload.id")),
				422, "body.definition.steps[1].url", []string{"step b:", "{{"}},
			{"unknown template root", fc, workflowBody("x", with(get("a"), "body", "{{ env.HOME }}")),
				422, "body.definition.steps[0].body", []string{"step a:", "env"}},
			{"bad when", fc, workflowBody("x", get("a"), with(get("b"), "when", "steps.a.status ==")),
				422, "body.definition.steps[1].when", []string{"step b:"}},
			{"duplicate key", fc, workflowBody("x", get("a"), get("a")), 422, "body.definition.steps[1].key", []string{"step a:", "unique"}},
			{"bad url", fc, workflowBody("x", with(get("a"), "url", "ftp://example.com/x")), 422, "body.definition.steps[0].url", []string{"step a:", "http or https"}},
			{"unknown secret in a header", pc, workflowBody("x", with(get("a"), "headers", map[string]string{"Authorization": "Bearer {{ secrets.NOPE }}"})),
				422, "body.definition.steps[0].headers.Authorization", []string{"step a:", "secrets.NOPE", "not a secret of this project"}},
			{"unknown secret in the body", pc, workflowBody("x", get("a"), with(get("b"), "body", `{"k":"{{ secrets.API_KEYS }}"}`)),
				422, "body.definition.steps[1].body", []string{"step b:", "secrets.API_KEYS"}},
			{"Free: 4 steps", fc, workflowBody("x", get("a"), get("b"), get("c"), get("d")), 422, "body.definition.steps", []string{"4 steps", "allows 3"}},
			{"Free: for_each", fc, workflowBody("x", list, each), 422, "body.definition.steps[1].for_each", []string{"step each:", "Pro"}},
			{"unknown field in a step", fc, workflowBody("x", with(get("a"), "retries", 3)), 422, "body.definition.steps[0].retries", []string{"unknown field"}},
			{"Pro: 4 steps", pc, workflowBody("x", get("a"), get("b"), get("c"), get("d")), 201, "", nil},
			{"Pro: for_each", pc, workflowBody("x", list, each), 201, "", nil},
			{"Pro: a secret it has", pc, workflowBody("x", with(get("a"), "headers", map[string]string{"X-Key": "{{ secrets.API_KEY }}"})), 201, "", nil},
		} {
			r := tc.c.do("POST", "/api/v1/workflows", tc.body)
			if r.Status != tc.status {
				t.Errorf("%s: = %d %s; want %d", tc.name, r.Status, truncate(r.Body), tc.status)
				continue
			}
			if tc.status == 201 {
				continue
			}
			checkProblem(t, r, tc.loc, "")
			p := r.problem(t)
			for _, e := range p.Errors {
				if e.Location != tc.loc {
					continue
				}
				for _, m := range tc.msg {
					if !strings.Contains(e.Message, m) {
						t.Errorf("%s: %s message %q does not contain %q", tc.name, tc.loc, e.Message, m)
					}
				}
			}
		}
		// The same checks on update.
		w := workflowOf(t, fc.do("POST", "/api/v1/workflows", workflowBody("ok", get("a"))), 201, "create")
		r := fc.do("PUT", "/api/v1/workflows/"+w.ID, workflowBody("x", get("a"), with(get("b"), "needs", []string{"nope"})))
		if r.Status != 422 {
			t.Fatalf("bad update = %d %s", r.Status, r.Body)
		}
		checkProblem(t, r, "body.definition.steps[1].needs[0]", "nope")
		if got := workflowOf(t, fc.do("GET", "/api/v1/workflows/"+w.ID, nil), 200, "get"); got.Version != 1 {
			t.Errorf("a refused update made version %d", got.Version)
		}
	})
}

// TestWorkflowRuns starts runs (idempotently), lists, reads, cancels and
// retries them, and checks each status code.
func TestWorkflowRuns(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.withKey(tn.key)
		w := workflowOf(t, c.do("POST", "/api/v1/workflows", workflowBody("two", twoSteps()...)), 201, "create")
		runs := "/api/v1/workflows/" + w.ID + "/runs"

		first := c.do("POST", runs, `{"user":"ada"}`, "Idempotency-Key", "signup-42")
		run := runOf(t, first, 201, "start")
		if run.Status != "running" || run.WorkflowID != w.ID || run.Version != 1 || run.Trigger != "api" ||
			run.IdempotencyKey != "signup-42" || string(run.Payload) != `{"user":"ada"}` {
			t.Fatalf("run = %+v (payload %s)", run, run.Payload)
		}
		// The same key: the same run, 200, the same body.
		again := c.do("POST", runs, `{"user":"someone else"}`, "Idempotency-Key", "signup-42")
		if again.Status != 200 || !bytes.Equal(again.Body, first.Body) {
			t.Errorf("repeated start = %d %s; want 200 and the first body %s", again.Status, again.Body, first.Body)
		}
		// No body: a null payload; no key: a new run each time. Its
		// first step needs payload.user, which null lacks: the step fails
		// before any request, and so does the run.
		r2 := runOf(t, c.do("POST", runs, nil), 201, "start without a body")
		if string(r2.Payload) != "null" || r2.ID == run.ID || r2.Status != "failed" || !strings.Contains(r2.Error, "login") {
			t.Errorf("run without a body = %+v", r2)
		}
		if got := runOf(t, c.do("GET", "/api/v1/runs/"+r2.ID, nil), 200, "get r2"); got.Steps[0].Status != "failed" ||
			!strings.Contains(got.Steps[0].Reason, "payload") || got.Steps[0].JobID != "" || got.Steps[1].Status != "cancelled" {
			t.Errorf("r2's steps = %+v %+v", got.Steps[0], got.Steps[1])
		}
		r3 := runOf(t, c.do("POST", runs, `[1,2,3]`), 201, "start with an array")

		// Bad starts.
		for _, tc := range []struct {
			name    string
			body    any
			headers []string
			status  int
			loc     string
			msg     string
		}{
			{"not JSON", `{"user":`, nil, 400, "", "not valid JSON"},
			{"payload over 64 KiB", `"` + strings.Repeat("x", 64<<10) + `"`, nil, 413, "body", "64 KiB"},
			{"key too long", `{}`, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 422, "header.Idempotency-Key", "200 printable"},
			{"not JSON content", `{}`, []string{"Content-Type", "text/plain"}, 415, "", "JSON"},
		} {
			r := c.do("POST", runs, tc.body, tc.headers...)
			if r.Status != tc.status {
				t.Errorf("%s = %d %s; want %d", tc.name, r.Status, truncate(r.Body), tc.status)
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}

		// The list, newest first, paged.
		r := c.do("GET", runs+"?limit=2", nil)
		var page api.RunList
		r.json(t, &page)
		if r.Status != 200 || len(page.Runs) != 2 || page.Runs[0].ID != r3.ID || page.Runs[1].ID != r2.ID || page.NextCursor == "" {
			t.Fatalf("runs page 1 = %d %s", r.Status, truncate(r.Body))
		}
		if strings.Contains(string(r.Body), `"steps"`) {
			t.Errorf("a listed run has its steps: %s", truncate(r.Body))
		}
		r = c.do("GET", runs+"?limit=2&cursor="+page.NextCursor, nil)
		var page2 api.RunList
		r.json(t, &page2)
		if r.Status != 200 || len(page2.Runs) != 1 || page2.Runs[0].ID != run.ID || page2.NextCursor != "" {
			t.Fatalf("runs page 2 = %d %s", r.Status, truncate(r.Body))
		}
		if r := c.do("GET", runs+"?status=running", nil); r.Status != 200 || strings.Count(string(r.Body), `"status":"running"`) != 1 {
			t.Errorf("running runs = %d %s", r.Status, truncate(r.Body))
		}
		if r := c.do("GET", runs+"?status=done", nil); r.Status != 422 {
			t.Errorf("status=done = %d %s; want 422", r.Status, r.Body)
		}

		// One run with its steps: the first is due, the second waits.
		got := runOf(t, c.do("GET", "/api/v1/runs/"+run.ID, nil), 200, "get run")
		if len(got.Steps) != 2 {
			t.Fatalf("run steps = %+v", got.Steps)
		}
		if st := got.Steps[0]; st.Key != "login" || st.Status != "scheduled" || st.JobID == "" || st.IdempotencyKey != run.ID+".login" || st.Item != nil {
			t.Errorf("step login = %+v", st)
		}
		if st := got.Steps[1]; st.Key != "call" || st.Status != "waiting" || st.IdempotencyKey != run.ID+".call" {
			t.Errorf("step call = %+v", st)
		}

		// Retry needs a failed or cancelled run.
		r = c.do("POST", "/api/v1/runs/"+run.ID+"/retry", nil)
		if r.Status != 409 {
			t.Fatalf("retry of a running run = %d %s; want 409", r.Status, r.Body)
		}
		checkProblem(t, r, "", "still running")

		// Cancel: 200, then 409 once it has finished.
		cancelled := runOf(t, c.do("POST", "/api/v1/runs/"+run.ID+"/cancel", nil), 200, "cancel")
		if cancelled.Status != "cancelled" || cancelled.FinishedAt == nil {
			t.Errorf("cancelled run = %+v", cancelled)
		}
		r = c.do("POST", "/api/v1/runs/"+run.ID+"/cancel", nil)
		if r.Status != 409 {
			t.Fatalf("second cancel = %d %s; want 409", r.Status, r.Body)
		}
		checkProblem(t, r, "", "has finished")
		got = runOf(t, c.do("GET", "/api/v1/runs/"+run.ID, nil), 200, "get cancelled run")
		for _, st := range got.Steps {
			if st.Status != "cancelled" || st.Reason == "" {
				t.Errorf("after cancel, step %s = %s (%q); want cancelled with a reason", st.Key, st.Status, st.Reason)
			}
		}
		// The same key after the cancel still names that run.
		if again := runOf(t, c.do("POST", runs, `{}`, "Idempotency-Key", "signup-42"), 200, "start after cancel"); again.ID != run.ID || again.Status != "cancelled" {
			t.Errorf("start with a used key after cancel = %+v", again)
		}

		// Retry from a step that does not exist, then from the start.
		r = c.do("POST", "/api/v1/runs/"+run.ID+"/retry", map[string]string{"from": "nope"})
		if r.Status != 422 {
			t.Fatalf("retry from nope = %d %s; want 422", r.Status, r.Body)
		}
		checkProblem(t, r, "body.from", "nope")
		r = c.do("POST", "/api/v1/runs/"+run.ID+"/retry", map[string]string{"form": "login"})
		if r.Status != 422 {
			t.Errorf("retry with a misspelt field = %d %s; want 422", r.Status, r.Body)
		}
		retried := runOf(t, c.do("POST", "/api/v1/runs/"+run.ID+"/retry", map[string]string{"from": "login"}), 200, "retry")
		if retried.Status != "running" || retried.FinishedAt != nil || retried.ID != run.ID {
			t.Errorf("retried run = %+v", retried)
		}
		got = runOf(t, c.do("GET", "/api/v1/runs/"+run.ID, nil), 200, "get retried run")
		if got.Steps[0].Status != "scheduled" || got.Steps[1].Status != "waiting" {
			t.Errorf("after retry, steps = %s %s; want scheduled, waiting", got.Steps[0].Status, got.Steps[1].Status)
		}
		// A failed run cannot be cancelled; it can be retried, without a
		// body from its first failed step (which fails again: its payload
		// still lacks user).
		if r := c.do("POST", "/api/v1/runs/"+r2.ID+"/cancel", nil); r.Status != 409 {
			t.Errorf("cancel of a failed run = %d %s; want 409", r.Status, r.Body)
		} else {
			checkProblem(t, r, "", "has finished (failed)")
		}
		if rr := runOf(t, c.do("POST", "/api/v1/runs/"+r2.ID+"/retry", nil), 200, "retry r2 without a body"); rr.ID != r2.ID || rr.Status != "failed" {
			t.Errorf("retry without a body = %+v", rr)
		}

		// Ids that name nothing.
		for _, path := range []string{"/api/v1/runs/" + prikke.NewID().String(), "/api/v1/runs/not-an-id"} {
			if r := c.do("GET", path, nil); r.Status != 404 {
				t.Errorf("GET %s = %d; want 404", path, r.Status)
			}
		}
		if r := c.do("POST", "/api/v1/workflows/"+prikke.NewID().String()+"/runs", `{}`); r.Status != 404 {
			t.Errorf("start a run of no workflow = %d; want 404", r.Status)
		}

		// Runs' hidden jobs are not jobs of the project, and cannot be
		// triggered or deleted by hand.
		stepJob := got.Steps[0].JobID
		if r := c.do("GET", "/api/v1/jobs", nil); stepJob == "" || strings.Contains(string(r.Body), stepJob) {
			t.Errorf("the job list shows a step's hidden job %q: %s", stepJob, truncate(r.Body))
		}
		for _, m := range []string{"POST /trigger", "DELETE ", "POST /pause"} {
			method, suffix, _ := strings.Cut(m, " ")
			r := c.do(method, "/api/v1/jobs/"+stepJob+suffix, nil)
			if r.Status != 409 {
				t.Errorf("%s of a step's job = %d %s; want 409", m, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "", "cancel or retry the run")
		}
		if r := c.do("GET", "/api/v1/runs/"+run.ID, nil); !strings.Contains(string(r.Body), stepJob) {
			t.Errorf("the step's job went: %s", truncate(r.Body))
		}
	})
}

// TestSecretsWriteOnly: a secret's value is never in any response, the
// audit log included; names and values are checked.
func TestSecretsWriteOnly(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		base := "/api/v1/projects/" + tn.project.ID.String() + "/secrets"
		const value, value2 = "sk_live_the_value_itself", "sk_live_the_second_value"
		var bodies []string
		keep := func(r *response) *response { bodies = append(bodies, string(r.Body)); return r }

		r := keep(c.do("PUT", base+"/API_TOKEN", map[string]string{"value": value}))
		if r.Status != 201 {
			t.Fatalf("put = %d %s", r.Status, r.Body)
		}
		var sec api.Secret
		r.json(t, &sec)
		if sec.Name != "API_TOKEN" || sec.ProjectID != tn.project.ID.String() || sec.CreatedAt.IsZero() {
			t.Errorf("secret = %+v", sec)
		}
		s.clock.advance(1e9)
		if r := keep(c.do("PUT", base+"/API_TOKEN", map[string]string{"value": value2})); r.Status != 200 {
			t.Fatalf("replace = %d %s; want 200", r.Status, r.Body)
		}
		keep(c.do("PUT", base+"/_other", map[string]string{"value": value}))
		r = keep(c.do("GET", base, nil))
		var list []api.Secret
		r.json(t, &list)
		if r.Status != 200 || len(list) != 2 || list[0].Name != "API_TOKEN" || list[1].Name != "_other" || !list[0].UpdatedAt.After(list[0].CreatedAt) {
			t.Errorf("list = %d %s", r.Status, r.Body)
		}
		if r := keep(c.do("GET", base+"/API_TOKEN", nil)); r.Status != 200 {
			t.Errorf("get = %d %s", r.Status, r.Body)
		}
		w := workflowOf(t, keep(c.do("POST", "/api/v1/workflows", workflowBody("uses it",
			step{"key": "a", "url": "https://example.com/a", "headers": map[string]string{"Authorization": "Bearer {{ secrets.API_TOKEN }}"}}))), 201, "create")
		run := runOf(t, keep(c.do("POST", "/api/v1/workflows/"+w.ID+"/runs", `{}`)), 201, "start")
		keep(c.do("GET", "/api/v1/runs/"+run.ID, nil))
		keep(c.do("GET", "/api/v1/workflows/"+w.ID, nil))
		keep(c.do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/audit-log", nil))
		audit := bodies[len(bodies)-1]
		if !strings.Contains(audit, "secret.put") {
			t.Errorf("audit log has no secret.put: %s", truncate([]byte(audit)))
		}

		// Bad names and values.
		for _, tc := range []struct {
			name, path string
			body       any
			status     int
			loc, msg   string
		}{
			{"digit first", base + "/1ABC", map[string]string{"value": "x"}, 422, "path.name", "letters, digits and underscores"},
			{"a dash", base + "/API-KEY", map[string]string{"value": "x"}, 422, "path.name", "letters, digits and underscores"},
			{"65 characters", base + "/" + strings.Repeat("A", 65), map[string]string{"value": "x"}, 422, "path.name", "64"},
			{"empty value", base + "/OK", map[string]string{"value": ""}, 422, "body.value", "required"},
			{"value over 4 KiB", base + "/OK", map[string]string{"value": strings.Repeat("v", 4097)}, 413, "body.value", "4 KiB"},
			{"no value", base + "/OK", map[string]string{}, 422, "body.value", "required"},
		} {
			r := c.do("PUT", tc.path, tc.body)
			if r.Status != tc.status {
				t.Errorf("%s = %d %s; want %d", tc.name, r.Status, truncate(r.Body), tc.status)
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}

		// Delete; a workflow naming a deleted secret cannot be saved.
		if r := c.do("DELETE", base+"/_other", nil); r.Status != 204 {
			t.Errorf("delete = %d %s", r.Status, r.Body)
		}
		for _, m := range []string{"DELETE", "GET"} {
			if r := c.do(m, base+"/_other", nil); r.Status != 404 {
				t.Errorf("%s of a deleted secret = %d %s; want 404", m, r.Status, r.Body)
			} else {
				checkProblem(t, r, "", "_other")
			}
		}
		if r := c.do("DELETE", base+"/API_TOKEN", nil); r.Status != 204 {
			t.Errorf("delete = %d %s", r.Status, r.Body)
		}
		r = c.do("PUT", "/api/v1/workflows/"+w.ID, workflowBody("uses it",
			step{"key": "a", "url": "https://example.com/a", "headers": map[string]string{"Authorization": "Bearer {{ secrets.API_TOKEN }}"}}))
		if r.Status != 422 {
			t.Errorf("save naming a deleted secret = %d %s; want 422", r.Status, r.Body)
		} else {
			checkProblem(t, r, "body.definition.steps[0].headers.Authorization", "API_TOKEN")
		}
		bodies = append(bodies, string(c.do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/audit-log", nil).Body))
		for _, b := range bodies {
			for _, v := range []string{value, value2} {
				if strings.Contains(b, v) {
					t.Errorf("a response holds the secret's value: %s", truncate([]byte(b)))
				}
			}
		}
		// Nor is the value stored in clear.
		for _, table := range []string{"project_secrets", "jobs", "audit_log"} {
			for _, row := range s.sqlRows("SELECT * FROM " + table) {
				if strings.Contains(strings.Join(row, " "), value2) {
					t.Errorf("%s holds the secret's value in clear", table)
				}
			}
		}
	})
}

// TestJobTargetsWorkflow: a job with workflow_id needs no url, refuses url
// with it, takes a JSON body as the run's payload, must name a workflow of
// its own project, and goes when the workflow goes.
func TestJobTargetsWorkflow(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn, other := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		c, oc := s.withKey(tn.key), s.withKey(other.key)
		sess := s.login(tn)
		w := workflowOf(t, c.do("POST", "/api/v1/workflows", workflowBody("nightly sync", twoSteps()...)), 201, "create")
		ow := workflowOf(t, oc.do("POST", "/api/v1/workflows", workflowBody("theirs", twoSteps()...)), 201, "create other's")
		var p2 struct{ ID string }
		r := sess.do("POST", "/api/v1/projects", map[string]string{"name": "second"})
		r.json(t, &p2)
		w2 := workflowOf(t, c.do("POST", "/api/v1/workflows", map[string]any{"project_id": p2.ID, "name": "in p2",
			"definition": map[string]any{"steps": twoSteps()}}), 201, "create in p2")

		r = c.do("POST", "/api/v1/jobs", obj(`"workflow_id":`+jstr(w.ID), okCron, `"body":"{\"user\":\"ada\"}"`))
		if r.Status != 201 {
			t.Fatalf("job with workflow_id = %d %s", r.Status, r.Body)
		}
		var j api.Job
		r.json(t, &j)
		if j.WorkflowID != w.ID || j.URL != "" || j.Name != "Run nightly sync" || j.Body != `{"user":"ada"}` {
			t.Errorf("job = %+v", j)
		}
		if got := c.do("GET", "/api/v1/jobs/"+j.ID, nil); !strings.Contains(string(got.Body), `"workflow_id":"`+w.ID+`"`) {
			t.Errorf("GET job = %s", truncate(got.Body))
		}
		for _, tc := range []struct {
			name, path, body string
			loc, msg         string
		}{
			{"url and workflow_id", "/api/v1/jobs", obj(`"workflow_id":`+jstr(w.ID), okURL, okCron), "body.workflow_id", "not both"},
			{"a body that is not JSON", "/api/v1/jobs", obj(`"workflow_id":`+jstr(w.ID), okCron, `"body":"user=ada"`), "body.body", "JSON"},
			{"a workflow of another project", "/api/v1/jobs", obj(`"workflow_id":`+jstr(w2.ID), okCron), "body.workflow_id", "not a workflow of this job's project"},
			{"another tenant's workflow", "/api/v1/jobs", obj(`"workflow_id":`+jstr(ow.ID), okCron), "body.workflow_id", "not a workflow of this job's project"},
			{"no such workflow", "/api/v1/jobs", obj(`"workflow_id":`+jstr(prikke.NewID().String()), okCron), "body.workflow_id", "not a workflow"},
			{"a malformed id", "/api/v1/jobs", obj(`"workflow_id":"x"`, okCron), "body.workflow_id", "not a valid id"},
			{"a test request", "/api/v1/jobs/test", obj(`"workflow_id":` + jstr(w.ID)), "body.workflow_id", "start a run"},
		} {
			r := c.do("POST", tc.path, tc.body)
			if r.Status != 422 {
				t.Errorf("%s = %d %s; want 422", tc.name, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}
		// The job in the workflow's project is fine there.
		if r := c.do("POST", "/api/v1/jobs", obj(`"workflow_id":`+jstr(w2.ID), okCron, `"project_id":`+jstr(p2.ID))); r.Status != 201 {
			t.Errorf("job in p2 for p2's workflow = %d %s", r.Status, r.Body)
		}
		// Back to a URL on update, then to the workflow again.
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, obj(okURL))
		j = api.Job{}
		r.json(t, &j)
		if r.Status != 200 || j.WorkflowID != "" || j.URL != "https://example.com/hook" {
			t.Errorf("to a URL = %d %s", r.Status, truncate(r.Body))
		}
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, obj(`"workflow_id":`+jstr(w.ID)))
		j = api.Job{}
		r.json(t, &j)
		if r.Status != 200 || j.WorkflowID != w.ID || j.URL != "" {
			t.Errorf("back to the workflow = %d %s", r.Status, truncate(r.Body))
		}

		// Deleting the workflow deletes the job.
		if r := c.do("DELETE", "/api/v1/workflows/"+w.ID, nil); r.Status != 204 {
			t.Fatalf("delete workflow = %d %s", r.Status, r.Body)
		}
		if r := c.do("GET", "/api/v1/jobs/"+j.ID, nil); r.Status != 404 {
			t.Errorf("the job of a deleted workflow = %d %s; want 404", r.Status, r.Body)
		}
	})
}

// TestWorkflowTenantIsolation: another organization's workflow, run and
// secret are 404 on every new route, to its key and its session, and a
// key limited to one project sees no other project's.
func TestWorkflowTenantIsolation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		alice, mallory := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		ak := s.withKey(alice.key)
		p1 := alice.project.ID.String()
		if r := ak.do("PUT", "/api/v1/projects/"+p1+"/secrets/TOKEN", map[string]string{"value": "alice's token"}); r.Status != 201 {
			t.Fatalf("put secret = %d %s", r.Status, r.Body)
		}
		w := workflowOf(t, ak.do("POST", "/api/v1/workflows", workflowBody("alice's", twoSteps()...)), 201, "create")
		run := runOf(t, ak.do("POST", "/api/v1/workflows/"+w.ID+"/runs", `{"user":"ada","secret":"alice's payload"}`, "Idempotency-Key", "k1"), 201, "start")
		run2 := runOf(t, ak.do("POST", "/api/v1/workflows/"+w.ID+"/runs", `{"user":"ada"}`), 201, "start")
		runOf(t, ak.do("POST", "/api/v1/runs/"+run2.ID+"/cancel", nil), 200, "cancel")

		routes := []struct{ method, path, body string }{
			{"GET", "/api/v1/workflows/" + w.ID, ""},
			{"PUT", "/api/v1/workflows/" + w.ID, `{"name":"x","definition":{"steps":[{"key":"a","url":"https://evil.example/"}]}}`},
			{"DELETE", "/api/v1/workflows/" + w.ID, ""},
			{"GET", "/api/v1/workflows/" + w.ID + "/versions/1", ""},
			{"POST", "/api/v1/workflows/" + w.ID + "/runs", `{}`},
			{"GET", "/api/v1/workflows/" + w.ID + "/runs", ""},
			{"GET", "/api/v1/runs/" + run.ID, ""},
			{"POST", "/api/v1/runs/" + run.ID + "/cancel", ""},
			{"POST", "/api/v1/runs/" + run2.ID + "/retry", `{"from":"login"}`},
			{"GET", "/api/v1/projects/" + p1 + "/secrets", ""},
			{"GET", "/api/v1/projects/" + p1 + "/secrets/TOKEN", ""},
			{"PUT", "/api/v1/projects/" + p1 + "/secrets/TOKEN", `{"value":"mallory's"}`},
			{"PUT", "/api/v1/projects/" + p1 + "/secrets/NEW", `{"value":"mallory's"}`},
			{"DELETE", "/api/v1/projects/" + p1 + "/secrets/TOKEN", ""},
		}
		for _, c := range []struct {
			name string
			c    *client
		}{{"key", s.withKey(mallory.key)}, {"session", s.login(mallory)}} {
			for _, rt := range routes {
				var body any
				if rt.body != "" {
					body = rt.body
				}
				r := c.c.do(rt.method, rt.path, body)
				if r.Status != 404 {
					t.Errorf("mallory's %s: %s %s = %d %s; want 404", c.name, rt.method, rt.path, r.Status, truncate(r.Body))
					continue
				}
				checkProblem(t, r, "", "Not found")
			}
			// Her lists and her own starts show nothing of alice's.
			r := c.c.do("GET", "/api/v1/workflows", nil)
			if r.Status != 200 || strings.Contains(string(r.Body), w.ID) {
				t.Errorf("mallory's %s: workflows = %d %s", c.name, r.Status, truncate(r.Body))
			}
			if r := c.c.do("GET", "/api/v1/workflows?project_id="+p1, nil); r.Status != 404 {
				t.Errorf("mallory's %s: workflows of alice's project = %d %s; want 404", c.name, r.Status, truncate(r.Body))
			}
			r = c.c.do("POST", "/api/v1/workflows", map[string]any{"project_id": p1, "name": "x", "definition": map[string]any{"steps": twoSteps()}})
			if r.Status != 422 {
				t.Errorf("mallory's %s: workflow in alice's project = %d %s; want 422", c.name, r.Status, truncate(r.Body))
			} else {
				checkProblem(t, r, "body.project_id", "is not a project you can use")
			}
		}
		// Alice's things are as they were.
		got := runOf(t, ak.do("GET", "/api/v1/runs/"+run.ID, nil), 200, "alice's run")
		if got.Status != "running" || string(got.Payload) != `{"user":"ada","secret":"alice's payload"}` {
			t.Errorf("alice's run after mallory = %+v", got)
		}
		if got := workflowOf(t, ak.do("GET", "/api/v1/workflows/"+w.ID, nil), 200, "alice's workflow"); got.Version != 1 || got.Name != "alice's" {
			t.Errorf("alice's workflow after mallory = %+v", got)
		}
		var secrets []api.Secret
		ak.do("GET", "/api/v1/projects/"+p1+"/secrets", nil).json(t, &secrets)
		if len(secrets) != 1 || !secrets[0].CreatedAt.Equal(secrets[0].UpdatedAt) {
			t.Errorf("alice's secrets after mallory = %+v", secrets)
		}

		// A key limited to another project of alice's sees none of these.
		sess := s.login(alice)
		var p2 struct{ ID string }
		sess.do("POST", "/api/v1/projects", map[string]string{"name": "second"}).json(t, &p2)
		r := sess.do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/api-keys", map[string]string{"name": "p2 only", "project_id": p2.ID})
		var key struct{ Key string }
		r.json(t, &key)
		pk := s.withKey(key.Key)
		for _, rt := range routes[:12] {
			var body any
			if rt.body != "" {
				body = rt.body
			}
			if r := pk.do(rt.method, rt.path, body); r.Status != 404 {
				t.Errorf("p2's key: %s %s = %d %s; want 404", rt.method, rt.path, r.Status, truncate(r.Body))
			}
		}
		if r := pk.do("GET", "/api/v1/workflows", nil); r.Status != 200 || strings.Contains(string(r.Body), w.ID) {
			t.Errorf("p2's key: workflows = %d %s", r.Status, truncate(r.Body))
		}
		// and its workflows go to its own project.
		pw := workflowOf(t, pk.do("POST", "/api/v1/workflows", workflowBody("p2's", twoSteps()...)), 201, "p2's key creates")
		if pw.ProjectID != p2.ID {
			t.Errorf("p2's key made a workflow in %s; want %s", pw.ProjectID, p2.ID)
		}
	})
}

// TestWorkflowRoles: a viewer sees workflows and runs but cannot change,
// run, cancel or retry them, or set secrets.
func TestWorkflowRoles(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.OpenSQLite(t))
	owner, bob := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierFree)
	oc := s.withKey(owner.key)
	w := workflowOf(t, oc.do("POST", "/api/v1/workflows", workflowBody("w", twoSteps()...)), 201, "create")
	run := runOf(t, oc.do("POST", "/api/v1/workflows/"+w.ID+"/runs", `{}`), 201, "start")
	if r := s.login(owner).do("POST", "/api/v1/organizations/"+owner.org.ID.String()+"/invitations", map[string]string{"email": bob.user.Email, "role": "viewer"}); r.Status != 201 {
		t.Fatalf("invite = %d %s", r.Status, r.Body)
	}
	viewer := s.login(bob)
	if r := viewer.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenFrom(t, s.lastMail(bob.user.Email).Text)}); r.Status != 200 {
		t.Fatalf("accept = %d %s", r.Status, r.Body)
	}
	p := owner.project.ID.String()
	for _, rt := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/v1/workflows/" + w.ID, nil, 200},
		{"GET", "/api/v1/runs/" + run.ID, nil, 200},
		{"GET", "/api/v1/projects/" + p + "/secrets", nil, 200},
		{"PUT", "/api/v1/workflows/" + w.ID, workflowBody("x", twoSteps()...), 403},
		{"POST", "/api/v1/workflows/" + w.ID + "/runs", `{}`, 403},
		{"POST", "/api/v1/runs/" + run.ID + "/cancel", nil, 403},
		{"DELETE", "/api/v1/workflows/" + w.ID, nil, 403},
		{"PUT", "/api/v1/projects/" + p + "/secrets/X", map[string]string{"value": "v"}, 403},
	} {
		if r := viewer.do(rt.method, rt.path, rt.body); r.Status != rt.status {
			t.Errorf("viewer: %s %s = %d %s; want %d", rt.method, rt.path, r.Status, truncate(r.Body), rt.status)
		}
	}
}

// TestSecretsPerProject: a project has at most 100 secrets; replacing
// one at the limit is fine.
func TestSecretsPerProject(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.OpenSQLite(t))
	tn := s.newTenant(prikke.TierPro)
	c := s.withKey(tn.key)
	base := "/api/v1/projects/" + tn.project.ID.String() + "/secrets/"
	for i := range prikke.MaxSecretsPerProject {
		if r := c.do("PUT", fmt.Sprintf("%sS%03d", base, i), map[string]string{"value": "v"}); r.Status != 201 {
			t.Fatalf("secret %d = %d %s", i, r.Status, r.Body)
		}
	}
	r := c.do("PUT", base+"ONE_MORE", map[string]string{"value": "v"})
	if r.Status != 409 {
		t.Fatalf("secret 101 = %d %s; want 409", r.Status, r.Body)
	}
	checkProblem(t, r, "", "at most 100 secrets")
	if r := c.do("PUT", base+"S000", map[string]string{"value": "w"}); r.Status != 200 {
		t.Errorf("replacing one at the limit = %d %s; want 200", r.Status, r.Body)
	}
}
