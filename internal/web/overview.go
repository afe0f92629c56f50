package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// overviewView is the data of a project's overview.
type overviewView struct {
	Project                        *prikke.Project
	Jobs, Enabled, Paused, Failing int
	Day, Week                      successRate
	NextRuns                       []*prikke.Job
	Failures                       []executionRow
	Usage                          *service.UsageReport
	Tier                           prikke.Limits
	FlowKeys                       []flowKeyRow // the project's flow keys with their backlog
}

// successRate is the share of delivered requests that succeeded.
type successRate struct {
	Success, Delivered int
}

// Text is the rate as a percentage, "—" when nothing was delivered.
func (s successRate) Text() string { return page.Percent(s.Success, s.Delivered) }

func rateOf(stats map[prikke.ExecutionStatus]int) successRate {
	ok := stats[prikke.ExecutionStatusSuccess]
	return successRate{Success: ok, Delivered: ok + stats[prikke.ExecutionStatusFailed] + stats[prikke.ExecutionStatusTimeout]}
}

// overviewNext and overviewFailures bound the overview's lists.
const (
	overviewNext     = 5
	overviewFailures = 5
)

func (h *Web) showOverview(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, id, "overview")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	jobs, err := h.svc.AllJobs(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := overviewView{Project: c.Project, Jobs: len(jobs), Tier: c.Org.Tier.Limits()}
	names := map[prikke.ID]string{}
	for _, j := range jobs {
		names[j.ID] = jobName(j)
		switch {
		case !j.Enabled:
			v.Paused++
		case j.Health == prikke.JobFailing:
			v.Failing++
		}
		if j.Enabled {
			v.Enabled++
			if j.NextRunAt != nil {
				v.NextRuns = append(v.NextRuns, j)
			}
		}
	}
	slices.SortFunc(v.NextRuns, func(a, b *prikke.Job) int { return a.NextRunAt.Compare(*b.NextRunAt) })
	v.NextRuns = v.NextRuns[:min(len(v.NextRuns), overviewNext)]

	now := h.now()
	for _, p := range []struct {
		rate  *successRate
		since time.Duration
	}{{&v.Day, 24 * time.Hour}, {&v.Week, 7 * 24 * time.Hour}} {
		stats, err := h.svc.ExecutionStats(ctx, a, service.ExecutionFilter{ProjectID: &id, Since: now.Add(-p.since)})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		*p.rate = rateOf(stats)
	}
	failed, err := h.svc.Executions(ctx, a, service.ExecutionFilter{ProjectID: &id, Limit: overviewFailures,
		Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusFailed, prikke.ExecutionStatusTimeout}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range failed {
		v.Failures = append(v.Failures, newExecutionRow(e, executionLabel(e, names), true, zoneOf(r)))
	}
	if v.Usage, err = h.svc.Usage(ctx, a, c.Org.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	keys, err := h.svc.FlowKeys(ctx, a, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.FlowKeys = h.flowKeyRows(keys, id, zoneOf(r))
	h.renderApp(w, r, http.StatusOK, "overview", c, v)
}
