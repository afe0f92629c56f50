package worker

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
)

// Job.Expect judges a job's attempt: a failed assertion is a failure with
// its reason, retried and counted as any; a 410 stays Gone.
func TestCompletionExpect(t *testing.T) {
	delay := func(int, time.Duration) time.Duration { return time.Second }
	ok, failed := prikke.ExecutionStatusSuccess, prikke.ExecutionStatusFailed
	for _, tc := range []struct {
		name   string
		kind   prikke.JobKind
		e      *prikke.Expect
		res    delivery.Result
		status prikke.ExecutionStatus
		err    string
		retry  bool
		health store.HealthEffect
		gone   bool
	}{
		{"no expect", prikke.JobKindOnce, nil, delivery.Result{Status: ok, StatusCode: 200, Body: []byte("busy")}, ok, "", false, store.HealthSuccess, false},
		{"body fails, retried", prikke.JobKindOnce, &prikke.Expect{BodyContains: "ready"}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte("busy")}, failed, `expect: body does not contain "ready"`, true, store.HealthNone, false},
		{"cron: not retried, counts", prikke.JobKindCron, &prikke.Expect{BodyContains: "ready"}, delivery.Result{Status: ok, StatusCode: 200, Body: []byte("busy")}, failed, `expect: body does not contain "ready"`, false, store.HealthFailure, false},
		{"expected 500", prikke.JobKindCron, &prikke.Expect{Status: []string{"5xx"}}, delivery.Result{Status: failed, StatusCode: 500, Error: "HTTP 500"}, ok, "", false, store.HealthSuccess, false},
		{"plain 500 keeps HTTP 500", prikke.JobKindCron, &prikke.Expect{BodyContains: "x"}, delivery.Result{Status: failed, StatusCode: 500, Error: "HTTP 500"}, failed, "HTTP 500", false, store.HealthFailure, false},
		{"slow", prikke.JobKindCron, &prikke.Expect{MaxDurationMS: 100}, delivery.Result{Status: ok, StatusCode: 200, Duration: 250 * time.Millisecond}, failed, "expect: took 250 ms, over max_duration_ms 100", false, store.HealthFailure, false},
		{"410 stays gone", prikke.JobKindOnce, &prikke.Expect{Status: []string{"4xx"}}, delivery.Result{Status: failed, StatusCode: 410, Error: "HTTP 410", Gone: true}, failed, "HTTP 410", false, store.HealthFailure, true},
		{"timeout", prikke.JobKindOnce, &prikke.Expect{MaxDurationMS: 100}, delivery.Result{Status: prikke.ExecutionStatusTimeout, Error: "timed out"}, prikke.ExecutionStatusTimeout, "timed out", true, store.HealthNone, false},
	} {
		j := &prikke.Job{ID: prikke.NewID(), Kind: tc.kind, URL: "https://api.example.com/hook", Method: "POST", RetryAttempts: 3, Expect: tc.e}
		cl := &store.Claimed{Execution: &prikke.Execution{ID: prikke.NewID(), Attempt: 1}, Job: j}
		cp := Completion(cl, tc.res, time.Now(), delay)
		if cp.Status != tc.status || cp.Error != tc.err || (cp.Retry != nil) != tc.retry || cp.Health != tc.health || cp.Gone != tc.gone {
			t.Errorf("%s: completion = %s %q retry %v health %v gone %v; want %s %q %v %v %v", tc.name,
				cp.Status, cp.Error, cp.Retry != nil, cp.Health, cp.Gone, tc.status, tc.err, tc.retry, tc.health, tc.gone)
		}
	}
}

// A replay's retry is the same replay: its own request, linked to the
// original; a plain retry carries no request.
func TestReplayRetryKeepsRequest(t *testing.T) {
	delay := func(int, time.Duration) time.Duration { return time.Second }
	j := &prikke.Job{ID: prikke.NewID(), Kind: prikke.JobKindQueue, URL: "https://api.example.com/hook", Method: "POST", RetryAttempts: 2}
	orig := prikke.NewID()
	hs := []prikke.Header{{Name: "Authorization", Value: prikke.Redacted}, {Name: "X-Edit", Value: "1"}}
	e := &prikke.Execution{ID: prikke.NewID(), Attempt: 1, Manual: true, ReplayOf: &orig, RequestMethod: "PUT",
		RequestURL: "https://api.example.com/other", RequestHeaders: hs, RequestBody: []byte(`{"edited":true}`)}
	res := delivery.Result{Status: prikke.ExecutionStatusFailed, StatusCode: 503, Error: "HTTP 503",
		RequestHeaders: []prikke.Header{{Name: "Authorization", Value: "Bearer real"}}, RequestBody: []byte(`{"edited":true}`)}
	cp := Completion(&store.Claimed{Execution: e, Job: j}, res, time.Now(), delay)
	r := cp.Retry
	if r == nil || r.ReplayOf == nil || *r.ReplayOf != orig || !r.Manual || r.RequestMethod != "PUT" ||
		r.RequestURL != e.RequestURL || !reflect.DeepEqual(r.RequestHeaders, hs) || string(r.RequestBody) != `{"edited":true}` {
		t.Fatalf("replay retry = %+v", r)
	}
	e2 := &prikke.Execution{ID: prikke.NewID(), Attempt: 1}
	cp = Completion(&store.Claimed{Execution: e2, Job: j}, res, time.Now(), delay)
	if r := cp.Retry; r == nil || r.ReplayOf != nil || r.RequestMethod != "" || r.RequestHeaders != nil {
		t.Fatalf("plain retry = %+v", r)
	}
}

