package docs

import (
	"net/http"
	"strings"

	"github.com/prikke/prikke"
)

// The pages of issue 18: what an execution shows (the request as sent,
// the waterfall, curl, replay, search and export), assertions, redaction
// and templates.

// inspectDocsView holds the facts and examples of those pages.
type inspectDocsView struct {
	Replay, ReplayEdited, ReplayFailed, Export, Search string
	AssertJob, RedactProject, TemplateJob              string
	MaxRecordedKiB, MaxBulkReplay, MaxExpectStatuses   int
	MaxExpectText, MaxRedactHeaders, MaxRedactPaths    int
	DefaultRedact                                      string
}

const (
	exampleReplay = `curl -X POST "$PRIKKE_URL/api/v1/executions/$EXECUTION_ID/replay" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleReplayEdited = `curl -X POST "$PRIKKE_URL/api/v1/executions/$EXECUTION_ID/replay" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"url": "https://example.com/hooks/report-v2", "body": "{\"report\":\"daily\"}"}'`

	exampleReplayFailed = `curl -X POST "$PRIKKE_URL/api/v1/jobs/$JOB_ID/replay-failed" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"since": "2026-12-06T00:00:00Z", "until": "2026-12-07T00:00:00Z"}'`

	exampleSearch = `curl "$PRIKKE_URL/api/v1/jobs/$JOB_ID/executions?status_class=5xx&min_duration_ms=1000&q=rate+limit" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleExport = `curl -o executions.csv \
  "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/executions/export?format=csv&status=failed&since=2026-12-01T00:00:00Z" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleAssertJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "nightly export",
    "url": "https://example.com/export",
    "cron_expression": "0 2 * * *",
    "expect": {
      "status": ["200", "202"],
      "body_not_contains": "error",
      "json_path": "data.state",
      "equals": "done",
      "max_duration_ms": 5000
    }
  }'`

	exampleRedactProject = `curl -X PATCH "$PRIKKE_URL/api/v1/projects/$PROJECT_ID" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"redact": {"headers": ["Authorization", "Cookie", "X-Api-Key"], "json_paths": ["password", "data.token"]}}'`

	exampleTemplateJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "daily report",
    "url": "https://example.com/reports?day={{ scheduled_for | previous_day | date }}",
    "method": "POST",
    "cron_expression": "0 6 * * *",
    "timezone": "Europe/Oslo",
    "headers": {"Idempotency-Key": "{{ execution_id }}"},
    "body": "{\"job\": \"{{ job.name }}\", \"attempt\": {{ attempt }}, \"at\": {{ scheduled_for | unix }}}"
  }'`
)

func (h *Docs) inspectView() inspectDocsView {
	return inspectDocsView{Replay: exampleReplay, ReplayEdited: exampleReplayEdited, ReplayFailed: exampleReplayFailed,
		Export: exampleExport, Search: exampleSearch, AssertJob: exampleAssertJob, RedactProject: exampleRedactProject,
		TemplateJob: exampleTemplateJob, MaxRecordedKiB: prikke.MaxRecordedBody >> 10, MaxBulkReplay: prikke.MaxBulkReplay,
		MaxExpectStatuses: prikke.MaxExpectStatuses, MaxExpectText: prikke.MaxExpectTextLength,
		MaxRedactHeaders: prikke.MaxRedactHeaders, MaxRedactPaths: prikke.MaxRedactJSONPaths,
		DefaultRedact: strings.Join(prikke.DefaultRedactHeaders, ", ")}
}

// ShowWhatHappened is /docs/what-happened: the execution page.
func (h *Docs) ShowWhatHappened(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_what_happened", h.inspectView())
}

// ShowAssertions is /docs/assertions.
func (h *Docs) ShowAssertions(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_assertions", h.inspectView())
}

// ShowRedaction is /docs/redaction.
func (h *Docs) ShowRedaction(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_redaction", h.inspectView())
}

// ShowTemplates is /docs/templates.
func (h *Docs) ShowTemplates(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_templates", h.inspectView())
}
