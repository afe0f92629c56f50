package web

import (
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// Workflows in the dashboard: a project's list (/app/projects/{id}/workflows),
// the step editor (workflow_edit.go), a workflow's page with its graph, a
// "Run now" form and its runs (workflow_show.go), and a run's live
// timeline (run_show.go).

// workflowsShown is how many workflows the list shows.
const workflowsShown = 200

// workflowPath is a workflow's page.
func workflowPath(id prikke.ID) string { return "/app/workflows/" + id.String() }

// runPath is a run's page.
func runPath(id prikke.ID) string { return "/app/runs/" + id.String() }

// The badges of the run and step statuses. They live in Go so every page
// shows a status alike; app.css's @source line makes Tailwind see them.
var runBadges = map[string]page.Badge{
	"running":   {Label: "Running", Icon: "loader-circle", Class: "bg-sky-50 text-sky-800 ring-sky-600/30", Spin: true},
	"succeeded": {Label: "Succeeded", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"},
	"failed":    {Label: "Failed", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"},
	"cancelled": {Label: "Cancelled", Icon: "ban", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"},
	"waiting":   {Label: "Waiting", Icon: "circle-dashed", Class: "bg-slate-50 text-slate-600 ring-slate-400/30"},
	"scheduled": {Label: "Scheduled", Icon: "clock", Class: "bg-sky-50 text-sky-800 ring-sky-600/30"},
	"skipped":   {Label: "Skipped", Icon: "skip-forward", Class: "bg-slate-50 text-slate-600 ring-slate-400/30"},
}

// runBadge is the badge of a run or step status.
func runBadge(status string) page.Badge {
	if b, ok := runBadges[status]; ok {
		return b
	}
	return page.Badge{Label: status, Icon: "info", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
}

// workflowHealth is a workflow's badge: not run yet, healthy or failing.
func workflowHealth(wf *prikke.Workflow) page.Badge {
	switch {
	case wf.LastRunAt == nil:
		return page.Badge{Label: "Not run yet", Icon: "circle-dashed", Class: "bg-slate-100 text-slate-700 ring-slate-500/30"}
	case wf.Health == prikke.JobFailing:
		return page.Badge{Label: "Failing", Icon: "circle-x", Class: "bg-red-50 text-red-800 ring-red-600/30"}
	}
	return page.Badge{Label: "Healthy", Icon: "circle-check", Class: "bg-emerald-50 text-emerald-800 ring-emerald-600/30"}
}

// workflowRow is one workflow of the list.
type workflowRow struct {
	Workflow *prikke.Workflow
	Health   page.Badge
	LastRun  string // "3 minutes ago", "never"
}

// URL is the workflow's page.
func (r workflowRow) URL() string { return workflowPath(r.Workflow.ID) }

// Steps is the number of steps of the current version.
func (r workflowRow) Steps() int { return len(r.Workflow.Definition.Steps) }

// LastStatus is the last finished run's badge, if any.
func (r workflowRow) LastStatus() *page.Badge {
	if r.Workflow.LastRunStatus == "" {
		return nil
	}
	b := runBadge(string(r.Workflow.LastRunStatus))
	return &b
}

// workflowsView is the data of a project's workflows page.
type workflowsView struct {
	Project *prikke.Project
	Rows    []workflowRow
	Zone    *time.Location
}

func (h *Web) showWorkflows(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadProject(w, r, "workflows")
	if !ok {
		return
	}
	id := c.Project.ID
	wfs, err := h.svc.Workflows(r.Context(), actorOf(r), service.WorkflowFilter{ProjectID: &id, Limit: workflowsShown})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	v := workflowsView{Project: c.Project, Zone: zoneOf(r)}
	for _, wf := range wfs {
		v.Rows = append(v.Rows, workflowRow{Workflow: wf, Health: workflowHealth(wf), LastRun: agoText(wf.LastRunAt, now)})
	}
	h.renderApp(w, r, http.StatusOK, "workflows", c, v)
}

// loadWorkflow reads the URL's {workflow_id} through the service (another
// tenant's is a 404) and its project's context; on failure it has
// answered.
func (h *Web) loadWorkflow(w http.ResponseWriter, r *http.Request) (*prikke.Workflow, *appContext, bool) {
	id, err := pathID(r, "workflow_id")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	wf, err := h.svc.Workflow(r.Context(), actorOf(r), id)
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	c, err := h.projectContext(w, r, wf.ProjectID, "workflows")
	if err != nil {
		h.fail(w, r, err)
		return nil, nil, false
	}
	return wf, c, true
}
