package pgstore

// Flow control (flow.go at the root, FLOW semantics in store.FlowStore):
// a key's row in flow_keys holds its limits and GCRA state; the queue rows
// of its pending and running executions carry the row's id in flow. The
// ordinary claim skips tagged rows; claimFlow takes them per key, FIFO,
// never more than the key can start, under the key row's lock (FOR NO KEY
// UPDATE SKIP LOCKED), which serialises one key across nodes.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// flowCacheFor is how long a store trusts what it last read of whether
// any flow key exists. A key created on another node is seen at once (its
// creation's work event, flowKeyMade, makes every node read again), or
// within flowCacheFor when that event is lost; its executions, tagged,
// wait meanwhile, and none escapes its limits.
const flowCacheFor = time.Second

// flowKeysExist reports whether flow_keys has any row, read at most once
// per flowCacheFor (this store's own creations set it at once), so that
// claims and wake-up reckoning of installations without flow keys pay
// nothing for them.
func (s *Store) flowKeysExist(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	if time.Now().UnixNano()-s.flowSeen.Load() < int64(flowCacheFor) {
		return s.flowAny.Load(), nil
	}
	gen := s.flowGen.Load()
	var exist bool
	if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM flow_keys)").Scan(&exist); err != nil {
		return false, err
	}
	s.flowAny.Store(exist)
	s.flowSeen.Store(time.Now().UnixNano())
	if s.flowGen.Load() != gen {
		s.flowSeen.Store(0) // forgotten meanwhile: this read may predate the key
	}
	return exist, nil
}

// flowKeysForget makes flowKeysExist read again (another node made a key).
func (s *Store) flowKeysForget() {
	s.flowGen.Add(1)
	s.flowSeen.Store(0)
}

// flowKeyCreated records that a flow key exists, for flowKeysExist.
func (s *Store) flowKeyCreated() {
	s.flowAny.Store(true)
	s.flowSeen.Store(time.Now().UnixNano())
}

