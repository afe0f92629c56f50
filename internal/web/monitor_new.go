package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// showMonitorNew shows the editor for a new monitor in the project.
func (h *Web) showMonitorNew(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "monitors")
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "create monitors") {
		return
	}
	h.renderMonitorEditor(w, r, http.StatusOK, c, newMonitorForm(), nil)
}

// createMonitor saves a new monitor, or shows the editor again with the
// problems beside the fields.
func (h *Web) createMonitor(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "monitors")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in := monitorInput(form, true)
	in.ProjectID = &c.Project.ID
	m, err := h.svc.CreateMonitor(r.Context(), actorOf(r), in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addMonitorErrors(form, err)
		h.renderMonitorEditor(w, r, statusOf(err), c, form, nil)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Monitor “" + m.Name + "” created. Have your job ping the URL below."})
	http.Redirect(w, r, "/app/monitors/"+m.ID.String(), http.StatusSeeOther)
}
