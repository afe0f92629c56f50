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
)

const flowKeyColumns = `f.id, f.project_id, f.key, f.rate, f.period_ms, f.burst, f.parallelism, f.paused, f.configured,
	f.tat, f.held_until, f.hold_reason, f.created_at, f.updated_at`

// flowKeyScan scans flowKeyColumns.
type flowKeyScan struct {
	k        prikke.FlowKey
	periodMS int64
}

func (f *flowKeyScan) dest() []any {
	k := &f.k
	return []any{&k.ID, &k.ProjectID, &k.Key, &k.Rate, &f.periodMS, &k.Burst, &k.Parallelism, &k.Paused, &k.Configured,
		&k.TAT, &k.HeldUntil, &k.HoldReason, &k.CreatedAt, &k.UpdatedAt}
}

func (f *flowKeyScan) key() *prikke.FlowKey {
	k := f.k
	k.Period = time.Duration(f.periodMS) * time.Millisecond
	return &k
}

// readyArg is a key's ready_at as stored: NULL when it may start now.
func readyArg(k *prikke.FlowKey) *time.Time {
	r := k.ReadyAt()
	if r.IsZero() {
		return nil
	}
	return &r
}

// claimFlow claims the pending executions of flow-limited keys that have a
// free slot, into res, within p.Limit and the organizations' room (room is
// taken from). Each claimed execution's due instant becomes its start slot.
func (s *Store) claimFlow(ctx context.Context, tx pgx.Tx, p *store.ClaimParams, room map[prikke.ID]int, res *store.ClaimResult) error {
	if p.Limit <= 0 {
		return nil
	}
	_, _, excl := roomArgs(room)
	lookahead := max(p.Lookahead, 0)
	// The eligible keys, locked: not paused, ready within the lookahead,
	// with a pending execution due within it, and (by this statement's
	// snapshot, rechecked below under the lock) room under parallelism.
	// With no flow_keys row at all this reads an empty table.
	rows, err := tx.Query(ctx, `SELECT `+flowKeyColumns+`, pr.organization_id, coalesce($1::timestamptz, now())
		FROM flow_keys f JOIN projects pr ON pr.id = f.project_id
		WHERE NOT f.paused
			AND (f.ready_at IS NULL OR f.ready_at <= coalesce($1::timestamptz, now()) + $2 * interval '1 microsecond')
			AND pr.organization_id <> ALL($3::uuid[])
			AND EXISTS (SELECT 1 FROM execution_queue q WHERE q.flow = f.id AND q.lease_expires_at IS NULL
				AND q.due_at <= coalesce($1::timestamptz, now()) + $2 * interval '1 microsecond')
			AND (f.parallelism = 0 OR (SELECT count(*) FROM (SELECT FROM execution_queue r
				WHERE r.flow = f.id AND r.lease_expires_at IS NOT NULL LIMIT f.parallelism) x) < f.parallelism)
		ORDER BY f.ready_at NULLS FIRST, f.id
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
		var fs flowKeyScan
		var org prikke.ID
		if err := rows.Scan(append(fs.dest(), &org, &now)...); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, lockedKey{fs.key(), org})
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
	var throttled []int64
	var tatIDs []prikke.ID
	var tats, readies []*time.Time
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
		if iv := k.Interval(); iv > 0 {
			// No more slots than the rate allows within the lookahead:
			// a rate-limited key's backlog is read no further.
			free = min(free, max(k.Burst, 1)+int(lookahead/iv)+1)
		}
		if k.Parallelism > 0 && free > 0 {
			// Under the key's lock, so no other claim adds to it; only
			// completions, releases and rescues take from it.
			var running int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM execution_queue
				WHERE flow = $1 AND lease_expires_at IS NOT NULL`, k.ID).Scan(&running); err != nil {
				return err
			}
			free = min(free, k.Parallelism-running)
		}
		if free <= 0 {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT id, due_at FROM execution_queue
			WHERE flow = $1 AND lease_expires_at IS NULL AND due_at <= $2
			ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED`, k.ID, horizon, free)
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
		for i, slot := range got {
			ids = append(ids, rowIDs[i])
			slots = append(slots, slot)
			throttled = append(throttled, max(slot.Sub(dues[i]), 0).Milliseconds())
		}
		taken[lk.org] += len(got)
		left -= len(got)
		if k.Interval() > 0 {
			k.TAT = tat
			tatIDs = append(tatIDs, k.ID)
			tats = append(tats, tat)
			readies = append(readies, readyArg(k))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	claimed, err := s.claimRows(ctx, tx, `WITH `+claimTail("$1", "$2", "$3", "$4::uuid[]", "$5::timestamptz[]", "$6::bigint[]"),
		now, p.Node, p.LeaseGrace.Microseconds(), bin(ids), slots, throttled)
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
	res.Claimed = append(res.Claimed, claimed...)
	store.TakeRoom(room, claimed, p.DefaultOrgRoom)
	return nil
}

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
// statement above did not see them.
func (s *Store) retag(ctx context.Context, id, projectID prikke.ID, key string) error {
	if err := tagFlow(ctx, s.pool, id, projectID, key); err != nil {
		return fmt.Errorf("pgstore: tag flow key executions: %w", mapErr(err))
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
	if _, err := s.pool.Exec(ctx, "UPDATE execution_queue SET flow = NULL WHERE flow = ANY($1)", bin(gone)); err != nil {
		return fmt.Errorf("pgstore: untag dangling flow keys: %w", mapErr(err))
	}
	return nil
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
		if n >= prikke.FlowKeysPerProject {
			return prikke.Errorf(prikke.ECONFLICT, "A project can have at most %d flow keys; remove one first.", prikke.FlowKeysPerProject)
		}
	}
	if k.ID == prikke.NilID {
		k.ID = prikke.NewID()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO flow_keys (id, project_id, key, rate, period_ms, burst, parallelism, paused, configured,
			tat, ready_at, held_until, hold_reason, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14::timestamptz, now()), coalesce($15::timestamptz, now()))`,
		k.ID, k.ProjectID, k.Key, k.Rate, k.Period.Milliseconds(), max(k.Burst, 1), k.Parallelism, k.Paused, k.Configured,
		k.TAT, readyArg(k), k.HeldUntil, k.HoldReason, nowArg(k.CreatedAt), nowArg(k.UpdatedAt)); err != nil {
		return err
	}
	return tagFlow(ctx, tx, k.ID, k.ProjectID, k.Key)
}

