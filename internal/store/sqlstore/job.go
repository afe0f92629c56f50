package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// jobColumnsFmt lists a job's columns; %s is where the last run goes.
const jobColumnsFmt = `j.id, j.project_id, j.organization_id, j.kind, j.name, j.url, j.method, j.headers, j.body,
	j.timeout_ms, j.retry_attempts, j.enabled, j.cron_expression, j.schedule_interval, j.time_zone, j.run_at,
	j.catch_up, j.catch_up_window_s, j.overlap, j.interval_minutes, j.notify_mode, j.next_run_at, j.health,
	j.consecutive_failures, %s, j.disabled_reason, j.idempotency_key, j.created_at, j.updated_at,
	j.alert_policy, j.consecutive_successes, j.flow_key, j.workflow_id, j.step, j.pause_reason, j.expect`

// JobColumns lists a job's columns (from "jobs j") for JobScan. The last
// run is read from the job's newest finished execution rather than written
// to the job on every result: results are the hot path.
var JobColumns = fmt.Sprintf(jobColumnsFmt, `
	(SELECT x.finished_at FROM executions x WHERE x.job_id = j.id AND x.finished_at IS NOT NULL ORDER BY x.created_at DESC LIMIT 1),
	coalesce((SELECT x.status FROM executions x WHERE x.job_id = j.id AND x.finished_at IS NOT NULL ORDER BY x.created_at DESC LIMIT 1), '')`)

// JobColumnsLite is JobColumns without the last run, for the engine's
// queries; nullTime is the dialect's NULL of a time column.
func JobColumnsLite(nullTime string) string { return fmt.Sprintf(jobColumnsFmt, nullTime+", ''") }

// JobScan scans a row of JobColumns.
type JobScan struct {
	j      prikke.Job
	window int
	idem   *string
	policy policyJSON
}

// Dest returns the scan destinations of JobColumns.
func (js *JobScan) Dest(d Dialect) []any {
	j := &js.j
	return []any{&j.ID, &j.ProjectID, &j.OrganizationID, &j.Kind, &j.Name, &j.URL, &j.Method, d.ScanJSON(&j.Headers), &j.Body,
		&j.TimeoutMS, &j.RetryAttempts, &j.Enabled, &j.CronExpression, &j.Interval, &j.TimeZone, d.ScanTimePtr(&j.RunAt),
		&j.CatchUp, &js.window, &j.Overlap, &j.IntervalMinutes, &j.NotifyMode, d.ScanTimePtr(&j.NextRunAt), &j.Health,
		&j.ConsecutiveFailures, d.ScanTimePtr(&j.LastRunAt), &j.LastStatus, &j.DisabledReason, d.ScanStringPtr(&js.idem),
		d.ScanTime(&j.CreatedAt), d.ScanTime(&j.UpdatedAt),
		d.ScanJSON(&js.policy), &j.ConsecutiveSuccesses, &j.FlowKey, d.ScanIDPtr(&j.WorkflowID), d.ScanJSON(&j.Step), &j.PauseReason,
		d.ScanJSON(&j.Expect)}
}

// Job returns the scanned job.
func (js *JobScan) Job() *prikke.Job {
	j := js.j
	j.CatchUpWindow = time.Duration(js.window) * time.Second
	j.AlertPolicy = js.policy.policy()
	if js.idem != nil {
		j.IdempotencyKey = *js.idem
	}
	if j.Headers == nil {
		j.Headers = []prikke.Header{}
	}
	return &j
}

// ScanJob scans one row of JobColumns.
func ScanJob(d Dialect, row Row) (*prikke.Job, error) {
	var js JobScan
	if err := row.Scan(js.Dest(d)...); err != nil {
		return nil, err
	}
	return js.Job(), nil
}

func (r *Records) scanJob(row Row) (*prikke.Job, error) { return ScanJob(r.d, row) }

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func healthOr(h prikke.JobHealth) prikke.JobHealth {
	if h == "" {
		return prikke.JobHealthy
	}
	return h
}

// headersOrEmpty stores headers as a JSON array, never NULL.
func headersOrEmpty(hs []prikke.Header) []prikke.Header {
	if hs == nil {
		return []prikke.Header{}
	}
	return hs
}

