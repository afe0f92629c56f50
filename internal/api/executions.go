package api

import (
	"context"
	"encoding/base64"
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
	Manual       bool               `json:"manual" doc:"Triggered by hand rather than by the schedule."`
	MissedCount  int                `json:"missed_count" doc:"Occurrences missed during downtime that this row accounts for."`
	StartedAt    *time.Time         `json:"started_at,omitempty" doc:"When the request was sent; absent until then." example:"2026-11-24T08:00:00Z"`
	FinishedAt   *time.Time         `json:"finished_at,omitempty" doc:"When the attempt ended; absent until then." example:"2026-11-24T08:00:00.184Z"`
	DurationMS   int                `json:"duration_ms" doc:"How long the request took, in milliseconds." example:"184"`
	Error        string             `json:"error,omitempty" doc:"Why the attempt failed without a response (connection, TLS, timeout, refused address)."`
	Request      *ExecutionRequest  `json:"request,omitempty" doc:"What was sent; absent before the attempt."`
	Response     *ExecutionResponse `json:"response,omitempty" doc:"What came back; absent without a response."`
	FlowKey      string             `json:"flow_key,omitempty" doc:"The flow key the attempt went by (see Flow control); absent for attempts made before flow control." example:"api.example.com:443"`
	ThrottledMS  int64              `json:"throttled_ms" doc:"How long flow control held the attempt back past its due time (its key's rate or parallelism, a pause or an endpoint's hold), in milliseconds." example:"0"`
	CreatedAt    time.Time          `json:"created_at" doc:"When the attempt was written to the queue."`
}

// ExecutionRequest is what was sent.
type ExecutionRequest struct {
	Method  string            `json:"method" doc:"The HTTP method." example:"POST"`
	URL     string            `json:"url" doc:"The URL called." example:"https://example.com/hooks/report"`
	Headers map[string]string `json:"headers,omitempty" doc:"The headers sent, Prikke's included (GET /executions/{id} only)." example:"{\"webhook-id\":\"msg_2pJq9Xv3bN7Yk1Tz\",\"Content-Type\":\"application/json\"}"`
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
		FlowKey: e.FlowKey, ThrottledMS: e.ThrottledMS}
	if e.RequestMethod != "" {
		out.Request = &ExecutionRequest{Method: e.RequestMethod, URL: e.RequestURL}
		if full {
			out.Request.Headers = headersOut(e.RequestHeaders)
		}
	}
	if e.ResponseStatus != 0 || len(e.ResponseBody) > 0 {
		out.Response = &ExecutionResponse{Status: e.ResponseStatus, Truncated: e.ResponseTruncated}
		if full {
			out.Response.Headers = headersOut(e.ResponseHeaders)
			if utf8.Valid(e.ResponseBody) && !strings.ContainsRune(string(e.ResponseBody), 0) {
				out.Response.Body = string(e.ResponseBody)
			} else {
				out.Response.Body, out.Response.BodyEncoding = base64.StdEncoding.EncodeToString(e.ResponseBody), "base64"
			}
		}
	}
	return out
}

type executionBody struct{ Body *Execution }

type executionListInput struct {
	JobID  string   `path:"job_id" doc:"The job's id."`
	Status []string `query:"status" explode:"false" doc:"Only these statuses (comma-separated)."`
	Since  string   `query:"since" doc:"Only executions created at or after this RFC 3339 instant."`
	Until  string   `query:"until" doc:"Only executions created before this RFC 3339 instant."`
	Limit  int      `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor string   `query:"cursor" doc:"next_cursor from the previous page."`
}

type projectExecutionListInput struct {
	ProjectID string   `path:"project_id" doc:"The project's id."`
	Status    []string `query:"status" explode:"false" doc:"Only these statuses (comma-separated)."`
	Since     string   `query:"since" doc:"Only executions created at or after this RFC 3339 instant."`
	Until     string   `query:"until" doc:"Only executions created before this RFC 3339 instant."`
	Limit     int      `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor    string   `query:"cursor" doc:"next_cursor from the previous page."`
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
	return a.listExecutions(ctx, service.ExecutionFilter{JobID: &id}, in.Status, in.Since, in.Until, in.Limit, in.Cursor)
}

func (a *API) handleProjectExecutions(ctx context.Context, in *projectExecutionListInput) (*struct{ Body *ExecutionPage }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return a.listExecutions(ctx, service.ExecutionFilter{ProjectID: &id}, in.Status, in.Since, in.Until, in.Limit, in.Cursor)
}

func (a *API) listExecutions(ctx context.Context, f service.ExecutionFilter, statuses []string, since, until string, lim int, cur string) (*struct{ Body *ExecutionPage }, error) {
	c, err := parseCursor(cur)
	if err != nil {
		return nil, err
	}
	var v prikke.Validation
	for _, s := range statuses {
		st := prikke.ExecutionStatus(s)
		if !st.Valid() {
			v.Add("query.status", "%q is not a status; use pending, running, success, failed, timeout, missed, skipped or quota_exceeded", s)
		}
		f.Statuses = append(f.Statuses, st)
	}
	for _, q := range []struct {
		name string
		s    string
		dst  *time.Time
	}{{"since", since, &f.Since}, {"until", until, &f.Until}} {
		if q.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, q.s)
		if err != nil {
			v.Add("query."+q.name, "must be an RFC 3339 instant like 2026-11-01T00:00:00Z")
			continue
		}
		*q.dst = t
	}
	if err := v.Err(); err != nil {
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
		Description: "Newest first, with status and time filters."}

	opJobExecutions = operation{ID: "job-executions", Tag: "Executions",
		Summary:     "List a job's executions",
		Description: "Newest first, with status and time filters."}

	opExecution = operation{ID: "execution", Tag: "Executions",
		Summary:     "Get an execution with its stored response",
		Description: "One attempt with everything stored about it: the request's headers, and the response's status, headers and first 64 KiB of body."}
)
