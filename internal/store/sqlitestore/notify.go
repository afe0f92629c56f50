package sqlitestore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

const channelColumns = `id, project_id, kind, name, target, confirmed_at, confirm_token_hash, enabled, disabled_reason,
	failure_count, last_error, created_at, updated_at`

func scanChannel(row scanner) (*prikke.Channel, error) {
	var c prikke.Channel
	if err := row.Scan(&c.ID, &c.ProjectID, &c.Kind, &c.Name, &c.Target, timePtrScan{&c.ConfirmedAt}, &c.ConfirmTokenHash,
		&c.Enabled, &c.DisabledReason, &c.FailureCount, &c.LastError, timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// hashOrNull stores an empty confirmation hash as NULL, so that the
// column's unique index only ever compares real hashes.
func hashOrNull(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ChannelCreate implements store.Store.
func (s *Store) ChannelCreate(ctx context.Context, c *prikke.Channel) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO channels (`+channelColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.ProjectID, c.Kind, c.Name, c.Target, tsp(c.ConfirmedAt), hashOrNull(c.ConfirmTokenHash), c.Enabled,
		c.DisabledReason, c.FailureCount, c.LastError, ts(c.CreatedAt), ts(c.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: create channel: %w", mapErr(err))
	}
	return nil
}

// ChannelGet implements store.Store.
func (s *Store) ChannelGet(ctx context.Context, id prikke.ID) (*prikke.Channel, error) {
	c, err := scanChannel(s.rdb.QueryRowContext(ctx, "SELECT "+channelColumns+" FROM channels WHERE id = $1", id))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get channel: %w", mapErr(err))
	}
	return c, nil
}

// ChannelGetByConfirmHash implements store.Store.
func (s *Store) ChannelGetByConfirmHash(ctx context.Context, hash []byte) (*prikke.Channel, error) {
	if len(hash) == 0 {
		return nil, fmt.Errorf("sqlitestore: get channel by confirmation: %w", notFound())
	}
	c, err := scanChannel(s.rdb.QueryRowContext(ctx, "SELECT "+channelColumns+" FROM channels WHERE confirm_token_hash = $1", hash))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: get channel by confirmation: %w", mapErr(err))
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
	if err := s.rdb.QueryRowContext(ctx, "SELECT notify_mode, project_id FROM jobs WHERE id = $1", jobID).Scan(&mode, &projectID); err != nil {
		return nil, fmt.Errorf("sqlitestore: list channels for job: %w", mapErr(err))
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
		c.ID, c.Kind, c.Name, c.Target, tsp(c.ConfirmedAt), hashOrNull(c.ConfirmTokenHash), c.Enabled, c.DisabledReason,
		c.FailureCount, c.LastError, ts(c.UpdatedAt))
}

// ChannelDelete implements store.Store.
func (s *Store) ChannelDelete(ctx context.Context, id prikke.ID) error {
	return s.execOne(ctx, "delete channel", "DELETE FROM channels WHERE id = $1", id)
}

const flipColumns = "id, job_id, project_id, execution_id, event, created_at, processed_at"

func scanFlip(row scanner) (*prikke.Flip, error) {
	var f prikke.Flip
	if err := row.Scan(&f.ID, &f.JobID, &f.ProjectID, idPtrScan{&f.ExecutionID}, &f.Event, timeScan{&f.CreatedAt},
		timePtrScan{&f.ProcessedAt}); err != nil {
		return nil, err
	}
	return &f, nil
}

// FlipInsert implements store.Store.
func (s *Store) FlipInsert(ctx context.Context, f *prikke.Flip) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO flips (`+flipColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		f.ID, f.JobID, f.ProjectID, idp(f.ExecutionID), f.Event, ts(f.CreatedAt), tsp(f.ProcessedAt)); err != nil {
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
		RETURNING `+flipColumns, ts(s.nowOr(now)), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: claim flips: %w", mapErr(err))
	}
	defer rows.Close()
	out := []*prikke.Flip{}
	for rows.Next() {
		f, err := scanFlip(rows)
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

const notificationColumns = "id, project_id, channel_id, job_id, execution_id, event, recipient, ok, error, created_at"

func scanNotification(row scanner) (*prikke.Notification, error) {
	var n prikke.Notification
	var projectID *prikke.ID
	if err := row.Scan(&n.ID, idPtrScan{&projectID}, idPtrScan{&n.ChannelID}, idPtrScan{&n.JobID}, idPtrScan{&n.ExecutionID},
		&n.Event, &n.Recipient, &n.OK, &n.Error, timeScan{&n.CreatedAt}); err != nil {
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
	return id.String()
}

// NotificationInsert implements store.Store.
func (s *Store) NotificationInsert(ctx context.Context, n *prikke.Notification) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		n.ID, idOrNull(n.ProjectID), idp(n.ChannelID), idp(n.JobID), idp(n.ExecutionID), n.Event, n.Recipient, n.OK, n.Error,
		ts(n.CreatedAt)); err != nil {
		return fmt.Errorf("sqlitestore: insert notification: %w", mapErr(err))
	}
	return nil
}

// NotificationList implements store.Store.
func (s *Store) NotificationList(ctx context.Context, f store.NotificationFilter) ([]*prikke.Notification, error) {
	var where []string
	var args []any
	add := func(col string, id *prikke.ID) {
		if id != nil {
			args = append(args, id.String())
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
// whose flag is still 0 and returns a row only when it did; the single
// writer orders concurrent callers.
func (s *Store) UsageMarkNotified(ctx context.Context, orgID prikke.ID, month string, percent int) (bool, error) {
	col, err := usageFlag(percent)
	if err != nil {
		return false, fmt.Errorf("sqlitestore: mark usage notified: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `INSERT INTO usage (organization_id, month, `+col+`) VALUES ($1, $2, 1)
		ON CONFLICT (organization_id, month) DO UPDATE SET `+col+` = 1 WHERE usage.`+col+` = 0
		RETURNING 1`, orgID, month)
	if err != nil {
		return false, fmt.Errorf("sqlitestore: mark usage notified: %w", mapErr(err))
	}
	defer rows.Close()
	set := rows.Next()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("sqlitestore: mark usage notified: %w", mapErr(err))
	}
	return set, nil
}
