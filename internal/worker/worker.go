// Package worker claims due executions and delivers them.
//
// One dispatcher per node claims executions in batches, in a short
// transaction that never spans an HTTP call. It claims a little ahead: an
// execution due within Lookahead is claimed early and started at its due
// instant by a local timer, so a burst of executions due at one instant
// starts on time instead of waiting for claims to catch up. With other
// nodes up it claims ahead only what it can start itself at that instant
// (free workers, each organization's free in-flight room), so that a burst
// spreads over the cluster's nodes; what is already due goes to whichever
// has room. Claimed
// executions wait in per-organization queues; delivery goroutines take
// them round robin over the organizations (a worker that finishes takes the
// next one itself; idle ones are handed work directly), and no organization
// may have more than OrgInFlight deliveries in flight on the node: one
// tenant's hanging endpoints cannot starve the others. The pool
// grows with the backlog up to a maximum and shrinks to a minimum as
// workers idle out. Results are written back in batches by a completer,
// fenced so that a rescued attempt's late result is dropped. The dispatcher
// sleeps until the next due instant (less the lookahead), and is woken at
// once by the store's work events (LISTEN/NOTIFY on PostgreSQL).
//
// On Stop the dispatcher stops claiming, executions not yet started are
// released back to pending, deliveries in flight finish until the drain
// deadline, and anything not finished by then is released too, for another
// node (or the next start) to deliver.
package worker

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
)

// Config tunes a worker pool.
type Config struct {
	Node        string
	MinWorkers  int
	MaxWorkers  int // most deliveries in flight on this node
	OrgInFlight int // most deliveries in flight per organization on this node
	// HostInFlight spreads a burst to one destination host: at most this
	// many requests to it at once, the rest waiting their turn, none
	// longer than 100ms (0: no limit).
	HostInFlight int
	LeaseGrace   time.Duration // added to the job timeout for the lease
	// DeadAfter is how old a node's heartbeat gets before the others take
	// its work over (0: 5s). On a shared store (PostgreSQL) the worker beats
	// every second (or fifth of it, if less), starts nothing while its own
	// beat is older than half of it, takes over dead nodes' work once its
	// own beat has gone unbroken for DeadAfter and, with live peers, marks
	// its requests sent.
	DeadAfter   time.Duration
	Drain       time.Duration // how long Stop lets deliveries finish
	Batch       int           // most executions per claim
	IdleTimeout time.Duration // a worker above the minimum exits after idling this long
	PollEvery   time.Duration // fallback poll when no event arrives
	// Lookahead is how early an execution may be claimed; it then starts at
	// its due instant (0: 500ms; negative: claim only what is due).
	Lookahead time.Duration
	// RetryDelay is the backoff before attempt+1 (nil: prikke.RetryDelay).
	RetryDelay func(attempt int, retryAfter time.Duration) time.Duration
}

// Worker is a node's delivery engine. Start and Stop are safe to call
// twice.
type Worker struct {
	store   store.Store
	client  *delivery.Client
	gate    *hostGate
	cfg     Config
	logger  *slog.Logger
	metrics *metrics.Metrics
	// OnQuota is told when an organization crosses 80% or 100% of its
	// quota (set before Start; may be nil).
	OnQuota func(store.QuotaCrossing)
	// NowFunc is the local clock (tests and clock-skew runs shift it).
	NowFunc func() time.Time

	results chan *store.Completion

	mu       sync.Mutex
	orgs     map[prikke.ID]*orgState // organizations with executions held
	rotation []prikke.ID             // organizations with executions ready, served round robin
	next     int                     // index in rotation of the next organization to serve
	timers   map[int64]*timed        // executions waiting for their due instant, by local due time
	held     int                     // executions held: timed, ready or in flight
	timed    int
	ready    int
	inFlight int // handed to a worker
	workers  int
	waiters  []chan handoff                   // idle workers, most recently idle last
	gen      uint64                           // liveness generation: bumped when this node's heartbeat resumes after a gap
	closed   bool                             // stopping: nothing more is held
	started  map[prikke.ID]context.CancelFunc // deliveries running, by execution

	wake      chan struct{} // wakes the dispatcher
	events    uint64        // work events the dispatcher has seen
	short     *shortClaim   // the last claim that came back short for want of room
	runCtx    context.Context
	cancel    context.CancelFunc
	stopClaim context.CancelFunc
	done      chan struct{}
	lifeMu    sync.Mutex
	workersWG sync.WaitGroup
	offset    atomic.Int64 // database clock minus local clock, nanoseconds

	statsMu  sync.Mutex
	attempts int
	noReply  int       // attempts that got no HTTP response at all
	lateness []float64 // recent start lateness, seconds (ring)
	lateNext int
	draining atomic.Bool // set by Stop: attempts not started are released

	shared   bool                 // the store is shared with other nodes (not SQLite)
	mono     func() time.Duration // monotonic time since New ran (tests step it)
	lastBeat atomic.Int64         // when the last successful heartbeat began, by mono (0: none yet)
	streak   atomic.Int64         // when the current unbroken run of heartbeats began, by mono (0: broken)
	tookOver atomic.Bool          // what an earlier process of this node's ID left running was taken over
	idWarned bool                 // claimNodeID said another process beats under this ID (beat goroutine only)
	// incarnation tells this process's worker heartbeat from another's
	// under the same node ID (written as its detail).
	incarnation string
	peers       atomic.Int32 // other nodes whose heartbeat is live
	sentMu      sync.Mutex
	sent        []prikke.ID // requests started, to mark sent
}

