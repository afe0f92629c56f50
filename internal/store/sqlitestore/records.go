package sqlitestore

// The records whose statements are SQLite's own (the rest are written once
// in sqlstore): flips, which the single writer claims, the settings
// insert, heartbeats on the store's clock, and the daily job rollup.

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// FlipInsert implements store.Store.
func (s *Store) FlipInsert(ctx context.Context, f *prikke.Flip) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO flips (`+sqlstore.FlipColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		f.ID, f.JobID, f.ProjectID, idp(f.ExecutionID), f.Event, ts(f.CreatedAt), tsp(f.ProcessedAt), f.Muted); err != nil {
		return fmt.Errorf("sqlitestore: insert flip: %w", mapErr(err))
	}
	s.broker.Publish(store.Event{Topic: store.TopicFlips})
	return nil
}

// FlipClaim implements store.Store. The single writer connection makes
// the one UPDATE atomic against every other claimer. A zero now means the
// store's clock.
func (s *Store) FlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.Flip, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `UPDATE flips SET processed_at = $1
		WHERE id IN (SELECT id FROM flips WHERE processed_at IS NULL ORDER BY created_at, id LIMIT $2)
		RETURNING `+sqlstore.FlipColumns, ts(s.nowOr(now)), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: claim flips: %w", mapErr(err))
	}
	defer rows.Close()
	out := []*prikke.Flip{}
	for rows.Next() {
		f, err := sqlstore.ScanFlip(dialect{s}, rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: claim flips: %w", mapErr(err))
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: claim flips: %w", mapErr(err))
	}
	// RETURNING gives no order; hand flips out oldest first.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out, nil
}

// MonitorFlipClaim implements store.Store: as FlipClaim, but the claim is
// a lease (claimed_until) that MonitorFlipDone confirms, and a flip whose
// lease ended is claimable again.
func (s *Store) MonitorFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.MonitorFlip, error) {
	if limit <= 0 {
		limit = 100
	}
	now = s.nowOr(now)
	rows, err := s.db.QueryContext(ctx, `UPDATE monitor_flips SET claimed_until = $3
		WHERE id IN (SELECT id FROM monitor_flips WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY created_at, id LIMIT $2)
		RETURNING `+sqlstore.MonitorFlipColumns, ts(now), limit, ts(now.Add(store.MonitorFlipLease)))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: claim monitor flips: %w", mapErr(err))
	}
	defer rows.Close()
	out := []*prikke.MonitorFlip{}
	for rows.Next() {
		f, err := sqlstore.ScanMonitorFlip(dialect{s}, rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: claim monitor flips: %w", mapErr(err))
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: claim monitor flips: %w", mapErr(err))
	}
	// RETURNING gives no order; hand flips out oldest first.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out, nil
}

// MonitorFlipDone implements store.Store.
func (s *Store) MonitorFlipDone(ctx context.Context, id prikke.ID, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE monitor_flips SET processed_at = coalesce(processed_at, $2) WHERE id = $1`,
		id, ts(s.nowOr(now)))
	if err != nil {
		return fmt.Errorf("sqlitestore: confirm monitor flip: %w", mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlitestore: confirm monitor flip: %w", mapErr(err))
	} else if n == 0 {
		return prikke.Errorf(prikke.ENOTFOUND, "Not found.")
	}
	return nil
}

// SettingPutIfAbsent implements store.Store.
func (s *Store) SettingPutIfAbsent(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.inTx(ctx, "put setting", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
			key, value, ts(s.now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	})
	return v, err
}

// HeartbeatPut implements store.Store.
func (s *Store) HeartbeatPut(ctx context.Context, name, detail string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO heartbeats (name, beat_at, detail) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at, detail = excluded.detail`, name, ts(s.now()), detail); err != nil {
		return fmt.Errorf("sqlitestore: put heartbeat: %w", mapErr(err))
	}
	return nil
}

// HeartbeatGet implements store.Store.
func (s *Store) HeartbeatGet(ctx context.Context, name string) (time.Time, string, error) {
	var at time.Time
	var detail string
	if err := s.rdb.QueryRowContext(ctx, "SELECT beat_at, detail FROM heartbeats WHERE name = $1", name).Scan(timeScan{&at}, &detail); err != nil {
		return time.Time{}, "", fmt.Errorf("sqlitestore: get heartbeat: %w", mapErr(err))
	}
	return at, detail, nil
}

// JobDaysRollup implements store.Store. It recounts whole UTC days, from
// the start of since's day, so running it again gives the same numbers.
func (s *Store) JobDaysRollup(ctx context.Context, since time.Time) error {
	// The WHERE clause also keeps SQLite from reading ON CONFLICT as a
	// join constraint.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO job_days (job_id, day, success, failed)
		SELECT job_id, strftime('%Y-%m-%d', finished_at / 1000000, 'unixepoch') AS d,
			sum(status = 'success'), sum(status IN ('failed', 'timeout'))
		FROM executions
		WHERE job_id IN (SELECT job_id FROM status_page_jobs) AND finished_at >= $1
			AND status IN ('success', 'failed', 'timeout')
		GROUP BY job_id, d
		ON CONFLICT (job_id, day) DO UPDATE SET success = excluded.success, failed = excluded.failed`,
		ts(sqlstore.StartOfDay(since))); err != nil {
		return fmt.Errorf("sqlitestore: roll up job days: %w", mapErr(err))
	}
	return nil
}

// jobColumnsLite is sqlstore.JobColumnsLite in SQLite's types.
var jobColumnsLite = sqlstore.JobColumnsLite("NULL")
