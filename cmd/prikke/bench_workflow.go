package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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
	Runs      int `json:"runs"`       // runs started
	RespondMS int `json:"respond_ms"` // the sink's mean answer time per step
	// The per-node caps the run had (bench raises them to 2 × runs unless
	// PRIKKE_ORG_IN_FLIGHT, PRIKKE_HOST_IN_FLIGHT or PRIKKE_WORKERS_MAX
	// set them: one tenant's runs on one host would otherwise queue
	// behind the fairness caps, which is not the hand-off).
	OrgInFlight  int `json:"org_in_flight"`
	HostInFlight int `json:"host_in_flight"`
	// MaxInFlight is the most runs in flight at once at the sink: from
	// their first step's arrival to their last step's answer.
	MaxInFlight int `json:"runs_in_flight_max"`
	Steps       int `json:"steps"`      // steps per run
	Succeeded   int `json:"succeeded"`  // runs that ended succeeded
	NotDone     int `json:"not_done"`   // runs not succeeded at the deadline
	Handoffs    int `json:"handoffs"`   // hand-offs measured (one per step with needs, per run)
	StartMS     int `json:"start_ms"`   // how long starting the runs took (before the engine started)
	Requests    int `json:"requests"`   // arrivals at the sink, duplicates included
	RunsTotal   int `json:"runs_total"` // runs found in the store
	// Hand-off: a step's first request at the sink minus the sink's
	// response to the last of the steps it needs (sink.Received.Sent).
	HandoffP50 float64 `json:"handoff_p50_ms"`
	HandoffP99 float64 `json:"handoff_p99_ms"`
	HandoffMax float64 `json:"handoff_max_ms"`
	// The join alone (d needs b and c).
	JoinP99 float64 `json:"join_handoff_p99_ms"`
	// Where a hand-off waits: the previous step's result stored (the
	// completion's event, published on commit) after the sink answered
	// it (the worker's batching and the transition's transaction); then
	// the next step at the sink after that (wake-up, claim, start, send).
	StoredP50  float64 `json:"stored_after_response_p50_ms"`
	StoredP99  float64 `json:"stored_after_response_p99_ms"`
	ArrivedP50 float64 `json:"arrived_after_stored_p50_ms"`
	ArrivedP99 float64 `json:"arrived_after_stored_p99_ms"`
	// RunsPerSecond is runs over the time from the first step's first
	// arrival to the last step's last response.
	RunsPerSecond float64 `json:"runs_per_second"`
}

// workflowBench is what --mode workflow measures.
type workflowBench struct {
	runs int
	// respond is the sink's mean answer time per step: each request
	// takes between half of it and one and a half times it (the run's
	// payload says how long, per step), so runs started together drift
	// apart as real ones do.
	respond time.Duration
}

// benchWorkflowSteps is the measured workflow: a, then b and c (both need
// a, and use its status in their bodies), then d (needs both: a join).
// Each step's URL takes its answer time from the run's payload.
func benchWorkflowSteps(sk *sink.Sink) prikke.WorkflowDefinition {
	step := func(key, body string, needs ...string) prikke.Step {
		return prikke.Step{Key: key, Method: "POST", URL: sk.URL("/slow?s=" + key + "&ms={{payload.ms." + key + "}}"), Body: body,
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

// benchWorkflow measures workflow hand-offs: wb.runs runs of a 4-step
// workflow with a join (benchWorkflowSteps), all started (their first
// steps due) before the engine starts, so they are in flight together;
// their answer times then spread their hand-offs out. The sink records
// each step's arrival and when it answered; a hand-off is the next
// step's arrival minus the answer to the last step it needs.
func benchWorkflow(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, tn *benchTenantIDs, wb workflowBench, sk *sink.Sink, res *benchResult) error {
	runs := wb.runs
	def := benchWorkflowSteps(sk)
	wf := &WorkflowFigures{Runs: runs, Steps: len(def.Steps), RespondMS: int(wb.respond.Milliseconds()),
		OrgInFlight: cfg.OrgInFlight, HostInFlight: cfg.HostInFlight}
	res.WorkflowFigures = wf
	res.Jobs = runs * len(def.Steps)

	now := time.Now().UTC()
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: tn.project, OrganizationID: tn.org, Name: "bench", Definition: def,
		Health: prikke.JobHealthy, CreatedAt: now, UpdatedAt: now}
	if err := st.WorkflowCreate(ctx, w); err != nil {
		return fmt.Errorf("creating the workflow: %w", err)
	}

	// When each execution's result was stored: the last event naming it
	// (a completion is the last change of an execution).
	events := st.Subscribe(store.TopicExecutions)
	defer events.Close()
	var mu sync.Mutex
	stored := map[string]time.Time{}
	go func() {
		for ev := range events.C {
			at := time.Now()
			mu.Lock()
			for line := range strings.Lines(ev.Payload) {
				if f := strings.Fields(line); len(f) == 2 {
					stored[f[1]] = at
				}
			}
			mu.Unlock()
		}
	}()

	start := time.Now()
	if err := startRuns(ctx, st, w.ID, def, wb); err != nil {
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
	mu.Lock()
	defer mu.Unlock()
	return tallyWorkflow(ctx, st, tn, def, sk.Requests(), stored, wf, res)
}

// startRuns starts the runs of the workflow, 8 at a time, as the API
// would (each its own transaction with its own idempotency key), each
// with its steps' answer times in its payload.
func startRuns(ctx context.Context, st store.Store, id prikke.ID, def prikke.WorkflowDefinition, wb workflowBench) error {
	n := wb.runs
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
				ms := map[string]int64{}
				for _, s := range def.Steps {
					ms[s.Key] = (wb.respond/2 + rand.N(wb.respond+1)).Milliseconds()
				}
				payload, _ := json.Marshal(map[string]any{"i": i, "ms": ms})
				if _, _, err := st.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: id, Trigger: prikke.RunTriggerAPI,
					Payload: payload, IdempotencyKey: fmt.Sprintf("bench-%d", i)}); err != nil {
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
	exec  string        // the execution that answer was to
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
			a.sent, a.exec = r.Sent, r.ExecutionID
		}
		a.count++
	}
	return out
}