// lockFlow serialises the creation of a project's keys (the count limit,
// and one row per key without relying on the unique index's error).
func (s *Store) lockFlow(ctx context.Context, tx pgx.Tx, projectID prikke.ID) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey("flow/"+projectID.String()))
	return err
}

func lockFlowKey(ctx context.Context, tx pgx.Tx, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	var fs flowKeyScan
	err := tx.QueryRow(ctx, `SELECT `+flowKeyColumns+` FROM flow_keys f WHERE f.project_id = $1 AND f.key = $2 FOR UPDATE`,
		projectID, key).Scan(fs.dest()...)
	if err != nil {
		return nil, err
	}
	return fs.key(), nil
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
		cur, err := lockFlowKey(ctx, tx, k.ProjectID, k.Key)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			nk := *k
			nk.Configured, nk.TAT, nk.HeldUntil, nk.HoldReason = true, nil, nil, ""
			nk.Period = max(nk.Period, prikke.FlowPeriodMin)
			if err := s.createFlowKey(ctx, tx, &nk, true); err != nil {
				return err
			}
			created, id = true, nk.ID
		case err != nil:
			return err
		default:
			cur.Rate, cur.Period, cur.Burst, cur.Parallelism, cur.Configured = k.Rate, max(k.Period, prikke.FlowPeriodMin), max(k.Burst, 1), k.Parallelism, true
			if _, err := tx.Exec(ctx, `UPDATE flow_keys SET rate = $2, period_ms = $3, burst = $4, parallelism = $5, configured = true,
					ready_at = $6, updated_at = coalesce($7::timestamptz, now())
				WHERE id = $1`, cur.ID, cur.Rate, cur.Period.Milliseconds(), cur.Burst, cur.Parallelism, readyArg(cur), nowArg(k.UpdatedAt)); err != nil {
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
		var fs flowKeyScan
		var dbNow time.Time
		var waiting, inFlight int
		if err := row.Scan(append(fs.dest(), &waiting, &inFlight, &dbNow)...); err != nil {
			return nil, err
		}
		k := fs.key()
		k.Waiting, k.InFlight = waiting, inFlight
		if r := k.ReadyAt(); r.After(dbNow) {
			k.NextSlot = &r
		}
		return k, nil
	}, `SELECT `+flowKeyColumns+`,
			(SELECT count(*) FROM (SELECT FROM execution_queue q WHERE q.flow = f.id AND q.lease_expires_at IS NULL LIMIT $1) w),
			(SELECT count(*) FROM execution_queue q WHERE q.flow = f.id AND q.lease_expires_at IS NOT NULL),
			coalesce($`+fmt.Sprint(len(args)+2)+`::timestamptz, now())
		FROM flow_keys f WHERE `+where+` ORDER BY f.key`, append(append([]any{prikke.FlowCountCap}, args...), nowArg(now))...)
}

// FlowKeyDelete implements store.Store.
func (s *Store) FlowKeyDelete(ctx context.Context, projectID prikke.ID, key string) error {
	var id prikke.ID
	err := s.inTx(ctx, "delete flow key", func(tx pgx.Tx) error {
		k, err := lockFlowKey(ctx, tx, projectID, key)
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
	// Once more after commit: an execution written in the same instant
	// may have been tagged with the row the statement above did not see.
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
		cur, err := lockFlowKey(ctx, tx, projectID, key)
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
		return s.retag(ctx, id, projectID, key)
	}
	return nil
}

// FlowKeyRelease implements store.Store.
func (s *Store) FlowKeyRelease(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	err := s.inTx(ctx, "release flow key", func(tx pgx.Tx) error {
		k, err := lockFlowKey(ctx, tx, projectID, key)
		if err != nil {
			return err
		}
		k.HeldUntil, k.HoldReason = nil, ""
		if _, err := tx.Exec(ctx, `UPDATE flow_keys SET held_until = NULL, hold_reason = '', ready_at = $2, updated_at = now()
			WHERE id = $1`, k.ID, readyArg(k)); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, store.TopicWork, "")
	})
	if err != nil {
		return nil, err
	}
	return s.FlowKeyGet(ctx, projectID, key, time.Time{})
}
