package web

import (
	"net/http"

	"github.com/prikke/prikke"
)

// confirmView is the data of /confirm: whether the link worked.
type confirmView struct {
	Email string // the confirmed address; "" when the link failed
	Error string
	Form  *Form // asks for a new link when this one failed
}

// confirm opens a confirmation link: a new account's, or a changed
// address's.
func (h *Web) confirm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	u, err := h.svc.Confirm(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, statusOf(err), "confirm", confirmView{Error: prikke.ErrorMessage(err), Form: NewForm(nil)})
		return
	}
	h.render(w, r, http.StatusOK, "confirm", confirmView{Email: u.Email})
}

// resendConfirmation mails a new link to an unconfirmed address; it
// answers the same whether or not there is such an account.
func (h *Web) resendConfirmation(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	if err := h.svc.ResendConfirmation(r.Context(), form.Get("email"), h.deps.ClientIP(r)); err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.render(w, r, statusOf(err), "confirm", confirmView{Error: "We could not send a new link yet.", Form: form})
		return
	}
	h.setFlash(w, Flash{Kind: FlashInfo, Message: "If that address has an account waiting for confirmation, a new link is on its way."})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
