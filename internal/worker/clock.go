// The database clock: the worker estimates it as its own clock plus an
// offset measured by round trips, so that due instants (database time) are
// started on time by local timers.

package worker

import (
	"context"
	"time"
)

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
