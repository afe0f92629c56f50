package web

import (
	"net/http"

	"github.com/prikke/prikke/internal/web/page"
)

// forgotView is the data of /forgot-password.
type forgotView struct {
	Form *page.Form
	Sent bool // the request went through: a link is on its way if the account exists
}

func (h *Web) showForgotPassword(w http.ResponseWriter, r *http.Request) {
	form := page.NewForm(nil)
	form.Values.Set("email", r.URL.Query().Get("email"))
	h.render(w, r, http.StatusOK, "forgot_password", forgotView{Form: form})
}

func (h *Web) forgotPassword(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	if err := h.svc.RequestPasswordReset(r.Context(), form.Get("email"), h.deps.ClientIP(r)); err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.render(w, r, statusOf(err), "forgot_password", forgotView{Form: form})
		return
	}
	h.render(w, r, http.StatusOK, "forgot_password", forgotView{Form: form, Sent: true})
}
