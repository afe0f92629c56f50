package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// nowArg passes t as the "now" of a query, or NULL so that the database
// clock decides (coalesce($n::timestamptz, now())).
func nowArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// LeaderAttemptElect implements store.Store.
func (s *Store) LeaderAttemptElect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	var got string
	err := s.pool.QueryRow(ctx, `
		INSERT INTO leaders (name, leader_id, elected_at, expires_at)
		VALUES ($1, $2, now(), now() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET leader_id = EXCLUDED.leader_id, elected_at = EXCLUDED.elected_at,
			expires_at = EXCLUDED.expires_at
		WHERE leaders.expires_at < now() OR leaders.leader_id = EXCLUDED.leader_id
		RETURNING leader_id`, name, leaderID, ttl.Microseconds()).Scan(&got)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pgstore: elect leader: %w", mapErr(err))
	}
	return got == leaderID, nil
}

// LeaderAttemptReelect implements store.Store.
func (s *Store) LeaderAttemptReelect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE leaders SET expires_at = now() + $3 * interval '1 microsecond'
		WHERE name = $1 AND leader_id = $2 AND expires_at >= now()`, name, leaderID, ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("pgstore: reelect leader: %w", mapErr(err))
	}
	return tag.RowsAffected() == 1, nil
}

// LeaderResign implements store.Store.
func (s *Store) LeaderResign(ctx context.Context, name, leaderID string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM leaders WHERE name = $1 AND leader_id = $2", name, leaderID); err != nil {
		return fmt.Errorf("pgstore: resign leader: %w", mapErr(err))
	}
	return nil
}

// LeaderGet implements store.Store.
func (s *Store) LeaderGet(ctx context.Context, name string) (string, time.Time, error) {
	var id string
	var exp time.Time
	err := s.pool.QueryRow(ctx, "SELECT leader_id, expires_at FROM leaders WHERE name = $1 AND expires_at >= now()", name).Scan(&id, &exp)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("pgstore: get leader: %w", mapErr(err))
	}
	return id, exp, nil
}

// JobListDue implements store.Store.
func (s *Store) JobListDue(ctx context.Context, horizon time.Time, limit int) ([]*store.DueJob, error) {
	return list(ctx, s, "list due jobs", func(row pgx.Row) (*store.DueJob, error) {
		var js sqlstore.JobScan
		var tier prikke.Tier
		if err := row.Scan(append(js.Dest(dialect{s: s}), &tier)...); err != nil {
			return nil, err
		}
		return &store.DueJob{Job: js.Job(), Tier: tier}, nil
	}, `SELECT `+jobColumnsLite+`, o.tier FROM jobs j JOIN organizations o ON o.id = j.organization_id
		WHERE j.enabled AND j.next_run_at IS NOT NULL AND j.next_run_at <= $1 AND j.kind <> 'queue'
		ORDER BY j.next_run_at LIMIT $2`, horizon, limit)
}

// JobNextRunAt implements store.Store.
func (s *Store) JobNextRunAt(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	if err := s.pool.QueryRow(ctx, "SELECT min(next_run_at) FROM jobs WHERE enabled AND next_run_at IS NOT NULL").Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("pgstore: next run: %w", mapErr(err))
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}

// executionRows holds new executions as column arrays for one unnest insert.
type executionRows struct {
	id, job, project, org     []prikke.ID
	scheduled, due            []time.Time
	attempt, priority, missed []int
	status, errText, flowKey  []string
	rescued, manual           []bool
	finished                  []*time.Time
	created                   []time.Time
	earliest                  time.Time
	// A replay's request (issue 18): written only when some row of the
	// batch has one (send), so occurrences pay nothing for the columns.
	send        bool
	method, url []string
	reqHeaders  []*string
	reqBody     [][]byte
	replayOf    []*prikke.ID
}

func (r *executionRows) add(e *prikke.Execution) {
	r.id = append(r.id, e.ID)
	r.job = append(r.job, e.JobID)
	r.project = append(r.project, e.ProjectID)
	r.org = append(r.org, e.OrganizationID)
	r.scheduled = append(r.scheduled, e.ScheduledFor)
	r.due = append(r.due, e.DueAt)
	r.attempt = append(r.attempt, e.Attempt)
	r.priority = append(r.priority, e.Priority)
	r.missed = append(r.missed, e.MissedCount)
	r.status = append(r.status, string(e.Status))
	r.errText = append(r.errText, e.Error)
	r.rescued = append(r.rescued, e.Rescued)
	r.manual = append(r.manual, e.Manual)
	r.finished = append(r.finished, e.FinishedAt)
	r.created = append(r.created, e.CreatedAt)
	r.flowKey = append(r.flowKey, e.FlowKey)
	r.method = append(r.method, e.RequestMethod)
	r.url = append(r.url, e.RequestURL)
	r.reqHeaders = append(r.reqHeaders, optHeadersJSON(e.RequestHeaders))
	r.reqBody = append(r.reqBody, e.RequestBody)
	r.replayOf = append(r.replayOf, e.ReplayOf)
	r.send = r.send || e.ReplayOf != nil || e.RequestMethod != "" || e.RequestURL != "" || e.RequestHeaders != nil || e.RequestBody != nil
	if e.Status == prikke.ExecutionStatusPending && (r.earliest.IsZero() || e.DueAt.Before(r.earliest)) {
		r.earliest = e.DueAt
	}
}

// insert writes the rows, skipping occurrence attempts that exist, queues
// the pending ones, and returns how many were inserted. A queued row whose
// flow key has a row in flow_keys is tagged with it (the flow claim takes
// it); the per-row lookup runs only when flow_keys holds any row at all
// (one probe of an empty table per statement otherwise).
func (r *executionRows) insert(ctx context.Context, tx pgx.Tx) (int, error) {
	if len(r.id) == 0 {
		return 0, nil
	}
	var n int
	cols := `id, job_id, project_id, organization_id, scheduled_for, due_at,
				attempt, priority, missed_count, status, error, rescued, manual, finished_at, created_at, flow_key`
	arrays := `$1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::timestamptz[],
				$7::int[], $8::smallint[], $9::int[], $10::text[], $11::text[], $12::bool[], $13::bool[], $14::timestamptz[], $15::timestamptz[],
				$16::text[]`
	values := cols
	args := []any{bin(r.id), bin(r.job), bin(r.project), bin(r.org), r.scheduled, r.due, r.attempt, r.priority, r.missed, r.status, r.errText,
		r.rescued, r.manual, r.finished, r.created, r.flowKey}
	if r.send {
		cols += ", request_method, request_url, request_headers, request_body, replay_of"
		arrays += ", $17::text[], $18::text[], $19::text[], $20::bytea[], $21::uuid[]"
		values += ", request_method, request_url, request_headers::jsonb, request_body, replay_of"
		args = append(args, r.method, r.url, r.reqHeaders, r.reqBody, r.replayOf)
	}
	err := tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO executions (`+cols+`)
			SELECT `+values+` FROM unnest(`+arrays+`) AS u(`+cols+`)
			ON CONFLICT (job_id, scheduled_for, attempt) DO NOTHING
			RETURNING id, attempt, priority, due_at, organization_id, status, project_id, flow_key
		), queued AS (
			INSERT INTO execution_queue (id, attempt, priority, due_at, organization_id, flow)
			SELECT id, attempt, priority, due_at, organization_id,
				CASE WHEN (SELECT EXISTS (SELECT 1 FROM flow_keys)) THEN
					(SELECT f.id FROM flow_keys f WHERE f.project_id = ins.project_id AND f.key = ins.flow_key) END
			FROM ins WHERE status = 'pending'
		)
		SELECT count(*) FROM ins`, args...).Scan(&n)
	return n, err
}

