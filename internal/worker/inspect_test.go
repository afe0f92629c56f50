package worker_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// recordingSink is a sink that keeps every request's headers.
func recordingSink(t *testing.T, secret string) *sink.Sink {
	t.Helper()
	sk, err := sink.Start(sink.Options{Secrets: []string{secret}, RecordHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	return sk
}

// finished waits for the job's executions to number n, the newest
// terminal, and returns them (newest first).
func finished(t *testing.T, s store.Store, j *prikke.Job, n int) []*prikke.Execution {
	t.Helper()
	waitFor(t, "the job's attempts", func() bool {
		es := executions(t, s, j)
		return len(es) == n && es[0].Status.Terminal()
	})
	return executions(t, s, j)
}

// A job whose response assertion fails is failed with the reason, and
// retried like any failure; one whose assertions hold succeeds.
func TestJobExpect(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		due := dbNow(t, s).Add(300 * time.Millisecond)
		failing := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts, j.Expect = sk.URL("/ok"), 1, &prikke.Expect{BodyContains: "ready"}
		})
		passing := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts = sk.URL("/echo"), 1
			j.Expect = &prikke.Expect{Status: []string{"200-204"}, JSONPath: "method", Equals: json.RawMessage(`"POST"`), BodyNotContains: "error"}
		})
		es := finished(t, s, failing, 2)
		for i, e := range es {
			if e.Status != prikke.ExecutionStatusFailed || e.ResponseStatus != 200 || e.Error != `expect: body does not contain "ready"` || e.Attempt != 2-i {
				t.Errorf("failing attempt %d: %s %d %q", e.Attempt, e.Status, e.ResponseStatus, e.Error)
			}
		}
		waitFor(t, "the failing job's health", func() bool {
			j, _ := s.JobGet(context.Background(), failing.ID)
			return j.Health == prikke.JobFailing
		})
		es = finished(t, s, passing, 1)
		if es[0].Status != prikke.ExecutionStatusSuccess || es[0].Error != "" {
			t.Errorf("passing: %s %q", es[0].Status, es[0].Error)
		}
	})
}

// A job's templates are rendered per attempt, in its time zone: the
// receiver gets the rendered URL, header and body, and the execution
// records the URL sent. A template that does not render fails the
// attempt unsent, with the reason.
func TestJobTemplates(t *testing.T) {
	t.Parallel()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err) // the zone database is embedded (internal/cron)
	}
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := recordingSink(t, tn.Project.SigningSecret)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		due := dbNow(t, s).Add(300 * time.Millisecond).Truncate(time.Millisecond)
		j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.Name, j.TimeZone = "daily export", "Europe/Amsterdam"
			j.URL = sk.URL("/echo?day={{ scheduled_for | previous_day | date }}&name={{ job.name | url }}")
			j.Headers = []prikke.Header{{Name: "X-Run", Value: "{{ execution_id }}/{{ attempt }}"}}
			j.Body = `{"at":"{{ scheduled_for }}","job":"{{ job.id }}","literal":"{{{{ kept }}"}`
		})
		// Saved before templates (a save refuses an unknown name now): its
		// "{{" is literal text, sent as it always was.
		legacy := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts, j.Body = sk.URL("/ok?legacy"), 3, `{"x":"{{ payload.x }}"}`
		})
		// A valid template whose URL renders as no URL (the job's name).
		broken := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts = "{{ job.name }}", 3
		})
		e := finished(t, s, j, 1)[0]
		var got *sink.Received
		for _, r := range sk.Requests() {
			if r.JobID == j.ID.String() {
				got = &r
			}
		}
		if got == nil {
			t.Fatal("the templated job's request did not arrive")
		}
		day := e.ScheduledFor.In(ams).AddDate(0, 0, -1).Format(time.DateOnly)
		if want := "day=" + day + "&name=daily%20export"; got.Query != want {
			t.Errorf("query = %q, want %q", got.Query, want)
		}
		if h := got.Header.Get("X-Run"); h != e.ID.String()+"/1" {
			t.Errorf("X-Run = %q", h)
		}
		if want := `{"at":"` + prikke.FormatInstant(e.ScheduledFor) + `","job":"` + j.ID.String() + `","literal":"{{ kept }}"}`; string(got.Body) != want {
			t.Errorf("body = %s\nwant   %s", got.Body, want)
		}
		if !strings.HasSuffix(e.RequestURL, "/echo?day="+day+"&name=daily%20export") || e.Status != prikke.ExecutionStatusSuccess {
			t.Errorf("recorded %s %s", e.Status, e.RequestURL)
		}
		if l := finished(t, s, legacy, 1)[0]; l.Status != prikke.ExecutionStatusSuccess {
			t.Errorf("a job saved before templates: %s %q; want it sent literally", l.Status, l.Error)
		}
		var legacyBody string
		for _, r := range sk.Requests() {
			if r.JobID == legacy.ID.String() {
				legacyBody = string(r.Body)
			}
		}
		if legacyBody != legacy.Body {
			t.Errorf("a job saved before templates sent %q, want its body as saved %q", legacyBody, legacy.Body)
		}
		b := finished(t, s, broken, 1)[0]
		if b.Status != prikke.ExecutionStatusFailed || !strings.Contains(b.Error, "url") || !strings.Contains(b.Error, "rendered") {
			t.Errorf("broken template: %s %q", b.Status, b.Error)
		}
		for _, r := range sk.Requests() {
			if r.JobID == broken.ID.String() {
				t.Errorf("a job whose template does not render was sent")
			}
		}
	})
}

