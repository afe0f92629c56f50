package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// outageStore is a PostgreSQL store whose heartbeat writes fail while down,
// and which counts the takeovers of nodes judged dead by their heartbeat.
type outageStore struct {
	store.Store
	down   atomic.Bool
	judged atomic.Int64
}

var errDown = errors.New("database unreachable")

func (s *outageStore) HeartbeatPut(ctx context.Context, name, detail string) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.HeartbeatPut(ctx, name, detail)
}

func (s *outageStore) ExecutionRescueDead(ctx context.Context, p store.DeadParams) (int, int, error) {
	if len(p.Nodes) == 0 {
		s.judged.Add(1)
	}
	return s.Store.ExecutionRescueDead(ctx, p)
}

// steppedWorker is a stopped worker on s whose monotonic clock the test
// steps.
func steppedWorker(t *testing.T, s store.Store) (*Worker, *time.Duration) {
	t.Helper()
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	w := New(s, client, Config{Node: "n1", DeadAfter: 5 * time.Second}, metrics.New(), slog.New(slog.DiscardHandler))
	now := new(time.Duration)
	w.mono = func() time.Duration { return *now }
	return w, now
}

// A node judges others dead only once its own heartbeat has been unbroken
// for DeadAfter: after a database outage longer than DeadAfter every
// heartbeat is stale, and the first node back must not take over the
// others (whose requests are still in flight) before they could beat again.
func TestNoJudgingAfterOwnOutage(t *testing.T) {
	t.Parallel()
	s := &outageStore{Store: storetest.OpenPostgres(t)}
	w, now := steppedWorker(t, s)
	ctx := context.Background()
	// tick beats and watches once, then steps the clock a second.
	tick := func() {
		w.beatOnce(ctx)
		w.watchOnce(ctx)
		*now += time.Second
	}
	*now = time.Second
	for range 5 { // beats at 1s..5s: a streak of 4s
		tick()
	}
	if n := s.judged.Load(); n != 0 {
		t.Fatalf("judged others %d times after a 4s streak; want none before 5s", n)
	}
	tick() // 6s: a streak of 5s
	if n := s.judged.Load(); n != 1 {
		t.Fatalf("judged others %d times after a 5s streak; want once", n)
	}
	// The database is unreachable for 8s, longer than DeadAfter.
	s.down.Store(true)
	for range 8 {
		tick()
	}
	s.down.Store(false)
	before := s.judged.Load()
	for range 5 { // back: beats at 15s..19s
		tick()
	}
	if n := s.judged.Load() - before; n != 0 {
		t.Fatalf("judged others %d times within 4s of the database coming back; want none", n)
	}
	tick() // 20s: 5s unbroken again
	if n := s.judged.Load() - before; n != 1 {
		t.Fatalf("judged others %d times after 5s back; want once", n)
	}
	// A gap without a failed beat (the process starved of CPU) breaks
	// the streak too.
	*now += 3 * time.Second
	before = s.judged.Load()
	for range 5 {
		tick()
	}
	if n := s.judged.Load() - before; n != 0 {
		t.Fatalf("judged others %d times within 4s of a 3s gap in the heartbeat; want none", n)
	}
}