// copyMin is the fewest rows copy writes: below it, insert's one
// statement costs less than COPY's round trips.
const copyMin = 32

// copyable reports whether copy can write the rows: enough of them, none
// with a request of its own (a replay's columns). The caller also makes
// sure flow_keys is empty (else a queue row may need its key's tag).
func (r *executionRows) copyable() bool {
	return len(r.id) >= copyMin && !r.send
}

// copy writes the rows with COPY, history and queue, and returns how many
// it wrote. Unlike insert it does not skip attempts already written: such
// an attempt fails the statement with a unique violation (23505), and the
// caller writes the batch again with insert.
//
// COPY writes a page's worth of rows in one step (one WAL record per
// page for the heap, where insert logs a record per row) and skips
// planning and the unnest of arrays.
func (r *executionRows) copy(ctx context.Context, tx pgx.Tx) (int, error) {
	n := len(r.id)
	rows := make([][]any, n)
	vals := make([]any, 16*n)
	queued := make([][]any, 0, n)
	qvals := make([]any, 0, 5*n)
	for i := range n {
		v := vals[16*i : 16*(i+1) : 16*(i+1)]
		var finished any
		if r.finished[i] != nil {
			finished = *r.finished[i]
		}
		v[0], v[1], v[2], v[3] = [16]byte(r.id[i]), [16]byte(r.job[i]), [16]byte(r.project[i]), [16]byte(r.org[i])
		v[4], v[5], v[6], v[7], v[8] = r.scheduled[i], r.due[i], int32(r.attempt[i]), int16(r.priority[i]), int32(r.missed[i])
		v[9], v[10], v[11], v[12], v[13], v[14], v[15] = r.status[i], r.errText[i], r.rescued[i], r.manual[i], finished, r.created[i], r.flowKey[i]
		rows[i] = v
		if r.status[i] == string(prikke.ExecutionStatusPending) {
			qvals = append(qvals, v[0], v[6], v[7], v[5], v[3])
			queued = append(queued, qvals[len(qvals)-5:len(qvals):len(qvals)])
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"executions"}, []string{"id", "job_id", "project_id", "organization_id",
		"scheduled_for", "due_at", "attempt", "priority", "missed_count", "status", "error", "rescued", "manual",
		"finished_at", "created_at", "flow_key"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, err
	}
	if len(queued) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"execution_queue"}, []string{"id", "attempt", "priority", "due_at", "organization_id"},
			pgx.CopyFromRows(queued)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// notifyWork wakes workers on every node when tx commits.
func (s *Store) notifyWork(ctx context.Context, tx pgx.Tx, earliest time.Time) error {
	if earliest.IsZero() {
		return nil
	}
	return s.notifyTx(ctx, tx, store.TopicWork, earliest.UTC().Format(time.RFC3339Nano))
}

// OccurrencesWrite implements store.Store.
//
// (Writing a large batch as a few transactions side by side, each over a
// range of the jobs, was measured slower on two cores: the writers
// contend for the same index pages and the relation's extension, and the
// rows cost the database about twice as much each.)
func (s *Store) OccurrencesWrite(ctx context.Context, ws []*store.OccurrenceWrite) (int, error) {
	if len(ws) == 0 {
		return 0, nil
	}
	// Lock jobs in ID order, like the completer, so the two never deadlock.
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b *store.OccurrenceWrite) int { return bytes.Compare(a.JobID[:], b.JobID[:]) })
	return s.occurrencesWrite(ctx, ws, true)
}

// occurrencesWrite writes ws, sorted by job ID, in one transaction: by
// COPY when byCopy is set and the rows allow it (copyable), otherwise (or
// when COPY finds an attempt already written: the transaction is rolled
// back and written again) by insert, which skips such attempts.
func (s *Store) occurrencesWrite(ctx context.Context, ws []*store.OccurrenceWrite, byCopy bool) (int, error) {
	ids := make([]prikke.ID, len(ws))
	prev := make([]time.Time, len(ws))
	next := make([]*time.Time, len(ws))
	for i, w := range ws {
		ids[i], prev[i], next[i] = w.JobID, w.PrevNextRunAt, w.NextRunAt
	}
	inserted, conflict := 0, false
	err := s.inTx(ctx, "write occurrences", func(tx pgx.Tx) error {
		inserted, conflict = 0, false
		// The cursors move (locking the jobs in ID order), then, in the
		// same round trip, the priority of the tier each organization
		// has now is read, by a statement of its own that starts after
		// the jobs are held: a plan change (which holds them too) either
		// committed before, or reprioritizes these executions after.
		var b pgx.Batch
		b.Queue(`UPDATE jobs j SET next_run_at = u.next
			FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS u(id, prev, next)
			WHERE j.id = u.id AND j.next_run_at = u.prev AND j.enabled
			RETURNING j.id, u.prev`, bin(ids), prev, next)
		b.Queue(`SELECT j.id, o.tier, j.kind, j.interval_minutes FROM jobs j
				JOIN organizations o ON o.id = j.organization_id WHERE j.id = ANY($1::uuid[])`, bin(ids))
		// Whether any flow key exists, read in this transaction (not
		// flowKeysExist's cache): a key made after this read tags these
		// executions itself once this transaction ends (retag).
		b.Queue("SELECT EXISTS (SELECT 1 FROM flow_keys)")
		br := tx.SendBatch(ctx, &b)
		defer br.Close()
		type key struct {
			id   prikke.ID
			prev time.Time
		}
		ok := make(map[key]bool, len(ws))
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var k key
		if _, err := pgx.ForEachRow(rows, []any{&k.id, &k.prev}, func() error {
			ok[k] = true
			return nil
		}); err != nil {
			return err
		}
		prio := make(map[prikke.ID]int, len(ws))
		rows, err = br.Query()
		if err != nil {
			return err
		}
		var id prikke.ID
		var tier prikke.Tier
		var kind prikke.JobKind
		var interval int
		if _, err := pgx.ForEachRow(rows, []any{&id, &tier, &kind, &interval}, func() error {
			prio[id] = prikke.Priority(tier, kind, interval)
			return nil
		}); err != nil {
			return err
		}
		var flows bool
		if err := br.QueryRow().Scan(&flows); err != nil {
			return err
		}
		if err := br.Close(); err != nil {
			return err
		}
		var er executionRows
		for _, w := range ws {
			if ok[key{w.JobID, w.PrevNextRunAt.UTC()}] {
				for _, e := range w.Executions {
					if p, found := prio[w.JobID]; found {
						e.Priority = p
					}
					er.add(e)
				}
			}
		}
		if byCopy && !flows && er.copyable() {
			inserted, err = er.copy(ctx, tx)
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" {
				conflict = true
			}
		} else {
			inserted, err = er.insert(ctx, tx)
		}
		if err != nil {
			return err
		}
		return s.notifyWork(ctx, tx, er.earliest)
	})
	if conflict && byCopy {
		return s.occurrencesWrite(ctx, ws, false)
	}
	return inserted, err
}

