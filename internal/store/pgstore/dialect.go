package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// dialect is PostgreSQL's sqlstore.Dialect. pgx encodes values natively
// (timestamptz, uuid, jsonb, arrays), so the records scan exactly as the
// engine does; every statement runs on the one pool.
type dialect struct {
	sqlstore.Native
	s *Store
}

var _ sqlstore.Dialect = dialect{}

func (dialect) Name() string                      { return "pgstore" }
func (dialect) AnyOf(col, param string) string    { return col + " = ANY(" + param + ")" }
func (dialect) Contains(col, param string) string { return col + " ILIKE " + param }
func (dialect) ForUpdate() string                 { return "FOR UPDATE" }
func (dialect) ForNoKeyUpdate() string            { return "FOR NO KEY UPDATE" }
func (dialect) NowSQL() string                    { return "now()" }
func (dialect) TimeParam(param string) string     { return param + "::timestamptz" }
func (dialect) Err(err error) error               { return mapErr(err) }

// List passes a list of IDs as raw 16-byte values (see bin), anything
// else as it is.
func (dialect) List(v any) any {
	if ids, ok := v.([]prikke.ID); ok {
		return bin(ids)
	}
	return v
}

func (dialect) ForUpdateOf(alias string, skipLocked bool) string {
	if skipLocked {
		return "FOR UPDATE OF " + alias + " SKIP LOCKED"
	}
	return "FOR UPDATE OF " + alias
}

func (d dialect) Reader() sqlstore.Querier { return querier{d.s.pool} }
func (d dialect) Writer() sqlstore.Querier { return querier{d.s.pool} }

func (d dialect) InTx(ctx context.Context, fn func(sqlstore.Tx) error) error {
	return pgx.BeginFunc(ctx, d.s.pool, func(tx pgx.Tx) error {
		t := &txQuerier{querier: querier{tx}, tx: tx, s: d.s}
		if err := fn(t); err != nil {
			return err
		}
		return t.flush(ctx)
	})
}

// pgxQuerier is what a pool, a connection and a transaction share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// querier is a sqlstore.Querier over pgx.
type querier struct{ q pgxQuerier }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return q.q.QueryRow(ctx, sql, args...)
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return q.q.Query(ctx, sql, args...)
}

// txQuerier is a sqlstore.Tx over a pgx transaction.
type txQuerier struct {
	querier
	tx    pgx.Tx
	s     *Store
	notes []any // channel, payload, … queued by Notify
}

func (t *txQuerier) ExecBatch(ctx context.Context, sql string, args [][]any) error {
	b := &pgx.Batch{}
	for _, a := range args {
		b.Queue(sql, a...)
	}
	return t.tx.SendBatch(ctx, b).Close()
}

// InsertRows copies the rows in with COPY … FROM STDIN (binary), which
// measured faster than an INSERT from unnested arrays for pings' bodies.
func (t *txQuerier) InsertRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		for i, v := range r {
			r[i] = rawID(v)
		}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	return err
}

// unnestArgs returns the parameters of unnest ("$1::uuid[], …") and
// their arrays, one a column, of rows.
func unnestArgs(types []string, rows [][]any) (string, []any) {
	params := make([]string, len(types))
	arrays := make([]any, len(types))
	for i, typ := range types {
		params[i] = fmt.Sprintf("$%d::%s[]", i+1, typ)
		col := make([]any, len(rows))
		for j, r := range rows {
			col[j] = rawID(r[i])
		}
		arrays[i] = col
	}
	return strings.Join(params, ", "), arrays
}

// rawID passes an ID as its 16 bytes (see bin), anything else as it is.
func rawID(v any) any {
	switch id := v.(type) {
	case prikke.ID:
		return [16]byte(id)
	case *prikke.ID:
		if id == nil {
			return nil
		}
		return [16]byte(*id)
	}
	return v
}

// UpdateRows runs one UPDATE joined to the rows unnested from one array
// parameter a column.
func (t *txQuerier) UpdateRows(ctx context.Context, table string, columns, types []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	sets := make([]string, len(columns)-1)
	for i, c := range columns[1:] {
		sets[i] = c + " = v." + c
	}
	params, arrays := unnestArgs(types, rows)
	_, err := t.tx.Exec(ctx, "UPDATE "+table+" AS t SET "+strings.Join(sets, ", ")+" FROM unnest("+params+") AS v("+
		strings.Join(columns, ", ")+") WHERE t."+columns[0]+" = v."+columns[0], arrays...)
	return err
}

// Notify queues a NOTIFY for the end of the transaction, when InTx sends
// every queued one in one statement: PostgreSQL delivers them when the
// transaction commits, to every node.
func (t *txQuerier) Notify(_ context.Context, topic store.Topic, payload string) error {
	t.notes = append(t.notes, t.s.channel(topic), payload)
	return nil
}

// flush sends the queued NOTIFYs.
func (t *txQuerier) flush(ctx context.Context) error {
	if len(t.notes) == 0 {
		return nil
	}
	calls := make([]string, len(t.notes)/2)
	for i := range calls {
		calls[i] = fmt.Sprintf("pg_notify($%d, $%d)", 2*i+1, 2*i+2)
	}
	_, err := t.tx.Exec(ctx, "SELECT "+strings.Join(calls, ", "), t.notes...)
	return err
}

// WriteExecutions implements sqlstore.ExecutionWriter: the engine's
// insert (queue rows, flow tags), and workers woken on every node when
// the transaction commits.
func (d dialect) WriteExecutions(ctx context.Context, tx sqlstore.Tx, es []*prikke.Execution) error {
	t, ok := tx.(*txQuerier)
	if !ok {
		return fmt.Errorf("pgstore: write executions: not a pgstore transaction (%T)", tx)
	}
	var er executionRows
	for _, e := range es {
		er.add(e)
	}
	if _, err := er.insert(ctx, t.tx); err != nil {
		return err
	}
	if er.earliest.IsZero() {
		return nil
	}
	return t.Notify(ctx, store.TopicWork, er.earliest.UTC().Format(time.RFC3339Nano))
}

// LockWorkflowAttempts implements sqlstore.WorkflowLocker: the queue rows
// of the workflow's running attempts, in ID order, as completeTx's delete
// takes them.
func (d dialect) LockWorkflowAttempts(ctx context.Context, tx sqlstore.Tx, workflowID prikke.ID) error {
	_, err := tx.Exec(ctx, `SELECT q.id FROM execution_queue q JOIN executions e ON e.id = q.id JOIN jobs j ON j.id = e.job_id
		WHERE q.lease_expires_at IS NOT NULL
			AND (j.workflow_id = $1 OR j.run_id IN (SELECT r.id FROM workflow_runs r WHERE r.workflow_id = $1))
		ORDER BY q.id FOR UPDATE OF q`, workflowID)
	return err
}

// CopyQueuePriorities implements sqlstore.QueuePrioritizer: claims read
// the priority of the queue's rows, so a plan change that re-prioritizes
// an organization's pending executions copies the new ones there.
func (d dialect) CopyQueuePriorities(ctx context.Context, tx sqlstore.Tx, orgID prikke.ID) error {
	_, err := tx.Exec(ctx, `UPDATE execution_queue q SET priority = e.priority FROM executions e
		WHERE e.id = q.id AND q.organization_id = $1 AND q.lease_expires_at IS NULL AND q.priority <> e.priority`, orgID)
	return err
}

// BytesContain implements sqlstore.Dialect: position() on bytea compares
// bytes.
func (dialect) BytesContain(col, param string) string {
	return "position(" + param + "::bytea IN " + col + ") > 0"
}
