package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// testAccounts covers users, tokens, memberships, invitations, API keys,
// the audit log, rate limits and usage. Each subtest has its own store.
func testAccounts(t *testing.T, open Opener, cov *coverage) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store, cov *coverage)
	}{
		{"Users", testUsers},
		{"UserDelete", testUserDelete},
		{"Tokens", testTokens},
		{"TokenDeletes", testTokenDeletes},
		{"Memberships", testMemberships},
		{"Invitations", testInvitations},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"RateLimit", testRateLimit},
		{"RateLimitConcurrent", testRateLimitConcurrent},
		{"Usage", testUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t), cov)
		})
	}
}

func testUsers(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("UserGet", "UserGetByEmail", "UserUpdate")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)

	got, err := s.UserGet(ctx, a.User.ID)
	if err != nil {
		t.Fatalf("UserGet: %v", err)
	}
	sameRecord(t, "UserGet", got, a.User)
	got, err = s.UserGetByEmail(ctx, a.User.Email)
	if err != nil {
		t.Fatalf("UserGetByEmail: %v", err)
	}
	sameRecord(t, "UserGetByEmail", got, a.User)
	_, err = s.UserGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.UserGetByEmail(ctx, "nobody@example.com")
	Errcode(t, err, prikke.ENOTFOUND)

	// Every written field round-trips, an unconfirmed user included.
	oldEmail := a.User.Email
	a.User.Email = "renamed-" + oldEmail
	a.User.PasswordHash = "$argon2id$v=19$changed"
	a.User.ConfirmedAt = nil
	a.User.TimeZone = "Europe/Oslo"
	a.User.UpdatedAt = T0.Add(time.Hour)
	if err := s.UserUpdate(ctx, a.User); err != nil {
		t.Fatalf("UserUpdate: %v", err)
	}
	got, err = s.UserGetByEmail(ctx, a.User.Email)
	if err != nil {
		t.Fatalf("UserGetByEmail after update: %v", err)
	}
	sameRecord(t, "after UserUpdate", got, a.User)
	_, err = s.UserGetByEmail(ctx, oldEmail)
	Errcode(t, err, prikke.ENOTFOUND)
	confirmed := T0.Add(2 * time.Hour)
	a.User.ConfirmedAt = &confirmed
	if err := s.UserUpdate(ctx, a.User); err != nil {
		t.Fatalf("UserUpdate: %v", err)
	}
	got, _ = s.UserGet(ctx, a.User.ID)
	sameRecord(t, "after confirming", got, a.User)

	// Taking another user's email is a conflict and changes nothing.
	wantB := *b.User
	b.User.Email = a.User.Email
	Errcode(t, s.UserUpdate(ctx, b.User), prikke.ECONFLICT)
	got, _ = s.UserGet(ctx, b.User.ID)
	sameRecord(t, "after conflicting update", got, &wantB)

	Errcode(t, s.UserUpdate(ctx, &prikke.User{ID: prikke.NewID(), Email: "ghost@example.com", UpdatedAt: T0}), prikke.ENOTFOUND)

	// Sign-up stores the user's time zone.
	c := NewTenant(t, s, prikke.TierFree)
	c.User.ID, c.Org.ID, c.Project.ID = prikke.NewID(), prikke.NewID(), prikke.NewID()
	c.Project.OrganizationID, c.Project.PingKey = c.Org.ID, ""
	c.User.Email, c.User.TimeZone = "zoned-"+c.User.Email, "America/New_York"
	if err := s.SignupCreate(ctx, &store.SignupParams{User: c.User, Organization: c.Org, Project: c.Project}); err != nil {
		t.Fatalf("SignupCreate: %v", err)
	}
	got, _ = s.UserGet(ctx, c.User.ID)
	sameRecord(t, "after signing up in a zone", got, c.User)

	// Setting the zone changes it and updated_at, and nothing else: a
	// password or email written meanwhile stays.
	cov.covers("UserSetTimeZone")
	c.User.PasswordHash, c.User.Email, c.User.UpdatedAt = "$argon2id$v=19$meanwhile", "moved-"+c.User.Email, T0.Add(3*time.Hour)
	if err := s.UserUpdate(ctx, c.User); err != nil {
		t.Fatalf("UserUpdate: %v", err)
	}
	if err := s.UserSetTimeZone(ctx, c.User.ID, "Asia/Tokyo", T0.Add(4*time.Hour)); err != nil {
		t.Fatalf("UserSetTimeZone: %v", err)
	}
	want := *c.User
	want.TimeZone, want.UpdatedAt = "Asia/Tokyo", T0.Add(4*time.Hour)
	got, _ = s.UserGet(ctx, c.User.ID)
	sameRecord(t, "after UserSetTimeZone", got, &want)
	Errcode(t, s.UserSetTimeZone(ctx, prikke.NewID(), "UTC", T0), prikke.ENOTFOUND)
}