// claimFlow claims the pending executions of flow-limited keys that have a
// free slot, into res, within p.Limit and the organizations' room (room is
// taken from). Each claimed execution's due instant becomes its start slot.
func (s *Store) claimFlow(ctx context.Context, tx pgx.Tx, p *store.ClaimParams, room map[prikke.ID]int, res *store.ClaimResult) error {
	if p.Limit <= 0 {
		return nil
	}
	if exist, err := s.flowKeysExist(ctx, tx); err != nil || !exist {
		return err
	}
	_, _, excl := roomArgs(room)
	lookahead := max(p.Lookahead, 0)
	// The eligible keys, locked: not paused, ready within the lookahead,
	// with a pending execution due within it, and (by this statement's
	// snapshot, rechecked below under the lock) room under parallelism;
	// the key whose first waiting execution is most overdue first, as the
	// ordinary claim serves the most overdue first. The keys are found
	// from their waiting executions (flowWaiting: one probe of the (flow,
	// due_at) index per key with something waiting, which also gives its
	// first due instant), never by reading flow_keys whole: a key with
	// nothing waiting (say one its endpoint held, long ended) costs
	// nothing here.
	rows, err := tx.Query(ctx, flowWaiting+`
		SELECT `+sqlstore.FlowKeyColumns+`, pr.organization_id, coalesce($1::timestamptz, now())
		FROM first JOIN flow_keys f ON f.id = first.flow JOIN projects pr ON pr.id = f.project_id
		WHERE NOT f.paused
			AND (f.ready_at IS NULL OR f.ready_at <= coalesce($1::timestamptz, now()) + $2 * interval '1 microsecond')
			AND pr.organization_id <> ALL($3::uuid[])
			AND first.due_at <= coalesce($1::timestamptz, now()) + $2 * interval '1 microsecond'
			AND (f.parallelism = 0 OR (SELECT count(*) FROM (SELECT FROM execution_queue r
				WHERE r.flow = f.id AND r.lease_expires_at IS NOT NULL LIMIT f.parallelism) x) < f.parallelism)
		ORDER BY first.due_at, f.id
		LIMIT $4
		FOR NO KEY UPDATE OF f SKIP LOCKED`, nowArg(p.Now), lookahead.Microseconds(), bin(excl), p.Limit)
	if err != nil {
		return err
	}
	type lockedKey struct {
		k   *prikke.FlowKey
		org prikke.ID
	}
	var keys []lockedKey
	var now time.Time
	for rows.Next() {
		var fs sqlstore.FlowKeyScan
		var org prikke.ID
		if err := rows.Scan(append(fs.Dest(dialect{s: s}), &org, &now)...); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, lockedKey{fs.Key(), org})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	horizon := now.Add(lookahead)
	taken := map[prikke.ID]int{}
	var ids []prikke.ID
	var slots []time.Time
	var tatIDs []prikke.ID
	var tats, readies []*time.Time
	flows := map[prikke.ID]*prikke.FlowKey{}
	left := p.Limit
	for _, lk := range keys {
		if left <= 0 {
			break
		}
		k := lk.k
		free := left
		if r, ok := room[lk.org]; ok {
			free = min(free, r-taken[lk.org])
		} else if p.DefaultOrgRoom > 0 {
			free = min(free, p.DefaultOrgRoom-taken[lk.org])
		}
		running := 0
		if k.Parallelism > 0 && free > 0 {
			// Under the key's lock, so no other claim adds to it; only
			// completions, releases and rescues take from it.
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM execution_queue
				WHERE flow = $1 AND lease_expires_at IS NOT NULL`, k.ID).Scan(&running); err != nil {
				return err
			}
		}
		if free = sqlstore.FlowRoom(k, free, running, lookahead); free <= 0 {
			continue
		}
		// In the index's order, (flow, due_at): executions due at one
		// instant follow each other as the index keeps them (by where
		// they were written); ordering them by id as well made the read
		// sort every execution of the key due at that instant (a burst of
		// thousands) to take a few.
		rows, err := tx.Query(ctx, `SELECT id, due_at FROM execution_queue
			WHERE flow = $1 AND lease_expires_at IS NULL AND due_at <= $2
			ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED`, k.ID, horizon, free)
		if err != nil {
			return err
		}
		var rowIDs []prikke.ID
		var dues []time.Time
		var id prikke.ID
		var due time.Time
		if _, err := pgx.ForEachRow(rows, []any{&id, &due}, func() error {
			rowIDs, dues = append(rowIDs, id), append(dues, due)
			return nil
		}); err != nil {
			return err
		}
		got, tat := k.Slots(now, horizon, dues, free)
		if len(got) == 0 {
			continue
		}
		limits := *k // the limits at this claim, for the worker (Claimed.Flow)
		for i, slot := range got {
			flows[rowIDs[i]] = &limits
			ids = append(ids, rowIDs[i])
			slots = append(slots, slot)
		}
		taken[lk.org] += len(got)
		left -= len(got)
		if k.Interval() > 0 {
			k.TAT = tat
			tatIDs = append(tatIDs, k.ID)
			tats = append(tats, tat)
			readies = append(readies, sqlstore.FlowReadyAt(k))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	claimed, err := s.claimRows(ctx, tx, `WITH `+claimTail("$1", "$2", "$3", "$4::uuid[]", "$5::timestamptz[]"),
		now, p.Node, p.LeaseGrace.Microseconds(), bin(ids), slots)
	if err != nil {
		return err
	}
	if len(tatIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE flow_keys f SET tat = u.tat, ready_at = u.ready
			FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS u(id, tat, ready)
			WHERE f.id = u.id`, bin(tatIDs), tats, readies); err != nil {
			return err
		}
	}
	for _, c := range claimed {
		c.Flow = flows[c.Execution.ID]
	}
	res.Claimed = append(res.Claimed, claimed...)
	store.TakeRoom(room, claimed, p.DefaultOrgRoom)
	return nil
}

