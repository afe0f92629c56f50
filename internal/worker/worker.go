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
	"errors"
	"log/slog"
	"slices"
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

// orgState is what a node holds of one organization.
type orgState struct {
	ready    []*store.Claimed // due, waiting for a worker, oldest first
	timed    int              // claimed ahead, waiting for their instant
	inFlight int
	held     int
	// slow is set when rows of the organization waited so long that they
	// were given back, and cleared when it has nothing waiting: until then
	// it holds no more waiting than it can have in flight.
	slow bool
}

// shortClaim is a claim that came back short while organizations without
// room were left out: everything else due within the lookahead was theirs.
// Another claim leaving out the same organizations (or more) would only walk
// their rows again — in the database, past every one of them — so it waits
// for a work event (new rows, perhaps another organization's) or for the
// short claim to age. It ages in the lookahead or shortClaimFor, whichever
// is shorter: what falls due meanwhile was within the short claim's
// horizon, so nothing waits for it longer than it would have.
type shortClaim struct {
	excluded map[prikke.ID]bool
	events   uint64 // work events seen when it was made
	at       time.Time
}

// shortClaimFor is how long a short claim stands in for later ones at most.
const shortClaimFor = 250 * time.Millisecond

// covers reports whether a claim leaving out excluded would find nothing
// that the short claim did not.
func (sc *shortClaim) covers(excluded map[prikke.ID]bool, events uint64, now time.Time, ttl time.Duration) bool {
	if sc == nil || sc.events != events || now.Sub(sc.at) >= ttl {
		return false
	}
	for org := range sc.excluded {
		if !excluded[org] {
			return false
		}
	}
	return true
}

