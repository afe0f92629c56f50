package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
)

// flowBench is what --mode flow measures.
type flowBench struct {
	limited     int           // requests queued to the limited key
	unlimited   int           // requests queued to a key without limits (--jobs)
	rate        int           // the limited key's rate per second
	burst       int           // its burst
	parallelism int           // its parallelism
	respond     time.Duration // how long the sink takes to answer the limited key
	offset      time.Duration // the unlimited requests fall due this long after the limited ones
}

// FlowFigures are the figures only --mode flow prints (flattened into the
// JSON line).
type FlowFigures struct {
	Limited     int `json:"limited"`   // requests queued to the limited key
	Unlimited   int `json:"unlimited"` // requests queued to a key without limits
	Rate        int `json:"rate"`      // the limited key's limits (period 1s)
	Burst       int `json:"burst"`
	Parallelism int `json:"parallelism"`
	// RespondMS is how long the sink takes to answer each request of the
	// limited key; UnlimitedAfterS when the unlimited requests fall due
	// after the limited ones (they arrive in the middle of its backlog).
	RespondMS       int     `json:"limited_respond_ms"`
	UnlimitedAfterS float64 `json:"unlimited_due_after_s"`
	// MaxInFlight is the most requests of the limited key the sink held
	// at once; MaxPerWindow the most of its arrivals in any sliding
	// window of one period (1s). WindowBound is rate + burst.
	MaxInFlight  int `json:"max_in_flight"`
	MaxPerWindow int `json:"max_per_window"`
	WindowBound  int `json:"window_bound"`
	// DurationS is from the limited requests' due instant to the last of
	// them at the sink; DurationBoundS is limited/rate seconds plus 5%.
	DurationS      float64 `json:"duration_s"`
	DurationBoundS float64 `json:"duration_bound_s"`
	// MaxSlotsPerWindow is the most start slots the claims gave the key
	// in any 1s window (GCRA: at most rate + burst - 1); SinceSlot* is
	// each arrival at the sink minus its start slot (start jitter: the
	// sink's windows can exceed the slots' by what it bunches).
	MaxSlotsPerWindow int     `json:"max_slots_per_window"`
	SinceSlotP50      float64 `json:"arrival_after_slot_p50_ms"`
	SinceSlotP99      float64 `json:"arrival_after_slot_p99_ms"`
	SinceSlotMax      float64 `json:"arrival_after_slot_max_ms"`
	// Which side the delay is on: the worker's start (the execution's
	// started_at) after the slot, and the sink's arrival after that start.
	StartLateP99 float64 `json:"start_after_slot_p99_ms"`
	StartLateMax float64 `json:"start_after_slot_max_ms"`
	SinkLateP99  float64 `json:"arrival_after_start_p99_ms"`
	SinkLateMax  float64 `json:"arrival_after_start_max_ms"`
	// ThrottledP50/Max are the limited key's executions' throttled_ms as
	// stored in their history.
	ThrottledP50 float64 `json:"limited_throttled_p50_ms"`
	ThrottledMax float64 `json:"limited_throttled_max_ms"`
	// The unlimited requests' lateness (first arrival minus due instant)
	// beside the limited backlog, and in the baseline: the same requests
	// alone, run first, before the key exists.
	UnlimitedP50 float64 `json:"unlimited_lateness_p50_ms"`
	UnlimitedP99 float64 `json:"unlimited_lateness_p99_ms"`
	BaselineP50  float64 `json:"baseline_lateness_p50_ms"`
	BaselineP99  float64 `json:"baseline_lateness_p99_ms"`
	// BaselineLost and BaselineDuplicates are the baseline's own counts.
	BaselineLost       int `json:"baseline_lost"`
	BaselineDuplicates int `json:"baseline_duplicates"`
}

// benchFlowKey is the limited key; the unlimited requests carry none (the
// sink's host:port, which has no row).
const benchFlowKey = "bench-limited"