// flowWaiting is a WITH clause naming first(flow, due_at): each key that
// has a waiting execution, with its earliest waiting due instant, by a
// skip scan of execution_queue_flow_pending_idx (one probe per such key).
// The flow claim and ExecutionNextDue start from it, so that keys with
// nothing waiting (a project's idle keys, or the many an endpoint held
// long ago) cost them nothing.
const flowWaiting = `WITH RECURSIVE first AS (
		(SELECT q.flow, q.due_at FROM execution_queue q WHERE q.flow IS NOT NULL AND q.lease_expires_at IS NULL
			ORDER BY q.flow, q.due_at LIMIT 1)
		UNION ALL
		SELECT n.flow, n.due_at FROM first w CROSS JOIN LATERAL (SELECT q.flow, q.due_at FROM execution_queue q
			WHERE q.flow > w.flow AND q.lease_expires_at IS NULL ORDER BY q.flow, q.due_at LIMIT 1) n)`

// tagFlow tags the queue rows (pending and running) of a key's executions
// with its row's id.
func tagFlow(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, id, projectID prikke.ID, key string) error {
	_, err := q.Exec(ctx, `UPDATE execution_queue q SET flow = $1 FROM executions e
		WHERE e.id = q.id AND e.project_id = $2 AND e.flow_key = $3 AND q.flow IS DISTINCT FROM $1`, id, projectID, key)
	return err
}

// retag runs the tagging once more after the row's creation committed:
// executions written in the same instant did not see the row, and the
// statement above did not see them. It first waits for the transactions
// in progress (those that may have begun their insert before the row was
// committed) to end, so that what they wrote is seen.
func (s *Store) retag(ctx context.Context, id, projectID prikke.ID, key string) error {
	if err := s.waitOlderTransactions(ctx); err != nil {
		return fmt.Errorf("pgstore: tag flow key executions: %w", mapErr(err))
	}
	if err := tagFlow(ctx, s.pool, id, projectID, key); err != nil {
		return fmt.Errorf("pgstore: tag flow key executions: %w", mapErr(err))
	}
	return nil
}

// olderTransactionsWait bounds waitOlderTransactions: a session of the
// role left idle in a transaction does not hold a flow key's creation up.
const olderTransactionsWait = 3 * time.Second

// waitOlderTransactions waits until the transactions of this role that
// are in progress now have ended (at most olderTransactionsWait): after
// a flow key's row commits (or goes), an insert whose statement began
// before could still commit an execution tagged by the state it saw.
// Only the rare key changes wait; the insert path takes no lock for it.
func (s *Store) waitOlderTransactions(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT pid, xact_start FROM pg_stat_activity
		WHERE datname = current_database() AND usename = current_user AND backend_type = 'client backend'
			AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`)
	if err != nil {
		return err
	}
	var pids []int32
	var starts []time.Time
	var pid int32
	var start time.Time
	if _, err := pgx.ForEachRow(rows, []any{&pid, &start}, func() error {
		pids, starts = append(pids, pid), append(starts, start)
		return nil
	}); err != nil {
		return err
	}
	deadline := time.Now().Add(olderTransactionsWait)
	for len(pids) > 0 && time.Now().Before(deadline) {
		var left int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity a
			JOIN unnest($1::int[], $2::timestamptz[]) AS u(pid, xs) ON a.pid = u.pid AND a.xact_start = u.xs`,
			pids, starts).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// untagDangling frees waiting executions tagged with a key that was
