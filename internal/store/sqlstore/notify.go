package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

const channelColumns = `id, project_id, kind, name, target, confirmed_at, confirm_token_hash, enabled, disabled_reason,
	failure_count, last_error, created_at, updated_at`

func (r *Records) scanChannel(row Row) (*prikke.Channel, error) {
	var c prikke.Channel
	if err := row.Scan(&c.ID, &c.ProjectID, &c.Kind, &c.Name, &c.Target, r.d.ScanTimePtr(&c.ConfirmedAt), &c.ConfirmTokenHash,
		&c.Enabled, &c.DisabledReason, &c.FailureCount, &c.LastError, r.d.ScanTime(&c.CreatedAt), r.d.ScanTime(&c.UpdatedAt)); err != nil {
		return nil, err
	}
	c.ConfirmedAt = utcp(c.ConfirmedAt)
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
func (r *Records) ChannelCreate(ctx context.Context, c *prikke.Channel) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO channels (`+channelColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.ProjectID, c.Kind, c.Name, c.Target, r.d.TimePtr(c.ConfirmedAt), hashOrNull(c.ConfirmTokenHash), c.Enabled,
		c.DisabledReason, c.FailureCount, c.LastError, r.d.Time(c.CreatedAt), r.d.Time(c.UpdatedAt)); err != nil {
		return r.fail("create channel", err)
	}
	return nil
}

// ChannelGet implements store.Store.
func (r *Records) ChannelGet(ctx context.Context, id prikke.ID) (*prikke.Channel, error) {
	return one(ctx, r, "get channel", r.scanChannel, "SELECT "+channelColumns+" FROM channels WHERE id = $1", id)
}

// ChannelGetByConfirmHash implements store.Store.
func (r *Records) ChannelGetByConfirmHash(ctx context.Context, hash []byte) (*prikke.Channel, error) {
	if len(hash) == 0 {
		return nil, fmt.Errorf("%s: get channel by confirmation: %w", r.d.Name(), notFound())
	}
	return one(ctx, r, "get channel by confirmation", r.scanChannel, "SELECT "+channelColumns+" FROM channels WHERE confirm_token_hash = $1", hash)
}

// ChannelListByProject implements store.Store.
func (r *Records) ChannelListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.Channel, error) {
	return list(ctx, r, "list channels", r.scanChannel,
		"SELECT "+channelColumns+" FROM channels WHERE project_id = $1 ORDER BY created_at, id", projectID)
}

// ChannelListForJob implements store.Store.
func (r *Records) ChannelListForJob(ctx context.Context, jobID prikke.ID) ([]*prikke.Channel, error) {
	var mode prikke.NotifyMode
	var projectID prikke.ID
	if err := r.d.Reader().QueryRow(ctx, "SELECT notify_mode, project_id FROM jobs WHERE id = $1", jobID).Scan(&mode, &projectID); err != nil {
		return nil, r.fail("list channels for job", err)
	}
	switch mode {
	case prikke.NotifyProject:
		return r.ChannelListByProject(ctx, projectID)
	case prikke.NotifyCustom:
		// Only the job's own project's channels, whatever job_channels says.
		return list(ctx, r, "list channels for job", r.scanChannel, `SELECT `+prefixColumns("c", channelColumns)+`
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
func (r *Records) ChannelUpdate(ctx context.Context, c *prikke.Channel) error {
	return r.execOne(ctx, "update channel", `UPDATE channels SET kind = $2, name = $3, target = $4, confirmed_at = $5,
		confirm_token_hash = $6, enabled = $7, disabled_reason = $8, failure_count = $9, last_error = $10, updated_at = $11
		WHERE id = $1`,
		c.ID, c.Kind, c.Name, c.Target, r.d.TimePtr(c.ConfirmedAt), hashOrNull(c.ConfirmTokenHash), c.Enabled, c.DisabledReason,
		c.FailureCount, c.LastError, r.d.Time(c.UpdatedAt))
}

// ChannelDelete implements store.Store.
func (r *Records) ChannelDelete(ctx context.Context, id prikke.ID) error {
	return r.execOne(ctx, "delete channel", "DELETE FROM channels WHERE id = $1", id)
}

// FlipColumns lists a flip's columns, for ScanFlip.
const FlipColumns = "id, job_id, project_id, execution_id, event, created_at, processed_at, muted"

// ScanFlip scans one row of FlipColumns.
func ScanFlip(d Dialect, row Row) (*prikke.Flip, error) {
	var f prikke.Flip
	if err := row.Scan(&f.ID, &f.JobID, &f.ProjectID, d.ScanIDPtr(&f.ExecutionID), &f.Event, d.ScanTime(&f.CreatedAt),
		d.ScanTimePtr(&f.ProcessedAt), &f.Muted); err != nil {
		return nil, err
	}
	f.ProcessedAt = utcp(f.ProcessedAt)
	return &f, nil
}

const notificationColumns = "id, project_id, channel_id, job_id, monitor_id, execution_id, event, recipient, ok, error, created_at"

func (r *Records) scanNotification(row Row) (*prikke.Notification, error) {
	var n prikke.Notification
	var projectID *prikke.ID
	if err := row.Scan(&n.ID, r.d.ScanIDPtr(&projectID), r.d.ScanIDPtr(&n.ChannelID), r.d.ScanIDPtr(&n.JobID), r.d.ScanIDPtr(&n.MonitorID), r.d.ScanIDPtr(&n.ExecutionID),
		&n.Event, &n.Recipient, &n.OK, &n.Error, r.d.ScanTime(&n.CreatedAt)); err != nil {
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
func (r *Records) NotificationInsert(ctx context.Context, n *prikke.Notification) error {
	if _, err := r.d.Writer().Exec(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		n.ID, idOrNull(n.ProjectID), r.d.IDPtr(n.ChannelID), r.d.IDPtr(n.JobID), r.d.IDPtr(n.MonitorID), r.d.IDPtr(n.ExecutionID), n.Event, n.Recipient, n.OK, n.Error,
		r.d.Time(n.CreatedAt)); err != nil {
		return r.fail("insert notification", err)
	}
	return nil
}

// NotificationList implements store.Store.
func (r *Records) NotificationList(ctx context.Context, f store.NotificationFilter) ([]*prikke.Notification, error) {
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
	add("monitor_id", f.MonitorID)
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
	return list(ctx, r, "list notifications", r.scanNotification, q, args...)
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
// concurrent caller re-checks the flag after the winner commits (or waits
// for the single writer) and gets no row.
func (r *Records) UsageMarkNotified(ctx context.Context, orgID prikke.ID, month string, percent int) (bool, error) {
	col, err := usageFlag(percent)
	if err != nil {
		return false, fmt.Errorf("%s: mark usage notified: %w", r.d.Name(), err)
	}
	rows, err := r.d.Writer().Query(ctx, `INSERT INTO usage (organization_id, month, `+col+`) VALUES ($1, $2, true)
		ON CONFLICT (organization_id, month) DO UPDATE SET `+col+` = true WHERE NOT usage.`+col+`
		RETURNING 1`, orgID, month)
	if err != nil {
		return false, r.fail("mark usage notified", err)
	}
	defer rows.Close()
	set := rows.Next()
	if err := rows.Err(); err != nil {
		return false, r.fail("mark usage notified", err)
	}
	return set, nil
}
