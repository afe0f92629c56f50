package api

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Execution is one delivery attempt as the API returns it.
type Execution struct {
	ID           string             `json:"id" doc:"The execution's id."`
	JobID        string             `json:"job_id" doc:"The job it is an attempt of."`
	ProjectID    string             `json:"project_id" doc:"The job's project."`
	WebhookID    string             `json:"webhook_id" doc:"The webhook-id header: the same for every attempt of one occurrence." example:"msg_2pJq9Xv3bN7Yk1Tz"`
	ScheduledFor time.Time          `json:"scheduled_for" doc:"The occurrence this attempt belongs to."`
	DueAt        time.Time          `json:"due_at" doc:"When this attempt was due."`
	Attempt      int                `json:"attempt" doc:"1 for the first attempt of an occurrence, 2 for the first retry, and so on." example:"1"`
	Status       string             `json:"status" enum:"pending,running,success,failed,timeout,missed,skipped,quota_exceeded" doc:"pending and running while in flight; success (2xx), failed or timeout when delivered; missed, skipped or quota_exceeded when deliberately not run." example:"success"`
	Rescued      bool               `json:"rescued" doc:"Delivered again because the node of the previous attempt was lost."`
	Manual       bool               `json:"manual" doc:"Triggered by hand rather than by the schedule (run now, or a replay)."`
	ReplayOf     string             `json:"replay_of,omitempty" doc:"The execution this one sent again (POST /executions/{execution_id}/replay, or a job's replay-failed); absent for any other."`
	MissedCount  int                `json:"missed_count" doc:"Occurrences missed during downtime that this row accounts for."`
	ClaimedAt    *time.Time         `json:"claimed_at,omitempty" doc:"When a worker took the attempt from the queue; absent until then." example:"2026-11-24T08:00:00.002Z"`
	StartedAt    *time.Time         `json:"started_at,omitempty" doc:"When the request was sent; absent until then." example:"2026-11-24T08:00:00.003Z"`
	LatenessMS   int64              `json:"lateness_ms" doc:"How late the attempt started against due_at (started_at - due_at), in milliseconds; 0 before it started." example:"3"`
	FinishedAt   *time.Time         `json:"finished_at,omitempty" doc:"When the attempt ended; absent until then." example:"2026-11-24T08:00:00.184Z"`
	DurationMS   int                `json:"duration_ms" doc:"How long the request took, in milliseconds." example:"184"`
	Error        string             `json:"error,omitempty" doc:"Why the attempt failed: without a response (connection, TLS, timeout, refused address), or the response assertion that did not hold (expect: ...)."`
	Trace        *ExecutionTrace    `json:"trace,omitempty" doc:"Where the attempt's time went (GET /executions/{id} only); absent before it ran, or when tracing is off."`
	Request      *ExecutionRequest  `json:"request,omitempty" doc:"What was sent; absent before the attempt."`
	Response     *ExecutionResponse `json:"response,omitempty" doc:"What came back; absent without a response."`
	FlowKey      string             `json:"flow_key,omitempty" doc:"The flow key the attempt went by (see Flow control); absent for attempts made before flow control." example:"api.example.com:443"`
	ThrottledMS  int64              `json:"throttled_ms" doc:"How long flow control held the attempt back past its due time (its key's rate or parallelism, a pause or an endpoint's hold), in milliseconds." example:"0"`
	CreatedAt    time.Time          `json:"created_at" doc:"When the attempt was written to the queue."`
}

// ExecutionRequest is what was sent.
type ExecutionRequest struct {
	Method       string            `json:"method" doc:"The HTTP method." example:"POST"`
	URL          string            `json:"url" doc:"The URL called, templates rendered." example:"https://example.com/hooks/report"`
	Headers      map[string]string `json:"headers,omitempty" doc:"The headers sent, Prikke's included (GET /executions/{id} only). Values of the project's redacted headers (Authorization and Cookie by default) read [redacted]." example:"{\"webhook-id\":\"msg_2pJq9Xv3bN7Yk1Tz\",\"Content-Type\":\"application/json\"}"`
	Body         string            `json:"body,omitempty" doc:"The body sent, its first 64 KiB, after redaction (GET /executions/{id} only); absent when none was sent or recorded." example:"{\"report\":\"daily\"}"`
	BodyEncoding string            `json:"body_encoding,omitempty" enum:"base64," doc:"base64 when the body is not UTF-8 text."`
	Truncated    bool              `json:"truncated" doc:"The body was longer than the 64 KiB stored."`
}

