package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// jobsView is the data of a project's jobs list.
type jobsView struct {
	Project *prikke.Project
	Form    *page.Form // the search box
	Rows    []jobRow
	Next    string // the next page's URL, or ""
	Back    string // this page, for the actions' redirect
}

// jobRow is one job in the list.
type jobRow struct {
	Job      *prikke.Job
	Schedule string
	Health   page.Badge
	Spark    sparkline
}

// jobsPage is how many jobs one page lists.
const jobsPage = 100

func (h *Web) showJobs(w http.ResponseWriter, r *http.Request) {
	a, ctx := actorOf(r), r.Context()
	id, err := pathID(r, "project_id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.projectContext(w, r, id, "jobs")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	form := page.NewForm(url.Values{"q": {q.Get("q")}})
	f := service.JobFilter{ProjectID: &id, Search: q.Get("q"), Limit: jobsPage}
	if t, err := time.Parse(time.RFC3339Nano, q.Get("after")); err == nil {
		if after, err := prikke.ParseID(q.Get("after_id")); err == nil {
			f.AfterCreatedAt, f.AfterID = t, after
		}
	}
	v := jobsView{Project: c.Project, Form: form, Back: r.URL.RequestURI()}
	jobs, err := h.svc.Jobs(ctx, a, f)
	if err != nil {
		if !formError(err) {
			h.fail(w, r, err)
			return
		}
		// An impossible search: say so beside the box.
		if fe := prikke.ErrorFields(err); len(fe) > 0 {
			form.SetError("q", fe[0].Message)
		} else {
			form.AddErrors(err)
		}
		h.renderApp(w, r, statusOf(err), "jobs", c, v)
		return
	}
	ids := make([]prikke.ID, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	recent, err := h.svc.RecentExecutions(ctx, a, id, ids, sparklineSlots+5)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, j := range jobs {
		v.Rows = append(v.Rows, jobRow{Job: j, Schedule: scheduleWords(j), Health: jobBadge(j), Spark: newSparkline(recent[j.ID], zoneOf(r))})
	}
	if len(jobs) == jobsPage {
		last := jobs[len(jobs)-1]
		nq := url.Values{"after": {last.CreatedAt.Format(time.RFC3339Nano)}, "after_id": {last.ID.String()}}
		if s := q.Get("q"); s != "" {
			nq.Set("q", s)
		}
		v.Next = r.URL.Path + "?" + nq.Encode()
	}
	h.renderApp(w, r, http.StatusOK, "jobs", c, v)
}
