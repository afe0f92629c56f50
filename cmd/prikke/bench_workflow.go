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
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
)

// WorkflowFigures are the figures only --mode workflow prints (flattened
// into the JSON line).
type WorkflowFigures struct {
	Runs      int `json:"runs"`       // runs started at once
	Steps     int `json:"steps"`      // steps per run
	Succeeded int `json:"succeeded"`  // runs that ended succeeded
	NotDone   int `json:"not_done"`   // runs not succeeded at the deadline
	Handoffs  int `json:"handoffs"`   // hand-offs measured (one per step with needs, per run)
	StartMS   int `json:"start_ms"`   // how long starting the runs took (before the engine ran)
	Requests  int `json:"requests"`   // arrivals at the sink, duplicates included
	RunsTotal int `json:"runs_total"` // runs found in the store
	// Hand-off: a step's first request at the sink minus the sink's
	// response to the last of the steps it needs (sink.Received.Sent).
	HandoffP50 float64 `json:"handoff_p50_ms"`
	HandoffP99 float64 `json:"handoff_p99_ms"`
	HandoffMax float64 `json:"handoff_max_ms"`
	// The join alone (d needs b and c).
	JoinP99 float64 `json:"join_handoff_p99_ms"`
	// Where a hand-off waits, from the next step's execution row (same
	// machine, one clock): made (created_at) after the previous response,
	// claimed (claimed_at) after made, and at the sink after claimed.
	MadeP50    float64 `json:"made_after_response_p50_ms"`
	MadeP99    float64 `json:"made_after_response_p99_ms"`
	ClaimedP50 float64 `json:"claimed_after_made_p50_ms"`
	ClaimedP99 float64 `json:"claimed_after_made_p99_ms"`
	SentP50    float64 `json:"arrived_after_claimed_p50_ms"`
	SentP99    float64 `json:"arrived_after_claimed_p99_ms"`
	// RunsPerSecond is runs over the time from the first step's first
	// arrival to the last step's last response.
	RunsPerSecond float64 `json:"runs_per_second"`
}

// benchWorkflowSteps is the measured workflow: a, then b and c (both need
// a, and use its status in their bodies), then d (needs both: a join).
func benchWorkflowSteps(sk *sink.Sink) prikke.WorkflowDefinition {
	step := func(key, body string, needs ...string) prikke.Step {
		return prikke.Step{Key: key, Method: "POST", URL: sk.URL("/ok?s=" + key), Body: body,
			Headers: []prikke.Header{{Name: "Content-Type", Value: "application/json"}}, TimeoutMS: prikke.MaxTimeoutMS, Needs: needs}
	}
	steps := []prikke.Step{
		step("a", `{"run":"{{run.id}}"}`), // no needs: it starts with the run
		step("b", `{"a":{{steps.a.status}}}`, "a"),
		step("c", `{"a":{{steps.a.status}}}`, "a"),
		step("d", `{"b":{{steps.b.status}},"c":{{steps.c.status}}}`, "b", "c"),
	}
	steps[0].Needs = []string{}
	return prikke.WorkflowDefinition{Steps: steps}
}

// benchWorkflow measures workflow hand-offs: runs runs of a 4-step
// workflow with a join (benchWorkflowSteps), all started (first steps
// due) before the engine starts, so they go through it at once. The
// sink records each step's arrival and when it answered; a hand-off is
// the next step's arrival minus the answer to the last step it needs.
func benchWorkflow(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, runs int, sk *sink.Sink, res *benchResult) error {
	def := benchWorkflowSteps(sk)
	wf := &WorkflowFigures{Runs: runs, Steps: len(def.Steps)}
	res.WorkflowFigures = wf
	res.Jobs = runs * len(def.Steps)

	now := time.Now().UTC()
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: tn.project, OrganizationID: tn.org, Name: "bench", Definition: def,
		Health: prikke.JobHealthy, CreatedAt: now, UpdatedAt: now}
	if err := st.WorkflowCreate(ctx, w); err != nil {
		return fmt.Errorf("creating the workflow: %w", err)
	}
	start := time.Now()
	if err := startRuns(ctx, st, w.ID, runs); err != nil {
		return fmt.Errorf("starting runs: %w", err)
	}
	wf.StartMS = int(time.Since(start).Milliseconds())

	eng := newEngine(cfg, st, metrics.New(), logger, time.Now, 0)
	eng.start(ctx)
	defer eng.stop()

	deadline := time.Now().Add(2*time.Minute + time.Duration(runs)*10*time.Millisecond)
	if err := waitRuns(ctx, st, sk, tn.project, runs, len(def.Steps), deadline, logger); err != nil {
		return err
	}
	return tallyWorkflow(ctx, st, tn, def, sk.Requests(), wf, res)
}

// startRuns starts n runs of the workflow, 8 at a time, as the API would
// (each its own transaction with its own idempotency key).
func startRuns(ctx context.Context, st store.Store, id prikke.ID, n int) error {
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
				if _, _, err := st.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: id, Trigger: prikke.RunTriggerAPI,
					Payload: []byte(fmt.Sprintf(`{"i":%d}`, i)), IdempotencyKey: fmt.Sprintf("bench-%d", i)}); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// waitRuns waits until the sink has seen every step of every run and no
// run of the project is running, or the deadline.
func waitRuns(ctx context.Context, st store.Store, sk *sink.Sink, project prikke.ID, runs, steps int, deadline time.Time, logger *slog.Logger) error {
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	_ = sk.WaitCount(wctx, runs*steps)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		rs, err := st.WorkflowRunList(ctx, store.RunFilter{ProjectID: &project, Status: []prikke.RunStatus{prikke.RunStatusRunning}, Limit: 1})
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wctx.Done():
			logger.Warn("runs still running at the deadline", "arrived", sk.Count(), "want", runs*steps)
			return nil
		case <-tick.C:
		}
	}
}

