package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// pingColumns lists a ping's columns but its body, in pingArgs' order.
const pingColumns = `id, monitor_id, project_id, kind, exit_status, rid, duration_ms, method, source_ip, user_agent,
	body_size, body_truncated, created_at`

func pingArgs(d Dialect, p *prikke.Ping) []any {
	return []any{p.ID, p.MonitorID, p.ProjectID, p.Kind, p.ExitStatus, p.RID, msPtr(p.Duration), p.Method, p.SourceIP, p.UserAgent,
		p.BodySize, p.BodyTruncated, d.Time(p.CreatedAt)}
}

func (r *Records) scanPing(row Row, body bool) (*prikke.Ping, error) {
	var p prikke.Ping
	var duration *int64
	dest := []any{&p.ID, &p.MonitorID, &p.ProjectID, &p.Kind, &p.ExitStatus, &p.RID, &duration, &p.Method, &p.SourceIP, &p.UserAgent,
		&p.BodySize, &p.BodyTruncated, r.d.ScanTime(&p.CreatedAt)}
	if body {
		dest = append(dest, &p.Body)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if duration != nil {
		d := fromMS(*duration)
		p.Duration = &d
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return &p, nil
}

// MonitorFlipColumns lists a monitor flip's columns, for ScanMonitorFlip.
const MonitorFlipColumns = `id, monitor_id, project_id, ping_id, event, from_status, to_status, detail, prikke_down, muted,
	created_at, processed_at`

// ScanMonitorFlip scans one row of MonitorFlipColumns.
func ScanMonitorFlip(d Dialect, row Row) (*prikke.MonitorFlip, error) {
	var f prikke.MonitorFlip
	if err := row.Scan(&f.ID, &f.MonitorID, &f.ProjectID, d.ScanIDPtr(&f.PingID), &f.Event, &f.From, &f.To, &f.Detail, &f.PrikkeDown,
		&f.Muted, d.ScanTime(&f.CreatedAt), d.ScanTimePtr(&f.ProcessedAt)); err != nil {
		return nil, err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	f.ProcessedAt = utcp(f.ProcessedAt)
	return &f, nil
}

// columnList splits a column list for Tx.InsertRows and Tx.UpdateRows.
func columnList(columns string) []string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c)
	}
	return cols
}

// The columns of pings and monitor flips as Tx.InsertRows takes them.
var (
	pingInsertColumns        = append(columnList(pingColumns), "body")
	monitorFlipInsertColumns = columnList(MonitorFlipColumns)
)

