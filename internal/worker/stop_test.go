package worker_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// newWorker returns a stopped worker on s (stopped at cleanup), for tests
// that set it up before Start.
func newWorker(t *testing.T, s store.Store, allow []netip.AddrPort, cfg worker.Config) *worker.Worker {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client := delivery.New(delivery.Options{Allow: allow})
	t.Cleanup(client.Close)
	w := worker.New(s, client, cfg, metrics.New(), logger)
	t.Cleanup(w.Stop)
	return w
}

// stopWithin stops w and fails the test if Stop has not returned within
// bound (a bound far above what Stop should take, far below the hang).
func stopWithin(t *testing.T, w *worker.Worker, bound time.Duration) {
	t.Helper()
	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(bound):
		t.Fatalf("Stop has not returned after %v", bound)
	}
}

// A quota hook that never returns by itself (a mail server that does not
// answer) holds up neither claiming nor delivering other executions, and
// Stop cancels it at the drain deadline instead of waiting on it. Before,
// the dispatcher called the hook inside its claim, and the notifier's hook
// mails every owner and admin with 30 seconds each.
func TestBlockedQuotaHook(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	free := storetest.NewTenant(t, s, prikke.TierFree)
	pro := storetest.NewTenant(t, s, prikke.TierPro)
	skFree, skPro := sink.New(free.Project.SigningSecret), sink.New(pro.Project.SigningSecret)
	t.Cleanup(skFree.Close)
	t.Cleanup(skPro.Close)
	now := dbNow(t, s)
	if _, err := s.UsageAdd(context.Background(), free.Org.ID, prikke.Month(now), 3999); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, s, []netip.AddrPort{skFree.Addr(), skPro.Addr()}, worker.Config{
		Node: "n1", MinWorkers: 2, MaxWorkers: 8, Drain: 300 * time.Millisecond, PollEvery: time.Second})
	entered := make(chan store.QuotaCrossing, 8)
	var returned atomic.Int32
	w.OnQuota = func(ctx context.Context, q store.QuotaCrossing) {
		entered <- q
		<-ctx.Done()
		returned.Add(1)
	}
	w.Start(context.Background())

	onceAt(t, s, free, skFree.URL("/ok"), 5000, now) // its claim crosses 80%
	var q store.QuotaCrossing
	select {
	case q = <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the quota hook was not called")
	}
	if q.OrganizationID != free.Org.ID || q.Used != 4000 {
		t.Fatalf("crossing = %+v; want the free organization at 4000", q)
	}
	// The hook is blocked: the dispatcher still claims and delivers.
	j := onceAt(t, s, pro, skPro.URL("/ok"), 5000, dbNow(t, s))
	waitFor(t, "a delivery while the quota hook is blocked", func() bool { return delivered(skPro, j) == 1 })
	waitFor(t, "the crossing's own delivery", func() bool { return skFree.Count() == 1 })

	stopWithin(t, w, 15*time.Second)
	if returned.Load() != 1 {
		t.Error("Stop returned without cancelling the blocked quota hook")
	}
	if len(entered) != 0 {
		t.Errorf("the hook was called %d more times; one crossing, one call", len(entered))
	}
}

// Stop returns soon after its drain deadline while the database is
// unreachable (every connection of its pool held), even with a result not
// yet written: the completer stops retrying GiveBack after the deadline
// and leaves the attempt running under this node's lease. A fresh process
// under the same node ID then takes it over and delivers it again: the
// result is neither lost nor recorded wrong. Before, the completer retried
// with an uncancellable sleep for up to 4.5 minutes, its first attempt
// alone waiting 30 s for a connection.
func TestStopWithDatabaseDown(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(tn.Project.SigningSecret)
	t.Cleanup(sk.Close)
	cfg := worker.Config{Node: "n1", MinWorkers: 2, MaxWorkers: 8, DeadAfter: time.Second, PollEvery: time.Second,
		Drain: 3 * time.Second, GiveBack: 300 * time.Millisecond}
	w1 := newWorker(t, s, []netip.AddrPort{sk.Addr()}, cfg)
	w1.Start(context.Background())
	j := onceAt(t, s, tn, sk.URL("/slow?ms=1500"), 5000, dbNow(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// The request is in flight for 1.5s: its result comes while the pool
	// is held, before the drain deadline.
	t.Run("held", func(t *testing.T) {
		storetest.HoldPool(t, s) // released when this subtest ends
		// Drain 3s + GiveBack 0.3s; the old first write attempt alone took 30s.
		stopWithin(t, w1, 15*time.Second)
	})

	es := executions(t, s, j)
	if len(es) != 1 || es[0].Status != prikke.ExecutionStatusRunning || es[0].ClaimedBy != "n1" {
		t.Fatalf("after Stop with the database down, executions = %+v; want one still running under n1, for the rescue path", es[0])
	}

	w2 := newWorker(t, s, []netip.AddrPort{sk.Addr()}, cfg)
	w2.Start(context.Background())
	waitFor(t, "the fresh worker to deliver the attempt again", func() bool {
		es := executions(t, s, j)
		return len(es) == 1 && es[0].Status == prikke.ExecutionStatusSuccess
	})
	if n := delivered(sk, j); n != 2 {
		t.Errorf("the endpoint got %d requests; want 2 (the result of the first was never written)", n)
	}
}

// Stop right after Start waits for the minimum workers too: they are
// spawned before anything Stop waits on can end, so none is left running
// (or counted) once Stop returns, and the pool's WaitGroup is never added
// to while it is waited on. Before, run spawned them after starting the
// shutdown, which a Stop in between could overtake.
func TestStopRightAfterStart(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	for range 20 {
		w := newWorker(t, s, nil, worker.Config{Node: "n1", MinWorkers: 4, MaxWorkers: 8})
		w.Start(context.Background())
		stopWithin(t, w, 10*time.Second)
		if _, workers := w.Stats(); workers != 0 {
			t.Fatalf("%d workers counted after Stop; want 0", workers)
		}
	}
}