// timed are executions claimed ahead, started together at one instant.
type timed struct {
	timer *time.Timer
	items []*store.Claimed
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

// Stats reports deliveries in flight and worker goroutines.
func (w *Worker) Stats() (inFlight, workers int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inFlight, w.workers
}

// clockOffset is the database clock minus the local clock.
func (w *Worker) clockOffset() time.Duration { return time.Duration(w.offset.Load()) }

// dbNow estimates the database clock.
func (w *Worker) dbNow() time.Time { return w.NowFunc().Add(w.clockOffset()) }

// syncClock measures the offset between the database clock and ours.
// The database read its clock at some instant between our reads before
// and after the query, so the offset lies between db-after and
// db-before. It keeps db-after, the smallest, from the quickest of a few
// round trips: a delivery may then start up to that round trip after its
// due instant but never before it, even when a busy machine delays the
// answer (the midpoint, assumed before, started requests 11ms early under
// load).
func (w *Worker) syncClock(ctx context.Context) {
	best, found := time.Duration(0), false
	var offset time.Duration
	for range 5 {
		before := w.NowFunc()
		db, err := w.store.Now(ctx)
		if err != nil {
			return
		}
		after := w.NowFunc()
		if rtt := after.Sub(before); !found || rtt < best {
			best, found, offset = rtt, true, db.Sub(after)
		}
	}
	w.offset.Store(int64(offset))
}

// dispatch claims work while there is room, and sleeps until the next
// due instant less the lookahead, a work event, freed room, or the
// fallback poll.
func (w *Worker) dispatch(ctx context.Context) {
	sub := w.store.Subscribe(store.TopicWork)
	defer sub.Close()
	w.syncClock(ctx)
	lastSync := time.Now()
	var nextDue time.Time // local time of the earliest known due execution
	for ctx.Err() == nil {
		if !w.alive() {
			// No heartbeat yet (or none lately): claim nothing another
			// node could judge dead.
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		if time.Since(lastSync) > 30*time.Second {
			w.syncClock(ctx)
			lastSync = time.Now()
		}
		claimed, full, capped, err := w.claim(ctx)
		if err != nil && ctx.Err() == nil {
			w.logger.Warn("claim failed; retrying", "error", err)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		if full && w.room() >= w.minClaim() {
			continue // more is due; claim again at once
		}
		var wait time.Duration
		switch {
		case full || (claimed > 0 && w.room() < w.minClaim()):
			wait = w.cfg.PollEvery // woken as deliveries finish and free room
		default:
			due, ok, err := w.store.ExecutionNextDue(ctx)
			switch {
			case err != nil:
				wait = time.Second
			case !ok:
				wait = w.cfg.PollEvery
				nextDue = time.Time{}
			default:
				nextDue = due.Add(-w.clockOffset())
				wait = nextDue.Sub(w.NowFunc()) - w.cfg.Lookahead
				if wait <= 0 {
					switch {
					case w.room() == 0:
						wait = w.cfg.PollEvery
					case nextDue.After(w.NowFunc()) && w.aheadFull():
						// Not claimed ahead for want of room to start it on
						// time: claimed when due, by whichever node has room
						// (or sooner here, when room frees).
						wait = nextDue.Sub(w.NowFunc())
					case capped:
						// Likely an organization without room: woken when
						// it has some again, and look again soon regardless.
						wait = 250 * time.Millisecond
					default:
						// Due by our estimate but not by the database's: the
						// clocks disagree by a hair. Resync and look again soon.
						w.syncClock(ctx)
						wait = time.Millisecond
					}
				}
			}
			wait = min(wait, w.cfg.PollEvery)
		}
		if !w.sleepUntilWoken(ctx, sub, wait, &nextDue) {
			return
		}
	}
}

// sleepUntilWoken waits for the timer, a work event announcing something
// due sooner, or freed room. It returns false when ctx ends. An event only
// ever brings the wake-up forward, and never past the fallback poll; one
// for something already within the lookahead waits a moment (at most
// 100ms, and never past its due instant) so that rows inserted one by one
// join one claim.
func (w *Worker) sleepUntilWoken(ctx context.Context, sub *store.Subscription, wait time.Duration, nextDue *time.Time) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	wakeAt := w.NowFunc().Add(wait)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-w.wake:
			return true
		case ev := <-sub.C:
			w.events++
			due, err := time.Parse(time.RFC3339Nano, ev.Payload)
			if err != nil {
				return true // unknown or empty: look at the database
			}
			local := due.Add(-w.clockOffset())
			if !nextDue.IsZero() && !local.Before(*nextDue) {
				continue // nothing sooner than what we wait for
			}
			*nextDue = local
			now := w.NowFunc()
			until := local.Sub(now)
			if until <= 0 {
				return true
			}
			d := until - w.cfg.Lookahead
			if d <= 0 {
				d = min(max(until-10*time.Millisecond, 0), 100*time.Millisecond)
			}
			if at := now.Add(d); at.Before(wakeAt) {
				wakeAt = at
				timer.Reset(d)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// holdMax is how many executions a node holds at most: one delivery per
// worker, plus a few batches claimed ahead or waiting for a worker, so the
// next claim can be large and run while earlier ones are delivered.
// (Claims cost about the same whatever their size, so many small ones
// would waste the database.)
//
// A node with live peers holds no more than it can start: what it cannot
// start at once is left in the queue for whichever node frees a worker
// first (a burst taken over from a dead node, or claimed when due,
// spreads over the cluster instead of waiting behind one node's workers).
func (w *Worker) holdMax() int {
	if w.peers.Load() > 0 {
		return w.cfg.MaxWorkers
	}
	return w.cfg.MaxWorkers + 4*w.cfg.Batch
}

// orgHoldMax is how many executions of one organization a node holds at
// most: its in-flight cap and four batches, so a burst of a few thousand
// due at one instant is claimed before it. (An organization that cannot
// start what it holds stops claiming much earlier: see orgRoomLocked.)
// With live peers it is the in-flight cap alone, so the cap is per node and
// not, in effect, the organization's cap for the whole cluster.
func (w *Worker) orgHoldMax() int {
	if w.peers.Load() > 0 {
		return w.cfg.OrgInFlight
	}
	return w.cfg.OrgInFlight + 4*w.cfg.Batch
}

// orgRoomLocked is how many more executions of an organization this node
// may claim. One with a full in-flight cap's worth of rows waiting for a
// worker takes no more until they start: hoarding would starve the other
// organizations (claims go to the most overdue rows first) and let leases
// run out while rows wait. One holding nearly its share waits for a
// worthwhile claim rather than one per finished delivery.
func (w *Worker) orgRoomLocked(st *orgState) int {
	if len(st.ready) >= w.cfg.OrgInFlight {
		return 0
	}
	r := w.orgHoldMax() - st.held
	if st.slow {
		r = min(r, w.cfg.OrgInFlight-len(st.ready)-st.timed)
	}
	if r >= min(w.minClaim(), max(1, w.cfg.OrgInFlight/4)) {
		return r
	}
	return 0
}

// aheadFull reports whether some organization (or the node) has no room
// to claim ahead: what is left within the lookahead waits for its instant.
func (w *Worker) aheadFull() bool {
	if w.peers.Load() == 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held >= w.cfg.MaxWorkers {
		return true
	}
	for _, st := range w.orgs {
		if st.held >= w.cfg.OrgInFlight {
			return true
		}
	}
	return false
}

// wakeDispatcher wakes the dispatcher if it sleeps.
func (w *Worker) wakeDispatcher() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// minClaim is the smallest claim worth making while executions are held:
// below it the dispatcher waits for more room to free.
// With live peers, holding only what it can start, a node claims as an
// eighth of its workers free up.
func (w *Worker) minClaim() int {
	if w.peers.Load() > 0 {
		return max(1, min(w.cfg.Batch/4, w.cfg.MaxWorkers/8))
	}
	return max(1, w.cfg.Batch/4)
}

// room is how many more executions this node may take on.
func (w *Worker) room() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holdMax() - w.held
}

// claim claims one batch and holds it for delivery. full reports whether
// the claim was capped by the batch size or room (more may be due); capped
// whether some organization had no room left.
func (w *Worker) claim(ctx context.Context) (got int, full, capped bool, err error) {
	w.mu.Lock()
	room := w.holdMax() - w.held
	busy := w.held > 0
	orgRoom := make(map[prikke.ID]int, len(w.orgs))
	excluded := map[prikke.ID]bool{}
	for org, st := range w.orgs {
		orgRoom[org] = w.orgRoomLocked(st)
		if orgRoom[org] == 0 {
			excluded[org] = true
		}
	}
	capped = len(excluded) > 0
	w.mu.Unlock()
	if room <= 0 || (busy && room < w.minClaim()) {
		return 0, true, capped, nil
	}
	if w.short.covers(excluded, w.events, time.Now(), min(shortClaimFor, w.cfg.Lookahead)) {
		return 0, false, capped, nil
	}
	limit := min(room, w.cfg.Batch)
	gen := w.generation()
	start := time.Now()
	res, err := w.store.ExecutionClaim(ctx, &store.ClaimParams{
		Node: w.cfg.Node, Limit: limit, OrgRoom: orgRoom, DefaultOrgRoom: w.orgHoldMax(),
		LeaseGrace: w.cfg.LeaseGrace, Lookahead: w.cfg.Lookahead,
	})
	if err != nil {
		return 0, false, capped, err
	}
	got = len(res.Claimed)
	if got > 0 {
		w.logger.Debug("claimed", "executions", got, "settled", res.Settled, "limit", limit,
			"duration_ms", time.Since(start).Milliseconds())
	}
	if res.Settled > 0 {
		w.metrics.Settled.Add(float64(res.Settled))
	}
	for _, q := range res.QuotaCrossings {
		if w.OnQuota != nil {
			w.OnQuota(q)
		}
	}
	w.metrics.ClaimBatch.Observe(float64(got))
	if capped && got+res.Settled < limit {
		w.short = &shortClaim{excluded: excluded, events: w.events, at: time.Now()}
	}
	if got > 0 && (w.generation() != gen || !w.alive()) {
		// Claimed across a heartbeat gap: other nodes may take these over.
		w.mu.Lock()
		for _, c := range res.Claimed {
			st := w.orgs[c.Execution.OrganizationID]
			if st == nil {
				st = &orgState{}
				w.orgs[c.Execution.OrganizationID] = st
			}
			st.held++
			w.held++
		}
		w.mu.Unlock()
		w.releaseMany(res.Claimed)
		return 0, false, capped, nil
	}
	if got > 0 {
		w.hold(res.Claimed)
	}
	return got, got+res.Settled >= limit, capped, nil
}

// hold takes claimed executions on: those due start as soon as a worker is
// free, the others when their instant comes.
func (w *Worker) hold(cs []*store.Claimed) {
	now := w.NowFunc()
	offset := w.clockOffset()
	w.mu.Lock()
	for _, c := range cs {
		org := c.Execution.OrganizationID
		st := w.orgs[org]
		if st == nil {
			st = &orgState{}
			w.orgs[org] = st
		}
		st.held++
		w.held++
		at := c.Execution.DueAt.Add(-offset)
		d := at.Sub(now)
		if d <= 0 {
			w.readyLocked(org, st, c)
			continue
		}
		key := at.UnixNano()
		tm := w.timers[key]
		if tm == nil {
			tm = &timed{timer: time.AfterFunc(d, func() { w.fire(key) })}
			w.timers[key] = tm
		}
		tm.items = append(tm.items, c)
		st.timed++
		w.timed++
	}
	wake := w.handOutLocked()
	w.growLocked()
	w.mu.Unlock()
	if wake {
		w.wakeDispatcher()
	}
}

// fire makes the executions due at one instant ready.
func (w *Worker) fire(key int64) {
	w.mu.Lock()
	tm := w.timers[key]
	if tm == nil { // released by Stop
		w.mu.Unlock()
		return
	}
	delete(w.timers, key)
	for _, c := range tm.items {
		org := c.Execution.OrganizationID
		st := w.orgs[org]
		st.timed--
		w.readyLocked(org, st, c)
	}
	w.timed -= len(tm.items)
	wake := w.handOutLocked()
	w.growLocked()
	w.mu.Unlock()
	if wake {
		w.wakeDispatcher()
	}
}

func (w *Worker) readyLocked(org prikke.ID, st *orgState, c *store.Claimed) {
	if len(st.ready) == 0 {
		w.rotation = append(w.rotation, org)
	}
	st.ready = append(st.ready, c)
	w.ready++
}

// handOutLocked gives ready executions to idle workers, most recently
// idle first (its stack and caches are warm). wake reports that an
// organization may be claimed for again.
func (w *Worker) handOutLocked() (wake bool) {
	for len(w.waiters) > 0 {
		c, wk := w.takeLocked()
		if c == nil {
			break
		}
		wake = wake || wk
		last := len(w.waiters) - 1
		w.waiters[last] <- handoff{c, w.gen} // buffered, and this worker waits for nothing else
		w.waiters[last] = nil
		w.waiters = w.waiters[:last]
	}
	return wake
}

// takeLocked takes the next ready execution of the next organization in
// the rotation that is below its cap, counting it in flight. wake reports
// that the organization may be claimed for again.
func (w *Worker) takeLocked() (c *store.Claimed, wake bool) {
	for n := len(w.rotation); n > 0; n-- {
		if w.next >= len(w.rotation) {
			w.next = 0
		}
		org := w.rotation[w.next]
		st := w.orgs[org]
		if st.inFlight >= w.cfg.OrgInFlight {
			w.next++
			continue
		}
		before := w.orgRoomLocked(st)
		c := st.ready[0]
		st.ready[0] = nil
		st.ready = st.ready[1:]
		if len(st.ready) == 0 {
			st.ready, st.slow = nil, false
			w.rotation = slices.Delete(w.rotation, w.next, w.next+1)
		} else {
			w.next++
		}
		st.inFlight++
		w.inFlight++
		w.ready--
		w.metrics.InFlight.Set(float64(w.inFlight))
		return c, before == 0 && w.orgRoomLocked(st) > 0
	}
	return nil, false
}

// releaseHeld gives back every execution held but not handed to a worker.
func (w *Worker) releaseHeld() {
	w.mu.Lock()
	w.closed = true
	var out []*store.Claimed
	for key, tm := range w.timers {
		tm.timer.Stop()
		out = append(out, tm.items...)
		delete(w.timers, key)
	}
	for _, st := range w.orgs {
		out = append(out, st.ready...)
		st.ready, st.timed = nil, 0
	}
	w.rotation, w.timed, w.ready = nil, 0, 0
	for _, ch := range w.waiters {
		ch <- handoff{} // nothing more: exit
	}
	w.waiters = nil
	w.mu.Unlock()
	if len(out) > 0 {
		w.releaseMany(out)
		w.logger.Info("released executions claimed but not started", "executions", len(out))
	}
}

// sweep gives back, every second, ready executions that waited so long
// for a worker that their lease could run out before they finish: a
// healthy node's rows must not be rescued as if it had died.
func (w *Worker) sweep(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if stale := w.takeStale(); len(stale) > 0 {
			w.releaseMany(stale)
			w.logger.Info("released executions that waited too long for a worker", "executions", len(stale))
		}
	}
}

// takeStale removes the ready executions that waited longer than half
// the lease grace.
func (w *Worker) takeStale() []*store.Claimed {
	now := w.dbNow()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*store.Claimed
	for org, st := range w.orgs {
		if len(st.ready) == 0 {
			continue
		}
		keep := st.ready[:0]
		for _, c := range st.ready {
			if w.stale(c.Execution, now) {
				out = append(out, c)
			} else {
				keep = append(keep, c)
			}
		}
		clear(st.ready[len(keep):])
		if len(keep) < len(st.ready) {
			st.slow = true
		}
		w.ready -= len(st.ready) - len(keep)
		st.ready = keep
		if len(keep) == 0 {
			st.ready = nil
			if i := slices.Index(w.rotation, org); i >= 0 {
				w.rotation = slices.Delete(w.rotation, i, i+1)
				if i < w.next {
					w.next--
				}
			}
		}
	}
	return out
}

// stale reports whether an execution waited so long since its claim (or
// its due instant, if claimed ahead) that its lease may run out
// mid-request and another node deliver it too.
func (w *Worker) stale(e *prikke.Execution, now time.Time) bool {
	return e.ClaimedAt != nil && now.Sub(later(*e.ClaimedAt, e.DueAt)) > w.cfg.LeaseGrace/2
}

// releaseMany gives held executions back in batches and forgets them.
func (w *Worker) releaseMany(cs []*store.Claimed) {
	ids := make([]prikke.ID, len(cs))
	for i, c := range cs {
		ids[i] = c.Execution.ID
	}
	for chunk := range slices.Chunk(ids, 1000) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := w.store.ExecutionRelease(ctx, w.cfg.Node, chunk); err != nil {
			w.logger.Warn("release failed; the rescuer will deliver them again", "executions", len(chunk), "error", err)
		}
		cancel()
	}
	w.mu.Lock()
	for _, c := range cs {
		w.forgetLocked(c.Execution.OrganizationID)
	}
	w.mu.Unlock()
	w.wakeDispatcher()
}

// forgetLocked drops one held execution of org from the count.
func (w *Worker) forgetLocked(org prikke.ID) {
	w.held--
	if st := w.orgs[org]; st != nil {
		if st.held--; st.held <= 0 {
			delete(w.orgs, org)
		}
	}
}

// growLocked adds workers while executions that can start (in flight,
// ready within their organization's cap, or due soon) outnumber them, up
// to the maximum: the pool scales with the backlog.
func (w *Worker) growLocked() {
	if w.closed {
		return
	}
	need := w.inFlight + w.timed
	for _, st := range w.orgs {
		need += min(len(st.ready), max(w.cfg.OrgInFlight-st.inFlight, 0))
	}
	for need = min(need, w.cfg.MaxWorkers); w.workers < need; {
		w.spawnLocked()
	}
}

func (w *Worker) spawnLocked() {
	w.workers++
	w.metrics.Workers.Set(float64(w.workers))
	w.workersWG.Go(func() { w.work(w.runCtx) })
}

// work delivers ready executions: after each delivery it takes the next
// one itself; with nothing to take it waits to be handed one. It exits
// after idling when the pool is above its minimum, or when the worker stops.
func (w *Worker) work(ctx context.Context) {
	ch := make(chan handoff, 1)
	idle := time.NewTimer(w.cfg.IdleTimeout)
	defer idle.Stop()
	for {
		w.mu.Lock()
		c, wake := w.takeLocked()
		gen := w.gen
		if c == nil && w.closed {
			w.exitLocked()
			w.mu.Unlock()
			return
		}
		if c == nil {
			w.waiters = append(w.waiters, ch)
		}
		w.mu.Unlock()
		if wake {
			w.wakeDispatcher()
		}
		if c == nil {
			idle.Reset(w.cfg.IdleTimeout)
			select {
			case h := <-ch:
				c, gen = h.c, h.gen
			case <-idle.C:
				w.mu.Lock()
				if i := slices.Index(w.waiters, ch); i >= 0 {
					if w.workers > w.cfg.MinWorkers {
						w.waiters = slices.Delete(w.waiters, i, i+1)
						w.exitLocked()
						w.mu.Unlock()
						return
					}
					w.mu.Unlock()
					h := <-ch // stay parked
					c, gen = h.c, h.gen
				} else {
					w.mu.Unlock()
					h := <-ch // handed one as the timer fired
					c, gen = h.c, h.gen
				}
			}
			if c == nil {
				w.mu.Lock()
				w.exitLocked()
				w.mu.Unlock()
				return
			}
		}
		w.deliver(ctx, c, gen)
	}
}

func (w *Worker) exitLocked() {
	w.workers--
	w.metrics.Workers.Set(float64(w.workers))
}

// handoff is an execution handed to an idle worker, with the liveness
// generation it was taken in.
type handoff struct {
	c   *store.Claimed
	gen uint64
}

// deliver makes one attempt and queues its result. gen is the liveness
// generation the execution was taken in.
func (w *Worker) deliver(ctx context.Context, c *store.Claimed, gen uint64) {
	e, j := c.Execution, c.Job
	dctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	w.started[e.ID] = cancel
	w.mu.Unlock()
	defer func() {
		cancel()
		w.mu.Lock()
		delete(w.started, e.ID)
		w.mu.Unlock()
	}()
	if ctx.Err() != nil || w.draining.Load() {
		w.release(e)
		return
	}
	if w.stale(e, w.dbNow()) {
		// Waited so long that its lease may run out mid-request and another
		// node deliver it too: give it back untouched instead.
		w.mu.Lock()
		if st := w.orgs[e.OrganizationID]; st != nil {
			st.slow = true
		}
		w.mu.Unlock()
		w.release(e)
		return
	}
	if early := e.DueAt.Sub(w.dbNow()); early > 0 {
		// The clock estimate moved since the timer was set: never early.
		sleep(dctx, early)
	}
	if !w.alive() || w.generation() != gen {
		// This node's heartbeat has not reached the database lately, or
		// resumed after a gap since the execution was taken: other nodes
		// may judge it dead (or have) and take this execution over, so it
		// is not started (the release is fenced, in case they already have).
		w.release(e)
		return
	}
	host := hostOf(j.URL)
	if !w.gate.enter(dctx, host) {
		w.release(e) // cancelled by the drain deadline while waiting its turn
		return
	}
	w.markSent(e.ID)
	res := w.client.Do(dctx, delivery.Request{
		Method: j.Method, URL: j.URL, Headers: j.Headers, Body: []byte(j.Body),
		Timeout:   time.Duration(j.TimeoutMS) * time.Millisecond,
		WebhookID: prikke.WebhookID(j.ID, e.ScheduledFor), Secrets: c.Secrets,
		JobID: j.ID.String(), ExecutionID: e.ID.String(), ScheduledFor: e.ScheduledFor, Attempt: e.Attempt,
	})
	w.gate.leave(host)
	if dctx.Err() != nil || ctx.Err() != nil {
		// Cancelled by the drain deadline: the outcome is unknown, so the
		// attempt goes back to pending rather than into history.
		w.release(e)
		return
	}
	// Record database-clock times, so lateness is measured on one clock
	// whatever this node's says.
	res.StartedAt = res.StartedAt.Add(w.clockOffset())
	w.observe(c, res)
	// The slot frees as soon as the request is done; writing the result is
	// the completer's job, and the results channel's bound pushes back if
	// the database falls behind.
	w.done1(e.OrganizationID)
	w.results <- Completion(c, res, w.dbNow(), w.cfg.RetryDelay)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// release gives an undelivered attempt back and frees its slot.
func (w *Worker) release(e *prikke.Execution) {
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.store.ExecutionRelease(rctx, w.cfg.Node, []prikke.ID{e.ID}); err != nil {
		w.logger.Warn("release failed; the rescuer will deliver it again", "execution_id", e.ID, "error", err)
	}
	w.done1(e.OrganizationID)
}

// done1 frees one delivery slot of org, and wakes the dispatcher when
// there is room to claim again. Rows waiting for their
// result to be written no longer hold a slot.
func (w *Worker) done1(org prikke.ID) {
	w.mu.Lock()
	wake := w.holdMax()-w.held == w.minClaim()-1 // about to reach minClaim
	if st := w.orgs[org]; st != nil {
		before := w.orgRoomLocked(st)
		st.inFlight--
		w.inFlight--
		w.forgetLocked(org)
		if st.held > 0 {
			wake = wake || (before == 0 && w.orgRoomLocked(st) > 0)
		} else {
			wake = wake || before == 0
		}
	} else {
		w.inFlight--
		w.forgetLocked(org)
	}
	inFlight := w.inFlight
	w.mu.Unlock()
	w.metrics.InFlight.Set(float64(inFlight))
	if wake {
		w.wakeDispatcher()
	}
}

func (w *Worker) observe(c *store.Claimed, res delivery.Result) {
	e := c.Execution
	late := res.StartedAt.Sub(e.DueAt).Seconds()
	w.statsMu.Lock()
	w.attempts++
	if res.StatusCode == 0 && res.Status != prikke.ExecutionStatusSuccess {
		w.noReply++
	}
	if len(w.lateness) < latenessSamples {
		w.lateness = append(w.lateness, late)
	} else {
		w.lateness[w.lateNext] = late
		w.lateNext = (w.lateNext + 1) % latenessSamples
	}
	w.statsMu.Unlock()
	w.metrics.Deliveries.WithLabelValues(string(res.Status)).Inc()
	w.metrics.Lateness.Observe(late)
	w.metrics.DeliverySecs.Observe(res.Duration.Seconds())
	attrs := []any{"job_id", c.Job.ID, "execution_id", e.ID, "attempt", e.Attempt, "status", res.Status,
		"status_code", res.StatusCode, "duration_ms", res.Duration.Milliseconds()}
	if res.Status == prikke.ExecutionStatusSuccess {
		w.logger.Debug("delivered", attrs...)
	} else {
		w.logger.Info("delivery failed", append(attrs, "error", res.Error)...)
	}
}

// Completion turns a delivery result into the completion to record,
// deciding the retry and the effect on the job's health: one-time and
// queued jobs retry with backoff while attempts remain (a failure that
// will be retried does not count against health yet); cron jobs never
// retry; a 410 Gone disables the job and is never retried.
func Completion(c *store.Claimed, res delivery.Result, now time.Time, retryDelay func(attempt int, retryAfter time.Duration) time.Duration) *store.Completion {
	e, j := c.Execution, c.Job
	cp := &store.Completion{
		ExecutionID: e.ID, JobID: j.ID, OrganizationID: e.OrganizationID, Attempt: e.Attempt, Status: res.Status,
		StartedAt: res.StartedAt, FinishedAt: res.StartedAt.Add(res.Duration), DurationMS: int(res.Duration.Milliseconds()),
		RequestMethod: j.Method, RequestURL: j.URL, RequestHeaders: res.RequestHeaders,
		ResponseStatus: res.StatusCode, ResponseHeaders: res.Headers, ResponseBody: res.Body,
		ResponseTruncated: res.Truncated, Error: res.Error, Gone: res.Gone,
	}
	if cp.RequestMethod == "" {
		cp.RequestMethod = "GET"
	}
	switch {
	case res.Status == prikke.ExecutionStatusSuccess:
		cp.Health = store.HealthSuccess
	case !res.Gone && j.Retries() && e.Attempt < 1+j.RetryAttempts:
		due := now.Add(retryDelay(e.Attempt, res.RetryAfter))
		cp.Retry = &prikke.Execution{
			ID: prikke.NewID(), JobID: j.ID, ProjectID: e.ProjectID, OrganizationID: e.OrganizationID,
			ScheduledFor: e.ScheduledFor, DueAt: due, Attempt: e.Attempt + 1, Status: prikke.ExecutionStatusPending,
			Priority: e.Priority, Manual: e.Manual, CreatedAt: now,
		}
		cp.Health = store.HealthNone
	default:
		cp.Health = store.HealthFailure
	}
	return cp
}

// complete writes results in batches, in one transaction each: whatever
// has arrived, up to 2048 rows or 8 MiB of response bodies. While
// deliveries wait to start, a batch lingers for more results, up to
// 200ms: starting on time comes first (a burst is started before its
// results are written), and larger batches cost the database less per
// row. A failed write is retried with backoff; the rows stay running
// meanwhile and would be rescued if this node died.
func (w *Worker) complete(ctx context.Context) {
	const (
		maxBatch = 2048
		maxBytes = 8 << 20
		linger   = 200 * time.Millisecond
	)
	batch := make([]*store.Completion, 0, maxBatch)
	timer := time.NewTimer(linger)
	timer.Stop()
	for first := range w.results {
		batch = append(batch[:0], first)
		size := len(first.ResponseBody)
		timer.Reset(linger)
		lingering := true
	fill:
		for len(batch) < maxBatch && size < maxBytes {
			var c *store.Completion
			var ok bool
			select {
			case c, ok = <-w.results:
			default:
				if !lingering || !w.startsWaiting() {
					break fill
				}
				select {
				case c, ok = <-w.results:
				case <-timer.C:
					lingering = false
					continue
				}
			}
			if !ok {
				break
			}
			batch = append(batch, c)
			size += len(c.ResponseBody)
		}
		timer.Stop()
		w.write(batch)
	}
}

// startsWaiting reports whether executions are due and waiting for a
// worker.
func (w *Worker) startsWaiting() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ready > 0
}

// write records one batch, retrying until it is written: the results exist
// only here, and a lost write means a duplicate delivery after rescue.
func (w *Worker) write(batch []*store.Completion) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		applied, err := w.store.ExecutionComplete(ctx, w.cfg.Node, batch)
		cancel()
		w.logger.Debug("results written", "executions", len(batch), "duration_ms", time.Since(start).Milliseconds())
		if err == nil {
			if len(applied) < len(batch) {
				w.logger.Warn("results dropped: their attempts were rescued by another node",
					"dropped", len(batch)-len(applied))
			}
			break
		}
		w.metrics.CompleteErrors.Inc()
		w.logger.Warn("writing results failed; retrying", "error", err, "attempt", attempt, "batch", len(batch))
		time.Sleep(backoff)
		backoff = min(backoff*2, 5*time.Second)
		if attempt >= 60 {
			w.logger.Error("giving up writing results; the rescuer will deliver these attempts again",
				"batch", len(batch), "error", err)
			break
		}
	}
}

