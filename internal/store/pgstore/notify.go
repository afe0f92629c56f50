package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

const channelColumns = `id, project_id, kind, name, target, confirmed_at, confirm_token_hash, enabled, disabled_reason,
	failure_count, last_error, created_at, updated_at`

func scanChannel(row pgx.Row) (*prikke.Channel, error) {
	var c prikke.Channel
	if err := row.Scan(&c.ID, &c.ProjectID, &c.Kind, &c.Name, &c.Target, &c.ConfirmedAt, &c.ConfirmTokenHash, &c.Enabled,
		&c.DisabledReason, &c.FailureCount, &c.LastError, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.ConfirmedAt = utcp(c.ConfirmedAt)
	return &c, nil
}

// hashOrNull stores an empty confirmation hash as NULL, so that the
// column's unique index only ever compares real hashes.
func hashOrNull(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ChannelCreate implements store.Store.
func (s *Store) ChannelCreate(ctx context.Context, c *prikke.Channel) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO channels (`+channelColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.ProjectID, c.Kind, c.Name, c.Target, c.ConfirmedAt, hashOrNull(c.ConfirmTokenHash), c.Enabled,
		c.DisabledReason, c.FailureCount, c.LastError, c.CreatedAt, c.UpdatedAt); err != nil {
		return fmt.Errorf("pgstore: create channel: %w", mapErr(err))
	}
	return nil
}

// ChannelGet implements store.Store.
func (s *Store) ChannelGet(ctx context.Context, id prikke.ID) (*prikke.Channel, error) {
	c, err := scanChannel(s.pool.QueryRow(ctx, "SELECT "+channelColumns+" FROM channels WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get channel: %w", mapErr(err))
	}
	return c, nil
}

// ChannelGetByConfirmHash implements store.Store.
func (s *Store) ChannelGetByConfirmHash(ctx context.Context, hash []byte) (*prikke.Channel, error) {
	if len(hash) == 0 {
		return nil, fmt.Errorf("pgstore: get channel by confirmation: %w", notFound())
	}
	c, err := scanChannel(s.pool.QueryRow(ctx, "SELECT "+channelColumns+" FROM channels WHERE confirm_token_hash = $1", hash))
	if err != nil {
		return nil, fmt.Errorf("pgstore: get channel by confirmation: %w", mapErr(err))
	}
	return c, nil
}

// ChannelListByProject implements store.Store.
func (s *Store) ChannelListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.Channel, error) {
	return list(ctx, s, "list channels", scanChannel,
		"SELECT "+channelColumns+" FROM channels WHERE project_id = $1 ORDER BY created_at, id", projectID)
}

// ChannelListForJob implements store.Store.
func (s *Store) ChannelListForJob(ctx context.Context, jobID prikke.ID) ([]*prikke.Channel, error) {
	var mode prikke.NotifyMode
	var projectID prikke.ID
	if err := s.pool.QueryRow(ctx, "SELECT notify_mode, project_id FROM jobs WHERE id = $1", jobID).Scan(&mode, &projectID); err != nil {
		return nil, fmt.Errorf("pgstore: list channels for job: %w", mapErr(err))
	}
	switch mode {
	case prikke.NotifyProject:
		return s.ChannelListByProject(ctx, projectID)
	case prikke.NotifyCustom:
		// Only the job's own project's channels, whatever job_channels says.
		return list(ctx, s, "list channels for job", scanChannel, `SELECT `+prefixColumns("c", channelColumns)+`
			FROM channels c JOIN job_channels jc ON jc.channel_id = c.id
			WHERE jc.job_id = $1 AND c.project_id = $2 ORDER BY c.created_at, c.id`, jobID, projectID)
	default: // muted
		return []*prikke.Channel{}, nil
	}
}

// prefixColumns qualifies a column list with a table alias.
func prefixColumns(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ChannelUpdate implements store.Store.
func (s *Store) ChannelUpdate(ctx context.Context, c *prikke.Channel) error {
	return s.execOne(ctx, "update channel", `UPDATE channels SET kind = $2, name = $3, target = $4, confirmed_at = $5,
		confirm_token_hash = $6, enabled = $7, disabled_reason = $8, failure_count = $9, last_error = $10, updated_at = $11
		WHERE id = $1`,
		c.ID, c.Kind, c.Name, c.Target, c.ConfirmedAt, hashOrNull(c.ConfirmTokenHash), c.Enabled, c.DisabledReason,
		c.FailureCount, c.LastError, c.UpdatedAt)
}

// ChannelDelete implements store.Store.
func (s *Store) ChannelDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete channel", "DELETE FROM channels WHERE id = $1", id)
}

const flipColumns = "id, job_id, project_id, execution_id, event, created_at, processed_at"

func scanFlip(row pgx.Row) (*prikke.Flip, error) {
	var f prikke.Flip
	if err := row.Scan(&f.ID, &f.JobID, &f.ProjectID, &f.ExecutionID, &f.Event, &f.CreatedAt, &f.ProcessedAt); err != nil {
		return nil, err
	}
	f.ProcessedAt = utcp(f.ProcessedAt)
	return &f, nil
}

// FlipInsert implements store.Store. The notification to the notifier is
// sent by the same statement, so it goes out exactly when the flip commits.
func (s *Store) FlipInsert(ctx context.Context, f *prikke.Flip) error {
	if _, err := s.pool.Exec(ctx, `WITH ins AS (
			INSERT INTO flips (`+flipColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
		)
		SELECT pg_notify($8, '') FROM ins`,
		f.ID, f.JobID, f.ProjectID, f.ExecutionID, f.Event, f.CreatedAt, f.ProcessedAt, s.channel(store.TopicFlips)); err != nil {
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
	return list(ctx, s, "claim flips", scanFlip, `WITH claimed AS (
			UPDATE flips SET processed_at = coalesce($1::timestamptz, now())
			WHERE id IN (
				SELECT id FROM flips WHERE processed_at IS NULL
				ORDER BY created_at, id LIMIT $2
				FOR UPDATE SKIP LOCKED
			)
			RETURNING `+flipColumns+`
		)
		SELECT `+flipColumns+` FROM claimed ORDER BY created_at, id`, at, limit)
}

const notificationColumns = "id, project_id, channel_id, job_id, execution_id, event, recipient, ok, error, created_at"

func scanNotification(row pgx.Row) (*prikke.Notification, error) {
	var n prikke.Notification
	var projectID *prikke.ID
	if err := row.Scan(&n.ID, &projectID, &n.ChannelID, &n.JobID, &n.ExecutionID, &n.Event, &n.Recipient, &n.OK, &n.Error,
		&n.CreatedAt); err != nil {
		return nil, err
	}
	if projectID != nil {
		n.ProjectID = *projectID
	}
	return &n, nil
}

// idOrNull stores the nil ID as NULL (a notification about an
// organization, such as a quota email, has no project).
func idOrNull(id prikke.ID) any {
	if id == prikke.NilID {
		return nil
	}
	return id
}

// NotificationInsert implements store.Store.
func (s *Store) NotificationInsert(ctx context.Context, n *prikke.Notification) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		n.ID, idOrNull(n.ProjectID), n.ChannelID, n.JobID, n.ExecutionID, n.Event, n.Recipient, n.OK, n.Error,
		n.CreatedAt); err != nil {
		return fmt.Errorf("pgstore: insert notification: %w", mapErr(err))
	}
	return nil
}

// NotificationList implements store.Store.
func (s *Store) NotificationList(ctx context.Context, f store.NotificationFilter) ([]*prikke.Notification, error) {
	var where []string
	var args []any
	add := func(col string, id *prikke.ID) {
		if id != nil {
			args = append(args, *id)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("project_id", f.ProjectID)
	add("channel_id", f.ChannelID)
	add("job_id", f.JobID)
	q := "SELECT " + notificationColumns + " FROM notifications"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	q += " ORDER BY created_at DESC, id DESC LIMIT $" + strconv.Itoa(len(args))
	return list(ctx, s, "list notifications", scanNotification, q, args...)
}

// usageFlag returns the usage column that records a quota email.
func usageFlag(percent int) (string, error) {
	switch percent {
	case 80:
		return "notified_80", nil
	case 100:
		return "notified_100", nil
	}
	return "", prikke.Errorf(prikke.EINVALID, "Quota notifications are sent at 80%% or 100%%, not %d%%.", percent)
}

// UsageMarkNotified implements store.Store. The upsert only updates a row
// whose flag is still false, and returns a row only when it did; a
// concurrent caller re-checks the flag after the winner commits and gets
// no row.
func (s *Store) UsageMarkNotified(ctx context.Context, orgID prikke.ID, month string, percent int) (bool, error) {
	col, err := usageFlag(percent)
	if err != nil {
		return false, fmt.Errorf("pgstore: mark usage notified: %w", err)
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO usage (organization_id, month, `+col+`) VALUES ($1, $2, true)
		ON CONFLICT (organization_id, month) DO UPDATE SET `+col+` = true WHERE NOT usage.`+col+`
		RETURNING 1`, orgID, month)
	if err != nil {
		return false, fmt.Errorf("pgstore: mark usage notified: %w", mapErr(err))
	}
	n, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return false, fmt.Errorf("pgstore: mark usage notified: %w", mapErr(err))
	}
	return len(n) == 1, nil
}