func testUserDelete(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("UserDelete", "UserGet", "TokenCreate", "TokenGetByHash", "TokenListByUser", "MembershipCreate",
		"MembershipGet", "MembershipListByOrganization", "MembershipListByUser", "APIKeyCreate", "APIKeyGet",
		"InvitationCreate", "InvitationGet")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)

	// shared has a second owner and survives; alone has only a as owner
	// (b is an admin) and goes, with its project; b's personal org, where
	// a is a member, survives without a.
	shared := newOrganization(t, s, "Shared", prikke.TierPro, a.User.ID)
	createMembership(t, s, shared.ID, b.User.ID, prikke.RoleOwner)
	alone := newOrganization(t, s, "Alone", prikke.TierPro, a.User.ID)
	createMembership(t, s, alone.ID, b.User.ID, prikke.RoleAdmin)
	aloneProject := &prikke.Project{ID: prikke.NewID(), OrganizationID: alone.ID, Name: "P", SigningSecret: "whsec_alone", AlertAfter: 1, CreatedAt: T0, UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, aloneProject); err != nil {
		t.Fatal(err)
	}
	createMembership(t, s, b.Org.ID, a.User.ID, prikke.RoleMember)

	aToken := newToken(t, s, a.User.ID, prikke.TokenSession, "a-session", T0.Add(time.Hour), T0)
	bToken := newToken(t, s, b.User.ID, prikke.TokenSession, "b-session", T0.Add(time.Hour), T0)
	key := &prikke.APIKey{ID: prikke.NewID(), OrganizationID: b.Org.ID, Name: "by a", KeyID: "pk_live_bya", SecretHash: hashOf("s"), CreatedBy: &a.User.ID, CreatedAt: T0}
	if err := s.APIKeyCreate(ctx, key); err != nil {
		t.Fatal(err)
	}
	inv := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: shared.ID, Email: "x@example.com", Role: prikke.RoleMember,
		TokenHash: hashOf("inv"), InvitedBy: a.User.ID, ExpiresAt: T0.Add(time.Hour), CreatedAt: T0}
	if err := s.InvitationCreate(ctx, inv); err != nil {
		t.Fatal(err)
	}

	if err := s.UserDelete(ctx, a.User.ID); err != nil {
		t.Fatalf("UserDelete: %v", err)
	}
	_, err := s.UserGet(ctx, a.User.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	for _, id := range []prikke.ID{a.Org.ID, alone.ID} {
		_, err = s.OrganizationGet(ctx, id)
		Errcode(t, err, prikke.ENOTFOUND)
	}
	for _, id := range []prikke.ID{a.Project.ID, aloneProject.ID} {
		_, err = s.ProjectGet(ctx, id)
		Errcode(t, err, prikke.ENOTFOUND)
	}
	_, err = s.MembershipGet(ctx, alone.ID, b.User.ID)
	Errcode(t, err, prikke.ENOTFOUND)

	if _, err := s.OrganizationGet(ctx, shared.ID); err != nil {
		t.Errorf("organization with another owner: %v", err)
	}
	ms, err := s.MembershipListByOrganization(ctx, shared.ID)
	if err != nil || len(ms) != 1 || ms[0].UserID != b.User.ID {
		t.Errorf("shared members after delete = %v, %v; want only b", ms, err)
	}
	if _, err := s.ProjectGet(ctx, b.Project.ID); err != nil {
		t.Errorf("b's project: %v", err)
	}
	_, err = s.MembershipGet(ctx, b.Org.ID, a.User.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	ms, err = s.MembershipListByUser(ctx, b.User.ID)
	if err != nil || len(ms) != 2 || ms[0].OrganizationID != b.Org.ID || ms[1].OrganizationID != shared.ID {
		t.Errorf("b's memberships after delete = %v, %v; want personal and shared", ms, err)
	}

	_, err = s.TokenGetByHash(ctx, prikke.TokenSession, aToken.Hash, T0)
	Errcode(t, err, prikke.ENOTFOUND)
	if ts, err := s.TokenListByUser(ctx, a.User.ID, prikke.TokenSession); err != nil || len(ts) != 0 {
		t.Errorf("a's tokens after delete = %v, %v", ts, err)
	}
	if _, err := s.TokenGetByHash(ctx, prikke.TokenSession, bToken.Hash, T0); err != nil {
		t.Errorf("b's token: %v", err)
	}
	if k, err := s.APIKeyGet(ctx, key.ID); err != nil || k.CreatedBy != nil {
		t.Errorf("key created by a deleted user = %+v, %v; want it kept with CreatedBy nil", k, err)
	}
	if i, err := s.InvitationGet(ctx, inv.ID); err != nil || i.InvitedBy != prikke.NilID {
		t.Errorf("invitation by a deleted user = %+v, %v; want it kept with InvitedBy NilID", i, err)
	}

	Errcode(t, s.UserDelete(ctx, a.User.ID), prikke.ENOTFOUND)
}

func testTokens(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("TokenCreate", "TokenGetByHash", "TokenTouch", "TokenListByUser")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)

	sess := &prikke.Token{ID: prikke.NewID(), UserID: a.User.ID, Kind: prikke.TokenSession, Hash: hashOf("session"),
		ExpiresAt: T0.Add(prikke.SessionAbsoluteTimeout), LastSeenAt: T0, CreatedAt: T0, IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}
	change := &prikke.Token{ID: prikke.NewID(), UserID: a.User.ID, Kind: prikke.TokenEmailChange, Hash: hashOf("change"),
		Data: "new@example.com", ExpiresAt: T0.Add(time.Hour), LastSeenAt: T0, CreatedAt: T0}
	for _, tk := range []*prikke.Token{sess, change} {
		if err := s.TokenCreate(ctx, tk); err != nil {
			t.Fatalf("TokenCreate: %v", err)
		}
	}
	dup := *sess
	dup.ID = prikke.NewID()
	Errcode(t, s.TokenCreate(ctx, &dup), prikke.ECONFLICT)
	orphan := *sess
	orphan.ID, orphan.UserID, orphan.Hash = prikke.NewID(), prikke.NewID(), hashOf("orphan")
	Errcode(t, s.TokenCreate(ctx, &orphan), prikke.ENOTFOUND)

	for _, tk := range []*prikke.Token{sess, change} {
		got, err := s.TokenGetByHash(ctx, tk.Kind, tk.Hash, T0)
		if err != nil {
			t.Fatalf("TokenGetByHash(%s): %v", tk.Kind, err)
		}
		sameRecord(t, "TokenGetByHash", got, tk)
	}
	// The kind must match, and a token is valid strictly before ExpiresAt.
	_, err := s.TokenGetByHash(ctx, prikke.TokenReset, sess.Hash, T0)
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.TokenGetByHash(ctx, prikke.TokenSession, hashOf("unknown"), T0)
	Errcode(t, err, prikke.ENOTFOUND)
	if _, err := s.TokenGetByHash(ctx, prikke.TokenEmailChange, change.Hash, change.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("token a microsecond before expiry: %v", err)
	}
	_, err = s.TokenGetByHash(ctx, prikke.TokenEmailChange, change.Hash, change.ExpiresAt)
	Errcode(t, err, prikke.ENOTFOUND)

	// Times may come in any zone and come out in UTC.
	seen := T0.Add(90 * time.Minute).In(time.FixedZone("CET", 3600))
	if err := s.TokenTouch(ctx, sess.ID, seen); err != nil {
		t.Fatalf("TokenTouch: %v", err)
	}
	got, err := s.TokenGetByHash(ctx, prikke.TokenSession, sess.Hash, T0)
	if err != nil {
		t.Fatal(err)
	}
	sess.LastSeenAt = seen
	sameRecord(t, "after TokenTouch", got, sess)
	Errcode(t, s.TokenTouch(ctx, prikke.NewID(), T0), prikke.ENOTFOUND)

	// Lists filter by user and kind, newest first, expired tokens included.
	later := newToken(t, s, a.User.ID, prikke.TokenSession, "later", T0.Add(-time.Minute), T0.Add(time.Minute))
	bSess := newToken(t, s, b.User.ID, prikke.TokenSession, "b", T0.Add(time.Hour), T0)
	list, err := s.TokenListByUser(ctx, a.User.ID, prikke.TokenSession)
	if err != nil || len(list) != 2 {
		t.Fatalf("TokenListByUser = %v, %v; want 2", list, err)
	}
	sameRecord(t, "TokenListByUser[0]", list[0], later)
	sameRecord(t, "TokenListByUser[1]", list[1], sess)
	if list, err := s.TokenListByUser(ctx, a.User.ID, prikke.TokenEmailChange); err != nil || len(list) != 1 || list[0].ID != change.ID {
		t.Errorf("TokenListByUser(email_change) = %v, %v", list, err)
	}
	if list, err := s.TokenListByUser(ctx, a.User.ID, prikke.TokenReset); err != nil || len(list) != 0 {
		t.Errorf("TokenListByUser(reset) = %v, %v; want none", list, err)
	}
	if list, err := s.TokenListByUser(ctx, b.User.ID, prikke.TokenSession); err != nil || len(list) != 1 || list[0].ID != bSess.ID {
		t.Errorf("b's sessions = %v, %v", list, err)
	}
}

