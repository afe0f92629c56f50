package workflow

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/template"
)

type jsonScope map[string]any

func (m jsonScope) Lookup(p template.Path) (any, bool) { return template.Walk(map[string]any(m), p) }

func TestCond(t *testing.T) {
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(`{"steps": {"check": {"status": 200, "json": {"ok": true, "n": 3, "s": "done", "zero": 0, "empty": "", "list": [1, 2], "obj": {"a": 1}}}}, "payload": {"big": 12345678901234567890}}`))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	sc := jsonScope(m)
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"steps.check.status == 200", true},
		{"steps.check.status != 200", false},
		{"steps.check.status >= 200 && steps.check.status < 300", true},
		{"steps.check.status > 200", false},
		{"steps.check.status <= 200", true},
		{`steps.check.json.s == "done"`, true},
		{`steps.check.json.s < "e"`, true},
		{"steps.check.json.ok", true},
		{"steps.check.json.ok == true", true},
		{"!steps.check.json.ok", false},
		{"steps.check.json.missing", false},
		{"steps.check.json.missing == null", true},
		{"steps.check.json.missing == true", false},
		{"steps.check.json.zero", false},
		{"steps.check.json.empty", false},
		{"steps.check.json.list", true},
		{"steps.check.json.list[1] == 2", true},
		{`steps.check.json.obj == steps.check.json.obj`, true},
		{"steps.check.json.n == 3.0", true},
		{"steps.check.json.n > -1", true},
		{`steps.check.json.n == "3"`, false},
		{`steps.check.json.s > 1`, false},
		{"false || (steps.check.status == 200 && !false)", true},
		{"true && false || true", true},
		{"true && (false || false)", false},
		{"payload.big == 12345678901234567890", true},
		{"nope.nothing", false},
	} {
		c, err := ParseCond(tc.in)
		if err != nil {
			t.Errorf("ParseCond(%q): %v", tc.in, err)
			continue
		}
		if got := c.Eval(sc); got != tc.want {
			t.Errorf("Eval(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCondErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"", "empty"},
		{"   ", "empty"},
		{"a = 1", "use == to compare"},
		{"(a == 1", "a ) is missing"},
		{"a ==", "a value is missing"},
		{"a == 1 b", `unexpected "b"`},
		{`a == "open`, "double quotes"},
		{"a && ", "a value is missing"},
		{"a == 1.2.3", "is not a number"},
		{"a == #", "expected a path"},
	} {
		_, err := ParseCond(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseCond(%q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestCondPaths(t *testing.T) {
	c, err := ParseCond(`steps.a.status == 200 && (steps.b.json.x[0] || !item.ok) && true`)
	if err != nil {
		t.Fatal(err)
	}
	want := []template.Path{{"steps", "a", "status"}, {"steps", "b", "json", "x", "0"}, {"item", "ok"}}
	if got := c.Paths(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Paths = %v, want %v", got, want)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		e      *prikke.Expect
		status int
		body   string
		want   string
	}{
		{"nil 2xx", nil, 204, "", ""},
		{"nil 404", nil, 404, "", "expect: status 404 is not in [2xx]"},
		{"codes", &prikke.Expect{Status: []string{"200", "201"}}, 404, "", "expect: status 404 is not in [200, 201]"},
		{"class", &prikke.Expect{Status: []string{"4xx"}}, 404, "", ""},
		{"json equal", &prikke.Expect{JSONPath: "data.state", Equals: json.RawMessage(`"done"`)}, 200, `{"data":{"state":"done"}}`, ""},
		{"json differs", &prikke.Expect{JSONPath: "data.state", Equals: json.RawMessage(`"done"`)}, 200, `{"data":{"state":"pending"}}`, `expect: json_path data.state is "pending", not "done"`},
		{"json number", &prikke.Expect{JSONPath: "items[1].n", Equals: json.RawMessage(`2`)}, 200, `{"items":[{"n":1},{"n":2.0}]}`, ""},
		{"not json", &prikke.Expect{JSONPath: "a", Equals: json.RawMessage(`1`)}, 200, `<html>`, "expect: the response is not JSON"},
		{"missing", &prikke.Expect{JSONPath: "a.b"}, 200, `{"a":{}}`, "expect: json_path a.b is missing from the response"},
		{"present", &prikke.Expect{JSONPath: "a"}, 200, `{"a":null}`, ""},
	} {
		if got := Check(tc.e, tc.status, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: Check = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name       string
		r          *prikke.StepRetry
		attempt    int
		f          Failure
		retryAfter time.Duration
		ok         bool
		d          time.Duration
	}{
		{"no policy", nil, 1, Failure{StatusCode: 500}, 0, false, 0},
		{"zero attempts", &prikke.StepRetry{}, 1, Failure{StatusCode: 500}, 0, false, 0},
		{"first", &prikke.StepRetry{Attempts: 3}, 1, Failure{StatusCode: 500}, 0, true, 10 * s},
		{"exponential", &prikke.StepRetry{Attempts: 3}, 3, Failure{StatusCode: 500}, 0, true, 40 * s},
		{"exhausted", &prikke.StepRetry{Attempts: 3}, 4, Failure{StatusCode: 500}, 0, false, 0},
		{"fixed", &prikke.StepRetry{Attempts: 5, Backoff: "fixed", Delay: "3s"}, 4, Failure{Timeout: true}, 0, true, 3 * s},
		{"capped", &prikke.StepRetry{Attempts: 10, Delay: "1h"}, 10, Failure{StatusCode: 500}, 0, true, prikke.RetryMaxDelay},
		{"retry-after longer", &prikke.StepRetry{Attempts: 2}, 1, Failure{StatusCode: 429}, time.Minute, true, time.Minute},
		{"retry-after shorter", &prikke.StepRetry{Attempts: 2}, 1, Failure{StatusCode: 429}, s, true, 10 * s},
		{"retry-after capped", &prikke.StepRetry{Attempts: 2}, 1, Failure{StatusCode: 503}, 48 * time.Hour, true, prikke.RetryAfterMax},
		{"on 5xx hit", &prikke.StepRetry{Attempts: 2, On: []string{"5xx"}}, 1, Failure{StatusCode: 502}, 0, true, 10 * s},
		{"on 5xx miss", &prikke.StepRetry{Attempts: 2, On: []string{"5xx"}}, 1, Failure{StatusCode: 404}, 0, false, 0},
		{"on code", &prikke.StepRetry{Attempts: 2, On: []string{"409"}}, 1, Failure{StatusCode: 409}, 0, true, 10 * s},
		{"on timeout", &prikke.StepRetry{Attempts: 2, On: []string{"timeout"}}, 1, Failure{Timeout: true}, 0, true, 10 * s},
		{"on network", &prikke.StepRetry{Attempts: 2, On: []string{"network"}}, 1, Failure{}, 0, true, 10 * s},
		{"network not timeout", &prikke.StepRetry{Attempts: 2, On: []string{"network"}}, 1, Failure{Timeout: true}, 0, false, 0},
		{"expect by code", &prikke.StepRetry{Attempts: 2, On: []string{"2xx"}}, 1, Failure{StatusCode: 200, Expect: true}, 0, true, 10 * s},
		{"expect by default", &prikke.StepRetry{Attempts: 2}, 1, Failure{StatusCode: 200, Expect: true}, 0, true, 10 * s},
	} {
		ok, d := RetryAfter(tc.r, tc.attempt, tc.f, tc.retryAfter)
		if ok != tc.ok || d != tc.d {
			t.Errorf("%s: RetryAfter = %v, %v; want %v, %v", tc.name, ok, d, tc.ok, tc.d)
		}
	}
}

func TestResultOf(t *testing.T) {
	ok := prikke.ExecutionStatusSuccess
	failed := prikke.ExecutionStatusFailed
	for _, tc := range []struct {
		name   string
		e      *prikke.Expect
		res    delivery.Result
		status prikke.ExecutionStatus
		err    string
	}{
		{"2xx", nil, delivery.Result{Status: ok, StatusCode: 200}, ok, ""},
		{"500", nil, delivery.Result{Status: failed, StatusCode: 500, Error: "HTTP 500"}, failed, "HTTP 500"},
		{"timeout", nil, delivery.Result{Status: prikke.ExecutionStatusTimeout, Error: "timed out"}, prikke.ExecutionStatusTimeout, "timed out"},
		{"network", nil, delivery.Result{Status: failed, Error: "connection refused"}, failed, "connection refused"},
		{"expected 404", &prikke.Expect{Status: []string{"404"}}, delivery.Result{Status: failed, StatusCode: 404, Error: "HTTP 404"}, ok, ""},
		{"unexpected 200", &prikke.Expect{Status: []string{"201"}}, delivery.Result{Status: ok, StatusCode: 200}, failed, "expect: status 200 is not in [201]"},
		{"json fails", &prikke.Expect{JSONPath: "ok", Equals: json.RawMessage("true")}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte(`{"ok":false}`)}, failed, "expect: json_path ok is false, not true"},
		{"body unread", nil, delivery.Result{Status: failed, StatusCode: 200, Error: "reset while reading the response body"}, failed, "reset while reading the response body"},
		// The assertions steps share with jobs (internal/expect).
		{"range", &prikke.Expect{Status: []string{"200-204"}}, delivery.Result{Status: ok, StatusCode: 206}, failed, "expect: status 206 is not in [200-204]"},
		{"body contains", &prikke.Expect{BodyContains: "ready"}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte("busy")}, failed, `expect: body does not contain "ready"`},
		{"body not contains", &prikke.Expect{BodyNotContains: "error"}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte("an error")}, failed, `expect: body contains "error"`},
		{"matches", &prikke.Expect{JSONPath: "v", Matches: `^1\.`}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte(`{"v":"2.0"}`)}, failed, `expect: json_path v is "2.0", which does not match ^1\.`},
		{"slow", &prikke.Expect{MaxDurationMS: 100}, delivery.Result{Status: ok, StatusCode: 200, Duration: 150 * time.Millisecond}, failed, "expect: took 150 ms, over max_duration_ms 100"},
		{"truncated json", &prikke.Expect{JSONPath: "a"}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte(`{"a":`), Truncated: true}, failed, "expect: the response is not JSON (it was cut at 5 bytes)"},
	} {
		st, why := ResultOf(&prikke.JobStep{Expect: tc.e}, &tc.res)
		if st != tc.status || why != tc.err {
			t.Errorf("%s: ResultOf = %s, %q; want %s, %q", tc.name, st, why, tc.status, tc.err)
		}
	}
}