const insertJobSQL = `INSERT INTO jobs (id, project_id, organization_id, kind, name, url, method, headers, body,
		timeout_ms, retry_attempts, enabled, cron_expression, schedule_interval, time_zone, run_at,
		catch_up, catch_up_window_s, overlap, interval_minutes, notify_mode, next_run_at, health,
		consecutive_failures, disabled_reason, idempotency_key, created_at, updated_at, alert_policy, flow_key,
		workflow_id, run_id, step, pause_reason, expect)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)`

func insertJobArgs(d Dialect, j *prikke.Job) []any {
	return []any{j.ID, j.ProjectID, j.OrganizationID, j.Kind, j.Name, j.URL, j.Method, d.JSON(headersOrEmpty(j.Headers)), j.Body,
		j.TimeoutMS, j.RetryAttempts, j.Enabled, j.CronExpression, j.Interval, j.TimeZone, d.TimePtr(j.RunAt),
		j.CatchUp, int(j.CatchUpWindow / time.Second), j.Overlap, j.IntervalMinutes, j.NotifyMode, d.TimePtr(j.NextRunAt), healthOr(j.Health),
		j.ConsecutiveFailures, j.DisabledReason, nullString(j.IdempotencyKey), d.Time(j.CreatedAt), d.Time(j.UpdatedAt),
		d.JSON(policyOf(j.AlertPolicy)), j.FlowKey, d.IDPtr(j.WorkflowID), d.IDPtr(jobRunID(j)), jobStepJSON(d, j), j.PauseReason,
		expectJSON(d, j.Expect)}
}

// expectJSON is jobs.expect: NULL for a job without assertions.
func expectJSON(d Dialect, x *prikke.Expect) any {
	if x == nil {
		return nil
	}
	return d.JSON(x)
}

// jobRunID is the run a hidden step job belongs to (jobs.run_id), nil for
// a user's job.
func jobRunID(j *prikke.Job) *prikke.ID {
	if j.Step == nil {
		return nil
	}
	return &j.Step.RunID
}

// jobStepJSON is jobs.step: NULL for a user's job.
func jobStepJSON(d Dialect, j *prikke.Job) any {
	if j.Step == nil {
		return nil
	}
	return d.JSON(j.Step)
}

// policyJSON is a job's alert policy as jobs.alert_policy stores it:
// durations in milliseconds, zero fields left out ({} is the default).
type policyJSON struct {
	FailThreshold     int         `json:"fail_threshold,omitempty"`
	RecoveryThreshold int         `json:"recovery_threshold,omitempty"`
	RealertEveryMS    int64       `json:"realert_every_ms,omitempty"`
	SnoozeUntil       *time.Time  `json:"snooze_until,omitempty"`
	Window            *windowJSON `json:"window,omitempty"`
}

