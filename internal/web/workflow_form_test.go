package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// TestWorkflowCardsRoundTrip: a definition drawn as cards and read back
// is the same definition, what the cards do not show (a timeout, a flow
// key, backoff, json_path, delay until) included.
func TestWorkflowCardsRoundTrip(t *testing.T) {
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{
		{Key: "login", Method: "POST", URL: "https://api.example.com/token", Body: `{"a":1}`,
			Headers: []prikke.Header{{Name: "Content-Type", Value: "application/json"}}, TimeoutMS: 5000, FlowKey: "api",
			Expect: &prikke.Expect{Status: []string{"200"}, JSONPath: "token_type", Equals: json.RawMessage(`"Bearer"`)},
			Retry:  &prikke.StepRetry{Attempts: 3, Backoff: "fixed", Delay: "5s", On: []string{"5xx"}}},
		{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}},
		{Key: "later", Delay: &prikke.StepDelay{Until: "{{ payload.at }}"}, Needs: []string{}},
		{Key: "each", Method: "PUT", URL: "https://x.example/{{ item.id }}", ForEach: "steps.login.json.items", MaxConcurrency: 5,
			Needs: []string{"login", "wait"}, When: "steps.login.status == 200", OnFailure: prikke.OnFailureContinue},
	}}
	f := workflowForm("w", def, 3)
	got := cardsDefinition(page.NewForm(f.Values))
	if !reflect.DeepEqual(got, def) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(def)
		t.Fatalf("round trip:\n got %s\nwant %s", a, b)
	}
	if f.Get("version") != "3" {
		t.Errorf("version = %q", f.Get("version"))
	}
}

// TestWorkflowCardOps: add, move and remove renumber the cards and keep
// what was typed, a number that is not one included.
func TestWorkflowCardOps(t *testing.T) {
	f := page.NewForm(url.Values{"steps[0].key": {"a"}, "steps[0].retry.attempts": {"x"}, "steps[1].key": {"b"}})
	if !editCards(f, "add") || stepCount(f) != 3 || f.Get("steps[2].key") != "step-3" || f.Get("steps[2].method") != "GET" {
		t.Fatalf("add: %v", f.Values)
	}
	if !editCards(f, "down:0") || f.Get("steps[0].key") != "b" || f.Get("steps[1].key") != "a" || f.Get("steps[1].retry.attempts") != "x" {
		t.Fatalf("down: %v", f.Values)
	}
	if !editCards(f, "up:1") || f.Get("steps[0].key") != "a" || f.Get("steps[0].retry.attempts") != "x" {
		t.Fatalf("up: %v", f.Values)
	}
	if !editCards(f, "remove:0") || stepCount(f) != 2 || f.Get("steps[0].key") != "b" || f.Get("steps[0].retry.attempts") != "" {
		t.Fatalf("remove: %v", f.Values)
	}
	// The cards are b and step-3: a new one is not called step-3 again.
	if !editCards(f, "add") || f.Get("steps[2].key") != "step-4" {
		t.Fatalf("add beside a taken key: %v", f.Values)
	}
	if editCards(f, "remove:9") || editCards(f, "explode:0") {
		t.Error("a bad op was applied")
	}
	// A number that is not one is an error beside its field, and a value
	// the service refuses.
	g := page.NewForm(url.Values{"steps[0].key": {"a"}, "steps[0].retry.attempts": {"three"}})
	s := cardStep(g, 0)
	if s.Retry == nil || s.Retry.Attempts != -1 || g.Errors["steps[0].retry.attempts"] == "" {
		t.Errorf("retry %+v, errors %v", s.Retry, g.Errors)
	}
}