// latenessSamples bounds the lateness window TakeStats reports on.
const latenessSamples = 1024

// Stats summarise a node's deliveries since the previous TakeStats, for
// the public status page.
type Stats struct {
	Attempts      int     `json:"attempts"`
	NoReply       int     `json:"no_reply"`
	LatenessP99MS float64 `json:"lateness_p99_ms"`
	InFlight      int     `json:"in_flight"`
}

// TakeStats returns the statistics gathered since the last call and
// starts a new window.
func (w *Worker) TakeStats() Stats {
	w.statsMu.Lock()
	st := Stats{Attempts: w.attempts, NoReply: w.noReply}
	lat := append([]float64(nil), w.lateness...)
	w.attempts, w.noReply, w.lateness, w.lateNext = 0, 0, w.lateness[:0], 0
	w.statsMu.Unlock()
	if len(lat) > 0 {
		slices.Sort(lat)
		st.LatenessP99MS = lat[min(len(lat)-1, len(lat)*99/100)] * 1000
	}
	st.InFlight, _ = w.Stats()
	return st
}

// beatEvery is how often a node beats its heartbeat and looks for dead
// peers: every second, or every fifth of DeadAfter if less.
func (w *Worker) beatEvery() time.Duration { return min(w.cfg.DeadAfter/5, time.Second) }

