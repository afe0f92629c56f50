package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// What an execution shows of what happened (issue 18): the request body,
// trace and replay_of columns, a job's assertions, a project's redaction,
// replays and the search of the history.
func testInspect(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"Columns":      testInspectColumns,
		"Attempt":      testInspectAttempt,
		"Replay":       testInspectReplay,
		"ReplayGone":   testInspectReplayGone,
		"Search":       testInspectSearch,
		"RescueReplay": testInspectRescueReplay,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// A job's assertions and a project's redaction round trip, nil as NULL.
func testInspectColumns(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)

	expect := &prikke.Expect{Status: []string{"200-299", "304"}, JSONPath: "data.ok", Equals: json.RawMessage(`true`),
		BodyContains: "ok", BodyNotContains: "error", MaxDurationMS: 1500}
	j := NewJob(t, s, a, func(j *prikke.Job) { j.Expect = expect })
	plain := NewJob(t, s, a, nil)
	got, err := s.JobGet(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Expect, expect) {
		t.Errorf("JobGet expect = %+v, want %+v", got.Expect, expect)
	}
	if got, _ := s.JobGet(ctx, plain.ID); got.Expect != nil {
		t.Errorf("a job without assertions reads %+v", got.Expect)
	}
	js, err := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID})
	if err != nil || len(js) != 2 {
		t.Fatalf("JobList = %v, %v", js, err)
	}
	for _, l := range js {
		if (l.ID == j.ID) != (l.Expect != nil) || (l.Expect != nil && !reflect.DeepEqual(l.Expect, expect)) {
			t.Errorf("JobList job %s expect = %+v", l.Name, l.Expect)
		}
	}
	got.Expect = &prikke.Expect{Matches: "^ok$"}
	if err := s.JobUpdate(ctx, got); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.JobGet(ctx, j.ID); g.Expect == nil || g.Expect.Matches != "^ok$" || g.Expect.Status != nil {
		t.Errorf("updated expect = %+v", g.Expect)
	}
	got.Expect = nil
	if err := s.JobUpdate(ctx, got); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.JobGet(ctx, j.ID); g.Expect != nil {
		t.Errorf("cleared expect reads %+v", g.Expect)
	}

	if p, _ := s.ProjectGet(ctx, a.Project.ID); p.Redact != nil {
		t.Errorf("a new project's redaction = %+v, want nil (the defaults)", p.Redact)
	}
	red := &prikke.Redaction{Headers: []string{"Authorization", "X-Api-Key"}, JSONPaths: []string{"password", "data.token"}}
	p2 := &prikke.Project{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Redacted", SigningSecret: "whsec_CCCC", AlertAfter: 1,
		Redact: red, CreatedAt: T0.Add(time.Second), UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.ProjectGet(ctx, p2.ID); !reflect.DeepEqual(p.Redact, red) {
		t.Errorf("ProjectGet redact = %+v, want %+v", p.Redact, red)
	}
	ps, _ := s.ProjectListByOrganization(ctx, a.Org.ID)
	if len(ps) != 2 || ps[0].Redact != nil || !reflect.DeepEqual(ps[1].Redact, red) {
		t.Errorf("ProjectListByOrganization = %+v", ps)
	}
	if p, _ := s.ProjectGetByPingKey(ctx, p2.PingKey); !reflect.DeepEqual(p.Redact, red) {
		t.Errorf("ProjectGetByPingKey redact = %+v", p.Redact)
	}
	// Nothing redacted at all is a value of its own, not the defaults.
	p2.Redact = &prikke.Redaction{Headers: []string{}, JSONPaths: []string{}}
	if err := s.ProjectUpdate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.ProjectGet(ctx, p2.ID); p.Redact == nil || len(p.Redact.Headers) != 0 || len(p.Redact.JSONPaths) != 0 {
		t.Errorf("empty redaction reads %+v", p.Redact)
	}
	p2.Redact = nil
	if err := s.ProjectUpdate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.ProjectGet(ctx, p2.ID); p.Redact != nil {
		t.Errorf("cleared redaction reads %+v", p.Redact)
	}
}