// New returns a stopped worker.
func New(s store.Store, client *delivery.Client, cfg Config, m *metrics.Metrics, logger *slog.Logger) *Worker {
	if cfg.MinWorkers <= 0 {
		cfg.MinWorkers = 1
	}
	if cfg.MaxWorkers < cfg.MinWorkers {
		cfg.MaxWorkers = cfg.MinWorkers
	}
	if cfg.OrgInFlight <= 0 || cfg.OrgInFlight > cfg.MaxWorkers {
		cfg.OrgInFlight = cfg.MaxWorkers
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 5 * time.Second
	}
	if cfg.LeaseGrace <= 0 {
		cfg.LeaseGrace = 30 * time.Second
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 5 * time.Second
	}
	switch {
	case cfg.Lookahead == 0:
		cfg.Lookahead = 500 * time.Millisecond
	case cfg.Lookahead < 0:
		cfg.Lookahead = 0
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = func(attempt int, retryAfter time.Duration) time.Duration {
			return prikke.RetryDelay(attempt, retryAfter, nil)
		}
	}
	epoch := time.Now()
	return &Worker{
		mono:        func() time.Duration { return time.Since(epoch) },
		incarnation: rand.Text(),
		store:       s, client: client, gate: newHostGate(cfg.HostInFlight, 100*time.Millisecond), cfg: cfg, metrics: m,
		logger:  logger.With("service", "worker"),
		NowFunc: time.Now,
		results: make(chan *store.Completion, 4*cfg.MaxWorkers),
		orgs:    map[prikke.ID]*orgState{},
		timers:  map[int64]*timed{},
		started: map[prikke.ID]context.CancelFunc{},
		wake:    make(chan struct{}, 1),
		shared:  s.Dialect() != "sqlite",
	}
}

// Start begins claiming and delivering.
func (w *Worker) Start(ctx context.Context) {
	w.lifeMu.Lock()
	defer w.lifeMu.Unlock()
	if w.cancel != nil {
		return
	}
	base := context.WithoutCancel(ctx)
	ctx, w.cancel = context.WithCancel(base)
	w.runCtx = ctx
	claimCtx, stopClaim := context.WithCancel(ctx)
	w.stopClaim = stopClaim
	w.done = make(chan struct{})
	var completer, sweeper, beater, marker sync.WaitGroup
	completer.Go(func() { w.complete(ctx) })
	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweeper.Go(func() { w.sweep(sweepCtx) })
	// The heartbeat goes on until the last result is written: a node
	// draining is alive, and its deliveries must not be taken over. The
	// sent marks go on until the last worker has exited.
	beatCtx, stopBeat := context.WithCancel(base)
	markCtx, stopMark := context.WithCancel(base)
	if w.shared {
		beater.Go(func() { w.beat(beatCtx) })
		beater.Go(func() { w.watchPeers(beatCtx) })
		marker.Go(func() { w.markLoop(markCtx) })
	}
	go func() {
		w.dispatch(claimCtx)
		stopSweep()
		sweeper.Wait()
		w.releaseHeld() // claimed but not started; workers finish their deliveries, then exit
		w.workersWG.Wait()
		stopMark()
		marker.Wait()
		close(w.results)
		completer.Wait()
		stopBeat()
		beater.Wait()
		close(w.done)
	}()
	w.mu.Lock()
	for range w.cfg.MinWorkers {
		w.spawnLocked()
	}
	w.mu.Unlock()
}

// Stop stops claiming, releases what was claimed but not started, lets
// deliveries in flight finish until the drain deadline, releases what is
// left and waits for results to be written.
func (w *Worker) Stop() {
	w.lifeMu.Lock()
	cancel, stopClaim, done := w.cancel, w.stopClaim, w.done
	w.lifeMu.Unlock()
	if cancel == nil {
		return
	}
	w.draining.Store(true)
	stopClaim()
	deadline := time.NewTimer(w.cfg.Drain)
	defer deadline.Stop()
	select {
	case <-done:
	case <-deadline.C:
		// Deliveries still running: cancel them; their attempts are
		// released to pending rather than recorded.
		w.mu.Lock()
		n := len(w.started)
		for _, c := range w.started {
			c()
		}
		w.mu.Unlock()
		w.logger.Warn("drain deadline reached; releasing deliveries in flight", "deliveries", n)
		<-done
	}
	cancel()
}
