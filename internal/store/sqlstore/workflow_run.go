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

// lockRun reads a run with its workflow's name, locking its row until the
// transaction ends.
func (r *Records) lockRun(ctx context.Context, tx Tx, id prikke.ID) (*prikke.WorkflowRun, error) {
	return r.scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+runFrom+" WHERE r.id = $1 "+r.d.ForUpdateOf("r", false), id))
}

// runState loads what the planner needs of a locked run.
func (r *Records) runState(ctx context.Context, tx Tx, run *prikke.WorkflowRun, now time.Time) (*workflow.RunState, error) {
	var def prikke.WorkflowDefinition
	if err := tx.QueryRow(ctx, "SELECT definition FROM workflow_versions WHERE workflow_id = $1 AND version = $2",
		run.WorkflowID, run.Version).Scan(r.d.ScanJSON(&def)); err != nil {
		return nil, err
	}
	run.Definition = &def
	steps, err := r.loadSteps(ctx, tx, run.ID, &def)
	if err != nil {
		return nil, err
	}
	var tier prikke.Tier
	if err := tx.QueryRow(ctx, "SELECT tier FROM organizations WHERE id = $1", run.OrganizationID).Scan(&tier); err != nil {
		return nil, err
	}
	return &workflow.RunState{Run: run, Def: &def, Steps: steps, Tier: tier, Now: now}, nil
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

// applyPlan writes a plan for the locked run st.Run and updates st.Run in
// memory as the run's row now reads.
func (r *Records) applyPlan(ctx context.Context, tx Tx, st *workflow.RunState, p *workflow.Plan) error {
	if p == nil || p.Empty() {
		return nil
	}
	run := st.Run
	if len(p.Delete) > 0 {
		args := make([][]any, len(p.Delete))
		for i, d := range p.Delete {
			args[i] = []any{run.ID, d.Key, d.Item}
		}
		if err := tx.ExecBatch(ctx, "DELETE FROM workflow_run_steps WHERE run_id = $1 AND step_key = $2 AND item = $3", args); err != nil {
			return err
		}
	}
	if len(p.Steps) > 0 {
		args := make([][]any, len(p.Steps))
		for i, s := range p.Steps {
			s.RunID = run.ID
			args[i] = r.stepArgs(s)
		}
		if err := tx.ExecBatch(ctx, upsertStepSQL, args); err != nil {
			return err
		}
	}
	if len(p.Starts) > 0 {
		jobs := make([][]any, len(p.Starts))
		es := make([]*prikke.Execution, len(p.Starts))
		for i, s := range p.Starts {
			jobs[i] = insertJobArgs(r.d, s.Job)
			es[i] = s.Execution
		}
		if err := tx.ExecBatch(ctx, insertJobSQL, jobs); err != nil {
			return err
		}
		if err := r.writeExecutions(ctx, tx, es); err != nil {
			return err
		}
	}
	if len(p.DeletePending) > 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE status = 'pending' AND "+r.d.AnyOf("job_id", "$1"),
			r.d.List(p.DeletePending)); err != nil {
			return err
		}
	}
	run.UpdatedAt = st.Now
	if p.Status == "" {
		_, err := tx.Exec(ctx, "UPDATE workflow_runs SET updated_at = $2 WHERE id = $1", run.ID, r.d.Time(st.Now))
		return err
	}
	run.Status, run.Error, run.FinishedAt = p.Status, p.Error, p.FinishedAt
	if p.Status.Terminal() && run.FinishedAt == nil {
		at := st.Now
		run.FinishedAt = &at
	}
	if !p.Status.Terminal() {
		run.Error, run.FinishedAt = "", nil
	}
	if _, err := tx.Exec(ctx, "UPDATE workflow_runs SET status = $2, error = $3, finished_at = $4, updated_at = $5 WHERE id = $1",
		run.ID, run.Status, run.Error, r.d.TimePtr(run.FinishedAt), r.d.Time(st.Now)); err != nil {
		return err
	}
	if p.Status.Terminal() {
		return r.finishWorkflow(ctx, tx, run)
	}
	return nil
}