// An attempt's request body, trace and response body: the completion
// writes them, ExecutionGet reads them all, lists leave the bodies out;
// the claim returns the project's redaction and the job's assertions.
func testInspectAttempt(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	red := &prikke.Redaction{Headers: []string{"X-Secret"}, JSONPaths: []string{"token"}}
	a.Project.Redact = red
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	expect := &prikke.Expect{Status: []string{"201"}}
	j := NewJob(t, s, a, func(j *prikke.Job) { j.Expect = expect })
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	c := claimOne(t, s, "n1", T0)
	if !reflect.DeepEqual(c.Redact, red) {
		t.Errorf("claim redact = %+v, want %+v", c.Redact, red)
	}
	if !reflect.DeepEqual(c.Job.Expect, expect) {
		t.Errorf("claimed job's expect = %+v", c.Job.Expect)
	}
	if c.Execution.ReplayOf != nil || c.Execution.RequestBody != nil || c.Execution.Trace != nil {
		t.Errorf("an ordinary claim carries a request: %+v", c.Execution)
	}

	trace := &prikke.Trace{DNSUS: 1200, ConnectUS: 800, TLSUS: 4000, SendUS: 50, WaitUS: 90000, BodyUS: 300,
		RemoteAddr: "192.0.2.7:443", TLSVersion: "TLS 1.3", Reused: false}
	reqBody := []byte(`{"token":"[redacted]","n":1}`)
	complete(t, s, "n1", c, prikke.ExecutionStatusSuccess, func(cp *store.Completion) {
		cp.RequestMethod, cp.RequestURL = "POST", "https://example.com/hook"
		cp.RequestHeaders = []prikke.Header{{Name: "X-Secret", Value: prikke.Redacted}}
		cp.RequestBody, cp.RequestTruncated, cp.Trace = reqBody, true, trace
		cp.ResponseStatus, cp.ResponseBody = 201, []byte("created")
	})
	got, err := s.ExecutionGet(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.RequestBody) != string(reqBody) || !got.RequestTruncated || !reflect.DeepEqual(got.Trace, trace) ||
		string(got.ResponseBody) != "created" || got.ReplayOf != nil || len(got.RequestHeaders) != 1 {
		t.Errorf("ExecutionGet = body %q truncated %v trace %+v response %q replay_of %v headers %v",
			got.RequestBody, got.RequestTruncated, got.Trace, got.ResponseBody, got.ReplayOf, got.RequestHeaders)
	}
	l, err := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID})
	if err != nil || len(l) != 1 {
		t.Fatalf("ExecutionList = %v, %v", l, err)
	}
	if l[0].RequestBody != nil || l[0].ResponseBody != nil {
		t.Errorf("a list carries bodies: request %q response %q", l[0].RequestBody, l[0].ResponseBody)
	}
	if !reflect.DeepEqual(l[0].Trace, trace) || !l[0].RequestTruncated {
		t.Errorf("a list's trace = %+v, truncated %v", l[0].Trace, l[0].RequestTruncated)
	}

	// An untraced attempt reads no trace, and no body.
	NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Minute))
	c2 := claimOne(t, s, "n1", T0.Add(time.Minute))
	complete(t, s, "n1", c2, prikke.ExecutionStatusSuccess, nil)
	if g, _ := s.ExecutionGet(ctx, c2.Execution.ID); g.Trace != nil || g.RequestBody != nil || g.RequestTruncated {
		t.Errorf("untraced attempt = trace %+v body %q truncated %v", g.Trace, g.RequestBody, g.RequestTruncated)
	}
}

// replayOf returns a pending replay of orig, sending req's request, due at.
func replayOf(orig *prikke.Execution, at time.Time, prio int) *prikke.Execution {
	id := orig.ID
	return &prikke.Execution{ID: prikke.NewID(), JobID: orig.JobID, ProjectID: orig.ProjectID, OrganizationID: orig.OrganizationID,
		ScheduledFor: at, Priority: prio, CreatedAt: at, ReplayOf: &id,
		RequestMethod: "PUT", RequestURL: "https://example.com/replayed",
		RequestHeaders: []prikke.Header{{Name: "Content-Type", Value: "application/json"}},
		RequestBody:    []byte(`{"edited":true}`)}
}

