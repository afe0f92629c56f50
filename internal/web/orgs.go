package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// orgNewView is the data of /app/orgs/new.
type orgNewView struct {
	Form *page.Form
}

func (h *Web) showOrgNew(w http.ResponseWriter, r *http.Request) {
	c, err := h.userContext(w, r, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "org_new", c, orgNewView{Form: page.NewForm(nil)})
}

// createOrg creates a team organization owned by the user, with a default
// project, and opens it.
func (h *Web) createOrg(w http.ResponseWriter, r *http.Request) {
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	o, err := h.svc.CreateOrganization(r.Context(), actorOf(r), form.Get("name"))
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		c, cerr := h.userContext(w, r, "")
		if cerr != nil {
			h.fail(w, r, cerr)
			return
		}
		form.AddErrors(err)
		h.renderApp(w, r, statusOf(err), "org_new", c, orgNewView{Form: form})
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Organization “" + o.Name + "” created. Invite your team under Members."})
	http.Redirect(w, r, "/app/orgs/"+o.ID.String(), http.StatusSeeOther)
}

// showOrg opens an organization (the switcher's links): its remembered
// or first project.
func (h *Web) showOrg(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "org_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.orgContext(w, r, id, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c.Project == nil {
		http.Redirect(w, r, "/app/orgs/"+id.String()+"/projects", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/projects/"+c.Project.ID.String(), http.StatusSeeOther)
}

// loadOrg builds the context of the URL's {org_id}; on failure it has
// answered the request.
func (h *Web) loadOrg(w http.ResponseWriter, r *http.Request, section string) (*appContext, bool) {
	id, err := pathID(r, "org_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	c, err := h.orgContext(w, r, id, section)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return c, true
}

// forbid answers with the 403 page when the role lacks perm; pages call
// it before showing forms the role could not use (the service refuses
// the actions anyway).
func (h *Web) forbid(w http.ResponseWriter, r *http.Request, c *appContext, perm prikke.Permission, what string) bool {
	if c.Role.Can(perm) {
		return false
	}
	h.fail(w, r, prikke.Errorf(prikke.EFORBIDDEN, "Your role in %s (%s) does not allow you to %s.", c.Org.Name, roleLabel(c.Role), what))
	return true
}