// The project's redaction reaches the store: Authorization in the
// request and a JSON field of the response are stored redacted, while
// the receiver got the real values.
func TestRedactionStored(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		tn.Project.Redact = &prikke.Redaction{Headers: []string{"Authorization", "X-Api-Key"},
			JSONPaths: []string{"header.X-Api-Key", "password"}}
		if err := s.ProjectUpdate(ctx, tn.Project); err != nil {
			t.Fatal(err)
		}
		sk := recordingSink(t, tn.Project.SigningSecret)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.RecordBody = true })
		due := dbNow(t, s).Add(300 * time.Millisecond)
		j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL = sk.URL("/echo")
			j.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer real-token"}, {Name: "X-Api-Key", Value: "key-123"}, {Name: "X-Plain", Value: "plain"}}
			j.Body = `{"user":"lin","password":"hunter2"}`
		})
		e := mustGet(t, s, finished(t, s, j, 1)[0].ID)
		var got *sink.Received
		for _, r := range sk.Requests() {
			if r.JobID == j.ID.String() {
				got = &r
			}
		}
		if got == nil || got.Header.Get("Authorization") != "Bearer real-token" || got.Header.Get("X-Api-Key") != "key-123" || !strings.Contains(string(got.Body), "hunter2") {
			t.Fatalf("the receiver must get the real values: %+v", got)
		}
		if v := headerOf(e.RequestHeaders, "Authorization"); v != prikke.Redacted {
			t.Errorf("stored Authorization = %q", v)
		}
		if v := headerOf(e.RequestHeaders, "X-Plain"); v != "plain" {
			t.Errorf("stored X-Plain = %q", v)
		}
		if string(e.RequestBody) != `{"user":"lin","password":"[redacted]"}` {
			t.Errorf("stored request body = %s", e.RequestBody)
		}
		// The echo holds the request's headers and body: the header by
		// its JSON path; the body is a string there, so it is whole.
		var echo struct {
			Header map[string]any `json:"header"`
			Body   string         `json:"body"`
		}
		if err := json.Unmarshal(e.ResponseBody, &echo); err != nil {
			t.Fatalf("stored response %s: %v", e.ResponseBody, err)
		}
		if echo.Header["X-Api-Key"] != prikke.Redacted {
			t.Errorf("stored response's header.X-Api-Key = %v", echo.Header["X-Api-Key"])
		}
		if strings.Contains(string(e.ResponseBody), "key-123") {
			t.Errorf("the stored response holds the API key: %s", e.ResponseBody)
		}
	})
}

