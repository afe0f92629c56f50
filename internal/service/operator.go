package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/requestid"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/template"
)

// Operator is who performs an operator action: a signed-in user whose
// confirmed email PRIKKE_OPERATOR_EMAILS lists (User set), or the command
// line (User nil; Name says who ran it, e.g. "cli").
type Operator struct {
	User      *prikke.User
	Name      string
	IP        string
	RequestID string
}

// CLIOperator is the operator the command line acts as: a shell on the
// server is an operator by definition.
func CLIOperator() *Operator { return &Operator{Name: "cli"} }

// IsOperator reports whether u is an operator: its email is confirmed and
// listed in Config.OperatorEmails (compared after the account
// normalisation).
func (s *Service) IsOperator(u *prikke.User) bool {
	return u != nil && u.Confirmed() && slices.Contains(s.cfg.OperatorEmails, prikke.NormalizeEmail(u.Email))
}

// OperatorFor returns the operator a signed-in actor is, or ENOTFOUND
// (the console does not reveal itself to others) when it is not one.
func (s *Service) OperatorFor(a *Actor) (*Operator, error) {
	// An API key is never an operator, whoever made it.
	if a == nil || a.APIKey != nil || !s.IsOperator(a.User) {
		return nil, notFound()
	}
	return &Operator{User: a.User, Name: a.User.Email, IP: a.IP, RequestID: a.RequestID}, nil
}

// operator checks that op may act: the command line, or a user who is an
// operator still (PRIKKE_OPERATOR_EMAILS is read again on every action).
func (s *Service) operator(op *Operator) error {
	switch {
	case op == nil:
		return notFound()
	case op.User != nil:
		if !s.IsOperator(op.User) {
			return notFound()
		}
	case op.Name == "":
		return notFound()
	}
	return nil
}

// recordOperator writes an operator action to the audit log: the user for
// a dashboard operator, the operator's name ("cli") for the command line.
func (s *Service) recordOperator(ctx context.Context, op *Operator, org *prikke.ID, action prikke.AuditAction, targetType, targetID, detail string) {
	e := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: org, Action: action, TargetType: targetType,
		TargetID: targetID, Detail: detail, ActorEmail: op.Name, IP: op.IP, RequestID: op.RequestID, CreatedAt: s.now()}
	if op.User != nil {
		e.ActorUserID, e.ActorEmail = &op.User.ID, op.User.Email
	}
	if e.RequestID == "" {
		e.RequestID = requestid.From(ctx)
	}
	if err := s.store.AuditInsert(context.WithoutCancel(ctx), e); err != nil {
		s.logger.Error("audit write failed", "action", action, "error", err)
	}
}

// OpenIncidentAs posts an incident on /status and audits it
// (AuditIncidentOpen).
func (s *Service) OpenIncidentAs(ctx context.Context, op *Operator, in IncidentInput) (*prikke.Incident, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	inc, err := s.OpenIncident(ctx, in)
	if err != nil {
		return nil, err
	}
	s.recordOperator(ctx, op, nil, prikke.AuditIncidentOpen, "incident", inc.ID.String(),
		fmt.Sprintf("%s: %s", inc.Status, inc.Title))
	return inc, nil
}

// UpdateIncidentAs adds an update to an incident (resolved closes it) and
// audits it (AuditIncidentUpdate).
func (s *Service) UpdateIncidentAs(ctx context.Context, op *Operator, id prikke.ID, st prikke.IncidentStatus, message string) (*prikke.Incident, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	inc, err := s.UpdateIncident(ctx, id, st, message)
	if err != nil {
		return nil, err
	}
	s.recordOperator(ctx, op, nil, prikke.AuditIncidentUpdate, "incident", inc.ID.String(),
		fmt.Sprintf("%s: %s", st, template.Clip(strings.TrimSpace(message), 200)))
	return inc, nil
}

// incidentHistory is how far back the console lists resolved incidents.
const incidentHistory = 30 * 24 * time.Hour

