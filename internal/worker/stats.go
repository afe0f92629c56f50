// Delivery statistics: attempts, no-replies and start lateness, for
// metrics and the public status page.

package worker

import (
	"context"
	"log/slog"
	"slices"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
)

// Stats reports deliveries in flight and worker goroutines.
func (w *Worker) Stats() (inFlight, workers int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inFlight, w.workers
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
	ok := res.Status == prikke.ExecutionStatusSuccess
	if ok && !w.logger.Enabled(context.Background(), slog.LevelDebug) {
		return // no line: no attributes built (a dozen allocations a delivery)
	}
	attrs := []any{"job_id", c.Job.ID, "execution_id", e.ID, "attempt", e.Attempt, "status", res.Status,
		"status_code", res.StatusCode, "duration_ms", res.Duration.Milliseconds()}
	if ok {
		w.logger.Debug("delivered", attrs...)
	} else {
		w.logger.Info("delivery failed", append(attrs, "error", res.Error)...)
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
