package sqlitestore

// Flow keys (flow.go, store.FlowStore). A key's pending and running
// executions carry its row's id in executions.flow; the ordinary claim
// skips them (AND flow IS NULL, the executions_pending_idx predicate) and
// flowClaim takes them per key, FIFO, at GCRA slots. The single writer
// connection serialises every claim and every tagging statement, so on
// SQLite no execution can be written between a key's creation and its
// tagging: one tagging statement, in the creating transaction, suffices.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// flowKeysTTL is how long the claim trusts its knowledge that no flow key
// exists. Keys made through this store are seen at once; a key made by
// another process on the file (an operator command) within this long.
const flowKeysTTL = time.Second

// flowState caches whether any flow key exists, so that a store without
// keys pays nothing for flow control in its claims.
type flowState struct {
	mu      sync.Mutex
	none    bool // no flow_keys row, as read at checked
	checked time.Time
}

// mayHaveKeys reports whether the flow claim must run.
func (s *Store) mayHaveKeys(ctx context.Context, tx *sql.Tx) (bool, error) {
	f := &s.flow
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.checked.IsZero() && time.Since(f.checked) < flowKeysTTL {
		return !f.none, nil
	}
	var some bool
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM flow_keys)").Scan(&some); err != nil {
		return false, err
	}
	f.none, f.checked = !some, time.Now()
	return some, nil
}

// anyTagged reports whether any of these executions is under a flow key;
// without keys it reads nothing (a RETURNING on the completion's UPDATE
// would cost every completion an ephemeral table).
func (s *Store) anyTagged(ctx context.Context, tx *sql.Tx, ids []prikke.ID) (bool, error) {
	if len(ids) == 0 {
		return false, nil
	}
	if ok, err := s.mayHaveKeys(ctx, tx); err != nil || !ok {
		return false, err
	}
	for chunk := range slices.Chunk(ids, 500) {
		var args []any
		var tagged bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM executions WHERE id IN (`+inList(&args, chunk)+`) AND flow IS NOT NULL)`,
			args...).Scan(&tagged); err != nil || tagged {
			return tagged, err
		}
	}
	return false, nil
}

// flowKeysChanged forgets the cache: a key was created or deleted.
func (s *Store) flowKeysChanged() {
	s.flow.mu.Lock()
	s.flow.checked = time.Time{}
	s.flow.mu.Unlock()
}

const flowKeySelect = `SELECT ` + sqlstore.FlowKeyColumns + ` FROM flow_keys f`

// flowKeyByName reads a key's row in tx; nil when it has none.
func (s *Store) flowKeyByName(ctx context.Context, q queryRower, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	k, err := sqlstore.ScanFlowKey(dialect{s}, q.QueryRowContext(ctx, flowKeySelect+` WHERE f.project_id = $1 AND f.key = $2`, projectID, key))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return k, err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// flowLive fills a key's live figures at now.
func flowLive(ctx context.Context, q queryRower, k *prikke.FlowKey, now time.Time) error {
	var waiting, inFlight int
	if err := q.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM (SELECT 1 FROM executions WHERE flow = $1 AND status = 'pending' LIMIT $2)),
			(SELECT count(*) FROM executions WHERE flow = $1 AND status = 'running')`,
		k.ID, prikke.FlowCountCap).Scan(&waiting, &inFlight); err != nil {
		return err
	}
	sqlstore.FlowKeyLive(k, waiting, inFlight, now)
	return nil
}

