package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/workflow"
)

// The run transitions. Each is one transaction that locks the run's row
// (PostgreSQL FOR UPDATE; SQLite's single writer), loads the run, its
// version's definition, every step row and the organization's tier, calls
// internal/workflow's planner, and writes the Plan: step rows, hidden
// step jobs with their first executions (through the store's own insert,
// ExecutionWriter), deletes of pending executions, the run's status and,
// when the run finishes, the workflow's last run, health and flip. A step
// row is only finished where it is still scheduled with the job whose
// attempt finished, so each transition happens once whatever retries,
// rescues and repairs race.

// ExecutionWriter is a store's own insert of new executions (flow tags,
// queue rows, the wake-up of workers on commit), which the transitions
// use for the first attempts of the steps they start. Both stores'
// dialects implement it.
type ExecutionWriter interface {
	WriteExecutions(ctx context.Context, tx Tx, es []*prikke.Execution) error
}

func (r *Records) writeExecutions(ctx context.Context, tx Tx, es []*prikke.Execution) error {
	if len(es) == 0 {
		return nil
	}
	w, ok := r.d.(ExecutionWriter)
	if !ok {
		return fmt.Errorf("%s: the dialect cannot write executions", r.d.Name())
	}
	return w.WriteExecutions(ctx, tx, es)
}

// isNotFound reports whether a driver error means no row.
func (r *Records) isNotFound(err error) bool {
	return prikke.ErrorCode(Translate(err, r.d.Err)) == prikke.ENOTFOUND
}

// lockRuns reads runs with what the planner needs of them (their
// workflow's name, their version's definition, every step row, the
// organization's tier), locking their rows, in ID order, until the
// transaction ends: concurrent transitions of overlapping runs queue
// behind each other and never deadlock. A run that does not exist is left
// out. Each state's Now is now.
func (r *Records) lockRuns(ctx context.Context, tx Tx, ids []prikke.ID, now time.Time) ([]*workflow.RunState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, "SELECT "+runColumns+`, v.definition, o.tier`+runFrom+`
		JOIN workflow_versions v ON v.workflow_id = r.workflow_id AND v.version = r.version
		JOIN organizations o ON o.id = r.organization_id
		WHERE `+r.d.AnyOf("r.id", "$1")+" ORDER BY r.id "+r.d.ForUpdateOf("r", false), r.d.List(ids))
	if err != nil {
		return nil, err
	}
	var sts []*workflow.RunState
	byID := map[prikke.ID]*workflow.RunState{}
	for rows.Next() {
		st := &workflow.RunState{Def: &prikke.WorkflowDefinition{}, Steps: []*prikke.RunStep{}, Now: now}
		var extra = []any{r.d.ScanJSON(st.Def), &st.Tier}
		run, err := r.scanRun(rowWith{rows, extra})
		if err != nil {
			rows.Close()
			return nil, err
		}
		run.Definition, st.Run = st.Def, run
		sts = append(sts, st)
		byID[run.ID] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, nil
	}
	locked := make([]prikke.ID, len(sts))
	for i, st := range sts {
		locked[i] = st.Run.ID
	}
	srows, err := tx.Query(ctx, "SELECT "+stepColumns+" FROM workflow_run_steps WHERE "+r.d.AnyOf("run_id", "$1"), r.d.List(locked))
	if err != nil {
		return nil, err
	}
	for srows.Next() {
		step, err := r.scanStep(srows)
		if err != nil {
			srows.Close()
			return nil, err
		}
		if st := byID[step.RunID]; st != nil {
			st.Steps = append(st.Steps, step)
		}
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return nil, err
	}
	for _, st := range sts {
		sortSteps(st.Steps, st.Def)
	}
	return sts, nil
}

// rowWith scans a row into dest followed by extra destinations.
type rowWith struct {
	row   Row
	extra []any
}

func (w rowWith) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }

// lockRun is lockRuns of one run: ENOTFOUND when there is none.
func (r *Records) lockRun(ctx context.Context, tx Tx, id prikke.ID, now time.Time) (*workflow.RunState, error) {
	sts, err := r.lockRuns(ctx, tx, []prikke.ID{id}, now)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, notFound()
	}
	return sts[0], nil
}

