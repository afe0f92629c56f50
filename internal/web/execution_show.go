package web

import (
	"net/http"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// executionView is the data of an execution's page: the request as sent,
// the response as received, and what happened in between.
type executionView struct {
	E         *prikke.Execution
	Job       *prikke.Job
	WebhookID string
	Body      bodyView
	Lateness  string // how late the attempt started against its due time
}

// FlowKeyURL is the page of the execution's flow key.
func (v executionView) FlowKeyURL() string { return flowKeyPath(v.E.ProjectID, v.E.FlowKey) }

// Throttled is how long flow control held the execution back.
func (v executionView) Throttled() string { return page.Duration(int(v.E.ThrottledMS)) }

func (h *Web) showExecution(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "execution_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.svc.Execution(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	job, err := h.svc.Job(ctx, a, e.JobID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, e.ProjectID, "executions")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := executionView{E: e, Job: job, WebhookID: prikke.WebhookID(e.JobID, e.ScheduledFor),
		Body: viewBody(e.ResponseBody, e.ResponseTruncated)}
	if e.StartedAt != nil {
		v.Lateness = page.Duration(int(e.Lateness().Milliseconds()))
	}
	h.renderApp(w, r, http.StatusOK, "execution", c, v)
}
