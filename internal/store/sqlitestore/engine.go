package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// LeaderAttemptElect implements store.Store. One process owns an SQLite
// file, so it wins; the lease row keeps the code path the same as on
// PostgreSQL.
func (s *Store) LeaderAttemptElect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	now := s.now()
	var got string
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO leaders (name, leader_id, elected_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET leader_id = excluded.leader_id, elected_at = excluded.elected_at,
			expires_at = excluded.expires_at
		WHERE leaders.expires_at < $3 OR leaders.leader_id = excluded.leader_id
		RETURNING leader_id`, name, leaderID, ts(now), ts(now.Add(ttl))).Scan(&got)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlitestore: elect leader: %w", mapErr(err))
	}
	return got == leaderID, nil
}

// LeaderAttemptReelect implements store.Store.
func (s *Store) LeaderAttemptReelect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE leaders SET expires_at = $4
		WHERE name = $1 AND leader_id = $2 AND expires_at >= $3`, name, leaderID, ts(now), ts(now.Add(ttl)))
	if err != nil {
		return false, fmt.Errorf("sqlitestore: reelect leader: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LeaderResign implements store.Store.
func (s *Store) LeaderResign(ctx context.Context, name, leaderID string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM leaders WHERE name = $1 AND leader_id = $2", name, leaderID); err != nil {
		return fmt.Errorf("sqlitestore: resign leader: %w", mapErr(err))
	}
	return nil
}

// LeaderGet implements store.Store.
func (s *Store) LeaderGet(ctx context.Context, name string) (string, time.Time, error) {
	var id string
	var exp time.Time
	err := s.rdb.QueryRowContext(ctx, "SELECT leader_id, expires_at FROM leaders WHERE name = $1 AND expires_at >= $2",
		name, ts(s.now())).Scan(&id, timeScan{&exp})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sqlitestore: get leader: %w", mapErr(err))
	}
	return id, exp, nil
}

// JobListDue implements store.Store.
func (s *Store) JobListDue(ctx context.Context, horizon time.Time, limit int) ([]*store.DueJob, error) {
	return list(ctx, s, "list due jobs", func(row scanner) (*store.DueJob, error) {
		var js sqlstore.JobScan
		var tier prikke.Tier
		if err := row.Scan(append(js.Dest(dialect{s}), &tier)...); err != nil {
			return nil, err
		}
		return &store.DueJob{Job: js.Job(), Tier: tier}, nil
	}, `SELECT `+jobColumnsLite+`, o.tier FROM jobs j JOIN organizations o ON o.id = j.organization_id
		WHERE j.enabled = 1 AND j.next_run_at IS NOT NULL AND j.next_run_at <= $1 AND j.kind <> 'queue'
		ORDER BY j.next_run_at LIMIT $2`, ts(horizon), limit)
}

