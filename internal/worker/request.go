// A job attempt's request (not a workflow step's, which fill renders):
// the job's own with its templates rendered (internal/jobrequest), or a
// replay's; and the project's redaction of what is recorded.

package worker

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/jobrequest"
	"github.com/prikke/prikke/internal/redact"
	"github.com/prikke/prikke/internal/store"
)

// request is what one attempt sends.
type request struct {
	method  string
	url     string
	headers []prikke.Header
	body    string
}

// jobRequest is the request of an attempt of a job (not a step): a
// replay's own (ReplayOf set with a request recorded: sent as it is, no
// templates rendered), or the job's with its templates rendered in the
// job's time zone (jobrequest.Send). fail is why the attempt cannot be sent (a template
// that does not render, or renders an invalid URL).
func (w *Worker) jobRequest(c *store.Claimed) (r request, fail string) {
	e, j := c.Execution, c.Job
	if e.ReplayOf != nil && e.RequestMethod != "" {
		return request{method: e.RequestMethod, url: e.RequestURL, headers: replayHeaders(e.RequestHeaders, j.Headers),
			body: string(e.RequestBody)}, ""
	}
	r = request{method: j.Method, url: j.URL, headers: j.Headers, body: j.Body}
	if !jobrequest.Templated(j) {
		return r, "" // most jobs: no zone look-up, no render
	}
	var err error
	if r.url, r.headers, r.body, err = jobrequest.Send(j, e, w.zones.get(j.TimeZone)); err != nil {
		return r, err.Error()
	}
	return r, ""
}

// replayHeaders are the headers a replay sends: its recorded ones, less
// Prikke's own (the delivery client makes those afresh: a new signature,
// timestamp and attempt), with a value recorded as prikke.Redacted taken
// from the job's header of that name as it stands now — or the header
// left out when the job has none: the placeholder is never sent.
func replayHeaders(recorded, job []prikke.Header) []prikke.Header {
	out := make([]prikke.Header, 0, len(recorded))
	for _, h := range recorded {
		if prikke.ReservedHeader(h.Name) {
			continue
		}
		if h.Value == prikke.Redacted {
			v, ok := prikke.HeaderValue(job, h.Name)
			if !ok {
				continue
			}
			h.Value = v
		}
		out = append(out, h)
	}
	return out
}

// failedJob is the completion of a job attempt that was not sent: its
// request could not be made (a template error). Final: a retry would
// render the same; it counts against the job's health like any failure.
func failedJob(c *store.Claimed, at time.Time, why string) *store.Completion {
	e, j := c.Execution, c.Job
	cp := &store.Completion{
		ExecutionID: e.ID, JobID: j.ID, OrganizationID: e.OrganizationID, Attempt: e.Attempt,
		Status: prikke.ExecutionStatusFailed, StartedAt: at, FinishedAt: at,
		RequestMethod: j.Method, RequestURL: j.URL, Error: why, Health: store.HealthFailure,
	}
	if cp.RequestMethod == "" {
		cp.RequestMethod = "GET"
	}
	return cp
}

// redactCompletion applies the project's redaction (nil: the defaults) to
// what an attempt records: the request's headers and body, and the
// response's headers and body. A body whose unparseable tail the
// redaction dropped is marked truncated.
//
// A workflow step's response is not redacted: the store keeps it as the
// step's output, which later steps' templates read (a login step's token,
// its Set-Cookie), and redacting it would send "[redacted]" on. Its
// request is (the secrets it sent are scrubbed by fill already).
//
// A failed assertion on a redacted JSON path does not quote the value it
// saw (e is the job's or the step's Expect, nil when none).
func redactCompletion(cp *store.Completion, r *prikke.Redaction, e *prikke.Expect) {
	x := redact.New(r)
	var cut bool
	if e != nil && e.JSONPath != "" && x.Covers(e.JSONPath) {
		if p := "expect: json_path " + e.JSONPath + " is "; strings.HasPrefix(cp.Error, p) && !strings.HasSuffix(cp.Error, "is missing from the response") {
			cp.Error = "expect: json_path " + e.JSONPath + " does not hold (its value is redacted)"
		}
	}
	echoes := redactedValues(x, cp.RequestHeaders, x.Values(cp.RequestBody))
	cp.RequestHeaders = x.Headers(cp.RequestHeaders)
	if cp.RequestBody, cut = x.Body(cp.RequestBody); cut {
		cp.RequestTruncated = true
	}
	cp.Error = echoes.scrub(cp.Error)
	if cp.Step != nil {
		return
	}
	cp.ResponseHeaders = x.Headers(cp.ResponseHeaders)
	if cp.ResponseBody, cut = x.Body(cp.ResponseBody); cut {
		cp.ResponseTruncated = true
	}
	// An endpoint that echoes the request (httpbin's /anything, a
	// debugging endpoint) would store the redacted values again. (The
	// response's headers are this attempt's own: changed in place.)
	for i := range cp.ResponseHeaders {
		cp.ResponseHeaders[i].Value = echoes.scrub(cp.ResponseHeaders[i].Value)
	}
	cp.ResponseBody = echoes.scrubBytes(cp.ResponseBody)
}

// minEchoed is the shortest redacted header value scrubbed from echoes:
// shorter ones would blank out ordinary text.
const minEchoed = 8

// echoed are redacted values an endpoint may echo back, longest first.
// Scrubbing looks for each before it copies anything: most responses hold
// none, and then cost no allocation.
type echoed []string

func (e echoed) scrub(s string) string {
	for _, v := range e {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, prikke.Redacted)
		}
	}
	return s
}

func (e echoed) scrubBytes(b []byte) []byte {
	for _, v := range e {
		if bytes.Contains(b, []byte(v)) {
			b = bytes.ReplaceAll(b, []byte(v), []byte(prikke.Redacted))
		}
	}
	return b
}

// redactedValues are the values of hs's redacted headers (a Bearer token
// also without its scheme) and bodyValues (the request body's redacted
// JSON values), at least minEchoed bytes, longest first.
func redactedValues(x *redact.Redactor, hs []prikke.Header, bodyValues []string) echoed {
	vals := bodyValues // the request body's redacted values, echoed as sent
	for _, h := range x.Redacted(hs) {
		vals = append(vals, h)
		if _, tok, ok := strings.Cut(h, " "); ok {
			vals = append(vals, strings.TrimSpace(tok))
		}
	}
	vals = slices.DeleteFunc(vals, func(v string) bool { return len(v) < minEchoed || strings.Contains(prikke.Redacted, v) })
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	return vals
}

// zones caches time zones by name for the date filters of job templates
// (time.LoadLocation reads the zone database each call). Unknown or empty
// names are UTC (the scheduler validated the job's zone).
type zones struct {
	mu sync.Mutex
	m  map[string]*time.Location
}

func (z *zones) get(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.m[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	if z.m == nil || len(z.m) > 1000 {
		z.m = map[string]*time.Location{}
	}
	z.m[name] = loc
	return loc
}

// expectOf is the assertions an attempt of j was judged by: its step's,
// or its own.
func expectOf(j *prikke.Job) *prikke.Expect {
	if j.Step != nil {
		return j.Step.Expect
	}
	return j.Expect
}
