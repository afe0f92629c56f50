package web

import (
	"net/http"

	"github.com/prikke/prikke"
)

// projectExecutionsView is the data of a project's execution history.
type projectExecutionsView struct {
	Project *prikke.Project
	Filter  executionFilter
	Rows    []executionRow
	Chart   durationChart
	Older   string
	Newest  string
}

func (h *Web) showProjectExecutions(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, id, "executions")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := projectExecutionsView{Project: c.Project, Filter: parseExecutionFilter(r.URL.Query())}
	sf := v.Filter.serviceFilter(h.now())
	sf.ProjectID = &id
	es, err := h.svc.Executions(ctx, a, sf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	jobs, err := h.svc.AllJobs(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names := make(map[prikke.ID]string, len(jobs))
	for _, j := range jobs {
		names[j.ID] = jobName(j)
	}
	for _, e := range es {
		v.Rows = append(v.Rows, newExecutionRow(e, executionLabel(e, names), true, zoneOf(r)))
	}
	v.Chart = newDurationChart(es, zoneOf(r))
	v.Older = v.Filter.olderURL(r.URL.Path, es)
	if v.Filter.Paged() {
		v.Newest = r.URL.Path + "?" + v.Filter.Query().Encode()
	}
	h.renderApp(w, r, http.StatusOK, "executions", c, v)
}
