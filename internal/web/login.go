package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// loginView is the data of /login.
type loginView struct {
	Form *page.Form
	Next string
}

func (h *Web) showLogin(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, err := h.authenticate(r); err == nil {
		http.Redirect(w, r, afterLogin(next), http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", loginView{Form: page.NewForm(nil), Next: next})
}

func (h *Web) login(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	next := localPath(form.Get("next"))
	sess, err := h.svc.Login(r.Context(), form.Get("email"), form.Get("password"), h.deps.ClientIP(r), r.UserAgent())
	if err != nil {
		code := prikke.ErrorCode(err)
		if code != prikke.EUNAUTHORIZED && code != prikke.EFORBIDDEN && !formError(err) {
			h.fail(w, r, err)
			return
		}
		// Wrong password, an unconfirmed address, too many attempts: all
		// are said above the form, none beside a field.
		form.Values.Del("password")
		form.SetError("", prikke.ErrorMessage(err))
		h.render(w, r, statusOf(err), "login", loginView{Form: form, Next: next})
		return
	}
	h.cookie.Set(w, sess.Token)
	http.Redirect(w, r, afterLogin(next), http.StatusSeeOther)
}