// finishWorkflow records a finished run on its workflow: its last run,
// and its health, which a failed run flips to failing and a succeeded run
// back to healthy, each flip written for the notifier. A cancelled run
// moves neither.
func (r *Records) finishWorkflow(ctx context.Context, tx Tx, run *prikke.WorkflowRun) error {
	var health prikke.JobHealth
	var failures int
	if err := tx.QueryRow(ctx, "SELECT health, consecutive_failures FROM workflows WHERE id = $1 "+r.d.ForUpdate(),
		run.WorkflowID).Scan(&health, &failures); err != nil {
		return err
	}
	var event prikke.NotificationEvent
	switch run.Status {
	case prikke.RunStatusFailed:
		if health != prikke.JobFailing {
			event = prikke.EventWorkflowFailing
		}
		health, failures = prikke.JobFailing, failures+1
	case prikke.RunStatusSucceeded:
		if health == prikke.JobFailing {
			event = prikke.EventWorkflowRecovered
		}
		health, failures = prikke.JobHealthy, 0
	}
	if _, err := tx.Exec(ctx, `UPDATE workflows SET last_run_at = $2, last_run_status = $3, health = $4, consecutive_failures = $5
		WHERE id = $1`, run.WorkflowID, r.d.TimePtr(run.FinishedAt), run.Status, health, failures); err != nil {
		return err
	}
	if event == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO workflow_flips (`+workflowFlipColumns+`) VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
		prikke.NewID(), run.WorkflowID, run.ProjectID, run.ID, event, r.d.TimePtr(run.FinishedAt)); err != nil {
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
		now := p.Now.UTC()
		if p.Now.IsZero() {
			if now, err = r.txNow(ctx, tx); err != nil {
				return err
			}
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
		st, err := r.runState(ctx, tx, run, now)
		if err != nil {
			return err
		}
		created = true
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
		var err error
		if run, err = r.lockRun(ctx, tx, id); err != nil {
			return err
		}
		if now.IsZero() {
			if now, err = r.txNow(ctx, tx); err != nil {
				return err
			}
		}
		st, err := r.runState(ctx, tx, run, now.UTC())
		if err != nil {
			return err
		}
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

// CancelReason is the reason recorded on the steps a cancel stops.
const CancelReason = "the run was cancelled"

// WorkflowRunCancel implements store.Store.
func (r *Records) WorkflowRunCancel(ctx context.Context, id prikke.ID, now time.Time) (*prikke.WorkflowRun, error) {
	return r.transition(ctx, "cancel workflow run", id, now, func(st *workflow.RunState) (*workflow.Plan, error) {
		if st.Run.Status != prikke.RunStatusRunning {
			return nil, prikke.Errorf(prikke.ECONFLICT, "The run has finished (%s); only a running run can be cancelled.", st.Run.Status)
		}
		return workflow.Cancel(st, CancelReason), nil
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
// tx, the applied completions of workflow steps' attempts (c.Step set):
// each on its step row, fenced on the row being scheduled with the
// attempt's job; a last attempt (no Retry, or Gone) finishes the step, and
// the run advances. Runs are locked in ID order, so concurrent batches
// never deadlock. A retry inserted for an attempt whose step no longer
// waits on it (the run was cancelled meanwhile) is deleted: it starts
// nothing.
func (r *Records) WorkflowStepsComplete(ctx context.Context, tx Tx, cs []*store.Completion) error {
	byRun := map[prikke.ID][]*store.Completion{}
	var runs []prikke.ID
	for _, c := range cs {
		if c.Step == nil {
			continue
		}
		id := c.Step.RunID
		if _, ok := byRun[id]; !ok {
			runs = append(runs, id)
		}
		byRun[id] = append(byRun[id], c)
	}
	slices.SortFunc(runs, func(a, b prikke.ID) int { return strings.Compare(a.String(), b.String()) })
	for _, id := range runs {
		if err := r.completeRunSteps(ctx, tx, id, byRun[id]); err != nil {
			return err
		}
	}
	return nil
}

func (r *Records) completeRunSteps(ctx context.Context, tx Tx, runID prikke.ID, cs []*store.Completion) error {
	run, err := r.lockRun(ctx, tx, runID)
	if err != nil {
		if r.isNotFound(err) {
			return nil // deleted with its workflow, or pruned
		}
		return err
	}
	// In the order they finished, so the last attempt's outputs stay.
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b *store.Completion) int { return a.FinishedAt.Compare(b.FinishedAt) })
	var finals []*store.Completion
	var now time.Time
	for _, c := range cs {
		if c.Retry == nil || c.Gone {
			finals = append(finals, c)
			if c.FinishedAt.After(now) {
				now = c.FinishedAt.UTC()
			}
			continue
		}
		// An attempt to be retried: the row shows it, the step stays
		// scheduled.
		body, truncated := capOutput(c.ResponseBody, c.ResponseTruncated)
		var headers any
		if c.ResponseHeaders != nil {
			headers = r.d.JSON(c.ResponseHeaders)
		}
		n, err := tx.Exec(ctx, `UPDATE workflow_run_steps SET attempts = $5, started_at = coalesce(started_at, $6),
				response_status = $7, response_headers = $8, response_body = $9, response_truncated = $10
			WHERE run_id = $1 AND step_key = $2 AND item = $3 AND job_id = $4 AND status = 'scheduled'`,
			runID, c.Step.Key, c.Step.Item, c.JobID, c.Attempt, r.d.Time(c.StartedAt), c.ResponseStatus, headers, body, truncated)
		if err != nil {
			return err
		}
		if n == 0 {
			// The step no longer waits on this job (cancelled, retried
			// from elsewhere): its retry starts nothing.
			if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE id = $1 AND status = 'pending'", c.Retry.ID); err != nil {
				return err
			}
		}
	}
	if len(finals) == 0 {
		return nil
	}
	st, err := r.runState(ctx, tx, run, now)
	if err != nil {
		return err
	}
	rows := make(map[workflow.StepRef]*prikke.RunStep, len(st.Steps))
	for _, s := range st.Steps {
		rows[workflow.StepRef{Key: s.Key, Item: s.Item}] = s
	}
	var done [][]any
	for _, c := range finals {
		row := rows[workflow.StepRef{Key: c.Step.Key, Item: c.Step.Item}]
		if row == nil || row.Status != prikke.StepStatusScheduled || row.JobID == nil || *row.JobID != c.JobID {
			continue // fenced out: already finished, cancelled, or retried
		}
		workflow.Finish(row, attemptOf(c), now)
		done = append(done, r.stepArgs(row))
	}
	if len(done) == 0 {
		return nil
	}
	if err := tx.ExecBatch(ctx, upsertStepSQL, done); err != nil {
		return err
	}
	return r.applyPlan(ctx, tx, st, workflow.Advance(st))
}

// attemptOf is a completion as the execution it finished, for
// workflow.Finish; a failure without an error is named by its status.
func attemptOf(c *store.Completion) *prikke.Execution {
	finished := c.FinishedAt.UTC()
	e := &prikke.Execution{ID: c.ExecutionID, JobID: c.JobID, Attempt: c.Attempt, Status: c.Status, Error: c.Error,
		FinishedAt: &finished, ResponseStatus: c.ResponseStatus, ResponseHeaders: c.ResponseHeaders,
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
				AND (s.job_id IS NULL OR NOT EXISTS (SELECT 1 FROM executions e
					WHERE e.job_id = s.job_id AND e.status IN ('pending', 'running'))))
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
			run, err := r.lockRun(ctx, tx, id)
			if err != nil {
				return err
			}
			if run.Status != prikke.RunStatusRunning {
				return nil
			}
			at := now
			if at.IsZero() {
				if at, err = r.txNow(ctx, tx); err != nil {
					return err
				}
			}
			st, err := r.runState(ctx, tx, run, at.UTC())
			if err != nil {
				return err
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
	if s.JobID != nil {
		var live bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM executions WHERE job_id = $1 AND status IN ('pending', 'running'))",
			*s.JobID).Scan(&live); err != nil {
			return false, err
		}
		if live {
			return false, nil
		}
	}
	var e prikke.Execution
	found := false
	if s.JobID != nil {
		err := tx.QueryRow(ctx, "SELECT "+ExecutionColumns+", e.response_body FROM executions e WHERE e.job_id = $1 ORDER BY e.attempt DESC, e.created_at DESC LIMIT 1",
			*s.JobID).Scan(append(ExecutionDest(r.d, &e), &e.ResponseBody)...)
		switch {
		case err == nil:
			found = true
		case !r.isNotFound(err):
			return false, err
		}
	}
	if found {
		if e.Status != prikke.ExecutionStatusSuccess && e.Error == "" {
			e.Error = StepReason(e.Status, "", e.ResponseStatus)
		}
		workflow.Finish(s, &e, now)
	} else {
		s.Status, s.Reason, s.FinishedAt = prikke.StepStatusFailed, lostReason, &now
	}
	_, err := tx.Exec(ctx, upsertStepSQL, r.stepArgs(s)...)
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