var upsertStepSQL = "INSERT INTO workflow_run_steps (" + stepColumns + ") VALUES (" + placeholders(1, 17) + `)
	ON CONFLICT (run_id, step_key, item) DO UPDATE SET ` + excludedSet(stepColumns, 3)

// excludedSet returns "c = EXCLUDED.c, …" for the columns after the
// first skip ones.
func excludedSet(columns string, skip int) string {
	cols := columnList(columns)[skip:]
	for i, c := range cols {
		cols[i] = c + " = EXCLUDED." + c
	}
	return strings.Join(cols, ", ")
}

// applyPlan writes one plan (see applyPlans).
func (r *Records) applyPlan(ctx context.Context, tx Tx, st *workflow.RunState, p *workflow.Plan) error {
	return r.applyPlans(ctx, tx, []*workflow.RunState{st}, []*workflow.Plan{p}, nil)
}

// applyPlans writes the plans of locked runs (plans[i] is sts[i]'s; nil
// or empty ones change nothing), after the step rows in rows (stepArgs,
// e.g. rows the caller finished itself), and updates each st.Run in
// memory as its row now reads. Each kind of write is one batch for all
// runs: one round trip on PostgreSQL however many runs a completion batch
// moved.
func (r *Records) applyPlans(ctx context.Context, tx Tx, sts []*workflow.RunState, plans []*workflow.Plan, rows [][]any) error {
	var deletes, jobs, runs [][]any
	var es []*prikke.Execution
	var pending []prikke.ID
	var finished []*prikke.WorkflowRun
	for i, st := range sts {
		p, run := plans[i], st.Run
		if p == nil || p.Empty() {
			continue
		}
		for _, d := range p.Delete {
			deletes = append(deletes, []any{run.ID, d.Key, d.Item})
		}
		for _, s := range p.Steps {
			s.RunID = run.ID
			rows = append(rows, r.stepArgs(s))
		}
		for _, s := range p.Starts {
			jobs = append(jobs, insertJobArgs(r.d, s.Job))
			es = append(es, s.Execution)
		}
		pending = append(pending, p.DeletePending...)
		run.UpdatedAt = st.Now
		if p.Status != "" {
			run.Status, run.Error, run.FinishedAt = p.Status, p.Error, p.FinishedAt
			if !p.Status.Terminal() {
				run.Error, run.FinishedAt = "", nil
			} else if run.FinishedAt == nil {
				at := st.Now
				run.FinishedAt = &at
			}
			if p.Status.Terminal() {
				finished = append(finished, run)
			}
		}
		runs = append(runs, []any{run.ID, run.Status, run.Error, r.d.TimePtr(run.FinishedAt), r.d.Time(run.UpdatedAt)})
	}
	if len(deletes) > 0 {
		if err := tx.ExecBatch(ctx, "DELETE FROM workflow_run_steps WHERE run_id = $1 AND step_key = $2 AND item = $3", deletes); err != nil {
			return err
		}
	}
	if err := r.upsertSteps(ctx, tx, rows); err != nil {
		return err
	}
	if len(jobs) > 0 {
		if err := tx.InsertRows(ctx, "jobs", insertJobColumns, jobs); err != nil {
			return err
		}
		if err := r.writeExecutions(ctx, tx, es); err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE status = 'pending' AND "+r.d.AnyOf("job_id", "$1"),
			r.d.List(pending)); err != nil {
			return err
		}
	}
	if err := tx.UpdateRows(ctx, "workflow_runs", runUpdateColumns, runUpdateTypes, runs); err != nil {
		return err
	}
	return r.finishWorkflows(ctx, tx, finished)
}

var (
	// insertJobColumns are insertJobSQL's, in insertJobArgs' order.
	insertJobColumns = columnList(`id, project_id, organization_id, kind, name, url, method, headers, body,
		timeout_ms, retry_attempts, enabled, cron_expression, schedule_interval, time_zone, run_at,
		catch_up, catch_up_window_s, overlap, interval_minutes, notify_mode, next_run_at, health,
		consecutive_failures, disabled_reason, idempotency_key, created_at, updated_at, alert_policy, flow_key,
		workflow_id, run_id, step, pause_reason, expect`)
	runUpdateColumns = []string{"id", "status", "error", "finished_at", "updated_at"}
	runUpdateTypes   = []string{"uuid", "text", "text", "timestamptz", "timestamptz"}
)

