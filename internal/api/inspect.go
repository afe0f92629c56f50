package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Issue 18's API: a job's response assertions, a project's redaction,
// replays, the execution export and the request preview.

// Expect is a job's response assertions.
type Expect struct {
	Status          []string        `json:"status,omitempty" maxItems:"20" doc:"Success statuses instead of 2xx: codes, classes (2xx) or ranges (200-299)." example:"[\"200\",\"201-204\"]"`
	JSONPath        string          `json:"json_path,omitempty" doc:"A value in the JSON response, for equals or matches." example:"data.state"`
	Equals          json.RawMessage `json:"equals,omitempty" doc:"The JSON value at json_path." example:"\"done\""`
	Matches         string          `json:"matches,omitempty" maxLength:"1024" doc:"An RE2 regular expression the value at json_path matches." example:"^(done|skipped)$"`
	BodyContains    string          `json:"body_contains,omitempty" maxLength:"1024" doc:"Text the response body contains." example:"\"ok\":true"`
	BodyNotContains string          `json:"body_not_contains,omitempty" maxLength:"1024" doc:"Text the response body does not contain." example:"maintenance"`
	MaxDurationMS   int             `json:"max_duration_ms,omitempty" minimum:"0" maximum:"30000" doc:"Fail an attempt slower than this (ms)." example:"2000"`
}

func expectIn(e *Expect) *prikke.Expect {
	if e == nil {
		return nil
	}
	return &prikke.Expect{Status: e.Status, JSONPath: e.JSONPath, Equals: e.Equals, Matches: e.Matches,
		BodyContains: e.BodyContains, BodyNotContains: e.BodyNotContains, MaxDurationMS: e.MaxDurationMS}
}

func expectOut(e *prikke.Expect) *Expect {
	if e == nil {
		return nil
	}
	return &Expect{Status: e.Status, JSONPath: e.JSONPath, Equals: e.Equals, Matches: e.Matches,
		BodyContains: e.BodyContains, BodyNotContains: e.BodyNotContains, MaxDurationMS: e.MaxDurationMS}
}

// Redaction is what a project never stores.
type Redaction struct {
	Headers   []string `json:"headers" maxItems:"50" doc:"Header names (any case) whose values are stored and shown as [redacted], in requests and responses alike; at most 50. Default: Authorization, Cookie, Proxy-Authorization, Set-Cookie. Giving a list replaces the default: list those too to keep them redacted." example:"[\"Authorization\",\"Cookie\",\"X-Api-Key\"]"`
	JSONPaths []string `json:"json_paths" maxItems:"50" doc:"JSON fields by path (like password, data.token or items[0].secret) whose values are stored and shown as [redacted] in JSON request and response bodies; at most 50." example:"[\"password\",\"data.token\"]"`
}

func redactionIn(r *Redaction) *prikke.Redaction {
	if r == nil {
		return nil
	}
	out := &prikke.Redaction{Headers: r.Headers, JSONPaths: r.JSONPaths}
	if out.Headers == nil {
		out.Headers = []string{}
	}
	if out.JSONPaths == nil {
		out.JSONPaths = []string{}
	}
	return out
}

// redactionOut is a project's redaction in force: the defaults when it
// set none.
func redactionOut(r *prikke.Redaction) *Redaction {
	if r == nil {
		return &Redaction{Headers: append([]string(nil), prikke.DefaultRedactHeaders...), JSONPaths: []string{}}
	}
	out := &Redaction{Headers: r.Headers, JSONPaths: r.JSONPaths}
	if out.Headers == nil {
		out.Headers = []string{}
	}
	if out.JSONPaths == nil {
		out.JSONPaths = []string{}
	}
	return out
}