// ExecutionInsert implements store.Store.
func (s *Store) ExecutionInsert(ctx context.Context, e *prikke.Execution) error {
	return s.inTx(ctx, "insert execution", func(tx pgx.Tx) error {
		var er executionRows
		er.add(e)
		n, err := er.insert(ctx, tx)
		if err != nil {
			return err
		}
		if n == 0 {
			return prikke.Errorf(prikke.ECONFLICT, "This occurrence already has that attempt.")
		}
		return s.notifyWork(ctx, tx, er.earliest)
	})
}

// ExecutionClaim implements store.Store.
func (s *Store) ExecutionClaim(ctx context.Context, p *store.ClaimParams) (*store.ClaimResult, error) {
	res := &store.ClaimResult{}
	var room map[prikke.ID]int
	err := s.inTx(ctx, "claim executions", func(tx pgx.Tx) error {
		res.Claimed = res.Claimed[:0]
		res.QuotaCrossings = res.QuotaCrossings[:0]
		room = maps.Clone(p.OrgRoom)
		if room == nil {
			room = map[prikke.ID]int{}
		}
		// Flow-limited keys first, bounded by their free slots.
		if err := s.claimFlow(ctx, tx, p, room, res); err != nil {
			return err
		}
		// First what is due, by priority; then, with room left, what falls
		// due within the lookahead.
		for step := 0; step < 2*prikke.Priorities && len(res.Claimed) < p.Limit; step++ {
			prio, ahead := step%prikke.Priorities, step >= prikke.Priorities
			if ahead && p.Lookahead <= 0 {
				break
			}
			var horizon time.Duration
			if ahead {
				horizon = p.Lookahead
			}
			orgs, rooms, excl := roomArgs(room)
			want := p.Limit - len(res.Claimed)
			// Candidates are locked (SKIP LOCKED), ranked per organization,
			// and only those within their organization's room are taken;
			// the rest are unlocked at commit. The picked IDs go to the
			// UPDATE as an array so it finds them by primary key whatever
			// the planner guesses about the join. The history row turns
			// running and the queue row takes the lease. Rows of a
			// flow-limited key (flow set) are the flow claim's.
			claimed, err := s.claimRows(ctx, tx, `
				WITH cand AS (
					SELECT id, organization_id, due_at FROM execution_queue
					WHERE lease_expires_at IS NULL AND flow IS NULL AND priority = $1
						AND due_at > CASE WHEN $12 THEN coalesce($2::timestamptz, now()) ELSE '-infinity' END
						AND due_at <= coalesce($2::timestamptz, now()) + $11 * interval '1 microsecond'
						AND organization_id <> ALL($3::uuid[])
					ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED
				), ranked AS (
					SELECT c.id, c.due_at, row_number() OVER (PARTITION BY c.organization_id ORDER BY c.due_at) AS rn,
						coalesce(r.room, $9) AS room
					FROM cand c LEFT JOIN unnest($7::uuid[], $8::int[]) AS r(org, room) ON r.org = c.organization_id
				), pick AS (
					SELECT id FROM ranked WHERE rn <= room ORDER BY due_at LIMIT $10
				), `+claimTail("$2", "$5", "$6", "ARRAY(SELECT id FROM pick)", ""),
				prio, nowArg(p.Now), bin(excl), store.ClaimScan(want, room, p.DefaultOrgRoom), p.Node, p.LeaseGrace.Microseconds(), bin(orgs), rooms, store.RoomCap(p.DefaultOrgRoom), want,
				horizon.Microseconds(), ahead)
			if err != nil {
				return err
			}
			res.Claimed = append(res.Claimed, claimed...)
			store.TakeRoom(room, claimed, p.DefaultOrgRoom)
		}
		if len(res.Claimed) == 0 {
			return nil
		}
		store.SortClaimed(res.Claimed)
		settled, err := s.settleOverlaps(ctx, tx, res)
		if err != nil {
			return err
		}
		quota, err := s.meterUsage(ctx, tx, res)
		if err != nil {
			return err
		}
		settled = append(settled, quota...)
		res.Settled = len(settled)
		return s.notifyExecutions(ctx, tx, settled)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// claimTail is the end of both claims' statement: the picked executions
// (ids, an expression of uuid[]) turn running, claimed by node at now,
// with their job, secrets, redaction and tier returned (and, for a
// replay, the request to send: ExecutionSendColumns), and their queue rows take
// the lease. The flow claim also gives each its start slot (slots, a
// timestamptz[] beside ids): its due instant becomes the slot, history
// and queue alike, its lease runs from it, and the time held back (the
// slot less the history's due instant, rounded up to the millisecond) is
// added to throttled_ms. The history's due instant, not the queue row's:
// a released execution's queue row is due a microsecond before it, to
// sort ahead of its key's backlog due at the same instant (releaseTx).
func claimTail(now, node, grace, ids, slots string) string {
	nowE := "coalesce(" + now + "::timestamptz, now())"
	due, from, where, set, queueSet := "e.due_at", "", "e.id = ANY("+ids+")", "", ""
	if slots != "" {
		due = "f.slot"
		from = ", unnest(" + ids + ", " + slots + ") AS f(id, slot)"
		where += " AND f.id = e.id"
		set = ", due_at = f.slot, throttled_ms = e.throttled_ms + greatest(ceil(extract(epoch FROM f.slot - e.due_at) * 1000), 0)::bigint"
		queueSet = ", due_at = c.claimed_due"
	}
	return `claimed AS (
					UPDATE executions e SET status = 'running', claimed_by = ` + node + `,
						claimed_at = ` + nowE + `,
						lease_expires_at = greatest(` + nowE + `, ` + due + `) + (j.timeout_ms * interval '1 millisecond') + ` + grace + ` * interval '1 microsecond'` + set + `
					FROM jobs j, projects pr, organizations o` + from + `
					WHERE ` + where + ` AND j.id = e.job_id AND pr.id = j.project_id AND o.id = j.organization_id
					RETURNING ` + sqlstore.ExecutionSendColumns + `, ` + jobColumnsLite + `, pr.signing_secret, pr.previous_secret, pr.previous_until, pr.redact, o.tier,
						e.id AS claimed_id, e.lease_expires_at AS claimed_lease, e.due_at AS claimed_due
				), leased AS (
					UPDATE execution_queue q SET claimed_by = ` + node + `, lease_expires_at = c.claimed_lease, sent = false` + queueSet + `
					FROM claimed c WHERE q.id = c.claimed_id
				)
				SELECT * FROM claimed`
}

// claimRows runs a claim statement ending in claimTail and scans what it
// claimed, with each execution's job, signing secrets and redaction.
func (s *Store) claimRows(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]*store.Claimed, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Claimed, error) {
		var c store.Claimed
		var e prikke.Execution
		var js sqlstore.JobScan
		var secret, prev []byte
		var prevUntil *time.Time
		dest := append(sqlstore.ExecutionSendDest(dialect{s: s}, &e), js.Dest(dialect{s: s})...)
		// claimed_id, claimed_lease and claimed_due only feed the queue's update.
		var leasedID prikke.ID
		var leased, leasedDue time.Time
		dest = append(dest, &secret, &prev, &prevUntil, &c.Redact, &c.Tier, &leasedID, &leased, &leasedDue)
		if err := row.Scan(dest...); err != nil {
			return nil, err
		}
		c.Execution, c.Job = &e, js.Job()
		cur, err := sqlstore.OpenSecret(s.sealer, secret)
		if err != nil {
			return nil, err
		}
		c.Secrets = []string{cur}
		if prevUntil != nil && e.ClaimedAt != nil && e.ClaimedAt.Before(*prevUntil) {
			old, err := sqlstore.OpenSecret(s.sealer, prev)
			if err != nil {
				return nil, err
			}
			if old != "" {
				c.Secrets = append(c.Secrets, old)
			}
		}
		return &c, nil
	})
}