func testTokenDeletes(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("TokenCreate", "TokenDelete", "TokenDeleteByUser", "TokenDeleteExpired", "TokenListByUser")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)
	exp := T0.Add(24 * time.Hour)

	current := newToken(t, s, a.User.ID, prikke.TokenSession, "current", exp, T0)
	other1 := newToken(t, s, a.User.ID, prikke.TokenSession, "other1", exp, T0)
	other2 := newToken(t, s, a.User.ID, prikke.TokenSession, "other2", exp, T0)
	reset := newToken(t, s, a.User.ID, prikke.TokenReset, "reset", exp, T0)
	confirm := newToken(t, s, a.User.ID, prikke.TokenConfirm, "confirm", exp, T0)
	bSess := newToken(t, s, b.User.ID, prikke.TokenSession, "b", exp, T0)

	// "Log out other sessions": every session but the current one.
	n, err := s.TokenDeleteByUser(ctx, a.User.ID, []prikke.TokenKind{prikke.TokenSession}, current.ID)
	if err != nil || n != 2 {
		t.Fatalf("TokenDeleteByUser(except current) = %d, %v; want 2", n, err)
	}
	for _, tk := range []*prikke.Token{other1, other2} {
		_, err := s.TokenGetByHash(ctx, tk.Kind, tk.Hash, T0)
		Errcode(t, err, prikke.ENOTFOUND)
	}
	for _, tk := range []*prikke.Token{current, reset, confirm, bSess} {
		if _, err := s.TokenGetByHash(ctx, tk.Kind, tk.Hash, T0); err != nil {
			t.Errorf("%s token deleted too: %v", tk.Kind, err)
		}
	}
	if n, err := s.TokenDeleteByUser(ctx, a.User.ID, nil, prikke.NilID); err != nil || n != 0 {
		t.Errorf("TokenDeleteByUser(no kinds) = %d, %v; want 0", n, err)
	}
	n, err = s.TokenDeleteByUser(ctx, a.User.ID, []prikke.TokenKind{prikke.TokenSession, prikke.TokenReset, prikke.TokenConfirm}, prikke.NilID)
	if err != nil || n != 3 {
		t.Fatalf("TokenDeleteByUser(all, no exception) = %d, %v; want 3", n, err)
	}
	if n, err := s.TokenDeleteByUser(ctx, a.User.ID, []prikke.TokenKind{prikke.TokenSession}, prikke.NilID); err != nil || n != 0 {
		t.Errorf("TokenDeleteByUser again = %d, %v; want 0", n, err)
	}

	if err := s.TokenDelete(ctx, bSess.ID); err != nil {
		t.Fatalf("TokenDelete: %v", err)
	}
	Errcode(t, s.TokenDelete(ctx, bSess.ID), prikke.ENOTFOUND)

	// Expiry is inclusive: a token expiring exactly at now goes.
	early := newToken(t, s, b.User.ID, prikke.TokenReset, "early", T0.Add(time.Hour), T0)
	atNow := newToken(t, s, b.User.ID, prikke.TokenReset, "at-now", T0.Add(2*time.Hour), T0)
	late := newToken(t, s, b.User.ID, prikke.TokenReset, "late", T0.Add(3*time.Hour), T0)
	n, err = s.TokenDeleteExpired(ctx, T0.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("TokenDeleteExpired = %d, %v; want 2", n, err)
	}
	list, err := s.TokenListByUser(ctx, b.User.ID, prikke.TokenReset)
	if err != nil || len(list) != 1 || list[0].ID != late.ID {
		t.Errorf("tokens left = %v, %v; want only %v (deleted %v, %v)", list, err, late.ID, early.ID, atNow.ID)
	}
}