// Incidents lists the open incidents and those resolved in the last 30
// days, newest first, with their updates, for the console.
func (s *Service) Incidents(ctx context.Context, op *Operator) ([]*prikke.Incident, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	incs, err := s.store.IncidentList(ctx, s.now().Add(-incidentHistory))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(incs, func(a, b *prikke.Incident) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return incs, nil
}

// suspendReason validates and trims a suspension's reason.
func suspendReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", prikke.InvalidField("reason", "is required: the organization's members and API clients are shown it")
	case utf8.RuneCountInString(reason) > prikke.MaxSuspendReason:
		return "", prikke.InvalidField("reason", "is too long: max %d characters", prikke.MaxSuspendReason)
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, func(r rune) bool { return r < ' ' && r != '\n' || r == 0x7f }):
		return "", prikke.InvalidField("reason", "contains an invalid character")
	}
	return reason, nil
}

// suspension is the store's suspend or unsuspend of an organization at
// now, with the rules a plan change resumes and pauses by.
func suspension(id prikke.ID, reason string, now time.Time) *store.Suspension {
	return &store.Suspension{OrganizationID: id, Reason: reason, At: now,
		NextRun: nextRun, PauseMonitor: monitor.Pause, ResumeMonitor: monitor.Resume}
}

// SuspendOrganization suspends an organization: its jobs and monitors
// pause (PauseForSuspension), its queued messages are dropped, its API
// keys answer 403 with the reason, its members can read but change
// nothing. reason is required (field "reason"). Audited under the
// organization (AuditOrganizationSuspend); its owners are mailed.
func (s *Service) SuspendOrganization(ctx context.Context, op *Operator, id prikke.ID, reason string) (*store.SuspendResult, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	reason, err := suspendReason(reason)
	if err != nil {
		return nil, err
	}
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	res, err := s.store.OrganizationSuspend(ctx, suspension(id, reason, s.now()))
	if err != nil {
		return nil, err
	}
	s.forgetKeys()
	detail := reason
	if o.Suspended() {
		detail = "new reason: " + reason
	}
	s.recordOperator(ctx, op, &o.ID, prikke.AuditOrganizationSuspend, "organization", o.ID.String(), detail)
	s.logger.Info("organization suspended", "organization_id", o.ID, "operator", op.Name,
		"jobs", len(res.Jobs), "monitors", len(res.Monitors), "cancelled", res.Cancelled)
	if !o.Suspended() || o.SuspendReason != reason {
		s.mailOwners(ctx, o.ID, mail.Suspended{OrganizationName: o.Name, Reason: reason,
			Jobs: len(res.Jobs), Monitors: len(res.Monitors), OrganizationURL: s.url("/app/orgs/" + o.ID.String())})
	}
	return res, nil
}

// UnsuspendOrganization lifts a suspension, resumes what it paused, then
// applies the tier's limits (PlanChange Enforce). Audited
// (AuditOrganizationUnsuspend).
func (s *Service) UnsuspendOrganization(ctx context.Context, op *Operator, id prikke.ID) (*store.SuspendResult, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	res, err := s.store.OrganizationUnsuspend(ctx, suspension(id, "", s.now()))
	if err != nil {
		return nil, err
	}
	s.forgetKeys()
	if !o.Suspended() {
		return res, nil // nothing changed: nothing to record
	}
	s.recordOperator(ctx, op, &o.ID, prikke.AuditOrganizationUnsuspend, "organization", o.ID.String(),
		fmt.Sprintf("resumed %d jobs and %d monitors", len(res.Jobs), len(res.Monitors)))
	s.logger.Info("organization unsuspended", "organization_id", o.ID, "operator", op.Name,
		"jobs", len(res.Jobs), "monitors", len(res.Monitors))
	// What the suspension paused resumed as it was; the tier (which may
	// have changed meanwhile) decides what of it may run.
	if _, err := s.organization(ctx, id); err != nil {
		return res, err
	}
	if err := s.enforcePlan(ctx, id, "operator lifted the suspension"); err != nil {
		return res, err
	}
	return res, nil
}