// A replay is inserted pending and manual with its request; the original
// is untouched; the claim returns the request to send, and a retry the
// worker builds keeps it.
func testInspectReplay(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionReplay")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	a.Project.Redact = &prikke.Redaction{Headers: []string{"Authorization"}}
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	j := NewJob(t, s, a, Once(T0))
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	c := claimOne(t, s, "n1", T0)
	complete(t, s, "n1", c, prikke.ExecutionStatusFailed, func(cp *store.Completion) {
		cp.RequestMethod, cp.RequestURL, cp.RequestBody = "POST", "https://example.com/hook", []byte(`{"hello":"world"}`)
		cp.ResponseStatus, cp.ResponseBody, cp.Error = 500, []byte("boom"), "HTTP 500"
	})
	before, err := s.ExecutionGet(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}

	at := T0.Add(time.Hour)
	sub := s.Subscribe(store.TopicWork)
	defer sub.Close()
	r1, r2 := replayOf(before, at, 0), replayOf(before, at.Add(time.Millisecond), 3)
	r2.RequestBody = nil // a replay of a request without a body
	if err := s.ExecutionReplay(ctx, []*prikke.Execution{r1, r2}); err != nil {
		t.Fatal(err)
	}
	for ev := waitEvent(t, sub); ev.Topic != store.TopicWork; ev = waitEvent(t, sub) {
	}
	after, _ := s.ExecutionGet(ctx, e.ID)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the original changed:\n%+v\n%+v", before, after)
	}
	g, err := s.ExecutionGet(ctx, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Status != prikke.ExecutionStatusPending || !g.Manual || g.Attempt != 1 || g.ReplayOf == nil || *g.ReplayOf != e.ID ||
		!g.DueAt.Equal(at) || !g.ScheduledFor.Equal(at) || g.Priority != 0 || g.RequestMethod != "PUT" ||
		g.RequestURL != "https://example.com/replayed" || string(g.RequestBody) != `{"edited":true}` ||
		!reflect.DeepEqual(g.RequestHeaders, r1.RequestHeaders) {
		t.Errorf("replay = %+v", g)
	}
	if g2, _ := s.ExecutionGet(ctx, r2.ID); g2.Priority != 3 || g2.RequestBody != nil || g2.ReplayOf == nil {
		t.Errorf("second replay = %+v", g2)
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusPending}}); len(l) != 2 ||
		l[0].ReplayOf == nil || l[1].ReplayOf == nil {
		t.Errorf("pending list = %+v", l)
	}
	// The replays of the original, by ReplayOf: both, and not the original.
	if l, err := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, ReplayOf: &e.ID}); err != nil || len(l) != 2 ||
		l[0].ID == e.ID || l[1].ID == e.ID {
		t.Errorf("replays of %s = %+v, %v; want the two replays", e.ID, l, err)
	}
	if l, err := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID, ReplayOf: &r1.ID}); err != nil || len(l) != 0 {
		t.Errorf("replays of a replay nobody replayed = %+v, %v; want none", l, err)
	}
	// The same instant again: a conflict, and nothing of the batch.
	again := replayOf(before, at, 0)
	Errcode(t, s.ExecutionReplay(ctx, []*prikke.Execution{replayOf(before, at.Add(time.Minute), 0), again}), prikke.ECONFLICT)
	if _, err := s.ExecutionGet(ctx, again.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("a conflicting replay was kept: %v", err)
	}

	// The claim returns the request to send, and the redaction.
	c1 := claimOne(t, s, "n1", at)
	if c1.Execution.ID != r1.ID || c1.Execution.ReplayOf == nil || *c1.Execution.ReplayOf != e.ID ||
		c1.Execution.RequestMethod != "PUT" || c1.Execution.RequestURL != "https://example.com/replayed" ||
		string(c1.Execution.RequestBody) != `{"edited":true}` || !reflect.DeepEqual(c1.Execution.RequestHeaders, r1.RequestHeaders) {
		t.Errorf("claimed replay = %+v", c1.Execution)
	}
	if c1.Redact == nil || !slices.Equal(c1.Redact.Headers, []string{"Authorization"}) {
		t.Errorf("claimed replay's redact = %+v", c1.Redact)
	}
	// A retry the worker builds keeps the request and the link.
	retryAt := at.Add(10 * time.Second)
	complete(t, s, "n1", c1, prikke.ExecutionStatusFailed, func(cp *store.Completion) {
		x := c1.Execution
		cp.RequestMethod, cp.RequestURL, cp.RequestHeaders, cp.RequestBody = x.RequestMethod, x.RequestURL, x.RequestHeaders, x.RequestBody
		cp.Health = store.HealthNone
		cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: x.ScheduledFor, DueAt: retryAt, Attempt: 2, Status: prikke.ExecutionStatusPending, Priority: x.Priority,
			Manual: true, CreatedAt: at, ReplayOf: x.ReplayOf,
			RequestMethod: x.RequestMethod, RequestURL: x.RequestURL, RequestHeaders: x.RequestHeaders, RequestBody: x.RequestBody}
	})
	if g, _ := s.ExecutionGet(ctx, r1.ID); g.Status != prikke.ExecutionStatusFailed || string(g.RequestBody) != `{"edited":true}` {
		t.Errorf("completed replay = %+v", g)
	}
	c2 := claimOne(t, s, "n1", retryAt)
	if c2.Execution.ID != r1.ID && c2.Execution.ID == r2.ID {
		c2 = claimOne(t, s, "n1", retryAt) // r2 (due a millisecond after r1) first
	}
	if c2.Execution.Attempt != 2 || c2.Execution.ReplayOf == nil || *c2.Execution.ReplayOf != e.ID ||
		c2.Execution.RequestMethod != "PUT" || string(c2.Execution.RequestBody) != `{"edited":true}` ||
		!reflect.DeepEqual(c2.Execution.RequestHeaders, r1.RequestHeaders) {
		t.Errorf("claimed retry of the replay = %+v", c2.Execution)
	}
	if after, _ := s.ExecutionGet(ctx, e.ID); !reflect.DeepEqual(before, after) {
		t.Errorf("the original changed after its replays ran:\n%+v\n%+v", before, after)
	}
}

