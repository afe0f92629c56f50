package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var hiddenTokenRE = regexp.MustCompile(`name="token" value="([A-Za-z0-9_-]+)"`)

// TestResignupChoosesPassword: an address signed up again before it was
// confirmed gets a fresh confirmation link that carries no password.
// Following it confirms the address and shows the password form; neither
// password typed at sign-up signs in, only the one chosen there. A
// mistake on that form keeps asking for the account's password, not a
// "new" one.
func TestResignupChoosesPassword(t *testing.T) {
	d := newDash(t, nil)
	b := d.anon()
	const addr = "cleo@example.com"
	for _, pw := range []string{"the owner's first passphrase", "an attacker's passphrase"} {
		if r := b.post("/signup", url.Values{"email": {addr}, "password": {pw}}); r.Status != http.StatusOK || !strings.Contains(r.Body, addr) {
			t.Fatalf("sign-up: %s", r)
		}
	}
	m := d.lastMail(addr)
	if !strings.Contains(m.Subject, "Confirm your prikke account") || !strings.Contains(m.Text, "asks you to choose its password") {
		t.Fatalf("the second sign-up mailed %q:\n%s", m.Subject, m.Text)
	}
	tok := d.mailToken(addr)
	r := b.post("/confirm", url.Values{"token": {tok}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="choose-password"`) || !strings.Contains(r.Body, addr+"</strong> is confirmed") ||
		!strings.Contains(r.Body, `action="/reset-password"`) || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("following the link: %s", r)
	}
	reset := hiddenTokenRE.FindStringSubmatch(r.Body)
	if reset == nil || reset[1] == tok {
		t.Fatalf("the password form carries no new token: %s", r.Body)
	}
	for _, pw := range []string{"the owner's first passphrase", "an attacker's passphrase"} {
		if r := b.post("/login", url.Values{"email": {addr}, "password": {pw}}); r.Status != http.StatusUnauthorized {
			t.Errorf("signing in with %q after confirming: %s", pw, r)
		}
	}
	r = b.post("/reset-password", url.Values{"token": {reset[1]}, "choose": {"1"}, "password": {"short"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose your password") || !strings.Contains(r.Body, `name="choose" value="1"`) {
		t.Fatalf("a short password: %s", r)
	}
	r = b.post("/reset-password", url.Values{"token": {reset[1]}, "choose": {"1"}, "password": {"the owner's chosen passphrase"}})
	if r.Status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("choosing the password: %s", r)
	}
	if r := b.get("/login"); !strings.Contains(r.Body, "Your password is set. Sign in with it.") {
		t.Errorf("no flash after choosing the password: %s", r)
	}
	if r := b.post("/login", url.Values{"email": {addr}, "password": {"the owner's chosen passphrase"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("signing in with the chosen password: %s", r)
	}
}
