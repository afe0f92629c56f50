package docs

import (
	"fmt"
	"net/http"
	"strings"
)

// notificationsDocsView holds the examples of /docs/notifications. The
// payloads are those internal/notify sends; TestNotificationPayloadExample
// decodes the webhook one into notify.WebhookPayload, field for field.
type notificationsDocsView struct {
	Webhook, Headers, Slack, Discord, VerifyGo string
}

// The examples' ids are fixed, so the page is the same on every load.
const (
	exampleProjectID   = "0193a0c4-5e1f-7b2a-9c3d-4e5f6a7b8c9d"
	exampleJobID       = "0193a0c4-6a2b-7c3d-8e4f-5a6b7c8d9e0f"
	exampleExecutionID = "0193a0c5-1b2c-7d3e-9f4a-6b7c8d9e0f1a"
)

// exampleWebhookPayload is a job.failing notification; %[1]s is the base
// URL, the ids follow.
const exampleWebhookPayload = `{
  "type": "job.failing",
  "occurred_at": "2026-11-24T09:30:02Z",
  "project": {
    "id": "%[2]s",
    "name": "Production"
  },
  "job": {
    "id": "%[3]s",
    "name": "nightly report",
    "url": "https://example.com/reports/nightly",
    "link": "%[1]s/app/jobs/%[3]s"
  },
  "execution": {
    "id": "%[4]s",
    "status": "failed",
    "status_code": 500,
    "error": "HTTP 500",
    "scheduled_for": "2026-11-24T09:30:00Z",
    "attempt": 1,
    "link": "%[1]s/app/executions/%[4]s"
  }
}`

const exampleNotificationHeaders = `POST /alerts HTTP/1.1
Content-Type: application/json
User-Agent: Prikke/1.0
webhook-id: msg_0193a0c57d2e7f3a8b4c5d6e7f8a9b0c
webhook-timestamp: 1795512602
webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=`

const exampleSlackPayload = `{
  "text": "nightly report is failing (Production)",
  "blocks": [
    {
      "type": "section",
      "text": { "type": "mrkdwn", "text": ":red_circle: *nightly report is failing*" }
    },
    {
      "type": "section",
      "fields": [
        { "type": "mrkdwn", "text": "*Project*\nProduction" },
        { "type": "mrkdwn", "text": "*Job*\nnightly report" },
        { "type": "mrkdwn", "text": "*Outcome*\nHTTP 500" },
        { "type": "mrkdwn", "text": "*Scheduled for*\n2026-11-24T09:30:00Z" }
      ]
    },
    {
      "type": "context",
      "elements": [
        { "type": "mrkdwn", "text": "<%[1]s/app/executions/%[4]s|View in prikke>" }
      ]
    }
  ]
}`

const exampleDiscordPayload = `{
  "content": "nightly report is failing",
  "embeds": [
    {
      "title": "nightly report is failing",
      "url": "%[1]s/app/executions/%[4]s",
      "color": 15680580,
      "fields": [
        { "name": "Project", "value": "Production", "inline": true },
        { "name": "Job", "value": "nightly report", "inline": true },
        { "name": "Outcome", "value": "HTTP 500", "inline": false },
        { "name": "Scheduled for", "value": "2026-11-24T09:30:00Z", "inline": true }
      ],
      "timestamp": "2026-11-24T09:30:02Z"
    }
  ],
  "allowed_mentions": { "parse": [] }
}`

// withIDs fills an example's base URL and ids.
func (h *Docs) withIDs(example string) string {
	return fmt.Sprintf(example, h.deps.BaseURL, exampleProjectID, exampleJobID, exampleExecutionID)
}

func (h *Docs) ShowNotifications(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_notifications", notificationsDocsView{
		Webhook: h.withIDs(exampleWebhookPayload), Headers: exampleNotificationHeaders,
		Slack: h.withIDs(exampleSlackPayload), Discord: h.withIDs(exampleDiscordPayload), VerifyGo: verifyGo,
	})
}

// statusDocsView holds the examples of /docs/status-pages.
type statusDocsView struct {
	JSON, Open, Update, Resolve string
}

const exampleStatusJSON = `{
  "status": "degraded",
  "components": [
    { "name": "api", "status": "operational", "uptime_percent": 100, "days": [ … ] },
    { "name": "dashboard", "status": "operational", "uptime_percent": 100, "days": [ … ] },
    {
      "name": "scheduler",
      "status": "degraded",
      "detail": "The scheduler last reported 45s ago.",
      "uptime_percent": 99.97,
      "days": [
        { "date": "2026-11-24", "status": "operational", "uptime_percent": 99.97, "checks": 5760 },
        { "date": "2026-11-25", "status": "operational", "uptime_percent": 100, "checks": 5740, "maintenance_seconds": 300 },
        …
      ]
    },
    { "name": "delivery", "status": "operational", "uptime_percent": 99.99, "days": [ … ] }
  ],
  "incidents": [
    {
      "id": "0193a0c6-2c3d-7e4f-8a5b-7c8d9e0f1a2b",
      "title": "Slow deliveries in Frankfurt",
      "status": "identified",
      "components": ["delivery"],
      "created_at": "2026-11-24T09:12:00Z",
      "updates": [
        { "status": "identified", "message": "A network problem at our host slows outgoing requests.", "created_at": "2026-11-24T09:40:00Z" },
        { "status": "investigating", "message": "Deliveries start up to a minute late.", "created_at": "2026-11-24T09:12:00Z" }
      ]
    }
  ],
  "updated_at": "2026-11-24T10:00:00Z"
}`

const (
	exampleIncidentOpen = `prikke incident open --title "Slow deliveries in Frankfurt" \
  --message "Deliveries start up to a minute late." --components delivery`
	exampleIncidentUpdate = `prikke incident update $INCIDENT_ID --status identified \
  --message "A network problem at our host slows outgoing requests."`
	exampleIncidentResolve = `prikke incident resolve $INCIDENT_ID --message "Deliveries are on time again."`
)

func (h *Docs) ShowStatusPages(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_status_pages", statusDocsView{
		JSON: strings.TrimSpace(exampleStatusJSON), Open: exampleIncidentOpen, Update: exampleIncidentUpdate, Resolve: exampleIncidentResolve,
	})
}
