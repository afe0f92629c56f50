package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// jobView is the data of a job's page: its definition and state, a
// chart, and its execution history, which the page's event stream keeps
// current.
type jobView struct {
	Job     *prikke.Job
	Summary jobSummary
	Day     successRate
	Week    successRate
	Chart   durationChart
	Filter  executionFilter
	Rows    []executionRow
	Older   string // the next page's URL, or ""
	Newest  string // the first page's URL when this is a later one
	Back    string // this page, for the actions' redirect
	// Channels are the job's own channels when it chose them (notify
	// custom).
	Channels []*prikke.Channel
}

// EventsURL is the page's event stream: new and changed executions that
// fit the filter, and the job's state.
func (v jobView) EventsURL() string {
	u := "/app/jobs/" + v.Job.ID.String() + "/events"
	if q := v.Filter.Query().Encode(); q != "" {
		u += "?" + q
	}
	return u
}

// jobSummary is the "job_summary" partial: the job's state, which the
// event stream refreshes whenever one of its executions changes.
type jobSummary struct {
	Job    *prikke.Job
	Health page.Badge
	Zone   *time.Location // the viewer's, for the times
}

func (h *Web) showJob(w http.ResponseWriter, r *http.Request) {
	job, c, ok := h.loadJob(w, r, "jobs")
	if !ok {
		return
	}
	a, ctx, now := actorOf(r), r.Context(), h.now()
	v := jobView{Job: job, Summary: jobSummary{Job: job, Health: jobBadge(job), Zone: zoneOf(r)}, Filter: parseExecutionFilter(r.URL.Query()),
		Back: r.URL.RequestURI()}
	for _, p := range []struct {
		rate  *successRate
		since time.Duration
	}{{&v.Day, 24 * time.Hour}, {&v.Week, 7 * 24 * time.Hour}} {
		stats, err := h.svc.ExecutionStats(ctx, a, service.ExecutionFilter{JobID: &job.ID, Since: now.Add(-p.since)})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		*p.rate = rateOf(stats)
	}
	if job.NotifyMode == prikke.NotifyCustom {
		cs, err := h.svc.Channels(ctx, a, job.ProjectID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, ch := range cs {
			if slices.Contains(job.ChannelIDs, ch.ID) {
				v.Channels = append(v.Channels, ch)
			}
		}
	}
	sf := v.Filter.serviceFilter(now)
	sf.JobID = &job.ID
	es, err := h.svc.Executions(ctx, a, sf)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range es {
		v.Rows = append(v.Rows, newExecutionRow(e, jobName(job), false, zoneOf(r)))
	}
	v.Chart = newDurationChart(es, zoneOf(r))
	v.Older = v.Filter.olderURL(r.URL.Path, es)
	if v.Filter.Paged() {
		v.Newest = r.URL.Path + "?" + v.Filter.Query().Encode()
	}
	h.renderApp(w, r, http.StatusOK, "job", c, v)
}