// deleted: an insert whose statement saw the key's row just before a
// FlowKeyDelete, and committed after the delete's second untagging, would
// otherwise wait for a key that no longer exists. It runs with the rescue
// (the scheduler's, every RescueEvery). Two statements, not one: a tagged
// row visible to the first was tagged by a committed key (key IDs are
// never reused), so an ID with no visible row is a deleted key's; one
// statement could instead, rechecking a row it waited for, untag the rows
// of a key created meanwhile.
func (s *Store) untagDangling(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT q.flow FROM execution_queue q
		WHERE q.flow IS NOT NULL AND q.lease_expires_at IS NULL
			AND NOT EXISTS (SELECT FROM flow_keys f WHERE f.id = q.flow)`)
	if err != nil {
		return fmt.Errorf("pgstore: untag dangling flow keys: %w", mapErr(err))
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[prikke.ID])
	if err != nil || len(gone) == 0 {
		return mapErr(err)
	}
	// Now ordinary waiting executions: wake the workers for the earliest.
	err = s.inTx(ctx, "untag dangling flow keys", func(tx pgx.Tx) error {
		var earliest *time.Time
		if err := tx.QueryRow(ctx, `WITH u AS (UPDATE execution_queue SET flow = NULL WHERE flow = ANY($1)
				RETURNING due_at, lease_expires_at)
			SELECT min(due_at) FROM u WHERE lease_expires_at IS NULL`, bin(gone)).Scan(&earliest); err != nil || earliest == nil {
			return err
		}
		return s.notifyWork(ctx, tx, *earliest)
	})
	return err
}

// createFlowKey inserts k's row (the caller holds the project's flow lock
// and found none) and tags its executions. limit: ECONFLICT when the
// project has FlowKeysPerProject configured keys already.
func (s *Store) createFlowKey(ctx context.Context, tx pgx.Tx, k *prikke.FlowKey, limit bool) error {
	if limit {
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM flow_keys WHERE project_id = $1 AND configured", k.ProjectID).Scan(&n); err != nil {
			return err
		}
		if err := sqlstore.FlowKeysFull(n); err != nil {
			return err
		}
	}
	if k.ID == prikke.NilID {
		k.ID = prikke.NewID()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO flow_keys (id, project_id, key, rate, period_ms, burst, parallelism, paused, configured,
			tat, ready_at, held_until, hold_reason, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14::timestamptz, now()), coalesce($15::timestamptz, now()))`,
		k.ID, k.ProjectID, k.Key, k.Rate, sqlstore.FlowPeriodMS(k), max(k.Burst, 1), k.Parallelism, k.Paused, k.Configured,
		k.TAT, sqlstore.FlowReadyAt(k), k.HeldUntil, k.HoldReason, nowArg(k.CreatedAt), nowArg(k.UpdatedAt)); err != nil {
		return err
	}
	if err := tagFlow(ctx, tx, k.ID, k.ProjectID, k.Key); err != nil {
		return err
	}
	// Every node reads again whether flow keys exist (flowKeysExist):
	// its cache may say none for up to flowCacheFor, while the key's
	// executions, tagged, wait for its claims.
	return s.notifyTx(ctx, tx, store.TopicWork, flowKeyMade)
}

// flowKeyMade is the payload of the work event of a flow key's creation:
// the listener forgets what flowKeysExist cached (the workers take it as
// any wake-up, an instant they cannot parse).
const flowKeyMade = "flow-key-made"

// lockFlow serialises the creation of a project's keys (the count limit,
// and one row per key without relying on the unique index's error).
func (s *Store) lockFlow(ctx context.Context, tx pgx.Tx, projectID prikke.ID) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey("flow/"+projectID.String()))
	return err
}

func (s *Store) lockFlowKey(ctx context.Context, tx pgx.Tx, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	return sqlstore.ScanFlowKey(dialect{s: s}, tx.QueryRow(ctx, `SELECT `+sqlstore.FlowKeyColumns+`
		FROM flow_keys f WHERE f.project_id = $1 AND f.key = $2 FOR UPDATE`, projectID, key))
}

