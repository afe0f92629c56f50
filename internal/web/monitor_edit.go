package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// showMonitorEdit shows the editor with the monitor's definition.
func (h *Web) showMonitorEdit(w http.ResponseWriter, r *http.Request) {
	m, c, ok := h.loadMonitor(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "change monitors") {
		return
	}
	h.renderMonitorEditor(w, r, http.StatusOK, c, monitorFormValues(m), m)
}

// updateMonitor saves the edited monitor, or shows the editor again with
// the problems beside the fields.
func (h *Web) updateMonitor(w http.ResponseWriter, r *http.Request) {
	m, c, ok := h.loadMonitor(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	updated, err := h.svc.UpdateMonitor(r.Context(), actorOf(r), m.ID, monitorInput(form, false))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		addMonitorErrors(form, err)
		h.renderMonitorEditor(w, r, statusOf(err), c, form, m)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Monitor “" + updated.Name + "” saved."})
	http.Redirect(w, r, "/app/monitors/"+m.ID.String(), http.StatusSeeOther)
}

// showMonitorDelete asks for confirmation: deleting a monitor deletes its
// pings and history, and its URL stops answering.
func (h *Web) showMonitorDelete(w http.ResponseWriter, r *http.Request) {
	m, c, ok := h.loadMonitor(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "delete monitors") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "monitor_delete", c, m)
}

func (h *Web) deleteMonitor(w http.ResponseWriter, r *http.Request) {
	m, _, ok := h.loadMonitor(w, r)
	if !ok || h.readForm(w, r) == nil {
		return
	}
	if err := h.svc.DeleteMonitor(r.Context(), actorOf(r), m.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Monitor “" + m.Name + "” and its pings are deleted; its ping URL no longer answers."})
	http.Redirect(w, r, "/app/projects/"+m.ProjectID.String()+"/monitors", http.StatusSeeOther)
}
