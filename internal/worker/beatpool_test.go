package worker

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/store/storetest"
)

// A spike that holds every connection of the store's main pool (API
// requests, claims, completions, sent marks) must not stop a live node
// beating: its heartbeat has its own connections. Before, the beat waited
// for a connection until its timeout (half DeadAfter), the node stopped
// starting work, and once the spike lasted DeadAfter its peers took its
// work over and delivered its requests in flight a second time.
func TestBeatWithMainPoolExhausted(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	w, now := steppedWorker(t, s)
	ctx := context.Background()
	*now = time.Second
	w.beatOnce(ctx) // claims the node ID and takes over its predecessor
	if !w.alive() {
		t.Fatal("not alive after the first beat")
	}

	storetest.HoldPool(t, s)

	*now = 3 * time.Second
	w.beatOnce(ctx) // with the worker's own timeout, DeadAfter/2
	if w.streak.Load() == 0 {
		t.Fatal("the beat with the main pool held failed")
	}
	*now = 4 * time.Second // 3s after the first beat, 1s after the second
	if !w.alive() {
		t.Fatal("not alive 1s after a beat made with the main pool held")
	}
}
