package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// QueueEnqueueBatch implements store.Store: one statement whatever the
// batch's size (enqueue). The jobs are inserted from arrays, skipping a
// taken idempotency key (ON CONFLICT on jobs_idempotency_idx, which waits
// for a concurrent transaction holding the key and then skips it), in key
// order, so two batches sharing keys never deadlock.
func (s *Store) QueueEnqueueBatch(ctx context.Context, items []*store.EnqueueItem) {
	if len(items) == 0 {
		return
	}
	for _, it := range items {
		it.Stored, it.Created, it.Err = nil, false, nil
	}
	committed, err := s.enqueue(ctx, items)
	if err == nil {
		return
	}
	err = fmt.Errorf("pgstore: enqueue: %w", mapErr(err))
	if committed {
		// The statement committed; what failed came after it (looking up
		// the jobs of taken keys). What it stored stands: only the items
		// left without a job fail, and their keys make a retry safe. Sent
		// alone again, a stored item without a key would fail on its own
		// job's ID and be delivered twice when the client retried.
		for _, it := range items {
			if it.Stored == nil {
				it.Created, it.Err = false, err
			}
		}
		return
	}
	store.EnqueueApart(ctx, s, items, err)
}

type idemKey struct {
	project prikke.ID
	key     string
}

// enqueue stores the items in one statement (its own transaction: one
// round trip and one commit for the batch): the jobs, the first
// executions of those inserted, their queue rows, and the NOTIFY that
// wakes the workers. Then, only when some key was taken, one SELECT of
// the jobs holding them.
func (s *Store) enqueue(ctx context.Context, items []*store.EnqueueItem) (committed bool, err error) {
	first := map[idemKey]int{}
	var jr jobRows
	var er executionRows
	for i, it := range items {
		if err := it.Check(i); err != nil {
			return false, err
		}
		j, e := it.Job, it.Execution
		if j.IdempotencyKey != "" {
			k := idemKey{j.ProjectID, j.IdempotencyKey}
			if _, ok := first[k]; ok {
				continue
			}
			first[k] = i
		}
		if err := jr.add(j); err != nil {
			return false, err
		}
		er.add(e)
	}
	notify, payload := any(nil), ""
	if !er.earliest.IsZero() {
		notify, payload = s.channel(store.TopicWork), er.earliest.UTC().Format(time.RFC3339Nano)
	}
	args := append(jr.args(), bin(er.id), bin(er.job), bin(er.project), bin(er.org), er.scheduled, er.due, er.attempt, er.priority,
		er.missed, er.status, er.errText, er.rescued, er.manual, er.finished, er.created, er.flowKey, notify, payload)
	rows, err := s.pool.Query(ctx, `WITH j AS (
			INSERT INTO jobs (`+jobRowsColumns+`)
			SELECT `+jobRowsColumns+` FROM unnest(`+jobRowsArrays+`) AS u(`+jobRowsColumns+`)
			ORDER BY project_id, idempotency_key
			ON CONFLICT (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING id
		), ins AS (
			INSERT INTO executions (`+enqueueExecColumns+`)
			SELECT `+enqueueExecColumns+` FROM unnest(`+enqueueExecArrays+`) AS u(`+enqueueExecColumns+`)
			WHERE u.job_id IN (SELECT id FROM j)
			RETURNING id, attempt, priority, due_at, organization_id, status, project_id, flow_key
		), queued AS (
			INSERT INTO execution_queue (id, attempt, priority, due_at, organization_id, flow)
			SELECT id, attempt, priority, due_at, organization_id,
				CASE WHEN (SELECT EXISTS (SELECT 1 FROM flow_keys)) THEN
					(SELECT f.id FROM flow_keys f WHERE f.project_id = ins.project_id AND f.key = ins.flow_key) END
			FROM ins WHERE status = 'pending'
		), woken AS (
			SELECT pg_notify($49, $50) WHERE $49::text IS NOT NULL AND EXISTS (SELECT 1 FROM ins WHERE status = 'pending')
		)
		SELECT id, (SELECT count(*) FROM woken) FROM j`, args...)
	if err != nil {
		return false, err
	}
	inserted := make(map[prikke.ID]bool, len(jr.id))
	for rows.Next() {
		var id prikke.ID
		var woken int
		if err := rows.Scan(&id, &woken); err != nil {
			rows.Close()
			return false, err
		}
		inserted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	// Committed (the statement is its own transaction).
	var taken []idemKey
	for i, it := range items {
		j := it.Job
		switch {
		case inserted[j.ID]:
			it.Stored, it.Created = j, true
		case j.IdempotencyKey != "" && first[idemKey{j.ProjectID, j.IdempotencyKey}] == i:
			taken = append(taken, idemKey{j.ProjectID, j.IdempotencyKey})
		case j.IdempotencyKey == "":
			// Cannot happen (nothing but a key conflicts): this item alone
			// fails, the stored ones beside it stand.
			it.Err = fmt.Errorf("pgstore: enqueue: job %s was not inserted", j.ID)
		}
	}
	byKey := map[idemKey]*prikke.Job{}
	if len(taken) > 0 {
		// The transactions that took the keys have committed: ON CONFLICT
		// waited for them.
		projects := make([]prikke.ID, len(taken))
		keys := make([]string, len(taken))
		for i, k := range taken {
			projects[i], keys[i] = k.project, k.key
		}
		js, err := list(ctx, s, "enqueue", func(r pgx.Row) (*prikke.Job, error) { return sqlstore.ScanJob(dialect{s: s}, r) },
			"SELECT "+sqlstore.JobColumns+` FROM jobs j
			JOIN unnest($1::uuid[], $2::text[]) AS u(project_id, key) ON j.project_id = u.project_id AND j.idempotency_key = u.key`,
			bin(projects), keys)
		if err != nil {
			return true, err
		}
		for _, j := range js {
			byKey[idemKey{j.ProjectID, j.IdempotencyKey}] = j
		}
	}
	for _, it := range items {
		j := it.Job
		if it.Created || it.Err != nil {
			continue
		}
		k := idemKey{j.ProjectID, j.IdempotencyKey}
		if f := items[first[k]]; f.Created {
			it.Stored = f.Job // an earlier item of this batch took the key
		} else if it.Stored = byKey[k]; it.Stored == nil {
			return true, fmt.Errorf("job %s: idempotency key neither inserted nor found", j.ID)
		}
	}
	return true, nil
}

// enqueueExecColumns and enqueueExecArrays are the columns of a first
// execution (executionRows, without a replay's request), as $33-$48.
const (
	enqueueExecColumns = `id, job_id, project_id, organization_id, scheduled_for, due_at,
		attempt, priority, missed_count, status, error, rescued, manual, finished_at, created_at, flow_key`
	enqueueExecArrays = `$33::uuid[], $34::uuid[], $35::uuid[], $36::uuid[], $37::timestamptz[], $38::timestamptz[],
		$39::int[], $40::smallint[], $41::int[], $42::text[], $43::text[], $44::bool[], $45::bool[], $46::timestamptz[], $47::timestamptz[],
		$48::text[]`
)

// jobRows are queue jobs as arrays, one per column, for one INSERT.
type jobRows struct {
	id, project, org        []prikke.ID
	kind, name, url, method []string
	headers                 []string
	body                    []string
	timeout, retries        []int
	enabled                 []bool
	cron, interval, zone    []string
	runAt                   []*time.Time
	catchUp                 []string
	catchUpWindow           []int
	overlap                 []string
	intervalMinutes         []int
	notifyMode              []string
	nextRunAt               []*time.Time
	health                  []string
	failures                []int
	disabledReason          []string
	idempotencyKey          []*string
	created, updated        []time.Time
	policy                  []string
	flowKey, pauseReason    []string
	expect                  []*string
}

// jobRowsColumns and jobRowsArrays are the columns jobRows fills:
// sqlstore.InsertJobSQL's but a workflow's (workflow_id, run_id, step),
// which a queue job has not.
const (
	jobRowsColumns = `id, project_id, organization_id, kind, name, url, method, headers, body,
		timeout_ms, retry_attempts, enabled, cron_expression, schedule_interval, time_zone, run_at,
		catch_up, catch_up_window_s, overlap, interval_minutes, notify_mode, next_run_at, health,
		consecutive_failures, disabled_reason, idempotency_key, created_at, updated_at, alert_policy, flow_key,
		pause_reason, expect`
	jobRowsArrays = `$1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[],
		$10::int[], $11::int[], $12::bool[], $13::text[], $14::text[], $15::text[], $16::timestamptz[],
		$17::text[], $18::int[], $19::text[], $20::int[], $21::text[], $22::timestamptz[], $23::text[],
		$24::int[], $25::text[], $26::text[], $27::timestamptz[], $28::timestamptz[], $29::jsonb[], $30::text[],
		$31::text[], $32::jsonb[]`
)

func (r *jobRows) add(j *prikke.Job) error {
	headers := j.Headers
	if headers == nil {
		headers = []prikke.Header{}
	}
	hb, err := json.Marshal(headers)
	if err != nil {
		return err
	}
	pb, err := json.Marshal(sqlstore.AlertPolicyValue(j.AlertPolicy))
	if err != nil {
		return err
	}
	opt := func(v any, isNil bool) (*string, error) {
		if isNil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		s := string(b)
		return &s, nil
	}
	expect, err := opt(j.Expect, j.Expect == nil)
	if err != nil {
		return err
	}
	var key *string
	if j.IdempotencyKey != "" {
		k := j.IdempotencyKey
		key = &k
	}
	health := j.Health
	if health == "" {
		health = prikke.JobHealthy
	}
	r.id = append(r.id, j.ID)
	r.project = append(r.project, j.ProjectID)
	r.org = append(r.org, j.OrganizationID)
	r.kind = append(r.kind, string(j.Kind))
	r.name = append(r.name, j.Name)
	r.url = append(r.url, j.URL)
	r.method = append(r.method, j.Method)
	r.headers = append(r.headers, string(hb))
	r.body = append(r.body, j.Body)
	r.timeout = append(r.timeout, j.TimeoutMS)
	r.retries = append(r.retries, j.RetryAttempts)
	r.enabled = append(r.enabled, j.Enabled)
	r.cron = append(r.cron, j.CronExpression)
	r.interval = append(r.interval, string(j.Interval))
	r.zone = append(r.zone, j.TimeZone)
	r.runAt = append(r.runAt, j.RunAt)
	r.catchUp = append(r.catchUp, string(j.CatchUp))
	r.catchUpWindow = append(r.catchUpWindow, int(j.CatchUpWindow/time.Second))
	r.overlap = append(r.overlap, string(j.Overlap))
	r.intervalMinutes = append(r.intervalMinutes, j.IntervalMinutes)
	r.notifyMode = append(r.notifyMode, string(j.NotifyMode))
	r.nextRunAt = append(r.nextRunAt, j.NextRunAt)
	r.health = append(r.health, string(health))
	r.failures = append(r.failures, j.ConsecutiveFailures)
	r.disabledReason = append(r.disabledReason, j.DisabledReason)
	r.idempotencyKey = append(r.idempotencyKey, key)
	r.created = append(r.created, j.CreatedAt)
	r.updated = append(r.updated, j.UpdatedAt)
	r.policy = append(r.policy, string(pb))
	r.flowKey = append(r.flowKey, j.FlowKey)
	r.pauseReason = append(r.pauseReason, j.PauseReason)
	r.expect = append(r.expect, expect)
	return nil
}

func (r *jobRows) args() []any {
	return []any{bin(r.id), bin(r.project), bin(r.org), r.kind, r.name, r.url, r.method, r.headers, r.body,
		r.timeout, r.retries, r.enabled, r.cron, r.interval, r.zone, r.runAt,
		r.catchUp, r.catchUpWindow, r.overlap, r.intervalMinutes, r.notifyMode, r.nextRunAt, r.health,
		r.failures, r.disabledReason, r.idempotencyKey, r.created, r.updated, r.policy, r.flowKey,
		r.pauseReason, r.expect}
}