func headerOf(hs []prikke.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// A replay sends its own request (method, URL, headers, body), with
// Prikke's headers made afresh and a redacted value taken from the job;
// the original execution is untouched.
func TestReplaySendsItsRequest(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := recordingSink(t, tn.Project.SigningSecret)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		due := dbNow(t, s).Add(300 * time.Millisecond)
		j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL = sk.URL("/ok?original")
			j.Headers = []prikke.Header{{Name: "Authorization", Value: "Bearer real"}}
		})
		orig := mustGet(t, s, finished(t, s, j, 1)[0].ID)
		at := dbNow(t, s)
		rp := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending, Manual: true, ReplayOf: &orig.ID,
			RequestMethod: "PUT", RequestURL: sk.URL("/ok?replayed"),
			RequestHeaders: append(append([]prikke.Header(nil), orig.RequestHeaders...), prikke.Header{Name: "X-Edit", Value: "yes"}),
			RequestBody:    []byte(`{"edited":true}`), FlowKey: orig.FlowKey, CreatedAt: at}
		if err := s.ExecutionReplay(ctx, []*prikke.Execution{rp}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the replay", func() bool { return mustGet(t, s, rp.ID).Status.Terminal() })
		var got *sink.Received
		for _, r := range sk.Requests() {
			if r.ExecutionID == rp.ID.String() {
				got = &r
			}
		}
		if got == nil {
			t.Fatal("the replay did not arrive")
		}
		if got.Method != "PUT" || got.Query != "replayed" || string(got.Body) != `{"edited":true}` ||
			got.Header.Get("X-Edit") != "yes" || got.Header.Get("Authorization") != "Bearer real" || !got.SignatureValid {
			t.Errorf("replay sent %s ?%s %s X-Edit %q Authorization %q signature %v", got.Method, got.Query, got.Body,
				got.Header.Get("X-Edit"), got.Header.Get("Authorization"), got.SignatureValid)
		}
		if n := len(got.Header.Values("Webhook-Signature")); n != 1 {
			t.Errorf("%d signature headers", n)
		}
		after := mustGet(t, s, orig.ID)
		if after.Status != orig.Status || after.RequestURL != orig.RequestURL || after.ReplayOf != nil {
			t.Errorf("the original changed: %+v", after)
		}
		r := mustGet(t, s, rp.ID)
		if r.ReplayOf == nil || *r.ReplayOf != orig.ID || r.RequestMethod != "PUT" || !strings.HasSuffix(r.RequestURL, "?replayed") ||
			headerOf(r.RequestHeaders, "Authorization") != prikke.Redacted {
			t.Errorf("the replay's record: %+v", r)
		}
	})
}

// The request body and the trace are recorded when the Config says so,
// and not otherwise.
func TestTraceAndBodyRecorded(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{true, false} {
		storetest.Dialects(t, func(t *testing.T, s store.Store) {
			tn := storetest.NewTenant(t, s, prikke.TierPro)
			sk := sink.New(tn.Project.SigningSecret)
			t.Cleanup(sk.Close)
			startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.Trace, c.RecordBody = on, on })
			due := dbNow(t, s).Add(300 * time.Millisecond)
			j := storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/ok") })
			e := mustGet(t, s, finished(t, s, j, 1)[0].ID)
			if !on {
				if e.Trace != nil || len(e.RequestBody) != 0 {
					t.Errorf("off: trace %+v body %q", e.Trace, e.RequestBody)
				}
				return
			}
			if string(e.RequestBody) != j.Body || e.RequestTruncated {
				t.Errorf("body = %q (truncated %v), want %q", e.RequestBody, e.RequestTruncated, j.Body)
			}
			if e.Trace == nil || e.Trace.RemoteAddr != sk.Addr().String() {
				t.Errorf("trace = %+v", e.Trace)
			}
		})
	}
}
