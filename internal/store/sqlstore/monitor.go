package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// monitorFrom is the FROM clause of MonitorColumns: a monitor with its
// project (the project's snooze) and organization (its tier).
const monitorFrom = " FROM monitors m JOIN projects p ON p.id = m.project_id JOIN organizations o ON o.id = p.organization_id"

// MonitorColumns lists a monitor's columns (from monitorFrom), for
// monitorScan.
const MonitorColumns = `m.id, m.project_id, p.organization_id, o.tier, p.snooze_until, m.name, m.slug, m.description,
	m.ping_token, m.badge_token, m.period_ms, m.cron_expression, m.time_zone, m.grace_ms, m.max_runtime_ms, m.min_runtime_ms,
	m.fail_threshold, m.recovery_threshold, m.realert_every_ms, m.snooze_until, m.window_cron, m.window_time_zone,
	m.window_duration_ms, m.window_skip_runs, m.manual_resume, m.notify_mode,
	m.status, m.consecutive_failures, m.consecutive_successes, m.last_ping_at, m.last_ping_kind, m.last_duration_ms,
	m.due_at, m.open_runs, m.deadline_at, m.alerted_at, m.muted_down, m.version, m.created_at, m.updated_at, m.pause_reason`

// monitorScan scans a row of MonitorColumns.
type monitorScan struct {
	m                                              prikke.Monitor
	period, grace, maxRun, minRun, realert, window int64
	lastDuration                                   *int64
}

func (ms *monitorScan) dest(d Dialect) []any {
	m := &ms.m
	return []any{&m.ID, &m.ProjectID, &m.OrganizationID, &m.Tier, d.ScanTimePtr(&m.ProjectSnoozeUntil), &m.Name, &m.Slug, &m.Description,
		&m.PingToken, &m.BadgeToken, &ms.period, &m.Cron, &m.TimeZone, &ms.grace, &ms.maxRun, &ms.minRun,
		&m.FailThreshold, &m.RecoveryThreshold, &ms.realert, d.ScanTimePtr(&m.SnoozeUntil), &m.Window.Cron, &m.Window.TimeZone,
		&ms.window, &m.Window.SkipRuns, &m.ManualResume, &m.NotifyMode,
		&m.Status, &m.ConsecutiveFailures, &m.ConsecutiveSuccesses, d.ScanTimePtr(&m.LastPingAt), &m.LastPingKind, &ms.lastDuration,
		d.ScanTimePtr(&m.DueAt), d.ScanJSON(&m.OpenRuns), d.ScanTimePtr(&m.DeadlineAt), d.ScanTimePtr(&m.AlertedAt), &m.MutedDown,
		&m.Version, d.ScanTime(&m.CreatedAt), d.ScanTime(&m.UpdatedAt), &m.PauseReason}
}

func (ms *monitorScan) monitor() *prikke.Monitor {
	m := ms.m
	m.Period, m.Grace, m.MaxRuntime, m.MinRuntime = fromMS(ms.period), fromMS(ms.grace), fromMS(ms.maxRun), fromMS(ms.minRun)
	m.RealertEvery, m.Window.Duration = fromMS(ms.realert), fromMS(ms.window)
	if ms.lastDuration != nil {
		d := fromMS(*ms.lastDuration)
		m.LastDuration = &d
	}
	for _, t := range []**time.Time{&m.ProjectSnoozeUntil, &m.SnoozeUntil, &m.LastPingAt, &m.DueAt, &m.DeadlineAt, &m.AlertedAt} {
		*t = utcp(*t)
	}
	for i := range m.OpenRuns {
		m.OpenRuns[i].StartedAt = m.OpenRuns[i].StartedAt.UTC()
	}
	return &m
}

func (r *Records) scanMonitor(row Row) (*prikke.Monitor, error) {
	var ms monitorScan
	if err := row.Scan(ms.dest(r.d)...); err != nil {
		return nil, err
	}
	return ms.monitor(), nil
}