func testMemberships(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("MembershipCreate", "MembershipGet", "MembershipListByOrganization", "MembershipListByUser",
		"MembershipUpdateRole", "MembershipDelete")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)
	c := NewTenant(t, s, prikke.TierPro)
	d := NewTenant(t, s, prikke.TierFree)

	team := newOrganization(t, s, "Zeta team", prikke.TierPro, a.User.ID)
	alpha := newOrganization(t, s, "Alpha", prikke.TierFree, c.User.ID)
	bAdmin := &prikke.Membership{OrganizationID: team.ID, UserID: b.User.ID, Role: prikke.RoleAdmin, CreatedAt: T0.Add(time.Minute)}
	if err := s.MembershipCreate(ctx, bAdmin); err != nil {
		t.Fatalf("MembershipCreate: %v", err)
	}
	createMembership(t, s, team.ID, c.User.ID, prikke.RoleOwner)
	createMembership(t, s, team.ID, d.User.ID, prikke.RoleViewer)
	createMembership(t, s, alpha.ID, b.User.ID, prikke.RoleMember)

	got, err := s.MembershipGet(ctx, team.ID, b.User.ID)
	if err != nil {
		t.Fatalf("MembershipGet: %v", err)
	}
	sameRecord(t, "MembershipGet", got, bAdmin)
	_, err = s.MembershipGet(ctx, team.ID, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.MembershipCreate(ctx, &prikke.Membership{OrganizationID: team.ID, UserID: b.User.ID, Role: prikke.RoleMember, CreatedAt: T0}),
		prikke.ECONFLICT)
	Errcode(t, s.MembershipCreate(ctx, &prikke.Membership{OrganizationID: team.ID, UserID: prikke.NewID(), Role: prikke.RoleMember, CreatedAt: T0}),
		prikke.ENOTFOUND)
	Errcode(t, s.MembershipCreate(ctx, &prikke.Membership{OrganizationID: prikke.NewID(), UserID: b.User.ID, Role: prikke.RoleMember, CreatedAt: T0}),
		prikke.ENOTFOUND)

	// By organization: owners first, then by email; UserEmail is filled.
	roles := map[prikke.ID]prikke.Role{a.User.ID: prikke.RoleOwner, b.User.ID: prikke.RoleAdmin, c.User.ID: prikke.RoleOwner, d.User.ID: prikke.RoleViewer}
	byEmail := func(x, y *Tenant) int { return strings.Compare(x.User.Email, y.User.Email) }
	owners, others := []*Tenant{a, c}, []*Tenant{b, d}
	slices.SortFunc(owners, byEmail)
	slices.SortFunc(others, byEmail)
	want := append(owners, others...)
	ms, err := s.MembershipListByOrganization(ctx, team.ID)
	if err != nil || len(ms) != len(want) {
		t.Fatalf("MembershipListByOrganization = %v, %v; want %d", ms, err, len(want))
	}
	for i, m := range ms {
		u := want[i].User
		if m.OrganizationID != team.ID || m.UserID != u.ID || m.Role != roles[u.ID] || m.UserEmail != u.Email {
			t.Errorf("member %d = %+v; want %s as %s", i, m, u.Email, roles[u.ID])
		}
	}

	// By user: the personal organization first, then by name, with the
	// organization's name, tier and personal flag filled.
	ms, err = s.MembershipListByUser(ctx, b.User.ID)
	if err != nil || len(ms) != 3 {
		t.Fatalf("MembershipListByUser = %v, %v; want 3", ms, err)
	}
	wantByUser := []struct {
		org  *prikke.Organization
		role prikke.Role
	}{{b.Org, prikke.RoleOwner}, {alpha, prikke.RoleMember}, {team, prikke.RoleAdmin}}
	for i, w := range wantByUser {
		m := ms[i]
		if m.OrganizationID != w.org.ID || m.UserID != b.User.ID || m.Role != w.role ||
			m.OrganizationName != w.org.Name || m.OrganizationTier != w.org.Tier || m.OrganizationPersonal != w.org.Personal {
			t.Errorf("membership %d = %+v; want %s (%s) as %s", i, m, w.org.Name, w.org.Tier, w.role)
		}
	}
	if ms, err := s.MembershipListByUser(ctx, prikke.NewID()); err != nil || len(ms) != 0 {
		t.Errorf("MembershipListByUser(unknown) = %v, %v", ms, err)
	}

	if err := s.MembershipUpdateRole(ctx, team.ID, b.User.ID, prikke.RoleViewer); err != nil {
		t.Fatalf("MembershipUpdateRole: %v", err)
	}
	if m, err := s.MembershipGet(ctx, team.ID, b.User.ID); err != nil || m.Role != prikke.RoleViewer {
		t.Errorf("after MembershipUpdateRole: %+v, %v", m, err)
	}
	Errcode(t, s.MembershipUpdateRole(ctx, team.ID, prikke.NewID(), prikke.RoleViewer), prikke.ENOTFOUND)

	if err := s.MembershipDelete(ctx, team.ID, b.User.ID); err != nil {
		t.Fatalf("MembershipDelete: %v", err)
	}
	_, err = s.MembershipGet(ctx, team.ID, b.User.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.MembershipDelete(ctx, team.ID, b.User.ID), prikke.ENOTFOUND)
	if _, err := s.MembershipGet(ctx, alpha.ID, b.User.ID); err != nil {
		t.Errorf("b's other membership: %v", err)
	}
}

