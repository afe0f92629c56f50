package worker_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// engine is a scheduler and a worker on one store, delivering to sinks.
type engine struct {
	store  store.Store
	sched  *scheduler.Scheduler
	worker *worker.Worker
}

func startEngine(t *testing.T, s store.Store, node string, allow []netip.AddrPort, edit func(*worker.Config)) *engine {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := metrics.New()
	client := delivery.New(delivery.Options{Allow: allow})
	t.Cleanup(client.Close)
	cfg := worker.Config{Node: node, MinWorkers: 2, MaxWorkers: 64, OrgInFlight: 64, Drain: 5 * time.Second,
		RetryDelay: func(int, time.Duration) time.Duration { return 200 * time.Millisecond }, PollEvery: time.Second}
	if edit != nil {
		edit(&cfg)
	}
	e := &engine{
		store:  s,
		sched:  scheduler.New(s, scheduler.Config{Node: node, Lead: 2 * time.Second, LeaderTTL: 3 * time.Second, RescueEvery: 200 * time.Millisecond}, m, logger),
		worker: worker.New(s, client, cfg, m, logger),
	}
	e.sched.Start(context.Background())
	e.worker.Start(context.Background())
	t.Cleanup(e.stop)
	return e
}

func (e *engine) stop() {
	e.sched.Stop()
	e.worker.Stop()
}

// dbNow returns the database clock.
func dbNow(t *testing.T, s store.Store) time.Time {
	t.Helper()
	now, err := s.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return now
}

// waitFor polls cond (cheap store reads) until it holds. The cap only bounds a test that is
// broken: a loaded 2-core machine running the race detector can take a
// while for 100 workflow items, so it is generous.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func executions(t *testing.T, s store.Store, j *prikke.Job) []*prikke.Execution {
	t.Helper()
	es, err := s.ExecutionList(context.Background(), store.ExecutionFilter{JobID: &j.ID})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestDeliversOnTime(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		due := dbNow(t, s).Add(1500 * time.Millisecond).Truncate(time.Millisecond)
		var jobs []*prikke.Job
		for i := range 20 {
			jobs = append(jobs, storetest.NewJob(t, s, tn, func(j *prikke.Job) {
				storetest.Once(due)(j)
				j.URL = sk.URL("/ok?n=" + strconv.Itoa(i))
				j.CreatedAt = due
			}))
		}
		// A cron job whose cursor is due now, to exercise the cron path
		// (hourly, so its next occurrence is not written during the test).
		cronJob := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			j.CronExpression, j.IntervalMinutes, j.NextRunAt, j.URL = "0 * * * *", 60, &due, sk.URL("/ok?cron")
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := sk.WaitCount(ctx, 21); err != nil {
			t.Fatalf("sink got %d of 21: %v", sk.Count(), err)
		}
		var latest time.Duration
		for _, r := range sk.Requests() {
			if !r.SignatureValid {
				t.Errorf("signature invalid: %s", r.SignatureError)
			}
			// Claimed ahead, but started at the due instant, never before
			// (the sink and the database share this machine's clock). How
			// late is a figure for the benchmarks: a loaded machine adds
			// seconds.
			late := r.At.Sub(due)
			if late < -5*time.Millisecond {
				t.Errorf("request arrived %v before its due instant", -late)
			}
			latest = max(latest, late)
		}
		t.Logf("the latest request arrived %v after its due instant", latest)
		for _, j := range append(jobs, cronJob) {
			j := j
			waitFor(t, "a recorded result", func() bool {
				es := executions(t, s, j)
				return len(es) == 1 && es[0].Status == prikke.ExecutionStatusSuccess
			})
			e := executions(t, s, j)[0]
			if e.ResponseStatus != 200 || string(mustGet(t, s, e.ID).ResponseBody) != "ok" || e.StartedAt == nil {
				t.Errorf("execution = %+v", e)
			}
			if e.StartedAt.Before(due) {
				t.Errorf("started at %v, before its due instant %v", e.StartedAt, due)
			}
		}
		if got := sk.ByWebhookID(); len(got) != 21 {
			t.Errorf("distinct webhook ids = %d, want 21", len(got))
		}
		// The cron job's cursor moved on to its next hour.
		cj, _ := s.JobGet(context.Background(), cronJob.ID)
		if cj.NextRunAt == nil || !cj.NextRunAt.After(due) || cj.NextRunAt.Minute() != 0 || cj.NextRunAt.Second() != 0 {
			t.Errorf("cron cursor = %v", cj.NextRunAt)
		}
	})
}