type windowJSON struct {
	Cron       string `json:"cron"`
	TimeZone   string `json:"time_zone,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	SkipRuns   bool   `json:"skip_runs,omitempty"`
}

func policyOf(p prikke.AlertPolicy) policyJSON {
	out := policyJSON{FailThreshold: p.FailThreshold, RecoveryThreshold: p.RecoveryThreshold,
		RealertEveryMS: p.RealertEvery.Milliseconds(), SnoozeUntil: p.SnoozeUntil}
	if out.SnoozeUntil != nil {
		t := out.SnoozeUntil.UTC()
		out.SnoozeUntil = &t
	}
	if !p.Window.IsZero() {
		out.Window = &windowJSON{Cron: p.Window.Cron, TimeZone: p.Window.TimeZone, DurationMS: p.Window.Duration.Milliseconds(), SkipRuns: p.Window.SkipRuns}
	}
	return out
}

func (p policyJSON) policy() prikke.AlertPolicy {
	out := prikke.AlertPolicy{FailThreshold: p.FailThreshold, RecoveryThreshold: p.RecoveryThreshold,
		RealertEvery: time.Duration(p.RealertEveryMS) * time.Millisecond, SnoozeUntil: p.SnoozeUntil}
	if out.SnoozeUntil != nil {
		t := out.SnoozeUntil.UTC()
		out.SnoozeUntil = &t
	}
	if w := p.Window; w != nil {
		out.Window = prikke.Window{Cron: w.Cron, TimeZone: w.TimeZone, Duration: time.Duration(w.DurationMS) * time.Millisecond, SkipRuns: w.SkipRuns}
	}
	return out
}

// InsertJob inserts j and its channel list in tx (the engine's enqueue
// uses it too).
func InsertJob(ctx context.Context, d Dialect, tx Querier, j *prikke.Job) error {
	if _, err := tx.Exec(ctx, insertJobSQL, insertJobArgs(d, j)...); err != nil {
		return err
	}
	return setJobChannels(ctx, d, tx, j)
}

// setJobChannels replaces the job's own channel list. Channels must be in
// the job's project; others are ignored (callers validate first).
func setJobChannels(ctx context.Context, d Dialect, tx Querier, j *prikke.Job) error {
	return setChannels(ctx, d, tx, "job_channels", "job_id", j.ID, j.ProjectID, j.NotifyMode, j.ChannelIDs)
}

// setChannels replaces the channel list of one job or monitor (table
// job_channels or monitor_channels, keyed by column): kept only in
// NotifyCustom mode, and only channels of the owner's project.
func setChannels(ctx context.Context, d Dialect, tx Querier, table, column string, id, projectID prikke.ID, mode prikke.NotifyMode, channelIDs []prikke.ID) error {
	if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE "+column+" = $1", id); err != nil {
		return err
	}
	if mode != prikke.NotifyCustom || len(channelIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+column+`, channel_id)
		SELECT $1, c.id FROM channels c WHERE `+d.AnyOf("c.id", "$2")+` AND c.project_id = $3 ON CONFLICT DO NOTHING`,
		id, d.List(channelIDs), projectID)
	return err
}

// JobCreate implements store.Store.
func (r *Records) JobCreate(ctx context.Context, j *prikke.Job) error {
	return r.inTx(ctx, "create job", func(tx Tx) error {
		if err := InsertJob(ctx, r.d, tx, j); err != nil {
			return err
		}
		return tx.Notify(ctx, store.TopicJobs, j.ID.String())
	})
}

// JobCreateMany implements store.Store.
func (r *Records) JobCreateMany(ctx context.Context, js []*prikke.Job) error {
	return r.inTx(ctx, "create jobs", func(tx Tx) error {
		args := make([][]any, len(js))
		for i, j := range js {
			if j.NotifyMode == prikke.NotifyCustom && len(j.ChannelIDs) > 0 {
				return fmt.Errorf("job %s: custom channel lists are not supported in bulk", j.ID)
			}
			args[i] = insertJobArgs(r.d, j)
		}
		if err := tx.ExecBatch(ctx, insertJobSQL, args); err != nil {
			return err
		}
		return tx.Notify(ctx, store.TopicJobs, "")
	})
}

// JobGet implements store.Store.
func (r *Records) JobGet(ctx context.Context, id prikke.ID) (*prikke.Job, error) {
	j, err := r.scanJob(r.d.Reader().QueryRow(ctx, "SELECT "+JobColumns+" FROM jobs j WHERE j.id = $1", id))
	if err != nil {
		return nil, r.fail("get job", err)
	}
	if j.NotifyMode == prikke.NotifyCustom {
		j.ChannelIDs, err = list(ctx, r, "get job channels", func(row Row) (prikke.ID, error) {
			var id prikke.ID
			err := row.Scan(&id)
			return id, err
		}, "SELECT channel_id FROM job_channels WHERE job_id = $1 ORDER BY channel_id", id)
		if err != nil {
			return nil, err
		}
	}
	return j, nil
}

// JobGetByIdempotencyKey implements store.Store.
func (r *Records) JobGetByIdempotencyKey(ctx context.Context, projectID prikke.ID, key string) (*prikke.Job, error) {
	return one(ctx, r, "get job by idempotency key", r.scanJob, "SELECT "+JobColumns+" FROM jobs j WHERE j.project_id = $1 AND j.idempotency_key = $2", projectID, key)
}

// JobList implements store.Store.
func (r *Records) JobList(ctx context.Context, f store.JobFilter) ([]*prikke.Job, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OrganizationID == nil && f.ProjectID == nil {
		return nil, fmt.Errorf("%s: list jobs: an organization or project is required", r.d.Name())
	}
	if f.OrganizationID != nil {
		where = append(where, "j.organization_id = "+arg(*f.OrganizationID))
	}
	if f.ProjectID != nil {
		where = append(where, "j.project_id = "+arg(*f.ProjectID))
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = []prikke.JobKind{prikke.JobKindCron, prikke.JobKindOnce}
	}
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	// A workflow step's hidden job is the engine's, never listed.
	where = append(where, r.d.AnyOf("j.kind", arg(r.d.List(ks))), "j.run_id IS NULL")
	if f.Enabled != nil {
		where = append(where, "j.enabled = "+arg(*f.Enabled))
	}
	if f.Search != "" {
		p := "%" + likeEscape(f.Search) + "%"
		where = append(where, "("+r.d.Contains("j.name", arg(p))+" OR "+r.d.Contains("j.url", arg(p))+")")
	}
	if !f.AfterCreatedAt.IsZero() {
		where = append(where, "(j.created_at, j.id) > ("+arg(r.d.Time(f.AfterCreatedAt))+", "+arg(f.AfterID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + JobColumns + " FROM jobs j WHERE " + strings.Join(where, " AND ") +
		" ORDER BY j.created_at, j.id LIMIT " + arg(limit)
	return list(ctx, r, "list jobs", r.scanJob, q, args...)
}

// likeEscape escapes LIKE wildcards so a search is a plain substring.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// JobUpdate implements store.Store.
func (r *Records) JobUpdate(ctx context.Context, j *prikke.Job) error {
	return r.inTx(ctx, "update job", func(tx Tx) error {
		if j.Enabled {
			if err := r.refuseSuspended(ctx, tx, j.ID); err != nil {
				return err
			}
		}
		// A plan pause is PlanChange's and JobSetEnabled's to start or
		// end: a copy read before one of them ran must not undo it.
		res, err := tx.Exec(ctx, `UPDATE jobs SET name = $2, url = $3, method = $4, headers = $5, body = $6,
			timeout_ms = $7, retry_attempts = $8,
			enabled = CASE WHEN pause_reason = 'plan' OR $26 = 'plan' THEN enabled ELSE $9 END,
			cron_expression = $10, schedule_interval = $11,
			time_zone = $12, run_at = $13, catch_up = $14, catch_up_window_s = $15, overlap = $16,
			interval_minutes = $17, notify_mode = $18,
			next_run_at = CASE WHEN pause_reason = 'plan' OR $26 = 'plan' THEN next_run_at ELSE $19 END,
			disabled_reason = $20, updated_at = $21,
			kind = $22, alert_policy = $23, flow_key = $24, workflow_id = $25,
			pause_reason = CASE WHEN pause_reason = 'plan' OR $26 = 'plan' THEN pause_reason ELSE $26 END,
			expect = $27
			WHERE id = $1`,
			j.ID, j.Name, j.URL, j.Method, r.d.JSON(headersOrEmpty(j.Headers)), j.Body,
			j.TimeoutMS, j.RetryAttempts, j.Enabled, j.CronExpression, j.Interval,
			j.TimeZone, r.d.TimePtr(j.RunAt), j.CatchUp, int(j.CatchUpWindow/time.Second), j.Overlap,
			j.IntervalMinutes, j.NotifyMode, r.d.TimePtr(j.NextRunAt), j.DisabledReason, r.d.Time(j.UpdatedAt), j.Kind,
			r.d.JSON(policyOf(j.AlertPolicy)), j.FlowKey, r.d.IDPtr(j.WorkflowID), j.PauseReason,
			expectJSON(r.d, j.Expect))
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
		if err := setJobChannels(ctx, r.d, tx, j); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", j.ID); err != nil {
			return err
		}
		return tx.Notify(ctx, store.TopicJobs, j.ID.String())
	})
}

// JobSetEnabled implements store.Store.
func (r *Records) JobSetEnabled(ctx context.Context, id prikke.ID, enabled bool, nextRunAt *time.Time) error {
	return r.inTx(ctx, "set job enabled", func(tx Tx) error {
		if enabled {
			if err := r.refuseSuspended(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE jobs SET enabled = $2, next_run_at = $3, pause_reason = '',
			disabled_reason = CASE WHEN $2 THEN '' ELSE disabled_reason END WHERE id = $1`, id, enabled, r.d.TimePtr(nextRunAt))
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
		if !enabled {
			if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", id); err != nil {
				return err
			}
		}
		return tx.Notify(ctx, store.TopicJobs, id.String())
	})
}