// nullMember reports whether the JSON object raw has the member name with
// the value null: a PATCH's way of removing what the member sets.
func nullMember(raw []byte, name string) bool {
	d := jsontext.NewDecoder(bytes.NewReader(raw))
	if t, err := d.ReadToken(); err != nil || t.Kind() != '{' {
		return false
	}
	for d.PeekKind() == '"' {
		k, err := d.ReadToken()
		if err != nil {
			return false
		}
		key := k.String() // before the next read voids k
		v, err := d.ReadValue()
		if err != nil {
			return false
		}
		if key == name {
			return v.Kind() == 'n'
		}
	}
	return false
}

// ReplayRequest edits a replay's request; absent fields keep the
// original's.
type ReplayRequest struct {
	Method  *string            `json:"method,omitempty" enum:"GET,POST,PUT,PATCH,DELETE,HEAD" doc:"The HTTP method to send instead." example:"POST"`
	URL     *string            `json:"url,omitempty" doc:"The URL to call instead; checked as a job's URL (private and loopback addresses are refused)." example:"https://example.com/hooks/report"`
	Headers *map[string]string `json:"headers,omitempty" doc:"The headers to send instead of the original's (Prikke's own are made afresh). A value [redacted] is sent as the job's current value of that header." example:"{\"Authorization\":\"[redacted]\"}"`
	Body    *string            `json:"body,omitempty" doc:"The body to send instead (max 256 KiB)." example:"{\"report\":\"daily\"}"`
}

type replayInput struct {
	ExecutionID string `path:"execution_id" doc:"The execution to send again."`
	bodyInput
}

