// The pool of delivery goroutines: grows with the backlog up to
// MaxWorkers, shrinks to MinWorkers as workers idle out, and hands ready
// executions to idle workers.

package worker

import (
	"context"
	"slices"
	"time"

	"github.com/prikke/prikke/internal/store"
)

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
