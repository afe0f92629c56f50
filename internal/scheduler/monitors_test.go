package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// newMonitor stores a period monitor whose runs may last maxRuntime.
func newMonitor(t testing.TB, s store.Store, tn *storetest.Tenant, name string, maxRuntime time.Duration) *prikke.Monitor {
	t.Helper()
	m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: tn.Project.ID, Name: name, Slug: name,
		PingToken: uuid.NewString(), BadgeToken: strings.ReplaceAll(uuid.NewString(), "-", ""),
		Period: time.Hour, Grace: time.Hour, MaxRuntime: maxRuntime, NotifyMode: prikke.NotifyProject,
		AlertPolicy: prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 1},
		CreatedAt:   storetest.T0, UpdatedAt: storetest.T0}
	m.Status = prikke.MonitorNew
	if err := s.MonitorCreate(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// startRun records a start ping at at: the run's deadline is at plus the
// monitor's max run time.
func startRun(t testing.TB, s store.Store, m *prikke.Monitor, at time.Time) {
	t.Helper()
	p := &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: prikke.PingStart,
		Method: "GET", SourceIP: "192.0.2.1", CreatedAt: at}
	if _, err := s.PingsRecord(context.Background(), []*prikke.Ping{p}, monitor.OnPing); err != nil {
		t.Fatal(err)
	}
}