func (a *API) handleExecutionReplay(ctx context.Context, in *replayInput) (*struct {
	Status int
	Body   *Execution
}, error) {
	id, err := parseID(in.ExecutionID)
	if err != nil {
		return nil, err
	}
	// Another tenant's execution is not found, whatever the body says.
	if _, err := a.svc.Execution(ctx, actorOf(ctx), id); err != nil {
		return nil, err
	}
	var req ReplayRequest
	if len(in.RawBody) > 0 {
		if err := decode(&in.bodyInput, &req); err != nil {
			return nil, err
		}
	}
	var v prikke.Validation
	si := service.ReplayInput{Method: req.Method, URL: req.URL, Body: req.Body}
	if req.Headers != nil {
		hs := headersIn(&v, *req.Headers)
		si.Headers = &hs
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, err := a.svc.ReplayExecution(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, headerFields(err, derefHeaders(si.Headers))
	}
	return &struct {
		Status int
		Body   *Execution
	}{http.StatusCreated, executionOut(e, true)}, nil
}

// ReplayFailedRequest is the range of a bulk replay.
type ReplayFailedRequest struct {
	Since time.Time `json:"since" doc:"The range's start (included): executions created at or after this RFC 3339 instant." example:"2026-11-24T00:00:00Z"`
	Until time.Time `json:"until" doc:"The range's end (excluded): executions created before this RFC 3339 instant." example:"2026-11-25T00:00:00Z"`
}

// ReplayList is the executions a bulk replay made.
type ReplayList struct {
	Executions []*Execution `json:"executions" doc:"The new executions, pending, one per failed execution replayed (replay_of names it), oldest original first."`
}

type replayFailedInput struct {
	JobID string `path:"job_id" doc:"The job's id."`
	bodyInput
}

func (a *API) handleReplayFailed(ctx context.Context, in *replayFailedInput) (*struct {
	Status int
	Body   *ReplayList
}, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	// Another tenant's job is not found, whatever the body says.
	if _, err := a.svc.Job(ctx, actorOf(ctx), id); err != nil {
		return nil, err
	}
	var req ReplayFailedRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	es, err := a.svc.ReplayFailed(ctx, actorOf(ctx), service.BulkReplay{JobID: id, Since: req.Since, Until: req.Until})
	if err != nil {
		return nil, err
	}
	out := &ReplayList{Executions: []*Execution{}}
	for _, e := range es {
		out.Executions = append(out.Executions, executionOut(e, false))
	}
	return &struct {
		Status int
		Body   *ReplayList
	}{http.StatusCreated, out}, nil
}

type exportInput struct {
	ProjectID     string   `path:"project_id" doc:"The project's id."`
	JobID         string   `query:"job_id" doc:"Only this job's executions."`
	Format        string   `query:"format" doc:"csv (the default: one header row, then one row per execution) or jsonl (one JSON object per line, the same fields)." example:"csv"`
	Status        []string `query:"status" explode:"false" doc:"Only these statuses (comma-separated): pending, running, success, failed, timeout, missed, skipped, quota_exceeded."`
	Since         string   `query:"since" doc:"Only executions created at or after this RFC 3339 instant."`
	Until         string   `query:"until" doc:"Only executions created before this RFC 3339 instant."`
	StatusCode    []string `query:"status_code,explode" doc:"Only responses with one of these HTTP statuses: repeat the parameter or separate codes with commas (status_code=500,503)." example:"503"`
	StatusClass   string   `query:"status_class" doc:"Only responses of this class: 1xx, 2xx, 3xx, 4xx or 5xx." example:"5xx"`
	MinDurationMS string   `query:"min_duration_ms" doc:"Only attempts that took at least this many milliseconds." example:"1000"`
	MaxDurationMS string   `query:"max_duration_ms" doc:"Only attempts that took at most this many milliseconds." example:"5000"`
	Q             string   `query:"q" doc:"Only executions whose stored response body (its first 64 KiB, as redacted) contains this text, case-sensitive; at most 200 characters." example:"rate limit"`
}

func (a *API) handleExecutionExport(ctx context.Context, in *exportInput) (*huma.StreamResponse, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	f := service.ExecutionFilter{ProjectID: &pid}
	jid, err := optID("query.job_id", in.JobID)
	if err != nil {
		return nil, err
	}
	if jid != nil {
		j, err := a.svc.ProjectJob(ctx, actorOf(ctx), pid, *jid)
		if err != nil {
			return nil, err
		}
		f = service.ExecutionFilter{JobID: &j.ID}
	}
	if err := searchOf(in.Status, in.StatusCode, in.Since, in.Until, in.StatusClass, in.MinDurationMS, in.MaxDurationMS, in.Q).apply(&f); err != nil {
		return nil, err
	}
	format := in.Format
	if format == "" {
		format = service.ExportCSV
	}
	if format != service.ExportCSV && format != service.ExportJSONL {
		return nil, prikke.InvalidField("query.format", `must be csv or jsonl`)
	}
	// Access and filters are checked before the first byte, so a refusal
	// is a problem, not a broken download.
	probe := f
	probe.Limit = 1
	if _, err := a.svc.Executions(ctx, actorOf(ctx), probe); err != nil {
		return nil, err
	}
	actor := actorOf(ctx)
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		ct, ext := "text/csv; charset=utf-8", "csv"
		if format == service.ExportJSONL {
			ct, ext = "application/x-ndjson", "jsonl"
		}
		hctx.SetHeader("Content-Type", ct)
		hctx.SetHeader("Content-Disposition", `attachment; filename="executions.`+ext+`"`)
		hctx.SetStatus(http.StatusOK)
		if err := a.svc.ExportExecutions(hctx.Context(), actor, f, format, hctx.BodyWriter()); err != nil {
			a.log.Error("execution export failed", "project_id", pid.String(), "error", err)
		}
	}}, nil
}

// PreviewRequest is a job's next request, rendered.
type PreviewRequest struct {
	ScheduledFor time.Time         `json:"scheduled_for" doc:"The occurrence rendered: the job's next run, or now for a job without one."`
	Method       string            `json:"method" doc:"The HTTP method." example:"POST"`
	URL          string            `json:"url" doc:"The URL, templates rendered." example:"https://example.com/hooks/report?day=2026-11-24"`
	Headers      map[string]string `json:"headers" doc:"The headers, Prikke's included; webhook-signature and webhook-timestamp are placeholders (each attempt signs afresh)." example:"{\"webhook-signature\":\"v1,<signature>\"}"`
	Body         string            `json:"body" doc:"The body, templates rendered." example:"{\"report\":\"daily\"}"`
	Curl         string            `json:"curl" doc:"The request as a curl command (with the placeholders)." example:"curl -X POST 'https://example.com/hooks/report'"`
}

