package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/service"
)

// writeError writes err from middleware: a huma error as it is, anything
// else through apiError.
func (a *API) writeError(ctx huma.Context, err error) {
	var se error = err
	var hs huma.StatusError
	if !errors.As(err, &hs) {
		se = a.apiError(ctx.Context(), err)
	}
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

// apiError maps an error to its one HTTP status: users see a clear message,
// logs get the cause, internal errors never leak.
func (a *API) apiError(ctx context.Context, err error) error {
	msg := prikke.ErrorMessage(err)
	switch prikke.ErrorCode(err) {
	case prikke.ENOTFOUND:
		return huma.Error404NotFound(msg)
	case prikke.EUNAUTHORIZED:
		return huma.ErrorWithHeaders(huma.Error401Unauthorized(msg), http.Header{"Www-Authenticate": {`Bearer realm="prikke"`}})
	case prikke.EFORBIDDEN:
		return huma.Error403Forbidden(msg)
	case prikke.ECONFLICT:
		return huma.Error409Conflict(msg)
	case prikke.EINVALID:
		return huma.Error422UnprocessableEntity(msg, fieldErrors(prikke.ErrorFields(err))...)
	case prikke.ELIMIT:
		return huma.Error422UnprocessableEntity(msg)
	case prikke.ETOOLARGE:
		return huma.NewError(http.StatusRequestEntityTooLarge, msg, fieldErrors(prikke.ErrorFields(err))...)
	case prikke.ERATELIMIT:
		wait := time.Minute
		var rl *service.RateLimitError
		if errors.As(err, &rl) {
			wait = rl.RetryAfter
		}
		return huma.ErrorWithHeaders(huma.Error429TooManyRequests(msg),
			http.Header{"Retry-After": {strconv.Itoa(int(wait.Seconds() + 0.99))}})
	case prikke.EUNAVAILABLE:
		a.log.Warn("database unavailable", "error", err)
		return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(msg), http.Header{"Retry-After": {"5"}})
	}
	if errors.Is(err, context.Canceled) {
		return huma.NewError(499, "Request cancelled.")
	}
	id := ""
	if r := requestOf(ctx); r != nil {
		id = httpserver.RequestID(r.Context())
	}
	a.log.Error("internal error", "request_id", id, "error", err)
	return huma.Error500InternalServerError("Something went wrong on our side. Quote request id " + id + " if you contact support.")
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

func (a *API) errOrNil(ctx context.Context, err error) error {
	if err != nil {
		return a.apiError(ctx, err)
	}
	return nil
}
