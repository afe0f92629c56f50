package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/store/storetest"
)

// TestServeMarksPlannedStop: `prikke serve` marks its start and, on a
// graceful stop, the planned stop under its node's name, so /status
// counts a quick restart of the sampling node as up rather than an
// outage, and another node's stop excuses nothing (status.Sampler).
func TestServeMarksPlannedStop(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["PRIKKE_NODE_ID"] = "node-7"
	_, stop := startServer(t, env)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s := storetest.OpenSQLiteAt(t, strings.TrimPrefix(env["PRIKKE_DATABASE_URL"], "sqlite:"))
	ctx := context.Background()
	read := func(name string) time.Time {
		t.Helper()
		_, detail, err := s.HeartbeatGet(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		at, err := time.Parse(time.RFC3339Nano, detail)
		if err != nil {
			t.Fatalf("%s = %q: %v", name, detail, err)
		}
		return at
	}
	started, stopping := read("status:started"), read("status:stopping:node-7")
	if stopping.Before(started) {
		t.Errorf("stop marked at %v, before the start at %v", stopping, started)
	}
}