func testInvitations(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("InvitationCreate", "InvitationGet", "InvitationGetByTokenHash", "InvitationListByOrganization",
		"InvitationAccept", "InvitationDecline", "InvitationDelete", "MembershipGet")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierFree)
	c := NewTenant(t, s, prikke.TierFree)

	newInvitation := func(name string, created time.Time, expires time.Time) *prikke.Invitation {
		t.Helper()
		inv := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: a.Org.ID, Email: name + "@example.com", Role: prikke.RoleAdmin,
			TokenHash: hashOf("invitation " + name), InvitedBy: a.User.ID, ExpiresAt: expires, CreatedAt: created}
		if err := s.InvitationCreate(ctx, inv); err != nil {
			t.Fatalf("InvitationCreate: %v", err)
		}
		inv.OrganizationName = a.Org.Name
		return inv
	}
	week := T0.Add(prikke.InvitationLifetime)
	inv := newInvitation("first", T0, week)
	got, err := s.InvitationGet(ctx, inv.ID)
	if err != nil {
		t.Fatalf("InvitationGet: %v", err)
	}
	sameRecord(t, "InvitationGet", got, inv)
	got, err = s.InvitationGetByTokenHash(ctx, inv.TokenHash)
	if err != nil {
		t.Fatalf("InvitationGetByTokenHash: %v", err)
	}
	sameRecord(t, "InvitationGetByTokenHash", got, inv)
	_, err = s.InvitationGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.InvitationGetByTokenHash(ctx, hashOf("unknown"))
	Errcode(t, err, prikke.ENOTFOUND)

	dup := *inv
	dup.ID = prikke.NewID()
	Errcode(t, s.InvitationCreate(ctx, &dup), prikke.ECONFLICT)
	orphan := *inv
	orphan.ID, orphan.OrganizationID, orphan.TokenHash = prikke.NewID(), prikke.NewID(), hashOf("orphan")
	Errcode(t, s.InvitationCreate(ctx, &orphan), prikke.ENOTFOUND)

	// An invitation without an inviter round-trips with NilID.
	anon := &prikke.Invitation{ID: prikke.NewID(), OrganizationID: a.Org.ID, Email: "anon@example.com", Role: prikke.RoleViewer,
		TokenHash: hashOf("anon"), ExpiresAt: week, CreatedAt: T0.Add(time.Minute)}
	if err := s.InvitationCreate(ctx, anon); err != nil {
		t.Fatalf("InvitationCreate without inviter: %v", err)
	}
	anon.OrganizationName = a.Org.Name
	list, err := s.InvitationListByOrganization(ctx, a.Org.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("InvitationListByOrganization = %v, %v; want 2", list, err)
	}
	sameRecord(t, "newest invitation", list[0], anon)
	sameRecord(t, "oldest invitation", list[1], inv)
	if list, err := s.InvitationListByOrganization(ctx, b.Org.ID); err != nil || len(list) != 0 {
		t.Errorf("other organization's invitations = %v, %v", list, err)
	}

	// Accepting creates the membership with the invitation's role.
	acceptAt := T0.Add(time.Hour)
	if err := s.InvitationAccept(ctx, inv.ID, b.User.ID, acceptAt); err != nil {
		t.Fatalf("InvitationAccept: %v", err)
	}
	m, err := s.MembershipGet(ctx, a.Org.ID, b.User.ID)
	if err != nil {
		t.Fatalf("membership after accept: %v", err)
	}
	sameRecord(t, "membership after accept", m, &prikke.Membership{OrganizationID: a.Org.ID, UserID: b.User.ID, Role: prikke.RoleAdmin, CreatedAt: acceptAt})
	got, _ = s.InvitationGet(ctx, inv.ID)
	inv.AcceptedAt = &acceptAt
	sameRecord(t, "accepted invitation", got, inv)
	// Accepted twice, or declined after acceptance: conflicts.
	Errcode(t, s.InvitationAccept(ctx, inv.ID, c.User.ID, acceptAt.Add(time.Minute)), prikke.ECONFLICT)
	_, err = s.MembershipGet(ctx, a.Org.ID, c.User.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.InvitationDecline(ctx, inv.ID, acceptAt.Add(time.Minute)), prikke.ECONFLICT)

	// Declined: neither accepted nor declined again.
	declineAt := T0.Add(2 * time.Hour)
	if err := s.InvitationDecline(ctx, anon.ID, declineAt); err != nil {
		t.Fatalf("InvitationDecline: %v", err)
	}
	got, _ = s.InvitationGet(ctx, anon.ID)
	anon.DeclinedAt = &declineAt
	sameRecord(t, "declined invitation", got, anon)
	Errcode(t, s.InvitationAccept(ctx, anon.ID, c.User.ID, declineAt), prikke.ECONFLICT)
	Errcode(t, s.InvitationDecline(ctx, anon.ID, declineAt), prikke.ECONFLICT)

	// Expired: no longer pending at ExpiresAt.
	expired := newInvitation("expired", T0, T0.Add(time.Hour))
	Errcode(t, s.InvitationAccept(ctx, expired.ID, c.User.ID, expired.ExpiresAt), prikke.ECONFLICT)
	Errcode(t, s.InvitationDecline(ctx, expired.ID, expired.ExpiresAt.Add(time.Minute)), prikke.ECONFLICT)
	got, _ = s.InvitationGet(ctx, expired.ID)
	sameRecord(t, "expired invitation", got, expired)

	// Already a member: conflict, and the invitation stays pending.
	again := newInvitation("again", T0, week)
	Errcode(t, s.InvitationAccept(ctx, again.ID, b.User.ID, acceptAt), prikke.ECONFLICT)
	got, _ = s.InvitationGet(ctx, again.ID)
	sameRecord(t, "invitation refused to a member", got, again)
	if m, _ := s.MembershipGet(ctx, a.Org.ID, b.User.ID); m == nil || m.Role != prikke.RoleAdmin || !m.CreatedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("existing membership changed: %+v", m)
	}
	if err := s.InvitationAccept(ctx, again.ID, c.User.ID, acceptAt); err != nil {
		t.Errorf("pending invitation after a refused accept: %v", err)
	}

	Errcode(t, s.InvitationAccept(ctx, prikke.NewID(), c.User.ID, T0), prikke.ENOTFOUND)
	Errcode(t, s.InvitationDecline(ctx, prikke.NewID(), T0), prikke.ENOTFOUND)

	if err := s.InvitationDelete(ctx, expired.ID); err != nil {
		t.Fatalf("InvitationDelete: %v", err)
	}
	_, err = s.InvitationGet(ctx, expired.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.InvitationDelete(ctx, expired.ID), prikke.ENOTFOUND)
}

