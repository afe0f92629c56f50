package web

import (
	"net/http"

	"github.com/prikke/prikke/internal/web/page"
)

// resetView is the data of /reset-password: the token from the mailed
// link travels in a hidden field.
type resetView struct {
	Form *page.Form
	// Choose: the form follows a confirmation link mailed after the
	// address was signed up again, to choose the account's password (the
	// token is one Confirm handed over). It travels in a hidden field.
	Choose bool
	// Confirmed is the address that link has just confirmed (shown only
	// then, not taken back from the form).
	Confirmed string
}

func (h *Web) showResetPassword(w http.ResponseWriter, r *http.Request) {
	form := page.NewForm(nil)
	form.Values.Set("token", r.URL.Query().Get("token"))
	if form.Get("token") == "" {
		form.SetError("", "This page needs the link from your password reset mail. Ask for a new one below.")
	}
	// The token is a credential: keep it out of caches and Referer headers.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, http.StatusOK, "reset_password", resetView{Form: form})
}

func (h *Web) resetPassword(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	err := h.svc.ResetPassword(r.Context(), form.Get("token"), form.Get("password"), h.deps.ClientIP(r))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.Values.Del("password")
		form.AddErrors(err)
		h.render(w, r, statusOf(err), "reset_password", resetView{Form: form, Choose: form.Get("choose") != ""})
		return
	}
	h.cookie.Clear(w) // every session ended with the reset
	msg := "Your password is changed. Sign in with it."
	if form.Get("choose") != "" {
		msg = "Your password is set. Sign in with it."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
