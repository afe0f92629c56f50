package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prikke/prikke"
)

// Invitation is an invitation to join an organization.
type Invitation struct {
	ID        string     `json:"id" doc:"The invitation's id."`
	Email     string     `json:"email" doc:"The invited address." example:"ada@example.com"`
	Role      string     `json:"role" doc:"The role the invited person gets on accepting." example:"member"`
	ExpiresAt time.Time  `json:"expires_at" doc:"When the invitation's link stops working."`
	Accepted  *time.Time `json:"accepted_at,omitempty" doc:"When it was accepted; absent while open."`
	Declined  *time.Time `json:"declined_at,omitempty" doc:"When it was declined; absent unless declined."`
	CreatedAt time.Time  `json:"created_at" doc:"When the invitation was sent."`
}

func invitationOut(i *prikke.Invitation) *Invitation {
	return &Invitation{ID: i.ID.String(), Email: i.Email, Role: string(i.Role), ExpiresAt: i.ExpiresAt,
		Accepted: i.AcceptedAt, Declined: i.DeclinedAt, CreatedAt: i.CreatedAt}
}

func (a *API) handleInvitationList(ctx context.Context, in *orgIDInput) (*struct{ Body []*Invitation }, error) {
	return listFor(ctx, in.OrgID, a.svc.Invitations, invitationOut)
}

type inviteRequest struct {
	Email string `json:"email" doc:"The address to invite; the link is mailed there." example:"ada@example.com"`
	Role  string `json:"role" enum:"owner,admin,member,viewer" doc:"The role the invited person gets on accepting." example:"member"`
}

func (a *API) handleInvitationCreate(ctx context.Context, in *orgUpdateInput) (*struct{ Body *Invitation }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	var req inviteRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	inv, err := a.svc.Invite(ctx, actorOf(ctx), id, req.Email, prikke.Role(req.Role))
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Invitation }{invitationOut(inv)}, nil
}

type invitationIDInput struct {
	InvitationID string `path:"invitation_id" doc:"The invitation's id."`
}

func (a *API) handleInvitationDelete(ctx context.Context, in *invitationIDInput) (*struct{}, error) {
	id, err := parseID(in.InvitationID)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RevokeInvitation(ctx, actorOf(ctx), id)
}

func (a *API) handleInvitationAccept(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req tokenRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	inv, err := a.svc.AcceptInvitation(ctx, actorOf(ctx), req.Token)
	if err != nil {
		return nil, err
	}
	return ack("You joined " + inv.OrganizationName + " as " + string(inv.Role) + "."), nil
}

func (a *API) handleInvitationDecline(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req tokenRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	return ack("Invitation declined."), a.svc.DeclineInvitation(ctx, req.Token)
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opInvitations = operation{ID: "invitations", Tag: "Organizations",
		Summary:     "List invitations (admins)",
		Description: "Open, accepted and declined invitations, newest first."}

	opInvitationCreate = operation{ID: "invitation-create", Tag: "Organizations", Status: http.StatusCreated, Body: inviteRequest{},
		Summary:     "Invite someone by email (admins)",
		Description: "Mails a link to join the organization with the given role. The link works for 7 days."}

	opInvitationDelete = operation{ID: "invitation-delete", Tag: "Organizations", Status: http.StatusNoContent,
		Summary:     "Revoke an invitation (admins)",
		Description: "The invitation's link stops working."}

	opInvitationAccept = operation{ID: "invitation-accept", Tag: "Organizations", Body: tokenRequest{},
		Summary:     "Accept an invitation (signed in with the invited address)",
		Description: "Joins the organization with the invitation's role. You must be signed in with the address the invitation was sent to."}

	opInvitationDecline = operation{ID: "invitation-decline", Tag: "Organizations", Public: true, Body: tokenRequest{},
		Summary:     "Decline an invitation",
		Description: "Declines with the token from the mailed link; no session is needed."}
)
