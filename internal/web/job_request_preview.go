package web

import (
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// requestPreviewView is the "request_preview" fragment: the next request
// the editor's job would send, templates rendered, or why it cannot be
// rendered (each problem linking to its field).
type requestPreviewView struct {
	Error  string
	Fields []page.FormError
	Zone   *time.Location
	P      *service.RequestPreview
}

// previewRequest answers the editor's "Preview next request" with the
// "request_preview" fragment; always a 200 that explains (htmx swaps only
// successes). ?job=<id> is the job edited.
func (h *Web) previewRequest(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	pid, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.svc.Project(ctx, a, pid); err != nil {
		h.fail(w, r, err) // another tenant's project is a 404, not a fragment
		return
	}
	var jobID *prikke.ID
	var current *prikke.Job
	if s := r.URL.Query().Get("job"); s != "" {
		id, err := prikke.ParseID(s)
		if err != nil {
			h.fail(w, r, prikke.Errorf(prikke.ENOTFOUND, "Not found."))
			return
		}
		if current, err = h.svc.Job(ctx, a, id); err != nil {
			h.fail(w, r, err)
			return
		}
		jobID = &id
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	in, idx := jobInput(form, current)
	pv, err := h.svc.PreviewJobRequest(ctx, a, pid, jobID, *in)
	if prikke.ErrorCode(err) == prikke.ENOTFOUND {
		h.fail(w, r, err)
		return
	}
	v := requestPreviewView{P: pv, Zone: time.UTC}
	if loc, err := cron.LoadLocation(form.Get("timezone")); err == nil {
		v.Zone = loc // the job's zone, as the schedule preview
	}
	if err != nil {
		v.P = nil
		v.Error = "The request cannot be rendered."
		switch {
		case prikke.ErrorCode(err) == prikke.EFORBIDDEN || formError(err):
			addJobErrors(form, err, idx)
			for _, fe := range form.List() {
				if fe.Field == "" {
					v.Error = fe.Message
					continue
				}
				v.Fields = append(v.Fields, fe)
			}
		default:
			h.log.Error("web: preview request", "error", err, "request_id", w.Header().Get("X-Request-Id"))
			v.Error = "Something went wrong on our side; no preview."
		}
	}
	h.renderPartial(w, r, http.StatusOK, "request_preview", v)
}
