package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Organization is an organization the caller belongs to.
type Organization struct {
	ID        string    `json:"id" doc:"The organization's id."`
	Name      string    `json:"name" doc:"The organization's name." example:"Acme"`
	Tier      string    `json:"tier" enum:"free,pro" doc:"The plan: free or pro. It sets the limits on jobs, requests a month, the shortest interval and how long history is kept."`
	Role      string    `json:"role,omitempty" enum:"owner,admin,member,viewer," doc:"Your role."`
	Personal  bool      `json:"personal" doc:"True for the organization every account gets for itself, which has one member and cannot be deleted." example:"true"`
	CreatedAt time.Time `json:"created_at,omitzero" doc:"When the organization was created."`
}

func orgOut(o *prikke.Organization, role prikke.Role) *Organization {
	return &Organization{ID: o.ID.String(), Name: o.Name, Tier: string(o.Tier), Role: string(role), Personal: o.Personal, CreatedAt: o.CreatedAt}
}

type orgIDInput struct {
	OrgID string `path:"org_id" doc:"The organization's id."`
}

func (a *API) handleOrgList(ctx context.Context, _ *struct{}) (*struct{ Body []*Organization }, error) {
	out, err := a.organizations(ctx, actorOf(ctx))
	if err != nil {
		return nil, err
	}
	return &struct{ Body []*Organization }{out}, nil
}

// organizations lists the actor's organizations with the actor's role in
// each, from the membership rows (one query).
func (a *API) organizations(ctx context.Context, actor *service.Actor) ([]*Organization, error) {
	ms, err := a.svc.Memberships(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]*Organization, 0, len(ms))
	for _, m := range ms {
		out = append(out, &Organization{ID: m.OrganizationID.String(), Name: m.OrganizationName, Tier: string(m.OrganizationTier),
			Role: string(m.Role), Personal: m.OrganizationPersonal})
	}
	return out, nil
}

type nameRequest struct {
	Name string `json:"name" maxLength:"200" doc:"The organization's new name." example:"Acme"`
}

func (a *API) handleOrgCreate(ctx context.Context, in *bodyOnly) (*struct{ Body *Organization }, error) {
	var req nameRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	o, err := a.svc.CreateOrganization(ctx, actorOf(ctx), req.Name)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Organization }{orgOut(o, prikke.RoleOwner)}, nil
}

func (a *API) handleOrgGet(ctx context.Context, in *orgIDInput) (*struct{ Body *Organization }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	o, role, err := a.svc.Organization(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Organization }{orgOut(o, role)}, nil
}

type orgUpdateInput struct {
	OrgID string `path:"org_id" doc:"The organization's id."`
	bodyInput
}

func (a *API) handleOrgUpdate(ctx context.Context, in *orgUpdateInput) (*struct{ Body *Organization }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	var req nameRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	o, err := a.svc.RenameOrganization(ctx, actorOf(ctx), id, req.Name)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Organization }{orgOut(o, "")}, nil
}

func (a *API) handleOrgDelete(ctx context.Context, in *orgIDInput) (*struct{}, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteOrganization(ctx, actorOf(ctx), id)
}

func (a *API) orgOrDefault(ctx context.Context, s, field string) (prikke.ID, error) {
	if s != "" {
		id, err := optID(field, s)
		if err != nil {
			return prikke.NilID, err
		}
		return *id, nil
	}
	o, err := a.svc.DefaultOrganization(ctx, actorOf(ctx))
	if err != nil {
		return prikke.NilID, err
	}
	return o.ID, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opOrganizations = operation{ID: "organizations", Tag: "Organizations",
		Summary:     "List your organizations",
		Description: "Every organization you are a member of, your personal one first, with its tier."}

	opOrganizationCreate = operation{ID: "organization-create", Tag: "Organizations", Status: http.StatusCreated, Body: nameRequest{},
		Summary:     "Create a team organization",
		Description: "A team organization you own, on the free tier. Invite members and add projects to it."}

	opOrganization = operation{ID: "organization", Tag: "Organizations",
		Summary:     "Get an organization",
		Description: "The organization's name, tier and whether it is your personal one."}

	opOrganizationUpdate = operation{ID: "organization-update", Tag: "Organizations", Body: nameRequest{},
		Summary:     "Rename an organization (owners)",
		Description: "Only owners may rename an organization."}

	opOrganizationDelete = operation{ID: "organization-delete", Tag: "Organizations", Status: http.StatusNoContent,
		Summary:     "Delete a team organization (owners)",
		Description: "Deletes the organization with its projects, jobs, history, members and keys. Personal organizations cannot be deleted."}
)