// ms is a duration as stored: whole milliseconds.
func ms(d time.Duration) int64 { return d.Milliseconds() }

func fromMS(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// msPtr stores an optional duration (nil is NULL).
func msPtr(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return d.Milliseconds()
}

// runsOrEmpty stores open runs as a JSON array, never NULL.
func runsOrEmpty(rs []prikke.MonitorRun) []prikke.MonitorRun {
	if rs == nil {
		return []prikke.MonitorRun{}
	}
	return rs
}

func statusOr(s prikke.MonitorStatus) prikke.MonitorStatus {
	if s == "" {
		return prikke.MonitorNew
	}
	return s
}

// monitorConfigColumns are the columns of a monitor's configuration
// (MonitorCreate and MonitorModify write them), in monitorConfigArgs' order.
const monitorConfigColumns = `name, slug, description, ping_token, badge_token, period_ms, cron_expression, time_zone, grace_ms,
	max_runtime_ms, min_runtime_ms, fail_threshold, recovery_threshold, realert_every_ms, snooze_until, window_cron,
	window_time_zone, window_duration_ms, window_skip_runs, manual_resume, notify_mode`

func monitorConfigArgs(d Dialect, m *prikke.Monitor) []any {
	return []any{m.Name, m.Slug, m.Description, m.PingToken, m.BadgeToken, ms(m.Period), m.Cron, m.TimeZone, ms(m.Grace),
		ms(m.MaxRuntime), ms(m.MinRuntime), m.FailThreshold, m.RecoveryThreshold, ms(m.RealertEvery), d.TimePtr(m.SnoozeUntil), m.Window.Cron,
		m.Window.TimeZone, ms(m.Window.Duration), m.Window.SkipRuns, m.ManualResume, notifyModeOr(m.NotifyMode)}
}

// monitorStateColumns are the columns of a monitor's state, in
// monitorStateArgs' order; monitorStateTypes their PostgreSQL types, with
// the ID's first, for Tx.UpdateRows.
const monitorStateColumns = `status, consecutive_failures, consecutive_successes, last_ping_at, last_ping_kind, last_duration_ms,
	due_at, open_runs, deadline_at, alerted_at, muted_down, version, updated_at, pause_reason`

var (
	monitorStateUpdate = append([]string{"id"}, columnList(monitorStateColumns)...)
	monitorStateTypes  = []string{"uuid", "text", "integer", "integer", "timestamptz", "text", "bigint",
		"timestamptz", "jsonb", "timestamptz", "timestamptz", "boolean", "bigint", "timestamptz", "text"}
)

func monitorStateArgs(d Dialect, m *prikke.Monitor) []any {
	return []any{statusOr(m.Status), m.ConsecutiveFailures, m.ConsecutiveSuccesses, d.TimePtr(m.LastPingAt), m.LastPingKind, msPtr(m.LastDuration),
		d.TimePtr(m.DueAt), d.JSON(runsOrEmpty(m.OpenRuns)), d.TimePtr(m.DeadlineAt), d.TimePtr(m.AlertedAt), m.MutedDown, m.Version, d.Time(m.UpdatedAt),
		m.PauseReason}
}

func notifyModeOr(n prikke.NotifyMode) prikke.NotifyMode {
	if n == "" {
		return prikke.NotifyProject
	}
	return n
}

// setClause returns "a = $k, b = $k+1, …" for a column list.
func setClause(columns string, first int) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = fmt.Sprintf("%s = $%d", strings.TrimSpace(c), first+i)
	}
	return strings.Join(cols, ", ")
}

// placeholders returns "$first, …" for n parameters.
func placeholders(first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", first+i)
	}
	return strings.Join(ps, ", ")
}