// refuseSuspended fails (EFORBIDDEN) when the organization of job id is
// suspended, holding the organization's row for the rest of tx as a
// suspension does (lockOrganization): a job enabled or resumed by a
// request that checked the organization before a suspension committed
// and wrote after would otherwise run in a suspended organization (the
// suspension pauses only the jobs enabled when it runs). A job that is
// gone is left to the caller's ENOTFOUND.
func (r *Records) refuseSuspended(ctx context.Context, tx Tx, id prikke.ID) error {
	var orgID prikke.ID
	if err := tx.QueryRow(ctx, "SELECT organization_id FROM jobs WHERE id = $1", id).Scan(&orgID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	org, err := r.lockOrganization(ctx, tx, orgID)
	if err != nil {
		return err
	}
	if org.Suspended() {
		return errSuspended()
	}
	return nil
}

// JobPauseFor implements store.Store.
func (r *Records) JobPauseFor(ctx context.Context, id prikke.ID, reason string) error {
	return r.inTx(ctx, "pause job", func(tx Tx) error {
		res, err := tx.Exec(ctx, "UPDATE jobs SET enabled = false, pause_reason = $2 WHERE id = $1", id, reason)
		if err != nil {
			return err
		}
		if res == 0 {
			return notFound()
		}
		if _, err := tx.Exec(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", id); err != nil {
			return err
		}
		return tx.Notify(ctx, store.TopicJobs, id.String())
	})
}

// JobDelete implements store.Store.
func (r *Records) JobDelete(ctx context.Context, id prikke.ID) error {
	return r.inTx(ctx, "delete job", func(tx Tx) error {
		n, err := tx.Exec(ctx, "DELETE FROM jobs WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound()
		}
		return tx.Notify(ctx, store.TopicJobs, id.String())
	})
}

// JobCountByOrganization implements store.Store.
func (r *Records) JobCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error) {
	var n int
	if err := r.d.Reader().QueryRow(ctx, "SELECT count(*) FROM jobs WHERE organization_id = $1 AND kind <> 'queue' AND run_id IS NULL", orgID).Scan(&n); err != nil {
		return 0, r.fail("count jobs", err)
	}
	return n, nil
}