func TestReplayHeaders(t *testing.T) {
	recorded := []prikke.Header{
		{Name: "webhook-id", Value: "msg_1"}, {Name: "webhook-signature", Value: "v1,x"}, {Name: "User-Agent", Value: "Prikke"},
		{Name: "Prikke-Attempt", Value: "1"}, {Name: "Content-Type", Value: "application/json"},
		{Name: "authorization", Value: prikke.Redacted}, {Name: "Cookie", Value: prikke.Redacted}, {Name: "X-Edit", Value: "1"},
	}
	job := []prikke.Header{{Name: "Authorization", Value: "Bearer now"}}
	got := replayHeaders(recorded, job)
	want := []prikke.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "authorization", Value: "Bearer now"}, {Name: "X-Edit", Value: "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replayHeaders = %v, want %v", got, want)
	}
}

func TestRedactCompletion(t *testing.T) {
	r := &prikke.Redaction{Headers: []string{"Authorization", "X-Secret"}, JSONPaths: []string{"password", "data.token"}}
	mk := func() *store.Completion {
		return &store.Completion{
			RequestHeaders:  []prikke.Header{{Name: "Authorization", Value: "Bearer a"}, {Name: "X-Other", Value: "b"}},
			RequestBody:     []byte(`{"password":"p","user":"u"}`),
			ResponseHeaders: []prikke.Header{{Name: "X-Secret", Value: "s"}},
			ResponseBody:    []byte(`{"data":{"token":"t`), ResponseTruncated: true,
		}
	}
	cp := mk()
	redactCompletion(cp, r, nil)
	if cp.RequestHeaders[0].Value != prikke.Redacted || cp.RequestHeaders[1].Value != "b" || cp.ResponseHeaders[0].Value != prikke.Redacted {
		t.Errorf("headers = %v / %v", cp.RequestHeaders, cp.ResponseHeaders)
	}
	if string(cp.RequestBody) != `{"password":"[redacted]","user":"u"}` || cp.RequestTruncated {
		t.Errorf("request body = %s truncated %v", cp.RequestBody, cp.RequestTruncated)
	}
	if string(cp.ResponseBody) != `{"data":{"token":"[redacted]"` || !cp.ResponseTruncated {
		t.Errorf("response body = %s truncated %v", cp.ResponseBody, cp.ResponseTruncated)
	}
	// A step's response is its output for later steps: only its request
	// is redacted.
	cp = mk()
	cp.Step = &prikke.JobStep{Key: "login"}
	redactCompletion(cp, r, nil)
	if cp.RequestHeaders[0].Value != prikke.Redacted || !strings.Contains(string(cp.ResponseBody), `"t`) || cp.ResponseHeaders[0].Value != "s" {
		t.Errorf("step: %v %s %v", cp.RequestHeaders, cp.ResponseBody, cp.ResponseHeaders)
	}
}

// A failed assertion on a redacted path does not quote what it saw.
func TestRedactedAssertion(t *testing.T) {
	r := &prikke.Redaction{JSONPaths: []string{"data"}}
	e := &prikke.Expect{JSONPath: "data.token", Equals: []byte(`"x"`)}
	cp := &store.Completion{Error: `expect: json_path data.token is "s3cret", not "x"`}
	redactCompletion(cp, r, e)
	if cp.Error != "expect: json_path data.token does not hold (its value is redacted)" {
		t.Errorf("Error = %q", cp.Error)
	}
	cp = &store.Completion{Error: "expect: json_path data.token is missing from the response"}
	redactCompletion(cp, r, e)
	if cp.Error != "expect: json_path data.token is missing from the response" {
		t.Errorf("Error = %q", cp.Error)
	}
}

// Values of redacted request headers are scrubbed from what the endpoint
// echoes (a body, a header) and from the error.
func TestRedactEchoes(t *testing.T) {
	cp := &store.Completion{
		RequestHeaders:  []prikke.Header{{Name: "Authorization", Value: "Bearer tok-123456"}, {Name: "X-Short", Value: "abc"}},
		ResponseHeaders: []prikke.Header{{Name: "X-Echo", Value: "tok-123456"}},
		ResponseBody:    []byte(`{"header":{"Authorization":["Bearer tok-123456"]},"t":"tok-123456","abc":1}`),
		Error:           "expect: body contains \"tok-123456\"",
	}
	redactCompletion(cp, &prikke.Redaction{Headers: []string{"Authorization", "X-Short"}}, nil)
	if want := `{"header":{"Authorization":["[redacted]"]},"t":"[redacted]","abc":1}`; string(cp.ResponseBody) != want {
		t.Errorf("body = %s, want %s", cp.ResponseBody, want)
	}
	if cp.ResponseHeaders[0].Value != prikke.Redacted || cp.Error != `expect: body contains "[redacted]"` {
		t.Errorf("header %q error %q", cp.ResponseHeaders[0].Value, cp.Error)
	}
}
