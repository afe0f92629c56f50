package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// The job's one-click actions: pause, resume, run now. Each is a POST
// from a small form on the job's page or the jobs list, and returns to
// the page it came from (the form's "back" field, when it is local).

func (h *Web) pauseJob(w http.ResponseWriter, r *http.Request) {
	h.jobAction(w, r, func(a actionArgs) (string, error) {
		j, err := h.svc.PauseJob(a.r.Context(), actorOf(a.r), a.id)
		if err != nil {
			return "", err
		}
		return "Job “" + jobName(j) + "” paused: it will not run until you resume it.", nil
	})
}

func (h *Web) resumeJob(w http.ResponseWriter, r *http.Request) {
	h.jobAction(w, r, func(a actionArgs) (string, error) {
		j, err := h.svc.ResumeJob(a.r.Context(), actorOf(a.r), a.id)
		if err != nil {
			return "", err
		}
		return "Job “" + jobName(j) + "” resumed.", nil
	})
}

func (h *Web) runJob(w http.ResponseWriter, r *http.Request) {
	h.jobAction(w, r, func(a actionArgs) (string, error) {
		if _, err := h.svc.TriggerJob(a.r.Context(), actorOf(a.r), a.id); err != nil {
			return "", err
		}
		return "The job runs now; its execution appears below.", nil
	})
}

type actionArgs struct {
	r  *http.Request
	id prikke.ID
}

// jobAction runs one action on the URL's job: load, act, then redirect
// with a flash. A rule the action breaks (EINVALID, ECONFLICT …) becomes
// an error flash on the page the user was on; a role or a missing job
// gets its page.
func (h *Web) jobAction(w http.ResponseWriter, r *http.Request, act func(actionArgs) (string, error)) {
	id, err := pathID(r, "job_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	back := localPath(form.Get("back"))
	if back == "" {
		back = "/app/jobs/" + id.String()
	}
	msg, err := act(actionArgs{r: r, id: id})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