// insertMonitorFlips writes the flips steps returned for ms (flips[i]
// are ms[i]'s), filling their monitor and project, and wakes the
// notifier when there are any.
func (r *Records) insertMonitorFlips(ctx context.Context, tx Tx, ms []*prikke.Monitor, flips [][]*prikke.MonitorFlip) error {
	var rows [][]any
	for i, fs := range flips {
		for _, f := range fs {
			if f.ID == prikke.NilID {
				f.ID = prikke.NewID()
			}
			f.MonitorID, f.ProjectID = ms[i].ID, ms[i].ProjectID
			rows = append(rows, []any{f.ID, f.MonitorID, f.ProjectID, r.d.IDPtr(f.PingID), f.Event, f.From, f.To, f.Detail, f.PrikkeDown,
				f.Muted, r.d.Time(f.CreatedAt), r.d.TimePtr(f.ProcessedAt)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.InsertRows(ctx, "monitor_flips", monitorFlipInsertColumns, rows); err != nil {
		return err
	}
	return tx.Notify(ctx, store.TopicFlips, "")
}

// notifyLines publishes lines on topic, store.LinesPerEvent to an event.
func notifyLines(ctx context.Context, tx Tx, topic store.Topic, lines []string) error {
	for len(lines) > 0 {
		n := min(len(lines), store.LinesPerEvent)
		if err := tx.Notify(ctx, topic, strings.Join(lines[:n], "\n")); err != nil {
			return err
		}
		lines = lines[n:]
	}
	return nil
}

// PingsRecord implements store.Store. The batch's monitors are read and
// locked in one statement, in ID order (so that two batches lock in the
// same order and cannot deadlock); the steps run in memory in ping order;
// then the pings, each touched monitor's state (once) and the flips are
// written, in bulk. TopicMonitors carries the monitors whose deadline
// moved earlier, one ID a line.
func (r *Records) PingsRecord(ctx context.Context, pings []*prikke.Ping, step store.PingStep) ([]prikke.ID, error) {
	if len(pings) == 0 {
		return []prikke.ID{}, nil
	}
	var dropped []prikke.ID
	err := r.inTx(ctx, "record pings", func(tx Tx) error {
		dropped = []prikke.ID{}
		seen := make(map[prikke.ID]bool, len(pings))
		ids := make([]prikke.ID, 0, len(pings))
		for _, p := range pings {
			if !seen[p.MonitorID] {
				seen[p.MonitorID] = true
				ids = append(ids, p.MonitorID)
			}
		}
		ms, err := r.lockMonitors(ctx, tx, r.d.AnyOf("m.id", "$1"), "m.id", false, r.d.List(ids))
		if err != nil {
			return err
		}
		byID := make(map[prikke.ID]int, len(ms))
		deadlines := make([]*time.Time, len(ms))
		for i, m := range ms {
			byID[m.ID] = i
			deadlines[i] = m.DeadlineAt
		}
		touched := make([]bool, len(ms))
		flips := make([][]*prikke.MonitorFlip, len(ms))
		pingRows := make([][]any, 0, len(pings))
		lines := make([]string, 0, len(pings))
		for _, p := range pings {
			i, ok := byID[p.MonitorID]
			if !ok {
				dropped = append(dropped, p.ID)
				continue
			}
			m := ms[i]
			p.ProjectID = m.ProjectID
			flips[i] = append(flips[i], step(m, p)...)
			m.UpdatedAt = p.CreatedAt
			touched[i] = true
			pingRows = append(pingRows, append(pingArgs(r.d, p), p.Body))
			lines = append(lines, p.MonitorID.String()+" "+p.ID.String())
		}
		if len(pingRows) == 0 {
			return nil
		}
		if err := tx.InsertRows(ctx, "pings", pingInsertColumns, pingRows); err != nil {
			return err
		}
		var states [][]any
		var touchedMs []*prikke.Monitor
		var earlier []string
		for i, m := range ms {
			if !touched[i] {
				continue
			}
			m.Version++
			states = append(states, append([]any{m.ID}, monitorStateArgs(r.d, m)...))
			touchedMs = append(touchedMs, m)
			if m.DeadlineAt != nil && (deadlines[i] == nil || m.DeadlineAt.Before(*deadlines[i])) {
				earlier = append(earlier, m.ID.String())
			}
		}
		if err := tx.UpdateRows(ctx, "monitors", monitorStateUpdate, monitorStateTypes, states); err != nil {
			return err
		}
		if err := r.insertMonitorFlips(ctx, tx, ms, flips); err != nil {
			return err
		}
		if err := notifyLines(ctx, tx, store.TopicMonitors, earlier); err != nil {
			return err
		}
		return notifyLines(ctx, tx, store.TopicPings, lines)
	})
	if err != nil {
		return nil, err
	}
	return dropped, nil
}

// PingList implements store.Store.
func (r *Records) PingList(ctx context.Context, f store.PingFilter) ([]*prikke.Ping, error) {
	args := []any{f.MonitorID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"monitor_id = $1"}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		where = append(where, r.d.AnyOf("kind", arg(r.d.List(ks))))
	}
	if !f.BeforeCreatedAt.IsZero() {
		where = append(where, "(created_at, id) < ("+arg(r.d.Time(f.BeforeCreatedAt))+", "+arg(f.BeforeID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := "SELECT " + pingColumns + " FROM pings WHERE " + strings.Join(where, " AND ") +
		" ORDER BY created_at DESC, id DESC LIMIT " + arg(limit)
	return list(ctx, r, "list pings", func(row Row) (*prikke.Ping, error) { return r.scanPing(row, false) }, q, args...)
}

// PingGet implements store.Store. A ping of another monitor is not found.
func (r *Records) PingGet(ctx context.Context, monitorID, id prikke.ID) (*prikke.Ping, error) {
	return one(ctx, r, "get ping", func(row Row) (*prikke.Ping, error) { return r.scanPing(row, true) },
		"SELECT "+pingColumns+", body FROM pings WHERE monitor_id = $1 AND id = $2", monitorID, id)
}

// PingPrune implements store.Store (see pruneHistory).
func (r *Records) PingPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	return r.pruneHistory(ctx, "prune pings", "pings", "", now, limit)
}

// MonitorFlipPrune implements store.Store: like PingPrune, for monitor
// flips the notifier has processed (an unprocessed one is never deleted).
func (r *Records) MonitorFlipPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	return r.pruneHistory(ctx, "prune monitor flips", "monitor_flips", " AND x.processed_at IS NOT NULL", now, limit)
}

// pruneHistory deletes up to limit rows of table (pings or monitor flips:
// a monitor_id and a created_at, indexed together) older than their
// organization's tier history window, but keeps each monitor's newest
// 100. Per monitor with a row older than its window, it finds the 100th
// newest row once (the CTE is materialised, so that it is not recomputed
// per row), then deletes the rows older than both through the monitor's
// index; cond narrows the rows deleted (on x). A row as old as the 100th
// newest is kept with it.
func (r *Records) pruneHistory(ctx context.Context, op, table, cond string, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	now = now.UTC()
	freeCutoff := now.Add(-prikke.TierFree.Limits().History)
	proCutoff := now.Add(-prikke.TierPro.Limits().History)
	n, err := r.d.Writer().Exec(ctx, `DELETE FROM `+table+` WHERE id IN (
		WITH bounds AS MATERIALIZED (
			SELECT c.monitor_id, c.cutoff,
				(SELECT k.created_at FROM `+table+` k WHERE k.monitor_id = c.monitor_id
					ORDER BY k.created_at DESC LIMIT 1 OFFSET 99) AS hundredth
			FROM (
				SELECT m.id AS monitor_id, CASE o.tier WHEN 'pro' THEN `+r.d.TimeParam("$2")+` ELSE `+r.d.TimeParam("$1")+` END AS cutoff
				FROM monitors m JOIN projects p ON p.id = m.project_id JOIN organizations o ON o.id = p.organization_id
			) c
			WHERE EXISTS (SELECT 1 FROM `+table+` k WHERE k.monitor_id = c.monitor_id AND k.created_at < c.cutoff)
		)
		SELECT x.id FROM bounds b JOIN `+table+` x ON x.monitor_id = b.monitor_id
		WHERE x.created_at < b.cutoff AND x.created_at < b.hundredth`+cond+`
		LIMIT $3)`, r.d.Time(freeCutoff), r.d.Time(proCutoff), limit)
	if err != nil {
		return 0, r.fail(op, err)
	}
	return int(n), nil
}

// MonitorFlipList implements store.Store.
func (r *Records) MonitorFlipList(ctx context.Context, monitorID prikke.ID, limit int) ([]*prikke.MonitorFlip, error) {
	if limit <= 0 {
		limit = 100
	}
	return list(ctx, r, "list monitor flips", func(row Row) (*prikke.MonitorFlip, error) { return ScanMonitorFlip(r.d, row) },
		"SELECT "+MonitorFlipColumns+" FROM monitor_flips WHERE monitor_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2", monitorID, limit)
}