// upsertSteps writes step rows (stepArgs) whole, the last of each (run,
// key, item) winning, in multi-row statements.
func (r *Records) upsertSteps(ctx context.Context, tx Tx, rows [][]any) error {
	type key struct {
		run  any
		key  any
		item any
	}
	last := map[key]int{}
	for i, row := range rows {
		last[key{row[0], row[1], row[2]}] = i
	}
	var uniq [][]any
	for i, row := range rows {
		if last[key{row[0], row[1], row[2]}] == i {
			uniq = append(uniq, row)
		}
	}
	const width = 17
	// SQLite looks each $N up in a list while parsing (quadratic in the
	// parameters: at 500 rows × 17 it was a third of the CPU of a burst of
	// transitions, with the parser): it gets 50 rows a statement.
	// PostgreSQL takes the batch in one round trip.
	size := 500
	if r.d.Name() == "sqlitestore" {
		size = 50
	}
	for chunk := range slices.Chunk(uniq, size) {
		values := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*width)
		for i, row := range chunk {
			values[i] = "(" + placeholders(i*width+1, width) + ")"
			args = append(args, row...)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO workflow_run_steps ("+stepColumns+") VALUES "+strings.Join(values, ", ")+
			" ON CONFLICT (run_id, step_key, item) DO UPDATE SET "+excludedSet(stepColumns, 3), args...); err != nil {
			return err
		}
	}
	return nil
}