// SetBaseTierAs sets an organization's base tier and applies the computed
// tier (what `prikke org set-tier` does), audited (AuditOperatorTier).
func (s *Service) SetBaseTierAs(ctx context.Context, op *Operator, id prikke.ID, tier prikke.Tier) (*prikke.Organization, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	before, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := s.SetTier(ctx, nil, id, tier)
	if err != nil {
		return nil, err
	}
	s.recordOperator(ctx, op, &o.ID, prikke.AuditOperatorTier, "organization", o.ID.String(),
		fmt.Sprintf("base tier %s → %s (tier %s)", baseTier(before), tier, o.Tier))
	return o, nil
}

// OperatorOrganizations lists organizations with their tier, counts and
// this month's usage (f.Month defaults to the current month).
func (s *Service) OperatorOrganizations(ctx context.Context, op *Operator, f store.OrganizationSummaryFilter) ([]*store.OrganizationSummary, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	if f.Month == "" {
		f.Month = s.now().Format("2006-01")
	}
	f.Query = strings.TrimSpace(f.Query)
	return s.store.OrganizationSummaries(ctx, f)
}

// NodeForgetAfter is how long a node may be silent before the console
// forgets it (a node stopped for good leaves its heartbeat behind).
const NodeForgetAfter = time.Hour

// Nodes lists the cluster's nodes from their node heartbeats, by ID, with
// BeatAt set; those silent for NodeForgetAfter are left out.
func (s *Service) Nodes(ctx context.Context) ([]*prikke.NodeInfo, error) {
	hbs, err := s.store.HeartbeatList(ctx, store.NodeBeat)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []*prikke.NodeInfo
	for _, hb := range hbs {
		if now.Sub(hb.At) > NodeForgetAfter {
			continue
		}
		var n prikke.NodeInfo
		if err := json.Unmarshal([]byte(hb.Detail), &n); err != nil {
			s.logger.Warn("node heartbeat unreadable", "name", hb.Name, "error", err)
			continue
		}
		if n.ID == "" {
			n.ID = strings.TrimPrefix(hb.Name, store.NodeBeat)
		}
		n.BeatAt = hb.At
		out = append(out, &n)
	}
	slices.SortFunc(out, func(a, b *prikke.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// OperatorAudit lists operator actions, newest first.
func (s *Service) OperatorAudit(ctx context.Context, op *Operator, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	if err := s.operator(op); err != nil {
		return nil, err
	}
	return s.store.AuditListOperator(ctx, f)
}

// SuspendedError is what a suspended organization's API key, and any
// change its members attempt, gets: EFORBIDDEN with the operator's reason.
func SuspendedError(o *prikke.Organization) error {
	return prikke.Errorf(prikke.EFORBIDDEN, "This organization is suspended by the operator: %s", o.SuspendReason)
}

// mailOwners sends d to every owner of an organization.
func (s *Service) mailOwners(ctx context.Context, orgID prikke.ID, d mail.Data) {
	ms, err := s.store.MembershipListByOrganization(ctx, orgID)
	if err != nil {
		s.logger.Error("owner mail: list owners failed", "organization_id", orgID, "kind", d.Kind(), "error", err)
		return
	}
	for _, m := range ms {
		if m.Role == prikke.RoleOwner && m.UserEmail != "" {
			s.send(ctx, m.UserEmail, d)
		}
	}
}

// clip shortens s to at most n runes for an audit detail.

// The operator's views of organizations and of the audit log, as the store
// keeps them (the dashboard reads them through the service only).
type (
	OrganizationSummary = store.OrganizationSummary
	OrganizationQuery   = store.OrganizationSummaryFilter
	AuditQuery          = store.AuditFilter
)
