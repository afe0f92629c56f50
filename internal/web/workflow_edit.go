package web

import (
	"net/http"
	"strconv"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// workflowFormView is the data of the step editor.
type workflowFormView struct {
	Project  *prikke.Project
	Workflow *prikke.Workflow // nil for a new one
	Form     *page.Form
	Cards    []stepCard
	JSON     string // the definition the cards make, for the JSON view
}

// Action is where the editor posts.
func (v workflowFormView) Action() string {
	if v.Workflow == nil {
		return "/app/projects/" + v.Project.ID.String() + "/workflows"
	}
	return workflowPath(v.Workflow.ID)
}

// renderWorkflowEditor draws the editor from the form.
func (h *Web) renderWorkflowEditor(w http.ResponseWriter, r *http.Request, status int, c *appContext, wf *prikke.Workflow, form *page.Form) {
	// Drawing the JSON view reads the cards again; its number errors are
	// already on the form, so read them on a copy.
	scratch := page.NewForm(form.Values)
	v := workflowFormView{Project: c.Project, Workflow: wf, Form: form, Cards: stepCards(form),
		JSON: definitionJSON(cardsDefinition(scratch))}
	h.renderApp(w, r, status, "workflow_form", c, v)
}

func (h *Web) showWorkflowNew(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "workflows")
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "create workflows") {
		return
	}
	h.renderWorkflowEditor(w, r, http.StatusOK, c, nil, newWorkflowForm())
}

func (h *Web) showWorkflowEdit(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "edit workflows") {
		return
	}
	h.renderWorkflowEditor(w, r, http.StatusOK, c, wf, workflowForm(wf.Name, &wf.Definition, wf.Version))
}

// editorOp handles the editor's buttons other than save (add, remove,
// move a card; load the JSON into the cards): it re-renders the editor
// and reports true, or false for a save.
func (h *Web) editorOp(w http.ResponseWriter, r *http.Request, c *appContext, wf *prikke.Workflow, form *page.Form) bool {
	op := form.Get("op")
	switch {
	case op == "" || op == "save":
		return false
	case op == "json":
		loadJSON(form)
	default:
		// A change in the JSON box is not lost to a card button.
		if jsonBox(form.Get("definition")) != jsonBox(form.Get("definition_shown")) {
			loadJSON(form)
		}
		editCards(form, op)
	}
	h.renderWorkflowEditor(w, r, http.StatusOK, c, wf, form)
	return true
}

// createWorkflow saves a new workflow, or shows the editor again with the
// problems beside the fields.
func (h *Web) createWorkflow(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "workflows")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil || h.editorOp(w, r, c, nil, form) {
		return
	}
	def := formDefinition(form)
	if def == nil {
		h.renderWorkflowEditor(w, r, http.StatusUnprocessableEntity, c, nil, form)
		return
	}
	wf, err := h.svc.WorkflowCreate(r.Context(), actorOf(r), &service.WorkflowInput{ProjectID: &c.Project.ID, Name: form.Get("name"), Definition: *def})
	if h.editorFailed(w, r, c, nil, form, def, err) {
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Workflow “" + wf.Name + "” created."})
	http.Redirect(w, r, workflowPath(wf.ID), http.StatusSeeOther)
}

// updateWorkflow saves a new version of a workflow.
func (h *Web) updateWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil || h.editorOp(w, r, c, wf, form) {
		return
	}
	def := formDefinition(form)
	if def == nil {
		h.renderWorkflowEditor(w, r, http.StatusUnprocessableEntity, c, wf, form)
		return
	}
	version, _ := strconv.Atoi(form.Get("version"))
	got, err := h.svc.WorkflowUpdate(r.Context(), actorOf(r), wf.ID, &service.WorkflowInput{Name: form.Get("name"), Definition: *def, Version: version})
	if h.editorFailed(w, r, c, wf, form, def, err) {
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Workflow “" + got.Name + "” saved as version " + strconv.Itoa(got.Version) + "."})
	http.Redirect(w, r, workflowPath(got.ID), http.StatusSeeOther)
}

// editorFailed answers a failed save: the editor again, drawn from the
// definition that was sent (so a JSON edit shows in the cards), with the
// service's messages beside the fields. It reports whether err was set.
func (h *Web) editorFailed(w http.ResponseWriter, r *http.Request, c *appContext, wf *prikke.Workflow, form *page.Form, def *prikke.WorkflowDefinition, err error) bool {
	if err == nil {
		return false
	}
	if !formError(err) && prikke.ErrorCode(err) != prikke.ECONFLICT {
		h.fail(w, r, err)
		return true
	}
	if jsonBox(form.Get("definition")) != jsonBox(form.Get("definition_shown")) {
		loadJSON(form)
	}
	addWorkflowErrors(form, err)
	h.renderWorkflowEditor(w, r, statusOf(err), c, wf, form)
	return true
}

// showWorkflowDelete asks before deleting.
func (h *Web) showWorkflowDelete(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok || h.forbid(w, r, c, prikke.PermManageJobs, "delete workflows") {
		return
	}
	h.renderApp(w, r, http.StatusOK, "workflow_delete", c, wf)
}

// deleteWorkflow deletes a workflow with its runs.
func (h *Web) deleteWorkflow(w http.ResponseWriter, r *http.Request) {
	wf, c, ok := h.loadWorkflow(w, r)
	if !ok {
		return
	}
	if err := h.svc.WorkflowDelete(r.Context(), actorOf(r), wf.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Workflow “" + wf.Name + "” deleted, with its runs."})
	http.Redirect(w, r, "/app/projects/"+c.Project.ID.String()+"/workflows", http.StatusSeeOther)
}