func mustGet(t *testing.T, s store.Store, id prikke.ID) *prikke.Execution {
	t.Helper()
	e, err := s.ExecutionGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRetriesAndGone(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		due := dbNow(t, s).Add(500 * time.Millisecond)
		failing := storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/500"); j.RetryAttempts = 2 })
		gone := storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/410"); j.RetryAttempts = 5 })
		// Hourly, so its next occurrence is not written during the test.
		cronFail := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			j.CronExpression, j.IntervalMinutes, j.NextRunAt, j.URL = "0 * * * *", 60, &due, sk.URL("/500")
		})

		waitFor(t, "three attempts of the failing job", func() bool {
			es := executions(t, s, failing)
			return len(es) == 3 && es[0].Status.Terminal()
		})
		es := executions(t, s, failing)
		for i, e := range es {
			if e.Attempt != 3-i || e.Status != prikke.ExecutionStatusFailed || e.ResponseStatus != 500 || !e.ScheduledFor.Equal(es[0].ScheduledFor) {
				t.Errorf("attempt row %d = %+v", i, e)
			}
		}
		ids := map[string]int{}
		for _, r := range sk.Requests() {
			if r.JobID == failing.ID.String() {
				ids[r.WebhookID]++
			}
		}
		if len(ids) != 1 {
			t.Errorf("retries used %d webhook ids; one occurrence must keep one", len(ids))
		}
		j, _ := s.JobGet(context.Background(), failing.ID)
		if j.Health != prikke.JobFailing || j.ConsecutiveFailures != 1 {
			t.Errorf("after its final retry the job = %s/%d; want failing/1", j.Health, j.ConsecutiveFailures)
		}

		waitFor(t, "the 410 job disabled", func() bool {
			j, _ := s.JobGet(context.Background(), gone.ID)
			return !j.Enabled
		})
		if es := executions(t, s, gone); len(es) != 1 {
			t.Errorf("a 410 was retried: %d attempts", len(es))
		}
		waitFor(t, "the failing cron run", func() bool {
			es := executions(t, s, cronFail)
			return len(es) == 1 && es[0].Status == prikke.ExecutionStatusFailed
		})
		time.Sleep(500 * time.Millisecond)
		if es := executions(t, s, cronFail); len(es) != 1 {
			t.Errorf("a cron job was retried: %d rows", len(es))
		}
	})
}

// A receiver's Retry-After sets the next attempt's due instant, through
// the default backoff (not the tests' short one).
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.RetryDelay = nil })
		due := dbNow(t, s).Add(300 * time.Millisecond)
		busy := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts = sk.URL("/429?retry_after=120"), 3
			j.FlowKey = "busy" // its 429 holds this key, not the sink's host:port that plain shares
		})
		plain := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
			storetest.Once(due)(j)
			j.URL, j.RetryAttempts = sk.URL("/500"), 3
		})
		for _, tc := range []struct {
			job      *prikke.Job
			min, max time.Duration
		}{
			{busy, 120 * time.Second, 121 * time.Second},                                                  // Retry-After is longer than the 10s backoff
			{plain, prikke.RetryBaseDelay, prikke.RetryBaseDelay + prikke.RetryBaseDelay/5 + time.Second}, // first backoff with jitter
		} {
			waitFor(t, "the first attempt and its retry", func() bool { return len(executions(t, s, tc.job)) == 2 })
			es := executions(t, s, tc.job)
			retry, first := es[0], es[1]
			if retry.Attempt != 2 || retry.Status != prikke.ExecutionStatusPending || first.FinishedAt == nil {
				t.Fatalf("rows = %+v, %+v", retry, first)
			}
			if wait := retry.DueAt.Sub(*first.FinishedAt); wait < tc.min || wait > tc.max {
				t.Errorf("%s: retry due %s after the failure; want %s to %s", tc.job.URL, wait, tc.min, tc.max)
			}
		}
	})
}

