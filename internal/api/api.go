// Package api is Prikke's REST API, /api/v1: typed operations on huma over
// the stdlib mux, with the OpenAPI 3.1 document generated from the code
// and served at /api/v1/openapi.json. The webhooks Prikke receives
// (/webhooks/lemonsqueezy, signed by their sender, with no session or key)
// are operations of the same document. Every route is listed in routes.go,
// one line each; each resource has its own file, with its operations'
// reference text. Handlers return errors as they are: register turns them
// into problem+json in one place, by the mapping the dashboard shares
// (httpserver.ProblemOf). Requests authenticate with
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
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
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

// New registers every operation on mux and returns the API.
func New(mux *http.ServeMux, d Deps) *API {
	cfg := huma.DefaultConfig("Prikke API", prikke.Version)
	cfg.OpenAPIPath = "/api/v1/openapi"
	cfg.DocsPath = ""    // the docs are /docs/api, served by Prikke (no CDN)
	cfg.SchemasPath = "" // no $schema links in bodies
	cfg.CreateHooks = nil
	cfg.Info.Description = "Cron scheduling and webhook delivery, til punkt og prikke. Authenticate with `Authorization: Bearer pk_live_…`.\n\n" +
		"Errors are `application/problem+json` (RFC 9457). 403 Forbidden means the key or the member's role may not do this, " +
		"or that the operator of this Prikke suspended the organization: then every request with its API keys, and every change its members try, " +
		"answers 403 with a `detail` of `This organization is suspended by the operator: ` and the operator's reason, until the suspension is lifted."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API key: pk_live_<id>_<secret>"},
		"cookie": {Type: "apiKey", In: "cookie", Name: d.Cookie.Name(), Description: "The dashboard's session"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
	// The reference (/docs/api) shows the resources in this order: what
	// most clients need first.
	cfg.Tags = []*huma.Tag{
		{Name: "Jobs", Description: "A job calls a URL on a schedule: a cron expression in a time zone, a simple interval, or once at a given instant. Every request is signed (see /docs/webhooks)."},
		{Name: "Queue", Description: "Deliver one request now or later, with retries, without a schedule, or up to 1000 in one call (POST /queue/batch). An Idempotency-Key makes a retried enqueue safe."},
		{Name: "Executions", Description: "An execution is one delivery attempt: its status, timing, and the response's status, headers and first 64 KiB of body. History is kept 7 days on Free and 30 on Pro."},
		{Name: "Workflows", Description: "A workflow is a project's versioned list of steps, each an HTTP call (or a delay) that runs after the steps it needs and can use their responses through templates. Start a run through the API (with an Idempotency-Key), from the dashboard, or with a job that targets the workflow; follow it step by step, cancel it, or retry it from a failed step. See /docs/workflows."},
		{Name: "Secrets", Description: "A project's secrets: values such as API tokens that workflow steps use as {{ secrets.NAME }}. Write-only: sealed at rest, filled in only as a request is sent, never returned or kept in history."},
		{Name: "Flow control", Description: "Limits on how Prikke calls one destination, across every node: at most rate requests per period and parallelism in flight for a flow key (by default a job's or queued request's host:port; a job's flow_key or a queued request's Prikke-Flow-Control-Key header names another). Requests over the limit wait in order, and an endpoint's 429 or 503 with Retry-After holds its key. See /docs/flow-control."},
		{Name: "Monitors", Description: "A monitor watches your own cron job: the job pings its URL (/ping/<uuid>, Healthchecks-compatible) when it starts and ends, and Prikke alerts when a ping is missing, a run fails, or a run takes too long. See /docs/monitors."},
		{Name: "Pings", Description: "What a monitor received (each ping with its method, source, exit status and body) and how its status changed (its flips)."},
		{Name: "Schedules", Description: "Check a cron expression before you use it."},
		{Name: "Projects", Description: "A project groups jobs with their signing secret, notification channels and status pages."},
		{Name: "Notifications", Description: "Channels (email, webhooks, Slack, Discord) that hear when a job starts failing or recovers, and the record of every send."},
		{Name: "Status pages", Description: "Public pages at /s/<slug> that show chosen jobs' states and uptime to your customers."},
		{Name: "API keys", Description: "Keys that authenticate API requests: `Authorization: Bearer pk_live_…`."},
		{Name: "Organizations", Description: "Organizations own projects and the plan; members have roles (see /docs/teams)."},
		{Name: "Billing", Description: "The plan an organization has and its Lemon Squeezy subscription: checkout for Pro, the customer portal, and the webhook through which Lemon Squeezy tells Prikke what changed (see /docs/billing). On a Prikke without billing its operator sets the plans."},
		{Name: "Account", Description: "Signing up and in with a session cookie, as the dashboard does, and managing your own account."},
	}
	a := &API{svc: d.Service, log: d.Logger.With("service", "api"), deps: d}
	a.huma = humago.New(mux, cfg)
	a.huma.UseMiddleware(a.authenticate, a.checkRequest)
	a.routes()
	mux.HandleFunc("/api/v1/", a.unrouted)
	mux.HandleFunc("/webhooks/", a.unrouted)
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

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + c.ID.String()))
}
