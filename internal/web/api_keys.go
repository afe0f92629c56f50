package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// apiKeysView is the data of an organization's API keys page.
type apiKeysView struct {
	Keys    []keyRow
	Form    *page.Form    // a new key
	Options []page.Option // the project choices of a new key
	Created string        // the whole new key, shown once
	NewKey  *prikke.APIKey
}

// keyRow is one key in the list, with the project it is limited to.
type keyRow struct {
	*prikke.APIKey
	Scope string
}

func (h *Web) showAPIKeys(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "keys")
	if !ok {
		return
	}
	v, err := h.apiKeysView(r, c, page.NewForm(nil))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "api_keys", c, v)
}

func (h *Web) apiKeysView(r *http.Request, c *appContext, form *page.Form) (apiKeysView, error) {
	keys, err := h.svc.APIKeys(r.Context(), actorOf(r), c.Org.ID)
	if err != nil {
		return apiKeysView{}, err
	}
	v := apiKeysView{Form: form, Options: []page.Option{{Value: "", Label: "Every project of " + c.Org.Name}}}
	names := map[prikke.ID]string{}
	for _, p := range c.Projects {
		names[p.ID] = p.Name
		v.Options = append(v.Options, page.Option{Value: p.ID.String(), Label: "Only " + p.Name})
	}
	for _, k := range keys {
		row := keyRow{APIKey: k, Scope: "All projects"}
		if k.ProjectID != nil {
			row.Scope = "Only " + names[*k.ProjectID]
		}
		v.Keys = append(v.Keys, row)
	}
	return v, nil
}

// createAPIKey creates a key and shows it in full, once, on the page that
// answers the POST: it is never stored, redirected or put in a cookie.
func (h *Web) createAPIKey(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "keys")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	in := service.APIKeyInput{Name: form.Get("name")}
	if s := form.Get("project_id"); s != "" {
		pid, err := prikke.ParseID(s)
		if err != nil {
			form.SetError("project_id", "is not a project of this organization")
			pid = prikke.NilID // refused by the service too
		}
		in.ProjectID = &pid
	}
	full, k, err := h.svc.CreateAPIKey(r.Context(), actorOf(r), c.Org.ID, in)
	if err != nil && !formError(err) {
		h.fail(w, r, err)
		return
	}
	if err != nil {
		form.AddErrors(err)
	} else {
		form = page.NewForm(nil)
	}
	v, verr := h.apiKeysView(r, c, form)
	if verr != nil {
		h.fail(w, r, verr)
		return
	}
	if err != nil {
		h.renderApp(w, r, statusOf(err), "api_keys", c, v)
		return
	}
	v.Created, v.NewKey = full, k
	w.Header().Set("Cache-Control", "no-store")
	h.renderApp(w, r, http.StatusOK, "api_keys", c, v)
}

// revokeAPIKey revokes a key; it stops working with the next request.
func (h *Web) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "key_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.readForm(w, r) == nil {
		return
	}
	if err := h.svc.RevokeAPIKey(r.Context(), actorOf(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	// The key's organization, for the way back: the service has checked it.
	k, err := h.svc.APIKey(r.Context(), actorOf(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "API key " + k.KeyID + " (" + k.Name + ") is revoked: it no longer works."})
	http.Redirect(w, r, "/app/orgs/"+k.OrganizationID.String()+"/api-keys", http.StatusSeeOther)
}
