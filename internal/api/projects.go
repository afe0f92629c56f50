package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Project is a project.
type Project struct {
	ID             string     `json:"id" doc:"The project's id."`
	OrganizationID string     `json:"organization_id" doc:"The organization the project belongs to."`
	Name           string     `json:"name" doc:"The project's name." example:"Production"`
	AlertAfter     int        `json:"alert_after" doc:"Consecutive failures before a job is reported failing."`
	PingKey        string     `json:"ping_key" doc:"Names the project in slug ping URLs, /ping/{ping_key}/{slug}. Anyone who has it can ping the project's monitors by slug (and create them with ?create=1): keep it like a ping URL." example:"pk_7Hc2vQx9LmN4"`
	Redact         *Redaction `json:"redact" doc:"What the project never stores: these headers' and JSON fields' values are replaced by [redacted] before a request or response is stored, so in history, notifications, exports and logs too."`
	SnoozeUntil    *time.Time `json:"snooze_until,omitempty" doc:"Every alert of the project's jobs and monitors is muted until then (POST /api/v1/projects/{project_id}/snooze); absent when not snoozed."`
	CreatedAt      time.Time  `json:"created_at" doc:"When the project was created."`
	UpdatedAt      time.Time  `json:"updated_at" doc:"When the project last changed."`
}

func projectOut(p *prikke.Project) *Project {
	return &Project{ID: p.ID.String(), OrganizationID: p.OrganizationID.String(), Name: p.Name, AlertAfter: p.AlertAfter,
		PingKey: p.PingKey, SnoozeUntil: p.SnoozeUntil, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Redact: redactionOut(p.Redact)}
}

type projectListInput struct {
	OrganizationID string `query:"organization_id" doc:"Default: your own organization."`
}

func (a *API) handleProjectList(ctx context.Context, in *projectListInput) (*struct{ Body []*Project }, error) {
	org, err := a.orgOrDefault(ctx, in.OrganizationID, "query.organization_id")
	if err != nil {
		return nil, err
	}
	ps, err := a.svc.Projects(ctx, actorOf(ctx), org)
	if err != nil {
		return nil, err
	}
	out := []*Project{}
	for _, p := range ps {
		out = append(out, projectOut(p))
	}
	return &struct{ Body []*Project }{out}, nil
}

type projectRequest struct {
	OrganizationID *string    `json:"organization_id,omitempty" doc:"The organization to create the project in (default: your personal one). Ignored on update."`
	Name           *string    `json:"name,omitempty" maxLength:"200" doc:"The project's name." example:"Production"`
	AlertAfter     *int       `json:"alert_after,omitempty" minimum:"1" maximum:"100" doc:"Consecutive failures after which a job counts as failing and its channels are alerted." example:"3"`
	Redact         *Redaction `json:"redact,omitempty" doc:"What the project never stores (values replaced by [redacted]). Given, it replaces the whole redaction; null goes back to the default (Authorization, Cookie, Proxy-Authorization and Set-Cookie headers). Applies to attempts made from then on."`
}

// input is the service's input of a project request; raw is its body.
func (r *projectRequest) input(raw []byte) service.ProjectInput {
	in := service.ProjectInput{Name: r.Name, AlertAfter: r.AlertAfter}
	if r.Redact != nil || nullMember(raw, "redact") {
		red := redactionIn(r.Redact)
		in.Redact = &red
	}
	return in
}

func (a *API) handleProjectCreate(ctx context.Context, in *bodyOnly) (*struct{ Body *Project }, error) {
	var req projectRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	org := ""
	if req.OrganizationID != nil {
		org = *req.OrganizationID
	}
	orgID, err := a.orgOrDefault(ctx, org, "organization_id")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.CreateProject(ctx, actorOf(ctx), orgID, req.input(in.RawBody))
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Project }{projectOut(p)}, nil
}

type projectIDInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
}

func (a *API) handleProjectGet(ctx context.Context, in *projectIDInput) (*struct{ Body *Project }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.Project(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Project }{projectOut(p)}, nil
}

type projectUpdateInput struct {
	ProjectID string `path:"project_id" doc:"The project's id."`
	bodyInput
}

func (a *API) handleProjectUpdate(ctx context.Context, in *projectUpdateInput) (*struct{ Body *Project }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	var req projectRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if req.OrganizationID != nil {
		return nil, prikke.InvalidField("organization_id", "cannot be changed")
	}
	p, err := a.svc.UpdateProject(ctx, actorOf(ctx), id, req.input(in.RawBody))
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Project }{projectOut(p)}, nil
}

func (a *API) handleProjectDelete(ctx context.Context, in *projectIDInput) (*struct{}, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteProject(ctx, actorOf(ctx), id)
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opProjects = operation{ID: "projects", Tag: "Projects",
		Summary:     "List projects",
		Description: "The projects of one organization (default: your personal one)."}

	opProjectCreate = operation{ID: "project-create", Tag: "Projects", Status: http.StatusCreated, Body: projectRequest{},
		Summary:     "Create a project (admins)",
		Description: "A project groups jobs, their signing secret and their notification channels."}

	opProject = operation{ID: "project", Tag: "Projects",
		Summary:     "Get a project",
		Description: "The project's name and organization."}

	opProjectUpdate = operation{ID: "project-update", Tag: "Projects", Body: projectRequest{},
		Summary:     "Change a project (admins)",
		Description: "Only the fields given change."}

	opProjectDelete = operation{ID: "project-delete", Tag: "Projects", Status: http.StatusNoContent,
		Summary:     "Delete a project with its jobs (admins)",
		Description: "Deletes the project with its jobs, history, channels and status pages. This cannot be undone."}
)
