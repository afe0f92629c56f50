package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// The records of workflows: workflows with their versions, runs and their
// step rows, and workflow flips. The run transitions, which change runs and
// step rows, are in workflow_run.go.

// workflowColumns lists a workflow's columns (from "workflows w JOIN
// workflow_versions v" on its current version) for scanWorkflow.
const workflowColumns = `w.id, w.project_id, w.organization_id, w.name, w.version, v.definition, w.health,
	w.consecutive_failures, w.last_run_at, w.last_run_status, w.created_at, w.updated_at`

const workflowFrom = ` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version`

func (r *Records) scanWorkflow(row Row) (*prikke.Workflow, error) {
	var w prikke.Workflow
	err := row.Scan(&w.ID, &w.ProjectID, &w.OrganizationID, &w.Name, &w.Version, r.d.ScanJSON(&w.Definition), &w.Health,
		&w.ConsecutiveFailures, r.d.ScanTimePtr(&w.LastRunAt), &w.LastRunStatus, r.d.ScanTime(&w.CreatedAt), r.d.ScanTime(&w.UpdatedAt))
	if err != nil {
		return nil, err
	}
	if w.Definition.Steps == nil {
		w.Definition.Steps = []prikke.Step{}
	}
	return &w, nil
}

// insertVersion stores one version of a workflow's definition.
func (r *Records) insertVersion(ctx context.Context, tx Tx, id prikke.ID, version int, def prikke.WorkflowDefinition, at time.Time) error {
	if def.Steps == nil {
		def.Steps = []prikke.Step{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES ($1, $2, $3, $4)`,
		id, version, r.d.JSON(def), r.d.Time(at))
	return err
}

// WorkflowCreate implements store.Store.
func (r *Records) WorkflowCreate(ctx context.Context, w *prikke.Workflow) error {
	return r.inTx(ctx, "create workflow", func(tx Tx) error {
		w.Version = 1
		w.Health = healthOr(w.Health)
		if _, err := tx.Exec(ctx, `INSERT INTO workflows (id, project_id, organization_id, name, version, health,
				consecutive_failures, last_run_at, last_run_status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			w.ID, w.ProjectID, w.OrganizationID, w.Name, w.Version, w.Health, w.ConsecutiveFailures,
			r.d.TimePtr(w.LastRunAt), w.LastRunStatus, r.d.Time(w.CreatedAt), r.d.Time(w.UpdatedAt)); err != nil {
			return err
		}
		return r.insertVersion(ctx, tx, w.ID, w.Version, w.Definition, w.UpdatedAt)
	})
}

// WorkflowGet implements store.Store.
func (r *Records) WorkflowGet(ctx context.Context, id prikke.ID) (*prikke.Workflow, error) {
	return one(ctx, r, "get workflow", r.scanWorkflow, "SELECT "+workflowColumns+workflowFrom+" WHERE w.id = $1", id)
}

// WorkflowList implements store.Store.
func (r *Records) WorkflowList(ctx context.Context, f store.WorkflowFilter) ([]*prikke.Workflow, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, r, "list workflows", r.scanWorkflow, "SELECT "+workflowColumns+workflowFrom+
		" WHERE w.project_id = $1 ORDER BY w.created_at, w.id LIMIT $2", f.ProjectID, limit)
}

// WorkflowUpdate implements store.Store.
func (r *Records) WorkflowUpdate(ctx context.Context, w *prikke.Workflow, now time.Time) error {
	return r.inTx(ctx, "update workflow", func(tx Tx) error {
		n, err := tx.Exec(ctx, `UPDATE workflows SET name = $3, version = version + 1, updated_at = $4
			WHERE id = $1 AND version = $2`, w.ID, w.Version, w.Name, r.d.Time(now))
		if err != nil {
			return err
		}
		if n == 0 {
			var v int
			if err := tx.QueryRow(ctx, "SELECT version FROM workflows WHERE id = $1", w.ID).Scan(&v); err != nil {
				return err // no rows: ENOTFOUND
			}
			return prikke.Errorf(prikke.ECONFLICT, "The workflow was saved by someone else (version %d, yours %d); reload it and edit again.", v, w.Version)
		}
		if err := r.insertVersion(ctx, tx, w.ID, w.Version+1, w.Definition, now); err != nil {
			return err
		}
		w.Version++
		w.UpdatedAt = now
		return nil
	})
}

