package pgstore

// The records whose statements are PostgreSQL's own (the rest are written
// once in sqlstore): flips, which notify and claim as the engine does,
// the settings upsert, heartbeats on their own pool, and the daily job
// rollup.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// FlipInsert implements store.Store. The notification to the notifier is
// sent by the same statement, so it goes out exactly when the flip commits.
func (s *Store) FlipInsert(ctx context.Context, f *prikke.Flip) error {
	if _, err := s.pool.Exec(ctx, `WITH ins AS (
			INSERT INTO flips (`+sqlstore.FlipColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $9) RETURNING id
		)
		SELECT pg_notify($8, '') FROM ins`,
		f.ID, f.JobID, f.ProjectID, f.ExecutionID, f.Event, f.CreatedAt, f.ProcessedAt, s.channel(store.TopicFlips), f.Muted); err != nil {
		return fmt.Errorf("pgstore: insert flip: %w", mapErr(err))
	}
	return nil
}

// FlipClaim implements store.Store. SKIP LOCKED lets concurrent notifiers
// on any node each take different flips without waiting for each other.
// A zero now means the database clock.
func (s *Store) FlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.Flip, error) {
	if limit <= 0 {
		limit = 100
	}
	var at any
	if !now.IsZero() {
		at = now.UTC()
	}
	return list(ctx, s, "claim flips", func(row pgx.Row) (*prikke.Flip, error) { return sqlstore.ScanFlip(dialect{s: s}, row) }, `WITH claimed AS (
			UPDATE flips SET processed_at = coalesce($1::timestamptz, now())
			WHERE id IN (
				SELECT id FROM flips WHERE processed_at IS NULL
				ORDER BY created_at, id LIMIT $2
				FOR UPDATE SKIP LOCKED
			)
			RETURNING `+sqlstore.FlipColumns+`
		)
		SELECT `+sqlstore.FlipColumns+` FROM claimed ORDER BY created_at, id`, at, limit)
}

// MonitorFlipClaim implements store.Store: as FlipClaim, but the claim is
// a lease (claimed_until) that MonitorFlipDone confirms, and a flip whose
// lease ended is claimable again. SKIP LOCKED passes rows another claimer
// is leasing right now; a row it has just leased is re-checked against
// its committed lease, so it is not claimed twice.
func (s *Store) MonitorFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.MonitorFlip, error) {
	if limit <= 0 {
		limit = 100
	}
	var at any
	if !now.IsZero() {
		at = now.UTC()
	}
	return list(ctx, s, "claim monitor flips", func(row pgx.Row) (*prikke.MonitorFlip, error) {
		return sqlstore.ScanMonitorFlip(dialect{s: s}, row)
	}, `WITH claimed AS (
			UPDATE monitor_flips SET claimed_until = coalesce($1::timestamptz, now()) + $3 * interval '1 microsecond'
			WHERE id IN (
				SELECT id FROM monitor_flips WHERE processed_at IS NULL
					AND (claimed_until IS NULL OR claimed_until <= coalesce($1::timestamptz, now()))
				ORDER BY created_at, id LIMIT $2
				FOR UPDATE SKIP LOCKED
			)
			RETURNING `+sqlstore.MonitorFlipColumns+`
		)
		SELECT `+sqlstore.MonitorFlipColumns+` FROM claimed ORDER BY created_at, id`, at, limit, store.MonitorFlipLease.Microseconds())
}

// MonitorFlipDone implements store.Store.
func (s *Store) MonitorFlipDone(ctx context.Context, id prikke.ID, now time.Time) error {
	var at any
	if !now.IsZero() {
		at = now.UTC()
	}
	tag, err := s.pool.Exec(ctx, `UPDATE monitor_flips SET processed_at = coalesce(processed_at, $2::timestamptz, now())
		WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("pgstore: confirm monitor flip: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return prikke.Errorf(prikke.ENOTFOUND, "Not found.")
	}
	return nil
}

// SettingPutIfAbsent implements store.Store.
func (s *Store) SettingPutIfAbsent(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value
		)
		SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE key = $1 LIMIT 1`, key, value).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("pgstore: put setting: %w", mapErr(err))
	}
	return v, nil
}

// poolFor returns the pool for heartbeat name: worker heartbeats
// (store.WorkerBeat + node) use their own small pool, so that a busy main
// pool cannot keep a live node from beating (and its peers from then
// judging it dead).
func (s *Store) poolFor(name string) *pgxpool.Pool {
	if strings.HasPrefix(name, store.WorkerBeat) {
		return s.beatPool
	}
	return s.pool
}

// HeartbeatPut implements store.Store. Worker heartbeats go through their
// own pool (see poolFor).
func (s *Store) HeartbeatPut(ctx context.Context, name, detail string) error {
	if _, err := s.poolFor(name).Exec(ctx, `INSERT INTO heartbeats (name, beat_at, detail) VALUES ($1, now(), $2)
		ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at, detail = excluded.detail`, name, detail); err != nil {
		return fmt.Errorf("pgstore: put heartbeat: %w", mapErr(err))
	}
	return nil
}

// HeartbeatGet implements store.Store. A node reads its own worker
// heartbeat before it beats (claimNodeID), so worker heartbeats are read
// through their own pool too (see poolFor).
func (s *Store) HeartbeatGet(ctx context.Context, name string) (time.Time, string, error) {
	var at time.Time
	var detail string
	if err := s.poolFor(name).QueryRow(ctx, "SELECT beat_at, detail FROM heartbeats WHERE name = $1", name).Scan(&at, &detail); err != nil {
		return time.Time{}, "", fmt.Errorf("pgstore: get heartbeat: %w", mapErr(err))
	}
	return at.UTC(), detail, nil
}

// JobDaysRollup implements store.Store. It recounts whole UTC days, from
// the start of since's day, so running it again gives the same numbers.
func (s *Store) JobDaysRollup(ctx context.Context, since time.Time) error {
	// The jobs on status pages as an array: the planner looks each one's
	// rows up by executions_job_idx. As a semi-join it chose a parallel
	// scan of the whole history (measured at 10 million rows), every run.
	if _, err := s.pool.Exec(ctx, `INSERT INTO job_days (job_id, day, success, failed)
		SELECT job_id, to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
			count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status IN ('failed', 'timeout'))
		FROM executions
		WHERE job_id = ANY(ARRAY(SELECT DISTINCT job_id FROM status_page_jobs)) AND finished_at >= $1
			AND status IN ('success', 'failed', 'timeout')
		GROUP BY 1, 2
		ON CONFLICT (job_id, day) DO UPDATE SET success = excluded.success, failed = excluded.failed`,
		sqlstore.StartOfDay(since)); err != nil {
		return fmt.Errorf("pgstore: roll up job days: %w", mapErr(err))
	}
	return nil
}

// jobColumnsLite is sqlstore.JobColumnsLite in PostgreSQL's types.
var jobColumnsLite = sqlstore.JobColumnsLite("NULL::timestamptz")
