package web

import (
	"net/http"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/web/page"
)

// accountView is the data of the account page: the address, the password,
// the time zone, the sessions and deleting the account, each its own form.
type accountView struct {
	User     *prikke.User
	Sessions []*prikke.Token
	Current  prikke.ID // this browser's session
	Email    *page.Form
	Password *page.Form
	Zone     *page.Form
	Zones    []page.Option
	Delete   *page.Form
}

func (h *Web) showAccount(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, http.StatusOK, accountView{})
}

// renderAccount renders the account page with v's forms (empty ones where
// v has none).
func (h *Web) renderAccount(w http.ResponseWriter, r *http.Request, status int, v accountView) {
	a := actorOf(r)
	c, err := h.userContext(w, r, "account")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Sessions, err = h.svc.Sessions(r.Context(), a); err != nil {
		h.fail(w, r, err)
		return
	}
	v.User, v.Current = a.User, a.Session.ID
	if v.Zone == nil {
		v.Zone = page.NewForm(url.Values{"time_zone": {a.User.TimeZone}})
	}
	for _, z := range cron.Zones() {
		v.Zones = append(v.Zones, page.Option{Value: z, Label: z})
	}
	for _, f := range []struct {
		form   **page.Form
		prefix string
	}{{&v.Email, "email"}, {&v.Password, "password"}, {&v.Zone, "zone"}, {&v.Delete, "delete"}} {
		if *f.form == nil {
			*f.form = page.NewForm(nil)
		}
		(*f.form).Prefix = f.prefix
	}
	h.renderApp(w, r, status, "account", c, v)
}

// changeEmail mails a confirmation link to the new address; the address
// changes when the link is opened.
func (h *Web) changeEmail(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	err := h.svc.ChangeEmail(r.Context(), actorOf(r), form.Get("current_password"), form.Get("email"))
	form.Values.Del("current_password")
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderAccount(w, r, statusOf(err), accountView{Email: form})
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashInfo, Message: "We sent a confirmation link to " + prikke.NormalizeEmail(form.Get("email")) + ". Your address changes when you open it."})
	http.Redirect(w, r, "/app/account", http.StatusSeeOther)
}

// changePassword sets a new password and ends the other sessions.
func (h *Web) changePassword(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	err := h.svc.ChangePassword(r.Context(), actorOf(r), form.Get("current_password"), form.Get("password"))
	form.Values.Del("current_password")
	form.Values.Del("password")
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderAccount(w, r, statusOf(err), accountView{Password: form})
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Your password is changed. Your other sessions are signed out."})
	http.Redirect(w, r, "/app/account", http.StatusSeeOther)
}

// changeTimeZone sets the zone the dashboard shows the user's times in.
func (h *Web) changeTimeZone(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	u, err := h.svc.SetTimeZone(r.Context(), actorOf(r), form.Get("time_zone"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderAccount(w, r, statusOf(err), accountView{Zone: form})
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Times are now shown in " + u.TimeZone + "."})
	http.Redirect(w, r, "/app/account", http.StatusSeeOther)
}

// revokeSessions signs out every other browser.
func (h *Web) revokeSessions(w http.ResponseWriter, r *http.Request) {
	if h.readForm(w, r) == nil {
		return
	}
	n, err := h.svc.RevokeSessions(r.Context(), actorOf(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msg := "No other sessions were open."
	if n == 1 {
		msg = "1 other session is signed out."
	} else if n > 1 {
		msg = page.Number(n) + " other sessions are signed out."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: msg})
	http.Redirect(w, r, "/app/account", http.StatusSeeOther)
}

// deleteAccount deletes the account after checking the password.
func (h *Web) deleteAccount(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	err := h.svc.DeleteAccount(r.Context(), actorOf(r), form.Get("current_password"))
	form.Values.Del("current_password")
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderAccount(w, r, statusOf(err), accountView{Delete: form})
		return
	}
	h.cookie.Clear(w)
	h.setFlash(w, page.Flash{Kind: page.FlashInfo, Message: "Your account is deleted, with the organizations you alone owned. Goodbye."})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