// beat writes this node's worker heartbeat every beatEvery. It does nothing
// else, so that nothing slow (a large takeover) delays it.
func (w *Worker) beat(ctx context.Context) {
	t := time.NewTicker(w.beatEvery())
	defer t.Stop()
	for {
		w.beatOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// beatOnce writes the heartbeat once. A failed beat, or one that began half
// DeadAfter or more after the last success, breaks the streak (see
// mayJudge).
func (w *Worker) beatOnce(ctx context.Context) {
	start := w.mono()
	bctx, cancel := context.WithTimeout(ctx, w.cfg.DeadAfter/2)
	err := w.claimNodeID(bctx)
	if err == nil {
		err = w.store.HeartbeatPut(bctx, store.WorkerBeat+w.cfg.Node, w.incarnation)
	}
	cancel()
	if err != nil {
		w.streak.Store(0)
		if ctx.Err() == nil && err != errNodeIDLive {
			w.logger.Warn("heartbeat failed", "error", err)
		}
		return
	}
	if !w.tookOver.Load() {
		// Before the first claim (alive waits for it, and it is tried
		// again at every beat until it succeeds): nothing running under
		// this node's ID is this process's, so an earlier process of the
		// same ID (restarted at once) left it; and the peers decide how to
		// claim.
		w.tookOver.Store(w.takeOverPredecessor(ctx))
		w.countPeers(ctx)
	}
	at := max(int64(start), 1)
	prev := w.lastBeat.Swap(at)
	gap := prev != 0 && start-time.Duration(prev) >= w.cfg.DeadAfter/2
	if prev == 0 || gap || w.streak.Load() == 0 {
		w.streak.Store(at)
	}
	if gap {
		w.resumed()
	}
}

// mayJudge reports whether this node may judge other nodes dead by their
// heartbeat: its own has been unbroken (every beat written, none half
// DeadAfter or more after the last) for at least DeadAfter, up to a recent
// beat. After a database stall or failover every node's heartbeat is old;
// the first node to reach the database again would otherwise find all the
// others stale and settle their requests in flight as lost. Waiting out a
// streak of DeadAfter gives every live node time to beat again first.
func (w *Worker) mayJudge() bool {
	s := w.streak.Load()
	return s != 0 && w.alive() && time.Duration(w.lastBeat.Load()-s) >= w.cfg.DeadAfter
}

// errNodeIDLive: another process's worker heartbeat under this node's ID
// is live.
var errNodeIDLive = errors.New("another process beats under this node ID")

// claimNodeID, until this process has taken its node ID over, checks that
// no other process beats under it: if another incarnation's heartbeat is
// live (two processes given one node ID, such as pid 1 in containers with
// a fixed hostname), this one does not beat, take over or claim, and says
// so loudly, until that heartbeat goes stale.
func (w *Worker) claimNodeID(ctx context.Context) error {
	if w.tookOver.Load() {
		return nil
	}
	at, detail, err := w.store.HeartbeatGet(ctx, store.WorkerBeat+w.cfg.Node)
	switch {
	case prikke.ErrorCode(err) == prikke.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case detail == "" || detail == w.incarnation:
		return nil
	}
	now, err := w.store.Now(ctx)
	if err != nil {
		return err
	}
	if now.Sub(at) >= w.cfg.DeadAfter {
		return nil
	}
	if !w.idWarned {
		w.idWarned = true
		w.logger.Warn("this node ID's heartbeat is another process's and still fresh: waiting for it to go stale before taking its work over. If that process is still running, give each process its own PRIKKE_NODE_ID",
			"node", w.cfg.Node, "heartbeat_age_ms", now.Sub(at).Milliseconds())
	}
	return errNodeIDLive
}

// takeOverPredecessor hands back what an earlier process of this node's ID
// left running, as for a dead node, and reports whether it all went.
func (w *Worker) takeOverPredecessor(ctx context.Context) bool {
	for ctx.Err() == nil {
		released, rescued, err := w.store.ExecutionRescueDead(ctx, store.DeadParams{DeadAfter: w.cfg.DeadAfter, Limit: 5000, Nodes: []string{w.cfg.Node}})
		if err != nil {
			w.logger.Warn("taking over what this node's previous process left failed; trying again", "error", err)
			return false
		}
		if released+rescued > 0 {
			w.metrics.Rescued.Add(float64(rescued))
			w.logger.Info("took over the work of this node's previous process", "released", released, "rescued_sent", rescued)
		}
		if released+rescued < 5000 {
			return true
		}
	}
	return false
}

// watchPeers counts the live peers and takes over the work of nodes whose
// heartbeat stopped (once its own heartbeat shows it may judge them),
// every beatEvery: every node does, so a dead leader's
// work is not left waiting for a new leader.
func (w *Worker) watchPeers(ctx context.Context) {
	t := time.NewTicker(w.beatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.watchOnce(ctx)
	}
}

// watchOnce counts the live peers and, if this node may judge them (see
// mayJudge), takes over the work of the dead.
func (w *Worker) watchOnce(ctx context.Context) {
	if w.lastBeat.Load() == 0 {
		return
	}
	w.countPeers(ctx)
	if w.mayJudge() {
		w.rescueDead(ctx)
	}
}

// resumed handles a heartbeat that reached the database again after a gap
// long enough for other nodes to judge this one dead (stopped, starved of
// CPU, cut off): what it holds but has not started may have been taken
// over meanwhile, so it is given back (fenced: a no-op for what was taken)
// rather than started, and so is whatever a worker or a claim took before
// the gap (the generation tells them).
func (w *Worker) resumed() {
	w.mu.Lock()
	w.gen++
	var out []*store.Claimed
	for key, tm := range w.timers {
		tm.timer.Stop()
		for _, c := range tm.items {
			w.orgs[c.Execution.OrganizationID].timed--
		}
		out = append(out, tm.items...)
		delete(w.timers, key)
	}
	w.timed = 0
	for _, st := range w.orgs {
		out = append(out, st.ready...)
		st.ready = nil
	}
	w.rotation, w.ready = nil, 0
	w.mu.Unlock()
	w.logger.Warn("heartbeat resumed after a gap; giving back what was claimed but not started", "executions", len(out))
	if len(out) > 0 {
		w.releaseMany(out)
	}
}

// generation is the current liveness generation.
func (w *Worker) generation() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen
}

// Peers reports how many other nodes' heartbeats were live at this node's
// last beat (always 0 on SQLite).
func (w *Worker) Peers() int { return int(w.peers.Load()) }

// countPeers counts the other nodes whose worker heartbeat is live, by the
// database clock of this node's own latest beat.
func (w *Worker) countPeers(ctx context.Context) {
	hs, err := w.store.HeartbeatList(ctx, store.WorkerBeat)
	if err != nil {
		return
	}
	self := store.WorkerBeat + w.cfg.Node
	var own time.Time
	for _, h := range hs {
		if h.Name == self {
			own = h.At
		}
	}
	n := 0
	for _, h := range hs {
		if h.Name != self && !own.IsZero() && own.Sub(h.At) < w.cfg.DeadAfter {
			n++
		}
	}
	w.peers.Store(int32(n))
}

// rescueDead hands the work of dead nodes back: what they had not sent to
// the queue, what they had sent to be delivered again.
func (w *Worker) rescueDead(ctx context.Context) {
	released, rescued, err := w.store.ExecutionRescueDead(ctx, store.DeadParams{DeadAfter: w.cfg.DeadAfter, Limit: 5000})
	if err != nil {
		if ctx.Err() == nil {
			w.logger.Warn("taking over dead nodes' work failed", "error", err)
		}
		return
	}
	if released+rescued > 0 {
		w.metrics.Rescued.Add(float64(rescued))
		w.logger.Info("took over the work of a dead node", "released", released, "rescued_sent", rescued)
	}
}

// alive reports whether this node may start work: on a shared store, its
// last heartbeat began less than half DeadAfter ago, so no other node can
// judge it dead before a request it starts now has gone out (and been
// marked sent).
func (w *Worker) alive() bool {
	if !w.shared {
		return true
	}
	last := w.lastBeat.Load()
	return last != 0 && w.tookOver.Load() && w.mono()-time.Duration(last) < w.cfg.DeadAfter/2
}

// markSent queues an execution whose request is about to go out.
func (w *Worker) markSent(id prikke.ID) {
	if w.peers.Load() == 0 {
		// Alone: no peer watches this node's heartbeat. (One started later
		// finds its requests unmarked and sends them again as the same
		// attempt: still at least once, only the history is one short.)
		return
	}
	w.sentMu.Lock()
	w.sent = append(w.sent, id)
	w.sentMu.Unlock()
}

// markLoop writes the sent marks every 100ms, in one statement: a node
// that dies has its executions marked sent delivered again as lost
// attempts and the others released to the queue. One that dies within a
// mark's 100ms has that request released and sent again as the same
// attempt (at least once, never a request that had not gone out). It runs
// until the workers have finished (a draining node still starts requests)
// and then writes what is left.
func (w *Worker) markLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			w.flushMarks(fctx)
			cancel()
			return
		case <-t.C:
		}
		w.flushMarks(ctx)
	}
}

// flushMarks writes the sent marks queued; those it fails to write are
// queued again for the next try.
func (w *Worker) flushMarks(ctx context.Context) {
	w.sentMu.Lock()
	ids := w.sent
	w.sent = nil
	w.sentMu.Unlock()
	var failed []prikke.ID
	for chunk := range slices.Chunk(ids, 2000) {
		mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := w.store.ExecutionMarkSent(mctx, w.cfg.Node, chunk); err != nil {
			failed = append(failed, chunk...)
			if ctx.Err() == nil {
				w.logger.Warn("marking requests sent failed; trying again", "executions", len(chunk), "error", err)
			}
		}
		cancel()
	}
	if len(failed) > 0 {
		w.sentMu.Lock()
		w.sent = append(failed, w.sent...)
		w.sentMu.Unlock()
	}
}