// A tenant whose endpoints hang holds no more than its in-flight cap of the
// node's workers, so another tenant's deliveries go through meanwhile. The
// property is counted, not timed: the hanging requests time out after 30s,
// far past the wait, so every quiet delivery must have gone through while
// the noisy tenant held its cap (and without the cap the noisy tenant's 40
// requests would take all 40 workers and the quiet tenant would wait for
// them).
func TestNoisyNeighbour(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		noisy := storetest.NewTenant(t, s, prikke.TierPro)
		quiet := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(noisy.Project.SigningSecret, quiet.Project.SigningSecret)
		t.Cleanup(sk.Close)
		e := startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) {
			c.MaxWorkers, c.OrgInFlight, c.Drain = 40, 10, time.Second
		})
		due := dbNow(t, s).Add(time.Second)
		for range 40 {
			storetest.NewJob(t, s, noisy, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/hang"); j.TimeoutMS = 30000 })
		}
		var quietJobs []*prikke.Job
		for range 20 {
			quietJobs = append(quietJobs, storetest.NewJob(t, s, quiet, func(j *prikke.Job) {
				storetest.Once(due.Add(100 * time.Millisecond))(j)
				j.URL = sk.URL("/ok")
			}))
		}
		start := time.Now()
		waitFor(t, "the quiet tenant's deliveries", func() bool {
			for _, j := range quietJobs {
				if es := executions(t, s, j); len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess {
					return false
				}
			}
			return true
		})
		t.Logf("the quiet tenant's 20 deliveries done %v after they were created", time.Since(start).Round(time.Millisecond))
		hanging := 0
		for _, r := range sk.Requests() {
			if r.Path == "/hang" {
				hanging++
			}
		}
		if hanging > 10 {
			t.Errorf("%d of the noisy tenant's requests were sent; its cap is 10 and none can finish before 30s", hanging)
		}
		if inFlight, _ := e.worker.Stats(); inFlight > 10 {
			t.Errorf("%d deliveries in flight; the noisy tenant's cap is 10", inFlight)
		}
	})
}

func TestDrainOnStop(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		e := startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.Drain = 3 * time.Second })
		due := dbNow(t, s).Add(500 * time.Millisecond)
		var slow, hang []*prikke.Job
		for range 5 {
			slow = append(slow, storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/slow?ms=800") }))
			hang = append(hang, storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/hang"); j.TimeoutMS = 30000 }))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sk.WaitCount(ctx, 10); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		e.stop()
		// Stop returns at the drain deadline, not when the hanging requests
		// would time out (30s); the bound is far from both.
		if el := time.Since(start); el > 20*time.Second {
			t.Errorf("stop took %v with a 3s drain; it waited for the hanging requests", el)
		}
		for _, j := range slow {
			if es := executions(t, s, j); len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess {
				t.Errorf("in-flight delivery not finished by the drain: %+v", *es[0])
			}
		}
		for _, j := range hang {
			es := executions(t, s, j)
			if len(es) != 1 || es[0].Status != prikke.ExecutionStatusPending || es[0].ClaimedBy != "" {
				t.Errorf("a delivery still running at the drain deadline must be released to pending: %+v", es[0])
			}
		}
		if _, running, _ := s.ExecutionQueueDepth(context.Background(), time.Time{}); running != 0 {
			t.Errorf("%d rows left running", running)
		}
	})
}

func TestPoolScales(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(tn.Project.SigningSecret)
	t.Cleanup(sk.Close)
	// All 60 exist and are due before the engine starts (creating them is
	// slow under -race on a busy machine), so its first claims see the
	// whole backlog at once.
	due := dbNow(t, s)
	for range 60 {
		storetest.NewJob(t, s, tn, func(j *prikke.Job) { storetest.Once(due)(j); j.URL = sk.URL("/slow?ms=300") })
	}
	e := startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) {
		c.MinWorkers, c.MaxWorkers, c.IdleTimeout = 2, 30, 300*time.Millisecond
	})
	peak := 0
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for sk.Count() < 60 && ctx.Err() == nil {
		if _, w := e.worker.Stats(); w > peak {
			peak = w
		}
		time.Sleep(10 * time.Millisecond)
	}
	if peak < 20 || peak > 30 {
		t.Errorf("peak workers = %d; want the pool to grow towards its maximum of 30 with a backlog of 60", peak)
	}
	waitFor(t, "idle workers to exit", func() bool { _, w := e.worker.Stats(); return w == 2 })
}
