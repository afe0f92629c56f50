package docs

import (
	"net/http"

	"github.com/prikke/prikke"
)

// workflowDocsView holds the examples and limits of /docs/workflows. The
// examples are Go strings because they are full of {{ }}, which the page's
// own template would read as its actions.
type workflowDocsView struct {
	Login, Fanout, FollowUp, Create, Run, RunAnswer, Retry, Cancel, Secret string
	Syntax, Header                                                         string
	FreeSteps, ProSteps, ProItems, DefaultConcurrency, MaxConcurrency      int
	MaxRetries, MaxWhen, MaxKey, MaxSecrets                                int
	MaxPayloadKiB, MaxOutputKiB, MaxSecretKiB                              int
}

const (
	exampleWorkflowSyntax = `{{ payload.user.id }}                  the trigger payload
{{ run.id }}  {{ run.scheduled_for }}   the run
{{ steps.login.status }}              an earlier step's response status
{{ steps.login.headers.content-type }} … its headers (lower-case names)
{{ steps.login.json.token }}          … its body, parsed when it is JSON
{{ steps.list.json.items[0].id }}     [N] indexes an array
{{ item.id }}  {{ index }}            the element and position, in a for_each step
{{ secrets.API_KEY }}                 a project secret
{{ payload.name | url }}              percent-encoded for a URL
{{ steps.list.json.items | json }}    the value as JSON (a string quoted)
{{{{                                  a literal {{`

	exampleWorkflowHeader = `Idempotency-Key: <run id>.<step key>            one step
Idempotency-Key: <run id>.<step key>.<item>     one item of a for_each step`

	exampleWorkflowLogin = `{
  "steps": [
    {
      "key": "login",
      "method": "POST",
      "url": "https://api.example.com/oauth/token",
      "headers": {"Content-Type": "application/json"},
      "body": "{\"client_id\": \"reports\", \"client_secret\": \"{{ secrets.CLIENT_SECRET }}\"}",
      "expect": {"status": ["200"], "json_path": "token_type", "equals": "Bearer"}
    },
    {
      "key": "report",
      "method": "POST",
      "url": "https://api.example.com/reports/{{ payload.report_id | url }}/run",
      "headers": {"Authorization": "Bearer {{ steps.login.json.access_token }}"},
      "retry": {"attempts": 3, "backoff": "exponential", "delay": "10s", "on": ["5xx", "timeout"]}
    }
  ]
}`

	exampleWorkflowFanout = `{
  "steps": [
    {
      "key": "list",
      "url": "https://shop.example.com/api/orders?status=unpaid"
    },
    {
      "key": "remind",
      "method": "POST",
      "url": "https://mail.example.com/api/send",
      "headers": {"Content-Type": "application/json"},
      "body": "{\"to\": {{ item.email | json }}, \"order\": {{ item.id }}, \"n\": {{ index }}}",
      "for_each": "steps.list.json.orders",
      "max_concurrency": 5,
      "on_failure": "continue"
    },
    {
      "key": "done",
      "method": "POST",
      "url": "https://hooks.example.com/reminders-sent",
      "when": "steps.list.status == 200"
    }
  ]
}`

	exampleWorkflowFollowUp = `{
  "steps": [
    {
      "key": "welcome",
      "method": "POST",
      "url": "https://crm.example.com/api/users/{{ payload.user_id }}/welcome"
    },
    {
      "key": "wait",
      "delay": {"duration": "24h"}
    },
    {
      "key": "check",
      "url": "https://crm.example.com/api/users/{{ payload.user_id }}"
    },
    {
      "key": "nudge",
      "method": "POST",
      "url": "https://crm.example.com/api/users/{{ payload.user_id }}/nudge",
      "when": "steps.check.json.activated == false"
    }
  ]
}`

	exampleWorkflowCreate = `curl -X POST "$PRIKKE_URL/api/v1/workflows" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"project_id": "'$PROJECT_ID'", "name": "nightly report", "definition": {"steps": [
        {"key": "login", "method": "POST", "url": "https://api.example.com/oauth/token"},
        {"key": "report", "method": "POST", "url": "https://api.example.com/reports/run"}]}}'`

	exampleWorkflowRun = `curl -X POST "$PRIKKE_URL/api/v1/workflows/$WORKFLOW_ID/runs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -H "Idempotency-Key: report-2026-12-06" \
  -d '{"report_id": "r_42"}'`

	exampleWorkflowRetry = `curl -X POST "$PRIKKE_URL/api/v1/runs/$RUN_ID/retry" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"from": "report"}'`

	exampleWorkflowCancel = `curl -X POST "$PRIKKE_URL/api/v1/runs/$RUN_ID/cancel" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleWorkflowSecret = `curl -X PUT "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/secrets/CLIENT_SECRET" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"value": "s3cr3t"}'`
)

func (h *Docs) ShowWorkflows(w http.ResponseWriter, r *http.Request) {
	free, pro := prikke.TierFree.Limits(), prikke.TierPro.Limits()
	h.deps.Render(w, r, http.StatusOK, "docs_workflows", workflowDocsView{
		Login: exampleWorkflowLogin, Fanout: exampleWorkflowFanout, FollowUp: exampleWorkflowFollowUp,
		Create: exampleWorkflowCreate, Run: exampleWorkflowRun, Retry: exampleWorkflowRetry,
		Cancel: exampleWorkflowCancel, Secret: exampleWorkflowSecret,
		Syntax: exampleWorkflowSyntax, Header: exampleWorkflowHeader,
		FreeSteps: free.WorkflowSteps, ProSteps: pro.WorkflowSteps, ProItems: pro.ForEachItems,
		DefaultConcurrency: prikke.DefaultMaxConcurrency, MaxConcurrency: prikke.MaxConcurrencyLimit,
		MaxRetries: prikke.MaxStepRetryAttempts, MaxWhen: prikke.MaxWhenLength, MaxKey: prikke.MaxStepKeyLength,
		MaxSecrets: prikke.MaxSecretsPerProject, MaxPayloadKiB: prikke.MaxRunPayloadBytes >> 10,
		MaxOutputKiB: prikke.MaxStepOutputBytes >> 10, MaxSecretKiB: prikke.MaxSecretValueBytes >> 10,
	})
}
