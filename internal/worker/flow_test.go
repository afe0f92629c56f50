package worker_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
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

// dueStore says something is due now at every look, while its claims (the
// real store's) find nothing: as when a flow key's row is locked by
// another node's claim, or made in the last second (which claims see
// within a second).
type dueStore struct{ countStore }

func (d *dueStore) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	d.nextDue.Add(1)
	now, err := d.Store.Now(ctx)
	return now, err == nil, err
}

// A next due instant the claim keeps back does not make the dispatcher
// spin: each look in a row waits twice as long, up to 100ms. (Before, it
// looked again every millisecond: hundreds of claims a second.)
func TestNoSpinOnDueKeptBack(t *testing.T) {
	t.Parallel()
	s := &dueStore{countStore{Store: storetest.OpenSQLite(t)}}
	w := startWorker(t, s, nil, nil, nil)
	time.Sleep(1500 * time.Millisecond)
	w.Stop()
	claims := s.claims.Load()
	t.Logf("%d claims and %d next-due looks in 1.5s", claims, s.nextDue.Load())
	if claims == 0 {
		t.Fatal("no claim at all")
	}
	// 1+2+4+…+64ms, then 100ms each: about 20 in 1.5s.
	if claims > 40 {
		t.Errorf("%d claims in 1.5s with nothing to claim; the dispatcher spins", claims)
	}
}

// flowDialects runs fn on each store whose flow keys are built (a store
// still stubbed on this branch is skipped, naming itself).
func flowDialects(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		if _, err := s.FlowKeyList(context.Background(), prikke.NewID(), time.Time{}); err != nil && strings.Contains(err.Error(), "not built yet") {
			t.Skipf("%s: flow keys not built on this branch (%v)", s.Dialect(), err)
		}
		fn(t, s)
	})
}

// flowWorker starts a worker alone (no scheduler) on s, returning its
// metrics too.
func flowWorker(t *testing.T, s store.Store, allow []netip.AddrPort, edit func(*worker.Config)) (*worker.Worker, *metrics.Metrics) {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := worker.Config{Node: "n1", MinWorkers: 2, MaxWorkers: 64, OrgInFlight: 64, Drain: 2 * time.Second, PollEvery: time.Second,
		RetryDelay: func(int, time.Duration) time.Duration { return time.Hour }}
	if edit != nil {
		edit(&cfg)
	}
	m := metrics.New()
	client := delivery.New(delivery.Options{Allow: allow})
	t.Cleanup(client.Close)
	w := worker.New(s, client, cfg, m, logger)
	t.Cleanup(w.Stop)
	w.Start(context.Background())
	return w, m
}

// flowOnce writes a one-time job to url (its flow key: the sink's
// host:port) and its pending first attempt due at at, carrying the key.
func flowOnce(t *testing.T, s store.Store, tn *storetest.Tenant, url string, at time.Time) (*prikke.Job, *prikke.Execution) {
	t.Helper()
	j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
		storetest.Once(at)(j)
		j.NextRunAt, j.URL, j.TimeoutMS, j.RetryAttempts = nil, url, 5000, 0
	})
	e := &prikke.Execution{
		ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending,
		Priority: prikke.Priority(prikke.TierPro, j.Kind, 0), FlowKey: j.Flow(), CreatedAt: at,
	}
	if err := s.ExecutionInsert(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return j, e
}

