package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
)

// Member is a member of an organization.
type Member struct {
	UserID    string    `json:"user_id" doc:"The member's user id."`
	Email     string    `json:"email" doc:"The member's email address." example:"ada@example.com"`
	Role      string    `json:"role" enum:"owner,admin,member,viewer" doc:"What the member may do: owner, admin, member or viewer (see /docs/teams)."`
	CreatedAt time.Time `json:"created_at" doc:"When they joined the organization."`
}

func (a *API) handleMemberList(ctx context.Context, in *orgIDInput) (*struct{ Body []*Member }, error) {
	return listFor(ctx, in.OrgID, a.svc.Members, func(m *prikke.Membership) *Member {
		return &Member{UserID: m.UserID.String(), Email: m.UserEmail, Role: string(m.Role), CreatedAt: m.CreatedAt}
	})
}

type memberInput struct {
	OrgID  string `path:"org_id" doc:"The organization's id."`
	UserID string `path:"user_id" doc:"The member's user id."`
	bodyInput
}

type roleRequest struct {
	Role string `json:"role" enum:"owner,admin,member,viewer" doc:"The member's new role." example:"admin"`
}

func (a *API) handleMemberUpdate(ctx context.Context, in *memberInput) (*struct{}, error) {
	org, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	user, err := parseID(in.UserID)
	if err != nil {
		return nil, err
	}
	var req roleRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.SetRole(ctx, actorOf(ctx), org, user, prikke.Role(req.Role))
}

type memberDeleteInput struct {
	OrgID  string `path:"org_id" doc:"The organization's id."`
	UserID string `path:"user_id" doc:"The member's user id (your own to leave)."`
}

func (a *API) handleMemberDelete(ctx context.Context, in *memberDeleteInput) (*struct{}, error) {
	org, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	user, err := parseID(in.UserID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RemoveMember(ctx, actorOf(ctx), org, user)
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opMembers = operation{ID: "members", Tag: "Organizations",
		Summary:     "List members",
		Description: "Everyone in the organization with their role."}

	opMemberUpdate = operation{ID: "member-update", Tag: "Organizations", Status: http.StatusNoContent, Body: roleRequest{},
		Summary:     "Change a member's role (owners)",
		Description: "The organization must keep at least one owner."}

	opMemberDelete = operation{ID: "member-delete", Tag: "Organizations", Status: http.StatusNoContent,
		Summary:     "Remove a member (owners), or leave",
		Description: "Owners remove anyone but the last owner; anyone may remove themselves to leave."}
)
