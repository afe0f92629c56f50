package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// showJobDelete asks for confirmation: deleting a job deletes its history.
func (h *Web) showJobDelete(w http.ResponseWriter, r *http.Request) {
	job, c, ok := h.loadJob(w, r, "jobs")
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "delete jobs") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "job_delete", c, job)
}

func (h *Web) deleteJob(w http.ResponseWriter, r *http.Request) {
	job, _, ok := h.loadJob(w, r, "jobs")
	if !ok {
		return
	}
	if err := h.svc.DeleteJob(r.Context(), actorOf(r), job.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Job “" + jobName(job) + "” and its history are deleted."})
	http.Redirect(w, r, "/app/projects/"+job.ProjectID.String()+"/jobs", http.StatusSeeOther)
}
