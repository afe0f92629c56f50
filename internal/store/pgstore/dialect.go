package pgstore

import (
	"context"
	"fmt"
	"strings"

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
	return pgx.BeginFunc(ctx, d.s.pool, func(tx pgx.Tx) error { return fn(txQuerier{querier{tx}, tx, d.s}) })
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
	tx pgx.Tx
	s  *Store
}

func (t txQuerier) ExecBatch(ctx context.Context, sql string, args [][]any) error {
	b := &pgx.Batch{}
	for _, a := range args {
		b.Queue(sql, a...)
	}
	return t.tx.SendBatch(ctx, b).Close()
}

// CopyRows copies rows in with COPY … FROM STDIN (binary).
func (t txQuerier) CopyRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
	return err
}

// UpdateRows runs one UPDATE joined to the rows unnested from one array
// parameter a column.
func (t txQuerier) UpdateRows(ctx context.Context, table string, columns, types []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	sets := make([]string, 0, len(columns)-1)
	params := make([]string, len(columns))
	arrays := make([]any, len(columns))
	for i, c := range columns {
		params[i] = fmt.Sprintf("$%d::%s[]", i+1, types[i])
		if i > 0 {
			sets = append(sets, c+" = v."+c)
		}
		col := make([]any, len(rows))
		for j, r := range rows {
			col[j] = r[i]
		}
		arrays[i] = col
	}
	q := "UPDATE " + table + " AS t SET " + strings.Join(sets, ", ") + " FROM unnest(" + strings.Join(params, ", ") + ") AS v(" +
		strings.Join(columns, ", ") + ") WHERE t." + columns[0] + " = v." + columns[0]
	_, err := t.tx.Exec(ctx, q, arrays...)
	return err
}

// Notify sends a NOTIFY in the transaction: PostgreSQL delivers it when
// the transaction commits, to every node.
func (t txQuerier) Notify(ctx context.Context, topic store.Topic, payload string) error {
	return t.s.notifyTx(ctx, t.tx, topic, payload)
}