// A replay of a deleted job is ENOTFOUND.
func testInspectReplayGone(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	if err := s.JobDelete(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	Errcode(t, s.ExecutionReplay(ctx, []*prikke.Execution{replayOf(e, T0.Add(time.Hour), 0)}), prikke.ENOTFOUND)
	if err := s.ExecutionReplay(ctx, nil); err != nil {
		t.Errorf("replaying nothing = %v", err)
	}
}

// A replay lost with its node is delivered again with its request.
func testInspectRescueReplay(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, Once(T0))
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	complete(t, s, "n1", claimOne(t, s, "n1", T0), prikke.ExecutionStatusFailed, nil)
	r := replayOf(e, T0.Add(time.Hour), 0)
	if err := s.ExecutionReplay(ctx, []*prikke.Execution{r}); err != nil {
		t.Fatal(err)
	}
	claimOne(t, s, "n1", r.ScheduledFor)
	later := r.ScheduledFor.Add(time.Hour)
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: later, Limit: 10}); err != nil || n != 1 {
		t.Fatalf("rescue = %d, %v", n, err)
	}
	lost, _ := s.ExecutionGet(ctx, r.ID)
	if lost.Status != prikke.ExecutionStatusFailed || lost.RequestMethod != "PUT" || string(lost.RequestBody) != `{"edited":true}` {
		t.Errorf("the lost replay's record = %+v", lost)
	}
	c := claimOne(t, s, "n2", later)
	if c.Execution.Attempt != 2 || !c.Execution.Rescued || c.Execution.ReplayOf == nil || *c.Execution.ReplayOf != e.ID ||
		c.Execution.RequestURL != "https://example.com/replayed" || string(c.Execution.RequestBody) != `{"edited":true}` {
		t.Errorf("rescued replay's next attempt = %+v", c.Execution)
	}
}