// settleOverlaps marks claimed executions of overlap=skip jobs as skipped
// when another run of the job is in flight (or earlier in this batch), and
// removes them from res.Claimed.
func (s *Store) settleOverlaps(ctx context.Context, tx pgx.Tx, res *store.ClaimResult) ([]*prikke.Execution, error) {
	jobs := store.OverlapJobs(res.Claimed)
	if len(jobs) == 0 {
		return nil, nil
	}
	claimedIDs := make([]prikke.ID, len(res.Claimed))
	for i, c := range res.Claimed {
		claimedIDs[i] = c.Execution.ID
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT job_id FROM executions
		WHERE status = 'running' AND job_id = ANY($1) AND id <> ALL($2)`, bin(jobs), bin(claimedIDs))
	if err != nil {
		return nil, err
	}
	busyList, err := pgx.CollectRows(rows, pgx.RowTo[prikke.ID])
	if err != nil {
		return nil, err
	}
	busy := make(map[prikke.ID]bool, len(busyList))
	for _, id := range busyList {
		busy[id] = true
	}
	var skipped []*prikke.Execution
	res.Claimed, skipped = store.SplitOverlaps(res.Claimed, busy)
	if len(skipped) == 0 {
		return nil, nil
	}
	return skipped, settle(ctx, tx, skipped, prikke.ExecutionStatusSkipped, store.OverlapNote)
}

// settle finishes claimed executions without delivering them.
func settle(ctx context.Context, tx pgx.Tx, es []*prikke.Execution, status prikke.ExecutionStatus, why string) error {
	ids := make([]prikke.ID, len(es))
	for i, e := range es {
		ids[i] = e.ID
		e.Status, e.Error = status, why
	}
	_, err := tx.Exec(ctx, `WITH dequeued AS (DELETE FROM execution_queue WHERE id = ANY($1))
		UPDATE executions SET status = $2, error = $3, finished_at = claimed_at, lease_expires_at = NULL
		WHERE id = ANY($1)`, bin(ids), status, why)
	return err
}

// meterUsage counts one request per claimed attempt against each
// organization's month, settles the attempts over quota as quota_exceeded
// (the lowest-priority ones of the batch), and reports threshold crossings.
func (s *Store) meterUsage(ctx context.Context, tx pgx.Tx, res *store.ClaimResult) ([]*prikke.Execution, error) {
	month := prikke.Month(*res.Claimed[0].Execution.ClaimedAt)
	over := map[prikke.ID]bool{}
	var settled []*prikke.Execution
	for _, b := range store.ByOrganization(res.Claimed) {
		n := int64(len(b.Claimed))
		var total int64
		if err := tx.QueryRow(ctx, `INSERT INTO usage (organization_id, month, requests) VALUES ($1, $2, $3)
			ON CONFLICT (organization_id, month) DO UPDATE SET requests = usage.requests + EXCLUDED.requests
			RETURNING requests`, b.OrganizationID, month, n).Scan(&total); err != nil {
			return nil, err
		}
		excess, crossing := store.Meter(n, total, b.Tier)
		if excess > 0 {
			for _, c := range b.Claimed[n-excess:] {
				over[c.Execution.ID] = true
				settled = append(settled, c.Execution)
			}
			if _, err := tx.Exec(ctx, `UPDATE usage SET requests = requests - $3 WHERE organization_id = $1 AND month = $2`,
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

// notifyExecutions tells dashboards which executions changed: one
// statement for every payload (a round trip each cost a completion batch
// of a thousand a dozen round trips).
func (s *Store) notifyExecutions(ctx context.Context, tx pgx.Tx, es []*prikke.Execution) error {
	if len(es) == 0 {
		return nil
	}
	payloads := store.ExecutionEvents(es)
	if len(payloads) == 1 {
		return s.notifyTx(ctx, tx, store.TopicExecutions, payloads[0])
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS u(p, n) ORDER BY n",
		s.channel(store.TopicExecutions), payloads)
	return err
}

// ExecutionComplete implements store.Store.
func (s *Store) ExecutionComplete(ctx context.Context, node string, cs []*store.Completion) ([]prikke.ID, error) {
	var applied []prikke.ID
	err := s.inTx(ctx, "complete executions", func(tx pgx.Tx) error {
		var err error
		applied, err = s.completeTx(ctx, tx, node, cs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// completeTx records completions fenced on node, then their effects.
func (s *Store) completeTx(ctx context.Context, tx pgx.Tx, node string, cs []*store.Completion) ([]prikke.ID, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	// Every statement below finds a batch of rows by primary key. With a
	// batch of a few thousand and a table of a few tens of thousands, the
	// planner's cost model prefers a sequential scan hashed against the
	// batch, which reads the whole table for every batch (measured: about
	// 10ms a batch at 50,000 rows, growing with the table; the index
	// probes take a fraction of that, the rows being in cache). The
	// setting goes in the same round trip as the statement (a batch).
	n := len(cs)
	ids := make([]prikke.ID, n)
	attempts := make([]int, n)
	statuses := make([]string, n)
	started := make([]time.Time, n)
	finished := make([]time.Time, n)
	durations := make([]int, n)
	methods := make([]string, n)
	urls := make([]string, n)
	reqHeaders := make([]string, n)
	respStatus := make([]int, n)
	respHeaders := make([]string, n)
	bodies := make([][]byte, n)
	truncated := make([]bool, n)
	reqBodies := make([][]byte, n)
	reqTruncated := make([]bool, n)
	traces := make([]*string, n)
	errs := make([]string, n)
	for i, c := range cs {
		ids[i], attempts[i], statuses[i] = c.ExecutionID, c.Attempt, string(c.Status)
		started[i], finished[i], durations[i] = c.StartedAt, c.FinishedAt, c.DurationMS
		methods[i], urls[i] = c.RequestMethod, c.RequestURL
		reqHeaders[i], respHeaders[i] = sqlstore.HeadersJSON(c.RequestHeaders), sqlstore.HeadersJSON(c.ResponseHeaders)
		respStatus[i], bodies[i], truncated[i], errs[i] = c.ResponseStatus, c.ResponseBody, c.ResponseTruncated, c.Error
		reqBodies[i], reqTruncated[i], traces[i] = c.RequestBody, c.RequestTruncated, traceJSON(c.Trace)
	}
	// One statement fences and records: the attempts still running on
	// this node leave the queue (a rescue may have taken the others, or a
	// release given them back), and only those of the history rows take
	// their result. The queue rows are locked in ID order, as
	// ExecutionMarkSent and WorkflowDelete lock them: two statements over
	// the same node's rows never wait on each other in opposite orders.
	var b pgx.Batch
	b.Queue("SET LOCAL enable_seqscan = off")
	b.Queue(`WITH fenced AS (
			SELECT q.id FROM execution_queue q JOIN unnest($1::uuid[], $3::int[]) AS u(id, attempt) ON q.id = u.id
			WHERE q.id = ANY($1::uuid[]) AND q.attempt = u.attempt
				AND q.claimed_by = $2 AND q.lease_expires_at IS NOT NULL
			ORDER BY q.id FOR UPDATE OF q
		), dequeued AS (
			DELETE FROM execution_queue q USING fenced f
			WHERE q.id = f.id
			RETURNING q.id, q.flow IS NOT NULL AS tagged
		), recorded AS (
			UPDATE executions e SET status = u.status, started_at = u.started, finished_at = u.finished,
				duration_ms = u.duration, request_method = u.method, request_url = u.url, request_headers = u.req_headers::jsonb,
				response_status = u.resp_status, response_headers = u.resp_headers::jsonb, response_body = u.body,
				response_truncated = u.truncated, error = u.err, lease_expires_at = NULL,
				request_body = u.req_body, request_truncated = u.req_truncated, trace = u.trace::jsonb
			FROM dequeued d, unnest($1::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::int[], $8::text[],
				$9::text[], $10::text[], $11::int[], $12::text[], $13::bytea[], $14::bool[], $15::text[],
				$16::bytea[], $17::bool[], $18::text[])
				AS u(id, status, started, finished, duration, method, url, req_headers, resp_status, resp_headers,
					body, truncated, err, req_body, req_truncated, trace)
			WHERE u.id = d.id AND e.id = d.id
		)
		SELECT id, tagged FROM dequeued`,
		bin(ids), node, attempts, statuses, started, finished, durations, methods, urls, reqHeaders, respStatus, respHeaders,
		bodies, truncated, errs, reqBodies, reqTruncated, traces)
	br := tx.SendBatch(ctx, &b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	running := make(map[prikke.ID]bool, len(cs))
	var id prikke.ID
	var tagged, anyTagged bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &tagged}, func() error {
		running[id] = true
		anyTagged = anyTagged || tagged
		return nil
	}); err != nil {
		br.Close()
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	if anyTagged {
		// A flow-limited key has a slot free under its parallelism:
		// whichever node has room claims its next execution at once.
		if err := s.notifyTx(ctx, tx, store.TopicWork, ""); err != nil {
			return nil, err
		}
	}
	if len(running) < len(cs) {
		cs = slices.DeleteFunc(slices.Clone(cs), func(c *store.Completion) bool { return !running[c.ExecutionID] })
		if len(cs) == 0 {
			return nil, nil
		}
		ids = ids[:0]
		for _, c := range cs {
			ids = append(ids, c.ExecutionID)
		}
	}
	n = len(cs)
	var er executionRows
	changed := make([]*prikke.Execution, 0, n)
	suspended, err := suspendedRetryJobs(ctx, tx, cs)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		changed = append(changed, &prikke.Execution{ID: c.ExecutionID, JobID: c.JobID})
		if c.Retry != nil && !c.Gone && !suspended[c.JobID] {
			er.add(c.Retry)
		}
	}
	if _, err := er.insert(ctx, tx); err != nil {
		return nil, err
	}
	// A workflow step's attempt moves its run, in this transaction; its
	// hidden job has no health of its own (the workflow has).
	if steps := stepCompletions(cs); len(steps) > 0 {
		t := &txQuerier{querier: querier{tx}, tx: tx, s: s}
		if err := s.Records.WorkflowStepsComplete(ctx, t, steps); err != nil {
			return nil, err
		}
		if err := t.flush(ctx); err != nil {
			return nil, err
		}
		cs = slices.DeleteFunc(slices.Clone(cs), func(c *store.Completion) bool { return c.Step != nil })
	}
	if err := s.applyOutcomes(ctx, tx, store.Outcomes(cs)); err != nil {
		return nil, err
	}
	if err := s.notifyWork(ctx, tx, er.earliest); err != nil {
		return nil, err
	}
	return ids, s.notifyExecutions(ctx, tx, changed)
}

// stepCompletions returns the completions of workflow steps' attempts.
func stepCompletions(cs []*store.Completion) []*store.Completion {
	var out []*store.Completion
	for _, c := range cs {
		if c.Step != nil {
			out = append(out, c)
		}
	}
	return out
}

// suspendedRetryJobs returns the jobs of cs's retries whose organization
// is suspended: an attempt claimed before the suspension and finished
// after leaves no retry (nothing of it runs while suspended, and the
// suspension deleted its pending executions, retries too). A workflow
// step's job (it has a run) is not among them, as the suspension leaves
// steps alone.
func suspendedRetryJobs(ctx context.Context, tx pgx.Tx, cs []*store.Completion) (map[prikke.ID]bool, error) {
	var ids []prikke.ID
	for _, c := range cs {
		if c.Retry != nil && !c.Gone {
			ids = append(ids, c.JobID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT j.id FROM jobs j JOIN organizations o ON o.id = j.organization_id
		WHERE j.id = ANY($1::uuid[]) AND o.suspended_at IS NOT NULL AND j.run_id IS NULL`, bin(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[prikke.ID]bool
	for rows.Next() {
		var id prikke.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[prikke.ID]bool{}
		}
		out[id] = true
	}
	return out, rows.Err()
}

// traceJSON is executions.trace: NULL when the attempt was not traced.
func traceJSON(t *prikke.Trace) *string {
	if t == nil {
		return nil
	}
	js := sqlstore.TraceJSON(t)
	return &js
}

// optHeadersJSON is headers as JSON text, nil (NULL) when absent.
func optHeadersJSON(hs []prikke.Header) *string {
	if hs == nil {
		return nil
	}
	js := sqlstore.HeadersJSON(hs)
	return &js
}

// applyOutcomes updates each job's health, disables jobs that answered
// 410 Gone, and writes flips for notifications. A success of a job already
// healthy — nearly every result — writes nothing: the last run is read
// from the executions, and the one query reads no row for it.
func (s *Store) applyOutcomes(ctx context.Context, tx pgx.Tx, outs []*store.JobOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	var all, changing []prikke.ID
	for _, o := range outs {
		all = append(all, o.JobID)
		if !o.Clean() {
			changing = append(changing, o.JobID)
		}
	}
	// A clean outcome only changes a job that is not plainly healthy.
	states := map[prikke.ID]*sqlstore.JobAlertScan{}
	rows, err := tx.Query(ctx, `SELECT j.id, `+sqlstore.JobAlertColumns+`
		FROM jobs j JOIN projects p ON p.id = j.project_id
		WHERE j.id = ANY($1) AND (j.id = ANY($2) OR j.health <> 'healthy' OR j.consecutive_failures <> 0)
		ORDER BY j.id FOR UPDATE OF j`, bin(all), bin(changing))
	if err != nil {
		return err
	}
	for rows.Next() {
		var id prikke.ID
		var st sqlstore.JobAlertScan
		if err := rows.Scan(append([]any{&id}, st.Dest(dialect{s: s})...)...); err != nil {
			rows.Close()
			return err
		}
		states[id] = st.Scanned()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var fl flipRows
	var (
		uIDs       []prikke.ID
		uHealth    []string
		uFailures  []int
		uSuccesses []int
		uAlerted   []*time.Time
		uHeld      []bool
		uGone      []bool
	)
	for _, o := range outs {
		st := states[o.JobID]
		if st == nil {
			continue // healthy and clean, or deleted meanwhile
		}
		next, flip := store.JobHealthAfter(o, st.State, st.Rules)
		uIDs = append(uIDs, o.JobID)
		uHealth = append(uHealth, string(next.Health))
		uFailures = append(uFailures, next.Failures)
		uSuccesses = append(uSuccesses, next.Successes)
		uAlerted = append(uAlerted, next.AlertedAt)
		uHeld = append(uHeld, next.Held)
		uGone = append(uGone, o.Gone)
		if flip != nil {
			fl.add(o, st.ProjectID, flip.Event, flip.Muted)
		}
		if o.Gone {
			fl.add(o, st.ProjectID, prikke.EventJobDisabled, false)
		}
	}
	if len(uIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE jobs j SET health = u.health, consecutive_failures = u.failures,
			consecutive_successes = u.successes, alerted_at = u.alerted, alert_held = u.held,
			enabled = CASE WHEN u.gone THEN false ELSE j.enabled END,
			next_run_at = CASE WHEN u.gone THEN NULL ELSE j.next_run_at END,
			disabled_reason = CASE WHEN u.gone THEN 'The endpoint answered 410 Gone, so Prikke disabled this job. Resume it when the endpoint is back.' ELSE j.disabled_reason END
		FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::timestamptz[], $6::bool[], $7::bool[])
			AS u(id, health, failures, successes, alerted, held, gone)
		WHERE j.id = u.id`, bin(uIDs), uHealth, uFailures, uSuccesses, uAlerted, uHeld, uGone); err != nil {
		return err
	}
	if slices.Contains(uGone, true) {
		if _, err := tx.Exec(ctx, `DELETE FROM executions e USING unnest($1::uuid[], $2::bool[]) AS u(id, gone)
			WHERE e.job_id = u.id AND u.gone AND e.status = 'pending'`, bin(uIDs), uGone); err != nil {
			return err
		}
	}
	return s.insertFlips(ctx, tx, &fl)
}

// flipRows collects flips to insert.
type flipRows struct {
	ids, jobs, projects []prikke.ID
	execs               []*prikke.ID
	events              []string
	at                  []time.Time
	muted               []bool
}

func (f *flipRows) add(o *store.JobOutcome, project prikke.ID, ev prikke.NotificationEvent, muted bool) {
	var exec *prikke.ID
	if o.LastExecutionID != prikke.NilID {
		id := o.LastExecutionID
		exec = &id
	}
	f.ids = append(f.ids, prikke.NewID())
	f.jobs = append(f.jobs, o.JobID)
	f.projects = append(f.projects, project)
	f.execs = append(f.execs, exec)
	f.events = append(f.events, string(ev))
	f.at = append(f.at, o.LastRunAt)
	f.muted = append(f.muted, muted)
}

func (s *Store) insertFlips(ctx context.Context, tx pgx.Tx, f *flipRows) error {
	if len(f.ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO flips (id, job_id, project_id, execution_id, event, created_at, muted)
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::bool[])`,
		bin(f.ids), bin(f.jobs), bin(f.projects), f.execs, f.events, f.at, f.muted); err != nil {
		return err
	}
	return s.notifyTx(ctx, tx, store.TopicFlips, "")
}

// ExecutionRelease implements store.Store.
func (s *Store) ExecutionRelease(ctx context.Context, node string, ids []prikke.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	released := 0
	err := s.inTx(ctx, "release executions", func(tx pgx.Tx) error {
		n, earliest, tagged, err := releaseTx(ctx, tx, node, ids)
		if err != nil {
			return err
		}
		released = n
		if tagged {
			return s.notifyTx(ctx, tx, store.TopicWork, "")
		}
		return s.notifyWork(ctx, tx, earliest)
	})
	return released, err
}

// releaseTx puts the node's running executions with these IDs back to
// pending and gives their usage back. It returns how many, the earliest
// due instant among them, and whether any was of a flow-limited key (its
// slot is free again: the caller wakes the workers). A flow-limited
// execution keeps its tag, and gets its place in the key's line back: its
// due instant goes back from its slot to where it was before the flow
// claims throttled it (due_at less throttled_ms, which the claim rounds
// up: at most a millisecond early) and throttled_ms to 0, so it is claimed
// again ahead of the key's later backlog, and the next claim's throttled_ms
// counts the whole wait from its own due instant. Its queue row is due a
// microsecond earlier still: the flow claim reads a key's line by due_at
// alone, and among rows due at one instant the index keeps a row rewritten
// since (claimed, released) behind the others.
func releaseTx(ctx context.Context, tx pgx.Tx, node string, ids []prikke.ID) (int, time.Time, bool, error) {
	var earliest time.Time
	tagged := false
	rows, err := tx.Query(ctx, `WITH r AS (
			UPDATE execution_queue q SET claimed_by = '', lease_expires_at = NULL, sent = false,
				due_at = CASE WHEN q.flow IS NOT NULL
					THEN x.due_at - x.throttled_ms * interval '1 millisecond' - interval '1 microsecond' ELSE q.due_at END
			FROM executions x
			WHERE q.id = ANY($1) AND q.claimed_by = $2 AND q.lease_expires_at IS NOT NULL AND x.id = q.id
			RETURNING q.id, q.flow IS NOT NULL AS tagged
		), old AS (
			SELECT x.id, x.claimed_at, r.tagged FROM executions x JOIN r ON r.id = x.id
		)
		UPDATE executions e SET status = 'pending', claimed_by = '', claimed_at = NULL, lease_expires_at = NULL,
			due_at = CASE WHEN old.tagged THEN e.due_at - e.throttled_ms * interval '1 millisecond' ELSE e.due_at END,
			throttled_ms = CASE WHEN old.tagged THEN 0 ELSE e.throttled_ms END
		FROM old WHERE e.id = old.id
		RETURNING e.organization_id, e.due_at, old.claimed_at, old.tagged`, bin(ids), node)
	if err != nil {
		return 0, earliest, false, err
	}
	type key struct {
		org   prikke.ID
		month string
	}
	perOrg := map[key]int64{}
	released := 0
	for rows.Next() {
		var org prikke.ID
		var due, claimed time.Time
		var t bool
		if err := rows.Scan(&org, &due, &claimed, &t); err != nil {
			rows.Close()
			return 0, earliest, false, err
		}
		tagged = tagged || t
		perOrg[key{org, prikke.Month(claimed)}]++
		released++
		if earliest.IsZero() || due.Before(earliest) {
			earliest = due
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, earliest, false, err
	}
	// The requests never left: give the usage back.
	for k, n := range perOrg {
		if _, err := tx.Exec(ctx, `UPDATE usage SET requests = greatest(requests - $3, 0)
			WHERE organization_id = $1 AND month = $2`, k.org, k.month, n); err != nil {
			return 0, earliest, false, err
		}
	}
	return released, earliest, tagged, nil
}

// ExecutionMarkSent implements store.Store.
//
// The marks are written in two statements, each locking rows in ID
// order, as the completion's delete does (the two used to deadlock over a
// node's burst, each locking the same rows in its own order). The first
// never waits: it marks the rows no other transaction holds (SKIP
// LOCKED) and commits. The second, only when some were not marked, waits
// in ID order for the rest still leased to this node and unmarked: a row
// held by a completion is gone when it commits (its request went out and
// came back, the mark is moot); one whose completion rolled back, or held
// by anything else, is marked once free. A mark is never lost for a
// request that went out, and the waiting statement holds no lock taken
// out of order.
func (s *Store) ExecutionMarkSent(ctx context.Context, node string, ids []prikke.ID) error {
	if len(ids) == 0 {
		return nil
	}
	// A join with the unnested IDs, not id = ANY($1): with up to 2000 IDs
	// that shape may be planned as a scan of the queue (see completeTx),
	// ten times a second during a burst; the join finds them by primary
	// key (or hashes the leased rows).
	const mark = `UPDATE execution_queue q SET sent = true
		FROM (SELECT l.id FROM execution_queue l JOIN unnest($1::uuid[]) AS u(id) ON l.id = u.id
			WHERE l.claimed_by = $2 AND l.lease_expires_at IS NOT NULL AND NOT l.sent
			ORDER BY l.id FOR UPDATE OF l%s) AS m
		WHERE q.id = m.id
		RETURNING q.id`
	rows, err := s.pool.Query(ctx, fmt.Sprintf(mark, " SKIP LOCKED"), bin(ids), node)
	if err != nil {
		return fmt.Errorf("pgstore: mark sent: %w", mapErr(err))
	}
	marked := make(map[prikke.ID]bool, len(ids))
	var id prikke.ID
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		marked[id] = true
		return nil
	}); err != nil {
		return fmt.Errorf("pgstore: mark sent: %w", mapErr(err))
	}
	if len(marked) == len(ids) {
		return nil
	}
	// The rest: completed already (no row: nothing is locked), or held.
	rest := make([]prikke.ID, 0, len(ids)-len(marked))
	for _, id := range ids {
		if !marked[id] {
			rest = append(rest, id)
		}
	}
	if _, err := s.pool.Exec(ctx, fmt.Sprintf(mark, ""), bin(rest), node); err != nil {
		return fmt.Errorf("pgstore: mark sent: %w", mapErr(err))
	}
	return nil
}

