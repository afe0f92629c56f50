// Liveness: this node's heartbeat, the streak that lets it judge other
// nodes dead, the takeover of dead nodes' and its predecessor's work, and
// what happens when its own heartbeat resumes after a gap.

package worker

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// beatEvery is how often a node beats its heartbeat and looks for dead
// peers: every second, or every fifth of DeadAfter if less.
func (w *Worker) beatEvery() time.Duration { return min(w.cfg.DeadAfter/5, time.Second) }

// beat writes this node's worker heartbeat every beatEvery. It does nothing
// else, so that nothing slow (a large takeover) delays it.
func (w *Worker) beat(ctx context.Context) { startstop.Every(w.beatEvery(), w.beatOnce)(ctx) }

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
func (w *Worker) watchPeers(ctx context.Context) { startstop.Every(w.beatEvery(), w.watchOnce)(ctx) }

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
