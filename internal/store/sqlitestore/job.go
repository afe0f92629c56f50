package sqlitestore

import (
	"context"
	"database/sql"
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
	j.consecutive_failures, %s, j.disabled_reason, j.idempotency_key, j.created_at, j.updated_at`

// The last run is read from the job's newest finished execution rather
// than written to the job on every result: results are the hot path.
var (
	jobColumns = fmt.Sprintf(jobColumnsFmt, `
	(SELECT x.finished_at FROM executions x WHERE x.job_id = j.id AND x.finished_at IS NOT NULL ORDER BY x.created_at DESC LIMIT 1),
	coalesce((SELECT x.status FROM executions x WHERE x.job_id = j.id AND x.finished_at IS NOT NULL ORDER BY x.created_at DESC LIMIT 1), '')`)
	// jobColumnsLite leaves the last run out, for the engine's queries.
	jobColumnsLite = fmt.Sprintf(jobColumnsFmt, "NULL, ''")
)

type jobScan struct {
	j      prikke.Job
	window int
	idem   sql.NullString
}

func (js *jobScan) dest() []any {
	j := &js.j
	return []any{&j.ID, &j.ProjectID, &j.OrganizationID, &j.Kind, &j.Name, &j.URL, &j.Method, jsonScan{&j.Headers}, &j.Body,
		&j.TimeoutMS, &j.RetryAttempts, &j.Enabled, &j.CronExpression, &j.Interval, &j.TimeZone, timePtrScan{&j.RunAt},
		&j.CatchUp, &js.window, &j.Overlap, &j.IntervalMinutes, &j.NotifyMode, timePtrScan{&j.NextRunAt}, &j.Health,
		&j.ConsecutiveFailures, timePtrScan{&j.LastRunAt}, &j.LastStatus, &j.DisabledReason, &js.idem,
		timeScan{&j.CreatedAt}, timeScan{&j.UpdatedAt}}
}

func (js *jobScan) job() *prikke.Job {
	j := js.j
	j.CatchUpWindow = time.Duration(js.window) * time.Second
	j.IdempotencyKey = js.idem.String
	if j.Headers == nil {
		j.Headers = []prikke.Header{}
	}
	return &j
}

func scanJob(row scanner) (*prikke.Job, error) {
	var js jobScan
	if err := row.Scan(js.dest()...); err != nil {
		return nil, err
	}
	return js.job(), nil
}

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

const insertJobSQL = `INSERT INTO jobs (id, project_id, organization_id, kind, name, url, method, headers, body,
		timeout_ms, retry_attempts, enabled, cron_expression, schedule_interval, time_zone, run_at,
		catch_up, catch_up_window_s, overlap, interval_minutes, notify_mode, next_run_at, health,
		consecutive_failures, disabled_reason, idempotency_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24, $25, $26, $27, $28)`

func insertJobArgs(j *prikke.Job) []any {
	return []any{j.ID, j.ProjectID, j.OrganizationID, j.Kind, j.Name, j.URL, j.Method, headersValue(j.Headers), j.Body,
		j.TimeoutMS, j.RetryAttempts, j.Enabled, j.CronExpression, j.Interval, j.TimeZone, tsp(j.RunAt),
		j.CatchUp, int(j.CatchUpWindow / time.Second), j.Overlap, j.IntervalMinutes, j.NotifyMode, tsp(j.NextRunAt), healthOr(j.Health),
		j.ConsecutiveFailures, j.DisabledReason, nullString(j.IdempotencyKey), ts(j.CreatedAt), ts(j.UpdatedAt)}
}

func insertJob(ctx context.Context, tx *sql.Tx, j *prikke.Job) error {
	if _, err := tx.ExecContext(ctx, insertJobSQL, insertJobArgs(j)...); err != nil {
		return err
	}
	return setJobChannels(ctx, tx, j)
}

// setJobChannels replaces the job's own channel list. Channels must be in
// the job's project; others are ignored (callers validate first).
func setJobChannels(ctx context.Context, tx *sql.Tx, j *prikke.Job) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM job_channels WHERE job_id = $1", j.ID); err != nil {
		return err
	}
	if j.NotifyMode != prikke.NotifyCustom {
		return nil
	}
	for _, c := range j.ChannelIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_channels (job_id, channel_id)
			SELECT $1, c.id FROM channels c WHERE c.id = $2 AND c.project_id = $3 ON CONFLICT DO NOTHING`,
			j.ID, c, j.ProjectID); err != nil {
			return err
		}
	}
	return nil
}

// JobCreate implements store.Store.
func (s *Store) JobCreate(ctx context.Context, j *prikke.Job) error {
	if err := s.inTx(ctx, "create job", func(tx *sql.Tx) error { return insertJob(ctx, tx, j) }); err != nil {
		return err
	}
	s.broker.Publish(store.Event{Topic: store.TopicJobs, Payload: j.ID.String()})
	return nil
}