// ExecutionColumns lists an execution's columns (from "executions e"),
// without the request and response bodies (lists stay light), for
// ExecutionDest.
const ExecutionColumns = `e.id, e.job_id, e.project_id, e.organization_id, e.scheduled_for, e.due_at, e.attempt, e.status,
	e.priority, e.rescued, e.manual, e.missed_count, e.claimed_by, e.claimed_at, e.lease_expires_at, e.started_at,
	e.finished_at, e.request_method, e.request_url, e.request_headers, e.response_status, e.response_headers,
	e.response_truncated, e.duration_ms, e.error, e.created_at, e.flow_key, e.throttled_ms,
	e.request_truncated, e.trace, e.replay_of`

// ExecutionSendColumns is ExecutionColumns with the request body: what a
// worker needs to send an attempt (a pending replay's Request* fields are
// the request to send). The body is NULL until an attempt completes,
// except on a replay, so reading it costs an ordinary claim nothing.
const ExecutionSendColumns = ExecutionColumns + ", e.request_body"

// ExecutionSendDest returns the scan destinations of ExecutionSendColumns.
func ExecutionSendDest(d Dialect, e *prikke.Execution) []any {
	return append(ExecutionDest(d, e), &e.RequestBody)
}

// ExecutionDest returns the scan destinations of ExecutionColumns into e.
func ExecutionDest(d Dialect, e *prikke.Execution) []any {
	return []any{&e.ID, &e.JobID, &e.ProjectID, &e.OrganizationID, d.ScanTime(&e.ScheduledFor), d.ScanTime(&e.DueAt), &e.Attempt, &e.Status,
		&e.Priority, &e.Rescued, &e.Manual, &e.MissedCount, &e.ClaimedBy, d.ScanTimePtr(&e.ClaimedAt), d.ScanTimePtr(&e.LeaseExpiresAt), d.ScanTimePtr(&e.StartedAt),
		d.ScanTimePtr(&e.FinishedAt), &e.RequestMethod, &e.RequestURL, d.ScanJSON(&e.RequestHeaders), &e.ResponseStatus, d.ScanJSON(&e.ResponseHeaders),
		&e.ResponseTruncated, &e.DurationMS, &e.Error, d.ScanTime(&e.CreatedAt), &e.FlowKey, &e.ThrottledMS,
		&e.RequestTruncated, d.ScanJSON(&e.Trace), d.ScanIDPtr(&e.ReplayOf)}
}

// ScanExecution scans one row of ExecutionColumns.
func ScanExecution(d Dialect, row Row) (*prikke.Execution, error) {
	var e prikke.Execution
	if err := row.Scan(ExecutionDest(d, &e)...); err != nil {
		return nil, err
	}
	return &e, nil
}

func (r *Records) scanExecution(row Row) (*prikke.Execution, error) { return ScanExecution(r.d, row) }

