// The completer: turns delivery results into completions and writes them
// back in batches, retrying a failed write until GiveBack after Stop's
// drain deadline (see Worker.run).

package worker

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/workflow"
)

// Completion turns a delivery result into the completion to record,
// deciding the retry and the effect on the job's health: one-time and
// queued jobs retry with backoff while attempts remain (a failure that
// will be retried does not count against health yet); cron jobs never
// retry; a 410 Gone disables the job and is never retried. A job with
// response assertions (Job.Expect) is judged by them (expect.Judge): a
// response that fails one is failed with the reason, retried and alerted
// on as any failure (a 410 stays Gone whatever they say). A replay's
// retry sends the replay's request again. An attempt of a workflow step
// is judged by the step's policies instead (see stepCompletion).
func Completion(c *store.Claimed, res delivery.Result, now time.Time, retryDelay func(attempt int, retryAfter time.Duration) time.Duration) *store.Completion {
	e, j := c.Execution, c.Job
	cp := &store.Completion{
		ExecutionID: e.ID, JobID: j.ID, OrganizationID: e.OrganizationID, Attempt: e.Attempt, Status: res.Status,
		StartedAt: res.StartedAt, FinishedAt: res.StartedAt.Add(res.Duration), DurationMS: int(res.Duration.Milliseconds()),
		RequestMethod: j.Method, RequestURL: j.URL, RequestHeaders: res.RequestHeaders,
		RequestBody: res.RequestBody, RequestTruncated: res.RequestTruncated, Trace: res.Trace,
		ResponseStatus: res.StatusCode, ResponseHeaders: res.Headers, ResponseBody: res.Body,
		ResponseTruncated: res.Truncated, Error: res.Error, Gone: res.Gone,
	}
	if cp.RequestMethod == "" {
		cp.RequestMethod = "GET"
	}
	if j.Step != nil {
		stepCompletion(c, res, now, cp)
		return cp
	}
	if j.Expect != nil && j.WorkflowID == nil && !res.Gone {
		cp.Status, cp.Error = expect.Judge(j.Expect, expect.Response{Status: res.Status, Error: res.Error,
			StatusCode: res.StatusCode, Body: res.Body, Truncated: res.Truncated, Duration: res.Duration})
	}
	switch {
	case cp.Status == prikke.ExecutionStatusSuccess:
		cp.Health = store.HealthSuccess
	case !res.Gone && j.Retries() && e.Attempt < 1+j.RetryAttempts:
		due := now.Add(retryDelay(e.Attempt, res.RetryAfter))
		cp.Retry = &prikke.Execution{
			ID: prikke.NewID(), JobID: j.ID, ProjectID: e.ProjectID, OrganizationID: e.OrganizationID,
			ScheduledFor: e.ScheduledFor, DueAt: due, Attempt: e.Attempt + 1, Status: prikke.ExecutionStatusPending,
			Priority: e.Priority, Manual: e.Manual, FlowKey: flowKeyOf(c), CreatedAt: now,
		}
		if e.ReplayOf != nil {
			// A replay's retry is the same replay: its request, not the
			// job's (as claimed, before any redaction of the record).
			r := cp.Retry
			r.ReplayOf = e.ReplayOf
			if e.RequestMethod != "" {
				r.RequestMethod, r.RequestURL, r.RequestHeaders = e.RequestMethod, e.RequestURL, e.RequestHeaders
				r.RequestBody, r.RequestTruncated = e.RequestBody, e.RequestTruncated
			}
		}
		cp.Health = store.HealthNone
	default:
		cp.Health = store.HealthFailure
	}
	return cp
}

// stepCompletion judges an attempt of a workflow step: success per the
// step's expect (workflow.ResultOf), a retry per the step's own policy
// (workflow.RetryAfter, not the job's RetryDelay). The hidden job's health
// is not moved (the run's outcome flips the workflow instead), and a 410
// disables nothing: it is a failure like any other, retried if the
// policy names it. The store records the attempt on the run's step row
// and, when Retry is nil, finishes the step and advances the run.
func stepCompletion(c *store.Claimed, res delivery.Result, now time.Time, cp *store.Completion) {
	e, j := c.Execution, c.Job
	cp.Step, cp.Gone, cp.Health = j.Step, false, store.HealthNone
	status, why := workflow.ResultOf(j.Step, &res)
	cp.Status = status
	if why != "" {
		cp.Error = why
	}
	if status == prikke.ExecutionStatusSuccess {
		cp.Error = ""
		return
	}
	again, after := workflow.RetryAfter(j.Step.Retry, e.Attempt, workflow.FailureOf(&res), res.RetryAfter)
	if !again {
		return
	}
	cp.Retry = &prikke.Execution{
		ID: prikke.NewID(), JobID: j.ID, ProjectID: e.ProjectID, OrganizationID: e.OrganizationID,
		ScheduledFor: e.ScheduledFor, DueAt: now.Add(after), Attempt: e.Attempt + 1, Status: prikke.ExecutionStatusPending,
		Priority: e.Priority, Manual: e.Manual, FlowKey: flowKeyOf(c), CreatedAt: now,
	}
}

