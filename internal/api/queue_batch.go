package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// QueueBatchItem is one request of POST /queue/batch: the body of POST
// /queue, with the two headers of that call as fields.
type QueueBatchItem struct {
	QueueRequest
	IdempotencyKey string `json:"idempotency_key,omitempty" doc:"As the Idempotency-Key header of POST /queue: the same key in the same project is delivered once, across calls and within this one (the first item with a key is enqueued, the others answer with its job)." example:"order-42-paid"`
	FlowKey        string `json:"flow_control_key,omitempty" doc:"As the Prikke-Flow-Control-Key header of POST /queue: the flow key whose limits the request obeys (absent: the URL's host:port)."`
}

// QueueBatchRequest is POST /queue/batch's body in its object form; a
// bare JSON array of the same items is accepted too.
type QueueBatchRequest struct {
	Requests []QueueBatchItem `json:"requests" minItems:"1" maxItems:"1000" doc:"1 to 1000 requests, each the body of POST /queue (with idempotency_key and flow_control_key as fields)."`
}

// QueueBatchResult is what became of one item, in the order sent.
type QueueBatchResult struct {
	Status      int    `json:"status" doc:"202: enqueued, as POST /queue answers; 200: its idempotency key matched an earlier request (duplicate is true), nothing new was enqueued; otherwise the status the item's problem has (error)." example:"202"`
	JobID       string `json:"job_id,omitempty" doc:"The queued request's job."`
	ExecutionID string `json:"execution_id,omitempty" doc:"Its first attempt (a duplicate: the latest attempt of the earlier request)."`
	WebhookID   string `json:"webhook_id,omitempty" doc:"The webhook-id header the receiver will see."`
	DueAt       string `json:"due_at,omitempty" doc:"When it will be delivered (RFC 3339, UTC)."`
	Duplicate   bool   `json:"duplicate" doc:"True when the idempotency key matched an earlier request."`
	// Error is an RFC 9457 problem whose errors[] name the item's fields
	// as body.requests[i].field.
	Error *huma.ErrorModel `json:"error,omitempty" doc:"Why this item was refused: an RFC 9457 problem whose errors[] locate the fields as body.requests[i].field. The other items are not affected."`
}

// QueueBatch is POST /queue/batch's answer.
type QueueBatch struct {
	Results    []QueueBatchResult `json:"results" doc:"One result per request, in the order sent."`
	Enqueued   int                `json:"enqueued" doc:"Items enqueued (202)."`
	Duplicates int                `json:"duplicates" doc:"Items whose idempotency key matched an earlier request (200)."`
	Failed     int                `json:"failed" doc:"Items refused (error)."`
}

type queueBatchInput struct {
	bodyInput
}

func (a *API) handleQueueBatch(ctx context.Context, in *queueBatchInput) (*struct{ Body *QueueBatch }, error) {
	raws, err := batchItems(in.RawBody)
	if err != nil {
		return nil, err
	}
	out := &QueueBatch{Results: make([]QueueBatchResult, len(raws))}
	reqs := make([]service.EnqueueRequest, 0, len(raws))
	at := make([]int, 0, len(raws))
	headers := make([][]prikke.Header, 0, len(raws))
	for i, raw := range raws {
		var item QueueBatchItem
		err := decode(&bodyInput{RawBody: raw}, &item)
		var si *service.QueueInput
		if err == nil {
			si, err = item.input(item.FlowKey)
		}
		if err != nil {
			out.Results[i] = a.itemProblem(ctx, i, err)
			continue
		}
		reqs = append(reqs, service.EnqueueRequest{QueueInput: *si, IdempotencyKey: item.IdempotencyKey})
		at = append(at, i)
		headers = append(headers, si.Headers)
	}
	if len(reqs) > 0 {
		res, err := a.svc.EnqueueBatch(ctx, actorOf(ctx), reqs)
		if err != nil {
			return nil, err
		}
		for k, r := range res {
			i := at[k]
			if r.Err != nil {
				out.Results[i] = a.itemProblem(ctx, i, headerFields(r.Err, headers[k]))
				continue
			}
			status := http.StatusAccepted // as POST /queue answers
			if !r.Created {
				status = http.StatusOK
			}
			out.Results[i] = QueueBatchResult{Status: status, JobID: r.Job.ID.String(), ExecutionID: r.Execution.ID.String(),
				WebhookID: prikke.WebhookID(r.Job.ID, r.Execution.ScheduledFor), DueAt: prikke.FormatInstant(r.Execution.DueAt),
				Duplicate: !r.Created}
		}
	}
	for _, r := range out.Results {
		switch {
		case r.Error != nil:
			out.Failed++
		case r.Duplicate:
			out.Duplicates++
		default:
			out.Enqueued++
		}
	}
	return &struct{ Body *QueueBatch }{out}, nil
}