// ExecutionGet implements store.Store.
func (r *Records) ExecutionGet(ctx context.Context, id prikke.ID) (*prikke.Execution, error) {
	var e prikke.Execution
	err := r.d.Reader().QueryRow(ctx, "SELECT "+ExecutionSendColumns+", e.response_body FROM executions e WHERE e.id = $1", id).
		Scan(append(ExecutionSendDest(r.d, &e), &e.ResponseBody)...)
	if err != nil {
		return nil, r.fail("get execution", err)
	}
	return &e, nil
}

// executionWhere builds the WHERE clause of an execution filter.
func executionWhere(d Dialect, f store.ExecutionFilter, args *[]any) (string, error) {
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	var where []string
	if f.JobID == nil && f.ProjectID == nil && f.OrganizationID == nil {
		return "", fmt.Errorf("a job, project or organization is required")
	}
	if f.JobID != nil {
		where = append(where, "e.job_id = "+arg(*f.JobID))
	}
	if f.ProjectID != nil {
		where = append(where, "e.project_id = "+arg(*f.ProjectID))
	}
	if f.OrganizationID != nil {
		where = append(where, "e.organization_id = "+arg(*f.OrganizationID))
	}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		where = append(where, d.AnyOf("e.status", arg(d.List(ss))))
	}
	if !f.Since.IsZero() {
		where = append(where, "e.created_at >= "+arg(d.Time(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "e.created_at < "+arg(d.Time(f.Until)))
	}
	if !f.BeforeCreatedAt.IsZero() {
		where = append(where, "(e.created_at, e.id) < ("+arg(d.Time(f.BeforeCreatedAt))+", "+arg(f.BeforeID)+")")
	}
	where = executionSearch(d, f, where, arg)
	return strings.Join(where, " AND "), nil
}

// ExecutionList implements store.Store.
func (r *Records) ExecutionList(ctx context.Context, f store.ExecutionFilter) ([]*prikke.Execution, error) {
	var args []any
	where, err := executionWhere(r.d, f, &args)
	if err != nil {
		return nil, fmt.Errorf("%s: list executions: %w", r.d.Name(), err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	q := "SELECT " + ExecutionColumns + " FROM executions e WHERE " + where +
		fmt.Sprintf(" ORDER BY e.created_at DESC, e.id DESC LIMIT $%d", len(args))
	return list(ctx, r, "list executions", r.scanExecution, q, args...)
}

// ExecutionStats implements store.Store.
func (r *Records) ExecutionStats(ctx context.Context, f store.ExecutionFilter) (map[prikke.ExecutionStatus]int, error) {
	var args []any
	where, err := executionWhere(r.d, f, &args)
	if err != nil {
		return nil, fmt.Errorf("%s: execution stats: %w", r.d.Name(), err)
	}
	type row struct {
		st prikke.ExecutionStatus
		n  int
	}
	rows, err := list(ctx, r, "execution stats", func(rw Row) (row, error) {
		var x row
		err := rw.Scan(&x.st, &x.n)
		return x, err
	}, "SELECT e.status, count(*) FROM executions e WHERE "+where+" GROUP BY e.status", args...)
	if err != nil {
		return nil, err
	}
	out := map[prikke.ExecutionStatus]int{}
	for _, x := range rows {
		out[x.st] = x.n
	}
	return out, nil
}

// JobAlertColumns lists, from "jobs j JOIN projects p", what
// store.JobHealthAfter needs of a job, for JobAlertScan.
const JobAlertColumns = `j.project_id, j.health, j.consecutive_failures, j.consecutive_successes, j.alerted_at,
	j.alert_held, j.alert_policy, p.alert_after, p.snooze_until`

// JobAlertScan scans a row of JobAlertColumns.
type JobAlertScan struct {
	ProjectID prikke.ID
	State     store.JobAlertState
	Rules     store.JobAlertRules
	policy    policyJSON
}

// Dest returns the scan destinations of JobAlertColumns.
func (s *JobAlertScan) Dest(d Dialect) []any {
	st := &s.State
	return []any{&s.ProjectID, &st.Health, &st.Failures, &st.Successes, d.ScanTimePtr(&st.AlertedAt),
		&st.Held, d.ScanJSON(&s.policy), &s.Rules.AlertAfter, d.ScanTimePtr(&s.Rules.ProjectSnooze)}
}

// Scanned finishes the scan: the policy from its JSON.
func (s *JobAlertScan) Scanned() *JobAlertScan {
	s.Rules.Policy = s.policy.policy()
	return s
}
