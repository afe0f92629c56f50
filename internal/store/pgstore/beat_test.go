package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestWorkerBeatWithMainPoolExhausted holds every connection of the main
// pool, as a spike of API requests, claims and completions can, and checks
// that a worker heartbeat is still written and read back within the
// worker's beat timeout (half the default PRIKKE_NODE_DEAD_AFTER). On the
// main pool the beat waited for a connection until its timeout: the node
// stopped starting work, and its peers took its work over while it lived.
func TestWorkerBeatWithMainPoolExhausted(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	ctx := context.Background()
	name := store.WorkerBeat + "n1"
	if err := s.HeartbeatPut(ctx, name, "first"); err != nil {
		t.Fatal(err)
	}

	storetest.HoldPool(t, s)
	// The main pool is exhausted: nothing else gets a connection.
	actx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := s.Now(actx); err == nil {
		t.Fatal("Now got a connection from an exhausted pool")
	}
	cancel()

	const beatTimeout = 5 * time.Second / 2 // the worker's: DeadAfter/2
	bctx, cancel := context.WithTimeout(ctx, beatTimeout)
	defer cancel()
	if err := s.HeartbeatPut(bctx, name, "second"); err != nil {
		t.Fatalf("worker heartbeat with the main pool held: %v", err)
	}
	_, detail, err := s.HeartbeatGet(bctx, name)
	if err != nil {
		t.Fatalf("reading the worker heartbeat with the main pool held: %v", err)
	}
	if detail != "second" {
		t.Fatalf("worker heartbeat detail %q, want %q", detail, "second")
	}
}
