// Package api is Prikke's REST API, /api/v1: typed operations on huma over
// the stdlib mux, with the OpenAPI 3.1 document generated from the code
// and served at /api/v1/openapi.json. Every route is listed in routes.go;
// each resource has its own file. Requests authenticate with
// `Authorization: Bearer pk_live_…` or, for the dashboard, the session
// cookie. Every error is RFC 9457 problem+json in huma's shape, whose
// errors[] entries name the field (location) and say how to fix it.
//
// Request bodies are decoded strictly, by this package rather than huma:
// malformed JSON is 400; unknown fields, duplicate keys and wrong types are
// 422; bodies over 1 MiB are 413; anything but application/json is 415.
package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/service"
)

// Deps are what the API needs.
type Deps struct {
	Service *service.Service
	Logger  *slog.Logger
	Cookie  auth.SessionCookie
	// ClientIP returns the request's client address (trusting only
	// configured proxies).
	ClientIP func(r *http.Request) string
}

// API is the mounted REST API.
type API struct {
	huma huma.API
	svc  *service.Service
	log  *slog.Logger
	deps Deps
}

type ctxKey int

const (
	actorKey ctxKey = iota
	requestKey
)

// New registers every operation on mux and returns the API.
func New(mux *http.ServeMux, d Deps) *API {
	cfg := huma.DefaultConfig("Prikke API", prikke.Version)
	cfg.OpenAPIPath = "/api/v1/openapi"
	cfg.DocsPath = ""    // the docs are /docs/api, served by Prikke (no CDN)
	cfg.SchemasPath = "" // no $schema links in bodies
	cfg.CreateHooks = nil
	cfg.Info.Description = "Cron scheduling and webhook delivery, til punkt og prikke. Authenticate with `Authorization: Bearer pk_live_…`."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API key: pk_live_<id>_<secret>"},
		"cookie": {Type: "apiKey", In: "cookie", Name: d.Cookie.Name(), Description: "The dashboard's session"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
	a := &API{svc: d.Service, log: d.Logger.With("service", "api"), deps: d}
	a.huma = humago.New(mux, cfg)
	a.huma.UseMiddleware(a.authenticate)
	a.routes()
	return a
}

// OpenAPI returns the OpenAPI document as JSON.
func (a *API) OpenAPI() ([]byte, error) { return a.huma.OpenAPI().MarshalJSON() }

// Routes lists every operation as method and path, for tests that must
// cover them all.
func (a *API) Routes() []Route {
	var out []Route
	for path, item := range a.huma.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil {
				out = append(out, Route{Method: method, Path: path, Public: op.Metadata["public"] == true})
			}
		}
	}
	return out
}

// Route is one operation.
type Route struct {
	Method, Path string
	Public       bool
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

// authenticate resolves the actor: a bearer API key, else the session
// cookie. Operations not marked public require one.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	r, _ := humago.Unwrap(ctx)
	actor := &service.Actor{IP: a.deps.ClientIP(r), RequestID: httpserver.RequestID(r.Context())}
	isPublic := ctx.Operation().Metadata["public"] == true
	var authErr error
	if h := ctx.Header("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			authErr = prikke.Errorf(prikke.EUNAUTHORIZED, "Send the key as `Authorization: Bearer pk_live_…`.")
		} else if k, err := a.svc.AuthenticateKey(ctx.Context(), strings.TrimSpace(token)); err != nil {
			authErr = err
		} else {
			actor.APIKey = k
		}
	} else if tok := a.deps.Cookie.Read(r); tok != "" {
		u, t, err := a.svc.Authenticate(ctx.Context(), tok)
		if err != nil {
			authErr = err
		} else {
			actor.User, actor.Session = u, t
		}
	} else {
		authErr = prikke.Errorf(prikke.EUNAUTHORIZED, "Authenticate with `Authorization: Bearer pk_live_…` (create a key in the dashboard under Settings → API keys).")
	}
	if authErr != nil && !isPublic {
		a.writeError(ctx, authErr)
		return
	}
	ctx = huma.WithValue(ctx, actorKey, actor)
	ctx = huma.WithValue(ctx, requestKey, r)
	next(ctx)
}

func actorOf(ctx context.Context) *service.Actor {
	a, _ := ctx.Value(actorKey).(*service.Actor)
	return a
}

func requestOf(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey).(*http.Request)
	return r
}