func testAPIKeys(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("APIKeyCreate", "APIKeyGet", "APIKeyGetByKeyID", "APIKeyListByOrganization", "APIKeyRevoke", "APIKeyTouch")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)

	scoped := &prikke.APIKey{ID: prikke.NewID(), OrganizationID: a.Org.ID, ProjectID: &a.Project.ID, Name: "CI",
		KeyID: "pk_live_scoped", SecretHash: hashOf("secret 1"), CreatedBy: &a.User.ID, CreatedAt: T0}
	orgWide := &prikke.APIKey{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Deploy",
		KeyID: "pk_live_orgwide", SecretHash: hashOf("secret 2"), CreatedAt: T0.Add(time.Minute)}
	bKey := &prikke.APIKey{ID: prikke.NewID(), OrganizationID: b.Org.ID, Name: "B", KeyID: "pk_live_b", SecretHash: hashOf("secret 3"), CreatedAt: T0}
	for _, k := range []*prikke.APIKey{scoped, orgWide, bKey} {
		if err := s.APIKeyCreate(ctx, k); err != nil {
			t.Fatalf("APIKeyCreate: %v", err)
		}
	}
	dup := *orgWide
	dup.ID = prikke.NewID()
	Errcode(t, s.APIKeyCreate(ctx, &dup), prikke.ECONFLICT)
	orphan := *orgWide
	orphan.ID, orphan.KeyID, orphan.OrganizationID = prikke.NewID(), "pk_live_orphan", prikke.NewID()
	Errcode(t, s.APIKeyCreate(ctx, &orphan), prikke.ENOTFOUND)

	for _, k := range []*prikke.APIKey{scoped, orgWide} {
		got, err := s.APIKeyGet(ctx, k.ID)
		if err != nil {
			t.Fatalf("APIKeyGet: %v", err)
		}
		sameRecord(t, "APIKeyGet", got, k)
		got, err = s.APIKeyGetByKeyID(ctx, k.KeyID)
		if err != nil {
			t.Fatalf("APIKeyGetByKeyID: %v", err)
		}
		sameRecord(t, "APIKeyGetByKeyID", got, k)
	}
	_, err := s.APIKeyGet(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
	_, err = s.APIKeyGetByKeyID(ctx, "pk_live_unknown")
	Errcode(t, err, prikke.ENOTFOUND)

	keys, err := s.APIKeyListByOrganization(ctx, a.Org.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("APIKeyListByOrganization = %v, %v; want 2", keys, err)
	}
	sameRecord(t, "newest key", keys[0], orgWide)
	sameRecord(t, "oldest key", keys[1], scoped)
	if keys, err := s.APIKeyListByOrganization(ctx, b.Org.ID); err != nil || len(keys) != 1 || keys[0].ID != bKey.ID {
		t.Errorf("other organization's keys = %v, %v", keys, err)
	}

	// Touches within APIKeyTouchInterval of the last write are dropped.
	lastUsed := func() *time.Time {
		t.Helper()
		k, err := s.APIKeyGet(ctx, scoped.ID)
		if err != nil {
			t.Fatal(err)
		}
		return k.LastUsedAt
	}
	t1 := T0.Add(time.Hour)
	for _, step := range []struct {
		at, want time.Time
	}{
		{t1, t1},
		{t1.Add(30 * time.Second), t1},
		{t1.Add(prikke.APIKeyTouchInterval - time.Microsecond), t1},
		{t1.Add(prikke.APIKeyTouchInterval), t1.Add(prikke.APIKeyTouchInterval)},
		{t1.Add(prikke.APIKeyTouchInterval + time.Second), t1.Add(prikke.APIKeyTouchInterval)},
	} {
		if err := s.APIKeyTouch(ctx, scoped.ID, step.at); err != nil {
			t.Fatalf("APIKeyTouch: %v", err)
		}
		if got := lastUsed(); got == nil || !got.Equal(step.want) || got.Location() != time.UTC {
			t.Errorf("after touch at %v: LastUsedAt = %v, want %v", step.at, got, step.want)
		}
	}
	if k, _ := s.APIKeyGet(ctx, orgWide.ID); k.LastUsedAt != nil {
		t.Errorf("untouched key LastUsedAt = %v", k.LastUsedAt)
	}
	if err := s.APIKeyTouch(ctx, prikke.NewID(), t1); err != nil {
		t.Errorf("APIKeyTouch(unknown) = %v; want nil (it never reads)", err)
	}

	revokedAt := T0.Add(2 * time.Hour)
	if err := s.APIKeyRevoke(ctx, scoped.ID, revokedAt); err != nil {
		t.Fatalf("APIKeyRevoke: %v", err)
	}
	if err := s.APIKeyRevoke(ctx, scoped.ID, revokedAt.Add(time.Hour)); err != nil {
		t.Fatalf("second APIKeyRevoke: %v", err)
	}
	k, err := s.APIKeyGetByKeyID(ctx, scoped.KeyID)
	if err != nil || k.Active() || !k.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoked key = %+v, %v; want RevokedAt %v kept", k, err, revokedAt)
	}
	Errcode(t, s.APIKeyRevoke(ctx, prikke.NewID(), revokedAt), prikke.ENOTFOUND)
}

