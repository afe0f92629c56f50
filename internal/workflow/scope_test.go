package workflow

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

func TestScope(t *testing.T) {
	run := &prikke.WorkflowRun{ID: prikke.NewID(), Payload: json.RawMessage(`{"id": 12345678901234567890, "name": "ann"}`),
		ScheduledFor: time.Date(2026, 12, 1, 9, 0, 0, 250e6, time.UTC)}
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "a"}, {Key: "b"}, {Key: "html"}, {Key: "skip"}, {Key: "net"},
		{Key: "w", Delay: &prikke.StepDelay{Duration: "1h"}}, {Key: "later"}}}
	st := &RunState{Run: run, Def: def, Steps: []*prikke.RunStep{
		{Key: "a", Item: prikke.NoItem, Status: prikke.StepStatusSucceeded, ResponseStatus: 201,
			ResponseHeaders: []prikke.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Id", Value: "7"}},
			ResponseBody:    []byte(`{"token":"t","list":[{"n":1}]}`)},
		{Key: "html", Item: prikke.NoItem, Status: prikke.StepStatusSucceeded, ResponseStatus: 200, ResponseBody: []byte(`<p>`)},
		{Key: "skip", Item: prikke.NoItem, Status: prikke.StepStatusSkipped, Reason: "when x is false"},
		{Key: "net", Item: prikke.NoItem, Status: prikke.StepStatusFailed, Reason: "connection refused"},
		{Key: "w", Item: prikke.NoItem, Status: prikke.StepStatusSucceeded},
		{Key: "later", Item: prikke.NoItem, Status: prikke.StepStatusWaiting},
	}}
	sc := Scope(st, json.RawMessage(`{"id":"x1"}`), 3)
	for _, tc := range []struct{ in, want string }{
		{"{{payload.id}} {{payload.name}}", "12345678901234567890 ann"},
		{"{{run.id}}", run.ID.String()},
		{"{{run.scheduled_for}}", "2026-12-01T09:00:00.250Z"},
		{"{{steps.a.status}}", "201"},
		{"{{steps.a.headers.content-type}} {{steps.a.headers.X-ID}}", "application/json 7"},
		{"{{steps.a.json.token}} {{steps.a.json.list[0].n}}", "t 1"},
		{"{{steps.html.body}}", "<p>"},
		{"{{item.id}}/{{index}}", "x1/3"},
		{"{{steps.a.headers | json}}", `{"content-type":"application/json","x-id":"7"}`},
	} {
		got, err := template.Render(tc.in, sc, template.Options{})
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"{{steps.html.json.x}}", "the response of html is not JSON"},
		{"{{steps.skip.json}}", "step skip was skipped (when x is false), so it has no json"},
		{"{{steps.net.status}}", "step net got no response (connection refused), so it has no status"},
		{"{{steps.later.body}}", "step later has not finished"},
		{"{{steps.b.body}}", "step b has not run"},
		{"{{steps.nope.body}}", `there is no step "nope"`},
		{"{{steps.w.body}}", "step w is a delay: it has no response"},
		{"{{steps.a.headers.x-missing}}", "the response of a has no header x-missing"},
		{"{{steps.a.json.list[2]}}", "steps.a.json.list has no element 2 (it has 1)"},
		{"{{run.name}}", "there is no run.name: the run has id and scheduled_for"},
		{"{{secrets.KEY}}", "secrets are filled in at send time, not here"},
		{"{{env.HOME}}", `there is no env: a template may use payload, run, steps, secrets, and in a for_each step item and index`},
	} {
		_, err := template.Render(tc.in, sc, template.Options{})
		var me *template.MissingError
		if !errors.As(err, &me) || me.Why != tc.why {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.why)
		}
	}
	noItem := Scope(st, nil, -1)
	if _, err := template.Render("{{item}}", noItem, template.Options{}); err == nil ||
		err.Error() != "template: there is no item: only a for_each step's templates see item and index" {
		t.Errorf("item outside for_each: %v", err)
	}
}
