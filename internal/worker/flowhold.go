// Endpoint signals: a delivery answered 429 or 503 with Retry-After holds
// the execution's flow key (not only the execution) until then, clamped to
// FlowHoldMin…FlowHoldMax (flow.go). The hold is handed to a loop of its
// own and coalesced per key, so writing it never holds up a delivery or the
// completer; a write that fails three times (or is refused) is logged and
// dropped (the endpoint's next 429 or 503 asks again). Once a hold is
// written, this node gives back what it holds of the key rather than start
// it during the hold: the flow claim then keeps it pending until the hold
// ends.

package worker

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
)

// holdPendingMax bounds the holds waiting to be written (one per key). Past
// it a new key's hold is dropped (and logged): deliveries never wait.
const holdPendingMax = 1024

// holdWrittenMax is how many written holds this node remembers before it
// forgets those that ended.
const holdWrittenMax = 1024

// holdWriteTimeout bounds one hold's write.
const holdWriteTimeout = 10 * time.Second

// holdKey is one project's flow key.
type holdKey struct {
	project prikke.ID
	key     string
}

// hold is a hold to write: until when (database clock) and why.
type hold struct {
	until  time.Time
	reason string
}

// writtenHold is a hold this node wrote, and the executions it gave back
// for it.
type writtenHold struct {
	until    time.Time
	released map[prikke.ID]bool
}

// holdQueue holds the holds waiting to be written, one per key: a later
// one of the same key replaces an earlier one when it holds longer (a hold
// only lengthens, in the store too), so a burst of 503s from one endpoint
// costs one write.
type holdQueue struct {
	mu      sync.Mutex
	pending map[holdKey]hold
	closed  bool          // the workers have exited: no more holds
	ready   chan struct{} // 1-buffered: something is pending, or closed
	written map[holdKey]*writtenHold
}

func newHoldQueue() holdQueue {
	return holdQueue{pending: map[holdKey]hold{}, ready: make(chan struct{}, 1), written: map[holdKey]*writtenHold{}}
}

// endpointHold reports whether a delivery's answer asks to hold its key,
// and for how long the endpoint asked: a 429 or 503 with a Retry-After,
// delta-seconds or an HTTP-date. One of 0 (or a date already past) asks
// for the shortest hold; one that does not parse is no hold at all.
func endpointHold(res delivery.Result) (time.Duration, bool) {
	if res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	if res.RetryAfter > 0 {
		return res.RetryAfter, true
	}
	// The client reads 0 for both "none" and "0 or past": look again.
	for _, h := range res.Headers {
		if h.Name != "Retry-After" {
			continue
		}
		v := strings.TrimSpace(h.Value)
		if _, err := strconv.ParseUint(v, 10, 64); err == nil {
			return 0, true
		}
		if _, err := http.ParseTime(v); err == nil {
			return 0, true
		}
	}
	return 0, false
}

// holdReason says which answer held a key: "503 Service Unavailable,
// Retry-After 30s" (what the endpoint asked for, before the clamp).
func holdReason(code int, asked time.Duration) string {
	return fmt.Sprintf("%d %s, Retry-After %s", code, http.StatusText(code), shortDuration(asked))
}

// shortDuration spells whole seconds as 30s, 2m, 90s or 1h.
func shortDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s > 0 && s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s > 0 && s%60 == 0:
		return strconv.FormatInt(s/60, 10) + "m"
	}
	return strconv.FormatInt(s, 10) + "s"
}

// flowKeyOf is the execution's flow key; an execution made before flow
// keys existed has none stored and takes its job's.
func flowKeyOf(c *store.Claimed) string {
	if c.Execution.FlowKey != "" {
		return c.Execution.FlowKey
	}
	return c.Job.Flow()
}

// signal queues a hold of the execution's key when its endpoint asked for
// one. It never blocks.
func (w *Worker) signal(c *store.Claimed, res delivery.Result) {
	asked, ok := endpointHold(res)
	if !ok {
		return
	}
	key := flowKeyOf(c)
	if key == "" {
		return
	}
	k := holdKey{c.Execution.ProjectID, key}
	h := hold{until: w.dbNow().Add(prikke.ClampHold(asked)), reason: holdReason(res.StatusCode, asked)}
	hq := &w.holds
	hq.mu.Lock()
	old, queued := hq.pending[k]
	switch {
	case queued:
		if h.until.After(old.until) {
			hq.pending[k] = h
		}
	case hq.closed || len(hq.pending) >= holdPendingMax:
		hq.mu.Unlock()
		w.logger.Warn("flow key hold dropped: too many waiting to be written", "project_id", k.project, "flow_key", key, "reason", h.reason)
		return
	default:
		hq.pending[k] = h
	}
	hq.mu.Unlock()
	hq.signal()
}