// ExecutionRescueDead implements store.Store. It runs every second on
// every node: the dead are read first from the (small) heartbeats table,
// with whether they hold anything, and with none to settle or forget (the
// usual case) nothing more is done, no transaction opened.
func (s *Store) ExecutionRescueDead(ctx context.Context, p store.DeadParams) (int, int, error) {
	dead := append([]string{}, p.Nodes...)
	forget := false
	if len(dead) == 0 {
		rows, err := s.pool.Query(ctx, `SELECT substr(h.name, $3),
				h.beat_at < coalesce($1::timestamptz, now()) - $5 * interval '1 microsecond',
				EXISTS (SELECT 1 FROM execution_queue q
					WHERE q.lease_expires_at IS NOT NULL AND q.claimed_by = substr(h.name, $3))
			FROM heartbeats h
			WHERE substr(h.name, 1, $3 - 1) = $4 AND h.beat_at < coalesce($1::timestamptz, now()) - $2 * interval '1 microsecond'`,
			nowArg(p.Now), p.DeadAfter.Microseconds(), len(store.WorkerBeat)+1, store.WorkerBeat, store.ForgetDeadAfter.Microseconds())
		if err != nil {
			return 0, 0, fmt.Errorf("pgstore: rescue dead nodes: %w", mapErr(err))
		}
		for rows.Next() {
			var node string
			var old, holds bool
			if err := rows.Scan(&node, &old, &holds); err != nil {
				rows.Close()
				return 0, 0, fmt.Errorf("pgstore: rescue dead nodes: %w", mapErr(err))
			}
			if holds {
				dead = append(dead, node)
			}
			forget = forget || (old && !holds)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, fmt.Errorf("pgstore: rescue dead nodes: %w", mapErr(err))
		}
	}
	if len(dead) == 0 && !forget {
		return 0, 0, nil
	}
	var released, rescued int
	err := s.inTx(ctx, "rescue dead nodes", func(tx pgx.Tx) error {
		released, rescued = 0, 0
		// The dead nodes' running rows (few: at most what the nodes had in
		// flight or claimed ahead).
		rows, err := tx.Query(ctx, `SELECT `+sqlstore.ExecutionSendColumns+`, j.kind, j.retry_attempts, j.step,
				EXISTS (SELECT 1 FROM executions x WHERE x.job_id = e.job_id AND x.scheduled_for = e.scheduled_for
					AND x.rescued AND x.id <> e.id), coalesce($1::timestamptz, now()), q.sent
			FROM execution_queue q JOIN executions e ON e.id = q.id JOIN jobs j ON j.id = e.job_id
			WHERE q.lease_expires_at IS NOT NULL AND q.claimed_by = ANY($2)
			LIMIT $3 FOR UPDATE OF q SKIP LOCKED`,
			nowArg(p.Now), dead, p.Limit)
		if err != nil {
			return err
		}
		var dbNow time.Time
		unsent := map[string][]prikke.ID{}
		sent := map[string][]*store.Completion{}
		var cands []*store.RescueCandidate
		var sentFlags []bool
		for rows.Next() {
			var e prikke.Execution
			var wasSent bool
			c := &store.RescueCandidate{Execution: &e}
			if err := rows.Scan(append(sqlstore.ExecutionSendDest(dialect{s: s}, &e), &c.JobKind, &c.RetryAttempts, &c.Step, &c.AlreadyRescued, &dbNow, &wasSent)...); err != nil {
				rows.Close()
				return err
			}
			cands = append(cands, c)
			sentFlags = append(sentFlags, wasSent)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, c := range cands {
			node := c.Execution.ClaimedBy
			if sentFlags[i] {
				sent[node] = append(sent[node], store.DeadCompletion(c, dbNow))
			} else {
				unsent[node] = append(unsent[node], c.Execution.ID)
			}
		}
		var earliest time.Time
		tagged := false
		for node, ids := range unsent {
			n, e, t, err := releaseTx(ctx, tx, node, ids)
			if err != nil {
				return err
			}
			released += n
			tagged = tagged || t
			if !e.IsZero() && (earliest.IsZero() || e.Before(earliest)) {
				earliest = e
			}
		}
		for node, cs := range sent {
			applied, err := s.completeTx(ctx, tx, node, cs)
			if err != nil {
				return err
			}
			rescued += len(applied)
		}
		if forget {
			// Some heartbeat has been silent for ForgetDeadAfter: forget
			// those that hold nothing.
			if _, err := tx.Exec(ctx, `DELETE FROM heartbeats h
				WHERE substr(h.name, 1, $2 - 1) = $3 AND h.beat_at < coalesce($1::timestamptz, now()) - $4 * interval '1 microsecond'
					AND NOT EXISTS (SELECT 1 FROM execution_queue q
						WHERE q.lease_expires_at IS NOT NULL AND q.claimed_by = substr(h.name, $2))`,
				nowArg(p.Now), len(store.WorkerBeat)+1, store.WorkerBeat, store.ForgetDeadAfter.Microseconds()); err != nil {
				return err
			}
		}
		if tagged {
			return s.notifyTx(ctx, tx, store.TopicWork, "")
		}
		return s.notifyWork(ctx, tx, earliest)
	})
	return released, rescued, err
}

// ExecutionRescue implements store.Store.
func (s *Store) ExecutionRescue(ctx context.Context, p store.RescueParams) (int, error) {
	if err := s.untagDangling(ctx); err != nil {
		return 0, err
	}
	rescued := 0
	err := s.inTx(ctx, "rescue executions", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+sqlstore.ExecutionSendColumns+`, j.kind, j.retry_attempts, j.step,
				EXISTS (SELECT 1 FROM executions x WHERE x.job_id = e.job_id AND x.scheduled_for = e.scheduled_for
					AND x.rescued AND x.id <> e.id), coalesce($1::timestamptz, now())
			FROM execution_queue q JOIN executions e ON e.id = q.id JOIN jobs j ON j.id = e.job_id
			WHERE q.lease_expires_at < CASE WHEN $3 THEN 'infinity'::timestamptz ELSE coalesce($1::timestamptz, now()) END
			ORDER BY q.lease_expires_at LIMIT $2 FOR UPDATE OF q SKIP LOCKED`, nowArg(p.Now), p.Limit, p.AnyLease)
		if err != nil {
			return err
		}
		var dbNow time.Time
		var cands []*store.RescueCandidate
		for rows.Next() {
			var e prikke.Execution
			c := &store.RescueCandidate{Execution: &e}
			if err := rows.Scan(append(sqlstore.ExecutionSendDest(dialect{s: s}, &e), &c.JobKind, &c.RetryAttempts, &c.Step, &c.AlreadyRescued, &dbNow)...); err != nil {
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
			byNode[c.Execution.ClaimedBy] = append(byNode[c.Execution.ClaimedBy], store.RescueCompletion(c, dbNow))
		}
		for node, cs := range byNode {
			applied, err := s.completeTx(ctx, tx, node, cs)
			if err != nil {
				return err
			}
			rescued += len(applied)
		}
		return nil
	})
	return rescued, err
}

