// Delivery: one attempt of one execution, from the last checks before the
// request (lease, liveness, due instant, flow hold, host gate, flow slot) to queuing
// its result for the completer or giving the attempt back.

package worker

import (
	"context"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
)

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
	if j.WorkflowID != nil {
		// No request: the occurrence starts a run of the workflow.
		w.startRun(dctx, c)
		return
	}
	var fill *filled
	if j.Step != nil {
		var fail string
		var err error
		if fill, fail, err = w.fill(dctx, j); err != nil {
			w.logger.Warn("reading a project's secrets failed; the attempt is given back", "execution_id", e.ID, "error", err)
			w.release(e)
			return
		} else if fail != "" {
			// Not sent: a missing secret fails the step (no retry can
			// mend it; the run can be retried once the secret is added).
			w.done1(e.OrganizationID)
			w.results <- failedStep(c, w.dbNow(), fail)
			return
		}
	}
	r := request{method: j.Method, url: j.URL, headers: j.Headers, body: j.Body}
	if j.Step == nil {
		var fail string
		if r, fail = w.jobRequest(c); fail != "" {
			// Not sent: the job's template does not render.
			w.done1(e.OrganizationID)
			cp := failedJob(c, w.dbNow(), fail)
			redactCompletion(cp, c.Redact, nil)
			w.results <- cp
			return
		}
	}
	if w.heldHere(c) {
		// Its endpoint asked this node to wait (429 or 503 with
		// Retry-After) after it was claimed: given back, it waits in the
		// flow claim until the hold ends. Not an attempt.
		w.release(e)
		return
	}
	host := hostOf(r.url)
	if fill != nil {
		host = hostOf(fill.url)
	}
	if !w.gate.enter(dctx, host) {
		w.release(e) // cancelled by the drain deadline while waiting its turn
		return
	}
	if w.missedSlot(c, w.dbNow()) {
		// Too late for its rate slot (this node was busy): started now it
		// could bunch with the key's later slots at the endpoint. Given
		// back, the next claim gives it a fresh slot, first in its key's
		// line. Not an attempt, and not counted as throttled.
		w.gate.leave(host)
		w.logger.Debug("missed its flow slot; given back for a fresh one", "execution_id", e.ID,
			"late_ms", w.dbNow().Sub(e.DueAt).Milliseconds())
		w.release(e)
		return
	}
	w.markSent(e.ID)
	// Counted as it starts, not when claimed: one claimed, given back
	// unstarted and claimed again counts once.
	w.metrics.Throttled(e.ProjectID.String(), e.ThrottledMS)
	req := delivery.Request{
		Method: r.method, URL: r.url, Headers: r.headers, Body: []byte(r.body),
		Timeout:   time.Duration(j.TimeoutMS) * time.Millisecond,
		WebhookID: prikke.WebhookID(j.ID, e.ScheduledFor), Secrets: c.Secrets,
		JobID: j.ID.String(), ExecutionID: e.ID.String(), ScheduledFor: e.ScheduledFor, Attempt: e.Attempt,
		Trace: w.cfg.Trace, RecordBody: w.cfg.RecordBody,
	}
	if fill != nil {
		// The secrets go on the wire only; the record keeps the job's
		// templated form (see filled.scrub).
		req.URL, req.Headers, req.Body = fill.url, fill.headers, []byte(fill.body)
	}
	res := w.client.Do(dctx, req)
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
	w.signal(c, res) // a 429 or 503 with Retry-After holds the key; never blocks
	// The slot frees as soon as the request is done; writing the result is
	// the completer's job, and the results channel's bound pushes back if
	// the database falls behind.
	w.done1(e.OrganizationID)
	cp := Completion(c, res, w.dbNow(), w.cfg.RetryDelay)
	if j.Step == nil {
		// What was sent: the URL rendered, or a replay's.
		cp.RequestMethod, cp.RequestURL = req.Method, req.URL
		if cp.RequestMethod == "" {
			cp.RequestMethod = "GET"
		}
	}
	fill.scrub(cp)
	redactCompletion(cp, c.Redact, expectOf(j))
	w.results <- cp
}

// slotLateMin is the least lateness after its slot at which a rate-limited
// execution is given back rather than started: timers and the scheduler
// are not finer than that on a busy machine.
const slotLateMin = 10 * time.Millisecond

// missedSlot reports whether an execution claimed at a rate slot (its
// DueAt) would start, at now (database clock), too late for it: more than
// one emission interval (Period/Rate) after the slot, or slotLateMin when
// the interval is shorter. The slots are the key's GCRA slots, given
// cluster-wide, and no window of Period holds more than Rate + Burst - 1
// of them; a start at most one interval after its slot brings at most one
// more into a window, so the endpoint never sees more than Rate + Burst
// starts in one. A later start could bunch with the key's on-time ones, so
// it is given back for a fresh slot instead (the release puts it first in
// its key's line again) — up to slotGiveBacks times per node: a node still
// too loaded to start it within an interval of its slot after that starts
// it late, rather than give it back for ever (a short overload, such as a
// burst of other work, is ridden out strictly; under a lasting one,
// progress comes before strictness: a key must never starve because its
// nodes are busy).
func (w *Worker) missedSlot(c *store.Claimed, now time.Time) bool {
	if c.Flow == nil {
		return false
	}
	t := c.Flow.Interval()
	if t <= 0 || now.Sub(c.Execution.DueAt) <= max(t, slotLateMin) {
		return false
	}
	return w.missed.giveBack(c.Execution.ID)
}

// slotGiveBacks is how many times a node gives one execution back for a
// missed slot before it starts it late.
const slotGiveBacks = 5

// missedSlots counts the times this node gave each execution back for a
// missed slot. Bounded: past missedSlotsMax it starts afresh (an execution
// may then be given back a few more times).
type missedSlots struct {
	mu  sync.Mutex
	ids map[prikke.ID]int
}

const missedSlotsMax = 10_000

// giveBack reports whether id, which missed its slot, is to be given back
// (fewer than slotGiveBacks times so far here), and counts it.
func (m *missedSlots) giveBack(id prikke.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.ids[id]
	if n >= slotGiveBacks {
		return false
	}
	if !ok && (m.ids == nil || len(m.ids) >= missedSlotsMax) {
		m.ids = map[prikke.ID]int{}
	}
	m.ids[id] = n + 1
	return true
}

// release gives an undelivered attempt back and frees its slot.
func (w *Worker) release(e *prikke.Execution) {
	rctx, cancel := context.WithTimeout(w.writes, 10*time.Second)
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