// WorkflowLocker is implemented by a dialect whose engine keeps row locks
// a completion takes before the run's (PostgreSQL's queue rows).
type WorkflowLocker interface {
	// LockWorkflowAttempts locks, in ID order, what a completion of the
	// workflow's running attempts (its step jobs' and its trigger jobs')
	// locks before their runs.
	LockWorkflowAttempts(ctx context.Context, tx Tx, workflowID prikke.ID) error
}

// WorkflowDelete implements store.Store. The foreign keys cascade: its
// versions, runs (their step jobs and history with them), flips and the
// jobs that target it.
func (r *Records) WorkflowDelete(ctx context.Context, id prikke.ID) error {
	return r.inTx(ctx, "delete workflow", func(tx Tx) error {
		// The delete cascades from the workflow to its runs, their step
		// jobs, executions and queue rows: the reverse of the order a
		// finishing run locks them in (queue rows, run, workflow), so a
		// run finishing meanwhile could deadlock with it. Lock them first
		// in the completion's order, each kind in ID order: a completion
		// of this workflow's attempt either went first or waits.
		if l, ok := r.d.(WorkflowLocker); ok {
			if err := l.LockWorkflowAttempts(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "SELECT id FROM workflow_runs WHERE workflow_id = $1 ORDER BY id "+r.d.ForUpdate(), id); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, "DELETE FROM workflows WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound()
		}
		// Jobs that targeted it went with it: the scheduler re-reads.
		return tx.Notify(ctx, store.TopicJobs, "")
	})
}

// WorkflowVersionGet implements store.Store.
func (r *Records) WorkflowVersionGet(ctx context.Context, id prikke.ID, version int) (*prikke.WorkflowDefinition, error) {
	return one(ctx, r, "get workflow version", func(row Row) (*prikke.WorkflowDefinition, error) {
		var def prikke.WorkflowDefinition
		if err := row.Scan(r.d.ScanJSON(&def)); err != nil {
			return nil, err
		}
		if def.Steps == nil {
			def.Steps = []prikke.Step{}
		}
		return &def, nil
	}, "SELECT definition FROM workflow_versions WHERE workflow_id = $1 AND version = $2", id, version)
}

// WorkflowCount implements store.Store.
func (r *Records) WorkflowCount(ctx context.Context, projectID prikke.ID) (int, error) {
	var n int
	if err := r.d.Reader().QueryRow(ctx, "SELECT count(*) FROM workflows WHERE project_id = $1", projectID).Scan(&n); err != nil {
		return 0, r.fail("count workflows", err)
	}
	return n, nil
}

// runColumns lists a run's columns (from "workflow_runs r JOIN workflows
// w") for scanRun.
const runColumns = `r.id, r.workflow_id, r.project_id, r.organization_id, r.version, r.status, r.trigger_kind, r.job_id,
	r.payload, r.idempotency_key, r.scheduled_for, r.error, r.created_at, r.finished_at, r.updated_at, w.name`

const runFrom = ` FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id`

func (r *Records) scanRun(row Row) (*prikke.WorkflowRun, error) {
	var run prikke.WorkflowRun
	var idem *string
	err := row.Scan(&run.ID, &run.WorkflowID, &run.ProjectID, &run.OrganizationID, &run.Version, &run.Status, &run.Trigger,
		r.d.ScanIDPtr(&run.JobID), r.d.ScanJSON(&run.Payload), r.d.ScanStringPtr(&idem), r.d.ScanTime(&run.ScheduledFor),
		&run.Error, r.d.ScanTime(&run.CreatedAt), r.d.ScanTimePtr(&run.FinishedAt), r.d.ScanTime(&run.UpdatedAt), &run.WorkflowName)
	if err != nil {
		return nil, err
	}
	if idem != nil {
		run.IdempotencyKey = *idem
	}
	if len(run.Payload) == 0 {
		run.Payload = json.RawMessage("null")
	}
	return &run, nil
}

