package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// confirmView is the data of /confirm: the question, or whether the link
// worked.
type confirmView struct {
	Token string // asks to confirm: opening a link changes nothing
	Email string // the confirmed address
	Error string
	Form  *page.Form // asks for a new link when this one failed
}

// showConfirm opens a confirmation link: a new account's, or a changed
// address's. It only asks; the button confirms. Mail scanners open links
// on their own, and must not confirm an address whose owner never did.
func (h *Web) showConfirm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	tok := r.URL.Query().Get("token")
	if tok == "" {
		h.render(w, r, http.StatusUnprocessableEntity, "confirm", confirmView{Error: "This link has no token; open the link from the mail as it is.", Form: page.NewForm(nil)})
		return
	}
	h.render(w, r, http.StatusOK, "confirm", confirmView{Token: tok})
}

// confirm confirms the address of the link's token.
func (h *Web) confirm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	c, err := h.svc.Confirm(r.Context(), form.Get("token"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, statusOf(err), "confirm", confirmView{Error: prikke.ErrorMessage(err), Form: page.NewForm(nil)})
		return
	}
	if c.PasswordToken != "" {
		// The link was mailed after the address was signed up again: the
		// account has no password until the visitor, who has just shown
		// they read the mailbox, chooses one on the reset form.
		reset := page.NewForm(nil)
		reset.Values.Set("token", c.PasswordToken)
		h.render(w, r, http.StatusOK, "reset_password", resetView{Form: reset, Choose: true, Confirmed: c.User.Email})
		return
	}
	h.render(w, r, http.StatusOK, "confirm", confirmView{Email: c.User.Email})
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
	h.setFlash(w, page.Flash{Kind: page.FlashInfo, Message: "If that address has an account waiting for confirmation, a new link is on its way."})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
