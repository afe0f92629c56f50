package service

import (
	"context"
	"fmt"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/store"
)

// Memberships lists the organizations the user belongs to, personal first.
func (s *Service) Memberships(ctx context.Context, a *Actor) ([]*prikke.Membership, error) {
	if a == nil || a.User == nil {
		if a != nil && a.APIKey != nil {
			o, err := s.organization(ctx, a.APIKey.OrganizationID)
			if err != nil {
				return nil, err
			}
			return []*prikke.Membership{{OrganizationID: o.ID, Role: prikke.RoleAdmin, OrganizationName: o.Name, OrganizationTier: o.Tier, OrganizationPersonal: o.Personal}}, nil
		}
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in first.")
	}
	return s.store.MembershipListByUser(ctx, a.User.ID)
}

// Organization returns an organization the actor belongs to, with the
// actor's role. Its Tier is the computed one: a plan change the clock or
// a subscription made is applied first.
func (s *Service) Organization(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Organization, prikke.Role, error) {
	r, err := s.can(ctx, a, id, prikke.PermRead, "see this organization")
	if err != nil {
		return nil, "", err
	}
	o, err := s.organization(ctx, id)
	return o, r, err
}

// DefaultOrganization is the actor's own organization: an API key's, or
// the user's personal one.
func (s *Service) DefaultOrganization(ctx context.Context, a *Actor) (*prikke.Organization, error) {
	switch {
	case a != nil && a.APIKey != nil:
		return s.organization(ctx, a.APIKey.OrganizationID)
	case a != nil && a.User != nil:
		o, err := s.store.OrganizationGetPersonal(ctx, a.User.ID)
		if err != nil {
			return nil, err
		}
		o, _, err = s.upToDate(ctx, o)
		return o, err
	}
	return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in or send an API key.")
}

// CreateOrganization creates a team organization owned by the user, with a
// default project.
func (s *Service) CreateOrganization(ctx context.Context, a *Actor, name string) (*prikke.Organization, error) {
	if a == nil || a.User == nil {
		return nil, prikke.Errorf(prikke.EFORBIDDEN, "Sign in to the dashboard to create an organization.")
	}
	var v prikke.Validation
	prikke.ValidateName(&v, "name", name, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	tier := s.defaultTier()
	o := &prikke.Organization{ID: prikke.NewID(), Name: name, Tier: tier, BaseTier: tier, CreatedAt: now, UpdatedAt: now}
	if err := s.store.OrganizationCreate(ctx, o, a.User.ID); err != nil {
		return nil, err
	}
	if _, err := s.newProject(ctx, o.ID, "Default"); err != nil {
		return nil, err
	}
	return o, nil
}

// RenameOrganization renames an organization (owners).
func (s *Service) RenameOrganization(ctx context.Context, a *Actor, id prikke.ID, name string) (*prikke.Organization, error) {
	if _, err := s.can(ctx, a, id, prikke.PermManageRoles, "rename the organization"); err != nil {
		return nil, err
	}
	var v prikke.Validation
	prikke.ValidateName(&v, "name", name, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	o.Name, o.UpdatedAt = name, s.now()
	return o, s.store.OrganizationUpdate(ctx, o)
}

// DeleteOrganization deletes a team organization with everything in it
// (owners). A personal organization goes with its user's account.
func (s *Service) DeleteOrganization(ctx context.Context, a *Actor, id prikke.ID) error {
	if _, err := s.can(ctx, a, id, prikke.PermDeleteOrg, "delete the organization"); err != nil {
		return err
	}
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return err
	}
	if o.Personal {
		return prikke.Errorf(prikke.EINVALID, "A personal organization is deleted with your account.")
	}
	defer s.forgetKeys()
	return s.store.OrganizationDelete(ctx, id)
}

// defaultTier is the tier new organizations get (PRIKKE_DEFAULT_TIER).
func (s *Service) defaultTier() prikke.Tier {
	if s.cfg.DefaultTier.Valid() {
		return s.cfg.DefaultTier
	}
	return prikke.TierFree
}

// SetTier is `prikke org set-tier` (actor nil: only an operator may): it
// sets the organization's base tier, then applies the computed tier, so
// an operator's downgrade pauses what Free does not allow, as an ended
// subscription does. A subscription that grants Pro keeps Pro. Setting
// the tier an organization has already pauses what runs beyond its
// limits (reason plan), so an operator can bring an organization that
// runs more than its tier allows within it.
func (s *Service) SetTier(ctx context.Context, a *Actor, id prikke.ID, tier prikke.Tier) (*prikke.Organization, error) {
	if a != nil {
		return nil, prikke.Errorf(prikke.EFORBIDDEN, "Only an operator sets an organization's base tier (prikke org set-tier); upgrade in Settings → Billing.")
	}
	if !tier.Valid() {
		return nil, prikke.InvalidField("tier", "must be free or pro")
	}
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.OrganizationSetBaseTier(ctx, id, tier, s.now()); err != nil {
		return nil, err
	}
	cause := "operator set the base tier to " + string(tier)
	res, err := s.SyncTier(ctx, id, cause)
	if err != nil {
		return nil, err
	}
	if res == nil {
		// The tier stays: still bring what runs within its limits (an
		// organization over them since before limits were enforced).
		if err := s.enforcePlan(ctx, id, cause); err != nil {
			return nil, err
		}
	}
	if from := baseTier(o); res == nil && from != tier {
		// The enforced tier stays (a subscription grants Pro): the base
		// tier's change is still on record.
		s.record(ctx, a, &o.ID, prikke.AuditTierChange, "organization", o.ID.String(), fmt.Sprintf("base tier %s → %s: operator", from, tier))
	}
	return s.store.OrganizationGet(ctx, id)
}

// UsageReport is an organization's metered use this month.
type UsageReport struct {
	Month    string
	Requests int64
	Limit    int64
	Jobs     int
	Monitors int
	MaxJobs  int // jobs and monitors together; 0: unlimited
	Tier     prikke.Tier
}

// Counted is what counts against MaxJobs: jobs and monitors together.
func (u *UsageReport) Counted() int { return u.Jobs + u.Monitors }

// Usage reports an organization's usage against its tier's limits.
func (s *Service) Usage(ctx context.Context, a *Actor, orgID prikke.ID) (*UsageReport, error) {
	o, _, err := s.Organization(ctx, a, orgID)
	if err != nil {
		return nil, err
	}
	month := prikke.Month(s.now())
	used, err := s.store.UsageGet(ctx, orgID, month)
	if err != nil {
		return nil, err
	}
	jobs, err := s.store.JobCountByOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	monitors, err := s.store.MonitorCountByOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	l := o.Tier.Limits()
	return &UsageReport{Month: month, Requests: used, Limit: l.MonthlyRequests, Jobs: jobs, Monitors: monitors,
		MaxJobs: l.MaxJobs, Tier: o.Tier}, nil
}

// Members lists an organization's members.
func (s *Service) Members(ctx context.Context, a *Actor, orgID prikke.ID) ([]*prikke.Membership, error) {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermRead, "see members"); err != nil {
		return nil, err
	}
	return s.store.MembershipListByOrganization(ctx, orgID)
}

