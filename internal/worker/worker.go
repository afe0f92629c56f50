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
// node (or the next start) to deliver. Writing back is bounded too: what the
// database has not taken GiveBack after the drain deadline is left running,
// for the rescue path to hand out again, so Stop never hangs on a database
// that is down.
//
// An endpoint that answers 429 or 503 with Retry-After holds its flow key
// (flow.go): the hold is written by a loop of its own, and what this node
// holds of the key is given back rather than started during the hold.
//
// A workflow step's attempt (a hidden queue job, Job.Step) is delivered
// like any other, judged by the step's own expect and retry policies, with
// the project's secrets filled in just before sending and never recorded;
// an occurrence of a job that targets a workflow starts a run instead of
// making a request (step.go).
//
// The files: worker.go (Config, Worker, Start/Stop and the shutdown order),
// dispatch.go, fairqueue.go, sweep.go, pool.go, deliver.go, complete.go,
// heartbeat.go, marks.go, clock.go, hostgate.go, quota.go, flowhold.go,
// step.go (workflow steps and runs started by jobs) and stats.go.
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
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// Config tunes a worker pool.
type Config struct {
	Node string
	// Trace and RecordBody are delivery.Request's: where each attempt's
	// time went, and the request body sent, kept on the execution.
	Trace       bool
	RecordBody  bool
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
	DeadAfter time.Duration
	Drain     time.Duration // how long Stop lets deliveries finish
	// GiveBack is how long after the drain deadline Stop still tries to
	// write back results and releases before leaving them to the rescue
	// path (0: 5s).
	GiveBack    time.Duration
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
	missed missedSlots // executions given back here for a missed flow slot
	// secretCache keeps projects' secrets briefly, for steps (step.go).
	secretCache secretCache
	// zones caches the time zones of templated jobs (request.go).
	zones   zones
	store   store.Store
	client  *delivery.Client
	gate    *hostGate
	cfg     Config
	logger  *slog.Logger
	metrics *metrics.Metrics
	// OnQuota is told when an organization crosses 80% or 100% of its
	// quota (set before Start; may be nil). It runs on a loop of its own,
	// never on the dispatcher's (see quota.go), and must return once ctx
	// ends.
	OnQuota func(ctx context.Context, q store.QuotaCrossing)
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

	wake      chan struct{}   // wakes the dispatcher
	events    uint64          // work events the dispatcher has seen
	short     *shortClaim     // the last claim that came back short for want of room
	runCtx    context.Context // the workers' (set by run, under mu)
	loop      startstop.Loop  // run
	workersWG sync.WaitGroup
	// writes bounds writing back (results, releases, sent marks): it ends
	// GiveBack after Stop's drain deadline (see run).
	writes     context.Context
	stopWrites context.CancelFunc
	quotas     quotaQueue     // quota crossings waiting for OnQuota
	quotaLoop  startstop.Loop // sendQuotas
	holds      holdQueue      // flow key holds waiting to be written (flowhold.go)
	holdLoop   startstop.Loop // writeHolds
	offset     atomic.Int64   // database clock minus local clock, nanoseconds

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
	if cfg.GiveBack <= 0 {
		cfg.GiveBack = 5 * time.Second
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
	// mono is the liveness clock: real elapsed time, never NowFunc, which
	// clock-skew runs shift (a node's own heartbeat age must not jump).
	epoch := time.Now()
	writes, stopWrites := context.WithCancel(context.Background())
	return &Worker{
		writes: writes, stopWrites: stopWrites,
		quotas:      quotaQueue{pending: map[quotaKey]store.QuotaCrossing{}, ready: make(chan struct{}, 1)},
		holds:       newHoldQueue(),
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
func (w *Worker) Start(ctx context.Context) { w.loop.Start(ctx, w.run) }

// Load reports the executions this node is delivering now and its worker
// limit (MaxWorkers), for the node heartbeat.
func (w *Worker) Load() (inFlight, workers int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inFlight, w.cfg.MaxWorkers
}

// Stop stops claiming, releases what was claimed but not started, lets
// deliveries in flight finish until the drain deadline (Drain after Stop),
// releases what is left and waits for results to be written. What is not
// written back GiveBack after the drain deadline (the database is down) is
// left to the rescue path: see run.
func (w *Worker) Stop() {
	if w.loop.Done() != nil {
		// Before the loop's context ends: from here on no worker starts
		// a request (see deliver), whichever goroutine notices Stop first.
		w.draining.Store(true)
	}
	w.loop.Stop()
}

// run starts the worker's goroutines and, once Stop ends ctx, shuts them
// down in order: the dispatcher stops claiming; the sweeper stops; what is
// held but not started is released; the workers finish their deliveries
// and exit; the last sent marks are written; the completer writes the last
// results; the quota hand-off sends what is pending (until the drain
// deadline at most: a hook still mailing then is cancelled), and so do
// the flow key holds (flowhold.go); the heartbeat stops last (a draining
// node is alive, and its deliveries must not be taken over). Deliveries
// still running at the drain deadline are cancelled and released.
//
// Writing back (results, releases, sent marks) is bounded: GiveBack after
// the drain deadline, w.writes ends, the completer stops retrying and the
// rest of the shutdown fails fast. Whatever was not written stays running
// under this node's lease in the database, as if the node had died. On
// PostgreSQL its peers take it over once its heartbeat (stopped last) goes
// stale, and a process restarted under the same node ID takes it over at
// its first beat: requests marked sent come back as lost attempts and are
// delivered again, the others go back to pending as they were. Otherwise
// (SQLite, or no node left to take over) the leader's rescue settles it
// once its lease runs out, and a SQLite server rescues every lease when it
// starts: each comes back as a lost attempt, delivered again. Nothing is
// marked delivered that was not written, and a late write is fenced off.
func (w *Worker) run(ctx context.Context) {
	base := context.WithoutCancel(ctx)
	runCtx, cancelRun := context.WithCancel(base)
	defer cancelRun()
	w.mu.Lock()
	w.runCtx = runCtx
	// The minimum workers first: the shutdown below waits for the pool,
	// and a Stop right after Start must not overtake their spawning.
	for range w.cfg.MinWorkers {
		w.spawnLocked()
	}
	w.mu.Unlock()
	var completer, sweeper, beater, marker sync.WaitGroup
	completer.Go(w.complete)
	sweepCtx, stopSweep := context.WithCancel(runCtx)
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
	w.quotaLoop.Start(base, w.sendQuotas)
	w.holdLoop.Start(base, w.writeHolds)
	drained := make(chan struct{}) // closed at the drain deadline
	done := make(chan struct{})
	go func() {
		w.dispatch(ctx)
		w.quotas.close() // nothing more to hand off: the loop sends what is pending and ends
		stopSweep()
		sweeper.Wait()
		w.releaseHeld() // claimed but not started; workers finish their deliveries, then exit
		w.workersWG.Wait()
		w.holds.close() // no delivery left to ask for a hold: the loop writes what is pending and ends
		stopMark()
		marker.Wait()
		close(w.results)
		completer.Wait()
		select {
		case <-w.quotaLoop.Done():
		case <-drained: // a hook still mailing is cancelled
		}
		w.quotaLoop.Stop()
		select {
		case <-w.holdLoop.Done():
		case <-drained: // a hold still being written is dropped
		}
		w.holdLoop.Stop()
		stopBeat()
		beater.Wait()
		close(done)
	}()
	<-ctx.Done()
	drain := time.NewTimer(w.cfg.Drain)
	defer drain.Stop()
	select {
	case <-done:
		return
	case <-drain.C:
	}
	close(drained)
	// Deliveries still running: cancel them; their attempts are released
	// to pending rather than recorded.
	w.mu.Lock()
	n := len(w.started)
	for _, c := range w.started {
		c()
	}
	w.mu.Unlock()
	w.logger.Warn("drain deadline reached; releasing deliveries in flight", "deliveries", n)
	giveBack := time.NewTimer(w.cfg.GiveBack)
	defer giveBack.Stop()
	select {
	case <-done:
		return
	case <-giveBack.C:
	}
	w.logger.Error("results and releases not written back by the drain deadline; leaving them to the rescue path")
	w.stopWrites()
	<-done
}