// finishWorkflows records finished runs on their workflows: the last
// run, and the health, which a failed run flips to failing and a
// succeeded run back to healthy, each flip written for the notifier (a
// cancelled run moves neither). The workflows are locked in ID order, as
// runs are: two batches never wait on each other in opposite orders.
func (r *Records) finishWorkflows(ctx context.Context, tx Tx, runs []*prikke.WorkflowRun) error {
	if len(runs) == 0 {
		return nil
	}
	byWorkflow := map[prikke.ID][]*prikke.WorkflowRun{}
	var ids []prikke.ID
	for _, run := range runs {
		if _, ok := byWorkflow[run.WorkflowID]; !ok {
			ids = append(ids, run.WorkflowID)
		}
		byWorkflow[run.WorkflowID] = append(byWorkflow[run.WorkflowID], run)
	}
	slices.SortFunc(ids, func(a, b prikke.ID) int { return strings.Compare(a.String(), b.String()) })
	rows, err := tx.Query(ctx, "SELECT id, health, consecutive_failures FROM workflows WHERE "+r.d.AnyOf("id", "$1")+
		" ORDER BY id "+r.d.ForUpdate(), r.d.List(ids))
	if err != nil {
		return err
	}
	type state struct {
		health   prikke.JobHealth
		failures int
	}
	states := map[prikke.ID]*state{}
	for rows.Next() {
		var id prikke.ID
		var st state
		if err := rows.Scan(&id, &st.health, &st.failures); err != nil {
			rows.Close()
			return err
		}
		states[id] = &st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var updates, flips [][]any
	for _, id := range ids {
		st := states[id]
		if st == nil {
			continue
		}
		wruns := byWorkflow[id]
		slices.SortStableFunc(wruns, func(a, b *prikke.WorkflowRun) int { return a.FinishedAt.Compare(*b.FinishedAt) })
		for _, run := range wruns {
			var event prikke.NotificationEvent
			switch run.Status {
			case prikke.RunStatusFailed:
				if st.health != prikke.JobFailing {
					event = prikke.EventWorkflowFailing
				}
				st.health, st.failures = prikke.JobFailing, st.failures+1
			case prikke.RunStatusSucceeded:
				if st.health == prikke.JobFailing {
					event = prikke.EventWorkflowRecovered
				}
				st.health, st.failures = prikke.JobHealthy, 0
			}
			if event != "" {
				flips = append(flips, []any{prikke.NewID(), id, run.ProjectID, run.ID, string(event), r.d.TimePtr(run.FinishedAt), nil})
			}
		}
		last := wruns[len(wruns)-1]
		updates = append(updates, []any{id, r.d.TimePtr(last.FinishedAt), string(last.Status), string(st.health), st.failures})
	}
	if err := tx.UpdateRows(ctx, "workflows", []string{"id", "last_run_at", "last_run_status", "health", "consecutive_failures"},
		[]string{"uuid", "timestamptz", "text", "text", "integer"}, updates); err != nil {
		return err
	}
	if len(flips) == 0 {
		return nil
	}
	if err := tx.InsertRows(ctx, "workflow_flips", columnList(workflowFlipColumns), flips); err != nil {
		return err
	}
	return tx.Notify(ctx, store.TopicFlips, "")
}

// WorkflowRunStart implements store.Store. A second start with the same
// idempotency key, even a concurrent one (the unique index decides),
// returns the first run.
func (r *Records) WorkflowRunStart(ctx context.Context, p *store.RunStart) (*prikke.WorkflowRun, bool, error) {
	var run *prikke.WorkflowRun
	created := false
	err := r.inTx(ctx, "start workflow run", func(tx Tx) error {
		created = false
		if p.IdempotencyKey != "" {
			prev, err := r.scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+runFrom+" WHERE r.workflow_id = $1 AND r.idempotency_key = $2",
				p.WorkflowID, p.IdempotencyKey))
			if err == nil {
				run = prev
				return nil
			}
			if !r.isNotFound(err) {
				return err
			}
		}
		w, err := r.scanWorkflow(tx.QueryRow(ctx, "SELECT "+workflowColumns+workflowFrom+" WHERE w.id = $1", p.WorkflowID))
		if err != nil {
			return err
		}
		now, err := r.clock(ctx, tx, p.Now)
		if err != nil {
			return err
		}
		run = &prikke.WorkflowRun{
			ID: prikke.NewID(), WorkflowID: w.ID, ProjectID: w.ProjectID, OrganizationID: w.OrganizationID,
			Version: w.Version, WorkflowName: w.Name, Status: prikke.RunStatusRunning, Trigger: p.Trigger, JobID: p.JobID,
			Payload: json.RawMessage(p.Payload), IdempotencyKey: p.IdempotencyKey, ScheduledFor: p.ScheduledFor.UTC(),
			CreatedAt: now, UpdatedAt: now,
		}
		if run.Trigger == "" {
			run.Trigger = prikke.RunTriggerAPI
		}
		if len(run.Payload) == 0 {
			run.Payload = json.RawMessage("null")
		}
		if p.ScheduledFor.IsZero() {
			run.ScheduledFor = now
		}
		if _, err := tx.Exec(ctx, `INSERT INTO workflow_runs (id, workflow_id, project_id, organization_id, version, status,
				trigger_kind, job_id, payload, idempotency_key, scheduled_for, error, created_at, finished_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12, NULL, $12)`,
			run.ID, run.WorkflowID, run.ProjectID, run.OrganizationID, run.Version, run.Status, run.Trigger, r.d.IDPtr(run.JobID),
			r.d.JSON(run.Payload), nullString(run.IdempotencyKey), r.d.Time(run.ScheduledFor), r.d.Time(now)); err != nil {
			return err
		}
		st, err := r.lockRun(ctx, tx, run.ID, now)
		if err != nil {
			return err
		}
		run, created = st.Run, true
		return r.applyPlan(ctx, tx, st, workflow.StartRun(st))
	})
	if err != nil && p.IdempotencyKey != "" && prikke.ErrorCode(err) == prikke.ECONFLICT {
		// A concurrent start with the same key won: return its run.
		prev, gerr := one(ctx, r, "start workflow run", r.scanRun, "SELECT "+runColumns+runFrom+" WHERE r.workflow_id = $1 AND r.idempotency_key = $2",
			p.WorkflowID, p.IdempotencyKey)
		if gerr != nil {
			return nil, false, err
		}
		return prev, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return run, created, nil
}

