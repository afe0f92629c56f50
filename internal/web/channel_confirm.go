package web

import (
	"net/http"

	"github.com/prikke/prikke"
)

// channelConfirmView is the data of /channels/confirm: the question, the
// confirmed address, or why the link did not work.
type channelConfirmView struct {
	Token string
	Email string
	Error string
}

// showConfirmChannel opens the link mailed to a new email channel. It only
// asks; the button confirms that the address's owner wants the alerts
// (mail scanners open links on their own). No session is needed.
func (h *Web) showConfirmChannel(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	tok := r.URL.Query().Get("token")
	if tok == "" {
		h.render(w, r, http.StatusUnprocessableEntity, "channel_confirm", channelConfirmView{Error: "This link has no token; open the link from the mail as it is."})
		return
	}
	h.render(w, r, http.StatusOK, "channel_confirm", channelConfirmView{Token: tok})
}

// confirmChannel confirms the channel of the link's token (single use).
func (h *Web) confirmChannel(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	c, err := h.svc.ConfirmChannel(r.Context(), form.Get("token"))
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