// signal wakes the hold loop if it sleeps.
func (hq *holdQueue) signal() {
	select {
	case hq.ready <- struct{}{}:
	default:
	}
}

// close tells the hold loop that nothing more comes: it ends once what is
// pending has been written.
func (hq *holdQueue) close() {
	hq.mu.Lock()
	hq.closed = true
	hq.mu.Unlock()
	hq.signal()
}

// take takes every pending hold; closed reports that none will come.
func (hq *holdQueue) take() (holds map[holdKey]hold, closed bool) {
	hq.mu.Lock()
	defer hq.mu.Unlock()
	if len(hq.pending) == 0 {
		return nil, hq.closed
	}
	holds, hq.pending = hq.pending, map[holdKey]hold{}
	return holds, false
}

// writeHolds writes the holds queued, until ctx ends or the workers have
// exited and nothing is pending.
func (w *Worker) writeHolds(ctx context.Context) {
	for ctx.Err() == nil {
		holds, closed := w.holds.take()
		for k, h := range holds {
			if ctx.Err() != nil {
				break
			}
			w.writeHold(ctx, k, h)
		}
		switch {
		case len(holds) > 0:
			continue
		case closed:
			return
		}
		select {
		case <-ctx.Done():
		case <-w.holds.ready:
		}
	}
	w.holds.mu.Lock()
	n := len(w.holds.pending)
	w.holds.mu.Unlock()
	if n > 0 {
		w.logger.Warn("stopping: flow key holds not written by the drain deadline", "holds", n)
	}
}

// holdWriteAttempts bounds the writes of one hold: a database error (busy,
// a connection lost) is tried again twice, a refusal never.
const holdWriteAttempts = 3

// writeHold writes one hold, giving up after holdWriteAttempts: the hold
// is then logged and dropped (the endpoint's next 429 or 503 asks again,
// and the flow claim never depended on it).
func (w *Worker) writeHold(ctx context.Context, k holdKey, h hold) {
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		wctx, cancel := context.WithTimeout(ctx, holdWriteTimeout)
		err := w.store.FlowKeyHold(wctx, k.project, k.key, h.until, h.reason)
		cancel()
		if err == nil {
			break
		}
		if prikke.ErrorCode(err) == prikke.ECONFLICT {
			// The project has FlowHoldKeysPerProject keys held by their
			// endpoints already: a new one is refused, not retried.
			w.logger.Warn("flow key hold refused", "project_id", k.project, "flow_key", k.key, "until", h.until,
				"reason", h.reason, "error", err)
			return
		}
		if attempt >= holdWriteAttempts || prikke.ErrorCode(err) != prikke.EINTERNAL || ctx.Err() != nil {
			w.logger.Warn("flow key hold not written", "project_id", k.project, "flow_key", k.key, "until", h.until,
				"reason", h.reason, "attempts", attempt, "error", err)
			return
		}
		sleep(ctx, backoff)
		backoff *= 2
	}
	w.metrics.FlowHolds.Inc()
	w.logger.Info("flow key held by its endpoint", "project_id", k.project, "flow_key", k.key, "until", h.until, "reason", h.reason)
	hq := &w.holds
	hq.mu.Lock()
	defer hq.mu.Unlock()
	if wh := hq.written[k]; wh != nil {
		if h.until.After(wh.until) {
			wh.until = h.until
		}
		return
	}
	if len(hq.written) >= holdWrittenMax {
		now := w.dbNow()
		for k, wh := range hq.written {
			if !wh.until.After(now) {
				delete(hq.written, k)
			}
		}
		if len(hq.written) >= holdWrittenMax {
			return // remembered only to give back early; the claim enforces the hold regardless
		}
	}
	hq.written[k] = &writtenHold{until: h.until, released: map[prikke.ID]bool{}}
}

// heldHere reports whether an execution about to start belongs to a key
// this node held and whose hold is still in force, marking it given back.
// One given back for a hold and claimed again while the hold is in force
// is not held a second time: the store did not keep it back (say the
// hold's row was deleted), and it is delivered rather than handed back and
// forth.
func (w *Worker) heldHere(c *store.Claimed) bool {
	hq := &w.holds
	hq.mu.Lock()
	defer hq.mu.Unlock()
	if len(hq.written) == 0 {
		return false
	}
	k := holdKey{c.Execution.ProjectID, flowKeyOf(c)}
	wh := hq.written[k]
	if wh == nil {
		return false
	}
	if !wh.until.After(w.dbNow()) {
		delete(hq.written, k)
		return false
	}
	if wh.released[c.Execution.ID] {
		return false
	}
	wh.released[c.Execution.ID] = true
	return true
}