var (
	monitorConfigCount = len(strings.Split(monitorConfigColumns, ","))
	monitorStateCount  = len(strings.Split(monitorStateColumns, ","))
	// updateMonitorSQL writes a monitor's configuration and state.
	updateMonitorSQL = "UPDATE monitors SET " + setClause(monitorConfigColumns, 2) + ", " +
		setClause(monitorStateColumns, 2+monitorConfigCount) + " WHERE id = $1"
	insertMonitorSQL = "INSERT INTO monitors (id, project_id, " + monitorConfigColumns + ", " + monitorStateColumns + ", created_at) VALUES (" +
		placeholders(1, 3+monitorConfigCount+monitorStateCount) + ")"
)

// setMonitorChannels replaces the monitor's own channel list. Channels
// must be in the monitor's project; others are ignored.
func setMonitorChannels(ctx context.Context, d Dialect, tx Querier, m *prikke.Monitor) error {
	return setChannels(ctx, d, tx, "monitor_channels", "monitor_id", m.ID, m.ProjectID, m.NotifyMode, m.ChannelIDs)
}

// MonitorCreate implements store.Store. A missing project is ENOTFOUND.
func (r *Records) MonitorCreate(ctx context.Context, m *prikke.Monitor) error {
	return r.inTx(ctx, "create monitor", func(tx Tx) error { return r.insertMonitor(ctx, tx, m) })
}

// insertMonitor inserts m with its channel list, and wakes the scheduler
// when tx commits.
func (r *Records) insertMonitor(ctx context.Context, tx Tx, m *prikke.Monitor) error {
	m.Status = statusOr(m.Status)
	m.NotifyMode = notifyModeOr(m.NotifyMode)
	args := append([]any{m.ID, m.ProjectID}, monitorConfigArgs(r.d, m)...)
	args = append(args, monitorStateArgs(r.d, m)...)
	args = append(args, r.d.Time(m.CreatedAt))
	if _, err := tx.Exec(ctx, insertMonitorSQL, args...); err != nil {
		return err
	}
	if err := setMonitorChannels(ctx, r.d, tx, m); err != nil {
		return err
	}
	return tx.Notify(ctx, store.TopicMonitors, m.ID.String())
}

