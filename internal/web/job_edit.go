package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// showJobEdit shows the editor with the job's definition.
func (h *Web) showJobEdit(w http.ResponseWriter, r *http.Request) {
	job, c, ok := h.loadJob(w, r, "jobs")
	if !ok {
		return
	}
	if h.forbid(w, r, c, prikke.PermManageJobs, "change jobs") {
		return
	}
	if job.Kind == prikke.JobKindQueue {
		h.fail(w, r, prikke.Errorf(prikke.EINVALID, "Queued requests cannot be edited; enqueue a new one."))
		return
	}
	h.renderEditor(w, r, http.StatusOK, c, jobFormValues(job), job)
}

// updateJob saves the edited job, or shows the editor again with the
// problems beside the fields.
func (h *Web) updateJob(w http.ResponseWriter, r *http.Request) {
	job, c, ok := h.loadJob(w, r, "jobs")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in, idx := jobInput(form, job)
	updated, err := h.svc.UpdateJob(r.Context(), actorOf(r), job.ID, in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addJobErrors(form, err, idx)
		h.renderEditor(w, r, statusOf(err), c, form, job)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Job “" + jobName(updated) + "” saved."})
	http.Redirect(w, r, "/app/jobs/"+job.ID.String(), http.StatusSeeOther)
}

// loadJob loads the job of the URL's {job_id} and its project's context;
// on failure it has answered the request.
func (h *Web) loadJob(w http.ResponseWriter, r *http.Request, section string) (*prikke.Job, *appContext, bool) {
	id, err := pathID(r, "job_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	job, err := h.svc.Job(r.Context(), actorOf(r), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	c, err := h.projectContext(w, r, job.ProjectID, section)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return job, c, true
}
