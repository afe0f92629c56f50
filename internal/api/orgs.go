package api

import (
	"context"
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
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *Organization }{orgOut(o, "")}, nil
}

func (a *API) handleOrgDelete(ctx context.Context, in *orgIDInput) (*struct{}, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	return nil, a.errOrNil(ctx, a.svc.DeleteOrganization(ctx, actorOf(ctx), id))
}

func (a *API) errOrNil(ctx context.Context, err error) error {
	if err != nil {
		return a.apiError(ctx, err)
	}
	return nil
}

// Usage is an organization's use this month against its tier.
type Usage struct {
	Month    string `json:"month" example:"2026-11" doc:"The calendar month counted (UTC), as YYYY-MM."`
	Requests int64  `json:"requests" doc:"Outbound delivery attempts this month (UTC), test requests included."`
	Limit    int64  `json:"limit" doc:"Requests the tier allows this month." example:"5000"`
	Jobs     int    `json:"jobs" doc:"Jobs the organization has now." example:"3"`
	MaxJobs  *int   `json:"max_jobs" nullable:"true" doc:"The tier's job limit; null when the tier has no limit (Pro)."`
	Tier     string `json:"tier" doc:"The organization's plan: free or pro." example:"free"`
}

func (a *API) handleUsage(ctx context.Context, in *orgIDInput) (*struct{ Body *Usage }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	u, err := a.svc.Usage(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	out := &Usage{Month: u.Month, Requests: u.Requests, Limit: u.Limit, Jobs: u.Jobs, Tier: string(u.Tier)}
	if u.MaxJobs > 0 {
		out.MaxJobs = &u.MaxJobs
	}
	return &struct{ Body *Usage }{out}, nil
}

// Member is a member of an organization.
type Member struct {
	UserID    string    `json:"user_id" doc:"The member's user id."`
	Email     string    `json:"email" doc:"The member's email address." example:"ada@example.com"`
	Role      string    `json:"role" enum:"owner,admin,member,viewer" doc:"What the member may do: owner, admin, member or viewer (see /docs/teams)."`
	CreatedAt time.Time `json:"created_at" doc:"When they joined the organization."`
}

func (a *API) handleMemberList(ctx context.Context, in *orgIDInput) (*struct{ Body []*Member }, error) {
	return listFor(ctx, a, in.OrgID, a.svc.Members, func(m *prikke.Membership) *Member {
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
	return nil, a.errOrNil(ctx, a.svc.SetRole(ctx, actorOf(ctx), org, user, prikke.Role(req.Role)))
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
	return nil, a.errOrNil(ctx, a.svc.RemoveMember(ctx, actorOf(ctx), org, user))
}

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
	return listFor(ctx, a, in.OrgID, a.svc.Invitations, invitationOut)
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
		return nil, a.apiError(ctx, err)
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
	return nil, a.errOrNil(ctx, a.svc.RevokeInvitation(ctx, actorOf(ctx), id))
}

func (a *API) handleInvitationAccept(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req tokenRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	inv, err := a.svc.AcceptInvitation(ctx, actorOf(ctx), req.Token)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return ack("You joined " + inv.OrganizationName + " as " + string(inv.Role) + "."), nil
}

func (a *API) handleInvitationDecline(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req tokenRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	return ack("Invitation declined."), a.errOrNil(ctx, a.svc.DeclineInvitation(ctx, req.Token))
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         string    `json:"id" doc:"The entry's id."`
	Action     string    `json:"action" doc:"What happened, such as login, api_key.create or member.remove." example:"api_key.create"`
	Actor      string    `json:"actor" doc:"The user's email or the API key id."`
	TargetType string    `json:"target_type,omitempty" doc:"The kind of thing acted on (api_key, member, project, …)." example:"api_key"`
	TargetID   string    `json:"target_id,omitempty" doc:"The id of the thing acted on."`
	Detail     string    `json:"detail,omitempty" doc:"More about the action, in words. Never a secret." example:"deploy script"`
	IP         string    `json:"ip,omitempty" doc:"The client's IP address." example:"203.0.113.7"`
	RequestID  string    `json:"request_id,omitempty" doc:"The request's X-Request-Id, to match server logs." example:"01936b2e9a1c7d3e"`
	CreatedAt  time.Time `json:"created_at" doc:"When it happened."`
}

type auditInput struct {
	OrgID  string `path:"org_id" doc:"The organization's id."`
	Limit  int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor string `query:"cursor" doc:"next_cursor from the previous page."`
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Entries    []*AuditEntry `json:"entries" doc:"The entries, newest first."`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

func (a *API) handleAuditList(ctx context.Context, in *auditInput) (*struct{ Body *AuditPage }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	es, err := a.svc.Audit(ctx, actorOf(ctx), id, c.At, c.ID, n+1)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	page := &AuditPage{Entries: []*AuditEntry{}}
	for i, e := range es {
		if i == n {
			page.NextCursor = cursor{At: es[i-1].CreatedAt, ID: es[i-1].ID}.String()
			break
		}
		page.Entries = append(page.Entries, &AuditEntry{ID: e.ID.String(), Action: string(e.Action), Actor: e.ActorEmail,
			TargetType: e.TargetType, TargetID: e.TargetID, Detail: e.Detail, IP: e.IP, RequestID: e.RequestID, CreatedAt: e.CreatedAt})
	}
	return &struct{ Body *AuditPage }{page}, nil
}

// APIKey is a key as lists show it: never the secret.
type APIKey struct {
	ID         string     `json:"id" doc:"The key's id."`
	KeyID      string     `json:"key_id" doc:"The public part, pk_live_<id>."`
	Name       string     `json:"name" doc:"A name for people, such as where the key is used." example:"deploy script"`
	ProjectID  string     `json:"project_id,omitempty" doc:"Set when the key is limited to one project."`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"When the key last authenticated a request; absent if never."`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" doc:"When the key was revoked; absent while it works."`
	CreatedAt  time.Time  `json:"created_at" doc:"When the key was created."`
	Key        string     `json:"key,omitempty" doc:"The whole key: returned once, when it is created. Store it now."`
}

func keyOut(k *prikke.APIKey) *APIKey {
	out := &APIKey{ID: k.ID.String(), KeyID: k.KeyID, Name: k.Name, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt}
	if k.ProjectID != nil {
		out.ProjectID = k.ProjectID.String()
	}
	return out
}

func (a *API) handleKeyList(ctx context.Context, in *orgIDInput) (*struct{ Body []*APIKey }, error) {
	return listFor(ctx, a, in.OrgID, a.svc.APIKeys, keyOut)
}

type keyRequest struct {
	Name      string  `json:"name" maxLength:"200" example:"deploy script" doc:"A name for the key, such as where it is used."`
	ProjectID *string `json:"project_id,omitempty" doc:"Limit the key to this project."`
}

func (a *API) handleKeyCreate(ctx context.Context, in *orgUpdateInput) (*struct{ Body *APIKey }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	var req keyRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	si := service.APIKeyInput{Name: req.Name}
	if req.ProjectID != nil {
		if si.ProjectID, err = optID("project_id", *req.ProjectID); err != nil {
			return nil, a.apiError(ctx, err)
		}
	}
	full, k, err := a.svc.CreateAPIKey(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	out := keyOut(k)
	out.Key = full
	return &struct{ Body *APIKey }{out}, nil
}

type keyIDInput struct {
	KeyID string `path:"key_id" doc:"The key's id (not its pk_live_ public part)."`
}

func (a *API) handleKeyDelete(ctx context.Context, in *keyIDInput) (*struct{}, error) {
	id, err := parseID(in.KeyID)
	if err != nil {
		return nil, err
	}
	return nil, a.errOrNil(ctx, a.svc.RevokeAPIKey(ctx, actorOf(ctx), id))
}

// Project is a project.
type Project struct {
	ID             string    `json:"id" doc:"The project's id."`
	OrganizationID string    `json:"organization_id" doc:"The organization the project belongs to."`
	Name           string    `json:"name" doc:"The project's name." example:"Production"`
	AlertAfter     int       `json:"alert_after" doc:"Consecutive failures before a job is reported failing."`
	CreatedAt      time.Time `json:"created_at" doc:"When the project was created."`
	UpdatedAt      time.Time `json:"updated_at" doc:"When the project last changed."`
}

func projectOut(p *prikke.Project) *Project {
	return &Project{ID: p.ID.String(), OrganizationID: p.OrganizationID.String(), Name: p.Name, AlertAfter: p.AlertAfter,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
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
		return nil, a.apiError(ctx, err)
	}
	out := []*Project{}
	for _, p := range ps {
		out = append(out, projectOut(p))
	}
	return &struct{ Body []*Project }{out}, nil
}

func (a *API) orgOrDefault(ctx context.Context, s, field string) (prikke.ID, error) {
	if s != "" {
		id, err := optID(field, s)
		if err != nil {
			return prikke.NilID, a.apiError(ctx, err)
		}
		return *id, nil
	}
	o, err := a.svc.DefaultOrganization(ctx, actorOf(ctx))
	if err != nil {
		return prikke.NilID, a.apiError(ctx, err)
	}
	return o.ID, nil
}

type projectRequest struct {
	OrganizationID *string `json:"organization_id,omitempty" doc:"The organization to create the project in (default: your personal one). Ignored on update."`
	Name           *string `json:"name,omitempty" maxLength:"200" doc:"The project's name." example:"Production"`
	AlertAfter     *int    `json:"alert_after,omitempty" minimum:"1" maximum:"100" doc:"Consecutive failures after which a job counts as failing and its channels are alerted." example:"3"`
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
	p, err := a.svc.CreateProject(ctx, actorOf(ctx), orgID, service.ProjectInput{Name: req.Name, AlertAfter: req.AlertAfter})
	if err != nil {
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, err)
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
		return nil, a.apiError(ctx, prikke.InvalidField("organization_id", "cannot be changed"))
	}
	p, err := a.svc.UpdateProject(ctx, actorOf(ctx), id, service.ProjectInput{Name: req.Name, AlertAfter: req.AlertAfter})
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *Project }{projectOut(p)}, nil
}

func (a *API) handleProjectDelete(ctx context.Context, in *projectIDInput) (*struct{}, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	return nil, a.errOrNil(ctx, a.svc.DeleteProject(ctx, actorOf(ctx), id))
}

// SigningSecret is a project's webhook signing secret.
type SigningSecret struct {
	Secret         string     `json:"secret" doc:"whsec_…: verify webhook-signature with it."`
	PreviousSecret string     `json:"previous_secret,omitempty" doc:"Still signing too, until previous_until."`
	PreviousUntil  *time.Time `json:"previous_until,omitempty" doc:"After a rotation: until when requests also carry a signature made with the previous secret."`
}

func secretOut(p *prikke.Project, now time.Time) *SigningSecret {
	out := &SigningSecret{Secret: p.SigningSecret}
	if p.PreviousUntil != nil && now.Before(*p.PreviousUntil) {
		out.PreviousSecret, out.PreviousUntil = p.PreviousSecret, p.PreviousUntil
	}
	return out
}

func (a *API) handleSecretGet(ctx context.Context, in *projectIDInput) (*struct{ Body *SigningSecret }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RevealSecret(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *SigningSecret }{secretOut(p, a.svc.NowFunc())}, nil
}

func (a *API) handleSecretRotate(ctx context.Context, in *projectIDInput) (*struct{ Body *SigningSecret }, error) {
	id, err := parseID(in.ProjectID)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RotateSecret(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, a.apiError(ctx, err)
	}
	return &struct{ Body *SigningSecret }{secretOut(p, a.svc.NowFunc())}, nil
}

type previewInput struct {
	CronExpression string `query:"cron_expression" doc:"The expression to explain." example:"0 9 * * 1-5"`
	Timezone       string `query:"timezone" doc:"IANA zone (default UTC)." example:"Europe/Oslo"`
	Count          int    `query:"count" minimum:"1" maximum:"100" doc:"How many fire times (default 10)."`
}

// Preview explains a schedule.
type Preview struct {
	Description        string     `json:"description" example:"At 09:00, Monday through Friday" doc:"The expression in plain English."`
	Next               []FireTime `json:"next" doc:"The next fire times, earliest first."`
	MinIntervalMinutes int        `json:"min_interval_minutes" doc:"Shortest gap between fire times: the free tier needs at least 60."`
}

// FireTime is one upcoming run.
type FireTime struct {
	At          time.Time `json:"at" doc:"The instant, in UTC."`
	Local       string    `json:"local" doc:"The instant in the schedule's zone."`
	DSTShifted  bool      `json:"dst_shifted,omitempty" doc:"Moved to the end of a spring-forward gap."`
	DSTRepeated bool      `json:"dst_repeated,omitempty" doc:"The second of a repeated local time (fall back)."`
}

func (a *API) handleSchedulePreview(ctx context.Context, in *previewInput) (*struct{ Body *Preview }, error) {
	n := in.Count
	if n == 0 {
		n = 10
	}
	var v prikke.Validation
	if in.CronExpression == "" {
		v.Add("query.cron_expression", "is required")
		return nil, a.apiError(ctx, v.Err())
	}
	p, err := a.svc.SchedulePreview(in.CronExpression, in.Timezone, n)
	if err != nil {
		for _, f := range prikke.ErrorFields(err) {
			v.Add("query."+f.Field, "%s", f.Message)
		}
		return nil, a.apiError(ctx, v.Err())
	}
	out := &Preview{Description: p.Description, MinIntervalMinutes: int(p.MinInterval / time.Minute), Next: []FireTime{}}
	for _, f := range p.Fires {
		out.Next = append(out.Next, FireTime{At: f.Time.UTC(), Local: f.Time.In(p.Location).Format("2006-01-02 15:04 MST"),
			DSTShifted: f.DSTShifted, DSTRepeated: f.DSTRepeated})
	}
	return &struct{ Body *Preview }{out}, nil
}