// stepArrival is what the sink saw of one step of one run.
type stepArrival struct {
	first sink.Received // the first request
	sent  time.Time     // the first answer to it (zero: none answered)
	count int
}

// arrivalsByKey groups the sink's requests by Idempotency-Key
// ("<run>.<step>").
func arrivalsByKey(reqs []sink.Received) map[string]*stepArrival {
	out := make(map[string]*stepArrival, len(reqs))
	for _, r := range reqs {
		if r.IdempotencyKey == "" {
			continue
		}
		a := out[r.IdempotencyKey]
		if a == nil {
			a = &stepArrival{first: r}
			out[r.IdempotencyKey] = a
		}
		if r.At.Before(a.first.At) {
			a.first = r
		}
		if !r.Sent.IsZero() && (a.sent.IsZero() || r.Sent.Before(a.sent)) {
			a.sent = r.Sent
		}
		a.count++
	}
	return out
}

// tallyWorkflow fills the figures from the sink's requests, the runs and
// the step executions.
func tallyWorkflow(ctx context.Context, st store.Store, tn *benchTenantIDs, def prikke.WorkflowDefinition, reqs []sink.Received, wf *WorkflowFigures, res *benchResult) error {
	wf.Requests = len(reqs)
	byKey := arrivalsByKey(reqs)
	var runIDs []prikke.ID
	var before time.Time
	var beforeID prikke.ID
	for {
		rs, err := st.WorkflowRunList(ctx, store.RunFilter{ProjectID: &tn.project, Limit: 500, BeforeCreatedAt: before, BeforeID: beforeID})
		if err != nil {
			return err
		}
		for _, r := range rs {
			runIDs = append(runIDs, r.ID)
			if r.Status == prikke.RunStatusSucceeded {
				wf.Succeeded++
			}
		}
		if len(rs) < 500 {
			break
		}
		before, beforeID = rs[len(rs)-1].CreatedAt, rs[len(rs)-1].ID
	}
	wf.RunsTotal = len(runIDs)
	wf.NotDone = wf.Runs - wf.Succeeded

	execs, err := orgExecutions(ctx, st, tn.org)
	if err != nil {
		return err
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var handoff, join, made, claimed, arrived []float64
	var first, last time.Time
	for _, id := range runIDs {
		for _, s := range def.Steps {
			a := byKey[id.String()+"."+s.Key]
			if a == nil {
				continue
			}
			res.Delivered++
			res.Duplicates += a.count - 1
			if first.IsZero() || a.first.At.Before(first) {
				first = a.first.At
			}
			if a.sent.After(last) {
				last = a.sent
			}
			var ready time.Time // the last answer to a step it needs
			missing := len(s.Needs) == 0
			for _, need := range s.Needs {
				n := byKey[id.String()+"."+need]
				if n == nil || n.sent.IsZero() {
					missing = true
					break
				}
				if n.sent.After(ready) {
					ready = n.sent
				}
			}
			if missing {
				continue
			}
			h := ms(a.first.At.Sub(ready))
			handoff = append(handoff, h)
			if len(s.Needs) > 1 {
				join = append(join, h)
			}
			if e := execs[a.first.ExecutionID]; e != nil {
				made = append(made, ms(e.CreatedAt.Sub(ready)))
				if e.ClaimedAt != nil {
					claimed = append(claimed, ms(e.ClaimedAt.Sub(e.CreatedAt)))
					arrived = append(arrived, ms(a.first.At.Sub(*e.ClaimedAt)))
				}
			}
		}
	}
	res.Lost = res.Jobs - res.Delivered
	for _, xs := range [][]float64{handoff, join, made, claimed, arrived} {
		slices.Sort(xs)
	}
	wf.Handoffs = len(handoff)
	wf.HandoffP50, wf.HandoffP99, wf.HandoffMax = percentile(handoff, 50), percentile(handoff, 99), percentile(handoff, 100)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = wf.HandoffP50, wf.HandoffP99, wf.HandoffMax
	wf.JoinP99 = percentile(join, 99)
	wf.MadeP50, wf.MadeP99 = percentile(made, 50), percentile(made, 99)
	wf.ClaimedP50, wf.ClaimedP99 = percentile(claimed, 50), percentile(claimed, 99)
	wf.SentP50, wf.SentP99 = percentile(arrived, 50), percentile(arrived, 99)
	if d := last.Sub(first); d > 0 {
		wf.RunsPerSecond = math.Round(float64(wf.Succeeded)/d.Seconds()*10) / 10
		res.PerSecond = math.Round(float64(res.Delivered)/d.Seconds()*10) / 10
		res.SecondsToLast = math.Round(d.Seconds()*1000) / 1000
	}
	return nil
}

// orgExecutions returns an organization's executions by id.
func orgExecutions(ctx context.Context, st store.Store, org prikke.ID) (map[string]*prikke.Execution, error) {
	out := map[string]*prikke.Execution{}
	var before time.Time
	var beforeID prikke.ID
	for {
		es, err := st.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &org, Limit: 1000, BeforeCreatedAt: before, BeforeID: beforeID})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out[e.ID.String()] = e
		}
		if len(es) < 1000 {
			return out, nil
		}
		before, beforeID = es[len(es)-1].CreatedAt, es[len(es)-1].ID
	}
}
