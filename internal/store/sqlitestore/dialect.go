package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// dialect is SQLite's sqlstore.Dialect: times as integer Unix
// microseconds, IDs as text, JSON and lists as JSON text (a list is read
// with json_each, so a statement is the same for any number of elements).
// Reads go to the reader pool; writes and transactions to the single
// writer, and a transaction's events are published when it commits.
type dialect struct{ s *Store }

var _ sqlstore.Dialect = dialect{}

func (dialect) Name() string                  { return "sqlitestore" }
func (dialect) Time(t time.Time) any          { return ts(t) }
func (dialect) TimePtr(t *time.Time) any      { return tsp(t) }
func (dialect) ScanTime(t *time.Time) any     { return timeScan{t} }
func (dialect) ScanTimePtr(t **time.Time) any { return timePtrScan{t} }
func (dialect) IDPtr(id *prikke.ID) any       { return idp(id) }
func (dialect) ScanIDPtr(id **prikke.ID) any  { return idPtrScan{id} }
func (dialect) ScanStringPtr(s **string) any  { return stringPtrScan{s} }
func (dialect) JSON(v any) any                { return jsonValue{v} }
func (dialect) ScanJSON(v any) any            { return jsonScan{v} }
func (dialect) List(v any) any                { return jsonValue{v} }
func (dialect) AnyOf(col, param string) string {
	return col + " IN (SELECT value FROM json_each(" + param + "))"
}

// Contains uses LIKE, which in SQLite ignores ASCII case, like ILIKE.
func (dialect) Contains(col, param string) string { return col + " LIKE " + param + ` ESCAPE '\'` }
func (dialect) ForUpdate() string                 { return "" }
func (dialect) ForNoKeyUpdate() string            { return "" }
func (dialect) ForUpdateOf(string, bool) string   { return "" }
func (dialect) TimeParam(param string) string     { return param }
func (dialect) Err(err error) error               { return mapErr(err) }

// NowSQL is the store's clock (which tests replace) as a literal.
func (d dialect) NowSQL() string { return strconv.FormatInt(ts(d.s.now()), 10) }

func (d dialect) Reader() sqlstore.Querier { return querier{d.s.rdb} }
func (d dialect) Writer() sqlstore.Querier { return querier{d.s.db} }

// InTx runs fn in an immediate (write) transaction on the writer, and
// publishes the events fn asked for once it commits.
func (d dialect) InTx(ctx context.Context, fn func(sqlstore.Tx) error) error {
	sqlTx, err := d.s.db.BeginTx(ctx, nil)
	if err != nil {
		return sqlstore.TxStep("begin", err)
	}
	tx := &txQuerier{querier: querier{sqlTx}, tx: sqlTx}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return sqlstore.TxStep("commit", err)
	}
	for _, e := range tx.events {
		d.s.broker.Publish(e)
	}
	return nil
}

// sqlQuerier is what *sql.DB and *sql.Tx share.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// querier is a sqlstore.Querier over database/sql.
type querier struct{ q sqlQuerier }

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return q.q.QueryRowContext(ctx, query, args...)
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// sqlRows closes without an error, as sqlstore.Rows does (Err reports).
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// txQuerier is a sqlstore.Tx over a database/sql transaction.
type txQuerier struct {
	querier
	tx     *sql.Tx
	events []store.Event
}

func (t *txQuerier) ExecBatch(ctx context.Context, query string, args [][]any) error {
	stmt, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, a := range args {
		if _, err := stmt.ExecContext(ctx, a...); err != nil {
			return err
		}
	}
	return nil
}

// InsertRows runs one prepared INSERT a row: in-process, statements cost
// less than parsing one long multi-row statement would.
func (t *txQuerier) InsertRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	ps := make([]string, len(columns))
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(i+1)
	}
	return t.ExecBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") VALUES ("+strings.Join(ps, ", ")+")", rows)
}

// UpdateRows runs one prepared UPDATE a row.
func (t *txQuerier) UpdateRows(ctx context.Context, table string, columns, _ []string, rows [][]any) error {
	sets := make([]string, len(columns)-1)
	for i, c := range columns[1:] {
		sets[i] = c + " = $" + strconv.Itoa(i+2)
	}
	return t.ExecBatch(ctx, "UPDATE "+table+" SET "+strings.Join(sets, ", ")+" WHERE "+columns[0]+" = $1", rows)
}

// Notify queues the event for when the transaction commits: wake-ups are
// in-process.
func (t *txQuerier) Notify(_ context.Context, topic store.Topic, payload string) error {
	t.events = append(t.events, store.Event{Topic: topic, Payload: payload})
	return nil
}

// WriteExecutions implements sqlstore.ExecutionWriter: the engine's
// insert (flow tags), and workers woken when the transaction commits.
func (d dialect) WriteExecutions(ctx context.Context, tx sqlstore.Tx, es []*prikke.Execution) error {
	t, ok := tx.(*txQuerier)
	if !ok {
		return fmt.Errorf("sqlitestore: write executions: not a sqlitestore transaction (%T)", tx)
	}
	_, earliest, err := d.s.insertExecutions(ctx, t.tx, es)
	if err != nil || earliest.IsZero() {
		return err
	}
	return t.Notify(ctx, store.TopicWork, earliest.UTC().Format(time.RFC3339Nano))
}

// BytesContain implements sqlstore.Dialect: instr compares bytes when
// both sides are blobs (the parameter is a []byte, the column a BLOB).
func (dialect) BytesContain(col, param string) string {
	return "instr(" + col + ", " + param + ") > 0"
}
