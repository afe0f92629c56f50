package docs

import "net/http"

// ownMachineView holds the commands of /docs/own-machine.
type ownMachineView struct {
	Run, Receiver, CreateJob, Trigger, Docker string
}

// The commands of /docs/own-machine. The job is a GET so that any local
// server answers it, Python's own included.
const (
	ownMachineRun = `PRIKKE_SSRF_ALLOW=loopback make run
# or, without make:
PRIKKE_SSRF_ALLOW=loopback go run ./cmd/prikke`

	ownMachineReceiver = `python3 -m http.server 8099`

	ownMachineCreateJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "local test",
    "url": "http://localhost:8099/",
    "method": "GET",
    "interval": "hourly"
  }'`

	ownMachineDocker = `PRIKKE_SSRF_ALLOW=loopback,172.17.0.0/16 make run`
)

func (h *Docs) ShowOwnMachine(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_own_machine", ownMachineView{
		Run:       ownMachineRun,
		Receiver:  ownMachineReceiver,
		CreateJob: ownMachineCreateJob,
		Trigger:   exampleTriggerJob,
		Docker:    ownMachineDocker,
	})
}
