package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// FlowKeyRequest is a flow key's limits as clients send them. Every field
// is optional and absent means unlimited; a PUT replaces the key's limits
// as a whole (its pause, hold and rate state are kept).
type FlowKeyRequest struct {
	Rate        *int    `json:"rate,omitempty" minimum:"1" maximum:"100000" doc:"At most this many requests start in any window of period (plus burst - 1). Absent: no rate limit." example:"20"`
	Period      *string `json:"period,omitempty" doc:"The rate's window, a Go-style duration from 1s to 1h (default 1s); needs rate." example:"1s"`
	Burst       *int    `json:"burst,omitempty" minimum:"1" maximum:"10000" doc:"How many may start back to back after a quiet spell (default 1: evenly spaced, one every period/rate); more than 1 needs rate." example:"1"`
	Parallelism *int    `json:"parallelism,omitempty" minimum:"1" maximum:"10000" doc:"At most this many requests in flight at once. Absent: no limit." example:"5"`
}

// FlowKey is a flow key as the API returns it: its limits and its live
// state.
type FlowKey struct {
	Key         string     `json:"key" doc:"The key: a destination's host:port (every job's and queued request's default), or a name jobs and requests give themselves." example:"api.example.com:443"`
	ProjectID   string     `json:"project_id" doc:"The project the key belongs to."`
	Rate        int        `json:"rate,omitempty" doc:"Requests that may start per period; absent without a rate limit." example:"20"`
	Period      string     `json:"period,omitempty" doc:"The rate's window; absent without a rate limit." example:"1s"`
	Burst       int        `json:"burst,omitempty" doc:"How many may start back to back after a quiet spell; absent without a rate limit." example:"1"`
	Parallelism int        `json:"parallelism,omitempty" doc:"The most requests in flight at once; absent without a limit." example:"5"`
	Paused      bool       `json:"paused" doc:"Nothing of the key starts until it is resumed; its requests wait, in order."`
	HeldUntil   *time.Time `json:"held_until,omitempty" doc:"The endpoint answered 429 or 503 with Retry-After: nothing of the key starts before this instant (release ends it). Absent when not held."`
	HoldReason  string     `json:"hold_reason,omitempty" doc:"The answer that holds the key; absent when not held." example:"503 Service Unavailable, Retry-After 30s"`
	Waiting     int        `json:"waiting" doc:"Requests of the key waiting to start (counted up to 100000)." example:"120"`
	InFlight    int        `json:"in_flight" doc:"Requests of the key claimed and not finished: in flight, or about to start at their slot." example:"5"`
	NextSlot    *time.Time `json:"next_slot,omitempty" doc:"The next instant the rate lets a request start, when it is in the future; absent when one may start now."`
	Configured  bool       `json:"configured" doc:"false when the key has no limits of its own: it exists only because its endpoint held it (it goes on until released or deleted)."`
	CreatedAt   time.Time  `json:"created_at" doc:"When the key was first limited, paused or held."`
	UpdatedAt   time.Time  `json:"updated_at" doc:"When its limits or state last changed."`
}

// flowKeyOut renders k as it stands at now: a hold that has ended is not
// shown.
func flowKeyOut(k *prikke.FlowKey, now time.Time) *FlowKey {
	out := &FlowKey{Key: k.Key, ProjectID: k.ProjectID.String(), Parallelism: k.Parallelism, Paused: k.Paused,
		Waiting: k.Waiting, InFlight: k.InFlight, Configured: k.Configured, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
	if k.Rate > 0 {
		out.Rate, out.Period, out.Burst = k.Rate, service.FormatDuration(k.Period), max(k.Burst, 1)
		if k.Period <= 0 {
			out.Period = service.FormatDuration(prikke.FlowPeriodMin)
		}
	}
	if k.Held(now) {
		out.HeldUntil, out.HoldReason = k.HeldUntil, k.HoldReason
	}
	if k.NextSlot != nil && k.NextSlot.After(now) {
		out.NextSlot = k.NextSlot
	}
	return out
}

func (a *API) flowKeyBody(k *prikke.FlowKey) *flowKeyBody {
	return &flowKeyBody{flowKeyOut(k, a.svc.NowFunc())}
}

type flowKeyBody struct{ Body *FlowKey }

type flowKeyInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	Key       string `path:"key" doc:"The flow key, URL-escaped as a path segment: a host:port such as api.example.com:443 (':' and '.' may be sent as they are, or escaped) or a name such as billing-api." example:"api.example.com:443"`
}

type flowKeyPutInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	Key       string `path:"key" doc:"The flow key, URL-escaped as a path segment: a host:port such as api.example.com:443 (':' and '.' may be sent as they are, or escaped) or a name such as billing-api." example:"api.example.com:443"`
	bodyInput
}

type flowKeyPutOutput struct {
	Status int
	Body   *FlowKey
}

type flowKeyListInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
}

