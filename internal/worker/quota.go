// The quota hand-off: the dispatcher queues the quota crossings a claim
// reports, and a loop of its own tells OnQuota about them, so that a slow
// hook (the notifier mails every owner and admin, each with a 30-second
// timeout) never holds up claiming.

package worker

import (
	"context"
	"sync"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// quotaPendingMax bounds the crossings waiting for OnQuota. Past it a new
// crossing is dropped (and logged): claiming never waits for the hook.
const quotaPendingMax = 1024

// quotaKey is one organization's threshold (80% or 100%) for one month:
// the notifier mails once for each.
type quotaKey struct {
	org   prikke.ID
	month string
	full  bool // the 100% threshold
}

// quotaQueue holds the crossings waiting for OnQuota, one per
// organization, month and threshold: a later crossing of the same
// threshold replaces an earlier one with the higher usage. Coalescing
// loses nothing the hook would have sent, since it mails once per
// threshold and month (notify.Notifier.Quota), and keeping the thresholds
// apart keeps both mails when 80% and 100% are crossed while the hook is
// busy. A buffered channel would instead fill with repeats during a
// stall, and then drop or block.
type quotaQueue struct {
	mu      sync.Mutex
	pending map[quotaKey]store.QuotaCrossing
	order   []quotaKey    // pending keys, oldest first
	closed  bool          // the dispatcher has stopped: no more crossings
	ready   chan struct{} // 1-buffered: something is pending, or closed
}

// queueQuota hands a crossing to the quota loop without blocking.
func (w *Worker) queueQuota(q store.QuotaCrossing) {
	if w.OnQuota == nil {
		return
	}
	k := quotaKey{q.OrganizationID, q.Month, q.Used >= q.Limit}
	qq := &w.quotas
	qq.mu.Lock()
	old, ok := qq.pending[k]
	switch {
	case ok:
		if q.Used > old.Used {
			qq.pending[k] = q
		}
	case len(qq.pending) >= quotaPendingMax:
		qq.mu.Unlock()
		w.logger.Warn("quota notice dropped: too many waiting for the notifier", "organization_id", q.OrganizationID, "used", q.Used, "limit", q.Limit)
		return
	default:
		qq.pending[k] = q
		qq.order = append(qq.order, k)
	}
	qq.mu.Unlock()
	qq.signal()
}

// signal wakes the quota loop if it sleeps.
func (qq *quotaQueue) signal() {
	select {
	case qq.ready <- struct{}{}:
	default:
	}
}

// close tells the quota loop that nothing more comes: it ends once what is
// pending has been sent.
func (qq *quotaQueue) close() {
	qq.mu.Lock()
	qq.closed = true
	qq.mu.Unlock()
	qq.signal()
}

// next takes the oldest pending crossing; closed reports that there is
// none and none will come.
func (qq *quotaQueue) next() (q store.QuotaCrossing, ok, closed bool) {
	qq.mu.Lock()
	defer qq.mu.Unlock()
	if len(qq.order) == 0 {
		return q, false, qq.closed
	}
	k := qq.order[0]
	qq.order = qq.order[1:]
	q = qq.pending[k]
	delete(qq.pending, k)
	return q, true, false
}

// sendQuotas tells OnQuota about each crossing queued, one at a time, until
// ctx ends or the dispatcher has stopped and nothing is pending.
func (w *Worker) sendQuotas(ctx context.Context) {
	for ctx.Err() == nil {
		q, ok, closed := w.quotas.next()
		switch {
		case ok:
			w.OnQuota(ctx, q)
			continue
		case closed:
			return
		}
		select {
		case <-ctx.Done():
		case <-w.quotas.ready:
		}
	}
	w.quotas.mu.Lock()
	n := len(w.quotas.order)
	w.quotas.mu.Unlock()
	if n > 0 {
		w.logger.Warn("stopping: quota notices not sent by the drain deadline", "notices", n)
	}
}