// monitorChannels fills a custom-mode monitor's channel list.
func (r *Records) monitorChannels(ctx context.Context, q Querier, m *prikke.Monitor) error {
	if m.NotifyMode != prikke.NotifyCustom {
		return nil
	}
	rows, err := q.Query(ctx, "SELECT channel_id FROM monitor_channels WHERE monitor_id = $1 ORDER BY channel_id", m.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	m.ChannelIDs = []prikke.ID{}
	for rows.Next() {
		var id prikke.ID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		m.ChannelIDs = append(m.ChannelIDs, id)
	}
	return rows.Err()
}

// monitorGet reads one monitor (where is a condition on m) with its
// channel list.
func (r *Records) monitorGet(ctx context.Context, op, where string, args ...any) (*prikke.Monitor, error) {
	m, err := r.scanMonitor(r.d.Reader().QueryRow(ctx, "SELECT "+MonitorColumns+monitorFrom+" WHERE "+where, args...))
	if err != nil {
		return nil, r.fail(op, err)
	}
	if err := r.monitorChannels(ctx, r.d.Reader(), m); err != nil {
		return nil, r.fail(op, err)
	}
	return m, nil
}

// MonitorGet implements store.Store.
func (r *Records) MonitorGet(ctx context.Context, id prikke.ID) (*prikke.Monitor, error) {
	return r.monitorGet(ctx, "get monitor", "m.id = $1", id)
}

// MonitorGetByPingToken implements store.Store.
func (r *Records) MonitorGetByPingToken(ctx context.Context, token string) (*prikke.Monitor, error) {
	return r.monitorGet(ctx, "get monitor by ping token", "m.ping_token = $1", token)
}

// MonitorGetByBadgeToken implements store.Store.
func (r *Records) MonitorGetByBadgeToken(ctx context.Context, token string) (*prikke.Monitor, error) {
	return r.monitorGet(ctx, "get monitor by badge token", "m.badge_token = $1", token)
}

// MonitorGetBySlug implements store.Store.
func (r *Records) MonitorGetBySlug(ctx context.Context, projectID prikke.ID, slug string) (*prikke.Monitor, error) {
	return r.monitorGet(ctx, "get monitor by slug", "m.project_id = $1 AND m.slug = $2", projectID, slug)
}

// MonitorList implements store.Store. Monitors come without their
// channel lists.
func (r *Records) MonitorList(ctx context.Context, f store.MonitorFilter) ([]*prikke.Monitor, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OrganizationID == nil && f.ProjectID == nil {
		return nil, fmt.Errorf("%s: list monitors: an organization or project is required", r.d.Name())
	}
	if f.OrganizationID != nil {
		where = append(where, "p.organization_id = "+arg(*f.OrganizationID))
	}
	if f.ProjectID != nil {
		where = append(where, "m.project_id = "+arg(*f.ProjectID))
	}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ss[i] = string(s)
		}
		where = append(where, r.d.AnyOf("m.status", arg(r.d.List(ss))))
	}
	if f.Search != "" {
		p := "%" + likeEscape(f.Search) + "%"
		where = append(where, "("+r.d.Contains("m.name", arg(p))+" OR "+r.d.Contains("m.slug", arg(p))+")")
	}
	if !f.AfterCreatedAt.IsZero() {
		where = append(where, "(m.created_at, m.id) > ("+arg(r.d.Time(f.AfterCreatedAt))+", "+arg(f.AfterID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + MonitorColumns + monitorFrom + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY m.created_at, m.id LIMIT " + arg(limit)
	return list(ctx, r, "list monitors", r.scanMonitor, q, args...)
}

// lockMonitors reads the monitors where cond holds, locked for the rest
// of tx (on PostgreSQL; SQLite's writer is already exclusive), with their
// project's snooze and organization's tier.
func (r *Records) lockMonitors(ctx context.Context, tx Tx, cond, order string, skipLocked bool, args ...any) ([]*prikke.Monitor, error) {
	return queryAll(ctx, tx, r.scanMonitor, "SELECT "+MonitorColumns+monitorFrom+" WHERE "+cond+" ORDER BY "+order+" "+r.d.ForUpdateOf("m", skipLocked), args...)
}

// errFn carries the error of MonitorModify's fn out of the transaction,
// so that it is returned as it is.
type errFn struct{ err error }

func (e *errFn) Error() string { return e.err.Error() }

// MonitorModify implements store.Store. The monitor's ID, project and
// version are the store's whatever fn does; UpdatedAt is written as fn
// leaves it.
func (r *Records) MonitorModify(ctx context.Context, id prikke.ID, fn func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error)) (*prikke.Monitor, error) {
	var out *prikke.Monitor
	err := r.inTx(ctx, "modify monitor", func(tx Tx) error {
		ms, err := r.lockMonitors(ctx, tx, "m.id = $1", "m.id", false, id)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return notFound()
		}
		m := ms[0]
		if err := r.monitorChannels(ctx, tx, m); err != nil {
			return err
		}
		projectID, version := m.ProjectID, m.Version
		flips, err := fn(m)
		if err != nil {
			return &errFn{err}
		}
		m.ID, m.ProjectID, m.Version = id, projectID, version+1
		args := append([]any{m.ID}, monitorConfigArgs(r.d, m)...)
		args = append(args, monitorStateArgs(r.d, m)...)
		if _, err := tx.Exec(ctx, updateMonitorSQL, args...); err != nil {
			return err
		}
		if err := setMonitorChannels(ctx, r.d, tx, m); err != nil {
			return err
		}
		if err := r.insertMonitorFlips(ctx, tx, []*prikke.Monitor{m}, [][]*prikke.MonitorFlip{flips}); err != nil {
			return err
		}
		if err := tx.Notify(ctx, store.TopicMonitors, m.ID.String()); err != nil {
			return err
		}
		out = m
		return nil
	})
	if fe, ok := errors.AsType[*errFn](err); ok {
		return nil, fe.err
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MonitorDelete implements store.Store.
func (r *Records) MonitorDelete(ctx context.Context, id prikke.ID) error {
	return r.inTx(ctx, "delete monitor", func(tx Tx) error {
		n, err := tx.Exec(ctx, "DELETE FROM monitors WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound()
		}
		return tx.Notify(ctx, store.TopicMonitors, id.String())
	})
}

// MonitorCountByOrganization implements store.Store.
func (r *Records) MonitorCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error) {
	var n int
	if err := r.d.Reader().QueryRow(ctx, `SELECT count(*) FROM monitors m JOIN projects p ON p.id = m.project_id
		WHERE p.organization_id = $1`, orgID).Scan(&n); err != nil {
		return 0, r.fail("count monitors", err)
	}
	return n, nil
}

// MonitorExpireDue implements store.Store. The due monitors are read and
// locked in one statement (skipping those another node holds), stepped,
// and written back in the same transaction.
func (r *Records) MonitorExpireDue(ctx context.Context, now time.Time, limit int, step store.DeadlineStep) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	var n int
	err := r.inTx(ctx, "expire due monitors", func(tx Tx) error {
		now, err := r.clock(ctx, tx, now)
		if err != nil {
			return err
		}
		ms, err := r.lockMonitors(ctx, tx, "m.deadline_at IS NOT NULL AND m.deadline_at <= $1", "m.deadline_at, m.id LIMIT $2", true,
			r.d.Time(now), limit)
		if err != nil {
			return err
		}
		flips := make([][]*prikke.MonitorFlip, len(ms))
		states := make([][]any, len(ms))
		for i, m := range ms {
			flips[i] = step(m, now)
			m.Version++
			m.UpdatedAt = now
			states[i] = append([]any{m.ID}, monitorStateArgs(r.d, m)...)
		}
		if len(ms) == 0 {
			return nil
		}
		if err := tx.UpdateRows(ctx, "monitors", monitorStateUpdate, monitorStateTypes, states); err != nil {
			return err
		}
		n = len(ms)
		return r.insertMonitorFlips(ctx, tx, ms, flips)
	})
	return n, err
}