func testAudit(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("AuditInsert", "AuditList")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)
	keyID := prikke.NewID()

	insert := func(org *prikke.ID, action prikke.AuditAction, at time.Time) *prikke.AuditEntry {
		t.Helper()
		e := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: org, Action: action, CreatedAt: at}
		if err := s.AuditInsert(ctx, e); err != nil {
			t.Fatalf("AuditInsert: %v", err)
		}
		return e
	}
	full := &prikke.AuditEntry{ID: prikke.NewID(), OrganizationID: &a.Org.ID, ActorUserID: &a.User.ID, ActorAPIKeyID: &keyID,
		ActorEmail: a.User.Email, Action: prikke.AuditAPIKeyRevoke, TargetType: "api_key", TargetID: keyID.String(),
		IP: "2001:db8::1", RequestID: "req-1", Detail: `{"name":"CI"}`, CreatedAt: T0}
	if err := s.AuditInsert(ctx, full); err != nil {
		t.Fatalf("AuditInsert: %v", err)
	}
	// Three entries share one instant, so the id breaks the tie.
	want := []*prikke.AuditEntry{
		full,
		insert(&a.Org.ID, prikke.AuditLogin, T0.Add(time.Second)),
		insert(&a.Org.ID, prikke.AuditLogout, T0.Add(time.Second)),
		insert(&a.Org.ID, prikke.AuditJobCreate, T0.Add(time.Second)),
		insert(&a.Org.ID, prikke.AuditJobDelete, T0.Add(2*time.Second)),
	}
	bEntries := []*prikke.AuditEntry{
		insert(&b.Org.ID, prikke.AuditLogin, T0),
		insert(&b.Org.ID, prikke.AuditLogout, T0.Add(time.Second)),
	}
	insert(nil, prikke.AuditLoginFailed, T0.Add(time.Second))
	slices.SortFunc(want, func(x, y *prikke.AuditEntry) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(y.ID[:], x.ID[:])
	})

	got, err := s.AuditList(ctx, store.AuditFilter{OrganizationID: a.Org.ID})
	if err != nil || len(got) != len(want) {
		t.Fatalf("AuditList = %v, %v; want %d entries", got, err, len(want))
	}
	for i := range want {
		sameRecord(t, fmt.Sprintf("AuditList[%d]", i), got[i], want[i])
	}

	// Paging by (CreatedAt, ID) visits every entry once, in order.
	var paged []*prikke.AuditEntry
	f := store.AuditFilter{OrganizationID: a.Org.ID, Limit: 2}
	for range 4 {
		page, err := s.AuditList(ctx, f)
		if err != nil {
			t.Fatalf("AuditList page: %v", err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d entries with Limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		last := page[len(page)-1]
		f.BeforeCreatedAt, f.BeforeID = last.CreatedAt, last.ID
	}
	if len(paged) != len(want) {
		t.Fatalf("paging returned %d entries; want %d", len(paged), len(want))
	}
	for i := range want {
		if paged[i].ID != want[i].ID {
			t.Errorf("paged[%d] = %v (%v); want %v (%v)", i, paged[i].Action, paged[i].CreatedAt, want[i].Action, want[i].CreatedAt)
		}
	}

	got, err = s.AuditList(ctx, store.AuditFilter{OrganizationID: b.Org.ID})
	if err != nil || len(got) != 2 || got[0].ID != bEntries[1].ID || got[1].ID != bEntries[0].ID {
		t.Errorf("other organization's audit = %v, %v", got, err)
	}

	// Limit 0 means 100.
	c := NewTenant(t, s, prikke.TierFree)
	for i := range 105 {
		insert(&c.Org.ID, prikke.AuditLogin, T0.Add(time.Duration(i)*time.Second))
	}
	if got, err := s.AuditList(ctx, store.AuditFilter{OrganizationID: c.Org.ID}); err != nil || len(got) != 100 {
		t.Errorf("AuditList without a limit returned %d, %v; want 100", len(got), err)
	}
	if got, err := s.AuditList(ctx, store.AuditFilter{OrganizationID: c.Org.ID, Limit: 5000}); err != nil || len(got) != 105 {
		t.Errorf("AuditList with Limit 5000 returned %d, %v; want 105", len(got), err)
	}
}

func testRateLimit(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("RateLimitHit", "RateLimitReset")
	ctx := context.Background()
	const key = "login:ip:203.0.113.7"
	w := time.Minute
	for _, step := range []struct {
		key       string
		at        time.Time
		wantCount int
		wantReset time.Time
	}{
		{key, T0, 1, T0.Add(w)},
		{key, T0.Add(10 * time.Second), 2, T0.Add(w)},
		{key, T0.Add(w - time.Microsecond), 3, T0.Add(w)},
		{"other", T0.Add(10 * time.Second), 1, T0.Add(10*time.Second + w)},
		// The window [T0, T0+w) is over: a new one starts at the hit.
		{key, T0.Add(w), 1, T0.Add(2 * w)},
		{key, T0.Add(w + 6*time.Second), 2, T0.Add(2 * w)},
		{"other", T0.Add(20 * time.Second), 2, T0.Add(10*time.Second + w)},
	} {
		n, reset, err := s.RateLimitHit(ctx, step.key, w, step.at)
		if err != nil {
			t.Fatalf("RateLimitHit: %v", err)
		}
		if n != step.wantCount || !reset.Equal(step.wantReset) || reset.Location() != time.UTC {
			t.Errorf("RateLimitHit(%s at %v) = %d, %v; want %d, %v", step.key, step.at, n, reset, step.wantCount, step.wantReset)
		}
	}
	if err := s.RateLimitReset(ctx, key); err != nil {
		t.Fatalf("RateLimitReset: %v", err)
	}
	at := T0.Add(w + 7*time.Second)
	if n, reset, err := s.RateLimitHit(ctx, key, w, at); err != nil || n != 1 || !reset.Equal(at.Add(w)) {
		t.Errorf("hit after reset = %d, %v, %v; want 1, %v", n, reset, err, at.Add(w))
	}
	if n, _, err := s.RateLimitHit(ctx, "other", w, T0.Add(30*time.Second)); err != nil || n != 3 {
		t.Errorf("reset touched another key: count %d, %v", n, err)
	}
	if err := s.RateLimitReset(ctx, "never-hit"); err != nil {
		t.Errorf("RateLimitReset(unknown) = %v; want nil", err)
	}
}

func testRateLimitConcurrent(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("RateLimitHit")
	ctx := context.Background()
	const n = 20
	counts := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			counts[i], _, errs[i] = s.RateLimitHit(ctx, "burst", time.Hour, T0.Add(time.Duration(i)*time.Millisecond))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("RateLimitHit: %v", err)
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("concurrent counts = %v; want exactly 1..%d", counts, n)
		}
	}
}