// complete writes results in batches, in one transaction each: whatever
// has arrived, up to 2048 rows or 8 MiB of response bodies. While
// deliveries wait to start, a batch lingers for more results, up to
// 200ms: starting on time comes first (a burst is started before its
// results are written), and larger batches cost the database less per
// row. A batch holding a workflow step's last attempt lingers 5ms at
// most: the run's next steps wait for it.
//
// Results are taken off the channel as they come, whatever the writer is
// doing: a delivery never waits for a write unless backlogMax results, or
// backlogBytes of their request and response bodies, are already waiting
// (the bound that pushes back when the database falls behind; see
// TestBacklogBounded). A batch goes to the writer when it is free, and so
// is sized by the backlog: while it writes, what arrives joins the next
// batch. There is one writer, so a node's results are written in the
// order they arrived: two batches written side by side could commit out
// of order and apply a job's health (consecutive failures, alerts)
// backwards. A failed write is retried with backoff; the rows stay
// running meanwhile and would be rescued if this node died. It returns
// once results is closed and drained and every batch is written.
func (w *Worker) complete() {
	const (
		maxBatch     = 2048
		maxBytes     = 8 << 20
		linger       = 200 * time.Millisecond
		backlogMax   = 4 * maxBatch
		backlogBytes = 4 * maxBytes
	)
	batches := make(chan []*store.Completion)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for b := range batches {
			w.write(b)
		}
	}()
	defer func() {
		close(batches)
		<-written
	}()
	var (
		pending      []*store.Completion
		pendingBytes int       // of pending's bodies
		deadline     time.Time // when the oldest pending batch stops lingering
		timer        = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	results := w.results
	// arrived notes c joining pending.
	arrived := func(c *store.Completion, now time.Time) {
		if len(pending) == 0 {
			deadline = now.Add(linger)
		}
		if handsOff(c) {
			deadline = minTime(deadline, now.Add(stepLinger))
		}
		pending = append(pending, c)
		pendingBytes += bodyBytes(c)
	}
	full := func() bool { return len(pending) >= backlogMax || pendingBytes >= backlogBytes }
	for {
		// What has arrived first, as a batch would (a writer free at once
		// must not get the results one at a time).
	drain:
		for results != nil && !full() {
			select {
			case c, ok := <-results:
				if !ok {
					results = nil
					break drain
				}
				arrived(c, time.Now())
			default:
				break drain
			}
		}
		if results == nil && len(pending) == 0 {
			return
		}
		// The next batch: as many pending as fit.
		n, size := 0, 0
		for n < len(pending) && n < maxBatch && size < maxBytes {
			size += bodyBytes(pending[n])
			n++
		}
		now := time.Now()
		send := n > 0 && (n < len(pending) || n == maxBatch || size >= maxBytes || results == nil ||
			!now.Before(deadline) || !w.startsWaiting())
		var out chan []*store.Completion
		if send {
			out = batches
		} else if n > 0 {
			timer.Reset(deadline.Sub(now))
		}
		in := results
		if full() {
			in = nil // push back: the workers wait for the writer
		}
		select {
		case c, ok := <-in:
			if !ok {
				results = nil
				break
			}
			arrived(c, now)
		case out <- pending[:n:n]:
			pendingBytes -= size
			pending = pending[n:]
			if len(pending) == 0 {
				pending = nil
			} else {
				deadline = now.Add(linger)
				for _, c := range pending {
					if handsOff(c) {
						deadline = now.Add(stepLinger)
						break
					}
				}
			}
		case <-timer.C:
		}
		if !send && n > 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// bodyBytes is what a result's bodies weigh in the backlog and a batch.
func bodyBytes(c *store.Completion) int { return len(c.RequestBody) + len(c.ResponseBody) }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// stepLinger bounds the linger of a batch holding a step's last attempt:
// writing it makes the run's next steps due, so the hand-off from one
// step's response to the next step's request waits for it.
const stepLinger = 5 * time.Millisecond

// handsOff reports whether writing c makes a workflow's next steps due:
// the last attempt of a step.
func handsOff(c *store.Completion) bool { return c.Step != nil && c.Retry == nil }

// startsWaiting reports whether executions are due and waiting for a
// worker.
func (w *Worker) startsWaiting() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ready > 0
}

// write records one batch, retrying until it is written: the results exist
// only here, and a lost write means a duplicate delivery after rescue. It
// gives up after about 4.5 minutes, or at once when w.writes ends (GiveBack
// after Stop's drain deadline): the rows stay running under this node's
// lease and the rescue path hands them out again (see Worker.run).
func (w *Worker) write(batch []*store.Completion) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(w.writes, 30*time.Second)
		start := w.NowFunc()
		applied, err := w.store.ExecutionComplete(ctx, w.cfg.Node, batch)
		cancel()
		w.logger.Debug("results written", "executions", len(batch), "duration_ms", w.NowFunc().Sub(start).Milliseconds())
		if err == nil {
			if len(applied) < len(batch) {
				w.logger.Warn("results dropped: their attempts were rescued by another node",
					"dropped", len(batch)-len(applied))
			}
			return
		}
		w.metrics.CompleteErrors.Inc()
		if w.writes.Err() != nil {
			w.logger.Error("stopping: results not written by the drain deadline; the rescue path will deliver these attempts again",
				"batch", len(batch), "error", err)
			return
		}
		w.logger.Warn("writing results failed; retrying", "error", err, "attempt", attempt, "batch", len(batch))
		sleep(w.writes, backoff)
		backoff = min(backoff*2, 5*time.Second)
		if attempt >= 60 {
			w.logger.Error("giving up writing results; the rescuer will deliver these attempts again",
				"batch", len(batch), "error", err)
			return
		}
	}
}
