package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// QueueRequest is a one-off request to deliver now or later.
type QueueRequest struct {
	ProjectID     *string            `json:"project_id,omitempty" doc:"Project to deliver in (default: the key's project, or the organization's first)."`
	URL           string             `json:"url" doc:"http(s) URL to call. Private, loopback and metadata addresses and localhost are refused (see /docs/own-machine)." example:"https://example.com/hooks/order-paid"`
	Method        *string            `json:"method,omitempty" enum:"GET,POST,PUT,PATCH,DELETE,HEAD" doc:"Default POST."`
	Headers       *map[string]string `json:"headers,omitempty" doc:"Request headers. Host, Content-Length, User-Agent, webhook-* and Prikke-* are set by Prikke." example:"{\"Content-Type\":\"application/json\"}"`
	ContentType   *string            `json:"content_type,omitempty" doc:"Content-Type the body is forwarded with. Absent, the Content-Type in headers is forwarded; without either, a body that is JSON goes as application/json and any other body without a type." example:"application/json"`
	Body          string             `json:"body,omitempty" example:"{\"order\":42}" doc:"Request body (max 256 KiB)."`
	TimeoutMS     *int               `json:"timeout_ms,omitempty" minimum:"1000" maximum:"30000" doc:"Total deadline of one attempt in milliseconds (default 30000)." example:"10000"`
	RetryAttempts *int               `json:"retry_attempts,omitempty" minimum:"0" maximum:"10" doc:"Retries after the first attempt (default 5)."`
	Delay         *int               `json:"delay,omitempty" minimum:"0" doc:"Deliver this many seconds from now."`
	NotBefore     *string            `json:"not_before,omitempty" doc:"Deliver at this RFC 3339 instant."`
}

// Enqueued is an accepted request.
type Enqueued struct {
	JobID       string     `json:"job_id" doc:"The queued request's job (schedule_kind queue)."`
	ExecutionID string     `json:"execution_id" doc:"Its first attempt; follow it with GET /executions/{execution_id}."`
	WebhookID   string     `json:"webhook_id" doc:"The webhook-id header the receiver will see, the same on every retry." example:"msg_2pJq9Xv3bN7Yk1Tz"`
	DueAt       string     `json:"due_at" doc:"When it will be delivered: RFC 3339 in UTC, to the millisecond when it has a fractional second. The request carries the same text in its Prikke-Scheduled-For header." example:"2026-12-24T18:00:00.250Z"`
	Status      string     `json:"status" doc:"The first attempt's status: pending until delivered." example:"pending"`
	Duplicate   bool       `json:"duplicate" doc:"True when the Idempotency-Key matched an earlier request: nothing new was enqueued."`
	Execution   *Execution `json:"execution" doc:"The execution as GET /api/v1/executions/{execution_id} returns it; on a duplicate, the latest attempt with its stored request and response."`
}

type queueInput struct {
	IdempotencyKey string `header:"Idempotency-Key" doc:"Makes a retried enqueue safe: the same key in the same project is delivered once."`
	FlowKey        string `header:"Prikke-Flow-Control-Key" doc:"The flow key whose limits the request obeys (see Flow control), such as billing-api; absent: the URL's host:port."`
	bodyInput
}

type queueOutput struct {
	Status int
	Body   *Enqueued
}

func (a *API) handleQueueEnqueue(ctx context.Context, in *queueInput) (*queueOutput, error) {
	var req QueueRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si, err := req.input(in.FlowKey)
	if err != nil {
		return nil, err
	}
	j, e, created, err := a.svc.Enqueue(ctx, actorOf(ctx), si, in.IdempotencyKey)
	if err != nil {
		return nil, headerFields(err, si.Headers)
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	return &queueOutput{Status: status, Body: &Enqueued{JobID: j.ID.String(), ExecutionID: e.ID.String(),
		WebhookID: prikke.WebhookID(j.ID, e.ScheduledFor), DueAt: prikke.FormatInstant(e.DueAt),
		Status: string(e.Status), Duplicate: !created, Execution: executionOut(e, true)}}, nil
}

// input is the service's form of a request to enqueue, checked as far as
// the API can (the project ID, the headers): both POST /queue and each
// item of POST /queue/batch go through it.
func (req *QueueRequest) input(flowKey string) (*service.QueueInput, error) {
	var v prikke.Validation
	si := &service.QueueInput{URL: req.URL, Method: req.Method, ContentType: req.ContentType, Body: req.Body, TimeoutMS: req.TimeoutMS,
		RetryAttempts: req.RetryAttempts, DelaySeconds: req.Delay, NotBefore: req.NotBefore, FlowKey: flowKey}
	if req.ProjectID != nil {
		id, err := prikke.ParseID(*req.ProjectID)
		if err != nil {
			v.Add("project_id", "is not a valid id")
		}
		si.ProjectID = &id
	}
	if req.Headers != nil {
		si.Headers = headersIn(&v, *req.Headers)
	}
	return si, v.Err()
}

type queueListInput struct {
	Limit  int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor string `query:"cursor" doc:"next_cursor from the previous page."`
}

func (a *API) handleQueueList(ctx context.Context, in *queueListInput) (*struct{ Body *JobPage }, error) {
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	js, err := a.svc.Jobs(ctx, actorOf(ctx), service.JobFilter{Queue: true, AfterCreatedAt: c.At, AfterID: c.ID, Limit: n + 1})
	if err != nil {
		return nil, err
	}
	page := &JobPage{Jobs: []*Job{}}
	for i, j := range js {
		if i == n {
			page.NextCursor = cursor{At: js[i-1].CreatedAt, ID: js[i-1].ID}.String()
			break
		}
		page.Jobs = append(page.Jobs, jobOut(j))
	}
	return &struct{ Body *JobPage }{page}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opQueueEnqueue = operation{ID: "queue-enqueue", Tag: "Queue", Status: http.StatusAccepted, Body: QueueRequest{},
		Summary:     "Enqueue a request",
		Description: "Delivers a one-off request now, or later (delay or not_before), retried like a one-time job. Send an Idempotency-Key header to make retries safe.",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{
				"202": {Description: "Enqueued."},
				"200": {Description: "The Idempotency-Key matched an earlier request (duplicate is true): nothing new was enqueued; the body is that request's.",
					Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(Enqueued{})}}},
			}
		}}

	opQueue = operation{ID: "queue", Tag: "Queue",
		Summary:     "List queued requests",
		Description: "The jobs POST /queue made (schedule_kind queue), oldest first, paged with next_cursor."}
)