// benchFlow measures flow control. First a baseline: the unlimited
// requests alone, due at one instant, before any flow key exists. Then the
// key is configured (rate per 1s, burst, parallelism) and the limited
// requests are queued due at one instant, with the unlimited ones due
// --flow-unlimited-after later, in the middle of the limited backlog. One
// sink records every arrival behind two ports (the key's endpoint and the
// unlimited one's), each counting its requests in flight: the figures are
// the sink's, not Prikke's.
func benchFlow(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, fb flowBench, sk *sink.Sink, res *benchResult) error {
	// Two endpoints (ports) on the one recording sink: the limited key's
	// and the unlimited one's, so only the key separates them, not the
	// worker's per-host gate.
	fs, err := sink.Listen(sk, httpserver.Listener)
	if err != nil {
		return err
	}
	defer fs.Close()
	fu, err := sink.Listen(sk, httpserver.Listener)
	if err != nil {
		return err
	}
	defer fu.Close()
	cfg.SSRFAllow = append(cfg.SSRFAllow, fs.Addr(), fu.Addr())
	ff := &FlowFigures{Limited: fb.limited, Unlimited: fb.unlimited, Rate: fb.rate, Burst: fb.burst, Parallelism: fb.parallelism,
		RespondMS: int(fb.respond / time.Millisecond), UnlimitedAfterS: fb.offset.Seconds(), WindowBound: fb.rate + fb.burst,
		DurationBoundS: math.Round(float64(fb.limited)/float64(fb.rate)*1.05*1000) / 1000}
	res.FlowFigures = ff
	res.Jobs = fb.limited + fb.unlimited

	eng := newEngine(cfg, st, metrics.New(), logger, time.Now, 0)
	eng.start(ctx)
	defer eng.stop()

	unlimitedURL := fu.URL("/ok?k=u")
	limitedURL := fs.URL(fmt.Sprintf("/slow?ms=%d&k=l", fb.respond.Milliseconds()))
	setup := func(n int) (time.Time, error) {
		now, err := st.Now(ctx)
		// Time to queue every request before the instant (measured on a
		// loaded 2-core machine, 8 at once: about 1ms a request on SQLite,
		// up to 3ms on PostgreSQL).
		return now.Add(2*time.Second + time.Duration(n)*3*time.Millisecond).Truncate(time.Second).Add(time.Second), err
	}

	// The baseline.
	stored0, err := storedCount(ctx, st, tn.org)
	if err != nil {
		return err
	}
	due, err := setup(fb.unlimited)
	if err != nil {
		return err
	}
	base, err := flowEnqueue(ctx, st, tn, fb.unlimited, unlimitedURL, "", due)
	if err != nil {
		return err
	}
	warnLate(logger, "baseline", due)
	if err := flowWait(ctx, st, sk, tn.org, base, stored0, due.Add(2*time.Minute), logger); err != nil {
		return err
	}
	bs := flowTally(sk.Requests(), base)
	ff.BaselineP50, ff.BaselineP99 = percentile(bs.late, 50), percentile(bs.late, 99)
	ff.BaselineLost, ff.BaselineDuplicates = fb.unlimited-bs.delivered, bs.duplicates

	// The run: the key, then its backlog and, later, the unlimited burst.
	if _, _, err := st.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.project, Key: benchFlowKey, Rate: fb.rate, Period: time.Second,
		Burst: fb.burst, Parallelism: fb.parallelism, Configured: true}); err != nil {
		return fmt.Errorf("configuring the flow key: %w", err)
	}
	storedBase, err := storedCount(ctx, st, tn.org)
	if err != nil {
		return err
	}
	due, err = setup(fb.limited + fb.unlimited)
	if err != nil {
		return err
	}
	var lim, unl map[string]time.Time
	var limErr, unlErr error
	var wg sync.WaitGroup
	wg.Go(func() { lim, limErr = flowEnqueue(ctx, st, tn, fb.limited, limitedURL, benchFlowKey, due) })
	wg.Go(func() { unl, unlErr = flowEnqueue(ctx, st, tn, fb.unlimited, unlimitedURL, "", due.Add(fb.offset)) })
	wg.Wait()
	if err := errors.Join(limErr, unlErr); err != nil {
		return err
	}
	warnLate(logger, "run", due)
	all := make(map[string]time.Time, len(lim)+len(unl))
	for id, at := range lim {
		all[id] = at
	}
	for id, at := range unl {
		all[id] = at
	}
	limit := time.Duration(float64(fb.limited)/float64(fb.rate)*float64(time.Second)) * 2
	if err := flowWait(ctx, st, sk, tn.org, all, storedBase, due.Add(fb.offset+limit+2*time.Minute), logger); err != nil {
		return err
	}
	reqs := sk.Requests()
	ls, us := flowTally(reqs, lim), flowTally(reqs, unl)
	res.Delivered = ls.delivered + us.delivered
	res.Duplicates = ls.duplicates + us.duplicates
	storedNow, err := storedCount(ctx, st, tn.org)
	if err != nil {
		return err
	}
	res.Lost = res.Jobs - min(res.Delivered, storedNow-storedBase)
	ff.UnlimitedP50, ff.UnlimitedP99 = percentile(us.late, 50), percentile(us.late, 99)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = ff.UnlimitedP50, ff.UnlimitedP99, percentile(us.late, 100)
	ff.MaxInFlight = fs.Peak("l")
	ff.MaxPerWindow = windowMax(ls.arrivals)
	if n := len(ls.arrivals); n > 0 {
		d := ls.arrivals[n-1].Sub(due)
		ff.DurationS = math.Round(d.Seconds()*1000) / 1000
		res.SecondsToLast = ff.DurationS
		res.PerSecond = math.Round(float64(ls.delivered)/d.Seconds()*10) / 10
	}
	execs, err := keyExecutions(ctx, st, tn.org)
	if err != nil {
		return err
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var thr, since, startLate, sinkLate []float64
	var slots []time.Time
	for _, e := range execs {
		thr = append(thr, float64(e.ThrottledMS))
		slots = append(slots, e.DueAt) // a flow-claimed execution's due_at is its slot
		if e.StartedAt != nil {
			startLate = append(startLate, ms(e.StartedAt.Sub(e.DueAt)))
		}
	}
	for _, r := range ls.reqs {
		if e := execs[r.ExecutionID]; e != nil {
			since = append(since, ms(r.At.Sub(e.DueAt)))
			if e.StartedAt != nil {
				sinkLate = append(sinkLate, ms(r.At.Sub(*e.StartedAt)))
			}
		}
	}
	for _, xs := range [][]float64{thr, since, startLate, sinkLate} {
		slices.Sort(xs)
	}
	ff.StartLateP99, ff.StartLateMax = percentile(startLate, 99), percentile(startLate, 100)
	ff.SinkLateP99, ff.SinkLateMax = percentile(sinkLate, 99), percentile(sinkLate, 100)
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	ff.ThrottledP50, ff.ThrottledMax = percentile(thr, 50), percentile(thr, 100)
	ff.SinceSlotP50, ff.SinceSlotP99, ff.SinceSlotMax = percentile(since, 50), percentile(since, 99), percentile(since, 100)
	ff.MaxSlotsPerWindow = windowMax(slots)
	return nil
}