func flipsOf(t testing.TB, s store.Store, m *prikke.Monitor) []*prikke.MonitorFlip {
	t.Helper()
	fs, err := s.MonitorFlipList(context.Background(), m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// warpStore is SQLite on a clock the test moves.
func warpStore(t *testing.T, at time.Time) (*sqlitestore.Store, func(time.Time)) {
	s := storetest.OpenSQLite(t).(*sqlitestore.Store)
	var clock atomic.Int64
	clock.Store(at.UnixNano())
	s.NowFunc = func() time.Time { return time.Unix(0, clock.Load()) }
	return s, func(t time.Time) { clock.Store(t.UnixNano()) }
}

// TestMonitorDeadlinesInOrder: each deadline is acted on once the database
// clock reaches it, not before, and the scheduler is told to wake at the
// next one.
func TestMonitorDeadlinesInOrder(t *testing.T) {
	t.Parallel()
	s, setClock := warpStore(t, storetest.T0)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	var ms []*prikke.Monitor
	for _, sec := range []int{5, 3, 1, 4, 2} {
		m := newMonitor(t, s, tn, fmt.Sprintf("run-%ds", sec), time.Duration(sec)*time.Second)
		startRun(t, s, m, storetest.T0)
		ms = append(ms, m)
	}
	sched := newScheduler(s, "n1")
	down := func() []string {
		var out []string
		for _, m := range ms {
			if fs := flipsOf(t, s, m); len(fs) > 0 {
				if len(fs) != 1 || fs[0].Event != prikke.EventMonitorTooLong || fs[0].PrikkeDown {
					t.Fatalf("%s flips = %+v", m.Name, fs)
				}
				out = append(out, m.Name)
			}
		}
		slices.Sort(out)
		return out
	}

	setClock(storetest.T0.Add(2500 * time.Millisecond))
	n, wait, err := sched.ExpireMonitors(ctx, monitor.Outage{})
	if err != nil || n != 2 {
		t.Fatalf("at +2.5s: stepped %d, %v; want the 1s and 2s runs", n, err)
	}
	if got := down(); !slices.Equal(got, []string{"run-1s", "run-2s"}) {
		t.Fatalf("down at +2.5s: %v", got)
	}
	if wait < 500*time.Millisecond || wait > 510*time.Millisecond {
		t.Errorf("wait = %v; want the 0.5 s until the 3 s run's deadline", wait)
	}
	setClock(storetest.T0.Add(3 * time.Second)) // exactly at the deadline
	if n, _, err := sched.ExpireMonitors(ctx, monitor.Outage{}); err != nil || n != 1 {
		t.Fatalf("at +3s: stepped %d, %v", n, err)
	}
	setClock(storetest.T0.Add(time.Minute))
	n, wait, err = sched.ExpireMonitors(ctx, monitor.Outage{})
	if err != nil || n != 2 || len(down()) != 5 {
		t.Fatalf("at +1m: stepped %d, %v; down %v", n, err, down())
	}
	if n, _, _ := sched.ExpireMonitors(ctx, monitor.Outage{}); n != 0 {
		t.Errorf("stepped %d again", n)
	}
	if wait <= 0 || wait > 5*time.Second {
		t.Errorf("wait with no deadline left = %v; want a short cap", wait)
	}
}

// TestMonitorOutageFlagged: Prikke was down for ten minutes (the last
// scheduler heartbeat is that old when the node starts). The deadline
// that passed in the gap is acted on at start and its flip says Prikke was
// down; one that passed before the last beat does not.
func TestMonitorOutageFlagged(t *testing.T) {
	t.Parallel()
	s, setClock := warpStore(t, storetest.T0)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	before := newMonitor(t, s, tn, "before", 10*time.Second)
	startRun(t, s, before, storetest.T0.Add(-20*time.Second)) // deadline T0-10s
	inside := newMonitor(t, s, tn, "inside", time.Minute)
	startRun(t, s, inside, storetest.T0.Add(time.Minute)) // deadline T0+2m
	if err := s.HeartbeatPut(ctx, "scheduler", "old-node"); err != nil {
		t.Fatal(err)
	}
	setClock(storetest.T0.Add(10 * time.Minute))
	sched := newScheduler(s, "n1")
	sched.Start(ctx)
	defer sched.Stop()
	waitFor(t, "both deadlines", func() bool { return len(flipsOf(t, s, before)) > 0 && len(flipsOf(t, s, inside)) > 0 })
	sched.Stop()
	fb, fi := flipsOf(t, s, before), flipsOf(t, s, inside)
	if len(fb) != 1 || fb[0].PrikkeDown || strings.Contains(fb[0].Detail, "our side") {
		t.Errorf("the deadline before the last beat: %+v", fb[0])
	}
	if len(fi) != 1 || !fi[0].PrikkeDown || !strings.Contains(fi[0].Detail, "Prikke was not running") {
		t.Errorf("the deadline in the outage: %+v", fi[0])
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMonitorDeadlinesExactlyOnce: two schedulers stepping the same past
// deadlines at once on PostgreSQL write each flip once; then both run
// their loops (one leads) on deadlines in the next seconds, each acted on
// once. The loop's lateness (flip time minus deadline, database clock) is
// logged, not asserted.
func TestMonitorDeadlinesExactlyOnce(t *testing.T) {
	t.Parallel()
	schema := storetest.NewSchemaName()
	s1 := storetest.OpenPostgresSchema(t, schema)
	s2 := storetest.OpenPostgresSchema(t, schema)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s1, prikke.TierPro)
	now, err := s1.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var past []*prikke.Monitor
	for i := range 300 {
		m := newMonitor(t, s1, tn, fmt.Sprintf("past-%d", i), time.Second)
		startRun(t, s1, m, now.Add(-time.Duration(5+i%7)*time.Second))
		past = append(past, m)
	}
	a, b := newScheduler(s1, "a"), newScheduler(s2, "b")
	var stepped atomic.Int64
	var wg sync.WaitGroup
	for _, sc := range []*scheduler.Scheduler{a, b, a, b} {
		wg.Go(func() {
			for {
				n, _, err := sc.ExpireMonitors(ctx, monitor.Outage{})
				if err != nil {
					t.Error(err)
					return
				}
				stepped.Add(int64(n))
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if stepped.Load() != 300 {
		t.Errorf("stepped %d monitors; want 300", stepped.Load())
	}
	for _, m := range past {
		if fs := flipsOf(t, s1, m); len(fs) != 1 {
			t.Fatalf("%s: %d flips", m.Name, len(fs))
		}
	}

	// The loops, on deadlines 1 to 3 s ahead.
	a.Start(ctx)
	defer a.Stop()
	b.Start(ctx)
	defer b.Stop()
	var soon []*prikke.Monitor
	for i := range 100 {
		soon = append(soon, newMonitor(t, s1, tn, fmt.Sprintf("soon-%d", i), time.Duration(1+i%3)*time.Second))
	}
	now, _ = s1.Now(ctx)
	deadlines := map[prikke.ID]time.Time{}
	var starts []*prikke.Ping
	for _, m := range soon {
		starts = append(starts, &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: prikke.PingStart,
			Method: "GET", SourceIP: "192.0.2.1", CreatedAt: now})
		deadlines[m.ID] = now.Add(m.MaxRuntime)
	}
	if _, err := s1.PingsRecord(ctx, starts, monitor.OnPing); err != nil {
		t.Fatal(err)
	}
	var late []time.Duration
	waitFor(t, "every deadline", func() bool {
		late = late[:0]
		for _, m := range soon {
			fs := flipsOf(t, s1, m)
			if len(fs) == 0 {
				return false
			}
			if len(fs) != 1 {
				t.Fatalf("%s: %d flips", m.Name, len(fs))
			}
			late = append(late, fs[0].CreatedAt.Sub(deadlines[m.ID]))
		}
		return true
	})
	slices.Sort(late)
	t.Logf("deadline loop lateness (database clock) of %d deadlines: p50 %v, p99 %v, max %v", len(late),
		late[len(late)/2].Round(time.Millisecond), late[len(late)*99/100].Round(time.Millisecond), late[len(late)-1].Round(time.Millisecond))
	if late[0] < 0 {
		t.Errorf("a deadline was acted on %v early", -late[0])
	}
}

// TestPruneMonitorHistory: maintenance deletes processed monitor flips
// past the tier's history window (each monitor keeps its newest 100), not
// only pings.
func TestPruneMonitorHistory(t *testing.T) {
	t.Parallel()
	now := storetest.T0.Add(60 * 24 * time.Hour)
	s, _ := warpStore(t, now)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierFree)
	m := newMonitor(t, s, tn, "flappy", 0)
	var fs []*prikke.MonitorFlip
	for i := range 130 {
		at := now.Add(-20*24*time.Hour + time.Duration(i)*time.Second)
		fs = append(fs, &prikke.MonitorFlip{ID: prikke.NewID(), Event: prikke.EventMonitorDown, From: prikke.MonitorUp,
			To: prikke.MonitorDown, CreatedAt: at, ProcessedAt: &at})
	}
	if _, err := s.MonitorModify(ctx, m.ID, func(*prikke.Monitor) ([]*prikke.MonitorFlip, error) { return fs, nil }); err != nil {
		t.Fatal(err)
	}
	scheduler.PruneMonitorHistory(newScheduler(s, "n1"), ctx)
	if got, err := s.MonitorFlipList(ctx, m.ID, 1000); err != nil || len(got) != 100 {
		t.Fatalf("after maintenance %d flips, %v; want the newest 100", len(got), err)
	}
}

// TestMonitorHeldDeadlineNoSpin: a monitor past its deadline that another
// transaction holds is skipped; the loop must not be told to come back at
// once (it would spin for as long as the lock lasts), and it steps the
// monitor once the lock is gone.
func TestMonitorHeldDeadlineNoSpin(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	m := newMonitor(t, s, tn, "held", time.Second)
	now, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startRun(t, s, m, now.Add(-time.Minute))
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := s.MonitorModify(ctx, m.ID, func(*prikke.Monitor) ([]*prikke.MonitorFlip, error) {
			close(held)
			<-release
			return nil, errors.New("rolled back")
		})
		done <- err
	}()
	<-held
	sched := newScheduler(s, "n1")
	n, wait, err := sched.ExpireMonitors(ctx, monitor.Outage{})
	close(release)
	<-done
	if err != nil || n != 0 {
		t.Fatalf("while held: stepped %d, %v", n, err)
	}
	if wait < 10*time.Millisecond {
		t.Errorf("wait = %v with the only due monitor held; the loop would spin", wait)
	}
	if n, _, err := sched.ExpireMonitors(ctx, monitor.Outage{}); err != nil || n != 1 {
		t.Errorf("after the lock: stepped %d, %v", n, err)
	}
}