// ExecutionTrace is where an attempt's time went, in microseconds.
type ExecutionTrace struct {
	DNSUS      int64  `json:"dns_us" doc:"Name lookup; 0 for an IP address or a reused connection." example:"1200"`
	ConnectUS  int64  `json:"connect_us" doc:"TCP connect; 0 for a reused connection." example:"3400"`
	TLSUS      int64  `json:"tls_us" doc:"TLS handshake; 0 for http or a reused connection." example:"8100"`
	SendUS     int64  `json:"send_us" doc:"Writing the request, headers and body." example:"90"`
	WaitUS     int64  `json:"wait_us" doc:"From the request written to the response's first byte (the server's think time)." example:"152000"`
	BodyUS     int64  `json:"body_us" doc:"Reading the response body (as much as is kept)." example:"400"`
	RemoteAddr string `json:"remote_addr,omitempty" doc:"The address actually dialled, ip:port; absent when no connection was made." example:"93.184.215.14:443"`
	TLSVersion string `json:"tls_version,omitempty" doc:"TLS 1.2 or TLS 1.3; absent for http." example:"TLS 1.3"`
	Reused     bool   `json:"reused" doc:"The connection was kept alive from an earlier request."`
}

// bodyOut returns a stored body as text, or base64 when it is not UTF-8
// text.
func bodyOut(b []byte) (body, encoding string) {
	if utf8.Valid(b) && !strings.ContainsRune(string(b), 0) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// ExecutionResponse is what came back (the first 64 KiB of the body).
type ExecutionResponse struct {
	Status       int               `json:"status" doc:"The HTTP status." example:"200"`
	Headers      map[string]string `json:"headers,omitempty" doc:"The response's headers (GET /executions/{id} only)." example:"{\"Content-Type\":\"application/json\"}"`
	Body         string            `json:"body" doc:"The first 64 KiB of the body (GET /executions/{id} only)." example:"{\"ok\":true}"`
	BodyEncoding string            `json:"body_encoding,omitempty" enum:"base64," doc:"base64 when the body is not UTF-8 text."`
	Truncated    bool              `json:"truncated" doc:"The body was longer than the 64 KiB stored."`
}

func executionOut(e *prikke.Execution, full bool) *Execution {
	out := &Execution{ID: e.ID.String(), JobID: e.JobID.String(), ProjectID: e.ProjectID.String(),
		WebhookID: prikke.WebhookID(e.JobID, e.ScheduledFor), ScheduledFor: e.ScheduledFor, DueAt: e.DueAt,
		Attempt: e.Attempt, Status: string(e.Status), Rescued: e.Rescued, Manual: e.Manual, MissedCount: e.MissedCount,
		StartedAt: e.StartedAt, FinishedAt: e.FinishedAt, DurationMS: e.DurationMS, Error: e.Error, CreatedAt: e.CreatedAt,
		FlowKey: e.FlowKey, ThrottledMS: e.ThrottledMS, ClaimedAt: e.ClaimedAt, LatenessMS: e.Lateness().Milliseconds()}
	if e.ReplayOf != nil {
		out.ReplayOf = e.ReplayOf.String()
	}
	if e.RequestMethod != "" {
		out.Request = &ExecutionRequest{Method: e.RequestMethod, URL: e.RequestURL, Truncated: e.RequestTruncated}
		if full {
			out.Request.Headers = headersOut(e.RequestHeaders)
			if len(e.RequestBody) > 0 {
				out.Request.Body, out.Request.BodyEncoding = bodyOut(e.RequestBody)
			}
		}
	}
	if t := e.Trace; t != nil && full {
		out.Trace = &ExecutionTrace{DNSUS: t.DNSUS, ConnectUS: t.ConnectUS, TLSUS: t.TLSUS, SendUS: t.SendUS, WaitUS: t.WaitUS,
			BodyUS: t.BodyUS, RemoteAddr: t.RemoteAddr, TLSVersion: t.TLSVersion, Reused: t.Reused}
	}
	if e.ResponseStatus != 0 || len(e.ResponseBody) > 0 {
		out.Response = &ExecutionResponse{Status: e.ResponseStatus, Truncated: e.ResponseTruncated}
		if full {
			out.Response.Headers = headersOut(e.ResponseHeaders)
			out.Response.Body, out.Response.BodyEncoding = bodyOut(e.ResponseBody)
		}
	}
	return out
}

type executionBody struct{ Body *Execution }

// executionSearch are the filters of an execution listing and export.
// (huma reads no parameters from an embedded struct: each input repeats
// the fields, searchFields below, and search() copies them here.)
type executionSearch struct {
	Status, StatusCode                       []string
	Since, Until, StatusClass, MinDurationMS string
	MaxDurationMS, Q                         string
}

type executionListInput struct {
	JobID         string   `path:"job_id" doc:"The job's id."`
	Status        []string `query:"status" explode:"false" doc:"Only these statuses (comma-separated): pending, running, success, failed, timeout, missed, skipped, quota_exceeded."`
	Since         string   `query:"since" doc:"Only executions created at or after this RFC 3339 instant."`
	Until         string   `query:"until" doc:"Only executions created before this RFC 3339 instant."`
	StatusCode    []string `query:"status_code,explode" doc:"Only responses with one of these HTTP statuses: repeat the parameter or separate codes with commas (status_code=500,503)." example:"503"`
	StatusClass   string   `query:"status_class" doc:"Only responses of this class: 1xx, 2xx, 3xx, 4xx or 5xx." example:"5xx"`
	MinDurationMS string   `query:"min_duration_ms" doc:"Only attempts that took at least this many milliseconds." example:"1000"`
	MaxDurationMS string   `query:"max_duration_ms" doc:"Only attempts that took at most this many milliseconds." example:"5000"`
	Q             string   `query:"q" doc:"Only executions whose stored response body (its first 64 KiB, as redacted) contains this text, case-sensitive; at most 200 characters." example:"rate limit"`
	Limit         int      `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor        string   `query:"cursor" doc:"next_cursor from the previous page."`
}

type projectExecutionListInput struct {
	ProjectID     string   `path:"project_id" doc:"The project's id."`
	Status        []string `query:"status" explode:"false" doc:"Only these statuses (comma-separated): pending, running, success, failed, timeout, missed, skipped, quota_exceeded."`
	Since         string   `query:"since" doc:"Only executions created at or after this RFC 3339 instant."`
	Until         string   `query:"until" doc:"Only executions created before this RFC 3339 instant."`
	StatusCode    []string `query:"status_code,explode" doc:"Only responses with one of these HTTP statuses: repeat the parameter or separate codes with commas (status_code=500,503)." example:"503"`
	StatusClass   string   `query:"status_class" doc:"Only responses of this class: 1xx, 2xx, 3xx, 4xx or 5xx." example:"5xx"`
	MinDurationMS string   `query:"min_duration_ms" doc:"Only attempts that took at least this many milliseconds." example:"1000"`
	MaxDurationMS string   `query:"max_duration_ms" doc:"Only attempts that took at most this many milliseconds." example:"5000"`
	Q             string   `query:"q" doc:"Only executions whose stored response body (its first 64 KiB, as redacted) contains this text, case-sensitive; at most 200 characters." example:"rate limit"`
	Limit         int      `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor        string   `query:"cursor" doc:"next_cursor from the previous page."`
}

// ExecutionPage is one page of executions, newest first.
type ExecutionPage struct {
	Executions []*Execution `json:"executions" doc:"The executions, newest first."`
	NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

func (a *API) handleJobExecutions(ctx context.Context, in *executionListInput) (*struct{ Body *ExecutionPage }, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	return a.listExecutions(ctx, service.ExecutionFilter{JobID: &id}, searchOf(in.Status, in.StatusCode, in.Since, in.Until, in.StatusClass, in.MinDurationMS, in.MaxDurationMS, in.Q), in.Limit, in.Cursor)
}

func (a *API) handleProjectExecutions(ctx context.Context, in *projectExecutionListInput) (*struct{ Body *ExecutionPage }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return a.listExecutions(ctx, service.ExecutionFilter{ProjectID: &id}, searchOf(in.Status, in.StatusCode, in.Since, in.Until, in.StatusClass, in.MinDurationMS, in.MaxDurationMS, in.Q), in.Limit, in.Cursor)
}

func (a *API) listExecutions(ctx context.Context, f service.ExecutionFilter, q *executionSearch, lim int, cur string) (*struct{ Body *ExecutionPage }, error) {
	c, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	if err := q.apply(&f); err != nil {
		return nil, err
	}
	n := limit(lim)
	f.BeforeCreatedAt, f.BeforeID, f.Limit = c.At, c.ID, n+1
	es, err := a.svc.Executions(ctx, actorOf(ctx), f)
	if err != nil {
		return nil, err
	}
	page := &ExecutionPage{Executions: []*Execution{}}
	for i, e := range es {
		if i == n {
			last := es[i-1]
			page.NextCursor = cursor{At: last.CreatedAt, ID: last.ID}.String()
			break
		}
		page.Executions = append(page.Executions, executionOut(e, false))
	}
	return &struct{ Body *ExecutionPage }{page}, nil
}

func searchOf(status, codes []string, since, until, class, minMS, maxMS, q string) *executionSearch {
	return &executionSearch{Status: status, StatusCode: codes, Since: since, Until: until, StatusClass: class,
		MinDurationMS: minMS, MaxDurationMS: maxMS, Q: q}
}

// apply reads the search parameters into f; each bad value is a field
// error naming its parameter.
func (q *executionSearch) apply(f *service.ExecutionFilter) error {
	var v prikke.Validation
	for _, s := range q.Status {
		st := prikke.ExecutionStatus(s)
		if !st.Valid() {
			v.Add("query.status", "%q is not a status; use pending, running, success, failed, timeout, missed, skipped or quota_exceeded", s)
		}
		f.Statuses = append(f.Statuses, st)
	}
	for _, p := range []struct {
		name string
		s    string
		dst  *time.Time
	}{{"since", q.Since, &f.Since}, {"until", q.Until, &f.Until}} {
		if p.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, p.s)
		if err != nil {
			v.Add("query."+p.name, "must be an RFC 3339 instant like 2026-11-01T00:00:00Z")
			continue
		}
		*p.dst = t
	}
	for _, raw := range q.StatusCode {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			n, err := strconv.Atoi(s)
			if err != nil || n < 100 || n > 599 {
				v.Add("query.status_code", "%q is not an HTTP status code: give numbers from 100 to 599, like 503", clip(s, 20))
				continue
			}
			f.StatusCodes = append(f.StatusCodes, n)
		}
	}
	if q.StatusClass != "" {
		c := strings.ToLower(q.StatusClass)
		if len(c) == 3 && strings.HasSuffix(c, "xx") && c[0] >= '1' && c[0] <= '5' {
			f.StatusClass = int(c[0] - '0')
		} else {
			v.Add("query.status_class", "must be 1xx, 2xx, 3xx, 4xx or 5xx")
		}
	}
	for _, p := range []struct {
		name string
		s    string
		dst  *int
	}{{"min_duration_ms", q.MinDurationMS, &f.MinDurationMS}, {"max_duration_ms", q.MaxDurationMS, &f.MaxDurationMS}} {
		if p.s == "" {
			continue
		}
		n, err := strconv.Atoi(p.s)
		if err != nil || n < 0 || n > 24*3600*1000 {
			v.Add("query."+p.name, "must be a whole number of milliseconds, 0 to 86400000")
			continue
		}
		*p.dst = n
	}
	if f.MinDurationMS > 0 && f.MaxDurationMS > 0 && f.MinDurationMS > f.MaxDurationMS && !v.Has("query.max_duration_ms") {
		v.Add("query.max_duration_ms", "must not be less than min_duration_ms")
	}
	if err := service.ValidateSearch("query.q", q.Q); err != nil {
		for _, fe := range prikke.ErrorFields(err) {
			v.Add(fe.Field, "%s", fe.Message)
		}
	}
	f.BodyContains = q.Q
	return v.Err()
}

// clip shortens s to n bytes for a message.
// clip cuts a user's text quoted in an error at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

type executionIDInput struct {
	ExecutionID string `path:"execution_id" doc:"The execution's id."`
}

func (a *API) handleExecutionGet(ctx context.Context, in *executionIDInput) (*executionBody, error) {
	id, err := parseID(in.ExecutionID)
	if err != nil {
		return nil, err
	}
	e, err := a.svc.Execution(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &executionBody{executionOut(e, true)}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opProjectExecutions = operation{ID: "project-executions", Tag: "Executions",
		Summary:     "List a project's executions",
		Description: "Newest first. Filter by status, time, response status code or class, duration, and text in the response body; each bad filter is a 422 naming its parameter."}

	opJobExecutions = operation{ID: "job-executions", Tag: "Executions",
		Summary:     "List a job's executions",
		Description: "Newest first. Filter by status, time, response status code or class, duration, and text in the response body; each bad filter is a 422 naming its parameter."}

	opExecution = operation{ID: "execution", Tag: "Executions",
		Summary:     "Get an execution with its stored response",
		Description: "One attempt with everything stored about it: the request as sent (method, URL, headers, first 64 KiB of body, redacted), where its time went (trace), and the response's status, headers and first 64 KiB of body."}
)