// warnLate warns when queueing ended after the due instant: the lateness
// figures then include the queueing.
func warnLate(logger *slog.Logger, what string, due time.Time) {
	if late := time.Since(due); late > 0 {
		logger.Warn("queueing took past the due instant; the lateness figures include it", "part", what, "late", late)
	}
}

// flowEnqueue queues n requests (POST url) due at due, with the flow key
// key ("": the URL's host:port), 8 at a time, as POST /api/v1/queue does,
// and returns their webhook ids with their due instants.
func flowEnqueue(ctx context.Context, st store.Store, tn *benchTenantIDs, n int, url, key string, due time.Time) (map[string]time.Time, error) {
	due = due.Truncate(time.Millisecond)
	ids := make([]string, n)
	var next atomic.Int64
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				now := time.Now().UTC()
				j := benchJob(tn, url, now)
				j.Kind, j.RunAt, j.FlowKey = prikke.JobKindQueue, &due, key
				e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
					ScheduledFor: due, DueAt: due, Attempt: 1, Status: prikke.ExecutionStatusPending,
					Priority: prikke.Priority(prikke.TierPro, prikke.JobKindQueue, 0), FlowKey: j.Flow(), CreatedAt: now}
				if _, _, err := store.QueueEnqueue(ctx, st, j, e); err != nil {
					errs[w] = err
					return
				}
				ids[i] = prikke.WebhookID(j.ID, due)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, n)
	for _, id := range ids {
		out[id] = due
	}
	return out, nil
}

