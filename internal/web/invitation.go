package web

import (
	"net/http"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// invitationView is the data of /invitations/accept.
type invitationView struct {
	Token      string
	Invitation *service.InvitationDetails
	Error      string // the link is invalid, expired or used
	User       *prikke.User
	RoleLabel  string
	Here       string // this page's path, for sign-in and sign-up links
}

// Matches reports whether the signed-in user is the invited address.
func (v invitationView) Matches() bool {
	return v.User != nil && v.Invitation != nil && v.User.Email == v.Invitation.Email
}

func (h *Web) showInvitation(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.URL.Query().Get("token")
	v := invitationView{Token: token, Here: "/invitations/accept?token=" + url.QueryEscape(token)}
	if a := actorOf(r); a != nil {
		v.User = a.User
	}
	inv, err := h.svc.InvitationByLink(r.Context(), token)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		v.Error = prikke.ErrorMessage(err)
		h.render(w, r, http.StatusNotFound, "invitation", v)
		return
	}
	v.Invitation, v.RoleLabel = inv, roleLabel(inv.Role)
	h.render(w, r, http.StatusOK, "invitation", v)
}

func (h *Web) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	inv, err := h.svc.AcceptInvitation(r.Context(), actorOf(r), form.Get("token"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Welcome to " + inv.OrganizationName + "."})
	http.Redirect(w, r, "/app/orgs/"+inv.OrganizationID.String(), http.StatusSeeOther)
}

func (h *Web) declineInvitation(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	if err := h.svc.DeclineInvitation(r.Context(), form.Get("token")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashInfo, Message: "You declined the invitation."})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