// metric returns the value of one series in a scrape of m (0 when absent).
func metric(t *testing.T, m *metrics.Metrics, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// A 503 with Retry-After: 2 holds the execution's flow key (the sink's
// host:port) for two seconds, visibly, with the answer as its reason; an
// execution of the key due meanwhile starts at the end of the hold, not
// before, and counts as throttled in its project's metrics.
func TestEndpointHoldsFlowKey(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		_, m := flowWorker(t, s, []netip.AddrPort{sk.Addr()}, nil)
		ctx := context.Background()
		busy, _ := flowOnce(t, s, tn, sk.URL("/503?retry_after=2"), dbNow(t, s))
		key := busy.Flow()
		var k *prikke.FlowKey
		waitFor(t, "the key held", func() bool {
			var err error
			k, err = s.FlowKeyGet(ctx, tn.Project.ID, key, time.Time{})
			return err == nil && k.HeldUntil != nil
		})
		answered := sk.Requests()[0].At
		if d := k.HeldUntil.Sub(answered); d < 2*time.Second-10*time.Millisecond || d > 3*time.Second {
			t.Errorf("held until %v, %v after the 503; want about 2s", k.HeldUntil, d)
		}
		if k.HoldReason != "503 Service Unavailable, Retry-After 2s" || k.Configured {
			t.Errorf("key = %+v; want the 503 as its reason, not configured", k)
		}
		// Counted once the write returns, a moment after it is visible.
		waitFor(t, "the hold counted", func() bool { return metric(t, m, "prikke_flow_holds_total") >= 1 })
		due := dbNow(t, s)
		if !due.Before(*k.HeldUntil) {
			t.Fatalf("the hold ended before the test could use it (a loaded machine): due %v, held until %v", due, k.HeldUntil)
		}
		next, e := flowOnce(t, s, tn, sk.URL("/ok?next"), due)
		waitFor(t, "the next execution delivered", func() bool { return delivered(sk, next) == 1 && mustGet(t, s, e.ID).Status.Terminal() })
		for _, r := range sk.Requests() {
			if r.JobID == next.ID.String() && r.At.Before(k.HeldUntil.Add(-5*time.Millisecond)) {
				t.Errorf("the next execution arrived at %v, before the hold ended at %v", r.At, k.HeldUntil)
			}
		}
		got := mustGet(t, s, e.ID)
		if want := k.HeldUntil.Sub(due).Milliseconds(); got.Status != prikke.ExecutionStatusSuccess || got.ThrottledMS < want-5 {
			t.Errorf("next = %s, throttled %dms; want success, throttled about %dms", got.Status, got.ThrottledMS, want)
		}
		if got := metric(t, m, "prikke_flow_holds_total"); got != 1 {
			t.Errorf("prikke_flow_holds_total = %v; want 1", got)
		}
		p := `{project_id="` + tn.Project.ID.String() + `"}`
		if n, secs := metric(t, m, "prikke_flow_throttled_total"+p), metric(t, m, "prikke_flow_throttled_seconds_total"+p); n != 1 || secs != float64(got.ThrottledMS)/1000 {
			t.Errorf("throttled %v executions for %vs; want 1 for %vs", n, secs, float64(got.ThrottledMS)/1000)
		}
	})
}

// Executions of a key that this node claimed before the key's endpoint
// asked to be left alone are given back rather than started during the
// hold (not an attempt), and the flow claim starts them when it ends:
// each once, on its first attempt.
func TestHeldKeyGivenBack(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		now := dbNow(t, s)
		busy, _ := flowOnce(t, s, tn, sk.URL("/503?retry_after=5"), now)
		var later []*prikke.Job
		for i := range 5 {
			j, _ := flowOnce(t, s, tn, sk.URL("/ok?n="+strconv.Itoa(i)), now.Add(1500*time.Millisecond))
			later = append(later, j)
		}
		// One claim takes all six (the five are within its lookahead); the
		// hold is written a moment after the first starts, long before the
		// five are due.
		flowWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.Lookahead = 2 * time.Second })
		waitFor(t, "the five delivered", func() bool {
			for _, j := range later {
				if delivered(sk, j) == 0 {
					return false
				}
			}
			return true
		})
		k, err := s.FlowKeyGet(context.Background(), tn.Project.ID, busy.Flow(), time.Time{})
		if err != nil || k.HeldUntil == nil {
			t.Fatalf("key = %+v, %v; want it held", k, err)
		}
		if written := k.HeldUntil.Add(-5 * time.Second); written.After(now.Add(1400 * time.Millisecond)) {
			t.Skipf("the hold was written %v after the 503 was due, too late to test giving back (a loaded machine)", written.Sub(now))
		}
		for _, r := range sk.Requests() {
			if r.JobID != busy.ID.String() && r.At.Before(k.HeldUntil.Add(-5*time.Millisecond)) {
				t.Errorf("request %s arrived at %v, before the hold ended at %v", r.Query, r.At, k.HeldUntil)
			}
		}
		for _, j := range later {
			waitFor(t, "a recorded result", func() bool {
				es := executions(t, s, j)
				return len(es) == 1 && es[0].Status.Terminal()
			})
			if es := executions(t, s, j); len(es) != 1 || es[0].Attempt != 1 || es[0].Status != prikke.ExecutionStatusSuccess || delivered(sk, j) != 1 {
				t.Errorf("%s: %d rows (first %+v), delivered %d times; want one successful first attempt", j.URL, len(es), es[0], delivered(sk, j))
			}
		}
	})
}

