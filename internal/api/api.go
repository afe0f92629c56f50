// Package api is Prikke's REST API, /api/v1: typed operations on huma over
// the stdlib mux, with the OpenAPI 3.1 document generated from the code
// and served at /api/v1/openapi.json. Every route is listed in routes.go;
// each resource has its own file. Requests authenticate with
// `Authorization: Bearer pk_live_…` or, for the dashboard, the session
// cookie. Every error is RFC 9457 problem+json in huma's shape, whose
// errors[] entries name the field (location) and say how to fix it.
//
// Request bodies are decoded strictly, by this package rather than huma:
// malformed JSON (including invalid UTF-8 and nesting deeper than the
// parser's limit) is 400; unknown fields, duplicate keys and wrong types
// are 422; bodies over 1 MiB are 413; anything but application/json is
// 415. A query string that is not correctly percent-encoded is 400.
package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
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
	// The reference (/docs/api) shows the resources in this order: what
	// most clients need first.
	cfg.Tags = []*huma.Tag{
		{Name: "Jobs", Description: "A job calls a URL on a schedule: a cron expression in a time zone, a simple interval, or once at a given instant. Every request is signed (see /docs/webhooks)."},
		{Name: "Queue", Description: "Deliver one request now or later, with retries, without a schedule. An Idempotency-Key makes a retried enqueue safe."},
		{Name: "Executions", Description: "An execution is one delivery attempt: its status, timing, and the response's status, headers and first 64 KiB of body. History is kept 7 days on Free and 30 on Pro."},
		{Name: "Schedules", Description: "Check a cron expression before you use it."},
		{Name: "Projects", Description: "A project groups jobs with their signing secret, notification channels and status pages."},
		{Name: "Notifications", Description: "Channels (email, webhooks, Slack, Discord) that hear when a job starts failing or recovers, and the record of every send."},
		{Name: "Status pages", Description: "Public pages at /s/<slug> that show chosen jobs' states and uptime to your customers."},
		{Name: "API keys", Description: "Keys that authenticate API requests: `Authorization: Bearer pk_live_…`."},
		{Name: "Organizations", Description: "Organizations own projects and the plan; members have roles (see /docs/teams)."},
		{Name: "Account", Description: "Signing up and in with a session cookie, as the dashboard does, and managing your own account."},
	}
	a := &API{svc: d.Service, log: d.Logger.With("service", "api"), deps: d}
	a.huma = humago.New(mux, cfg)
	a.huma.UseMiddleware(a.authenticate, a.checkRequest)
	a.routes()
	mux.HandleFunc("/api/v1/", a.unrouted)
	return a
}

// unrouted answers requests no operation takes, in problem+json like every
// other API error: 405 with Allow when the path exists for other methods,
// else 404.
func (a *API) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range a.Routes() {
		if pathMatches(rt.Path, r.URL.Path) && !slices.Contains(allow, rt.Method) {
			allow = append(allow, rt.Method)
		}
	}
	slices.Sort(allow)
	ctx := humago.NewContext(&huma.Operation{}, r, w)
	if len(allow) == 0 {
		_ = huma.WriteErr(a.huma, ctx, http.StatusNotFound, "There is no such endpoint; see /docs/api for the API's operations.")
		return
	}
	ctx.SetHeader("Allow", strings.Join(allow, ", "))
	_ = huma.WriteErr(a.huma, ctx, http.StatusMethodNotAllowed,
		fmt.Sprintf("%s is not allowed here; use %s.", r.Method, strings.Join(allow, " or ")))
}