// pathKey names the service's field errors about the key as the path's.
func pathKey(err error) error { return renameFields(err, "path.", "key") }

func (a *API) handleFlowKeyPut(ctx context.Context, in *flowKeyPutInput) (*flowKeyPutOutput, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req FlowKeyRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	k, created, err := a.svc.PutFlowKey(ctx, actorOf(ctx), pid, in.Key,
		&service.FlowKeyInput{Rate: req.Rate, Period: req.Period, Burst: req.Burst, Parallelism: req.Parallelism})
	if err != nil {
		return nil, pathKey(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &flowKeyPutOutput{Status: status, Body: a.flowKeyBody(k).Body}, nil
}

func (a *API) handleFlowKeyGet(ctx context.Context, in *flowKeyInput) (*flowKeyBody, error) {
	return a.flowKeyAction(ctx, in, a.svc.FlowKey)
}

func (a *API) handleFlowKeyList(ctx context.Context, in *flowKeyListInput) (*struct{ Body []*FlowKey }, error) {
	now := a.svc.NowFunc()
	return listFor(ctx, in.ProjectID, a.svc.FlowKeys, func(k *prikke.FlowKey) *FlowKey { return flowKeyOut(k, now) })
}

func (a *API) handleFlowKeyDelete(ctx context.Context, in *flowKeyInput) (*struct{}, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return nil, pathKey(a.svc.DeleteFlowKey(ctx, actorOf(ctx), pid, in.Key))
}

func (a *API) handleFlowKeyPause(ctx context.Context, in *flowKeyInput) (*flowKeyBody, error) {
	return a.flowKeyAction(ctx, in, a.svc.PauseFlowKey)
}

func (a *API) handleFlowKeyResume(ctx context.Context, in *flowKeyInput) (*flowKeyBody, error) {
	return a.flowKeyAction(ctx, in, a.svc.ResumeFlowKey)
}

func (a *API) handleFlowKeyRelease(ctx context.Context, in *flowKeyInput) (*flowKeyBody, error) {
	return a.flowKeyAction(ctx, in, a.svc.ReleaseFlowKey)
}

func (a *API) flowKeyAction(ctx context.Context, in *flowKeyInput, fn func(context.Context, *service.Actor, prikke.ID, string) (*prikke.FlowKey, error)) (*flowKeyBody, error) {
	pid, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	k, err := fn(ctx, actorOf(ctx), pid, in.Key)
	if err != nil {
		return nil, pathKey(err)
	}
	return a.flowKeyBody(k), nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opFlowKeys = operation{ID: "flow-keys", Tag: "Flow control",
		Summary:     "List a project's flow keys",
		Description: "The keys with limits, a pause or an endpoint's hold, by key, each with its live state: waiting, in flight, the next free slot and any hold. Keys not listed are unlimited."}

	opFlowKey = operation{ID: "flow-key", Tag: "Flow control",
		Summary:     "Get a flow key",
		Description: "The key's limits and live state. 404 when the key has no limits, pause or hold (its requests are unlimited)."}

	opFlowKeyPut = operation{ID: "flow-key-put", Tag: "Flow control", Status: http.StatusCreated, Body: FlowKeyRequest{},
		Summary: "Set a flow key's limits",
		Description: "Limits how Prikke calls one destination of the project, across every node: at most rate starts per period (plus burst - 1) and at most parallelism in flight. " +
			"Requests over the limit wait in order; they are never dropped and never count as an attempt. The body replaces the key's limits as a whole (absent fields: unlimited) " +
			"and applies at once to every request of the key still waiting. Creates the key (201) or replaces its limits (200).",
		Responses: func(a *API) map[string]*huma.Response {
			return map[string]*huma.Response{
				"201": {Description: "The key was created with these limits."},
				"200": {Description: "The key existed; its limits were replaced (its pause and hold are kept).",
					Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(FlowKey{})}}},
			}
		}}

	opFlowKeyDelete = operation{ID: "flow-key-delete", Tag: "Flow control", Status: http.StatusNoContent,
		Summary:     "Remove a flow key",
		Description: "Removes the key's limits, pause and hold: its requests are unlimited again, and those waiting start at once."}

	opFlowKeyPause = operation{ID: "flow-key-pause", Tag: "Flow control",
		Summary:     "Pause a flow key",
		Description: "Nothing of the key starts until it is resumed; its requests wait, in order, and are not counted as attempts. A key without limits can be paused too."}

	opFlowKeyResume = operation{ID: "flow-key-resume", Tag: "Flow control",
		Summary:     "Resume a flow key",
		Description: "Starts the key's waiting requests again, oldest first, within its limits."}

	opFlowKeyRelease = operation{ID: "flow-key-release", Tag: "Flow control",
		Summary:     "Release an endpoint's hold",
		Description: "Ends at once the hold an endpoint put on the key by answering 429 or 503 with Retry-After."}
)