// ExecutionNextDue implements store.Store.
func (s *Store) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	// Unlimited keys' executions by priority; then (when any flow key
	// exists) each flow-limited key with a waiting execution (w: a skip
	// scan of the (flow, due_at) index, so a key with nothing waiting
	// costs nothing) that is not paused and has room under its
	// parallelism: the later of its first waiting execution's due instant
	// and its next free slot.
	flow, err := s.flowKeysExist(ctx, s.pool)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("pgstore: next due: %w", mapErr(err))
	}
	q := `SELECT min(due_at) FROM (
		(SELECT due_at FROM execution_queue WHERE lease_expires_at IS NULL AND flow IS NULL AND priority = 0 ORDER BY due_at LIMIT 1)
		UNION ALL (SELECT due_at FROM execution_queue WHERE lease_expires_at IS NULL AND flow IS NULL AND priority = 1 ORDER BY due_at LIMIT 1)
		UNION ALL (SELECT due_at FROM execution_queue WHERE lease_expires_at IS NULL AND flow IS NULL AND priority = 2 ORDER BY due_at LIMIT 1)
		UNION ALL (SELECT due_at FROM execution_queue WHERE lease_expires_at IS NULL AND flow IS NULL AND priority = 3 ORDER BY due_at LIMIT 1)`
	if flow {
		q += `
		UNION ALL (` + flowWaiting + `
			SELECT greatest(m.due_at, f.ready_at) FROM first m JOIN flow_keys f ON f.id = m.flow
			WHERE NOT f.paused AND (f.parallelism = 0 OR (SELECT count(*) FROM (SELECT FROM execution_queue r
				WHERE r.flow = f.id AND r.lease_expires_at IS NOT NULL LIMIT f.parallelism) x) < f.parallelism))`
	}
	err = s.pool.QueryRow(ctx, q+`
	) d`).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("pgstore: next due: %w", mapErr(err))
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}