// pathMatches reports whether path fits an operation's path template.
func pathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, t := range ts {
		if !(strings.HasPrefix(t, "{") && ps[i] != "") && t != ps[i] {
			return false
		}
	}
	return true
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
		// The scheme is case-insensitive (RFC 9110 §11.1).
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
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
		authErr = prikke.Errorf(prikke.EUNAUTHORIZED, "Authenticate with `Authorization: Bearer pk_live_…` (create one in the dashboard under Organization → API keys).")
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

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// checkRequest refuses, before an operation runs, a query string that is
// not correctly percent-encoded (400: huma would silently read such a
// parameter as absent), a body that is not application/json (415), and a
// body over MaxBodyBytes (413). It runs after authenticate, so an
// unauthenticated caller cannot make the server buffer a body.
func (a *API) checkRequest(ctx huma.Context, next func(huma.Context)) {
	r, _ := humago.Unwrap(ctx)
	if err := checkQuery(r.URL.RawQuery); err != nil {
		a.writeError(ctx, err)
		return
	}
	if rb := ctx.Operation().RequestBody; rb != nil {
		var b []byte
		var err error
		if r.Body != nil && r.Body != http.NoBody {
			b, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		}
		switch {
		case len(b) == 0 && err == nil && rb.Required:
			a.writeError(ctx, huma.Error400BadRequest("The request body is required: send a JSON object."))
			return
		case err != nil:
			a.writeError(ctx, huma.Error400BadRequest("The request body could not be read; send it again."))
			return
		case len(b) > MaxBodyBytes:
			a.writeError(ctx, huma.NewError(http.StatusRequestEntityTooLarge,
				"The request body is too large: max 1 MiB (1048576 bytes). Send less data, for example a link to it instead of the data itself."))
			return
		case len(b) > 0 && !isJSON(r.Header.Get("Content-Type")):
			a.writeError(ctx, huma.NewError(http.StatusUnsupportedMediaType,
				"Send the body as JSON with `Content-Type: application/json`."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	next(ctx)
}

// isJSON reports whether a Content-Type is JSON; an absent one counts as
// JSON, the API's only body format.
func isJSON(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// checkQuery returns a 400 naming the first parameter whose name or value
// is not correctly percent-encoded.
func checkQuery(raw string) error {
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		_, err2 := url.QueryUnescape(v)
		if err1 == nil && err2 == nil {
			continue
		}
		if err1 != nil || name == "" {
			name = "?"
		}
		return huma.Error400BadRequest("The query string is not correctly percent-encoded.",
			&huma.ErrorDetail{Location: "query." + name, Message: "is not correctly percent-encoded: write % as %25 and escape reserved characters (use your HTTP library's URL encoding)"})
	}
	return nil
}

// bodyInput is embedded in inputs of operations that take a JSON body:
// the raw bytes (at most MaxBodyBytes, JSON by content type: see
// checkRequest), decoded strictly by decode.
type bodyInput struct {
	RawBody []byte
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

// decode parses a JSON request body into dst, strictly. The syntax is
// checked first, on its own, so that a body that is not JSON (bad syntax,
// invalid UTF-8, nesting deeper than the parser's limit of 10 000) is a 400
// whatever its shape, and only well-formed JSON meets the type checks.
func decode(in *bodyInput, dst any) error {
	if len(in.RawBody) == 0 {
		return huma.Error400BadRequest("The request body is required: send a JSON object.")
	}
	if err := checkSyntax(in.RawBody); err != nil {
		return err
	}
	err := json.Unmarshal(in.RawBody, dst, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var serr *json.SemanticError
	var synErr *jsontext.SyntacticError
	switch {
	case errors.As(err, &synErr):
		return syntaxError(synErr)
	case errors.Is(err, json.ErrUnknownName) && errors.As(err, &serr):
		return huma.Error422UnprocessableEntity("The request has an unknown field.",
			&huma.ErrorDetail{Location: pointerLocation(serr.JSONPointer), Message: fmt.Sprintf("unknown field %q: remove it (field names are lower case, see /docs/api)", serr.JSONPointer.LastToken())})
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

// checkSyntax checks that b is exactly one well-formed JSON value with
// unique object member names.
func checkSyntax(b []byte) error {
	d := jsontext.NewDecoder(bytes.NewReader(b))
	_, err := d.ReadValue()
	if err == nil {
		if _, err = d.ReadToken(); err == io.EOF {
			return nil
		}
	}
	var synErr *jsontext.SyntacticError
	if errors.As(err, &synErr) {
		return syntaxError(synErr)
	}
	return huma.Error400BadRequest("The request body is not valid JSON: send one JSON object.")
}

// syntaxError turns a syntax error into a 400, or a 422 for a duplicate
// key (the JSON is well-formed, but the request is ambiguous).
func syntaxError(e *jsontext.SyntacticError) error {
	if errors.Is(e, jsontext.ErrDuplicateName) {
		return huma.Error422UnprocessableEntity("The request has a duplicate key.",
			&huma.ErrorDetail{Location: pointerLocation(e.JSONPointer), Message: fmt.Sprintf("duplicate key %q: give each field once", e.JSONPointer.LastToken())})
	}
	reason := strings.TrimPrefix(e.Err.Error(), "jsontext: ")
	msg := "is not valid JSON: " + reason
	switch {
	case strings.Contains(reason, "UTF-8"):
		reason, msg = "invalid UTF-8", "is not valid UTF-8: send UTF-8 text"
	case strings.Contains(reason, "max depth"):
		reason, msg = "nested deeper than 10000 levels", ""
	}
	detail := fmt.Sprintf("The request body is not valid JSON at byte %d: %s. Send one JSON object.", e.ByteOffset, reason)
	if e.JSONPointer == "" || msg == "" || len(e.JSONPointer) > 200 {
		return huma.Error400BadRequest(detail)
	}
	return huma.Error400BadRequest(detail, &huma.ErrorDetail{Location: pointerLocation(e.JSONPointer), Message: msg})
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

// listFor answers a list operation: the service's items for the id in the
// path, each in its API form (an empty list, never null).
func listFor[T, O any](ctx context.Context, a *API, rawID string, list func(context.Context, *service.Actor, prikke.ID) ([]T, error), out func(T) O) (*struct{ Body []O }, error) {
	id, err := parseID(rawID)
	if err != nil {
		return nil, err
	}
	items, err := list(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	body := make([]O, 0, len(items))
	for _, it := range items {
		body = append(body, out(it))
	}
	return &struct{ Body []O }{body}, nil
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
