package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/mail/mailtest"
)

// postJSON posts body as JSON to base+path and returns the status.
func postJSON(t *testing.T, base, path string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var confirmLinkRE = regexp.MustCompile(`/confirm\?token=([A-Za-z0-9_-]+)`)

// postJSONBody posts body as JSON to base+path and decodes the answer
// into out; it returns the status.
func postJSONBody(t *testing.T, base, path string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode
}

// TestResignupUnconfirmed: signing up again with an address whose account
// was never confirmed mails a fresh confirmation link (not a password
// reset) and answers exactly as a first sign-up does. The link carries no
// password: the one sent with either sign-up never takes effect (whoever
// signs up someone else's address cannot choose its password), and
// following the link confirms the address and hands over a token with
// which the mailbox's owner chooses one. Mail goes through a real SMTP
// server.
func TestResignupUnconfirmed(t *testing.T) {
	t.Parallel()
	smtpd := mailtest.NewServer(t)
	env := testEnv(t)
	env["PRIKKE_SMTP_HOST"] = smtpd.Host()
	env["PRIKKE_SMTP_PORT"] = strconv.Itoa(smtpd.Port())
	env["PRIKKE_SMTP_TLS"] = "none"
	base, _ := startServer(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	const addr = "dora@example.com"
	first := map[string]string{"email": addr, "password": "the first passphrase"}
	second := map[string]string{"email": addr, "password": "the attacker's passphrase"}
	if st := postJSON(t, base, "/api/v1/account/signup", first); st != http.StatusAccepted {
		t.Fatalf("sign-up = %d", st)
	}
	if st := postJSON(t, base, "/api/v1/account/signup", second); st != http.StatusAccepted {
		t.Fatalf("second sign-up = %d; want 202 like the first", st)
	}
	msgs, err := smtpd.Wait(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if len(m.To) != 1 || m.To[0] != addr || !strings.Contains(m.Subject, "Confirm your prikke account") {
			t.Fatalf("mail %d: to %v, subject %q; want a confirmation to %s", i, m.To, m.Subject, addr)
		}
	}
	if strings.Contains(msgs[0].Text, "signed up again") || !strings.Contains(msgs[1].Text, "asks you to choose its password") {
		t.Errorf("only the second mail should say following it asks for a password:\n%s\n---\n%s", msgs[0].Text, msgs[1].Text)
	}
	link := confirmLinkRE.FindStringSubmatch(msgs[1].Text)
	if link == nil {
		t.Fatalf("the second mail has no confirmation link:\n%s", msgs[1].Text)
	}
	// The second sign-up made the first link stop working: it would
	// confirm the account with a password nobody can tell who chose.
	if first := confirmLinkRE.FindStringSubmatch(msgs[0].Text); first == nil ||
		postJSON(t, base, "/api/v1/account/confirm", map[string]string{"token": first[1]}) == http.StatusOK {
		t.Fatal("the first confirmation link still works after the address was signed up again")
	}
	// Before a link is followed, neither password signs in: the second
	// sign-up made the account forget the first (nobody can tell who chose
	// it), and the second was never the account's.
	for _, creds := range []map[string]string{first, second} {
		if st := postJSON(t, base, "/api/v1/account/login", creds); st != http.StatusUnauthorized {
			t.Fatalf("%q signing in before confirmation = %d; want 401, a wrong password", creds["password"], st)
		}
	}

	var confirmed struct {
		Message       string `json:"message"`
		PasswordToken string `json:"password_token"`
	}
	if st := postJSONBody(t, base, "/api/v1/account/confirm", map[string]string{"token": link[1]}, &confirmed); st != http.StatusOK {
		t.Fatalf("confirm = %d", st)
	}
	if confirmed.PasswordToken == "" || !strings.Contains(confirmed.Message, "password-reset/confirm") {
		t.Fatalf("confirm answered %+v; want a password_token and where to send it", confirmed)
	}
	// Confirmed, but no password anyone typed at sign-up signs in.
	for _, creds := range []map[string]string{first, second} {
		if st := postJSON(t, base, "/api/v1/account/login", creds); st != http.StatusUnauthorized {
			t.Errorf("login with %q after confirming = %d, want 401", creds["password"], st)
		}
	}
	// A link works once.
	if postJSON(t, base, "/api/v1/account/confirm", map[string]string{"token": link[1]}) == http.StatusOK {
		t.Error("the followed confirmation link works again")
	}
	chosen := map[string]string{"email": addr, "password": "the owner's own passphrase"}
	if st := postJSON(t, base, "/api/v1/account/password-reset/confirm",
		map[string]string{"token": confirmed.PasswordToken, "password": chosen["password"]}); st != http.StatusOK {
		t.Fatalf("choosing the password with password_token = %d", st)
	}
	if st := postJSON(t, base, "/api/v1/account/login", chosen); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("login with the chosen password = %d", st)
	}

	// A confirmed address signing up again gets a reset link, as before,
	// and the same answer.
	if st := postJSON(t, base, "/api/v1/account/signup", map[string]string{"email": addr, "password": "a third passphrase!"}); st != http.StatusAccepted {
		t.Fatalf("sign-up of a confirmed address = %d", st)
	}
	msgs, err = smtpd.Wait(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s := msgs[2].Subject; !strings.Contains(strings.ToLower(s), "reset") {
		t.Errorf("a confirmed address's re-sign-up mailed %q; want the reset mail", s)
	}
}
