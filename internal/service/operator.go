package service

import (
	"context"
	"errors"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// STUB: the contract for issue 17's operator console; h-opservice
// replaces this file (and may split it). The signatures are the contract
// the web console (h-opweb) and the CLI build on.

var errStub = errors.New("service: not implemented yet")

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
func (s *Service) IsOperator(u *prikke.User) bool { return false }

// OperatorFor returns the operator a signed-in actor is, or ENOTFOUND
// (the console does not reveal itself to others) when it is not one.
func (s *Service) OperatorFor(a *Actor) (*Operator, error) { return nil, errStub }

// OpenIncidentAs posts an incident on /status and audits it
// (AuditIncidentOpen).
func (s *Service) OpenIncidentAs(ctx context.Context, op *Operator, in IncidentInput) (*prikke.Incident, error) {
	return nil, errStub
}

// UpdateIncidentAs adds an update to an incident (resolved closes it) and
// audits it (AuditIncidentUpdate).
func (s *Service) UpdateIncidentAs(ctx context.Context, op *Operator, id prikke.ID, st prikke.IncidentStatus, message string) (*prikke.Incident, error) {
	return nil, errStub
}

// Incidents lists the open incidents and those resolved in the last 30
// days, newest first, with their updates, for the console.
func (s *Service) Incidents(ctx context.Context, op *Operator) ([]*prikke.Incident, error) {
	return nil, errStub
}

// SuspendOrganization suspends an organization: its jobs and monitors
// pause (PauseForSuspension), its queued messages are dropped, its API
// keys answer 403 with the reason, its members can read but change
// nothing. reason is required (field "reason"). Audited under the
// organization (AuditOrganizationSuspend); its owners are mailed.
func (s *Service) SuspendOrganization(ctx context.Context, op *Operator, id prikke.ID, reason string) (*store.SuspendResult, error) {
	return nil, errStub
}

// UnsuspendOrganization lifts a suspension, resumes what it paused, then
// applies the tier's limits (PlanChange Enforce). Audited
// (AuditOrganizationUnsuspend).
func (s *Service) UnsuspendOrganization(ctx context.Context, op *Operator, id prikke.ID) (*store.SuspendResult, error) {
	return nil, errStub
}

// SetBaseTierAs sets an organization's base tier and applies the computed
// tier (what `prikke org set-tier` does), audited (AuditOperatorTier).
func (s *Service) SetBaseTierAs(ctx context.Context, op *Operator, id prikke.ID, tier prikke.Tier) (*prikke.Organization, error) {
	return nil, errStub
}

// OperatorOrganizations lists organizations with their tier, counts and
// this month's usage (f.Month defaults to the current month).
func (s *Service) OperatorOrganizations(ctx context.Context, op *Operator, f store.OrganizationSummaryFilter) ([]*store.OrganizationSummary, error) {
	return nil, errStub
}

// Nodes lists the cluster's nodes from their node heartbeats, by ID, with
// BeatAt set; those silent for NodeForgetAfter are left out.
func (s *Service) Nodes(ctx context.Context) ([]*prikke.NodeInfo, error) { return nil, errStub }

// OperatorAudit lists operator actions, newest first.
func (s *Service) OperatorAudit(ctx context.Context, op *Operator, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	return nil, errStub
}

// SuspendedError is what a suspended organization's API key, and any
// change its members attempt, gets: EFORBIDDEN with the operator's reason.
func SuspendedError(o *prikke.Organization) error {
	return prikke.Errorf(prikke.EFORBIDDEN, "This organization is suspended by the operator: %s", o.SuspendReason)
}
