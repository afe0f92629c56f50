package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testSettings(t *testing.T, open Opener, cov *coverage) {
	cov.covers("SettingGet", "SettingPutIfAbsent", "Dialect", "Ping", "Now", "Close")
	s := open(t)
	ctx := context.Background()
	if d := s.Dialect(); d != "sqlite" && d != "postgres" {
		t.Errorf("Dialect = %q", d)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	now, err := s.Now(ctx)
	if err != nil || now.Location() != time.UTC || time.Since(now).Abs() > time.Minute {
		t.Errorf("Now = %v, %v; want the current time in UTC", now, err)
	}
	_, err = s.SettingGet(ctx, "secret_key")
	Errcode(t, err, prikke.ENOTFOUND)
	v, err := s.SettingPutIfAbsent(ctx, "secret_key", "first")
	if err != nil || v != "first" {
		t.Fatalf("SettingPutIfAbsent = %q, %v", v, err)
	}
	v, err = s.SettingPutIfAbsent(ctx, "secret_key", "second")
	if err != nil || v != "first" {
		t.Fatalf("second SettingPutIfAbsent = %q, %v; the existing value must win", v, err)
	}
	if v, err := s.SettingGet(ctx, "secret_key"); err != nil || v != "first" {
		t.Fatalf("SettingGet = %q, %v", v, err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func testOrganizations(t *testing.T, open Opener, cov *coverage) {
	cov.covers("SignupCreate", "OrganizationCreate", "OrganizationGet", "OrganizationGetPersonal", "OrganizationUpdate", "OrganizationDelete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)

	got, err := s.OrganizationGet(ctx, a.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Org.Name || got.Tier != prikke.TierFree || !got.Personal || !got.CreatedAt.Equal(T0) {
		t.Errorf("OrganizationGet = %+v", got)
	}
	if p, err := s.OrganizationGetPersonal(ctx, a.User.ID); err != nil || p.ID != a.Org.ID {
		t.Errorf("OrganizationGetPersonal = %v, %v", p, err)
	}
	m, err := s.MembershipGet(ctx, a.Org.ID, a.User.ID)
	if err != nil || m.Role != prikke.RoleOwner {
		t.Errorf("signup membership = %+v, %v; want owner", m, err)
	}

	// A signup with a taken email creates nothing.
	dup := NewTenant(t, s, prikke.TierFree)
	dup.User.ID, dup.Org.ID, dup.Project.ID = prikke.NewID(), prikke.NewID(), prikke.NewID()
	dup.Project.OrganizationID = dup.Org.ID
	dup.User.Email = a.User.Email
	err = s.SignupCreate(ctx, &store.SignupParams{User: dup.User, Organization: dup.Org, Project: dup.Project})
	Errcode(t, err, prikke.ECONFLICT)
	_, err = s.OrganizationGet(ctx, dup.Org.ID)
	Errcode(t, err, prikke.ENOTFOUND)

	team := &prikke.Organization{ID: prikke.NewID(), Name: "Team", Tier: prikke.TierPro, CreatedAt: T0, UpdatedAt: T0}
	if err := s.OrganizationCreate(ctx, team, a.User.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := s.MembershipGet(ctx, team.ID, a.User.ID); err != nil || m.Role != prikke.RoleOwner {
		t.Errorf("creator membership = %+v, %v", m, err)
	}
	team.Name, team.Tier, team.UpdatedAt = "Team 2", prikke.TierFree, T0.Add(time.Hour)
	if err := s.OrganizationUpdate(ctx, team); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OrganizationGet(ctx, team.ID); got.Name != "Team 2" || got.Tier != prikke.TierFree || !got.UpdatedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("after update: %+v", got)
	}
	if err := s.OrganizationDelete(ctx, team.ID); err != nil {
		t.Fatal(err)
	}
	Errcode(t, s.OrganizationDelete(ctx, team.ID), prikke.ENOTFOUND)
	_, err = s.OrganizationGet(ctx, team.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.OrganizationUpdate(ctx, team), prikke.ENOTFOUND)
	_, err = s.OrganizationGetPersonal(ctx, prikke.NewID())
	Errcode(t, err, prikke.ENOTFOUND)
}

func testProjects(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ProjectCreate", "ProjectGet", "ProjectListByOrganization", "ProjectUpdate", "ProjectSetSnooze", "ProjectDelete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)

	got, err := s.ProjectGet(ctx, a.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SigningSecret != a.Project.SigningSecret || got.PreviousSecret != "" || got.PreviousUntil != nil || got.AlertAfter != 1 {
		t.Errorf("ProjectGet = %+v", got)
	}
	p2 := &prikke.Project{ID: prikke.NewID(), OrganizationID: a.Org.ID, Name: "Second", SigningSecret: "whsec_AAAA", AlertAfter: 3, CreatedAt: T0.Add(time.Second), UpdatedAt: T0}
	if err := s.ProjectCreate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	ps, err := s.ProjectListByOrganization(ctx, a.Org.ID)
	if err != nil || len(ps) != 2 || ps[0].ID != a.Project.ID || ps[1].ID != p2.ID {
		t.Fatalf("ProjectListByOrganization = %v, %v", ps, err)
	}
	if ps, _ := s.ProjectListByOrganization(ctx, b.Org.ID); len(ps) != 1 || ps[0].ID != b.Project.ID {
		t.Errorf("other tenant sees %v", ps)
	}
	until := T0.Add(24 * time.Hour)
	p2.PreviousSecret, p2.PreviousUntil, p2.SigningSecret, p2.Name, p2.AlertAfter = "whsec_AAAA", &until, "whsec_BBBB", "Renamed", 5
	if err := s.ProjectUpdate(ctx, p2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ProjectGet(ctx, p2.ID)
	if got.SigningSecret != "whsec_BBBB" || got.PreviousSecret != "whsec_AAAA" || !got.PreviousUntil.Equal(until) || got.Name != "Renamed" || got.AlertAfter != 5 {
		t.Errorf("after update: %+v", got)
	}
	// A snooze writes only the snooze: a stale copy's secret is not
	// written back.
	snooze := T0.Add(2 * time.Hour)
	if err := s.ProjectSetSnooze(ctx, p2.ID, &snooze, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ProjectGet(ctx, p2.ID)
	if got.SnoozeUntil == nil || !got.SnoozeUntil.Equal(snooze) || got.SigningSecret != "whsec_BBBB" || got.Name != "Renamed" || !got.UpdatedAt.Equal(T0.Add(time.Minute)) {
		t.Errorf("after ProjectSetSnooze: %+v", got)
	}
	if err := s.ProjectSetSnooze(ctx, p2.ID, nil, T0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ProjectGet(ctx, p2.ID); got.SnoozeUntil != nil {
		t.Errorf("unsnoozed: %v", got.SnoozeUntil)
	}
	Errcode(t, s.ProjectSetSnooze(ctx, prikke.NewID(), nil, T0), prikke.ENOTFOUND)
	if err := s.ProjectDelete(ctx, p2.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.ProjectGet(ctx, p2.ID)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.ProjectDelete(ctx, p2.ID), prikke.ENOTFOUND)
	Errcode(t, s.ProjectUpdate(ctx, p2), prikke.ENOTFOUND)
	// A project in a missing organization is refused.
	bad := &prikke.Project{ID: prikke.NewID(), OrganizationID: prikke.NewID(), Name: "x", SigningSecret: "whsec_x", AlertAfter: 1, CreatedAt: T0, UpdatedAt: T0}
	Errcode(t, s.ProjectCreate(ctx, bad), prikke.ENOTFOUND)
}
