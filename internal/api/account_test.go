package api_test

import (
	"testing"

	"github.com/prikke/prikke"
)

// TestBearerScheme checks that the Authorization scheme is matched without
// regard to case (RFC 9110 §11.1), and that other schemes are refused.
func TestBearerScheme(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.anon()
		for _, h := range []string{"Bearer " + tn.key, "bearer " + tn.key, "BEARER " + tn.key, "bEaReR  " + tn.key} {
			if r := c.do("GET", "/api/v1/projects", nil, "Authorization", h); r.Status != 200 {
				t.Errorf("Authorization %q = %d %s; want 200", h[:8], r.Status, truncate(r.Body))
			}
		}
		for _, h := range []string{"Basic " + tn.key, "Bearer" + tn.key, tn.key} {
			if r := c.do("GET", "/api/v1/projects", nil, "Authorization", h); r.Status != 401 {
				t.Errorf("Authorization %q = %d %s; want 401", h[:8], r.Status, truncate(r.Body))
			}
		}
	})
}

// TestPersonalFlag checks that the organization lists (GET /organizations,
// GET /account and the login response) tell a personal organization from a
// team one, including someone else's personal organization one was
// invited into.
func TestPersonalFlag(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		alice, bob := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree)
		aliceS, bobS := s.login(alice), s.login(bob)
		r := aliceS.do("POST", "/api/v1/organizations", map[string]string{"name": "Team"})
		if r.Status != 201 {
			t.Fatalf("create team = %d %s", r.Status, r.Body)
		}
		var team struct{ ID string }
		r.json(t, &team)
		r = bobS.do("POST", "/api/v1/organizations/"+bob.org.ID.String()+"/invitations", map[string]string{"email": alice.user.Email, "role": "viewer"})
		if r.Status != 201 {
			t.Fatalf("invite = %d %s", r.Status, r.Body)
		}
		if r = aliceS.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenFrom(t, s.lastMail(alice.user.Email).Text)}); r.Status != 200 {
			t.Fatalf("accept = %d %s", r.Status, r.Body)
		}
		want := map[string]bool{alice.org.ID.String(): true, team.ID: false, bob.org.ID.String(): true}

		type org struct {
			ID       string
			Personal bool
		}
		check := func(what string, orgs []org, want map[string]bool) {
			t.Helper()
			got := map[string]bool{}
			for _, o := range orgs {
				got[o.ID] = o.Personal
			}
			if len(got) != len(want) {
				t.Errorf("%s: organizations %v, want %v", what, got, want)
				return
			}
			for id, p := range want {
				if g, ok := got[id]; !ok || g != p {
					t.Errorf("%s: organization %s personal = %v (listed %v), want %v", what, id, g, ok, p)
				}
			}
		}
		var orgs []org
		r = aliceS.do("GET", "/api/v1/organizations", nil)
		r.json(t, &orgs)
		check("GET /organizations", orgs, want)
		var acct struct{ Organizations []org }
		aliceS.do("GET", "/api/v1/account", nil).json(t, &acct)
		check("GET /account", acct.Organizations, want)
		acct.Organizations = nil
		s.withSession().from().do("POST", "/api/v1/account/login", map[string]string{"email": alice.user.Email, "password": alice.pw}).json(t, &acct)
		check("login", acct.Organizations, want)

		orgs = nil
		s.withKey(alice.key).do("GET", "/api/v1/organizations", nil).json(t, &orgs)
		check("GET /organizations with a key", orgs, map[string]bool{alice.org.ID.String(): true})
	})
}

// Every change that needs the current password names it current_password,
// in the request as in the error, and its guesses count against the
// account's login limit.
func TestCurrentPassword(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierFree)
		c := s.login(tn)
		for path, body := range map[string]map[string]string{
			"/api/v1/account/email":    {"current_password": "not it at all", "email": "new@example.com"},
			"/api/v1/account/delete":   {"current_password": "not it at all"},
			"/api/v1/account/password": {"current_password": "not it at all", "password": "a new long passphrase"},
		} {
			r := c.do("POST", path, body)
			if r.Status != 422 {
				t.Errorf("POST %s with a wrong password = %d %s; want 422", path, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "body.current_password", "is not your current password")
		}
		if r := c.do("POST", "/api/v1/account/email", map[string]string{"current_password": tn.pw, "email": "new@example.com"}); r.Status != 202 {
			t.Errorf("email change with the right password = %d %s", r.Status, truncate(r.Body))
		}
		// Keep guessing: the login limit (20 a day, the login included)
		// ends it with a 429.
		var last *response
		for range 25 {
			last = c.do("POST", "/api/v1/account/delete", map[string]string{"current_password": "guess"})
			if last.Status == 429 {
				break
			}
		}
		if last.Status != 429 || last.Header.Get("Retry-After") == "" {
			t.Errorf("after 25 wrong guesses: %d %s; want 429 with Retry-After", last.Status, truncate(last.Body))
		}
		if r := c.do("GET", "/api/v1/account", nil); r.Status != 200 {
			t.Errorf("the account is gone after wrong guesses: %d", r.Status)
		}
	})
}