// WorkflowRunGet implements store.Store.
func (r *Records) WorkflowRunGet(ctx context.Context, id prikke.ID) (*prikke.WorkflowRun, error) {
	run, err := one(ctx, r, "get workflow run", r.scanRun, "SELECT "+runColumns+runFrom+" WHERE r.id = $1", id)
	if err != nil {
		return nil, err
	}
	if run.Definition, err = r.WorkflowVersionGet(ctx, run.WorkflowID, run.Version); err != nil {
		return nil, err
	}
	return run, nil
}

// WorkflowRunList implements store.Store.
func (r *Records) WorkflowRunList(ctx context.Context, f store.RunFilter) ([]*prikke.WorkflowRun, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.WorkflowID == nil && f.ProjectID == nil {
		return nil, fmt.Errorf("%s: list workflow runs: a workflow or project is required", r.d.Name())
	}
	if f.WorkflowID != nil {
		where = append(where, "r.workflow_id = "+arg(*f.WorkflowID))
	}
	if f.ProjectID != nil {
		where = append(where, "r.project_id = "+arg(*f.ProjectID))
	}
	if len(f.Status) > 0 {
		ss := make([]string, len(f.Status))
		for i, s := range f.Status {
			ss[i] = string(s)
		}
		where = append(where, r.d.AnyOf("r.status", arg(r.d.List(ss))))
	}
	if !f.BeforeCreatedAt.IsZero() {
		where = append(where, "(r.created_at, r.id) < ("+arg(r.d.Time(f.BeforeCreatedAt))+", "+arg(f.BeforeID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := "SELECT " + runColumns + runFrom + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY r.created_at DESC, r.id DESC LIMIT " + arg(limit)
	return list(ctx, r, "list workflow runs", r.scanRun, q, args...)
}

// stepColumns lists a step row's columns, in stepArgs' order.
const stepColumns = `run_id, step_key, item, item_value, items, status, job_id, attempts, due_at, reason, response_status,
	response_headers, response_body, response_truncated, started_at, finished_at, duration_ms`

func (r *Records) scanStep(row Row) (*prikke.RunStep, error) {
	var s prikke.RunStep
	err := row.Scan(&s.RunID, &s.Key, &s.Item, r.d.ScanJSON(&s.ItemValue), &s.Items, &s.Status, r.d.ScanIDPtr(&s.JobID),
		&s.Attempts, r.d.ScanTimePtr(&s.DueAt), &s.Reason, &s.ResponseStatus, r.d.ScanJSON(&s.ResponseHeaders), &s.ResponseBody,
		&s.ResponseTruncated, r.d.ScanTimePtr(&s.StartedAt), r.d.ScanTimePtr(&s.FinishedAt), &s.DurationMS)
	if err != nil {
		return nil, err
	}
	if len(s.ItemValue) == 0 {
		s.ItemValue = nil
	}
	return &s, nil
}

func (r *Records) stepArgs(s *prikke.RunStep) []any {
	var item, headers any
	if len(s.ItemValue) > 0 {
		item = r.d.JSON(s.ItemValue)
	}
	if s.ResponseHeaders != nil {
		headers = r.d.JSON(s.ResponseHeaders)
	}
	return []any{s.RunID, s.Key, s.Item, item, s.Items, s.Status, r.d.IDPtr(s.JobID), s.Attempts, r.d.TimePtr(s.DueAt), s.Reason,
		s.ResponseStatus, headers, s.ResponseBody, s.ResponseTruncated, r.d.TimePtr(s.StartedAt), r.d.TimePtr(s.FinishedAt), s.DurationMS}
}

// loadSteps reads every step row of a run, sorted as WorkflowRunSteps
// says.
func (r *Records) loadSteps(ctx context.Context, q Querier, runID prikke.ID, def *prikke.WorkflowDefinition) ([]*prikke.RunStep, error) {
	rows, err := q.Query(ctx, "SELECT "+stepColumns+" FROM workflow_run_steps WHERE run_id = $1", runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*prikke.RunStep{}
	for rows.Next() {
		s, err := r.scanStep(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortSteps(out, def)
	return out, nil
}

// sortSteps orders step rows by their step's place in the definition,
// each step's own row before its items, items by index.
func sortSteps(steps []*prikke.RunStep, def *prikke.WorkflowDefinition) {
	pos := map[string]int{}
	if def != nil {
		for i, s := range def.Steps {
			pos[s.Key] = i
		}
	}
	slices.SortStableFunc(steps, func(a, b *prikke.RunStep) int {
		pa, oka := pos[a.Key]
		pb, okb := pos[b.Key]
		switch {
		case oka && !okb:
			return -1
		case !oka && okb:
			return 1
		case !oka && !okb:
			if c := strings.Compare(a.Key, b.Key); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(pa, pb); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
}

// WorkflowRunSteps implements store.Store.
func (r *Records) WorkflowRunSteps(ctx context.Context, runID prikke.ID) ([]*prikke.RunStep, error) {
	var wid prikke.ID
	var version int
	if err := r.d.Reader().QueryRow(ctx, "SELECT workflow_id, version FROM workflow_runs WHERE id = $1", runID).Scan(&wid, &version); err != nil {
		return nil, r.fail("workflow run steps", err)
	}
	def, err := r.WorkflowVersionGet(ctx, wid, version)
	if err != nil {
		return nil, err
	}
	steps, err := r.loadSteps(ctx, r.d.Reader(), runID, def)
	if err != nil {
		return nil, r.fail("workflow run steps", err)
	}
	return steps, nil
}

// workflowFlipColumns lists a workflow flip's columns.
const workflowFlipColumns = `id, workflow_id, project_id, run_id, event, created_at, processed_at`

func (r *Records) scanWorkflowFlip(row Row) (*prikke.WorkflowFlip, error) {
	var f prikke.WorkflowFlip
	if err := row.Scan(&f.ID, &f.WorkflowID, &f.ProjectID, r.d.ScanIDPtr(&f.RunID), &f.Event, r.d.ScanTime(&f.CreatedAt),
		r.d.ScanTimePtr(&f.ProcessedAt)); err != nil {
		return nil, err
	}
	return &f, nil
}

// WorkflowFlipClaim implements store.Store: one statement that marks the
// oldest unprocessed flips processed and returns them. PostgreSQL's SKIP
// LOCKED lets concurrent notifiers take different flips without waiting;
// SQLite's single writer serialises them.
func (r *Records) WorkflowFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.WorkflowFlip, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []*prikke.WorkflowFlip
	err := r.inTx(ctx, "claim workflow flips", func(tx Tx) error {
		now, err := r.clock(ctx, tx, now)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE workflow_flips SET processed_at = $1
			WHERE id IN (SELECT id FROM workflow_flips WHERE processed_at IS NULL ORDER BY created_at, id LIMIT $2 `+
			r.d.ForUpdateOf("workflow_flips", true)+`)
			RETURNING `+workflowFlipColumns, r.d.Time(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = []*prikke.WorkflowFlip{}
		for rows.Next() {
			f, err := r.scanWorkflowFlip(rows)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *prikke.WorkflowFlip) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// clock returns now in UTC, or, when now is zero, the store's clock read
// through q (inside a transaction: the instant its decisions are made at).
func (r *Records) clock(ctx context.Context, q Querier, now time.Time) (time.Time, error) {
	if !now.IsZero() {
		return now.UTC(), nil
	}
	if err := q.QueryRow(ctx, "SELECT "+r.d.TimeParam(r.d.NowSQL())).Scan(r.d.ScanTime(&now)); err != nil {
		return time.Time{}, err
	}
	return now.UTC(), nil
}