// FlowKeyPut implements store.Store.
func (s *Store) FlowKeyPut(ctx context.Context, k *prikke.FlowKey) (*prikke.FlowKey, bool, error) {
	var created bool
	var id prikke.ID
	err := s.inTx(ctx, "put flow key", func(tx pgx.Tx) error {
		created = false
		if err := s.lockFlow(ctx, tx, k.ProjectID); err != nil {
			return err
		}
		cur, err := s.lockFlowKey(ctx, tx, k.ProjectID, k.Key)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			nk := prikke.FlowKey{ID: k.ID, ProjectID: k.ProjectID, Key: k.Key, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
			sqlstore.FlowKeyLimits(&nk, k)
			if err := s.createFlowKey(ctx, tx, &nk, true); err != nil {
				return err
			}
			created, id = true, nk.ID
		case err != nil:
			return err
		default:
			sqlstore.FlowKeyLimits(cur, k)
			now := k.UpdatedAt
			if now.IsZero() {
				now = time.Now()
			}
			cur.Retune(now)
			if _, err := tx.Exec(ctx, `UPDATE flow_keys SET rate = $2, period_ms = $3, burst = $4, parallelism = $5, configured = true,
					tat = $8, ready_at = $6, updated_at = coalesce($7::timestamptz, now())
				WHERE id = $1`, cur.ID, cur.Rate, sqlstore.FlowPeriodMS(cur), cur.Burst, cur.Parallelism, sqlstore.FlowReadyAt(cur), nowArg(k.UpdatedAt), cur.TAT); err != nil {
				return err
			}
			id = cur.ID
		}
		// New limits may start something at once (or a new key's rows
		// wait for the flow claim): wake the workers.
		return s.notifyTx(ctx, tx, store.TopicWork, "")
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		s.flowKeyCreated()
		if err := s.retag(ctx, id, k.ProjectID, k.Key); err != nil {
			return nil, false, err
		}
	}
	got, err := s.FlowKeyGet(ctx, k.ProjectID, k.Key, time.Time{})
	if err != nil {
		return nil, false, err
	}
	return got, created, nil
}

// FlowKeyGet implements store.Store.
func (s *Store) FlowKeyGet(ctx context.Context, projectID prikke.ID, key string, now time.Time) (*prikke.FlowKey, error) {
	ks, err := s.flowKeys(ctx, "get flow key", now, "f.project_id = $2 AND f.key = $3", projectID, key)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("pgstore: get flow key: %w", prikke.Errorf(prikke.ENOTFOUND, "No flow key %q in this project.", key))
	}
	return ks[0], nil
}

// FlowKeyList implements store.Store.
func (s *Store) FlowKeyList(ctx context.Context, projectID prikke.ID, now time.Time) ([]*prikke.FlowKey, error) {
	return s.flowKeys(ctx, "list flow keys", now, "f.project_id = $2", projectID)
}

// flowKeys reads keys with their live figures: waiting (capped), in
// flight, and the next slot when it is after now.
func (s *Store) flowKeys(ctx context.Context, op string, now time.Time, where string, args ...any) ([]*prikke.FlowKey, error) {
	return list(ctx, s, op, func(row pgx.Row) (*prikke.FlowKey, error) {
		var fs sqlstore.FlowKeyScan
		var dbNow time.Time
		var waiting, inFlight int
		if err := row.Scan(append(fs.Dest(dialect{s: s}), &waiting, &inFlight, &dbNow)...); err != nil {
			return nil, err
		}
		k := fs.Key()
		k.Waiting, k.InFlight = waiting, inFlight
		if r := k.ReadyAt(); r.After(dbNow) {
			k.NextSlot = &r
		}
		return k, nil
	}, `SELECT `+sqlstore.FlowKeyColumns+`,
			(SELECT count(*) FROM (SELECT FROM execution_queue q WHERE q.flow = f.id AND q.lease_expires_at IS NULL LIMIT $1) w),
			(SELECT count(*) FROM execution_queue q WHERE q.flow = f.id AND q.lease_expires_at IS NOT NULL),
			coalesce($`+fmt.Sprint(len(args)+2)+`::timestamptz, now())
		FROM flow_keys f WHERE `+where+` ORDER BY f.key`, append(append([]any{prikke.FlowCountCap}, args...), nowArg(now))...)
}