// insertFlowKey creates a key's row and puts the key's pending and
// running executions under it. limit: ECONFLICT when the project has
// FlowKeysPerProject configured keys already (a row made only by an
// endpoint's hold neither counts nor is refused).
func (s *Store) insertFlowKey(ctx context.Context, tx *sql.Tx, k *prikke.FlowKey, limit bool) error {
	if limit {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM flow_keys WHERE project_id = $1 AND configured", k.ProjectID).Scan(&n); err != nil {
			return err
		}
		if err := sqlstore.FlowKeysFull(n); err != nil {
			return err
		}
	}
	if k.ID == prikke.NilID {
		k.ID = prikke.NewID()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO flow_keys (id, project_id, key, rate, period_ms, burst, parallelism, paused,
			configured, tat, ready_at, held_until, hold_reason, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		k.ID, k.ProjectID, k.Key, k.Rate, sqlstore.FlowPeriodMS(k), max(k.Burst, 1), k.Parallelism, k.Paused, k.Configured,
		tsp(k.TAT), tsp(sqlstore.FlowReadyAt(k)), tsp(k.HeldUntil), k.HoldReason, ts(k.CreatedAt), ts(k.UpdatedAt)); err != nil {
		return err
	}
	s.flowKeysChanged()
	// Through the queue's partial indexes, not the project's history.
	if _, err := tx.ExecContext(ctx, `UPDATE executions INDEXED BY executions_pending_idx SET flow = $1
		WHERE status = 'pending' AND flow IS NULL AND project_id = $2 AND flow_key = $3`, k.ID, k.ProjectID, k.Key); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE executions INDEXED BY executions_lease_idx SET flow = $1
		WHERE lease_expires_at IS NOT NULL AND status = 'running' AND flow IS NULL AND project_id = $2 AND flow_key = $3`,
		k.ID, k.ProjectID, k.Key)
	return err
}

// setFlowState stores a key's tat, hold and ready_at as k has them.
func setFlowState(ctx context.Context, tx *sql.Tx, k *prikke.FlowKey) error {
	_, err := tx.ExecContext(ctx, `UPDATE flow_keys SET tat = $2, held_until = $3, hold_reason = $4, ready_at = $5 WHERE id = $1`,
		k.ID, tsp(k.TAT), tsp(k.HeldUntil), k.HoldReason, tsp(sqlstore.FlowReadyAt(k)))
	return err
}

// wakeWorkers tells this process's workers that something may start now.
func (s *Store) wakeWorkers() { s.publishWork(s.now()) }

// FlowKeyPut implements store.Store.
func (s *Store) FlowKeyPut(ctx context.Context, in *prikke.FlowKey) (*prikke.FlowKey, bool, error) {
	var out *prikke.FlowKey
	created := false
	now := s.now()
	err := s.inTx(ctx, "put flow key", func(tx *sql.Tx) error {
		k, err := s.flowKeyByName(ctx, tx, in.ProjectID, in.Key)
		if err != nil {
			return err
		}
		if k == nil {
			k = &prikke.FlowKey{ID: in.ID, ProjectID: in.ProjectID, Key: in.Key, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
			if k.CreatedAt.IsZero() {
				k.CreatedAt, k.UpdatedAt = now, now
			}
			created = true
		}
		sqlstore.FlowKeyLimits(k, in)
		if created {
			if err := s.insertFlowKey(ctx, tx, k, true); err != nil {
				return err
			}
		} else {
			k.UpdatedAt = in.UpdatedAt
			if k.UpdatedAt.IsZero() {
				k.UpdatedAt = now
			}
			k.Retune(k.UpdatedAt)
			if _, err := tx.ExecContext(ctx, `UPDATE flow_keys SET rate = $2, period_ms = $3, burst = $4, parallelism = $5,
					configured = 1, tat = $8, ready_at = $6, updated_at = $7 WHERE id = $1`,
				k.ID, k.Rate, sqlstore.FlowPeriodMS(k), k.Burst, k.Parallelism, tsp(sqlstore.FlowReadyAt(k)), ts(k.UpdatedAt), tsp(k.TAT)); err != nil {
				return err
			}
		}
		out = k
		return flowLive(ctx, tx, k, now)
	})
	if err != nil {
		return nil, false, err // inTx named the operation
	}
	s.wakeWorkers()
	return out, created, nil
}

// FlowKeyGet implements store.Store.
func (s *Store) FlowKeyGet(ctx context.Context, projectID prikke.ID, key string, now time.Time) (*prikke.FlowKey, error) {
	k, err := s.flowKeyByName(ctx, s.rdb, projectID, key)
	if err == nil && k == nil {
		return nil, prikke.Errorf(prikke.ENOTFOUND, "The flow key %q has no limits, pause or hold.", key)
	}
	if err == nil {
		err = flowLive(ctx, s.rdb, k, s.nowOr(now))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get flow key: %w", mapErr(err))
	}
	return k, nil
}

// FlowKeyList implements store.Store.
func (s *Store) FlowKeyList(ctx context.Context, projectID prikke.ID, now time.Time) ([]*prikke.FlowKey, error) {
	ks, err := list(ctx, s, "list flow keys", func(row scanner) (*prikke.FlowKey, error) {
		return sqlstore.ScanFlowKey(dialect{s}, row)
	}, flowKeySelect+` WHERE f.project_id = $1 ORDER BY f.key`, projectID)
	if err != nil {
		return nil, err
	}
	now = s.nowOr(now)
	for _, k := range ks {
		if err := flowLive(ctx, s.rdb, k, now); err != nil {
			return nil, fmt.Errorf("sqlitestore: list flow keys: %w", mapErr(err))
		}
	}
	return ks, nil
}

// FlowKeyDelete implements store.Store.
func (s *Store) FlowKeyDelete(ctx context.Context, projectID prikke.ID, key string) error {
	err := s.inTx(ctx, "delete flow key", func(tx *sql.Tx) error {
		k, err := s.flowKeyByName(ctx, tx, projectID, key)
		if err != nil {
			return err
		}
		if k == nil {
			return prikke.Errorf(prikke.ENOTFOUND, "The flow key %q has no limits, pause or hold.", key)
		}
		for _, st := range []string{"pending", "running"} {
			if _, err := tx.ExecContext(ctx, "UPDATE executions SET flow = NULL WHERE flow = $1 AND status = $2", k.ID, st); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM flow_keys WHERE id = $1", k.ID)
		s.flowKeysChanged()
		return err
	})
	if err != nil {
		return err // inTx named the operation
	}
	s.wakeWorkers()
	return nil
}

// modifyFlowKey reads a key's row in a transaction (creating it with
// create's fields when it has none and create is not nil, within the
// project's limit of configured keys when limit; ENOTFOUND otherwise),
// lets fn change it and stores fn's result, then returns the key with its
// live figures.
func (s *Store) modifyFlowKey(ctx context.Context, op string, projectID prikke.ID, key string, limit bool,
	create func(tx *sql.Tx, k *prikke.FlowKey) error, fn func(k *prikke.FlowKey) (write bool, err error)) (*prikke.FlowKey, error) {
	var out *prikke.FlowKey
	now := s.now()
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		k, err := s.flowKeyByName(ctx, tx, projectID, key)
		if err != nil {
			return err
		}
		if k == nil {
			if create == nil {
				return prikke.Errorf(prikke.ENOTFOUND, "The flow key %q has no limits, pause or hold.", key)
			}
			k = &prikke.FlowKey{ProjectID: projectID, Key: key, Period: prikke.FlowPeriodMin, Burst: 1, Configured: true,
				CreatedAt: now, UpdatedAt: now}
			if err := create(tx, k); err != nil {
				return err
			}
			if err := s.insertFlowKey(ctx, tx, k, limit); err != nil {
				return err
			}
		} else {
			write, err := fn(k)
			if err != nil {
				return err
			}
			if write {
				k.UpdatedAt = now
				if _, err := tx.ExecContext(ctx, `UPDATE flow_keys SET paused = $2, held_until = $3, hold_reason = $4,
						ready_at = $5, updated_at = $6 WHERE id = $1`,
					k.ID, k.Paused, tsp(k.HeldUntil), k.HoldReason, tsp(sqlstore.FlowReadyAt(k)), ts(k.UpdatedAt)); err != nil {
					return err
				}
			}
		}
		out = k
		return flowLive(ctx, tx, k, now)
	})
	if err != nil {
		return nil, err // inTx named the operation
	}
	return out, nil
}

// FlowKeySetPaused implements store.Store.
func (s *Store) FlowKeySetPaused(ctx context.Context, projectID prikke.ID, key string, paused bool) (*prikke.FlowKey, error) {
	k, err := s.modifyFlowKey(ctx, "pause flow key", projectID, key, true,
		func(_ *sql.Tx, k *prikke.FlowKey) error { k.Paused = paused; return nil },
		func(k *prikke.FlowKey) (bool, error) {
			changed := k.Paused != paused
			k.Paused = paused
			return changed, nil
		})
	if err != nil {
		return nil, err
	}
	if !paused {
		s.wakeWorkers()
	}
	return k, nil
}

// FlowKeyHold implements store.Store. A hold is the endpoint's signal, so
// it is written even past FlowKeysPerProject keys; but a new hold-only row
// past FlowHoldKeysPerProject is refused (an existing key is still held).
func (s *Store) FlowKeyHold(ctx context.Context, projectID prikke.ID, key string, until time.Time, reason string) error {
	until = until.UTC().Truncate(time.Microsecond)
	_, err := s.modifyFlowKey(ctx, "hold flow key", projectID, key, false,
		func(tx *sql.Tx, k *prikke.FlowKey) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM flow_keys WHERE project_id = $1 AND NOT configured",
				projectID).Scan(&n); err != nil {
				return err
			}
			if err := sqlstore.FlowHoldKeysFull(n); err != nil {
				return err
			}
			k.Configured, k.HeldUntil, k.HoldReason = false, &until, reason
			return nil
		},
		func(k *prikke.FlowKey) (bool, error) {
			if k.HeldUntil != nil && !until.After(*k.HeldUntil) {
				return false, nil
			}
			k.HeldUntil, k.HoldReason = &until, reason
			return true, nil
		})
	return err
}

// FlowKeyPrune implements store.Store.
func (s *Store) FlowKeyPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	cutoff := s.nowOr(now).Add(-prikke.FlowHoldKeep)
	var gone []prikke.ID
	var earliest *time.Time
	err := s.inTx(ctx, "prune flow keys", func(tx *sql.Tx) error {
		gone, earliest = nil, nil
		rows, err := tx.QueryContext(ctx, `SELECT f.id FROM flow_keys f
			WHERE f.configured = 0 AND f.paused = 0 AND coalesce(f.held_until, f.updated_at) < $1
				AND NOT EXISTS (SELECT 1 FROM executions r WHERE r.flow = f.id AND r.status = 'running')
			LIMIT $2`, ts(cutoff), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id prikke.ID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(gone) == 0 {
			return err
		}
		// Their waiting (and any running) executions become ordinary, as
		// FlowKeyDelete's; the workers wake for the earliest waiting one.
		for chunk := range slices.Chunk(gone, 500) {
			var args []any
			in := inList(&args, chunk)
			var first *time.Time
			if err := tx.QueryRowContext(ctx, `SELECT min(due_at) FROM executions WHERE flow IN (`+in+`) AND flow IS NOT NULL AND status = 'pending'`,
				args...).Scan(timePtrScan{&first}); err != nil {
				return err
			}
			if first != nil && (earliest == nil || first.Before(*earliest)) {
				earliest = first
			}
			for _, st := range []string{"pending", "running"} {
				if _, err := tx.ExecContext(ctx, `UPDATE executions SET flow = NULL WHERE flow IN (`+in+`) AND flow IS NOT NULL AND status = '`+st+`'`,
					args...); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM flow_keys WHERE id IN (`+in+`)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err // inTx named the operation
	}
	if len(gone) > 0 {
		s.flowKeysChanged()
	}
	if earliest != nil {
		s.publishWork(*earliest)
	}
	return len(gone), nil
}

// FlowKeyRelease implements store.Store.
func (s *Store) FlowKeyRelease(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	k, err := s.modifyFlowKey(ctx, "release flow key", projectID, key, false, nil,
		func(k *prikke.FlowKey) (bool, error) {
			changed := k.HeldUntil != nil
			k.HeldUntil, k.HoldReason = nil, ""
			return changed, nil
		})
	if err != nil {
		return nil, err
	}
	s.wakeWorkers()
	return k, nil
}

// flowWaiting is a WITH clause naming w(flow): the keys that have a
// waiting execution, by a skip scan of executions_flow_pending_idx (one
// probe per such key; a NULL row ends it). The flow claim and
// ExecutionNextDue start from it, so that keys with nothing waiting (a
// project's idle keys, or the many an endpoint held long ago) cost them
// nothing.
const flowWaiting = `WITH RECURSIVE w(flow) AS (
		SELECT (SELECT flow FROM executions INDEXED BY executions_flow_pending_idx
			WHERE status = 'pending' AND flow IS NOT NULL ORDER BY flow LIMIT 1)
		UNION ALL
		SELECT (SELECT e.flow FROM executions e INDEXED BY executions_flow_pending_idx
			WHERE e.status = 'pending' AND e.flow IS NOT NULL AND e.flow > w.flow ORDER BY e.flow LIMIT 1)
		FROM w WHERE w.flow IS NOT NULL)
	`

// flowClaim claims, in the claim's transaction, the due executions of
// limited keys that have a free slot: per key, at most its free
// parallelism (and the claim's and the organization's room), FIFO, each
// at its GCRA slot (flow.go Slots), and advances the key's tat. A blocked
// key's backlog is never read: at most free rows of a key are. It returns
// the claimed executions, with each one's key as it stood (its limits, for
// Claimed.Flow), and updates room as the ordinary claim does.
func (s *Store) flowClaim(ctx context.Context, tx *sql.Tx, p *store.ClaimParams, now time.Time, room map[prikke.ID]int) ([]*prikke.Execution, map[prikke.ID]*prikke.FlowKey, error) {
	if ok, err := s.mayHaveKeys(ctx, tx); err != nil || !ok {
		return nil, nil, err
	}
	horizon := now
	if p.Lookahead > 0 {
		horizon = now.Add(p.Lookahead)
	}
	// Eligible keys, most overdue first: not paused, ready by the horizon,
	// with a pending execution due by then (one probe of the (flow,
	// due_at) index) and room under their parallelism. The keys are found
	// from their waiting executions (flowWaiting), never by reading
	// flow_keys whole: a key with nothing waiting costs nothing here.
	type cand struct {
		k        *prikke.FlowKey
		org      prikke.ID
		inFlight int
	}
	var cands []cand
	rows, err := tx.QueryContext(ctx, flowWaiting+`SELECT `+sqlstore.FlowKeyColumns+`, p.organization_id,
			(SELECT count(*) FROM executions r WHERE r.flow = f.id AND r.status = 'running')
		FROM (SELECT f.*, (SELECT min(e.due_at) FROM executions e WHERE e.flow = f.id AND e.status = 'pending') AS first
			FROM w CROSS JOIN flow_keys f WHERE f.id = w.flow AND f.paused = 0 AND (f.ready_at IS NULL OR f.ready_at <= $1)) f
		JOIN projects p ON p.id = f.project_id
		WHERE f.first <= $1
		ORDER BY f.first`, ts(horizon))
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var sc sqlstore.FlowKeyScan
		var c cand
		if err := rows.Scan(append(sc.Dest(dialect{s}), &c.org, &c.inFlight)...); err != nil {
			rows.Close()
			return nil, nil, err
		}
		c.k = sc.Key()
		if c.k.Parallelism > 0 && c.inFlight >= c.k.Parallelism {
			continue
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(cands) == 0 {
		return nil, nil, nil
	}
	pick, err := tx.PrepareContext(ctx, `SELECT id, due_at FROM executions WHERE flow = $1 AND status = 'pending' AND due_at <= $2
		ORDER BY due_at, id LIMIT $3`)
	if err != nil {
		return nil, nil, err
	}
	defer pick.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE executions SET status = 'running', claimed_by = $2, claimed_at = $3, due_at = $4,
			throttled_ms = throttled_ms + max(0, ($4 - due_at + 999) / 1000),
			lease_expires_at = max($3, $4) + (SELECT timeout_ms FROM jobs WHERE jobs.id = executions.job_id) * 1000 + $5
		WHERE id = $1 AND status = 'pending'
		RETURNING `+returningExecution)
	if err != nil {
		return nil, nil, err
	}
	defer upd.Close()
	var claimed []*prikke.Execution
	var flows map[prikke.ID]*prikke.FlowKey
	for _, c := range cands {
		free := p.Limit - len(claimed)
		if free <= 0 {
			break
		}
		if n, ok := room[c.org]; ok {
			free = min(free, n)
		} else if p.DefaultOrgRoom > 0 {
			free = min(free, p.DefaultOrgRoom)
		}
		if free = sqlstore.FlowRoom(c.k, free, c.inFlight, horizon.Sub(now)); free <= 0 {
			continue
		}
		var ids []prikke.ID
		var dues []time.Time
		rows, err := pick.QueryContext(ctx, c.k.ID, ts(horizon), free)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id prikke.ID
			var due time.Time
			if err := rows.Scan(&id, timeScan{&due}); err != nil {
				rows.Close()
				return nil, nil, err
			}
			ids, dues = append(ids, id), append(dues, due)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		slots, tat := c.k.Slots(now, horizon, dues, free)
		limits := *c.k // the limits at this claim, for the worker (Claimed.Flow)
		for i, slot := range slots {
			e, err := s.scanClaimed(upd.QueryRowContext(ctx, ids[i], p.Node, ts(now), ts(slot), p.LeaseGrace.Microseconds()))
			if err != nil {
				return nil, nil, err
			}
			claimed = append(claimed, e)
			if flows == nil {
				flows = map[prikke.ID]*prikke.FlowKey{}
			}
			flows[e.ID] = &limits
		}
		if len(slots) == 0 {
			continue
		}
		if n, ok := room[c.org]; ok {
			room[c.org] = n - len(slots)
		} else if p.DefaultOrgRoom > 0 {
			room[c.org] = p.DefaultOrgRoom - len(slots)
		}
		if tat != c.k.TAT {
			c.k.TAT = tat
			if err := setFlowState(ctx, tx, c.k); err != nil {
				return nil, nil, err
			}
		}
	}
	return claimed, flows, nil
}
