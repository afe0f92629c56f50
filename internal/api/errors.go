package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/httpserver"
)

// problem turns an error into the API's answer, for every handler (see
// register) and middleware (writeError): a huma error, which the request's
// own checks make, as it is; anything else by the one mapping the
// dashboard shares (httpserver.ProblemOf), with the fields at fault in
// errors[]. Users see a clear message; logs get the cause; internal
// errors never leak.
func (a *API) problem(ctx context.Context, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	id := ""
	if r := requestOf(ctx); r != nil {
		id = httpserver.RequestID(r.Context())
	}
	p := httpserver.ProblemOf(err, id)
	switch {
	case p.Status == http.StatusServiceUnavailable:
		a.log.Warn("database unavailable", "error", err)
	case p.Internal():
		a.log.Error("internal error", "request_id", id, "error", err)
	}
	out := error(huma.NewError(p.Status, p.Detail, fieldErrors(p.Fields)...))
	if p.Header != nil {
		out = huma.ErrorWithHeaders(out, p.Header)
	}
	return out
}

// writeError writes err from middleware, as problem maps it.
func (a *API) writeError(ctx huma.Context, err error) {
	se := a.problem(ctx.Context(), err)
	var he huma.HeadersError
	if errors.As(se, &he) {
		for k, vs := range he.GetHeaders() {
			for _, v := range vs {
				ctx.AppendHeader(k, v)
			}
		}
	}
	var status huma.StatusError
	if errors.As(se, &status) {
		_ = huma.WriteErr(a.huma, ctx, status.GetStatus(), status.Error(), errorDetails(status)...)
	}
}

func errorDetails(se huma.StatusError) []error {
	em, ok := se.(*huma.ErrorModel)
	if !ok {
		return nil
	}
	out := make([]error, len(em.Errors))
	for i, d := range em.Errors {
		out[i] = d
	}
	return out
}

// fieldErrors turns field problems into huma error details. Field names are
// JSON body fields, "query.x" for query parameters, or header names.
func fieldErrors(fs []prikke.FieldError) []error {
	out := make([]error, len(fs))
	for i, f := range fs {
		loc := f.Field
		switch {
		case strings.HasPrefix(loc, "query.") || strings.HasPrefix(loc, "path.") || strings.HasPrefix(loc, "header."):
		case strings.Contains(loc, "-") && strings.ToUpper(loc[:1]) == loc[:1]:
			loc = "header." + loc
		default:
			loc = "body." + loc
		}
		out[i] = &huma.ErrorDetail{Location: loc, Message: f.Message}
	}
	return out
}