// The search narrows a job's history by status code, class, duration and
// the bytes of the response body.
func testInspectSearch(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	other := NewJob(t, s, b, nil)
	type result struct {
		code int
		ms   int
		body string
	}
	results := []result{
		{200, 5, `{"ok":true}`},
		{201, 50, "100% done"},
		{204, 500, ""},
		{301, 10, "moved"},
		{404, 20, "not_found: a_b"},
		{500, 3000, "internal error: 100%"},
		{503, 40, "Unavailable"},
		{0, 30000, ""}, // a timeout: no response
	}
	ids := map[string]prikke.ID{}
	for i, r := range results {
		at := T0.Add(time.Duration(i) * time.Minute)
		NewExecution(t, s, j, prikke.TierPro, at)
		NewExecution(t, s, other, prikke.TierPro, at)
		for range 2 {
			c := claimOne(t, s, "n1", at)
			complete(t, s, "n1", c, prikke.ExecutionStatusSuccess, func(cp *store.Completion) {
				cp.ResponseStatus, cp.DurationMS = r.code, r.ms
				if r.body != "" {
					cp.ResponseBody = []byte(r.body)
				}
			})
			if c.Job.ID == j.ID {
				ids[string(rune('a'+i))] = c.Execution.ID
			}
		}
	}
	for _, tc := range []struct {
		name string
		f    store.ExecutionFilter
		want string // the results, as letters in order of results
	}{
		{"all", store.ExecutionFilter{}, "abcdefgh"},
		{"codes", store.ExecutionFilter{StatusCodes: []int{404, 503, 200, 404}}, "aeg"},
		{"no response", store.ExecutionFilter{StatusCodes: []int{0}}, "h"},
		{"2xx", store.ExecutionFilter{StatusClass: 2}, "abc"},
		{"3xx", store.ExecutionFilter{StatusClass: 3}, "d"},
		{"5xx", store.ExecutionFilter{StatusClass: 5}, "fg"},
		{"class and codes", store.ExecutionFilter{StatusClass: 5, StatusCodes: []int{200, 503}}, "g"},
		{"at least 40ms", store.ExecutionFilter{MinDurationMS: 40}, "bcfgh"},
		{"at most 40ms", store.ExecutionFilter{MaxDurationMS: 40}, "adeg"},
		{"between", store.ExecutionFilter{MinDurationMS: 20, MaxDurationMS: 500}, "bceg"},
		{"body", store.ExecutionFilter{BodyContains: "done"}, "b"},
		{"percent is literal", store.ExecutionFilter{BodyContains: "100%"}, "bf"},
		{"percent alone", store.ExecutionFilter{BodyContains: "%"}, "bf"},
		{"underscore is literal", store.ExecutionFilter{BodyContains: "_"}, "e"},
		{"underscore between", store.ExecutionFilter{BodyContains: "a_b"}, "e"},
		{"no wildcard match", store.ExecutionFilter{BodyContains: "a%b"}, ""},
		{"case-sensitive", store.ExecutionFilter{BodyContains: "unavailable"}, ""},
		{"exact case", store.ExecutionFilter{BodyContains: "Unavailable"}, "g"},
		{"quote", store.ExecutionFilter{BodyContains: `"ok"`}, "a"},
		{"body and class", store.ExecutionFilter{BodyContains: "100%", StatusClass: 2}, "b"},
		{"window", store.ExecutionFilter{StatusClass: 2, Since: T0.Add(time.Minute), Until: T0.Add(2 * time.Minute)}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.JobID = &j.ID
			l, err := s.ExecutionList(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			for _, e := range slices.Backward(l) {
				for k, id := range ids {
					if id == e.ID {
						got = append(got, k[0])
					}
				}
				if e.JobID != j.ID {
					t.Errorf("another job's execution %s listed", e.ID)
				}
			}
			if string(got) != tc.want {
				t.Errorf("list = %q, want %q", got, tc.want)
			}
			stats, err := s.ExecutionStats(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if stats[prikke.ExecutionStatusSuccess] != len(tc.want) {
				t.Errorf("stats = %v, want %d", stats, len(tc.want))
			}
		})
	}
	// The project and organization scopes hold the search too.
	l, err := s.ExecutionList(ctx, store.ExecutionFilter{ProjectID: &a.Project.ID, BodyContains: "100%"})
	if err != nil || len(l) != 2 {
		t.Errorf("project search = %d, %v", len(l), err)
	}
	l, err = s.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &b.Org.ID, StatusClass: 4})
	if err != nil || len(l) != 1 || l[0].JobID != other.ID {
		t.Errorf("organization search = %v, %v", l, err)
	}
}