// batchItems splits POST /queue/batch's body, a JSON array of requests or
// an object {"requests": [...]}, into the requests' JSON, each decoded on
// its own (so that one item's mistake is that item's).
func batchItems(body []byte) ([]jsontext.Value, error) {
	shape := huma.Error400BadRequest(`Send a JSON array of 1 to 1000 requests, or {"requests": [...]}: each one the body of POST /api/v1/queue.`)
	if len(body) == 0 {
		return nil, shape
	}
	if err := checkSyntax(body); err != nil {
		return nil, err
	}
	var raws []jsontext.Value
	switch trimmed := bytes.TrimLeft(body, " \t\r\n"); {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, shape
		}
	case len(trimmed) > 0 && trimmed[0] == '{':
		var obj struct {
			Requests *[]jsontext.Value `json:"requests"`
		}
		err := json.Unmarshal(body, &obj, json.RejectUnknownMembers(true))
		if errors.Is(err, json.ErrUnknownName) {
			return nil, huma.Error400BadRequest("The request has an unknown field.",
				&huma.ErrorDetail{Location: "body", Message: `the object has one field, requests: an array of requests`})
		}
		if err != nil || obj.Requests == nil {
			return nil, huma.Error400BadRequest(`The requests field is missing or not an array.`,
				&huma.ErrorDetail{Location: "body.requests", Message: "must be an array of 1 to 1000 requests"})
		}
		raws = *obj.Requests
	default:
		return nil, shape
	}
	if len(raws) == 0 || len(raws) > service.MaxEnqueueBatch {
		return nil, huma.Error400BadRequest("A batch holds 1 to 1000 requests; split larger ones into several calls.",
			&huma.ErrorDetail{Location: "body.requests", Message: "must hold 1 to 1000 requests, not " + strconv.Itoa(len(raws))})
	}
	return raws, nil
}

// itemProblem is item i's error as a result: the problem POST /queue
// would answer, its fields located within the batch.
func (a *API) itemProblem(ctx context.Context, i int, err error) QueueBatchResult {
	err = a.problem(ctx, err)
	var se huma.StatusError
	if !errors.As(err, &se) {
		return QueueBatchResult{Status: http.StatusInternalServerError, Error: &huma.ErrorModel{Status: 500, Title: "Internal Server Error"}}
	}
	em, ok := se.(*huma.ErrorModel)
	if !ok {
		em = &huma.ErrorModel{Status: se.GetStatus(), Title: http.StatusText(se.GetStatus()), Detail: se.Error()}
	}
	p := *em
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Errors = make([]*huma.ErrorDetail, len(em.Errors))
	prefix := "body.requests[" + strconv.Itoa(i) + "]"
	for k, d := range em.Errors {
		c := *d
		switch {
		case c.Location == "body":
			c.Location = prefix
		case strings.HasPrefix(c.Location, "body.") || strings.HasPrefix(c.Location, "body["):
			c.Location = prefix + strings.TrimPrefix(c.Location, "body")
		case strings.EqualFold(c.Location, "header.Idempotency-Key"):
			c.Location = prefix + ".idempotency_key"
		case strings.EqualFold(c.Location, "header."+prikke.FlowKeyHeader):
			c.Location = prefix + ".flow_control_key"
		}
		p.Errors[k] = &c
	}
	return QueueBatchResult{Status: p.Status, Error: &p}
}

var opQueueBatch = operation{ID: "queue-batch", Tag: "Queue", Status: http.StatusOK, Body: QueueBatchRequest{},
	Summary: "Enqueue up to 1000 requests",
	Description: "Enqueues 1 to 1000 requests in one call and one transaction: a JSON array of them, or {\"requests\": [...]}, each the body of POST /queue " +
		"with idempotency_key and flow_control_key as fields. Each item is validated and answered on its own, in order: status 202 with its job (as POST /queue answers), " +
		"200 with the earlier job when its idempotency key was used before (in an earlier call or earlier in this one), or an RFC 9457 problem " +
		"naming its fields (body.requests[3].url); one item's problem does not affect the others. The call is 200 whenever it was read; " +
		"an empty batch, more than 1000 items or a body that is not JSON is a 400 problem. The body is at most 1 MiB."}