// A rate-limited key's backlog is started at its slots (Period/Rate
// apart, never early), and waiting for each slot costs the dispatcher a
// claim or two, not a spin: the next due instant it sleeps to is the key's
// next slot less the lookahead.
func TestRateLimitedKeyNoSpin(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, st store.Store) {
		s := &countStore{Store: st}
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		ctx := context.Background()
		key := prikke.DefaultFlowKey(sk.URL("/"))
		if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: key, Rate: 1, Period: time.Second, Burst: 1, Configured: true}); err != nil {
			t.Fatal(err)
		}
		now := dbNow(t, s)
		var es []*prikke.Execution
		for i := range 4 {
			_, e := flowOnce(t, s, tn, sk.URL("/ok?n="+strconv.Itoa(i)), now)
			es = append(es, e)
		}
		_, m := flowWorker(t, s, []netip.AddrPort{sk.Addr()}, nil)
		waitFor(t, "four deliveries", func() bool {
			for _, e := range es {
				if !mustGet(t, s, e.ID).Status.Terminal() {
					return false
				}
			}
			return true
		})
		claims, looks := s.claims.Load(), s.nextDue.Load()
		t.Logf("%d claims (%d empty) and %d next-due looks for 4 starts a second apart", claims, s.emptyClaims.Load(), looks)
		// A claim per slot, one more per completion (its wake-up), and a look
		// at the next slot after each: about 10. Looking again every 100ms
		// while waiting for the slots makes over 30, a spin thousands.
		if claims > 20 || looks > 20 {
			t.Errorf("%d claims and %d next-due looks for 4 starts; the dispatcher does not sleep until the next slot", claims, looks)
		}
		var starts []time.Time
		throttled := 0
		for _, e := range es {
			got := mustGet(t, s, e.ID)
			if got.Status != prikke.ExecutionStatusSuccess || got.StartedAt == nil {
				t.Fatalf("execution = %+v", got)
			}
			if got.StartedAt.Before(got.DueAt) {
				t.Errorf("started at %v, before its slot %v", got.StartedAt, got.DueAt)
			}
			if got.ThrottledMS > 0 {
				throttled++
			}
			starts = append(starts, got.DueAt)
		}
		slices.SortFunc(starts, time.Time.Compare)
		for i := 1; i < len(starts); i++ {
			if gap := starts[i].Sub(starts[i-1]); gap < time.Second {
				t.Errorf("slots %d and %d are %v apart; want at least 1s at 1/s", i-1, i, gap)
			}
		}
		p := `{project_id="` + tn.Project.ID.String() + `"}`
		if n := metric(t, m, "prikke_flow_throttled_total"+p); int(n) != throttled || throttled < 3 {
			t.Errorf("prikke_flow_throttled_total = %v, %d executions throttled; want the same, at least the 3 after the first", n, throttled)
		}
	})
}

