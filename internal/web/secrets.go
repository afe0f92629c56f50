package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
)

// Project secrets, a section of the project's settings: the values
// workflow templates reference as {{secrets.NAME}}. They are write-only:
// the page lists names and times, sets a value (new or replacing) and
// deletes one; no page ever holds a value, not even the form after an
// error.

// withSecrets adds the project's secrets to its settings page. A failure
// to list them shows as a line in the section, not as a failed page.
func (h *Web) withSecrets(r *http.Request, v projectSettingsView) projectSettingsView {
	if v.SecretForm == nil {
		v.SecretForm = page.NewForm(nil)
		v.SecretForm.Prefix = "secret"
	}
	secrets, err := h.svc.Secrets(r.Context(), actorOf(r), v.Project.ID)
	if err != nil {
		h.log.WarnContext(r.Context(), "web: list secrets", "project_id", v.Project.ID.String(), "error", err)
		v.SecretsErr = "The secrets could not be listed."
		return v
	}
	v.Secrets = secrets
	return v
}

// putSecret creates or replaces a project secret.
func (h *Web) putSecret(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	name, value := strings.TrimSpace(form.Get("name")), form.Get("value")
	_, err := h.svc.SecretPut(r.Context(), actorOf(r), c.Project.ID, name, value)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		// Never send the value back.
		sf := page.NewForm(url.Values{"name": {name}})
		sf.Prefix = "secret"
		sf.AddErrors(err)
		h.renderApp(w, r, statusOf(err), "project_settings", c,
			h.withSecrets(r, projectSettingsView{Form: projectSettingsForm(c.Project), Project: c.Project, SecretForm: sf, Examples: docs.VerifyExamples}))
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Secret “" + name + "” saved. Templates use it as {{secrets." + name + "}}."})
	http.Redirect(w, r, "/app/projects/"+c.Project.ID.String()+"/settings#secrets-title", http.StatusSeeOther)
}

// deleteSecret deletes a project secret.
func (h *Web) deleteSecret(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	name := r.PathValue("name")
	if err := h.svc.SecretDelete(r.Context(), actorOf(r), c.Project.ID, name); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Secret “" + name + "” deleted: steps that use it now fail before sending."})
	http.Redirect(w, r, "/app/projects/"+c.Project.ID.String()+"/settings#secrets-title", http.StatusSeeOther)
}