// writeError writes err from middleware.
func (a *API) writeError(ctx huma.Context, err error) {
	se := a.apiError(ctx.Context(), err)
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

// bodyInput is embedded in inputs of operations that take a JSON body:
// the raw bytes, decoded strictly by decode.
type bodyInput struct {
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

// typeMessages give a field's fix when its JSON has the wrong type.
var typeMessages = map[string]string{
	"timeout_ms":              "must be an integer between 1000 and 30000",
	"retry_attempts":          "must be an integer between 0 and 10",
	"catch_up_window_seconds": "must be an integer between 60 and 604800",
	"alert_after":             "must be an integer between 1 and 100",
	"delay":                   "must be a whole number of seconds",
	"enabled":                 "must be true or false",
	"headers":                 `must be an object of header names to values, like {"Authorization": "Bearer x"}`,
}

// decode parses a JSON request body into dst, strictly.
func decode(in *bodyInput, dst any) error {
	if len(in.RawBody) == 0 {
		return huma.Error400BadRequest("The request body is required: send a JSON object.")
	}
	if mt, _, err := mime.ParseMediaType(in.ContentType); in.ContentType != "" && (err != nil || mt != "application/json") {
		return huma.NewError(http.StatusUnsupportedMediaType, "Send the body as JSON with `Content-Type: application/json`.")
	}
	err := json.Unmarshal(in.RawBody, dst, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var serr *json.SemanticError
	var synErr *jsontext.SyntacticError
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &synErr):
		name := synErr.JSONPointer.LastToken()
		loc := pointerLocation(synErr.JSONPointer)
		return huma.Error422UnprocessableEntity("The request has a duplicate key.",
			&huma.ErrorDetail{Location: loc, Message: fmt.Sprintf("duplicate key %q: give each field once", name)})
	case errors.As(err, &synErr):
		return huma.Error400BadRequest(fmt.Sprintf("The request body is not valid JSON (at byte %d): %s.", synErr.ByteOffset, synErrText(synErr)))
	case errors.Is(err, json.ErrUnknownName) && errors.As(err, &serr):
		return huma.Error422UnprocessableEntity("The request has an unknown field.",
			&huma.ErrorDetail{Location: pointerLocation(serr.JSONPointer), Message: fmt.Sprintf("unknown field %q: remove it (fields are lower case, see /docs/api)", serr.JSONPointer.LastToken())})
	case errors.As(err, &serr):
		field := strings.TrimPrefix(string(serr.JSONPointer), "/")
		top, _, _ := strings.Cut(field, "/")
		msg := typeMessages[top]
		if msg == "" {
			msg = "has the wrong type"
			if serr.GoType != nil {
				msg = "must be " + typeName(serr.GoType)
			}
		}
		return huma.Error422UnprocessableEntity("A field has the wrong type.",
			&huma.ErrorDetail{Location: pointerLocation(serr.JSONPointer), Message: msg})
	}
	return huma.Error400BadRequest("The request body is not valid JSON.")
}

func synErrText(e *jsontext.SyntacticError) string {
	s := e.Err.Error()
	if strings.Contains(s, "UTF-8") {
		return "invalid UTF-8; send UTF-8 text"
	}
	return s
}

// pointerLocation turns a JSON pointer into huma's location form.
func pointerLocation(p jsontext.Pointer) string {
	loc := "body"
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			loc += "[" + tok + "]"
		} else {
			loc += "." + tok
		}
	}
	return loc
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// cursor encodes a page position.
type cursor struct {
	At time.Time
	ID prikke.ID
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.ID.String()))
}

// parseCursor reads a cursor query parameter ("" is the first page).
func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := huma.Error400BadRequest("Invalid cursor: pass back the next_cursor of the previous page unchanged.",
		&huma.ErrorDetail{Location: "query.cursor", Message: "is not a cursor this API returned"})
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	us, id, ok := strings.Cut(string(b), ".")
	if !ok {
		return cursor{}, bad
	}
	n, err1 := strconv.ParseInt(us, 10, 64)
	uid, err2 := prikke.ParseID(id)
	if err1 != nil || err2 != nil {
		return cursor{}, bad
	}
	return cursor{At: time.UnixMicro(n).UTC(), ID: uid}, nil
}

// limit clamps a page size to 1..100 (default 50).
func limit(n int) int {
	if n == 0 {
		return 50
	}
	return min(n, 100)
}

// parseID parses a path id; a malformed one names nothing: 404.
func parseID(s string) (prikke.ID, error) {
	id, err := prikke.ParseID(s)
	if err != nil {
		return prikke.NilID, huma.Error404NotFound("Not found.")
	}
	return id, nil
}

// optID parses an optional id from a query or body field.
func optID(field, s string) (*prikke.ID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := prikke.ParseID(s)
	if err != nil {
		return nil, prikke.InvalidField(field, "is not a valid id")
	}
	return &id, nil
}
