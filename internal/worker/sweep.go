// The sweeper: gives back ready executions that waited so long for a
// worker that their lease could run out mid-request, or that missed their
// flow key's rate slot (deliver.go missedSlot).

package worker

import (
	"context"
	"slices"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// sweep gives back, every second, ready executions that waited so long
// for a worker that their lease could run out before they finish: a
// healthy node's rows must not be rescued as if it had died. Rate-limited
// ones that missed their slot waiting go back too, for a fresh slot (and
// their key's parallelism to whichever node has a worker free).
func (w *Worker) sweep(ctx context.Context) {
	startstop.Every(time.Second, func(context.Context) {
		if stale := w.takeStale(); len(stale) > 0 {
			w.releaseMany(stale)
			w.logger.Info("released executions that waited too long for a worker", "executions", len(stale))
		}
	})(ctx)
}

// takeStale removes the ready executions that waited longer than half
// the lease grace, or missed their flow slot.
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
			if w.stale(c.Execution, now) || w.missedSlot(c, now) {
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

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
