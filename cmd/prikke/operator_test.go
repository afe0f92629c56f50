package main

import (
	"context"
	"strings"
	"testing"
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