// transition runs one planned transition of run id in a transaction: plan
// is called with the locked run's state and returns the plan to write.
func (r *Records) transition(ctx context.Context, op string, id prikke.ID, now time.Time, plan func(st *workflow.RunState) (*workflow.Plan, error)) (*prikke.WorkflowRun, error) {
	var run *prikke.WorkflowRun
	err := r.inTx(ctx, op, func(tx Tx) error {
		at, err := r.clock(ctx, tx, now)
		if err != nil {
			return err
		}
		st, err := r.lockRun(ctx, tx, id, at)
		if err != nil {
			return err
		}
		run = st.Run
		p, err := plan(st)
		if err != nil {
			return err
		}
		return r.applyPlan(ctx, tx, st, p)
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// WorkflowRunCancel implements store.Store.
func (r *Records) WorkflowRunCancel(ctx context.Context, id prikke.ID, now time.Time) (*prikke.WorkflowRun, error) {
	return r.transition(ctx, "cancel workflow run", id, now, func(st *workflow.RunState) (*workflow.Plan, error) {
		if st.Run.Status != prikke.RunStatusRunning {
			return nil, prikke.Errorf(prikke.ECONFLICT, "The run has finished (%s); only a running run can be cancelled.", st.Run.Status)
		}
		return workflow.Cancel(st, ""), nil
	})
}

// WorkflowRunRetry implements store.Store.
func (r *Records) WorkflowRunRetry(ctx context.Context, id prikke.ID, from string, now time.Time) (*prikke.WorkflowRun, error) {
	return r.transition(ctx, "retry workflow run", id, now, func(st *workflow.RunState) (*workflow.Plan, error) {
		if st.Run.Status != prikke.RunStatusFailed && st.Run.Status != prikke.RunStatusCancelled {
			return nil, prikke.Errorf(prikke.ECONFLICT, "The run is %s; only a failed or cancelled run can be retried.", st.Run.Status)
		}
		return workflow.RetryFrom(st, from)
	})
}

// StepReason says why a step's last attempt failed: its error, or the
// HTTP status it answered.
func StepReason(status prikke.ExecutionStatus, errText string, httpStatus int) string {
	switch {
	case errText != "":
		return errText
	case httpStatus != 0:
		return "HTTP " + strconv.Itoa(httpStatus)
	}
	return string(status)
}

// capOutput keeps at most prikke.MaxStepOutputBytes of a response body.
func capOutput(body []byte, truncated bool) ([]byte, bool) {
	if len(body) > prikke.MaxStepOutputBytes {
		return body[:prikke.MaxStepOutputBytes], true
	}
	return body, truncated
}

// WorkflowStepsComplete records, inside a store's completion transaction
// tx, the applied completions of workflow steps' attempts (c.Step set),
// each on its step row if the row is still scheduled with the attempt's
// job (the fence). An attempt to be retried leaves the step scheduled; a
// last attempt (no Retry, or Gone) finishes it (workflow.Finish), and its
// run advances, at the latest FinishedAt of the run's last attempts. The
// runs are locked in ID order (concurrent batches never deadlock) and read
// and written in a few statements for the whole batch. A retry inserted
// for an attempt whose step no longer waits on it (the run was cancelled
// meanwhile) is deleted: it starts nothing.
func (r *Records) WorkflowStepsComplete(ctx context.Context, tx Tx, cs []*store.Completion) error {
	byRun := map[prikke.ID][]*store.Completion{}
	var ids []prikke.ID
	for _, c := range cs {
		if c.Step == nil {
			continue
		}
		id := c.Step.RunID
		if _, ok := byRun[id]; !ok {
			ids = append(ids, id)
		}
		byRun[id] = append(byRun[id], c)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.SortFunc(ids, func(a, b prikke.ID) int { return strings.Compare(a.String(), b.String()) })
	sts, err := r.lockRuns(ctx, tx, ids, time.Time{})
	if err != nil {
		return err
	}
	var rows [][]any
	var dropped []prikke.ID
	var moved []*workflow.RunState
	for _, st := range sts {
		steps := make(map[workflow.StepRef]*prikke.RunStep, len(st.Steps))
		for _, s := range st.Steps {
			steps[workflow.StepRef{Key: s.Key, Item: s.Item}] = s
		}
		// In the order they finished, so the last attempt's outputs stay.
		runCs := slices.Clone(byRun[st.Run.ID])
		slices.SortStableFunc(runCs, func(a, b *store.Completion) int { return a.FinishedAt.Compare(b.FinishedAt) })
		finished := false
		for _, c := range runCs {
			row := steps[workflow.StepRef{Key: c.Step.Key, Item: c.Step.Item}]
			if row == nil || row.Status != prikke.StepStatusScheduled || row.JobID == nil || *row.JobID != c.JobID {
				// Fenced out: finished already, cancelled, or retried from
				// elsewhere; a retry of it starts nothing.
				if c.Retry != nil {
					dropped = append(dropped, c.Retry.ID)
				}
				continue
			}
			if c.Retry == nil || c.Gone {
				workflow.Finish(row, attemptOf(c), c.FinishedAt.UTC())
				finished = true
				if c.FinishedAt.UTC().After(st.Now) {
					st.Now = c.FinishedAt.UTC()
				}
			} else {
				// To be retried: the row shows the attempt, the step stays
				// scheduled.
				if row.StartedAt == nil {
					started := c.StartedAt.UTC()
					row.StartedAt = &started
				}
				row.Attempts, row.ResponseStatus, row.ResponseHeaders = c.Attempt, c.ResponseStatus, c.ResponseHeaders
				row.ResponseBody, row.ResponseTruncated = capOutput(c.ResponseBody, c.ResponseTruncated)
				row.DurationMS = c.DurationMS
			}
			rows = append(rows, r.stepArgs(row))
		}
		if finished && st.Run.Status == prikke.RunStatusRunning {
			moved = append(moved, st)
		}
	}
	if len(dropped) > 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE status = 'pending' AND "+r.d.AnyOf("id", "$1"), r.d.List(dropped)); err != nil {
			return err
		}
	}
	plans := make([]*workflow.Plan, len(moved))
	for i, st := range moved {
		plans[i] = workflow.Advance(st)
	}
	return r.applyPlans(ctx, tx, moved, plans, rows)
}

// attemptOf is a completion as the execution it finished, for
// workflow.Finish; a failure without an error is named by its status.
func attemptOf(c *store.Completion) *prikke.Execution {
	started, finished := c.StartedAt.UTC(), c.FinishedAt.UTC()
	e := &prikke.Execution{ID: c.ExecutionID, JobID: c.JobID, Attempt: c.Attempt, Status: c.Status, Error: c.Error,
		StartedAt: &started, FinishedAt: &finished, ResponseStatus: c.ResponseStatus, ResponseHeaders: c.ResponseHeaders,
		ResponseBody: c.ResponseBody, ResponseTruncated: c.ResponseTruncated, DurationMS: c.DurationMS}
	if e.Status != prikke.ExecutionStatusSuccess && e.Error == "" {
		e.Error = StepReason(c.Status, "", c.ResponseStatus)
	}
	return e
}

// lostReason is recorded on a scheduled step whose job has no execution
// left to report on.
const lostReason = "its attempt was lost: no execution of the step is left"

// WorkflowRunsRepair implements store.Store: the running runs that have a
// scheduled step whose job has no pending or running execution left (an
// execution settled over quota or skipped in a claim, or deleted), or no
// scheduled step at all, least recently changed first. Each is repaired
// in its own transaction, re-checked under the run's lock: such a step
// takes its job's last execution's outcome (failed when there is none),
// then the run advances. A run repaired without a change has its
// updated_at moved on, so the next call looks at others first.
func (r *Records) WorkflowRunsRepair(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	ids, err := list(ctx, r, "repair workflow runs", func(row Row) (prikke.ID, error) {
		var id prikke.ID
		err := row.Scan(&id)
		return id, err
	}, `SELECT r.id FROM workflow_runs r WHERE r.status = 'running' AND (
			EXISTS (SELECT 1 FROM workflow_run_steps s WHERE s.run_id = r.id AND s.status = 'scheduled'
				AND s.job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM executions e
					WHERE e.job_id = s.job_id AND e.status IN ('pending', 'running')))
			OR NOT EXISTS (SELECT 1 FROM workflow_run_steps s WHERE s.run_id = r.id AND s.status = 'scheduled'))
		ORDER BY r.updated_at, r.id LIMIT $1`, limit)
	if err != nil {
		return 0, err
	}
	repaired := 0
	for _, id := range ids {
		changed := false
		err := r.inTx(ctx, "repair workflow run", func(tx Tx) error {
			changed = false
			at, err := r.clock(ctx, tx, now)
			if err != nil {
				return err
			}
			st, err := r.lockRun(ctx, tx, id, at)
			if err != nil {
				return err
			}
			run := st.Run
			if run.Status != prikke.RunStatusRunning {
				return nil
			}
			for _, s := range st.Steps {
				if s.Status != prikke.StepStatusScheduled {
					continue
				}
				ok, err := r.repairStep(ctx, tx, s, st.Now)
				if err != nil {
					return err
				}
				changed = changed || ok
			}
			p := workflow.Advance(st)
			changed = changed || !p.Empty()
			if p.Empty() {
				_, err := tx.Exec(ctx, "UPDATE workflow_runs SET updated_at = $2 WHERE id = $1", run.ID, r.d.Time(st.Now))
				return err
			}
			return r.applyPlan(ctx, tx, st, p)
		})
		if err != nil && prikke.ErrorCode(err) != prikke.ENOTFOUND {
			return repaired, err
		}
		if changed {
			repaired++
		}
	}
	return repaired, nil
}

// repairStep finishes a scheduled step whose job has no live execution
// with its last execution's outcome, writing its row and updating s. It
// reports whether it did.
func (r *Records) repairStep(ctx context.Context, tx Tx, s *prikke.RunStep, now time.Time) (bool, error) {
	if s.JobID == nil {
		return false, nil // a for_each step's own row: its items carry the attempts
	}
	var live bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM executions WHERE job_id = $1 AND status IN ('pending', 'running'))",
		*s.JobID).Scan(&live); err != nil {
		return false, err
	}
	if live {
		return false, nil
	}
	var e prikke.Execution
	err := tx.QueryRow(ctx, "SELECT "+ExecutionColumns+", e.response_body FROM executions e WHERE e.job_id = $1 ORDER BY e.attempt DESC, e.created_at DESC LIMIT 1",
		*s.JobID).Scan(append(ExecutionDest(r.d, &e), &e.ResponseBody)...)
	switch {
	case err == nil:
		if e.Status != prikke.ExecutionStatusSuccess && e.Error == "" {
			e.Error = StepReason(e.Status, "", e.ResponseStatus)
		}
		workflow.Finish(s, &e, now)
	case r.isNotFound(err):
		s.Status, s.Reason, s.FinishedAt = prikke.StepStatusFailed, lostReason, &now
	default:
		return false, err
	}
	_, err = tx.Exec(ctx, upsertStepSQL, r.stepArgs(s)...)
	return err == nil, err
}

// WorkflowRunPrune implements store.Store. Deleting a run deletes its step
// rows and its step jobs, whose executions go with them.
func (r *Records) WorkflowRunPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	now = now.UTC()
	freeCutoff := now.Add(-prikke.TierFree.Limits().History)
	proCutoff := now.Add(-prikke.TierPro.Limits().History)
	var n int64
	err := r.inTx(ctx, "prune workflow runs", func(tx Tx) error {
		var err error
		n, err = tx.Exec(ctx, `DELETE FROM workflow_runs WHERE id IN (
			SELECT r.id FROM workflow_runs r JOIN organizations o ON o.id = r.organization_id
			WHERE r.status <> 'running' AND r.finished_at < CASE o.tier WHEN 'pro' THEN `+r.d.TimeParam("$2")+` ELSE `+r.d.TimeParam("$1")+` END
			LIMIT $3)`, r.d.Time(freeCutoff), r.d.Time(proCutoff), limit)
		return err
	})
	return int(n), err
}