// ExecutionQueueDepth implements store.Store.
func (s *Store) ExecutionQueueDepth(ctx context.Context, now time.Time) (int, int, error) {
	var due, running int
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM execution_queue WHERE lease_expires_at IS NULL AND flow IS NULL AND due_at <= coalesce($1::timestamptz, now()))
			+ (SELECT count(*) FROM execution_queue WHERE flow IS NOT NULL AND lease_expires_at IS NULL AND due_at <= coalesce($1::timestamptz, now())),
		(SELECT count(*) FROM execution_queue WHERE lease_expires_at IS NOT NULL)`, nowArg(now)).Scan(&due, &running)
	if err != nil {
		return 0, 0, fmt.Errorf("pgstore: queue depth: %w", mapErr(err))
	}
	return due, running, nil
}

// ExecutionPrune implements store.Store.
func (s *Store) ExecutionPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	now = now.UTC()
	freeCutoff := now.Add(-prikke.TierFree.Limits().History)
	proCutoff := now.Add(-prikke.TierPro.Limits().History)
	// A row is created before it finishes, so the project index's range
	// of rows created before the cutoff holds every row finished before it.
	// Each project's range is read oldest first through that index (a
	// lateral per project): a join let the planner scan the whole table,
	// 100 s at 10 million rows, once a minute.
	tag, err := s.pool.Exec(ctx, `DELETE FROM executions WHERE id IN (
		SELECT x.id FROM organizations o JOIN projects p ON p.organization_id = o.id
		CROSS JOIN LATERAL (SELECT e.id FROM executions e
			WHERE e.project_id = p.id
				AND e.created_at < CASE o.tier WHEN 'pro' THEN $2::timestamptz ELSE $1::timestamptz END
				AND e.status NOT IN ('pending', 'running')
				AND e.finished_at < CASE o.tier WHEN 'pro' THEN $2::timestamptz ELSE $1::timestamptz END
			ORDER BY e.created_at LIMIT $3) x
		LIMIT $3)`, freeCutoff, proCutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune executions: %w", mapErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// ExecutionDeletePending implements store.Store.
func (s *Store) ExecutionDeletePending(ctx context.Context, jobID prikke.ID) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM executions WHERE job_id = $1 AND status = 'pending'", jobID)
	if err != nil {
		return 0, fmt.Errorf("pgstore: delete pending executions: %w", mapErr(err))
	}
	return int(tag.RowsAffected()), nil
}

// roomArgs turns the per-organization room into query arguments: the
// organizations with a cap and their room, and those with none left.
func roomArgs(room map[prikke.ID]int) (orgs []prikke.ID, rooms []int, excl []prikke.ID) {
	orgs, rooms, excl = []prikke.ID{}, []int{}, []prikke.ID{}
	for org, n := range room {
		if n <= 0 {
			excl = append(excl, org)
			continue
		}
		orgs = append(orgs, org)
		rooms = append(rooms, n)
	}
	return orgs, rooms, excl
}

// bin passes IDs to pgx as raw 16-byte values: uuid.UUID implements
// driver.Valuer, which pgx would otherwise use, formatting and parsing a
// string per element — measurable when a batch holds hundreds.
func bin(ids []prikke.ID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
