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

// TestResignupUnconfirmed: signing up again with an address whose account
// was never confirmed mails a fresh confirmation link (not a password
// reset), answers exactly as a first sign-up does, and the new password
// takes effect only when that link is followed. Mail goes through a real
// SMTP server.
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
	second := map[string]string{"email": addr, "password": "the second passphrase"}
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
	if strings.Contains(msgs[0].Text, "signed up again") || !strings.Contains(msgs[1].Text, "signed up again with this address and chose a new password") {
		t.Errorf("only the second mail should say it sets a new password:\n%s\n---\n%s", msgs[0].Text, msgs[1].Text)
	}
	link := confirmLinkRE.FindStringSubmatch(msgs[1].Text)
	if link == nil {
		t.Fatalf("the second mail has no confirmation link:\n%s", msgs[1].Text)
	}
	// Before the link is followed, neither password signs in (the first,
	// still the account's, is told to confirm and mailed a third link).
	for _, creds := range []map[string]string{first, second} {
		if st := postJSON(t, base, "/api/v1/account/login", creds); st == http.StatusOK || st == http.StatusNoContent {
			t.Fatalf("%q signed in before confirmation", creds["password"])
		}
	}
	if st := postJSON(t, base, "/api/v1/account/confirm", map[string]string{"token": link[1]}); st != http.StatusOK {
		t.Fatalf("confirm = %d", st)
	}
	if st := postJSON(t, base, "/api/v1/account/login", second); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("login with the new password = %d", st)
	}
	if st := postJSON(t, base, "/api/v1/account/login", first); st != http.StatusUnauthorized {
		t.Errorf("login with the old password = %d, want 401", st)
	}
	// The first link stopped working when the second was followed.
	if first := confirmLinkRE.FindStringSubmatch(msgs[0].Text); first == nil ||
		postJSON(t, base, "/api/v1/account/confirm", map[string]string{"token": first[1]}) == http.StatusOK {
		t.Error("the first confirmation link still works")
	}

	// A confirmed address signing up again gets a reset link, as before,
	// and the same answer.
	if st := postJSON(t, base, "/api/v1/account/signup", map[string]string{"email": addr, "password": "a third passphrase!"}); st != http.StatusAccepted {
		t.Fatalf("sign-up of a confirmed address = %d", st)
	}
	msgs, err = smtpd.Wait(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s := msgs[3].Subject; !strings.Contains(strings.ToLower(s), "reset") {
		t.Errorf("a confirmed address's re-sign-up mailed %q; want the reset mail", s)
	}
}
