package docs

import (
	"fmt"
	"net/http"
)

// Pages are the docs' sections, in reading order: the index lists them
// and every docs page shows them in its sidebar.
var Pages = []Page{
	{"/docs/getting-started", "Getting started", "rocket", "Run Prikke, create an API key and schedule your first job in five minutes."},
	{"/docs/cron", "Cron syntax", "calendar-clock", "The five fields, names, steps, the day rule, time zones and what happens on daylight-saving days."},
	{"/docs/webhooks", "Webhooks", "shield-check", "The headers of every request, how to verify its signature, retries and delivery guarantees."},
	{"/docs/own-machine", "Testing against your own machine", "terminal", "Why localhost is refused, and how to deliver to your own machine in development with PRIKKE_SSRF_ALLOW."},
	{"/docs/teams", "Organizations and roles", "users", "Organizations, projects, the four roles and what each may do, invitations, API keys and the audit log."},
	{"/docs/notifications", "Notifications", "mail", "When Prikke alerts you, the channels (email, webhooks, Slack, Discord), the signed payload and per-job choices."},
	{"/docs/monitors", "Cron monitoring", "heart-pulse", "Monitors for the jobs you run yourself: the Healthchecks-compatible ping API, states and alerts, snippets, prikke run, moving from Healthchecks."},
	{"/docs/what-happened", "What happened", "history", "An execution's page: the request as sent, where the time went (DNS, connect, TLS, wait, body), copy as curl, replay, search and export."},
	{"/docs/assertions", "Assertions", "circle-check", "What a response must be for a run to succeed: status codes, body text, a JSON field, a duration limit."},
	{"/docs/redaction", "Redaction", "lock", "Header names and JSON fields whose values are never stored: in history, exports, notifications and logs."},
	{"/docs/templates", "Templates", "code", "{{ scheduled_for }}, {{ execution_id }} and date filters in a job's URL, headers and body, with a preview."},
	{"/docs/flow-control", "Flow control", "timer", "Per-destination limits that hold across a cluster: flow keys, rate, burst and parallelism, pause, holds on 429 and 503, and the API."},
	{"/docs/workflows", "Workflows", "layers", "Steps that are HTTP calls: needs, when, retries, expect, delays, for_each, templates, secrets, runs and retries from a step, with three worked examples."},
	{"/docs/status-pages", "Status pages", "globe", "Prikke's own status at /status and /status.json, incidents, and the status pages you publish for your customers."},
	{"/docs/billing", "Billing", "landmark", "For operators: selling Pro through Lemon Squeezy (store, variant, API key, webhook), what a plan change pauses and resumes, or running with billing off."},
	{"/docs/operators", "Operators", "server", "For operators: PRIKKE_OPERATOR_EMAILS, the operator console (incidents, organizations, nodes, audit), suspending an organization, and the command line."},
	{"/docs/api", "API reference", "code", "Every endpoint of the REST API by resource (jobs, the queue and executions first), with its fields and an example request and response."},
}

// Page is one entry of the docs' navigation.
type Page struct {
	Href, Title, Icon, Summary string
}

func (h *Docs) ShowIndex(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs", Pages)
}

// gettingStartedView holds the commands of the getting-started page.
type gettingStartedView struct {
	Run, Build, Env, CLIKey, CreateJob, CreateCronJob, Trigger, Executions, Enqueue, EnqueueBatch string
}

func (h *Docs) ShowGettingStarted(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_getting_started", gettingStartedView{
		Run:           exampleRun,
		Build:         exampleBuild,
		Env:           fmt.Sprintf(exampleEnv, h.deps.BaseURL),
		CLIKey:        exampleCLIKey,
		CreateJob:     exampleCreateJob,
		CreateCronJob: exampleCreateCronJob,
		Trigger:       exampleTriggerJob,
		Executions:    exampleListExecutions,
		Enqueue:       exampleEnqueue,
		EnqueueBatch:  exampleEnqueueBatch,
	})
}
