package api

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// public marks an operation that needs no credentials.
func public(op huma.Operation) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["public"] = true
	op.Security = []map[string][]string{}
	return op
}

// register adds an operation. body, when not nil, documents the JSON
// request body (which the handler decodes itself, strictly).
func register[I, O any](a *API, op huma.Operation, body any, h func(context.Context, *I) (*O, error)) {
	if body != nil {
		// checkRequest enforces MaxBodyBytes with a clear message; this is
		// the backstop (huma sets no limit for raw bodies).
		op.MaxBodyBytes = MaxBodyBytes + 1
	}
	huma.Register(a.huma, op, h)
	if body == nil {
		return
	}
	schema := a.schema(body)
	item := a.huma.OpenAPI().Paths[op.Path]
	var o *huma.Operation
	switch op.Method {
	case http.MethodPost:
		o = item.Post
	case http.MethodPatch:
		o = item.Patch
	case http.MethodPut:
		o = item.Put
	}
	if o != nil {
		o.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
	}
}

// schema is the OpenAPI schema of v's type (a reference to a component).
func (a *API) schema(v any) *huma.Schema {
	return a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(v), true, "")
}