// TestWorkflowErrorFields: the service's fields land beside the card
// field they are about; the rest are listed on their card.
func TestWorkflowErrorFields(t *testing.T) {
	for in, want := range map[string]string{
		"definition.steps[1].url":         "steps[1].url",
		"definition.steps[2].needs[0]":    "steps[2].needs",
		"definition.steps[0].retry.delay": "steps[0].retry.delay",
		"definition.steps[0].headers[1]":  "steps[0].headers",
		"definition.steps":                "steps",
		"definition":                      "definition",
		"name":                            "name",
		"steps[3].delay.duration":         "steps[3].delay.duration",
	} {
		if got := workflowErrorField(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
	f := page.NewForm(url.Values{"steps[0].key": {"a"}})
	f.SetError("steps[0].retry.delay", "is not a duration")
	f.SetError("steps[0].url", "is required")
	cards := stepCards(f)
	if len(cards) != 1 || len(cards[0].Others) != 1 || cards[0].Others[0] != "retry.delay: is not a duration" {
		t.Errorf("others = %v", cards[0].Others)
	}
}

// TestWorkflowGraph: steps sit one column right of their deepest need.
func TestWorkflowGraph(t *testing.T) {
	g := newStepGraph(&prikke.WorkflowDefinition{Steps: []prikke.Step{
		{Key: "a"}, {Key: "b"}, {Key: "c", Needs: []string{}}, {Key: "d", Needs: []string{"b", "c"}},
	}})
	x := map[string]int{}
	for _, n := range g.Nodes {
		x[n.Key] = n.X
	}
	if !(x["a"] == x["c"] && x["a"] < x["b"] && x["b"] < x["d"]) || len(g.Edges) != 3 {
		t.Errorf("x = %v, %d edges", x, len(g.Edges))
	}
}

// TestRunTimelineRenders draws a timeline with every kind of row: a
// succeeded request with its response, a failed step with its reason and
// a retry button, a delay still waiting, a for_each step with items.
func TestRunTimelineRenders(t *testing.T) {
	e := newTestEnv(t, nil)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	run := &prikke.WorkflowRun{ID: prikke.NewID(), Status: prikke.RunStatusFailed, CreatedAt: now.Add(-time.Minute), FinishedAt: at(0),
		Error: "step \"call\": 500", Payload: json.RawMessage(`{"a":1}`)}
	v := runView{Run: run, Badge: runBadge("failed"), Zone: time.UTC, Now: now, Duration: "1 min", Steps: []*timelineStep{
		{Key: "login", Item: prikke.NoItem, Label: "login", Status: prikke.StepStatusSucceeded, Badge: runBadge("succeeded"), Attempts: 1,
			Started: at(-time.Minute), Finished: at(-50 * time.Second), BarX: 0, BarW: 100, Method: "POST", URL: "https://x.example/login",
			Response: &stepResponse{Status: 200, Headers: []prikke.Header{{Name: "Content-Type", Value: "application/json"}}, Body: viewBody([]byte(`{"token":"t"}`), false)},
			Execs:    []*prikke.Execution{{ID: prikke.NewID(), Attempt: 1, Status: prikke.ExecutionStatusSuccess}}},
		{Key: "wait", Item: prikke.NoItem, Label: "wait", Kind: prikke.StepKindDelay, Status: prikke.StepStatusSucceeded, Badge: runBadge("succeeded"),
			Started: at(-40 * time.Second), WaitUntil: at(time.Hour)},
		{Key: "call", Item: prikke.NoItem, Label: "call", Status: prikke.StepStatusFailed, Badge: runBadge("failed"), Reason: "status 500", Retryable: true,
			Items: []*timelineStep{{Key: "call", Item: 0, Label: "item 0", Status: prikke.StepStatusFailed, Badge: runBadge("failed")}}},
	}}
	var buf bytes.Buffer
	if err := e.web.tpl.ExecutePartial(&buf, "run_timeline", v); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	for _, want := range []string{`data-step-key="login"`, "waiting until", "status 500", `data-testid="retry-from"`, `data-testid="items-call"`,
		"https://x.example/login", `data-run-status="failed"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the timeline lacks %s", want)
		}
	}
	if strings.Contains(body, "hx-trigger") {
		t.Error("a finished run's timeline polls")
	}
	run.Status = prikke.RunStatusRunning
	buf.Reset()
	if err := e.web.tpl.ExecutePartial(&buf, "run_timeline", v); err != nil || !strings.Contains(buf.String(), `hx-trigger="every 1s"`) {
		t.Errorf("a running run's timeline does not poll: %v", err)
	}
}

// TestWorkflowJSONView: the JSON view writes and reads the API's shape
// (headers as an object).
func TestWorkflowJSONView(t *testing.T) {
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "a", URL: "https://x.example",
		Headers: []prikke.Header{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}}}}}
	j := definitionJSON(def)
	if !strings.Contains(j, `"headers": {`) {
		t.Fatalf("headers not an object:\n%s", j)
	}
	f := page.NewForm(nil)
	got, ok := parseDefinition(f, j)
	if !ok || len(got.Steps) != 1 || !reflect.DeepEqual(got.Steps[0].Headers, []prikke.Header{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}) {
		t.Fatalf("parsed %+v %v", got, f.Errors)
	}
	if _, ok := parseDefinition(f, `{"steps": [{"key": "a", "nope": 1}]}`); ok || f.Errors["definition"] == "" {
		t.Error("an unknown field was accepted")
	}
}

// TestWorkflowFormDefinition: the cards win unless the JSON box was
// changed; a browser's CRLF line breaks are no change.
func TestWorkflowFormDefinition(t *testing.T) {
	shown := definitionJSON(&prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "a", Method: "GET", URL: "https://x.example/a"}}})
	f := page.NewForm(url.Values{"steps[0].key": {"b"}, "steps[0].method": {"GET"}, "steps[0].url": {"https://x.example/b"},
		"definition": {strings.ReplaceAll(shown, "\n", "\r\n")}, "definition_shown": {shown}})
	if def := formDefinition(f); def == nil || def.Steps[0].Key != "b" {
		t.Fatalf("the cards did not win: %+v", def)
	}
	f.Values.Set("definition", strings.Replace(shown, `"a"`, `"c"`, 1))
	if def := formDefinition(f); def == nil || def.Steps[0].Key != "c" {
		t.Fatalf("the changed JSON did not win: %+v", def)
	}
}