// JobNextRunAt implements store.Store.
func (s *Store) JobNextRunAt(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	if err := s.rdb.QueryRowContext(ctx, "SELECT min(next_run_at) FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL").
		Scan(timePtrScan{&t}); err != nil {
		return time.Time{}, false, fmt.Errorf("sqlitestore: next run: %w", mapErr(err))
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// insertExecutions writes new executions, skipping occurrence attempts
// that exist, and returns how many were inserted and the earliest due
// instant of the pending ones. A pending execution whose flow key has a
// row is put under it (flow), by one probe of flow_keys_project_key_idx.
const insertExecutionSQL = `INSERT INTO executions (id, job_id, project_id, organization_id, scheduled_for,
			due_at, attempt, priority, missed_count, status, error, rescued, manual, finished_at, created_at, flow_key, flow,
			request_method, request_url, request_headers, request_body, replay_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			(SELECT id FROM flow_keys WHERE project_id = $3 AND key = $16 AND $10 = 'pending'),
			$17, $18, $19, $20, $21)
		ON CONFLICT (job_id, scheduled_for, attempt) DO NOTHING`

// insertExecutions inserts executions (an occurrence already written is
// skipped) and returns how many it inserted and the earliest due instant
// of those pending.
func (s *Store) insertExecutions(ctx context.Context, tx *sql.Tx, es []*prikke.Execution) (int, time.Time, error) {
	if len(es) == 0 {
		return 0, time.Time{}, nil
	}
	stmt, err := s.stmt(ctx, tx, insertExecutionSQL)
	if err != nil {
		return 0, time.Time{}, err
	}
	inserted := 0
	var earliest time.Time
	for _, e := range es {
		res, err := stmt.ExecContext(ctx, e.ID, e.JobID, e.ProjectID, e.OrganizationID, ts(e.ScheduledFor), ts(e.DueAt),
			e.Attempt, e.Priority, e.MissedCount, e.Status, e.Error, e.Rescued, e.Manual, tsp(e.FinishedAt), ts(e.CreatedAt), e.FlowKey,
			e.RequestMethod, e.RequestURL, optHeaders(e.RequestHeaders), e.RequestBody, idp(e.ReplayOf))
		if err != nil {
			return 0, time.Time{}, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			inserted++
			if e.Status == prikke.ExecutionStatusPending && (earliest.IsZero() || e.DueAt.Before(earliest)) {
				earliest = e.DueAt
			}
		}
	}
	return inserted, earliest, nil
}

// publishWork wakes this process's workers.
func (s *Store) publishWork(earliest time.Time) {
	if !earliest.IsZero() {
		s.broker.Publish(store.Event{Topic: store.TopicWork, Payload: earliest.UTC().Format(time.RFC3339Nano)})
	}
}

// OccurrencesWrite implements store.Store.
func (s *Store) OccurrencesWrite(ctx context.Context, ws []*store.OccurrenceWrite) (int, error) {
	if len(ws) == 0 {
		return 0, nil
	}
	inserted := 0
	var earliest time.Time
	err := s.inTx(ctx, "write occurrences", func(tx *sql.Tx) error {
		// The priority of the tier the organization has now: a plan
		// change since the scheduler read the job applies.
		stmt, err := s.stmt(ctx, tx, `UPDATE jobs SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2 AND enabled = 1
			RETURNING (SELECT o.tier FROM organizations o WHERE o.id = jobs.organization_id), kind, interval_minutes`)
		if err != nil {
			return err
		}
		var es []*prikke.Execution
		for _, w := range ws {
			var tier prikke.Tier
			var kind prikke.JobKind
			var interval int
			err := stmt.QueryRowContext(ctx, w.JobID, ts(w.PrevNextRunAt), tsp(w.NextRunAt)).Scan(&tier, &kind, &interval)
			if err == sql.ErrNoRows {
				continue // moved on or disabled meanwhile
			}
			if err != nil {
				return err
			}
			for _, e := range w.Executions {
				e.Priority = prikke.Priority(tier, kind, interval)
			}
			es = append(es, w.Executions...)
		}
		inserted, earliest, err = s.insertExecutions(ctx, tx, es)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.publishWork(earliest)
	return inserted, nil
}

// ExecutionInsert implements store.Store.
func (s *Store) ExecutionInsert(ctx context.Context, e *prikke.Execution) error {
	var earliest time.Time
	err := s.inTx(ctx, "insert execution", func(tx *sql.Tx) error {
		n, first, err := s.insertExecutions(ctx, tx, []*prikke.Execution{e})
		if err != nil {
			return err
		}
		if n == 0 {
			return prikke.Errorf(prikke.ECONFLICT, "This occurrence already has that attempt.")
		}
		earliest = first
		return nil
	})
	if err != nil {
		return err
	}
	s.publishWork(earliest)
	return nil
}

// returningExecution is sqlstore.ExecutionSendColumns for a RETURNING
// clause, which in SQLite may not name a table alias: the claims return
// what a worker needs to send each attempt.
var returningExecution = strings.ReplaceAll(sqlstore.ExecutionSendColumns, "e.", "")

// scanClaimed scans one row of returningExecution.
func (s *Store) scanClaimed(row interface{ Scan(...any) error }) (*prikke.Execution, error) {
	var e prikke.Execution
	if err := row.Scan(sqlstore.ExecutionSendDest(dialect{s}, &e)...); err != nil {
		return nil, err
	}
	return &e, nil
}

// inList returns "$k, $k+1, …" placeholders for ids appended to args.
func inList[T any](args *[]any, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ", ")
}

// claimSQL claims one priority's candidates in a due range: ranked per
// organization, only those within their organization's room are taken.
// claimExclSQL leaves out the organizations in $11 (a JSON array) too.
var claimSQL, claimExclSQL = claimStatement(""), claimStatement(" AND organization_id NOT IN (SELECT value FROM json_each($11))")

func claimStatement(excl string) string {
	// The rooms ($6) are read once into r (json_each has no lookup by
	// key: read in each candidate's subquery, a batch across many
	// organizations read the whole object once per candidate).
	return `WITH r (org, room) AS MATERIALIZED (SELECT key, value FROM json_each($6))
		UPDATE executions SET status = 'running', claimed_by = $1, claimed_at = $2,
			lease_expires_at = max($2, due_at) + (SELECT timeout_ms FROM jobs WHERE jobs.id = executions.job_id) * 1000 + $3
		WHERE id IN (
			SELECT id FROM (
				SELECT c.id, c.due_at, row_number() OVER (PARTITION BY c.organization_id ORDER BY c.due_at) AS rn,
					coalesce((SELECT room FROM r WHERE org = c.organization_id), $7) AS room
				FROM (SELECT id, organization_id, due_at FROM executions
					WHERE status = 'pending' AND flow IS NULL AND priority = $4 AND due_at > $9 AND due_at <= $10` + excl + `
					ORDER BY due_at LIMIT $8) c
			) WHERE rn <= room ORDER BY due_at LIMIT $5)
		RETURNING ` + returningExecution
}

// idsJSON returns ids as a JSON array of their text form, for json_each:
// one statement for any number of IDs.
func idsJSON(ids []prikke.ID) string {
	b := make([]byte, 0, 2+len(ids)*39)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, id.String()...)
		b = append(b, '"')
	}
	return string(append(b, ']'))
}

// ExecutionClaim implements store.Store. The single writer connection makes
// the claim exclusive without row locks.
func (s *Store) ExecutionClaim(ctx context.Context, p *store.ClaimParams) (*store.ClaimResult, error) {
	res := &store.ClaimResult{}
	now := s.nowOr(p.Now)
	var settled []*prikke.Execution
	err := s.inTx(ctx, "claim executions", func(tx *sql.Tx) error {
		res.Claimed, settled = res.Claimed[:0], nil
		room := maps.Clone(p.OrgRoom)
		if room == nil {
			room = map[prikke.ID]int{}
		}
		// Limited keys first, at most their free slots (flow.go); then the
		// ordinary steps with what is left.
		claimed, flows, err := s.flowClaim(ctx, tx, p, now, room)
		if err != nil {
			return err
		}
		// First what is due, by priority; then, with room left, what falls
		// due within the lookahead.
		for step := 0; step < 2*prikke.Priorities && len(claimed) < p.Limit; step++ {
			prio, ahead := step%prikke.Priorities, step >= prikke.Priorities
			if ahead && p.Lookahead <= 0 {
				break
			}
			lo, hi := int64(math.MinInt64), ts(now)
			if ahead {
				lo, hi = ts(now), ts(now.Add(p.Lookahead))
			}
			want := p.Limit - len(claimed)
			rooms := map[string]int{}
			var excl []prikke.ID
			for org, n := range room {
				if n <= 0 {
					excl = append(excl, org)
				} else {
					rooms[org.String()] = n
				}
			}
			roomJSON, _ := json.Marshal(rooms)
			claim := claimSQL
			args := []any{p.Node, ts(now), p.LeaseGrace.Microseconds(), prio, want, string(roomJSON),
				store.RoomCap(p.DefaultOrgRoom), store.ClaimScan(want, room, p.DefaultOrgRoom), lo, hi}
			if len(excl) > 0 {
				claim, args = claimExclSQL, append(args, idsJSON(excl))
			}
			stmt, err := s.stmt(ctx, tx, claim)
			if err != nil {
				return err
			}
			rows, err := stmt.QueryContext(ctx, args...)
			if err != nil {
				return err
			}
			var batch []*prikke.Execution
			for rows.Next() {
				e, err := s.scanClaimed(rows)
				if err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			claimed = append(claimed, batch...)
			for _, e := range batch {
				if n, ok := room[e.OrganizationID]; ok {
					room[e.OrganizationID] = n - 1
				} else if p.DefaultOrgRoom > 0 {
					room[e.OrganizationID] = p.DefaultOrgRoom - 1
				}
			}
		}
		if len(claimed) == 0 {
			return nil
		}
		if err := s.attachJobs(ctx, tx, claimed, res); err != nil {
			return err
		}
		for _, c := range res.Claimed {
			c.Flow = flows[c.Execution.ID]
		}
		store.SortClaimed(res.Claimed)
		skipped, err := s.settleOverlaps(ctx, tx, res)
		if err != nil {
			return err
		}
		quota, err := s.meterUsage(ctx, tx, res, now)
		if err != nil {
			return err
		}
		settled = append(skipped, quota...)
		res.Settled = len(settled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publishExecutions(settled)
	return res, nil
}

// attachJobs loads the job, project secrets, redaction and tier of each
// claimed execution.
func (s *Store) attachJobs(ctx context.Context, tx *sql.Tx, claimed []*prikke.Execution, res *store.ClaimResult) error {
	type info struct {
		job     *prikke.Job
		secrets []string
		redact  *prikke.Redaction
		tier    prikke.Tier
	}
	seen := map[prikke.ID]bool{}
	var ids []prikke.ID
	for _, e := range claimed {
		if !seen[e.JobID] {
			seen[e.JobID] = true
			ids = append(ids, e.JobID)
		}
	}
	jobs := map[prikke.ID]*info{}
	now := *claimed[0].ClaimedAt
	stmt, err := s.stmt(ctx, tx, `SELECT `+jobColumnsLite+`, p.signing_secret, p.previous_secret, p.previous_until, p.redact, o.tier
		FROM jobs j JOIN projects p ON p.id = j.project_id JOIN organizations o ON o.id = j.organization_id
		WHERE j.id IN (SELECT value FROM json_each($1))`)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(ids, 1000) {
		rows, err := stmt.QueryContext(ctx, idsJSON(chunk))
		if err != nil {
			return err
		}
		for rows.Next() {
			var js sqlstore.JobScan
			var secret, prev []byte
			var prevUntil *time.Time
			var in info
			if err := rows.Scan(append(js.Dest(dialect{s}), &secret, &prev, timePtrScan{&prevUntil}, jsonScan{&in.redact}, &in.tier)...); err != nil {
				rows.Close()
				return err
			}
			in.job = js.Job()
			cur, err := sqlstore.OpenSecret(s.sealer, secret)
			if err != nil {
				rows.Close()
				return err
			}
			in.secrets = []string{cur}
			if prevUntil != nil && now.Before(*prevUntil) {
				if old, err := sqlstore.OpenSecret(s.sealer, prev); err == nil && old != "" {
					in.secrets = append(in.secrets, old)
				}
			}
			jobs[in.job.ID] = &in
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, e := range claimed {
		in := jobs[e.JobID]
		if in == nil {
			return fmt.Errorf("claimed execution %s has no job", e.ID)
		}
		res.Claimed = append(res.Claimed, &store.Claimed{Execution: e, Job: in.job, Secrets: in.secrets, Redact: in.redact, Tier: in.tier})
	}
	return nil
}

// settleOverlaps marks claimed executions of overlap=skip jobs as skipped
// when another run of the job is in flight (or earlier in this batch).
func (s *Store) settleOverlaps(ctx context.Context, tx *sql.Tx, res *store.ClaimResult) ([]*prikke.Execution, error) {
	jobs := store.OverlapJobs(res.Claimed)
	if len(jobs) == 0 {
		return nil, nil
	}
	var args []any
	q := "SELECT DISTINCT job_id FROM executions WHERE status = 'running' AND job_id IN (" + inList(&args, jobs) + ")"
	claimedIDs := make([]prikke.ID, len(res.Claimed))
	for i, c := range res.Claimed {
		claimedIDs[i] = c.Execution.ID
	}
	q += " AND id NOT IN (" + inList(&args, claimedIDs) + ")"
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	busy := map[prikke.ID]bool{}
	for rows.Next() {
		var id prikke.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		busy[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var skipped []*prikke.Execution
	res.Claimed, skipped = store.SplitOverlaps(res.Claimed, busy)
	return skipped, settle(ctx, tx, skipped, prikke.ExecutionStatusSkipped, store.OverlapNote)
}

// settle finishes claimed executions without delivering them.
func settle(ctx context.Context, tx *sql.Tx, es []*prikke.Execution, status prikke.ExecutionStatus, why string) error {
	for _, e := range es {
		e.Status, e.Error = status, why
		if _, err := tx.ExecContext(ctx, `UPDATE executions SET status = $2, error = $3, finished_at = claimed_at,
			lease_expires_at = NULL WHERE id = $1`, e.ID, status, why); err != nil {
			return err
		}
	}
	return nil
}

// meterUsage counts one request per claimed attempt against each
// organization's month, settles the attempts over quota as quota_exceeded
// (the lowest-priority ones of the batch), and reports threshold crossings.
func (s *Store) meterUsage(ctx context.Context, tx *sql.Tx, res *store.ClaimResult, now time.Time) ([]*prikke.Execution, error) {
	month := prikke.Month(now)
	over := map[prikke.ID]bool{}
	var settled []*prikke.Execution
	// One statement per organization of the batch: prepared once.
	count, err := s.stmt(ctx, tx, `INSERT INTO usage (organization_id, month, requests) VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, month) DO UPDATE SET requests = requests + excluded.requests
		RETURNING requests`)
	if err != nil {
		return nil, err
	}
	for _, b := range store.ByOrganization(res.Claimed) {
		n := int64(len(b.Claimed))
		var total int64
		if err := count.QueryRowContext(ctx, b.OrganizationID, month, n).Scan(&total); err != nil {
			return nil, err
		}
		excess, crossing := store.Meter(n, total, b.Tier)
		if excess > 0 {
			for _, c := range b.Claimed[n-excess:] {
				over[c.Execution.ID] = true
				settled = append(settled, c.Execution)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE usage SET requests = requests - $3 WHERE organization_id = $1 AND month = $2`,
				b.OrganizationID, month, excess); err != nil {
				return nil, err
			}
		}
		if crossing != nil {
			crossing.OrganizationID, crossing.Month = b.OrganizationID, month
			res.QuotaCrossings = append(res.QuotaCrossings, *crossing)
		}
	}
	if len(settled) == 0 {
		return nil, nil
	}
	res.Claimed = slices.DeleteFunc(res.Claimed, func(c *store.Claimed) bool { return over[c.Execution.ID] })
	return settled, settle(ctx, tx, settled, prikke.ExecutionStatusQuotaExceeded, store.QuotaNote)
}

// publishExecutions tells dashboards which executions changed.
func (s *Store) publishExecutions(es []*prikke.Execution) {
	if len(es) == 0 || s.broker.Subscribers(store.TopicExecutions) == 0 {
		return
	}
	for _, p := range store.ExecutionEvents(es) {
		s.broker.Publish(store.Event{Topic: store.TopicExecutions, Payload: p})
	}
}

// ExecutionComplete implements store.Store.
func (s *Store) ExecutionComplete(ctx context.Context, node string, cs []*store.Completion) ([]prikke.ID, error) {
	var r completeResult
	err := s.inTx(ctx, "complete executions", func(tx *sql.Tx) error {
		var err error
		r, err = s.completeTx(ctx, tx, node, cs)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.publish(s)
	return r.applied, nil
}

// completeResult is what a completion transaction announces on commit.
type completeResult struct {
	applied  []prikke.ID
	changed  []*prikke.Execution
	earliest time.Time
	flips    bool
	events   []store.Event // of the workflow runs the completions moved
}

func (r *completeResult) publish(s *Store) {
	s.publishWork(r.earliest)
	for _, e := range r.events {
		s.broker.Publish(e)
	}
	s.publishExecutions(r.changed)
	if r.flips {
		s.broker.Publish(store.Event{Topic: store.TopicFlips})
	}
}

// completeTx records completions fenced on node, then their effects.
func (s *Store) completeTx(ctx context.Context, tx *sql.Tx, node string, cs []*store.Completion) (completeResult, error) {
	var r completeResult
	if len(cs) == 0 {
		return r, nil
	}
	stmt, err := s.stmt(ctx, tx, `UPDATE executions SET status = $3, started_at = $4, finished_at = $5,
			duration_ms = $6, request_method = $7, request_url = $8, request_headers = $9, response_status = $10,
			response_headers = $11, response_body = $12, response_truncated = $13, error = $14, lease_expires_at = NULL,
			request_body = $16, request_truncated = $17, trace = $18
		WHERE id = $1 AND attempt = $2 AND status = 'running' AND claimed_by = $15`)
	if err != nil {
		return r, err
	}
	var done []*store.Completion
	var retries []*prikke.Execution
	for _, c := range cs {
		res, err := stmt.ExecContext(ctx, c.ExecutionID, c.Attempt, c.Status, ts(c.StartedAt), ts(c.FinishedAt),
			c.DurationMS, c.RequestMethod, c.RequestURL, optHeaders(c.RequestHeaders), c.ResponseStatus,
			optHeaders(c.ResponseHeaders), c.ResponseBody, c.ResponseTruncated, c.Error, node,
			c.RequestBody, c.RequestTruncated, optTrace(c.Trace))
		if err != nil {
			return r, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // fenced out: the attempt was rescued meanwhile
		}
		done = append(done, c)
		r.applied = append(r.applied, c.ExecutionID)
		r.changed = append(r.changed, &prikke.Execution{ID: c.ExecutionID, JobID: c.JobID})
		if c.Retry != nil && !c.Gone {
			retries = append(retries, c.Retry)
		}
	}
	if len(done) == 0 {
		return r, nil
	}
	if retries, err = unsuspendedRetries(ctx, tx, retries); err != nil {
		return r, err
	}
	if _, r.earliest, err = s.insertExecutions(ctx, tx, retries); err != nil {
		return r, err
	}
	if freed, err := s.anyTagged(ctx, tx, r.applied); err != nil {
		return r, err
	} else if freed {
		// Wake workers at once: the key may have executions waiting for
		// the slot this completion gave back.
		r.earliest = earliestOf(r.earliest, s.now())
	}
	// A workflow step's attempt moves its run, in this transaction; its
	// hidden job has no health of its own (the workflow has).
	var steps []*store.Completion
	for _, c := range done {
		if c.Step != nil {
			steps = append(steps, c)
		}
	}
	if len(steps) > 0 {
		t := &txQuerier{querier: querier{tx}, tx: tx}
		if err := s.Records.WorkflowStepsComplete(ctx, t, steps); err != nil {
			return r, err
		}
		r.events = t.events
		done = slices.DeleteFunc(done, func(c *store.Completion) bool { return c.Step != nil })
	}
	r.flips, err = s.applyOutcomes(ctx, tx, store.Outcomes(done))
	return r, err
}

// unsuspendedRetries drops the retries of a suspended organization's
// attempts (claimed before its suspension, finished after): nothing of
// it runs while suspended, and the suspension deleted its pending
// executions, retries too. A workflow step's (its hidden job has a run)
// is left alone, as the suspension leaves steps.
func unsuspendedRetries(ctx context.Context, tx *sql.Tx, retries []*prikke.Execution) ([]*prikke.Execution, error) {
	if len(retries) == 0 {
		return retries, nil
	}
	var args []any
	ids := make([]prikke.ID, len(retries))
	for i, e := range retries {
		ids[i] = e.JobID
	}
	rows, err := tx.QueryContext(ctx, `SELECT j.id FROM jobs j JOIN organizations o ON o.id = j.organization_id
		WHERE j.id IN (`+inList(&args, ids)+`) AND o.suspended_at IS NOT NULL AND j.run_id IS NULL`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	suspended := map[prikke.ID]bool{}
	for rows.Next() {
		var id prikke.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		suspended[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(suspended) == 0 {
		return retries, nil
	}
	return slices.DeleteFunc(retries, func(e *prikke.Execution) bool { return suspended[e.JobID] }), nil
}

// optTrace stores a trace as JSON, NULL when the attempt was not traced.
func optTrace(t *prikke.Trace) any {
	if t == nil {
		return nil
	}
	return sqlstore.TraceJSON(t)
}

// optHeaders stores headers as JSON, NULL when absent.
func optHeaders(hs []prikke.Header) any {
	if hs == nil {
		return nil
	}
	return sqlstore.HeadersJSON(hs)
}

// applyOutcomes updates each job's health (only when it changes: the last
// run is read from the executions), disables jobs that answered 410 Gone,
// and writes flips. It reports whether it wrote flips.
func (s *Store) applyOutcomes(ctx context.Context, tx *sql.Tx, outs []*store.JobOutcome) (bool, error) {
	if len(outs) == 0 {
		return false, nil
	}
	// A clean outcome only changes a job that is not plainly healthy: the
	// others are read only when they are not.
	all := make([]prikke.ID, 0, len(outs))
	var changing []prikke.ID
	for _, o := range outs {
		all = append(all, o.JobID)
		if !o.Clean() {
			changing = append(changing, o.JobID)
		}
	}
	get, err := s.stmt(ctx, tx, `SELECT j.id, `+sqlstore.JobAlertColumns+`
		FROM jobs j JOIN projects p ON p.id = j.project_id
		WHERE j.id IN (SELECT value FROM json_each($1))
			AND (j.health <> 'healthy' OR j.consecutive_failures <> 0 OR j.id IN (SELECT value FROM json_each($2)))`)
	if err != nil {
		return false, err
	}
	states := map[prikke.ID]*sqlstore.JobAlertScan{}
	rows, err := get.QueryContext(ctx, idsJSON(all), idsJSON(changing))
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var id prikke.ID
		var sc sqlstore.JobAlertScan
		if err := rows.Scan(append([]any{&id}, sc.Dest(dialect{s})...)...); err != nil {
			rows.Close()
			return false, err
		}
		states[id] = sc.Scanned()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(states) == 0 {
		return false, nil
	}
	upd, err := s.stmt(ctx, tx, `UPDATE jobs SET health = $2, consecutive_failures = $3,
			consecutive_successes = $5, alerted_at = $6, alert_held = $7,
			enabled = CASE WHEN $4 THEN 0 ELSE enabled END,
			next_run_at = CASE WHEN $4 THEN NULL ELSE next_run_at END,
			disabled_reason = CASE WHEN $4 THEN 'The endpoint answered 410 Gone, so Prikke disabled this job. Resume it when the endpoint is back.' ELSE disabled_reason END
		WHERE id = $1`)
	if err != nil {
		return false, err
	}
	flips := false
	for _, o := range outs {
		st := states[o.JobID]
		if st == nil {
			continue // healthy and clean, or deleted meanwhile
		}
		next, flip := store.JobHealthAfter(o, st.State, st.Rules)
		if next != st.State || o.Gone {
			if _, err := upd.ExecContext(ctx, o.JobID, next.Health, next.Failures, o.Gone, next.Successes,
				tsp(next.AlertedAt), next.Held); err != nil {
				return false, err
			}
		}
		var exec any
		if o.LastExecutionID != prikke.NilID {
			exec = o.LastExecutionID
		}
		var out []store.JobFlip
		if flip != nil {
			out = append(out, *flip)
		}
		if o.Gone {
			out = append(out, store.JobFlip{Event: prikke.EventJobDisabled})
			if _, err := tx.ExecContext(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", o.JobID); err != nil {
				return false, err
			}
		}
		for _, f := range out {
			if _, err := tx.ExecContext(ctx, `INSERT INTO flips (id, job_id, project_id, execution_id, event, created_at, muted)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, prikke.NewID(), o.JobID, st.ProjectID, exec, f.Event, ts(o.LastRunAt), f.Muted); err != nil {
				return false, err
			}
			flips = true
		}
	}
	return flips, nil
}

// ExecutionRelease implements store.Store.
func (s *Store) ExecutionRelease(ctx context.Context, node string, ids []prikke.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	released := 0
	var earliest time.Time
	err := s.inTx(ctx, "release executions", func(tx *sql.Tx) error {
		var err error
		released, earliest, err = releaseTx(ctx, tx, node, ids, s.now())
		return err
	})
	if err != nil {
		return 0, err
	}
	s.publishWork(earliest)
	return released, nil
}

// releaseTx puts the node's running executions with these IDs back to
// pending and gives their usage back. It returns how many and the earliest
// due instant among them, or now when one was under a flow key (its slot
// came free). A released execution keeps its flow tag, and one under a flow
// key gets its place in the key's line back: its due instant goes back from
// its slot to where it was before the flow claims throttled it (due_at less
// throttled_ms, which the claim rounds up: at most a millisecond early) and
// throttled_ms to 0, so it is claimed again ahead of the key's later backlog
// (by due_at, then id), and the next claim's throttled_ms counts the whole
// wait from its own due instant.
func releaseTx(ctx context.Context, tx *sql.Tx, node string, ids []prikke.ID, now time.Time) (int, time.Time, error) {
	released := 0
	var earliest time.Time
	for _, id := range ids {
		var org prikke.ID
		var due, claimed time.Time
		var tagged bool
		err := tx.QueryRowContext(ctx, `SELECT organization_id, due_at, claimed_at, flow IS NOT NULL FROM executions
			WHERE id = $1 AND status = 'running' AND claimed_by = $2`, id, node).Scan(&org, timeScan{&due}, timeScan{&claimed}, &tagged)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return 0, earliest, err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE executions SET status = 'pending', claimed_by = '', claimed_at = NULL,
			lease_expires_at = NULL, started_at = NULL,
			due_at = CASE WHEN flow IS NOT NULL THEN due_at - throttled_ms * 1000 ELSE due_at END,
			throttled_ms = CASE WHEN flow IS NOT NULL THEN 0 ELSE throttled_ms END
			WHERE id = $1 RETURNING due_at`, id).Scan(timeScan{&due}); err != nil {
			return 0, earliest, err
		}
		// The request never left: give the usage back.
		if _, err := tx.ExecContext(ctx, `UPDATE usage SET requests = max(requests - 1, 0)
			WHERE organization_id = $1 AND month = $2`, org, prikke.Month(claimed)); err != nil {
			return 0, earliest, err
		}
		released++
		if tagged && now.Before(due) {
			due = now
		}
		earliest = earliestOf(earliest, due)
	}
	return released, earliest, nil
}

// earliestOf returns the earlier of two instants, the zero time meaning
// none.
func earliestOf(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// ExecutionMarkSent implements store.Store. A running row's started_at
// is the mark (its result overwrites it).
func (s *Store) ExecutionMarkSent(ctx context.Context, node string, ids []prikke.ID) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, "mark sent", func(tx *sql.Tx) error {
		for chunk := range slices.Chunk(ids, 500) {
			args := []any{node, ts(now)}
			if _, err := tx.ExecContext(ctx, `UPDATE executions SET started_at = $2
				WHERE status = 'running' AND claimed_by = $1 AND started_at IS NULL AND id IN (`+inList(&args, chunk)+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExecutionRescueDead implements store.Store. The dead are read first
// from the heartbeats, with whether they hold anything; with none to
// settle or forget nothing more is done.
func (s *Store) ExecutionRescueDead(ctx context.Context, p store.DeadParams) (int, int, error) {
	now := s.nowOr(p.Now)
	dead := append([]string{}, p.Nodes...)
	forget := false
	if len(dead) == 0 {
		rows, err := s.db.QueryContext(ctx, `SELECT substr(h.name, $2), h.beat_at < $4,
				EXISTS (SELECT 1 FROM executions e WHERE e.status = 'running' AND e.claimed_by = substr(h.name, $2))
			FROM heartbeats h WHERE substr(h.name, 1, $2 - 1) = $3 AND h.beat_at < $1`,
			ts(now.Add(-p.DeadAfter)), len(store.WorkerBeat)+1, store.WorkerBeat, ts(now.Add(-store.ForgetDeadAfter)))
		if err != nil {
			return 0, 0, fmt.Errorf("sqlitestore: rescue dead nodes: %w", err)
		}
		for rows.Next() {
			var node string
			var old, holds bool
			if err := rows.Scan(&node, &old, &holds); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("sqlitestore: rescue dead nodes: %w", err)
			}
			if holds {
				dead = append(dead, node)
			}
			forget = forget || (old && !holds)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, fmt.Errorf("sqlitestore: rescue dead nodes: %w", err)
		}
	}
	if len(dead) == 0 && !forget {
		return 0, 0, nil
	}
	var results []completeResult
	var released, rescued int
	var earliest time.Time
	err := s.inTx(ctx, "rescue dead nodes", func(tx *sql.Tx) error {
		results, released, rescued, earliest = nil, 0, 0, time.Time{}
		args := []any{p.Limit}
		rows, err := tx.QueryContext(ctx, `SELECT `+sqlstore.ExecutionSendColumns+`, j.kind, j.retry_attempts, j.step,
				EXISTS (SELECT 1 FROM executions x WHERE x.job_id = e.job_id AND x.scheduled_for = e.scheduled_for
					AND x.rescued = 1 AND x.id <> e.id)
			FROM executions e JOIN jobs j ON j.id = e.job_id
			WHERE e.status = 'running' AND e.claimed_by IN (`+inList(&args, dead)+`)
			LIMIT $1`, args...)
		if err != nil {
			return err
		}
		var cands []*store.RescueCandidate
		for rows.Next() {
			var e prikke.Execution
			c := &store.RescueCandidate{Execution: &e}
			if err := rows.Scan(append(sqlstore.ExecutionSendDest(dialect{s}, &e), &c.JobKind, &c.RetryAttempts, jsonScan{&c.Step}, &c.AlreadyRescued)...); err != nil {
				rows.Close()
				return err
			}
			cands = append(cands, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		unsent := map[string][]prikke.ID{}
		sent := map[string][]*store.Completion{}
		for _, c := range cands {
			node := c.Execution.ClaimedBy
			if c.Execution.StartedAt != nil {
				sent[node] = append(sent[node], store.DeadCompletion(c, now))
			} else {
				unsent[node] = append(unsent[node], c.Execution.ID)
			}
		}
		for node, ids := range unsent {
			n, e, err := releaseTx(ctx, tx, node, ids, now)
			if err != nil {
				return err
			}
			released += n
			if !e.IsZero() && (earliest.IsZero() || e.Before(earliest)) {
				earliest = e
			}
		}
		for node, cs := range sent {
			r, err := s.completeTx(ctx, tx, node, cs)
			if err != nil {
				return err
			}
			rescued += len(r.applied)
			results = append(results, r)
		}
		if !forget {
			return nil
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM heartbeats
			WHERE substr(name, 1, $1 - 1) = $2 AND beat_at < $3
				AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.status = 'running' AND e.claimed_by = substr(heartbeats.name, $1))`,
			len(store.WorkerBeat)+1, store.WorkerBeat, ts(now.Add(-store.ForgetDeadAfter)))
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	s.publishWork(earliest)
	for _, r := range results {
		r.publish(s)
	}
	return released, rescued, nil
}

// ExecutionRescue implements store.Store.
func (s *Store) ExecutionRescue(ctx context.Context, p store.RescueParams) (int, error) {
	now := s.nowOr(p.Now)
	var results []completeResult
	rescued := 0
	err := s.inTx(ctx, "rescue executions", func(tx *sql.Tx) error {
		results = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+sqlstore.ExecutionSendColumns+`, j.kind, j.retry_attempts, j.step,
				EXISTS (SELECT 1 FROM executions x WHERE x.job_id = e.job_id AND x.scheduled_for = e.scheduled_for
					AND x.rescued = 1 AND x.id <> e.id)
			FROM executions e JOIN jobs j ON j.id = e.job_id
			WHERE e.status = 'running' AND e.lease_expires_at < $3
			ORDER BY e.lease_expires_at LIMIT $2`, ts(now), p.Limit, anyLeaseBound(p.AnyLease, now))
		if err != nil {
			return err
		}
		var cands []*store.RescueCandidate
		for rows.Next() {
			var e prikke.Execution
			c := &store.RescueCandidate{Execution: &e}
			if err := rows.Scan(append(sqlstore.ExecutionSendDest(dialect{s}, &e), &c.JobKind, &c.RetryAttempts, jsonScan{&c.Step}, &c.AlreadyRescued)...); err != nil {
				rows.Close()
				return err
			}
			cands = append(cands, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		byNode := map[string][]*store.Completion{}
		for _, c := range cands {
			byNode[c.Execution.ClaimedBy] = append(byNode[c.Execution.ClaimedBy], store.RescueCompletion(c, now))
		}
		for node, cs := range byNode {
			r, err := s.completeTx(ctx, tx, node, cs)
			if err != nil {
				return err
			}
			rescued += len(r.applied)
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range results {
		r.publish(s)
	}
	return rescued, nil
}

// ExecutionNextDue implements store.Store. Limited keys count when not
// paused and with room under their parallelism: at the later of their
// first waiting execution's due and their ready_at (next slot, hold end).
func (s *Store) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	err := s.rdb.QueryRowContext(ctx, flowWaiting+`SELECT min(d) FROM (
		SELECT (SELECT due_at FROM executions WHERE status = 'pending' AND flow IS NULL AND priority = 0 ORDER BY due_at LIMIT 1) AS d
		UNION ALL SELECT (SELECT due_at FROM executions WHERE status = 'pending' AND flow IS NULL AND priority = 1 ORDER BY due_at LIMIT 1)
		UNION ALL SELECT (SELECT due_at FROM executions WHERE status = 'pending' AND flow IS NULL AND priority = 2 ORDER BY due_at LIMIT 1)
		UNION ALL SELECT (SELECT due_at FROM executions WHERE status = 'pending' AND flow IS NULL AND priority = 3 ORDER BY due_at LIMIT 1)
		UNION ALL SELECT max(coalesce(f.ready_at, 0),
				(SELECT min(e.due_at) FROM executions e WHERE e.flow = f.id AND e.status = 'pending'))
			FROM w CROSS JOIN flow_keys f WHERE f.id = w.flow AND f.paused = 0 AND (f.parallelism = 0
				OR (SELECT count(*) FROM executions r WHERE r.flow = f.id AND r.status = 'running') < f.parallelism)
	)`).Scan(timePtrScan{&t})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sqlitestore: next due: %w", mapErr(err))
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// ExecutionQueueDepth implements store.Store.
func (s *Store) ExecutionQueueDepth(ctx context.Context, now time.Time) (int, int, error) {
	var due, running int
	err := s.rdb.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM executions WHERE status = 'pending' AND flow IS NULL AND due_at <= $1)
			+ (SELECT count(*) FROM executions WHERE status = 'pending' AND flow IS NOT NULL AND due_at <= $1),
		(SELECT count(*) FROM executions WHERE lease_expires_at IS NOT NULL)`, ts(s.nowOr(now))).Scan(&due, &running)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlitestore: queue depth: %w", mapErr(err))
	}
	return due, running, nil
}

// ExecutionPrune implements store.Store.
func (s *Store) ExecutionPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	now = s.nowOr(now)
	freeCutoff := now.Add(-prikke.TierFree.Limits().History)
	proCutoff := now.Add(-prikke.TierPro.Limits().History)
	// CROSS JOIN keeps the organizations outer, so each one's finished
	// rows are a range of executions_finished_idx; the join the planner
	// chose walked the whole index (11 s at a million rows, holding the
	// write lock).
	res, err := s.db.ExecContext(ctx, `DELETE FROM executions WHERE id IN (
		SELECT e.id FROM organizations o CROSS JOIN executions e
			ON e.organization_id = o.id AND e.finished_at < CASE o.tier WHEN 'pro' THEN $2 ELSE $1 END
		WHERE e.status NOT IN ('pending', 'running')
		LIMIT $3)`, ts(freeCutoff), ts(proCutoff), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: prune executions: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ExecutionDeletePending implements store.Store.
func (s *Store) ExecutionDeletePending(ctx context.Context, jobID prikke.ID) (int, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", jobID)
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: delete pending executions: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// anyLeaseBound is the lease bound of a rescue: now, or past every lease.
func anyLeaseBound(any bool, now time.Time) int64 {
	if any {
		return 1<<63 - 1
	}
	return ts(now)
}
