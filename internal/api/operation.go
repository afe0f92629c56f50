package api

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// operation is what the reference (/docs/api, the OpenAPI document) says
// about an operation. Each resource's file defines its operations;
// routes.go gives them their methods and paths.
type operation struct {
	ID          string // the OpenAPI operationId
	Tag         string // the reference's section (New lists them in order)
	Summary     string
	Description string
	Status      int  // the success status, when not 200
	Public      bool // needs no credentials
	// Body, when not nil, documents the JSON request body, which the
	// handler decodes itself, strictly (decode).
	Body any
	// OptionalBody makes Body optional (an empty body is allowed).
	OptionalBody bool
	// Example and ResponseExample, when not nil, are the request body and
	// the success response the reference shows, instead of ones made
	// from the fields' examples (which do not make a valid whole when the
	// fields depend on each other, as a workflow's steps do).
	Example, ResponseExample any
	// Responses, when not nil, documents responses beyond the success
	// status and the errors.
	Responses func(a *API) map[string]*huma.Response
}

// register adds the operation op at route ("METHOD /path") with handler
// h. A handler returns its error as it is: register turns every error into
// problem+json in one place (problem).
func register[I, O any](a *API, route string, op operation, h func(context.Context, *I) (*O, error)) {
	method, path, _ := strings.Cut(route, " ")
	hop := huma.Operation{OperationID: op.ID, Method: method, Path: path, Tags: []string{op.Tag},
		Summary: op.Summary, Description: op.Description, DefaultStatus: op.Status}
	if op.Responses != nil {
		hop.Responses = op.Responses(a)
	}
	if op.Public {
		hop = public(hop)
	}
	if op.Body != nil {
		// checkRequest enforces MaxBodyBytes with a clear message; this is
		// the backstop (huma sets no limit for raw bodies).
		hop.MaxBodyBytes = MaxBodyBytes + 1
	}
	huma.Register(a.huma, hop, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return out, a.problem(ctx, err)
		}
		return out, nil
	})
	if op.ResponseExample != nil {
		status := op.Status
		if status == 0 {
			status = http.StatusOK
		}
		if r := registered(a, method, path).Responses[strconv.Itoa(status)]; r != nil && r.Content["application/json"] != nil {
			r.Content["application/json"].Example = op.ResponseExample
		}
	}
	if op.Body == nil {
		return
	}
	schema := a.schema(op.Body)
	if o := registered(a, method, path); o != nil {
		o.RequestBody = &huma.RequestBody{Required: !op.OptionalBody, Content: map[string]*huma.MediaType{"application/json": {Schema: schema, Example: op.Example}}}
	}
}

// registered returns the registered operation at method and path.
func registered(a *API, method, path string) *huma.Operation {
	item := a.huma.OpenAPI().Paths[path]
	switch method {
	case http.MethodGet:
		return item.Get
	case http.MethodPost:
		return item.Post
	case http.MethodPatch:
		return item.Patch
	case http.MethodPut:
		return item.Put
	case http.MethodDelete:
		return item.Delete
	}
	return nil
}

// public marks an operation that needs no credentials.
func public(op huma.Operation) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["public"] = true
	op.Security = []map[string][]string{}
	return op
}

// schema is the OpenAPI schema of v's type (a reference to a component).
func (a *API) schema(v any) *huma.Schema {
	return a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(v), true, "")
}