// FlowKeyDelete implements store.Store.
func (s *Store) FlowKeyDelete(ctx context.Context, projectID prikke.ID, key string) error {
	var id prikke.ID
	err := s.inTx(ctx, "delete flow key", func(tx pgx.Tx) error {
		k, err := s.lockFlowKey(ctx, tx, projectID, key)
		if err != nil {
			return err
		}
		id = k.ID
		if _, err := tx.Exec(ctx, "UPDATE execution_queue SET flow = NULL WHERE flow = $1", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM flow_keys WHERE id = $1", id); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, store.TopicWork, "")
	})
	if err != nil {
		return err
	}
	// Once more after commit (and after the transactions in progress): an
	// execution written in the same instant may have been tagged with the
	// row, by a statement that saw it before the delete. (The rescue frees
	// any left over: untagDangling.)
	if err := s.waitOlderTransactions(ctx); err != nil {
		return fmt.Errorf("pgstore: delete flow key: %w", mapErr(err))
	}
	if _, err := s.pool.Exec(ctx, "UPDATE execution_queue SET flow = NULL WHERE flow = $1", id); err != nil {
		return fmt.Errorf("pgstore: delete flow key: %w", mapErr(err))
	}
	return nil
}

// FlowKeySetPaused implements store.Store.
func (s *Store) FlowKeySetPaused(ctx context.Context, projectID prikke.ID, key string, paused bool) (*prikke.FlowKey, error) {
	var created bool
	var id prikke.ID
	err := s.inTx(ctx, "pause flow key", func(tx pgx.Tx) error {
		created = false
		if err := s.lockFlow(ctx, tx, projectID); err != nil {
			return err
		}
		cur, err := s.lockFlowKey(ctx, tx, projectID, key)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			nk := &prikke.FlowKey{ProjectID: projectID, Key: key, Period: prikke.FlowPeriodMin, Burst: 1, Paused: paused, Configured: true}
			if err := s.createFlowKey(ctx, tx, nk, true); err != nil {
				return err
			}
			created, id = true, nk.ID
		case err != nil:
			return err
		default:
			if _, err := tx.Exec(ctx, "UPDATE flow_keys SET paused = $2, updated_at = now() WHERE id = $1", cur.ID, paused); err != nil {
				return err
			}
		}
		if paused {
			return nil
		}
		return s.notifyTx(ctx, tx, store.TopicWork, "")
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.flowKeyCreated()
		if err := s.retag(ctx, id, projectID, key); err != nil {
			return nil, err
		}
	}
	return s.FlowKeyGet(ctx, projectID, key, time.Time{})
}

// FlowKeyHold implements store.Store.
func (s *Store) FlowKeyHold(ctx context.Context, projectID prikke.ID, key string, until time.Time, reason string) error {
	until = until.UTC()
	// ready_at was the later of the hold's end and the next rate slot; a
	// hold only lengthens, so the new one is the later of it and until.
	const hold = `held_until = greatest(f.held_until, $3),
		hold_reason = CASE WHEN f.held_until IS NULL OR f.held_until < $3 THEN $4 ELSE f.hold_reason END,
		ready_at = greatest(f.ready_at, $3)`
	tag, err := s.pool.Exec(ctx, `UPDATE flow_keys f SET `+hold+` WHERE f.project_id = $1 AND f.key = $2`, projectID, key, until, reason)
	if err != nil {
		return fmt.Errorf("pgstore: hold flow key: %w", mapErr(err))
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var created bool
	var id prikke.ID
	err = s.inTx(ctx, "hold flow key", func(tx pgx.Tx) error {
		created = false
		if err := s.lockFlow(ctx, tx, projectID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE flow_keys f SET `+hold+` WHERE f.project_id = $1 AND f.key = $2`, projectID, key, until, reason)
		if err != nil || tag.RowsAffected() > 0 {
			return err
		}
		// A new hold-only row, within the project's bound (the unique
		// index's range of the project, under its flow lock).
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM flow_keys WHERE project_id = $1 AND NOT configured", projectID).Scan(&n); err != nil {
			return err
		}
		if err := sqlstore.FlowHoldKeysFull(n); err != nil {
			return err
		}
		nk := &prikke.FlowKey{ProjectID: projectID, Key: key, Period: prikke.FlowPeriodMin, Burst: 1, HeldUntil: &until, HoldReason: reason}
		if err := s.createFlowKey(ctx, tx, nk, false); err != nil {
			return err
		}
		created, id = true, nk.ID
		return nil
	})
	if err != nil {
		return err
	}
	if created {
		s.flowKeyCreated()
		return s.retag(ctx, id, projectID, key)
	}
	return nil
}

// FlowKeyPrune implements store.Store. The rows are locked FOR UPDATE
// SKIP LOCKED: a key a claim holds (FOR NO KEY UPDATE) is left for the
// next round, and a hold written meanwhile (it updates the row) makes the
// row fail the recheck and stay.
func (s *Store) FlowKeyPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	var gone []prikke.ID
	err := s.inTx(ctx, "prune flow keys", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT f.id FROM flow_keys f
			WHERE NOT f.configured AND NOT f.paused
				AND coalesce(f.held_until, f.updated_at) < coalesce($1::timestamptz, now()) - $2 * interval '1 microsecond'
				AND NOT EXISTS (SELECT FROM execution_queue r WHERE r.flow = f.id AND r.lease_expires_at IS NOT NULL)
			LIMIT $3
			FOR UPDATE OF f SKIP LOCKED`, nowArg(now), prikke.FlowHoldKeep.Microseconds(), limit)
		if err != nil {
			return err
		}
		if gone, err = pgx.CollectRows(rows, pgx.RowTo[prikke.ID]); err != nil || len(gone) == 0 {
			return err
		}
		// Their waiting executions become ordinary, as FlowKeyDelete's.
		var earliest *time.Time
		if err := tx.QueryRow(ctx, `WITH u AS (UPDATE execution_queue SET flow = NULL WHERE flow = ANY($1)
				RETURNING due_at, lease_expires_at)
			SELECT min(due_at) FROM u WHERE lease_expires_at IS NULL`, bin(gone)).Scan(&earliest); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM flow_keys WHERE id = ANY($1)", bin(gone)); err != nil {
			return err
		}
		if earliest == nil {
			return nil
		}
		return s.notifyWork(ctx, tx, *earliest)
	})
	if err != nil || len(gone) == 0 {
		return 0, err
	}
	// Once more after commit, as FlowKeyDelete: an execution written in
	// the same instant may have been tagged by a statement that saw a row
	// before the delete (the rescue's untagDangling frees any left over).
	if err := s.waitOlderTransactions(ctx); err != nil {
		return len(gone), fmt.Errorf("pgstore: prune flow keys: %w", mapErr(err))
	}
	if _, err := s.pool.Exec(ctx, "UPDATE execution_queue SET flow = NULL WHERE flow = ANY($1)", bin(gone)); err != nil {
		return len(gone), fmt.Errorf("pgstore: prune flow keys: %w", mapErr(err))
	}
	return len(gone), nil
}

// FlowKeyRelease implements store.Store.
func (s *Store) FlowKeyRelease(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	err := s.inTx(ctx, "release flow key", func(tx pgx.Tx) error {
		k, err := s.lockFlowKey(ctx, tx, projectID, key)
		if err != nil {
			return err
		}
		k.HeldUntil, k.HoldReason = nil, ""
		if _, err := tx.Exec(ctx, `UPDATE flow_keys SET held_until = NULL, hold_reason = '', ready_at = $2, updated_at = now()
			WHERE id = $1`, k.ID, sqlstore.FlowReadyAt(k)); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, store.TopicWork, "")
	})
	if err != nil {
		return nil, err
	}
	return s.FlowKeyGet(ctx, projectID, key, time.Time{})
}
