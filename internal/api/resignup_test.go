package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestResignupOutlivesItsLink: someone signs up an address first with a
// password of their choosing; its owner signs up again and lets the
// mailed link expire. The first password must not come back: signing in
// with it fails, and any later link still asks for a password instead of
// confirming the account with it.
func TestResignupOutlivesItsLink(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		defer s.clock.reset()
		const victim, theirs, mine = "victim@example.com", "the squatter's own password", "the owner's new password"
		signup := func(pw string) {
			t.Helper()
			if r := s.anon().from().do("POST", "/api/v1/account/signup", map[string]string{"email": victim, "password": pw}); r.Status != 202 {
				t.Fatalf("signup = %d %s", r.Status, r.Body)
			}
		}
		signup(theirs)
		signup(mine)
		s.clock.advance(prikke.ConfirmTokenLifetime + time.Hour)

		// The first password signs in to nothing, now or after any link.
		login := func() int {
			return s.anon().from().do("POST", "/api/v1/account/login", map[string]string{"email": victim, "password": theirs}).Status
		}
		if st := login(); st == 200 || st == 403 {
			t.Fatalf("the first sign-up's password is still the account's (login = %d)", st)
		}
		// A fresh link, as the dashboard's "send it again" mails one.
		if err := s.svc.ResendConfirmation(context.Background(), victim, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		r := s.anon().do("POST", "/api/v1/account/confirm", map[string]string{"token": tokenFrom(t, s.lastMail(victim).Text)})
		var c struct {
			PasswordToken string `json:"password_token"`
		}
		if r.Status != 200 || json.Unmarshal(r.Body, &c) != nil || c.PasswordToken == "" {
			t.Fatalf("a link after the re-sign-up's expired confirmed without asking for a password: %d %s", r.Status, r.Body)
		}
		if st := login(); st == 200 {
			t.Fatal("the first sign-up's password signs in after confirming")
		}
		if r := s.anon().do("POST", "/api/v1/account/password-reset/confirm", map[string]string{"token": c.PasswordToken, "password": mine}); r.Status >= 300 {
			t.Fatalf("choose password = %d %s", r.Status, r.Body)
		}
		if r := s.anon().from().do("POST", "/api/v1/account/login", map[string]string{"email": victim, "password": mine}); r.Status != 200 {
			t.Fatalf("login with the chosen password = %d %s", r.Status, r.Body)
		}
	})
}
