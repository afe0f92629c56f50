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

// QueueEnqueue implements store.Store: a batch of one.
func (s *Store) QueueEnqueue(ctx context.Context, j *prikke.Job, e *prikke.Execution) (*prikke.Job, bool, error) {
	it := &store.EnqueueItem{Job: j, Execution: e}
	s.QueueEnqueueBatch(ctx, []*store.EnqueueItem{it})
	return it.Stored, it.Created, it.Err
}

// QueueEnqueueBatch implements store.Store. One transaction of a few
// statements whatever the batch's size: the jobs in one INSERT from
// arrays that skips a taken idempotency key (ON CONFLICT on
// jobs_idempotency_idx, which waits for a concurrent transaction holding
// the key and then sees its job), the jobs of the keys found taken in one
// SELECT, the first executions in one INSERT, one NOTIFY. The rows are
// inserted in key order, so two batches sharing keys never deadlock.
func (s *Store) QueueEnqueueBatch(ctx context.Context, items []*store.EnqueueItem) {
	if len(items) == 0 {
		return
	}
	for _, it := range items {
		it.Stored, it.Created, it.Err = nil, false, nil
	}
	err := s.inTx(ctx, "enqueue", func(tx pgx.Tx) error { return s.enqueueTx(ctx, tx, items) })
	if err == nil {
		return
	}
	if len(items) == 1 {
		items[0].Stored, items[0].Created, items[0].Err = nil, false, err
		return
	}
	// Something failed the transaction: each item alone, so that only
	// the failing ones fail.
	for _, it := range items {
		s.QueueEnqueueBatch(ctx, []*store.EnqueueItem{it})
	}
}

type idemKey struct {
	project prikke.ID
	key     string
}

func (s *Store) enqueueTx(ctx context.Context, tx pgx.Tx, items []*store.EnqueueItem) error {
	first := map[idemKey]int{}
	var jr jobRows
	var taken []idemKey
	for i, it := range items {
		j := it.Job
		if j.Kind != prikke.JobKindQueue || j.WorkflowID != nil || j.Step != nil ||
			(j.NotifyMode == prikke.NotifyCustom && len(j.ChannelIDs) > 0) || it.Execution == nil || it.Execution.JobID != j.ID {
			return fmt.Errorf("item %d: not a queue job with its first execution", i)
		}
		if j.IdempotencyKey != "" {
			k := idemKey{j.ProjectID, j.IdempotencyKey}
			if _, ok := first[k]; ok {
				continue
			}
			first[k] = i
		}
		if err := jr.add(j); err != nil {
			return err
		}
	}
	inserted := make(map[prikke.ID]bool, len(jr.id))
	rows, err := tx.Query(ctx, `INSERT INTO jobs (`+jobRowsColumns+`)
		SELECT `+jobRowsColumns+` FROM unnest(`+jobRowsArrays+`) AS u(`+jobRowsColumns+`)
		ORDER BY project_id, idempotency_key
		ON CONFLICT (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
		RETURNING id`, jr.args()...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id prikke.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		inserted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var er executionRows
	for i, it := range items {
		j := it.Job
		switch {
		case inserted[j.ID]:
			it.Stored, it.Created = j, true
			er.add(it.Execution)
		case j.IdempotencyKey != "" && first[idemKey{j.ProjectID, j.IdempotencyKey}] == i:
			taken = append(taken, idemKey{j.ProjectID, j.IdempotencyKey})
		case j.IdempotencyKey == "":
			return fmt.Errorf("job %s was not inserted", j.ID)
		}
	}
	byKey := map[idemKey]*prikke.Job{}
	if len(taken) > 0 {
		projects := make([]prikke.ID, len(taken))
		keys := make([]string, len(taken))
		for i, k := range taken {
			projects[i], keys[i] = k.project, k.key
		}
		rows, err := tx.Query(ctx, "SELECT "+sqlstore.JobColumns+` FROM jobs j
			JOIN unnest($1::uuid[], $2::text[]) AS u(project_id, key) ON j.project_id = u.project_id AND j.idempotency_key = u.key`,
			bin(projects), keys)
		if err != nil {
			return err
		}
		for rows.Next() {
			j, err := sqlstore.ScanJob(dialect{s: s}, rows)
			if err != nil {
				rows.Close()
				return err
			}
			byKey[idemKey{j.ProjectID, j.IdempotencyKey}] = j
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, it := range items {
		j := it.Job
		if it.Created {
			continue
		}
		k := idemKey{j.ProjectID, j.IdempotencyKey}
		if f := items[first[k]]; f.Created {
			it.Stored = f.Job // an earlier item of this batch took the key
		} else if it.Stored = byKey[k]; it.Stored == nil {
			return fmt.Errorf("job %s: idempotency key neither inserted nor found", j.ID)
		}
	}
	if _, err := er.insert(ctx, tx); err != nil {
		return err
	}
	return s.notifyWork(ctx, tx, er.earliest)
}

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
