package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// signupView is the data of /signup and of the page after it.
type signupView struct {
	Form       *page.Form
	Next       string // where to go after the first login, such as an invitation
	Email      string // the address a confirmation link went to
	DevMailbox bool   // mail goes to /dev/mailbox, which this visitor may open
}

func (h *Web) showSignup(w http.ResponseWriter, r *http.Request) {
	if _, err := h.authenticate(r); err == nil {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	form := page.NewForm(nil)
	form.Values.Set("email", r.URL.Query().Get("email"))
	h.render(w, r, http.StatusOK, "signup", signupView{Form: form, Next: localPath(r.URL.Query().Get("next"))})
}

func (h *Web) signup(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	v := signupView{Form: form, Next: localPath(form.Get("next"))}
	err := h.svc.Signup(r.Context(), service.SignupInput{Email: form.Get("email"), Password: form.Get("password"),
		TimeZone: form.Get("time_zone")}, h.deps.ClientIP(r))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.Values.Del("password")
		form.AddErrors(err)
		h.render(w, r, statusOf(err), "signup", v)
		return
	}
	v.Email = prikke.NormalizeEmail(form.Get("email"))
	v.DevMailbox = h.deps.Mailbox != nil && !h.deps.Production && isLoopback(r)
	h.render(w, r, http.StatusOK, "signup_done", v)
}
