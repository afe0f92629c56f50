package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/docs"
	"github.com/prikke/prikke/internal/web/page"
)

// projectsView is the data of an organization's projects page.
type projectsView struct {
	Form *page.Form // a new project
}

func (h *Web) showProjects(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "projects")
	if !ok {
		return
	}
	h.renderApp(w, r, http.StatusOK, "projects", c, projectsView{Form: page.NewForm(nil)})
}

func (h *Web) createProject(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "projects")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	name := form.Get("name")
	p, err := h.svc.CreateProject(r.Context(), actorOf(r), c.Org.ID, service.ProjectInput{Name: &name})
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderApp(w, r, statusOf(err), "projects", c, projectsView{Form: form})
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Project “" + p.Name + "” created."})
	http.Redirect(w, r, "/app/projects/"+p.ID.String(), http.StatusSeeOther)
}

// projectSettingsView is the data of a project's settings page.
type projectSettingsView struct {
	Form     *page.Form
	Project  *prikke.Project
	Secret   *prikke.Project // set after a reveal or rotation: the secrets are shown
	Rotated  bool
	Examples []docs.CodeExample
	// The project's secrets for workflow templates (names and times only)
	// and the form that adds or replaces one (secrets.go).
	Secrets    []*prikke.Secret
	SecretForm *page.Form
	SecretsErr string
	// RedactForm is the redaction form as posted (nil: the project's).
	RedactForm *page.Form
}

func projectSettingsForm(p *prikke.Project) *page.Form {
	f := page.NewForm(nil)
	f.Values.Set("name", p.Name)
	f.Values.Set("alert_after", strconv.Itoa(p.AlertAfter))
	return f
}

// loadProject builds the context of the URL's {project_id}; on failure it
// has answered the request.
func (h *Web) loadProject(w http.ResponseWriter, r *http.Request, section string) (*appContext, bool) {
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	c, err := h.projectContext(w, r, id, section)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return c, true
}

func (h *Web) showProjectSettings(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	h.renderApp(w, r, http.StatusOK, "project_settings", c,
		h.withSecrets(r, projectSettingsView{Form: projectSettingsForm(c.Project), Project: c.Project, Examples: docs.VerifyExamples}))
}

func (h *Web) updateProject(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	name := form.Get("name")
	in := service.ProjectInput{Name: &name}
	n, err := strconv.Atoi(strings.TrimSpace(form.Get("alert_after")))
	if err != nil {
		form.SetError("alert_after", "must be a whole number")
		n = -1 // refused by the service too, so nothing is saved
	}
	in.AlertAfter = &n
	p, err := h.svc.UpdateProject(r.Context(), actorOf(r), c.Project.ID, in)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		form.AddErrors(err)
		h.renderApp(w, r, statusOf(err), "project_settings", c,
			h.withSecrets(r, projectSettingsView{Form: form, Project: c.Project, Examples: docs.VerifyExamples}))
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Project “" + p.Name + "” saved."})
	http.Redirect(w, r, "/app/projects/"+p.ID.String()+"/settings", http.StatusSeeOther)
}

// revealSecret shows the project's signing secrets on the settings page.
// It is a POST: every reveal is audited, and the page is never cached.
func (h *Web) revealSecret(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	p, err := h.svc.RevealSecret(r.Context(), actorOf(r), c.Project.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderApp(w, r, http.StatusOK, "project_settings", c,
		h.withSecrets(r, projectSettingsView{Form: projectSettingsForm(p), Project: p, Secret: p, Examples: docs.VerifyExamples}))
}

// rotateSecret gives the project a new signing secret and shows it; the
// old one keeps signing for prikke.SecretRotationOverlap.
func (h *Web) rotateSecret(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	p, err := h.svc.RotateSecret(r.Context(), actorOf(r), c.Project.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.appView(w, r, c, h.withSecrets(r, projectSettingsView{Form: projectSettingsForm(p), Project: p, Secret: p, Rotated: true, Examples: docs.VerifyExamples}))
	v.Flashes = append(v.Flashes, page.Flash{Kind: page.FlashSuccess, Message: "The signing secret is rotated. Requests carry signatures of both secrets for 24 hours: update your receivers now."})
	h.renderView(w, r, http.StatusOK, "project_settings", v)
}

func (h *Web) showProjectDelete(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	if h.forbid(w, r, c, prikke.PermManageProjects, "delete projects") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "project_delete", c, c.Project)
}

func (h *Web) deleteProject(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "project")
	if !ok {
		return
	}
	if err := h.svc.DeleteProject(r.Context(), actorOf(r), c.Project.ID); err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		h.setFlash(w, page.Flash{Kind: page.FlashError, Message: prikke.ErrorMessage(err)})
		http.Redirect(w, r, "/app/projects/"+c.Project.ID.String()+"/settings", http.StatusSeeOther)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Project “" + c.Project.Name + "” and its jobs are deleted."})
	http.Redirect(w, r, "/app/orgs/"+c.Org.ID.String()+"/projects", http.StatusSeeOther)
}
