package docs

import (
	"net/http"

	"github.com/prikke/prikke"
)

// flowDocsView holds the examples of /docs/flow-control.
type flowDocsView struct {
	Put, Get, List, Pause, Resume, Release, Delete, JobKey, Queue, PutAnswer   string
	RateMax, BurstMax, ParallelMax, KeysPerProject, KeyMax, CountCap, HoldKeys int
}

const (
	exampleFlowPut = `curl -X PUT "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/api.example.com:443" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"rate": 20, "period": "1s", "burst": 1, "parallelism": 5}'`

	exampleFlowPutAnswer = `{
  "key": "api.example.com:443",
  "rate": 20,
  "period": "1s",
  "burst": 1,
  "parallelism": 5,
  "paused": false,
  "held_until": null,
  "hold_reason": "",
  "waiting": 0,
  "in_flight": 0,
  "next_slot": null,
  "configured": true,
  "created_at": "2026-12-06T14:00:00Z",
  "updated_at": "2026-12-06T14:00:00Z"
}`

	exampleFlowGet = `curl "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/api.example.com:443" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowList = `curl "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowPause = `curl -X POST "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/billing-api/pause" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowResume = `curl -X POST "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/billing-api/resume" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowRelease = `curl -X POST "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/api.example.com:443/release" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowDelete = `curl -X DELETE "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/api.example.com:443" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleFlowJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "sync invoices",
    "url": "https://billing.example.com/sync",
    "method": "POST",
    "cron_expression": "*/5 * * * *",
    "flow_key": "billing-api"
  }'`

	exampleFlowQueue = `curl -X POST "$PRIKKE_URL/api/v1/queue" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -H "Prikke-Flow-Control-Key: billing-api" \
  -d '{"url": "https://billing.example.com/invoices/42", "method": "POST", "body": "{\"id\": 42}"}'`
)

func (h *Docs) ShowFlowControl(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_flow_control", flowDocsView{
		Put: exampleFlowPut, PutAnswer: exampleFlowPutAnswer, Get: exampleFlowGet, List: exampleFlowList,
		Pause: exampleFlowPause, Resume: exampleFlowResume, Release: exampleFlowRelease, Delete: exampleFlowDelete,
		JobKey: exampleFlowJob, Queue: exampleFlowQueue,
		RateMax: prikke.FlowRateMax, BurstMax: prikke.FlowBurstMax, ParallelMax: prikke.FlowParallelMax,
		KeysPerProject: prikke.FlowKeysPerProject, KeyMax: prikke.FlowKeyMaxLength, CountCap: prikke.FlowCountCap, HoldKeys: prikke.FlowHoldKeysPerProject,
	})
}
