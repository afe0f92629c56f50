package docs

import (
	"net/http"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
)

// monitorsDocsView holds the examples of /docs/monitors: the ping URLs of
// an example monitor, the snippets the dashboard shows for it
// (monitor.Snippets), and the commands.
type monitorsDocsView struct {
	PingURL, SlugPingURL         string
	Create, Put, Pings           string
	Run, RunCrontab, RunSynopsis string
	Snippets                     []monitor.Snippet
	FreeBodyLimit, ProBodyLimit  int
}

// The example monitor's ping token and project ping key.
const (
	examplePingToken = "5f0d6c1e-3b7a-4c2e-9a51-0c6f1f2d8e11"
	examplePingKey   = "pk_7Hc2vQx9LmN4"
)

const (
	exampleCreateMonitor = `curl -X POST "$PRIKKE_URL/api/v1/monitors" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "nightly backup",
    "slug": "nightly-backup",
    "cron": "0 3 * * *",
    "timezone": "Europe/Oslo",
    "grace": "30m",
    "max_runtime": "2h"
  }'`

	examplePutMonitor = `curl -X PUT "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/monitors/by-slug/nightly-backup" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"cron": "0 3 * * *", "timezone": "Europe/Oslo", "grace": "30m", "fail_threshold": 2}'`

	// examplePings: %[1]s is the ping URL.
	examplePings = `RID=$(cat /proc/sys/kernel/random/uuid)
curl -fsS -m 10 "%[1]s/start?rid=$RID"   # the run started
curl -fsS -m 10 "%[1]s?rid=$RID"         # it succeeded
curl -fsS -m 10 "%[1]s/1?rid=$RID"       # or: it exited with status 1, a failure
curl -fsS -m 10 "%[1]s/fail"             # a failure, whatever the status
curl -fsS -m 10 --data-binary @report.txt "%[1]s/log"   # a note in the log; no change`

	exampleRunSynopsis = `prikke run --ping URL [--timeout 10s] [--retries 5] [--body-limit 10000] -- COMMAND [ARGUMENTS]`
)

func (h *Docs) ShowMonitors(w http.ResponseWriter, r *http.Request) {
	ping := h.deps.BaseURL + "/ping/" + examplePingToken
	slug := h.deps.BaseURL + "/ping/" + examplePingKey + "/nightly-backup"
	run := "prikke run --ping " + ping + " -- /usr/local/bin/backup.sh --full"
	h.deps.Render(w, r, http.StatusOK, "docs_monitors", monitorsDocsView{
		PingURL:       ping,
		SlugPingURL:   slug,
		Create:        exampleCreateMonitor,
		Put:           examplePutMonitor,
		Pings:         strings.ReplaceAll(examplePings, "%[1]s", ping),
		Run:           run,
		RunCrontab:    "0 3 * * * " + run,
		RunSynopsis:   exampleRunSynopsis,
		Snippets:      monitor.Snippets(ping),
		FreeBodyLimit: prikke.TierFree.PingBodyLimit(),
		ProBodyLimit:  prikke.TierPro.PingBodyLimit(),
	})
}