// owners counts an organization's owners.
func (s *Service) owners(ctx context.Context, orgID prikke.ID) (int, error) {
	ms, err := s.store.MembershipListByOrganization(ctx, orgID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if m.Role == prikke.RoleOwner {
			n++
		}
	}
	return n, nil
}

// SetRole changes a member's role (owners). The last owner stays owner.
func (s *Service) SetRole(ctx context.Context, a *Actor, orgID, userID prikke.ID, role prikke.Role) error {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermManageRoles, "change roles"); err != nil {
		return err
	}
	if !role.Valid() {
		return prikke.InvalidField("role", "must be owner, admin, member or viewer")
	}
	m, err := s.store.MembershipGet(ctx, orgID, userID)
	if err != nil {
		return err
	}
	if m.Role == prikke.RoleOwner && role != prikke.RoleOwner {
		if n, err := s.owners(ctx, orgID); err != nil {
			return err
		} else if n <= 1 {
			return prikke.InvalidField("role", "the last owner cannot step down; make someone else owner first")
		}
	}
	if err := s.store.MembershipUpdateRole(ctx, orgID, userID, role); err != nil {
		return err
	}
	s.record(ctx, a, &orgID, prikke.AuditMemberRole, "user", userID.String(), string(role))
	return nil
}

// RemoveMember removes a member (owners), or lets a member leave. The last
// owner cannot leave.
func (s *Service) RemoveMember(ctx context.Context, a *Actor, orgID, userID prikke.ID) error {
	self := a != nil && a.User != nil && a.User.ID == userID
	perm := prikke.PermManageRoles
	if self {
		perm = prikke.PermRead
	}
	if _, err := s.canOrg(ctx, a, orgID, perm, "remove members"); err != nil {
		return err
	}
	m, err := s.store.MembershipGet(ctx, orgID, userID)
	if err != nil {
		return err
	}
	if m.Role == prikke.RoleOwner {
		if n, err := s.owners(ctx, orgID); err != nil {
			return err
		} else if n <= 1 {
			return prikke.Errorf(prikke.EINVALID, "The last owner cannot leave; make someone else owner or delete the organization.")
		}
	}
	if err := s.store.MembershipDelete(ctx, orgID, userID); err != nil {
		return err
	}
	s.record(ctx, a, &orgID, prikke.AuditMemberRemove, "user", userID.String(), "")
	return nil
}

