package web

import "net/http"

// showHome sends /app to the project the user was last in, or their
// default one.
func (h *Web) showHome(w http.ResponseWriter, r *http.Request) {
	p, err := h.currentProject(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/projects/"+p.ID.String(), http.StatusSeeOther)
}
