package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

func runIn(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut syncBuffer
	err := run(context.Background(), args, envOf(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	out, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "Ops@Example.com", "--password-stdin", "--tier", "pro")
	if err != nil || !strings.Contains(out, "created user ops@example.com") {
		t.Fatalf("user create = %q, %v", out, err)
	}
	if _, err := runIn(t, env, "another long passphrase\n", "user", "create", "--email", "ops@example.com", "--password-stdin"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate user: %v", err)
	}
	if _, err := runIn(t, env, "password\n", "user", "create", "--email", "x@example.com", "--password-stdin"); err == nil ||
		!strings.Contains(err.Error(), "too common") {
		t.Errorf("common password: %v", err)
	}
	if _, err := runIn(t, env, "", "user", "create", "--email", "x@example.com"); err == nil {
		t.Error("a password on the command line is not offered, so --password-stdin is required")
	}
	out, err = runIn(t, env, "", "apikey", "create", "--email", "ops@example.com", "--name", "deploy")
	if err != nil || !strings.HasPrefix(out, "pk_live_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("apikey create = %q, %v", out, err)
	}
	if _, err := runIn(t, env, "", "apikey", "create", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "No user") {
		t.Errorf("key for a missing user: %v", err)
	}
	out, err = runIn(t, env, "", "org", "set-tier", "--email", "ops@example.com", "free")
	if err != nil || !strings.Contains(out, "free tier") {
		t.Errorf("set-tier = %q, %v", out, err)
	}
	if _, err := runIn(t, env, "", "org", "set-tier", "--email", "ops@example.com", "gold"); err == nil {
		t.Error("set-tier accepted gold")
	}
	id, err := runIn(t, env, "", "incident", "open", "--title", "Slow deliveries", "--message", "Looking into it.", "--components", "delivery")
	if err != nil || len(strings.TrimSpace(id)) != 36 {
		t.Fatalf("incident open = %q, %v", id, err)
	}
	id = strings.TrimSpace(id)
	if out, err := runIn(t, env, "", "incident", "update", id, "--status", "identified", "--message", "A slow disk."); err != nil || !strings.Contains(out, "identified") {
		t.Errorf("incident update = %q, %v", out, err)
	}
	if out, err := runIn(t, env, "", "incident", "resolve", id); err != nil || !strings.Contains(out, "resolved") {
		t.Errorf("incident resolve = %q, %v", out, err)
	}
	if _, err := runIn(t, env, "", "incident", "open", "--title", "x", "--message", "y", "--components", "kitchen"); err == nil ||
		!strings.Contains(err.Error(), "not a component") {
		t.Errorf("bad component: %v", err)
	}
}

// TestOrgSuspendCommands: org suspend, list and unsuspend, by email or
// id, each audited as the command line's operator action.
func TestOrgSuspendCommands(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	if _, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "abuser@example.com", "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatal(err)
	}
	if _, err := runIn(t, env, "", "org", "suspend", "abuser@example.com"); err == nil || !strings.Contains(err.Error(), "--reason is required") {
		t.Errorf("suspend without a reason: %v", err)
	}
	if _, err := runIn(t, env, "", "org", "suspend", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "name one organization") {
		t.Errorf("suspend without an organization: %v", err)
	}
	out, err := runIn(t, env, "", "org", "suspend", "abuser@example.com", "--reason", "Sending spam")
	if err != nil || !strings.Contains(out, "is suspended: 0 jobs and 0 monitors paused") {
		t.Fatalf("org suspend = %q, %v", out, err)
	}
	out, err = runIn(t, env, "", "org", "list", "--suspended")
	if err != nil || !strings.Contains(out, "abuser@example.com") || !strings.Contains(out, "Sending spam") || strings.Count(out, "\n") != 2 {
		t.Errorf("org list --suspended = %q, %v", out, err)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	out, err = runIn(t, env, "", "org", "list", "--query", "nobody")
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("org list --query nobody = %q, %v", out, err)
	}
	out, err = runIn(t, env, "", "org", "unsuspend", "--org", id)
	if err != nil || !strings.Contains(out, "is no longer suspended") {
		t.Errorf("org unsuspend = %q, %v", out, err)
	}
	if _, err := runIn(t, env, "", "org", "set-tier", "--org", id, "free"); err != nil {
		t.Fatal(err)
	}
	if _, err := runIn(t, env, "", "incident", "open", "--title", "Slow", "--message", "Looking."); err != nil {
		t.Fatal(err)
	}
	st := storetest.OpenSQLiteAt(t, strings.TrimPrefix(env["PRIKKE_DATABASE_URL"], "sqlite:"))
	es, err := st.AuditListOperator(context.Background(), store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.ActorEmail != "cli" {
			t.Errorf("audited as %q", e.ActorEmail)
		}
		got = append(got, string(e.Action))
	}
	if want := []string{"operator.incident_open", "operator.tier", "operator.unsuspend", "operator.suspend"}; !slices.Equal(got, want) {
		t.Errorf("operator audit = %q, want %q", got, want)
	}
}
