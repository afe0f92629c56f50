package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/service"
)

// TestSuspendedNoActorWrites: the writes that run without an actor (and
// so past the service's can) are refused while the organization is
// suspended: the ping API's create=1 by the project's ping key, and a
// member's acceptance of an invitation sent before the suspension.
func TestSuspendedNoActorWrites(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		invitee := s.newTenant(prikke.TierFree)
		tok, hash := auth.NewToken()
		inv := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: tn.org.ID, Email: invitee.user.Email, Role: prikke.RoleMember,
			TokenHash: hash, InvitedBy: tn.user.ID, ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}
		if err := s.store.InvitationCreate(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.org.ID, "Abuse"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.svc.CreateMonitorByPingKey(ctx, tn.project.PingKey, "made-while-suspended"); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
			t.Errorf("ping create=1 while suspended: %v; want EFORBIDDEN", err)
		}
		if _, err := s.store.MonitorGetBySlug(ctx, tn.project.ID, "made-while-suspended"); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("a monitor was created while suspended: %v", err)
		}
		if _, err := s.svc.AcceptInvitation(ctx, &service.Actor{User: invitee.user}, tok); prikke.ErrorCode(err) != prikke.EFORBIDDEN {
			t.Errorf("accept invitation while suspended: %v; want EFORBIDDEN", err)
		}
		if _, err := s.store.MembershipGet(ctx, tn.org.ID, invitee.user.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("joined a suspended organization: %v", err)
		}
		if _, err := s.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.org.ID); err != nil {
			t.Fatal(err)
		}
		if _, created, err := s.svc.CreateMonitorByPingKey(ctx, tn.project.PingKey, "made-after"); err != nil || !created {
			t.Errorf("ping create=1 after unsuspend: %v, %v", created, err)
		}
	})
}