// JobCreateMany implements store.Store.
func (s *Store) JobCreateMany(ctx context.Context, js []*prikke.Job) error {
	err := s.inTx(ctx, "create jobs", func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertJobSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, j := range js {
			if j.NotifyMode == prikke.NotifyCustom && len(j.ChannelIDs) > 0 {
				return fmt.Errorf("job %s: custom channel lists are not supported in bulk", j.ID)
			}
			if _, err := stmt.ExecContext(ctx, insertJobArgs(j)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.broker.Publish(store.Event{Topic: store.TopicJobs})
	return nil
}

// JobGet implements store.Store.
func (s *Store) JobGet(ctx context.Context, id prikke.ID) (*prikke.Job, error) {
	j, err := scanJob(s.rdb.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs j WHERE j.id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get job: %w", mapErr(err))
	}
	if j.NotifyMode == prikke.NotifyCustom {
		j.ChannelIDs, err = list(ctx, s, "get job channels", func(r scanner) (prikke.ID, error) {
			var id prikke.ID
			err := r.Scan(&id)
			return id, err
		}, "SELECT channel_id FROM job_channels WHERE job_id = $1 ORDER BY channel_id", id)
		if err != nil {
			return nil, err
		}
	}
	return j, nil
}

// JobGetByIdempotencyKey implements store.Store.
func (s *Store) JobGetByIdempotencyKey(ctx context.Context, projectID prikke.ID, key string) (*prikke.Job, error) {
	j, err := scanJob(s.rdb.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs j WHERE j.project_id = $1 AND j.idempotency_key = $2", projectID, key))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get job by idempotency key: %w", mapErr(err))
	}
	return j, nil
}

// JobList implements store.Store.
func (s *Store) JobList(ctx context.Context, f store.JobFilter) ([]*prikke.Job, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OrganizationID == nil && f.ProjectID == nil {
		return nil, fmt.Errorf("sqlitestore: list jobs: an organization or project is required")
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
		ks[i] = arg(string(k))
	}
	where = append(where, "j.kind IN ("+strings.Join(ks, ", ")+")")
	if f.Enabled != nil {
		where = append(where, "j.enabled = "+arg(*f.Enabled))
	}
	if f.Search != "" {
		p := "%" + likeEscape(f.Search) + "%"
		where = append(where, "(j.name LIKE "+arg(p)+" ESCAPE '\\' OR j.url LIKE "+arg(p)+" ESCAPE '\\')")
	}
	if !f.AfterCreatedAt.IsZero() {
		c, id := arg(ts(f.AfterCreatedAt)), arg(f.AfterID)
		where = append(where, "(j.created_at > "+c+" OR (j.created_at = "+c+" AND j.id > "+id+"))")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + jobColumns + " FROM jobs j WHERE " + strings.Join(where, " AND ") +
		" ORDER BY j.created_at, j.id LIMIT " + arg(limit)
	return list(ctx, s, "list jobs", scanJob, q, args...)
}

// likeEscape escapes LIKE wildcards so a search is a plain substring.
// (SQLite's LIKE is case-insensitive for ASCII, like ILIKE.)
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// JobUpdate implements store.Store.
func (s *Store) JobUpdate(ctx context.Context, j *prikke.Job) error {
	err := s.inTx(ctx, "update job", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET name = $2, url = $3, method = $4, headers = $5, body = $6,
			timeout_ms = $7, retry_attempts = $8, enabled = $9, cron_expression = $10, schedule_interval = $11,
			time_zone = $12, run_at = $13, catch_up = $14, catch_up_window_s = $15, overlap = $16,
			interval_minutes = $17, notify_mode = $18, next_run_at = $19, disabled_reason = $20, updated_at = $21,
			kind = $22
			WHERE id = $1`,
			j.ID, j.Name, j.URL, j.Method, headersValue(j.Headers), j.Body,
			j.TimeoutMS, j.RetryAttempts, j.Enabled, j.CronExpression, j.Interval,
			j.TimeZone, tsp(j.RunAt), j.CatchUp, int(j.CatchUpWindow/time.Second), j.Overlap,
			j.IntervalMinutes, j.NotifyMode, tsp(j.NextRunAt), j.DisabledReason, ts(j.UpdatedAt), j.Kind)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound()
		}
		if err := setJobChannels(ctx, tx, j); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", j.ID)
		return err
	})
	if err != nil {
		return err
	}
	s.broker.Publish(store.Event{Topic: store.TopicJobs, Payload: j.ID.String()})
	return nil
}

// JobSetEnabled implements store.Store.
func (s *Store) JobSetEnabled(ctx context.Context, id prikke.ID, enabled bool, nextRunAt *time.Time) error {
	err := s.inTx(ctx, "set job enabled", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET enabled = $2, next_run_at = $3,
			disabled_reason = CASE WHEN $2 THEN '' ELSE disabled_reason END WHERE id = $1`, id, enabled, tsp(nextRunAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound()
		}
		if !enabled {
			_, err = tx.ExecContext(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", id)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.broker.Publish(store.Event{Topic: store.TopicJobs, Payload: id.String()})
	return nil
}

// JobDelete implements store.Store.
func (s *Store) JobDelete(ctx context.Context, id prikke.ID) error {
	if err := s.execOne(ctx, "delete job", "DELETE FROM jobs WHERE id = $1", id); err != nil {
		return err
	}
	s.broker.Publish(store.Event{Topic: store.TopicJobs, Payload: id.String()})
	return nil
}

// JobCountByOrganization implements store.Store.
func (s *Store) JobCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE organization_id = $1 AND kind <> 'queue'", orgID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlitestore: count jobs: %w", mapErr(err))
	}
	return n, nil
}

const executionColumns = `e.id, e.job_id, e.project_id, e.organization_id, e.scheduled_for, e.due_at, e.attempt, e.status,
	e.priority, e.rescued, e.manual, e.missed_count, e.claimed_by, e.claimed_at, e.lease_expires_at, e.started_at,
	e.finished_at, e.request_method, e.request_url, e.request_headers, e.response_status, e.response_headers,
	e.response_truncated, e.duration_ms, e.error, e.created_at`

func executionDest(e *prikke.Execution) []any {
	return []any{&e.ID, &e.JobID, &e.ProjectID, &e.OrganizationID, timeScan{&e.ScheduledFor}, timeScan{&e.DueAt}, &e.Attempt, &e.Status,
		&e.Priority, &e.Rescued, &e.Manual, &e.MissedCount, &e.ClaimedBy, timePtrScan{&e.ClaimedAt}, timePtrScan{&e.LeaseExpiresAt}, timePtrScan{&e.StartedAt},
		timePtrScan{&e.FinishedAt}, &e.RequestMethod, &e.RequestURL, jsonScan{&e.RequestHeaders}, &e.ResponseStatus, jsonScan{&e.ResponseHeaders},
		&e.ResponseTruncated, &e.DurationMS, &e.Error, timeScan{&e.CreatedAt}}
}

func scanExecution(row scanner) (*prikke.Execution, error) {
	var e prikke.Execution
	if err := row.Scan(executionDest(&e)...); err != nil {
		return nil, err
	}
	return &e, nil
}

// ExecutionGet implements store.Store.
func (s *Store) ExecutionGet(ctx context.Context, id prikke.ID) (*prikke.Execution, error) {
	var e prikke.Execution
	err := s.rdb.QueryRowContext(ctx, "SELECT "+executionColumns+", e.response_body FROM executions e WHERE e.id = $1", id).
		Scan(append(executionDest(&e), &e.ResponseBody)...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get execution: %w", mapErr(err))
	}
	return &e, nil
}

// executionWhere builds the WHERE clause of an execution filter.
func executionWhere(f store.ExecutionFilter, args *[]any) (string, error) {
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
			ss[i] = arg(string(st))
		}
		where = append(where, "e.status IN ("+strings.Join(ss, ", ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "e.created_at >= "+arg(ts(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "e.created_at < "+arg(ts(f.Until)))
	}
	if !f.BeforeCreatedAt.IsZero() {
		c, id := arg(ts(f.BeforeCreatedAt)), arg(f.BeforeID)
		where = append(where, "(e.created_at < "+c+" OR (e.created_at = "+c+" AND e.id < "+id+"))")
	}
	return strings.Join(where, " AND "), nil
}

// ExecutionList implements store.Store.
func (s *Store) ExecutionList(ctx context.Context, f store.ExecutionFilter) ([]*prikke.Execution, error) {
	var args []any
	where, err := executionWhere(f, &args)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: list executions: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	q := "SELECT " + executionColumns + " FROM executions e WHERE " + where +
		fmt.Sprintf(" ORDER BY e.created_at DESC, e.id DESC LIMIT $%d", len(args))
	return list(ctx, s, "list executions", scanExecution, q, args...)
}

// ExecutionStats implements store.Store.
func (s *Store) ExecutionStats(ctx context.Context, f store.ExecutionFilter) (map[prikke.ExecutionStatus]int, error) {
	var args []any
	where, err := executionWhere(f, &args)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: execution stats: %w", err)
	}
	type row struct {
		st prikke.ExecutionStatus
		n  int
	}
	rows, err := list(ctx, s, "execution stats", func(r scanner) (row, error) {
		var x row
		err := r.Scan(&x.st, &x.n)
		return x, err
	}, "SELECT e.status, count(*) FROM executions e WHERE "+where+" GROUP BY e.status", args...)
	if err != nil {
		return nil, err
	}
	out := map[prikke.ExecutionStatus]int{}
	for _, r := range rows {
		out[r.st] = r.n
	}
	return out, nil
}