func testUsage(t *testing.T, s store.Store, cov *coverage) {
	cov.covers("UsageGet", "UsageAdd")
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)

	get := func(org prikke.ID, month string, want int64) {
		t.Helper()
		if n, err := s.UsageGet(ctx, org, month); err != nil || n != want {
			t.Errorf("UsageGet(%s) = %d, %v; want %d", month, n, err, want)
		}
	}
	add := func(org prikke.ID, month string, delta, want int64) {
		t.Helper()
		if n, err := s.UsageAdd(ctx, org, month, delta); err != nil || n != want {
			t.Errorf("UsageAdd(%s, %d) = %d, %v; want %d", month, delta, n, err, want)
		}
	}
	get(a.Org.ID, "2026-11", 0)
	add(a.Org.ID, "2026-11", 5, 5)
	add(a.Org.ID, "2026-11", 3, 8)
	get(a.Org.ID, "2026-11", 8)
	add(a.Org.ID, "2026-12", 1, 1)
	get(a.Org.ID, "2026-11", 8)
	get(a.Org.ID, "2026-12", 1)
	get(b.Org.ID, "2026-11", 0)
	add(b.Org.ID, "2026-11", 2, 2)
	get(a.Org.ID, "2026-11", 8)
	_, err := s.UsageAdd(ctx, prikke.NewID(), "2026-11", 1)
	Errcode(t, err, prikke.ENOTFOUND)
}

// newOrganization creates a non-personal organization owned by owner.
func newOrganization(t testing.TB, s store.Store, name string, tier prikke.Tier, owner prikke.ID) *prikke.Organization {
	t.Helper()
	o := &prikke.Organization{ID: prikke.NewID(), Name: name, Tier: tier, CreatedAt: T0, UpdatedAt: T0}
	if err := s.OrganizationCreate(context.Background(), o, owner); err != nil {
		t.Fatalf("create organization: %v", err)
	}
	return o
}

func createMembership(t testing.TB, s store.Store, orgID, userID prikke.ID, role prikke.Role) {
	t.Helper()
	m := &prikke.Membership{OrganizationID: orgID, UserID: userID, Role: role, CreatedAt: T0}
	if err := s.MembershipCreate(context.Background(), m); err != nil {
		t.Fatalf("create membership: %v", err)
	}
}

// newToken creates a token whose hash is that of seed.
func newToken(t testing.TB, s store.Store, userID prikke.ID, kind prikke.TokenKind, seed string, expires, created time.Time) *prikke.Token {
	t.Helper()
	tk := &prikke.Token{ID: prikke.NewID(), UserID: userID, Kind: kind, Hash: hashOf(seed), ExpiresAt: expires, LastSeenAt: created, CreatedAt: created}
	if err := s.TokenCreate(context.Background(), tk); err != nil {
		t.Fatalf("create token: %v", err)
	}
	return tk
}

func hashOf(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// sameRecord fails t unless every field of *got equals that of *want
// (pointers to one struct type). Times must be the same instant and in
// UTC; optional fields must both be nil or both set and equal.
func sameRecord(t testing.TB, what string, got, want any) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !sameValue(g, w) {
			t.Errorf("%s: %s = %v, want %v", what, gv.Type().Field(i).Name, showValue(g), showValue(w))
		}
	}
}

func sameValue(got, want any) bool {
	switch g := got.(type) {
	case time.Time:
		w := want.(time.Time)
		return g.Equal(w) && (g.IsZero() || g.Location() == time.UTC)
	case *time.Time:
		w := want.(*time.Time)
		if g == nil || w == nil {
			return g == nil && w == nil
		}
		return sameValue(*g, *w)
	}
	return reflect.DeepEqual(got, want)
}

func showValue(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}