// tallyWorkflow fills the figures from the sink's requests, the runs and
// the step executions.
func tallyWorkflow(ctx context.Context, st store.Store, tn *benchTenantIDs, def prikke.WorkflowDefinition, reqs []sink.Received, stored map[string]time.Time, wf *WorkflowFigures, res *benchResult) error {
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

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var handoff, join, stores, arrived []float64
	var first, last time.Time
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for _, id := range runIDs {
		var runFirst, runLast time.Time
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
			if runFirst.IsZero() || a.first.At.Before(runFirst) {
				runFirst = a.first.At
			}
			if a.sent.After(runLast) {
				runLast = a.sent
			}
			var ready time.Time // the last answer to a step it needs
			var readyExec string
			missing := len(s.Needs) == 0
			for _, need := range s.Needs {
				n := byKey[id.String()+"."+need]
				if n == nil || n.sent.IsZero() {
					missing = true
					break
				}
				if n.sent.After(ready) {
					ready, readyExec = n.sent, n.exec
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
			if at, ok := stored[readyExec]; ok {
				stores = append(stores, ms(at.Sub(ready)))
				arrived = append(arrived, ms(a.first.At.Sub(at)))
			}
		}
		if !runFirst.IsZero() && !runLast.IsZero() {
			edges = append(edges, edge{runFirst, 1}, edge{runLast, -1})
		}
	}
	slices.SortFunc(edges, func(a, b edge) int { return a.at.Compare(b.at) })
	inFlight := 0
	for _, e := range edges {
		inFlight += e.d
		wf.MaxInFlight = max(wf.MaxInFlight, inFlight)
	}
	res.Lost = res.Jobs - res.Delivered
	for _, xs := range [][]float64{handoff, join, stores, arrived} {
		slices.Sort(xs)
	}
	wf.Handoffs = len(handoff)
	wf.HandoffP50, wf.HandoffP99, wf.HandoffMax = percentile(handoff, 50), percentile(handoff, 99), percentile(handoff, 100)
	res.LatenessP50, res.LatenessP99, res.LatenessMax = wf.HandoffP50, wf.HandoffP99, wf.HandoffMax
	wf.JoinP99 = percentile(join, 99)
	wf.StoredP50, wf.StoredP99 = percentile(stores, 50), percentile(stores, 99)
	wf.ArrivedP50, wf.ArrivedP99 = percentile(arrived, 50), percentile(arrived, 99)
	if d := last.Sub(first); d > 0 {
		wf.RunsPerSecond = math.Round(float64(wf.Succeeded)/d.Seconds()*10) / 10
		res.PerSecond = math.Round(float64(res.Delivered)/d.Seconds()*10) / 10
		res.SecondsToLast = math.Round(d.Seconds()*1000) / 1000
	}
	return nil
}
