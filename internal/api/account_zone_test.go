package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// TestAccountTimeZone: the account says the zone the dashboard shows the
// user's times in (UTC for a user made without one), PATCH changes it and
// it is stored; an unknown zone is a 422 on the field that says what to
// send; an API key, which is no person, cannot change it.
func TestAccountTimeZone(t *testing.T) {
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.login(tn)
		var acct struct {
			TimeZone string `json:"time_zone"`
		}
		c.do("GET", "/api/v1/account", nil).json(t, &acct)
		if acct.TimeZone != "UTC" {
			t.Errorf("a new account's time_zone = %q, want UTC", acct.TimeZone)
		}

		r := c.do("PATCH", "/api/v1/account", map[string]string{"time_zone": "Europe/Oslo"})
		if r.Status != 200 {
			t.Fatalf("PATCH /api/v1/account = %d %s", r.Status, r.Body)
		}
		r.json(t, &acct)
		if acct.TimeZone != "Europe/Oslo" {
			t.Errorf("PATCH answered time_zone %q, want Europe/Oslo", acct.TimeZone)
		}
		if u, err := s.store.UserGet(context.Background(), tn.user.ID); err != nil || u.TimeZone != "Europe/Oslo" {
			t.Errorf("stored user = %+v, %v; want the zone Europe/Oslo", u, err)
		}
		c.do("GET", "/api/v1/account", nil).json(t, &acct)
		if acct.TimeZone != "Europe/Oslo" {
			t.Errorf("GET after PATCH: time_zone %q", acct.TimeZone)
		}

		r = c.do("PATCH", "/api/v1/account", map[string]string{"time_zone": "Europe/Atlantis"})
		if r.Status != 422 {
			t.Fatalf("an unknown zone = %d %s; want 422", r.Status, r.Body)
		}
		p := r.problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Location != "body.time_zone" || !strings.Contains(p.Errors[0].Message, `"Europe/Oslo"`) {
			t.Errorf("an unknown zone: %+v; want one error on body.time_zone naming a valid zone", p)
		}
		if u, _ := s.store.UserGet(context.Background(), tn.user.ID); u.TimeZone != "Europe/Oslo" {
			t.Errorf("a refused zone changed the stored one to %q", u.TimeZone)
		}

		if r := s.withKey(tn.key).do("PATCH", "/api/v1/account", map[string]string{"time_zone": "UTC"}); r.Status != 403 {
			t.Errorf("PATCH /api/v1/account with an API key = %d %s; want 403", r.Status, r.Body)
		}
	})
}

// TestSetTimeZoneKeepsConcurrentChanges: changing the zone writes only the
// zone. A request that read the user before a password and email change
// made meanwhile does not write the old hash or address back.
func TestSetTimeZoneKeepsConcurrentChanges(t *testing.T) {
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierFree)
		stale, err := s.store.UserGet(ctx, tn.user.ID) // what the zone request read
		if err != nil {
			t.Fatal(err)
		}
		changed := *stale
		changed.PasswordHash, changed.Email = "$argon2id$v=19$changed-meanwhile", "moved-"+stale.Email
		if err := s.store.UserUpdate(ctx, &changed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.SetTimeZone(ctx, &service.Actor{User: stale}, "Europe/Oslo"); err != nil {
			t.Fatal(err)
		}
		u, err := s.store.UserGet(ctx, tn.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.TimeZone != "Europe/Oslo" || u.PasswordHash != changed.PasswordHash || u.Email != changed.Email {
			t.Errorf("stored zone %q, hash %q, email %q; want Europe/Oslo with the hash and email changed meanwhile",
				u.TimeZone, u.PasswordHash, u.Email)
		}
	})
}
