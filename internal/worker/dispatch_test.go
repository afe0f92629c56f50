package worker_test

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// These tests drive a worker alone (no scheduler) against executions
// written by hand, and count what it asks of the store.

// countStore counts the dispatcher's calls.
type countStore struct {
	store.Store
	claims, emptyClaims, nextDue atomic.Int64
}

func (c *countStore) ExecutionClaim(ctx context.Context, p *store.ClaimParams) (*store.ClaimResult, error) {
	c.claims.Add(1)
	r, err := c.Store.ExecutionClaim(ctx, p)
	if err == nil && len(r.Claimed) == 0 {
		c.emptyClaims.Add(1)
	}
	return r, err
}

func (c *countStore) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	c.nextDue.Add(1)
	return c.Store.ExecutionNextDue(ctx)
}

func startWorker(t *testing.T, s store.Store, allow []netip.AddrPort, edit func(*worker.Config), now func() time.Time) *worker.Worker {
	t.Helper()
	cfg := worker.Config{Node: "n1", MinWorkers: 2, MaxWorkers: 64, OrgInFlight: 64, Drain: 2 * time.Second, PollEvery: time.Second}
	if edit != nil {
		edit(&cfg)
	}
	w := newWorker(t, s, allow, cfg)
	if now != nil {
		w.NowFunc = now
	}
	w.Start(context.Background())
	return w
}

// onceAt writes a one-time job and its pending execution due at at.
func onceAt(t *testing.T, s store.Store, tn *storetest.Tenant, url string, timeoutMS int, at time.Time) *prikke.Job {
	t.Helper()
	j := storetest.NewJob(t, s, tn, func(j *prikke.Job) {
		storetest.Once(at)(j)
		j.NextRunAt, j.URL, j.TimeoutMS, j.RetryAttempts = nil, url, timeoutMS, 0
	})
	storetest.NewExecution(t, s, j, prikke.TierPro, at)
	return j
}

func delivered(sk *sink.Sink, j *prikke.Job) int {
	n := 0
	for _, r := range sk.Requests() {
		if r.JobID == j.ID.String() {
			n++
		}
	}
	return n
}

// A node whose clock runs behind or ahead of the database's still waits
// quietly for what is due later, and delivers it when it is due.
func TestClockSkewedDispatcher(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{-2 * time.Minute, 2 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			t.Parallel()
			s := &countStore{Store: storetest.OpenPostgres(t)}
			tn := storetest.NewTenant(t, s, prikke.TierPro)
			sk := sink.New(tn.Project.SigningSecret)
			t.Cleanup(sk.Close)
			startWorker(t, s, []netip.AddrPort{sk.Addr()}, nil, func() time.Time { return time.Now().Add(skew) })
			time.Sleep(500 * time.Millisecond) // the first look found nothing
			due := dbNow(t, s).Add(2 * time.Second)
			j := onceAt(t, s, tn, sk.URL("/ok"), 5000, due)
			if err := s.Publish(context.Background(), store.TopicWork, due.Format(time.RFC3339Nano)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			defer cancel()
			if err := sk.WaitCount(ctx, 1); err != nil {
				t.Fatalf("not delivered within 6s of its due instant: claims %d", s.claims.Load())
			}
			if r := sk.Requests()[0]; r.JobID != j.ID.String() || r.At.Before(due.Add(-5*time.Millisecond)) {
				t.Errorf("request %+v; due %v", r, due)
			}
			// Waiting 2s for it took a handful of looks, not a spin.
			if n := s.claims.Load() + s.nextDue.Load(); n > 40 {
				t.Errorf("%d claims and next-due queries in about 2.5s; the dispatcher spins", n)
			}
		})
	}
}

// Two organizations whose endpoints hang fill their in-flight caps; a
// third organization's execution is still claimed and gets the first
// worker that frees up, rather than waiting behind their backlogs.
func TestStuckOrganizationsDoNotHoard(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	a := storetest.NewTenant(t, s, prikke.TierPro)
	b := storetest.NewTenant(t, s, prikke.TierPro)
	q := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(a.Project.SigningSecret, b.Project.SigningSecret, q.Project.SigningSecret)
	t.Cleanup(sk.Close)
	due := dbNow(t, s)
	for _, tn := range []*storetest.Tenant{a, b} {
		for range 60 {
			onceAt(t, s, tn, sk.URL("/hang"), 3000, due)
		}
	}
	startWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.MaxWorkers, c.OrgInFlight, c.Batch = 8, 4, 8 }, nil)
	time.Sleep(1500 * time.Millisecond) // every worker hangs; a backlog waits
	quiet := onceAt(t, s, q, sk.URL("/ok?quiet"), 3000, dbNow(t, s))
	waitFor(t, "the third organization's delivery", func() bool { return delivered(sk, quiet) > 0 })
	// Counted, not timed: the 8 workers hang until the first requests time
	// out, then take the next ready rows round robin. The third
	// organization's row must be among those of the second wave, not behind
	// the two backlogs.
	for i, r := range sk.Requests() {
		if r.JobID == quiet.ID.String() {
			t.Logf("the third organization's request was number %d", i+1)
			if i >= 16 {
				t.Errorf("the third organization's request was number %d; want it in the second wave (within the first 16)", i+1)
			}
		}
	}
}

