// The per-organization fair queue: claimed executions wait here, timed
// until their instant and then ready per organization, and are taken round
// robin over the organizations, none above its in-flight cap. What is held
// but not started is given back from here.

package worker

import (
	"context"
	"slices"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

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

// timed are executions claimed ahead, started together at one instant.
type timed struct {
	timer *time.Timer
	items []*store.Claimed
}

// orgRoomLocked is how many more executions of an organization this node
// may claim. One with two in-flight caps' worth of rows waiting for a
// worker takes no more until they start: hoarding would starve the other
// organizations (claims go to the most overdue rows first) and let leases
// run out while rows wait. Two caps, not one: the next claim runs while
// the organization's workers take what waits, and a cap's worth lasts
// only a few milliseconds at a fast endpoint — less than a claim on a
// busy database, so with one the workers would idle between claims. (One
// whose rows waited too long holds no more waiting than its cap: slow.)
// One holding nearly its share waits for a worthwhile claim rather than
// one per finished delivery.
func (w *Worker) orgRoomLocked(st *orgState) int {
	if len(st.ready) >= 2*w.cfg.OrgInFlight {
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

// releaseMany gives held executions back in batches and forgets them.
func (w *Worker) releaseMany(cs []*store.Claimed) {
	ids := make([]prikke.ID, len(cs))
	for i, c := range cs {
		ids[i] = c.Execution.ID
	}
	for chunk := range slices.Chunk(ids, 1000) {
		ctx, cancel := context.WithTimeout(w.writes, 10*time.Second)
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