// flowWait waits until every request of want has reached the sink and
// every execution has a result stored (stored counts those from before),
// or the deadline.
func flowWait(ctx context.Context, st store.Store, sk *sink.Sink, org prikke.ID, want map[string]time.Time, stored int, deadline time.Time, logger *slog.Logger) error {
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// Arrivals first, with the sink's own cheap wait; duplicates and the
	// baseline's arrivals count there, so confirm by id afterwards.
	_ = sk.WaitCount(wctx, sk.Count()+len(want))
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		t := flowTally(sk.Requests(), want)
		n, err := storedCount(ctx, st, org)
		if err != nil {
			return err
		}
		if t.delivered >= len(want) && n-stored >= len(want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wctx.Done():
			logger.Warn("not every request was delivered and stored before the deadline", "arrived", t.delivered, "stored", n-stored, "queued", len(want))
			return nil
		case <-tick.C:
		}
	}
}

func storedCount(ctx context.Context, st store.Store, org prikke.ID) (int, error) {
	stats, err := st.ExecutionStats(ctx, store.ExecutionFilter{OrganizationID: &org})
	if err != nil {
		return 0, err
	}
	return stats[prikke.ExecutionStatusSuccess] + stats[prikke.ExecutionStatusFailed] + stats[prikke.ExecutionStatusTimeout], nil
}

// keyExecutions returns the limited key's executions by id.
func keyExecutions(ctx context.Context, st store.Store, org prikke.ID) (map[string]*prikke.Execution, error) {
	out := map[string]*prikke.Execution{}
	var before time.Time
	var beforeID prikke.ID
	for {
		es, err := st.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &org, Limit: 1000, BeforeCreatedAt: before, BeforeID: beforeID})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.FlowKey == benchFlowKey {
				out[e.ID.String()] = e
			}
		}
		if len(es) < 1000 {
			return out, nil
		}
		before, beforeID = es[len(es)-1].CreatedAt, es[len(es)-1].ID
	}
}

// flowCount is what the sink saw of a set of requests.
type flowCount struct {
	delivered  int             // distinct webhook ids
	duplicates int             // arrivals beyond the first of an id
	reqs       []sink.Received // every arrival, by time
	arrivals   []time.Time     // their instants
	late       []float64       // first arrival minus due, ms, sorted
}

func flowTally(reqs []sink.Received, want map[string]time.Time) flowCount {
	var c flowCount
	seen := make(map[string]bool, len(want))
	for _, r := range reqs {
		due, ok := want[r.WebhookID]
		if !ok || !r.SignatureValid {
			continue
		}
		c.reqs = append(c.reqs, r)
		if seen[r.WebhookID] {
			c.duplicates++
			continue
		}
		seen[r.WebhookID] = true
		c.late = append(c.late, float64(r.At.Sub(due).Microseconds())/1000)
	}
	c.delivered = len(seen)
	slices.SortStableFunc(c.reqs, func(a, b sink.Received) int { return a.At.Compare(b.At) })
	for _, r := range c.reqs {
		c.arrivals = append(c.arrivals, r.At)
	}
	slices.Sort(c.late)
	return c
}

// windowMax is the most of the sorted instants in any one-second window.
func windowMax(at []time.Time) int {
	n, _ := sink.MaxInWindow(at, time.Second)
	return n
}
