package web

import (
	"net/http"

	"github.com/prikke/prikke"
)

// channelConfirmView is the data of /channels/confirm: the confirmed
// address, or why the link did not work.
type channelConfirmView struct {
	Email string
	Error string
}

// confirmChannel opens the link mailed to a new email channel: its owner
// agrees to receive a project's alerts. Like the account confirmation it
// works on opening, with or without a session; the token is single-use.
func (h *Web) confirmChannel(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	c, err := h.svc.ConfirmChannel(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, statusOf(err), "channel_confirm", channelConfirmView{Error: prikke.ErrorMessage(err)})
		return
	}
	h.render(w, r, http.StatusOK, "channel_confirm", channelConfirmView{Email: c.Target})
}