// Invite invites someone by email (admins; only owners may invite owners).
func (s *Service) Invite(ctx context.Context, a *Actor, orgID prikke.ID, email string, role prikke.Role) (*prikke.Invitation, error) {
	r, err := s.canOrg(ctx, a, orgID, prikke.PermManageInvites, "invite members")
	if err != nil {
		return nil, err
	}
	email = prikke.NormalizeEmail(email)
	var v prikke.Validation
	prikke.ValidateEmail(&v, "email", email)
	if !role.Valid() {
		v.Add("role", "must be owner, admin, member or viewer")
	} else if role == prikke.RoleOwner && r != prikke.RoleOwner {
		v.Add("role", "only owners may invite owners")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if u, err := s.store.UserGetByEmail(ctx, email); err == nil {
		if _, err := s.store.MembershipGet(ctx, orgID, u.ID); err == nil {
			return nil, prikke.InvalidField("email", "%s is already a member", email)
		}
	}
	o, err := s.store.OrganizationGet(ctx, orgID)
	if err != nil {
		return nil, err
	}
	tok, hash := auth.NewToken()
	now := s.now()
	inv := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: orgID, Email: email, Role: role, TokenHash: hash,
		InvitedBy: a.User.ID, ExpiresAt: now.Add(prikke.InvitationLifetime), CreatedAt: now}
	if err := s.store.InvitationCreate(ctx, inv); err != nil {
		return nil, err
	}
	s.send(ctx, email, mail.Invitation{InviterEmail: a.User.Email, OrganizationName: o.Name, Role: string(role),
		AcceptURL: s.url("/invitations/accept?token=" + tok), ExpiresAt: inv.ExpiresAt})
	s.record(ctx, a, &orgID, prikke.AuditMemberInvite, "invitation", inv.ID.String(), email+" as "+string(role))
	inv.OrganizationName = o.Name
	return inv, nil
}

// Invitations lists an organization's invitations (admins).
func (s *Service) Invitations(ctx context.Context, a *Actor, orgID prikke.ID) ([]*prikke.Invitation, error) {
	if err := orgWide(a, orgID, "see invitations"); err != nil {
		return nil, err
	}
	if _, err := s.canSee(ctx, a, orgID, prikke.PermManageInvites, "see invitations"); err != nil {
		return nil, err
	}
	return s.store.InvitationListByOrganization(ctx, orgID)
}

// RevokeInvitation deletes a pending invitation (admins).
func (s *Service) RevokeInvitation(ctx context.Context, a *Actor, id prikke.ID) error {
	inv, err := s.store.InvitationGet(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.canOrg(ctx, a, inv.OrganizationID, prikke.PermManageInvites, "revoke invitations"); err != nil {
		return err
	}
	if err := s.store.InvitationDelete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, a, &inv.OrganizationID, prikke.AuditInvitationRevoke, "invitation", id.String(), inv.Email)
	return nil
}

// InvitationByToken returns the invitation a link points to, if pending.
func (s *Service) InvitationByToken(ctx context.Context, token string) (*prikke.Invitation, error) {
	inv, err := s.store.InvitationGetByTokenHash(ctx, auth.HashToken(token))
	if err != nil || !inv.Pending(s.now()) {
		return nil, prikke.Errorf(prikke.EINVALID, "This invitation is invalid, expired or already used.")
	}
	return inv, nil
}

// AcceptInvitation makes the signed-in user a member. The invitation must
// be addressed to the user's email.
func (s *Service) AcceptInvitation(ctx context.Context, a *Actor, token string) (*prikke.Invitation, error) {
	if a == nil || a.User == nil {
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Sign in (or sign up) with the invited address to accept.")
	}
	inv, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if inv.Email != a.User.Email {
		return nil, prikke.Errorf(prikke.EFORBIDDEN, "This invitation is for %s; sign in with that address to accept it.", inv.Email)
	}
	// Joining is a change of the organization: refused while suspended.
	if o, err := s.store.OrganizationGet(ctx, inv.OrganizationID); err != nil {
		return nil, err
	} else if o.Suspended() {
		return nil, SuspendedError(o)
	}
	if err := s.store.InvitationAccept(ctx, inv.ID, a.User.ID, s.now()); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return nil, prikke.Errorf(prikke.ECONFLICT, "You are already a member, or the invitation was used.")
		}
		return nil, err
	}
	s.record(ctx, a, &inv.OrganizationID, prikke.AuditMemberJoin, "user", a.User.ID.String(), string(inv.Role))
	return inv, nil
}

// DeclineInvitation declines an invitation by its link.
func (s *Service) DeclineInvitation(ctx context.Context, token string) error {
	inv, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return err
	}
	return s.store.InvitationDecline(ctx, inv.ID, s.now())
}

// Audit lists an organization's audit log (admins).
func (s *Service) Audit(ctx context.Context, a *Actor, orgID prikke.ID, before time.Time, beforeID prikke.ID, limit int) ([]*prikke.AuditEntry, error) {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermReadAudit, "read the audit log"); err != nil {
		return nil, err
	}
	return s.store.AuditList(ctx, store.AuditFilter{OrganizationID: orgID, BeforeCreatedAt: before, BeforeID: beforeID, Limit: limit})
}
