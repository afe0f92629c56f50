package scheduler_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

func newScheduler(s store.Store, node string) *scheduler.Scheduler {
	return scheduler.New(s, scheduler.Config{Node: node, Lead: 2 * time.Second, LeaderTTL: 2 * time.Second}, metrics.New(), slog.New(slog.DiscardHandler))
}

// TestCatchUpAfterDowntime is F10 with a time-warp clock: Prikke was down
// for ten minutes; each cron job runs its latest missed occurrence once
// and records how many it missed; one-time jobs that fell in the gap run.
func TestCatchUpAfterDowntime(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t).(*sqlitestore.Store)
	clock := storetest.T0
	s.NowFunc = func() time.Time { return clock }
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	minutely := storetest.NewJob(t, s, tn, func(j *prikke.Job) { n := storetest.T0; j.NextRunAt = &n })
	skipper := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
		n := storetest.T0
		j.NextRunAt, j.CatchUp = &n, prikke.CatchUpSkip
	})
	once := storetest.NewJob(t, s, tn, storetest.Once(storetest.T0.Add(3*time.Minute)))

	clock = storetest.T0.Add(10*time.Minute + 30*time.Second) // ten minutes of downtime later
	sched := newScheduler(s, "n1")
	ctx := context.Background()
	if _, err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &minutely.ID})
	if len(es) != 1 || es[0].Status != prikke.ExecutionStatusPending || es[0].MissedCount != 10 ||
		!es[0].ScheduledFor.Equal(storetest.T0.Add(10*time.Minute)) {
		t.Fatalf("minutely job after downtime: %+v", es)
	}
	es, _ = s.ExecutionList(ctx, store.ExecutionFilter{JobID: &skipper.ID})
	if len(es) != 1 || es[0].Status != prikke.ExecutionStatusPending || es[0].MissedCount != 10 {
		t.Fatalf("skip-policy job, latest occurrence only 30 s late, still runs: %+v", es)
	}
	es, _ = s.ExecutionList(ctx, store.ExecutionFilter{JobID: &once.ID})
	if len(es) != 1 || es[0].Status != prikke.ExecutionStatusPending {
		t.Fatalf("one-time job in the gap: %+v", es)
	}
	// A second tick (or a second leader) writes nothing more.
	if _, err := newScheduler(s, "n2").Tick(ctx); err != nil {
		t.Fatal(err)
	}
	for _, j := range []*prikke.Job{minutely, skipper, once} {
		if es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID}); len(es) != 1 {
			t.Errorf("job %s has %d executions after a second tick", j.Name, len(es))
		}
	}
	// Cursors moved past now.
	got, _ := s.JobGet(ctx, minutely.ID)
	if !got.NextRunAt.Equal(storetest.T0.Add(11 * time.Minute)) {
		t.Errorf("cursor = %v", got.NextRunAt)
	}
}

// TestConcurrentSchedulers: two schedulers ticking at once on PostgreSQL
// (two leaders, as in a split brain) write every occurrence exactly once.
func TestConcurrentSchedulers(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		now, _ := s.Now(ctx)
		var jobs []*prikke.Job
		for range 300 {
			jobs = append(jobs, storetest.NewJob(t, s, tn, func(j *prikke.Job) { n := now.Add(time.Second); j.NextRunAt = &n }))
		}
		var wg sync.WaitGroup
		for _, node := range []string{"a", "b", "c"} {
			sc := newScheduler(s, node)
			wg.Go(func() {
				if _, err := sc.Tick(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// Each occurrence once. A tick may also write the job's next
		// occurrence when it falls inside the lookahead (near the end of
		// a minute, or on a slow machine), so count per instant rather
		// than per job.
		for _, j := range jobs {
			es, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j.ID})
			seen := map[time.Time]int{}
			for _, e := range es {
				seen[e.ScheduledFor.UTC()]++
			}
			if seen[j.NextRunAt.UTC()] != 1 {
				t.Fatalf("the occurrence at %v was written %d times", j.NextRunAt, seen[j.NextRunAt.UTC()])
			}
			for at, n := range seen {
				if n != 1 {
					t.Fatalf("the occurrence at %v was written %d times", at, n)
				}
			}
		}
	})
}

// TestElection: on a shared store exactly one scheduler leads; when it
// stops, another takes over within the lease.
func TestElection(t *testing.T) {
	t.Parallel()
	schema := storetest.NewSchemaName()
	s1 := storetest.OpenPostgresSchema(t, schema)
	s2 := storetest.OpenPostgresSchema(t, schema)
	a, b := newScheduler(s1, "a"), newScheduler(s2, "b")
	a.Start(context.Background())
	defer a.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for !a.Leading() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	b.Start(context.Background())
	defer b.Stop()
	time.Sleep(1500 * time.Millisecond)
	if !a.Leading() || b.Leading() {
		t.Fatalf("leading: a %v, b %v; want exactly a", a.Leading(), b.Leading())
	}
	a.Stop() // resigns
	deadline = time.Now().Add(10 * time.Second)
	for !b.Leading() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !b.Leading() {
		t.Fatal("b did not take over after a resigned")
	}
}