type jobPreviewInput struct {
	ProjectID string `path:"project_id" doc:"The project the job is (or will be) in."`
	JobID     string `query:"job_id" doc:"The job being edited: the body's fields change it, as a PATCH would (absent: a new job)."`
	bodyInput
}

func (a *API) handleJobPreview(ctx context.Context, in *jobPreviewInput) (*struct{ Body *PreviewRequest }, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	jid, err := optID("query.job_id", in.JobID)
	if err != nil {
		return nil, err
	}
	var req JobRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	req.expectNull = req.Expect == nil && nullMember(in.RawBody, "expect")
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	pv, err := a.svc.PreviewJobRequest(ctx, actorOf(ctx), pid, jid, *si)
	if err != nil {
		return nil, headerFields(err, derefHeaders(si.Headers))
	}
	return &struct{ Body *PreviewRequest }{&PreviewRequest{ScheduledFor: pv.ScheduledFor, Method: pv.Method, URL: pv.URL,
		Headers: headersOut(pv.Headers), Body: pv.Body, Curl: pv.Curl}}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opExecutionReplay = operation{ID: "execution-replay", Tag: "Executions", Status: http.StatusCreated,
		Body: ReplayRequest{}, OptionalBody: true,
		Summary: "Replay an execution",
		Description: "Sends the execution's request again now, as a new execution of the same job (replay_of names the original, which is not changed), optionally edited first. " +
			"Redacted header values are sent as the job's current value. Needs the right to run the job; a workflow step's execution cannot be replayed (retry the run)."}

	opReplayFailed = operation{ID: "job-replay-failed", Tag: "Executions", Status: http.StatusCreated, Body: ReplayFailedRequest{},
		Summary: "Replay a job's failed executions",
		Description: fmt.Sprintf("Replays every execution of the job created in [since, until) whose occurrence failed (its last attempt failed or timed out), at most %d; "+
			"a range with more is refused (422): narrow it.", prikke.MaxBulkReplay)}

	opExecutionExport = operation{ID: "execution-export", Tag: "Executions",
		Summary: "Export executions as CSV or JSON lines",
		Description: "Streams a project's (or, with job_id, a job's) executions, newest first, with the list's filters, as a download: at most 100000 rows, redacted as stored, without bodies. " +
			"Columns (CSV header row; JSON lines use the same names): id, job_id, project_id, scheduled_for, due_at, attempt, status, manual, replay_of, claimed_at, started_at, " +
			"finished_at, duration_ms, lateness_ms, response_status, error, request_method, request_url, created_at. Instants are RFC 3339 in UTC; empty (CSV) or null (JSON) when unset.",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{"200": {Description: "The executions, as an attachment.",
				Headers: map[string]*huma.Param{"Content-Disposition": {Description: "attachment; filename=\"executions.csv\" (or executions.jsonl).", Schema: &huma.Schema{Type: "string"}}},
				Content: map[string]*huma.MediaType{
					"text/csv":             {Schema: &huma.Schema{Type: "string", Description: "A header row, then one row per execution."}},
					"application/x-ndjson": {Schema: &huma.Schema{Type: "string", Description: "One JSON object per line."}},
				}}}
		}}

	opJobPreview = operation{ID: "job-preview", Tag: "Executions", Body: JobRequest{},
		Summary: "Preview a job's next request",
		Description: "Renders the request the job in the body (as to create, or with job_id as a change to that job) would send at its next occurrence: templates filled, " +
			"Prikke's headers included with placeholders for the signature. Nothing is saved or sent; template errors are field errors on url, headers or body."}
)
