package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// StatusPage is a customer-facing status page, served at /s/<slug> when
// published. It shows only the chosen jobs' and monitors' display names,
// states and uptime: never URLs, headers, bodies, pings or errors.
type StatusPage struct {
	ID        string              `json:"id" doc:"The status page's id."`
	ProjectID string              `json:"project_id" doc:"The project the page belongs to."`
	Slug      string              `json:"slug" example:"acme-status" doc:"The page's address: /s/<slug>."`
	Title     string              `json:"title" example:"Acme integrations" doc:"The page's heading."`
	Published bool                `json:"published" doc:"Whether the page is served; unpublished pages answer 404." example:"true"`
	URL       string              `json:"url" doc:"Where the page is served once published."`
	Jobs      []StatusPageJob     `json:"jobs" doc:"The jobs shown, in order."`
	Monitors  []StatusPageMonitor `json:"monitors" doc:"The cron monitors shown, in order, after the jobs."`
	CreatedAt time.Time           `json:"created_at" doc:"When the page was created."`
	UpdatedAt time.Time           `json:"updated_at" doc:"When the page last changed."`
}

// StatusPageMonitor is one cron monitor on a status page.
type StatusPageMonitor struct {
	MonitorID   string `json:"monitor_id" doc:"The monitor's id; it must be in the page's project."`
	DisplayName string `json:"display_name" maxLength:"200" example:"Nightly backup" doc:"The name visitors see instead of the monitor's own."`
}

// StatusPageJob is one job on a status page.
type StatusPageJob struct {
	JobID       string `json:"job_id" doc:"The job's id; it must be in the page's project."`
	DisplayName string `json:"display_name" maxLength:"200" example:"Invoice sync" doc:"The name visitors see instead of the job's own."`
}

func statusPageOut(p *prikke.StatusPage) *StatusPage {
	out := &StatusPage{ID: p.ID.String(), ProjectID: p.ProjectID.String(), Slug: p.Slug, Title: p.Title, Published: p.Published,
		URL: "/s/" + p.Slug, Jobs: []StatusPageJob{}, Monitors: []StatusPageMonitor{}, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, j := range p.Jobs {
		out.Jobs = append(out.Jobs, StatusPageJob{JobID: j.JobID.String(), DisplayName: j.DisplayName})
	}
	for _, m := range p.Monitors {
		out.Monitors = append(out.Monitors, StatusPageMonitor{MonitorID: m.MonitorID.String(), DisplayName: m.DisplayName})
	}
	return out
}

// StatusPageRequest creates or changes a status page.
type StatusPageRequest struct {
	Slug      *string              `json:"slug,omitempty" doc:"3-63 lower-case letters, digits or dashes." example:"acme-status"`
	Title     *string              `json:"title,omitempty" maxLength:"200" doc:"The page's heading." example:"Acme integrations"`
	Published *bool                `json:"published,omitempty" doc:"Whether the page is served at /s/<slug> (default false)." example:"true"`
	Jobs      *[]StatusPageJob     `json:"jobs,omitempty" doc:"The jobs shown, in order, under their display names (replaces the list)."`
	Monitors  *[]StatusPageMonitor `json:"monitors,omitempty" doc:"The cron monitors shown, in order, under their display names (replaces the list)."`
}

// decodeStatusPage reads a create or update body as the service's input.
func decodeStatusPage(b *bodyInput) (service.StatusPageInput, error) {
	var req StatusPageRequest
	if err := decode(b, &req); err != nil {
		return service.StatusPageInput{}, err
	}
	return req.input()
}

func (r *StatusPageRequest) input() (service.StatusPageInput, error) {
	in := service.StatusPageInput{Slug: r.Slug, Title: r.Title, Published: r.Published}
	if r.Jobs != nil {
		var v prikke.Validation
		jobs := make([]prikke.StatusPageJob, 0, len(*r.Jobs))
		for i, j := range *r.Jobs {
			id, err := prikke.ParseID(j.JobID)
			if err != nil {
				v.Add("jobs["+strconv.Itoa(i)+"].job_id", "is not a valid id")
				continue
			}
			jobs = append(jobs, prikke.StatusPageJob{JobID: id, DisplayName: j.DisplayName})
		}
		if err := v.Err(); err != nil {
			return in, err
		}
		in.Jobs = &jobs
	}
	if r.Monitors != nil {
		var v prikke.Validation
		monitors := make([]prikke.StatusPageMonitor, 0, len(*r.Monitors))
		for i, m := range *r.Monitors {
			id, err := prikke.ParseID(m.MonitorID)
			if err != nil {
				v.Add("monitors["+strconv.Itoa(i)+"].monitor_id", "is not a valid id")
				continue
			}
			monitors = append(monitors, prikke.StatusPageMonitor{MonitorID: id, DisplayName: m.DisplayName})
		}
		if err := v.Err(); err != nil {
			return in, err
		}
		in.Monitors = &monitors
	}
	return in, nil
}

func (a *API) handleStatusPageList(ctx context.Context, in *projectIDInput) (*struct{ Body []*StatusPage }, error) {
	return listFor(ctx, in.ProjectID, a.svc.StatusPages, statusPageOut)
}

func (a *API) handleStatusPageCreate(ctx context.Context, in *projectUpdateInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	si, err := decodeStatusPage(&in.bodyInput)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.CreateStatusPage(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

type statusPageIDInput struct {
	StatusPageID string `path:"status_page_id" doc:"The status page's id."`
}

type statusPageUpdateInput struct {
	StatusPageID string `path:"status_page_id" doc:"The status page's id."`
	bodyInput
}

func (a *API) handleStatusPageGet(ctx context.Context, in *statusPageIDInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.StatusPage(ctx, actorOf(ctx), id, prikke.PermRead)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

func (a *API) handleStatusPageUpdate(ctx context.Context, in *statusPageUpdateInput) (*struct{ Body *StatusPage }, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	si, err := decodeStatusPage(&in.bodyInput)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.UpdateStatusPage(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *StatusPage }{statusPageOut(p)}, nil
}

func (a *API) handleStatusPageDelete(ctx context.Context, in *statusPageIDInput) (*struct{}, error) {
	id, err := parseID(in.StatusPageID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteStatusPage(ctx, actorOf(ctx), id)
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opStatusPages = operation{ID: "status-pages", Tag: "Status pages",
		Summary:     "List a project's status pages",
		Description: "Every status page of the project, published or not."}

	opStatusPageCreate = operation{ID: "status-page-create", Tag: "Status pages", Status: http.StatusCreated, Body: StatusPageRequest{},
		Summary:     "Create a customer status page (admins)",
		Description: "A page at /s/<slug> showing the chosen jobs' display names, states and 90 days of uptime. Nothing else about the jobs is shown."}

	opStatusPage = operation{ID: "status-page", Tag: "Status pages",
		Summary:     "Get a status page",
		Description: "The status page with its jobs and address."}

	opStatusPageUpdate = operation{ID: "status-page-update", Tag: "Status pages", Body: StatusPageRequest{},
		Summary:     "Change a status page (admins)",
		Description: "Only the fields given change; jobs, when given, replaces the whole list."}

	opStatusPageDelete = operation{ID: "status-page-delete", Tag: "Status pages", Status: http.StatusNoContent,
		Summary:     "Delete a status page (admins)",
		Description: "The page stops being served at once."}
)