// A key with parallelism 2 never has more than two requests in flight
// (counted from the recorded start and finish of each attempt), uses both,
// and a completion frees the slot for the next claim (the store wakes the
// dispatcher), without the dispatcher polling a key that is full.
func TestParallelismKey(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, st store.Store) {
		s := &countStore{Store: st}
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		ctx := context.Background()
		key := prikke.DefaultFlowKey(sk.URL("/"))
		if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: key, Period: time.Second, Burst: 1, Parallelism: 2, Configured: true}); err != nil {
			t.Fatal(err)
		}
		now := dbNow(t, s)
		var es []*prikke.Execution
		for i := range 6 {
			_, e := flowOnce(t, s, tn, sk.URL("/slow?ms=300&n="+strconv.Itoa(i)), now)
			es = append(es, e)
		}
		flowWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.PollEvery = 5 * time.Second })
		waitFor(t, "six deliveries", func() bool {
			for _, e := range es {
				if !mustGet(t, s, e.ID).Status.Terminal() {
					return false
				}
			}
			return true
		})
		type edge struct {
			at    time.Time
			delta int
		}
		var edges []edge
		for _, e := range es {
			got := mustGet(t, s, e.ID)
			if got.Status != prikke.ExecutionStatusSuccess || got.StartedAt == nil || got.FinishedAt == nil {
				t.Fatalf("execution = %+v", got)
			}
			edges = append(edges, edge{*got.StartedAt, 1}, edge{*got.FinishedAt, -1})
		}
		slices.SortFunc(edges, func(a, b edge) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.delta - b.delta // a finish before a start at the same instant
		})
		in, most := 0, 0
		for _, e := range edges {
			in += e.delta
			most = max(most, in)
		}
		if most != 2 {
			t.Errorf("at most %d requests in flight; want 2 (the key's parallelism)", most)
		}
		claims := s.claims.Load()
		t.Logf("%d claims (%d empty), %d next-due looks", claims, s.emptyClaims.Load(), s.nextDue.Load())
		// One claim per freed slot, a few more: polling a full key would make
		// one every 100ms at least.
		if claims > 15 {
			t.Errorf("%d claims for six deliveries two at a time", claims)
		}
	})
}

// A key held for an hour keeps its execution waiting (nothing reaches the
// endpoint), and releasing the hold starts it at once: the release wakes
// the dispatcher, which otherwise sleeps until the end of the hold (here
// capped by a fallback poll of a minute, past the test's wait).
func TestReleasedHoldStartsAtOnce(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		ctx := context.Background()
		key := prikke.DefaultFlowKey(sk.URL("/"))
		if err := s.FlowKeyHold(ctx, tn.Project.ID, key, dbNow(t, s).Add(time.Hour), "503 Service Unavailable, Retry-After 1h"); err != nil {
			t.Fatal(err)
		}
		j, e := flowOnce(t, s, tn, sk.URL("/ok"), dbNow(t, s))
		_, m := flowWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.PollEvery = time.Minute })
		waitFor(t, "the dispatcher's first looks", func() bool { return metric(t, m, "prikke_claim_batch_size_count") >= 1 })
		time.Sleep(300 * time.Millisecond)
		if n := delivered(sk, j); n != 0 {
			t.Fatalf("delivered %d times during the hold", n)
		}
		if _, err := s.FlowKeyRelease(ctx, tn.Project.ID, key); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the delivery once the hold is released", func() bool { return mustGet(t, s, e.ID).Status.Terminal() })
		if got := mustGet(t, s, e.ID); got.Status != prikke.ExecutionStatusSuccess || got.ThrottledMS < 300 {
			t.Errorf("execution = %s, throttled %dms; want success, throttled for the hold (over 300ms)", got.Status, got.ThrottledMS)
		}
		p := `{project_id="` + tn.Project.ID.String() + `"}`
		if n := metric(t, m, "prikke_flow_throttled_total"+p); n != 1 {
			t.Errorf("prikke_flow_throttled_total = %v; want 1", n)
		}
	})
}
