package web

import (
	"net/http"

	"github.com/prikke/prikke/internal/web/page"
)

// logout ends the session (if there is one) and forgets the cookie.
func (h *Web) logout(w http.ResponseWriter, r *http.Request) {
	if a, err := h.authenticate(r); err == nil {
		if err := h.svc.Logout(r.Context(), a); err != nil {
			h.ServerError(w, r, err)
			return
		}
	}
	h.cookie.Clear(w)
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "You are signed out."})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
