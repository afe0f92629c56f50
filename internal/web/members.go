package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// membersView is the data of an organization's members page: members
// with their roles, and (for admins) the invitations and a form to invite.
type membersView struct {
	Members     []*prikke.Membership
	Invitations []*prikke.Invitation // pending only; nil for roles that cannot see them
	Form        *page.Form           // a new invitation
	Roles       []page.Option        // the roles this user may invite with
	AllRoles    []page.Option        // the role select of each member (owners)
	CanLeave    bool                 // not the owner of their own personal organization
}

// memberRoles are the choices of a member's role select.
var memberRoles = []page.Option{{Value: "owner", Label: "Owner"}, {Value: "admin", Label: "Admin"}, {Value: "member", Label: "Member"}, {Value: "viewer", Label: "Viewer"}}

// roleOptions are the roles in order of power.
var roleOptions = []page.Option{{Value: "viewer", Label: "Viewer: sees everything, changes nothing"}, {Value: "member", Label: "Member: manages jobs"},
	{Value: "admin", Label: "Admin: also projects, keys, invitations"}, {Value: "owner", Label: "Owner: also members, plan and deletion"}}

func (h *Web) showMembers(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "members")
	if !ok {
		return
	}
	form := page.NewForm(nil)
	form.Values.Set("role", string(prikke.RoleMember))
	v, err := h.membersView(r, c, form)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "members", c, v)
}

func (h *Web) membersView(r *http.Request, c *appContext, form *page.Form) (membersView, error) {
	a, ctx := actorOf(r), r.Context()
	v := membersView{Form: form, AllRoles: memberRoles, CanLeave: !(c.Org.Personal && c.Role == prikke.RoleOwner)}
	var err error
	if v.Members, err = h.svc.Members(ctx, a, c.Org.ID); err != nil {
		return v, err
	}
	if c.Can(string(prikke.PermManageInvites)) {
		all, err := h.svc.Invitations(ctx, a, c.Org.ID)
		if err != nil {
			return v, err
		}
		now := h.now()
		for _, inv := range all {
			if inv.Pending(now) {
				v.Invitations = append(v.Invitations, inv)
			}
		}
		for _, o := range roleOptions {
			if o.Value != string(prikke.RoleOwner) || c.Role == prikke.RoleOwner {
				v.Roles = append(v.Roles, o)
			}
		}
	}
	return v, nil
}

// setMemberRole changes a member's role (owners).
func (h *Web) setMemberRole(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "members")
	if !ok {
		return
	}
	uid, err := pathID(r, "user_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	err = h.svc.SetRole(r.Context(), actorOf(r), c.Org.ID, uid, prikke.Role(form.Get("role")))
	h.afterMemberAction(w, r, c, err, "The role is changed.")
}

// removeMember removes a member (owners), or lets a member leave.
func (h *Web) removeMember(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "members")
	if !ok {
		return
	}
	uid, err := pathID(r, "user_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.readForm(w, r) == nil {
		return
	}
	err = h.svc.RemoveMember(r.Context(), actorOf(r), c.Org.ID, uid)
	if err == nil && uid == actorOf(r).User.ID {
		h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "You left " + c.Org.Name + "."})
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	h.afterMemberAction(w, r, c, err, "The member is removed.")
}

// afterMemberAction redirects back to the members page with the outcome.
func (h *Web) afterMemberAction(w http.ResponseWriter, r *http.Request, c *appContext, err error, done string) {
	back := "/app/orgs/" + c.Org.ID.String() + "/members"
	switch {
	case err == nil:
		h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: done})
	case formError(err):
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: fieldMessage(err)})
	default:
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// fieldMessage is an error as one sentence: its field messages, or its
// message.
func fieldMessage(err error) string {
	if fs := prikke.ErrorFields(err); len(fs) > 0 {
		return page.Capitalize(fs[0].Message) + "."
	}
	return prikke.ErrorMessage(err)
}

// createInvitation invites someone by email (admins).
func (h *Web) createInvitation(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "members")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	inv, err := h.svc.Invite(r.Context(), actorOf(r), c.Org.ID, form.Get("email"), prikke.Role(form.Get("role")))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		v, verr := h.membersView(r, c, form)
		if verr != nil {
			h.fail(w, r, verr)
			return
		}
		h.renderApp(w, r, statusOf(err), "members", c, v)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Invitation sent to " + inv.Email + "."})
	http.Redirect(w, r, "/app/orgs/"+c.Org.ID.String()+"/members", http.StatusSeeOther)
}

// revokeInvitation withdraws a pending invitation (admins).
func (h *Web) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "invitation_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	if err := h.svc.RevokeInvitation(r.Context(), actorOf(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	back := localPath(form.Get("back"))
	if back == "" {
		back = "/app"
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "The invitation is revoked."})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