// An execution waiting behind its organization's hanging deliveries is
// given back before its lease could run out, not rescued as if this node
// had died; it is then delivered once, on its first attempt.
func TestWaitingRowsKeepTheirLease(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(tn.Project.SigningSecret)
	t.Cleanup(sk.Close)
	due := dbNow(t, s).Add(300 * time.Millisecond)
	onceAt(t, s, tn, sk.URL("/hang"), 1900, due)
	onceAt(t, s, tn, sk.URL("/hang"), 1900, due)
	onceAt(t, s, tn, sk.URL("/hang"), 6000, due.Add(time.Millisecond))
	onceAt(t, s, tn, sk.URL("/hang"), 6000, due.Add(time.Millisecond))
	x := onceAt(t, s, tn, sk.URL("/ok?x"), 1000, due.Add(2*time.Millisecond))
	startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, func(c *worker.Config) {
		c.MaxWorkers, c.OrgInFlight, c.LeaseGrace = 4, 2, 4*time.Second
	})
	waitFor(t, "x delivered", func() bool {
		es := executions(t, s, x)
		return len(es) > 0 && es[0].Status.Terminal()
	})
	es := executions(t, s, x)
	if len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess || es[0].Rescued || delivered(sk, x) != 1 {
		for _, e := range es {
			t.Logf("attempt %d: %s rescued=%v error=%q", e.Attempt, e.Status, e.Rescued, e.Error)
		}
		t.Errorf("x: %d attempts, delivered %d times; want one successful first attempt", len(es), delivered(sk, x))
	}
}

// An organization with a large backlog and a fast endpoint is claimed in
// worthwhile batches, not once per finished delivery.
func TestNoClaimPerDelivery(t *testing.T) {
	t.Parallel()
	s := &countStore{Store: storetest.OpenPostgres(t)}
	a := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(a.Project.SigningSecret)
	t.Cleanup(sk.Close)
	due := dbNow(t, s)
	for range 400 {
		onceAt(t, s, a, sk.URL("/slow?ms=20"), 5000, due)
	}
	startWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.MaxWorkers, c.OrgInFlight, c.Batch = 8, 4, 40 }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 400); err != nil {
		t.Fatal(err)
	}
	// 400 rows in batches of up to 40, each worth at least 10: about 10
	// to 40 claims, plus a few empty looks.
	if n := s.claims.Load(); n > 80 {
		t.Errorf("%d claims (%d empty) for 400 deliveries", n, s.emptyClaims.Load())
	}
}

// A burst due at one instant spreads over the nodes that are up: with live
// peers a node holds no more than it can start (holdMax and orgHoldMax:
// here its organization's in-flight cap of 4), so three nodes start 12
// hanging requests together. (Alone, a node holds four batches more.) Were
// the first node to wake to claim the whole burst, it could start only 4
// and the rest would wait behind them (the requests hang for 20s), so the
// sink would never see 12 at once.
func TestBurstSpreadsOverNodes(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(tn.Project.SigningSecret)
	t.Cleanup(sk.Close)
	var ws []*worker.Worker
	for _, node := range []string{"n1", "n2", "n3"} {
		ws = append(ws, startWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) {
			c.Node, c.MaxWorkers, c.OrgInFlight, c.Lookahead = node, 16, 4, 3*time.Second
		}, nil))
	}
	waitFor(t, "each node to see the other two", func() bool {
		return ws[0].Peers() == 2 && ws[1].Peers() == 2 && ws[2].Peers() == 2
	})
	due := dbNow(t, s).Add(4 * time.Second)
	var jobs []*prikke.Job
	for range 12 {
		jobs = append(jobs, onceAt(t, s, tn, sk.URL("/hang"), 20000, due))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 12); err != nil {
		t.Fatalf("%d of 12 requests started: %v", sk.Count(), err)
	}
	byNode := map[string]int{}
	for _, j := range jobs {
		for _, e := range executions(t, s, j) {
			byNode[e.ClaimedBy]++
		}
	}
	if byNode["n1"] != 4 || byNode["n2"] != 4 || byNode["n3"] != 4 {
		t.Errorf("claims by node = %v; want 4 each", byNode)
	}
}

// A node that is alive but slow keeps its work: its heartbeat goes on
// while its requests take longer than the time after which a silent node
// is judged dead, so another node's rescuer leaves its executions alone and
// each is delivered once, on its first attempt.
func TestSlowNodeKeepsItsWork(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgres(t)
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	sk := sink.New(tn.Project.SigningSecret)
	t.Cleanup(sk.Close)
	due := dbNow(t, s).Add(500 * time.Millisecond)
	var jobs []*prikke.Job
	for range 10 {
		jobs = append(jobs, onceAt(t, s, tn, sk.URL("/slow?ms=4500"), 10000, due))
	}
	startWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.Node, c.DeadAfter = "slow", 2*time.Second }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 10); err != nil {
		t.Fatal(err)
	}
	// The other node starts once the slow one's requests are in flight,
	// and takes over the work of dead nodes every 400ms.
	startWorker(t, s, []netip.AddrPort{sk.Addr()}, func(c *worker.Config) { c.Node, c.DeadAfter = "rescuer", 2*time.Second }, nil)
	waitFor(t, "every delivery", func() bool {
		for _, j := range jobs {
			if es := executions(t, s, j); len(es) != 1 || es[0].Status != prikke.ExecutionStatusSuccess {
				return false
			}
		}
		return true
	})
	for id, n := range sk.ByWebhookID() {
		if n != 1 {
			t.Errorf("occurrence %s delivered %d times; the slow node's work was taken over", id, n)
		}
	}
	for _, j := range jobs {
		if es := executions(t, s, j); es[0].ClaimedBy != "slow" || es[0].Attempt != 1 {
			t.Errorf("execution = %+v; want the slow node's first attempt", es[0])
		}
	}
}
