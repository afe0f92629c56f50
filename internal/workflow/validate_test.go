package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

func TestValidateOK(t *testing.T) {
	def := &prikke.WorkflowDefinition{Steps: []prikke.Step{
		{Key: "login", Method: "POST", URL: "https://auth.example.com/login", Body: `{"key":"{{secrets.API_KEY}}"}`,
			Retry: &prikke.StepRetry{Attempts: 3, Backoff: "fixed", Delay: "5s", On: []string{"5xx", "429", "timeout", "network"}}},
		{Key: "list", URL: "https://api.example.com/items?u={{payload.user | url}}&r={{run.id}}",
			Headers: []prikke.Header{{Name: "Authorization", Value: "Bearer {{steps.login.json.token}}"}},
			Expect:  &prikke.Expect{Status: []string{"200", "2xx"}, JSONPath: "data.ok", Equals: json.RawMessage(`true`)}},
		{Key: "each", ForEach: "steps.list.json.items", MaxConcurrency: 5, URL: "https://{{item.host}}/x/{{index}}",
			When: `steps.list.status == 200 && steps.login.headers.x-ok != "no"`, OnFailure: prikke.OnFailureContinue},
		{Key: "wait", Delay: &prikke.StepDelay{Duration: "24h"}},
		{Key: "until", Delay: &prikke.StepDelay{Until: "{{steps.list.json.at}}"}, Needs: []string{"list"}},
		{Key: "follow", URL: "{{payload.callback}}", Needs: []string{"wait", "until"}, Body: "{{steps.each.json | json}} {{{{literal}}"},
	}}
	if err := Validate(def, prikke.TierPro); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	req := func(key string, mod ...func(*prikke.Step)) prikke.Step {
		s := prikke.Step{Key: key, URL: "https://example.com/" + key}
		for _, m := range mod {
			m(&s)
		}
		return s
	}
	many := make([]prikke.Step, 4)
	for i := range many {
		many[i] = req(fmt.Sprintf("s%d", i))
	}
	for _, tc := range []struct {
		name  string
		tier  prikke.Tier
		steps []prikke.Step
		field string
		msg   string
	}{
		{"no steps", prikke.TierPro, nil, "steps", "at least one step"},
		{"free step limit", prikke.TierFree, many, "steps", "has 4 steps; the free tier allows 3"},
		{"empty key", prikke.TierPro, []prikke.Step{req("")}, "steps[0].key", "step 1: needs a key"},
		{"bad key", prikke.TierPro, []prikke.Step{req("Log In")}, "steps[0].key", `the key "Log In" may use only`},
		{"long key", prikke.TierPro, []prikke.Step{req(strings.Repeat("k", 65))}, "steps[0].key", "max 64"},
		{"duplicate key", prikke.TierPro, []prikke.Step{req("a"), req("a")}, "steps[1].key", "also the key of steps[0]"},
		{"unknown need", prikke.TierPro, []prikke.Step{req("a"), req("b", needs("a", "zz"))}, "steps[1].needs[1]", `step b: needs "zz", which is not a step`},
		{"self need", prikke.TierPro, []prikke.Step{req("a", needs("a"))}, "steps[0].needs[0]", "cannot need itself"},
		{"cycle", prikke.TierPro, []prikke.Step{req("a", needs("c")), req("b"), req("c")}, "steps[0].needs", "a → b → c → a form a cycle"},
		{"no url", prikke.TierPro, []prikke.Step{{Key: "a"}}, "steps[0].url", "step a: needs a url"},
		{"bad scheme", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.URL = "ftp://x.example/{{payload.p}}" })}, "steps[0].url", "scheme must be http or https"},
		{"templated host ok but scheme", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.URL = "ftp://{{payload.host}}/" })}, "steps[0].url", "must start with http:// or https://"},
		{"bad method", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Method = "FETCH" })}, "steps[0].method", "one of GET"},
		{"reserved header", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Headers = []prikke.Header{{Name: "User-Agent", Value: "x"}} })}, "steps[0].headers[0].name", "reserved"},
		{"idempotency header", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Headers = []prikke.Header{{Name: "idempotency-key", Value: "x"}} })}, "steps[0].headers[0].name", "Prikke sets Idempotency-Key"},
		{"timeout", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.TimeoutMS = 50 })}, "steps[0].timeout_ms", "between 1000 and 30000"},
		{"unterminated", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "x {{payload" })}, "steps[0].body", "step a: unterminated {{ at offset 2"},
		{"unknown root", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "{{env.HOME}}" })}, "steps[0].body", `"env" is none of them`},
		{"item outside for_each", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "{{item.id}}" })}, "steps[0].body", "only for a for_each step"},
		{"not upstream", prikke.TierPro, []prikke.Step{req("a", needs()), req("b", needs(), func(s *prikke.Step) { s.Body = "{{steps.a.json.x}}" })}, "steps[1].body", `step a does not run before this one; add "a" to needs`},
		{"later step", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.URL = "https://x.example/{{steps.b.status}}" }), req("b")}, "steps[0].url", "step b does not run before this one"},
		{"own response", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "{{steps.a.body}}" })}, "steps[0].body", "cannot use its own response"},
		{"unknown step", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "{{steps.zz.body}}" })}, "steps[0].body", `names step "zz"`},
		{"bad output", prikke.TierPro, []prikke.Step{req("a"), req("b", func(s *prikke.Step) { s.Body = "{{steps.a.response}}" })}, "steps[1].body", `"response" is none of them`},
		{"bad run", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Body = "{{run.name}}" })}, "steps[0].body", "use run.id or run.scheduled_for"},
		{"when parse", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.When = "payload.x = 1" })}, "steps[0].when", "use == to compare"},
		{"when ref", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.When = "steps.b.status == 200" }), req("b")}, "steps[0].when", "does not run before"},
		{"when secret", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.When = "secrets.X" })}, "steps[0].when", "not in when"},
		{"for_each free", prikke.TierFree, []prikke.Step{req("a"), req("b", func(s *prikke.Step) { s.ForEach = "steps.a.json" })}, "steps[1].for_each", "not available on the free tier"},
		{"for_each path", prikke.TierPro, []prikke.Step{req("a"), req("b", func(s *prikke.Step) { s.ForEach = "{{steps.a.json}}" })}, "steps[1].for_each", "without braces"},
		{"for_each root", prikke.TierPro, []prikke.Step{req("a"), req("b", func(s *prikke.Step) { s.ForEach = "item.x" })}, "steps[1].for_each", "from payload or an earlier step"},
		{"for_each upstream", prikke.TierPro, []prikke.Step{req("a", needs()), req("b", needs(), func(s *prikke.Step) { s.ForEach = "steps.a.json" })}, "steps[1].for_each", "does not run before"},
		{"max_concurrency", prikke.TierPro, []prikke.Step{req("a"), req("b", func(s *prikke.Step) { s.ForEach = "steps.a.json"; s.MaxConcurrency = 500 })}, "steps[1].max_concurrency", "between 1 and 100"},
		{"max_concurrency alone", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.MaxConcurrency = 5 })}, "steps[0].max_concurrency", "only a for_each step"},
		{"delay both", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{Duration: "1h", Until: "2026-01-01T00:00:00Z"}}}, "steps[0].delay", "not both"},
		{"delay none", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{}}}, "steps[0].delay", "give delay.duration"},
		{"delay short", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{Duration: "10ms"}}}, "steps[0].delay.duration", "between 1s"},
		{"delay long", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{Duration: "9000h"}}}, "steps[0].delay.duration", "between 1s"},
		{"delay until", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{Until: "tomorrow"}}}, "steps[0].delay.until", "RFC 3339"},
		{"delay last", prikke.TierPro, []prikke.Step{req("a"), {Key: "w", Delay: &prikke.StepDelay{Duration: "1h"}}}, "steps[1].delay", "wait for nothing"},
		{"delay needed by none", prikke.TierPro, []prikke.Step{{Key: "w", Needs: []string{}, Delay: &prikke.StepDelay{Duration: "1h"}}, req("a", func(s *prikke.Step) { s.Needs = []string{} })}, "steps[0].delay", "wait for nothing"},
		{"delay with url", prikke.TierPro, []prikke.Step{{Key: "w", URL: "https://x.example", Delay: &prikke.StepDelay{Duration: "1h"}}}, "steps[0].delay", "makes no request"},
		{"retry attempts", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Retry = &prikke.StepRetry{Attempts: 11} })}, "steps[0].retry.attempts", "between 0 and 10"},
		{"retry backoff", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Retry = &prikke.StepRetry{Backoff: "linear"} })}, "steps[0].retry.backoff", "fixed"},
		{"retry delay", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Retry = &prikke.StepRetry{Delay: "7h"} })}, "steps[0].retry.delay", "between 1s and 6h"},
		{"retry on", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Retry = &prikke.StepRetry{On: []string{"5xx", "oops"}} })}, "steps[0].retry.on[1]", `"oops" is not`},
		{"expect status", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{Status: []string{"700"}} })}, "steps[0].expect.status[0]", "not a status code"},
		{"expect equals json", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`{`)} })}, "steps[0].expect.equals", "must be a JSON value"},
		{"expect equals alone", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{Equals: json.RawMessage(`1`)} })}, "steps[0].expect.json_path", "needs a json_path"},
		{"expect matches", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{JSONPath: "a", Matches: "a(b"} })}, "steps[0].expect.matches", "not a valid regular expression"},
		{"expect range", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{Status: []string{"300-200"}} })}, "steps[0].expect.status[0]", "a range"},
		{"expect duration", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.Expect = &prikke.Expect{MaxDurationMS: -5} })}, "steps[0].expect.max_duration_ms", "between 1 and 30000"},
		{"on_failure", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.OnFailure = "ignore" })}, "steps[0].on_failure", `"stop" or "continue"`},
		{"delay output", prikke.TierPro, []prikke.Step{{Key: "w", Delay: &prikke.StepDelay{Duration: "1h"}}, req("a", func(s *prikke.Step) { s.Body = "{{steps.w.body}}" })}, "steps[1].body", "step w is a delay"},
		{"flow key", prikke.TierPro, []prikke.Step{req("a", func(s *prikke.Step) { s.FlowKey = "a b" })}, "steps[0].flow_key", "without spaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(&prikke.WorkflowDefinition{Steps: tc.steps}, tc.tier)
			if prikke.ErrorCode(err) != prikke.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			for _, f := range prikke.ErrorFields(err) {
				if f.Field == tc.field && strings.Contains(f.Message, tc.msg) {
					return
				}
			}
			t.Fatalf("no %s containing %q in %v", tc.field, tc.msg, prikke.ErrorFields(err))
		})
	}
}
