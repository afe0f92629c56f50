package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// exportJobExecutions and exportProjectExecutions download the filtered
// history (the list's filters, every page) as CSV or JSON lines.
func (h *Web) exportJobExecutions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "job_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.exportExecutions(w, r, "job-"+id.String(), func(f *service.ExecutionFilter) { f.JobID = &id })
}

func (h *Web) exportProjectExecutions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.exportExecutions(w, r, "project-"+id.String(), func(f *service.ExecutionFilter) { f.ProjectID = &id })
}

func (h *Web) exportExecutions(w http.ResponseWriter, r *http.Request, name string, scope func(*service.ExecutionFilter)) {
	format := r.URL.Query().Get("format")
	ctype := "text/csv; charset=utf-8"
	if format == service.ExportJSONL {
		ctype = "application/x-ndjson"
	} else {
		format = service.ExportCSV
	}
	now := h.now()
	sf := parseExecutionFilter(r.URL.Query()).serviceFilter(now)
	sf.BeforeCreatedAt, sf.BeforeID, sf.Limit = time.Time{}, prikke.NilID, 0
	scope(&sf)
	ew := &exportWriter{w: w, start: func() {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="executions-%s-%s.%s"`, name, now.UTC().Format("20060102T150405Z"), format))
	}}
	if err := h.svc.ExportExecutions(r.Context(), actorOf(r), sf, format, ew); err != nil {
		if !ew.started {
			h.fail(w, r, err)
			return
		}
		// The status is sent: the download ends short, and the log says why.
		h.log.Error("web: export executions", "error", err, "request_id", w.Header().Get("X-Request-Id"))
		return
	}
	if !ew.started {
		ew.start() // nothing was written (an empty JSON lines export)
		w.WriteHeader(http.StatusOK)
	}
}

// exportWriter sets the download's headers at the first write, so an
// error found before any row still gets its error page.
type exportWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (e *exportWriter) Write(p []byte) (int, error) {
	if !e.started {
		e.started = true
		e.start()
	}
	return e.w.Write(p)
}