// MonitorNextDeadline implements store.Store.
func (r *Records) MonitorNextDeadline(ctx context.Context) (time.Time, bool, error) {
	var at *time.Time
	rows, err := r.d.Reader().Query(ctx, "SELECT deadline_at FROM monitors WHERE deadline_at IS NOT NULL ORDER BY deadline_at LIMIT 1")
	if err != nil {
		return time.Time{}, false, r.fail("next monitor deadline", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(r.d.ScanTimePtr(&at)); err != nil {
			return time.Time{}, false, r.fail("next monitor deadline", err)
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, false, r.fail("next monitor deadline", err)
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return at.UTC(), true, nil
}

// ChannelListForMonitor implements store.Store.
func (r *Records) ChannelListForMonitor(ctx context.Context, monitorID prikke.ID) ([]*prikke.Channel, error) {
	var mode prikke.NotifyMode
	var projectID prikke.ID
	if err := r.d.Reader().QueryRow(ctx, "SELECT notify_mode, project_id FROM monitors WHERE id = $1", monitorID).Scan(&mode, &projectID); err != nil {
		return nil, r.fail("list channels for monitor", err)
	}
	switch mode {
	case prikke.NotifyProject:
		return r.ChannelListByProject(ctx, projectID)
	case prikke.NotifyCustom:
		// Only the monitor's own project's channels.
		return list(ctx, r, "list channels for monitor", r.scanChannel, `SELECT `+prefixColumns("c", channelColumns)+`
			FROM channels c JOIN monitor_channels mc ON mc.channel_id = c.id
			WHERE mc.monitor_id = $1 AND c.project_id = $2 ORDER BY c.created_at, c.id`, monitorID, projectID)
	default: // muted
		return []*prikke.Channel{}, nil
	}
}
