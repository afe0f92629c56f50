// Package sqlstore holds the store's records (accounts, sessions and
// tokens, organizations, memberships, invitations, projects, API keys,
// jobs and executions as records, monitors with their pings and flips,
// channels, notifications, status pages, incidents, audit, rate limits
// and usage, workflows with their versions, runs, step rows and flips,
// and project secrets) written once for both SQL stores. The workflow run
// transitions are here too (workflow_run.go), over internal/workflow's
// planner: the stores' engines call WorkflowStepsComplete inside their
// completion transactions, and lend the transitions their execution
// insert (ExecutionWriter). A store hands it a
// Dialect, which says how values travel in its SQL (times, optional IDs,
// JSON, lists), how its errors translate, and which connections read,
// write and hold transactions (SQLite's reader pool and single writer;
// PostgreSQL's one pool).
//
// The engine (claim, complete, rescue, occurrences, leader election,
// listen/notify, queue depth) is not here: each store writes it by hand
// in its own dialect, as River does, and reuses the scan helpers exported
// here. Nor are the few records whose statements differ between the
// stores (flips, monitor flip claims, the settings insert, heartbeat
// writes and reads, the daily job rollup): each store's records.go holds
// them.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// Row is one result row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs statements: a pool, a connection or a transaction.
type Querier interface {
	// Exec runs a statement and returns how many rows it touched.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Tx is a Querier inside a write transaction.
type Tx interface {
	Querier
	// ExecBatch runs query once for each argument list.
	ExecBatch(ctx context.Context, query string, args [][]any) error
	// InsertRows inserts rows into table's columns in bulk: PostgreSQL
	// copies them in (COPY); SQLite runs one prepared INSERT a row
	// (in-process, that costs less than parsing one long multi-row
	// statement).
	InsertRows(ctx context.Context, table string, columns []string, rows [][]any) error
	// UpdateRows updates rows of table in bulk: each row holds the key
	// column's value and then the other columns'; columns and types
	// (PostgreSQL's) name the key first. PostgreSQL runs one UPDATE …
	// FROM unnest(…); SQLite one prepared UPDATE a row.
	UpdateRows(ctx context.Context, table string, columns, types []string, rows [][]any) error
	// Notify publishes an event on topic when the transaction commits.
	Notify(ctx context.Context, topic store.Topic, payload string) error
}

// Dialect is what differs between the SQL stores below the records: the
// encoding of values, the translation of errors, and the connections.
// Statements use $N placeholders, which both drivers accept.
type Dialect interface {
	// Name prefixes error messages ("pgstore").
	Name() string

	// Time and TimePtr encode a time parameter (nil is NULL).
	Time(t time.Time) any
	TimePtr(t *time.Time) any
	// ScanTime and ScanTimePtr return a scan destination for a time
	// column (NULL is the zero time, or nil). Times come out in UTC.
	ScanTime(t *time.Time) any
	ScanTimePtr(t **time.Time) any
	// IDPtr encodes an optional ID (nil is NULL); ScanIDPtr scans one.
	IDPtr(id *prikke.ID) any
	ScanIDPtr(id **prikke.ID) any
	// ScanStringPtr scans an optional text column (NULL is nil).
	ScanStringPtr(s **string) any
	// JSON encodes v for a JSON column; ScanJSON decodes one into v
	// (NULL leaves v).
	JSON(v any) any
	ScanJSON(v any) any
	// List encodes a slice of strings or IDs for AnyOf.
	List(v any) any
	// AnyOf is the condition "col equals any element of the list in param".
	AnyOf(col, param string) string
	// Contains is the condition "col matches the LIKE pattern in param,
	// escaped with a backslash, ignoring case": PostgreSQL's ILIKE folds
	// every letter, SQLite's LIKE only ASCII ones, as the stores always did.
	Contains(col, param string) string
	// BytesContain is the condition "the bytes of col contain the bytes
	// in param" (a []byte; no pattern characters, case-sensitive; false
	// when col is NULL).
	BytesContain(col, param string) string
	// ForUpdate is the clause that locks the rows a SELECT reads ("" where
	// the single writer makes locks needless).
	ForUpdate() string
	// ForNoKeyUpdate is ForUpdate's lock that still lets others insert
	// rows referring to the locked ones (PostgreSQL's FOR NO KEY UPDATE:
	// a foreign key's check waits for FOR UPDATE, not for it), for a
	// parent row held while its children are written ("" with the single
	// writer).
	ForNoKeyUpdate() string
	// ForUpdateOf is the clause that locks only the rows of table alias
	// a SELECT with joins reads, skipping rows others hold when
	// skipLocked ("" where the single writer makes locks needless).
	ForUpdateOf(alias string, skipLocked bool) string
	// NowSQL is the current time as an SQL expression: the database's
	// clock, or the store's clock where tests replace it.
	NowSQL() string
	// TimeParam is param typed as a time where the statement cannot tell.
	TimeParam(param string) string

	// Err translates a driver error into a domain error (no rows and
	// foreign key violations: ENOTFOUND; unique violations: ECONFLICT;
	// lost connections: EUNAVAILABLE) and leaves others alone.
	Err(err error) error

	// Reader runs reads; Writer runs writes outside a transaction.
	Reader() Querier
	Writer() Querier
	// InTx runs fn in a write transaction, committing when it returns nil.
	// It may mark a failure to begin or commit with TxStep.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Records implements the record methods of store.Store over a Dialect.
// A store embeds it.
type Records struct {
	d      Dialect
	sealer store.Sealer
}

// New returns the records over d; sealer seals project secrets.
func New(d Dialect, sealer store.Sealer) *Records {
	return &Records{d: d, sealer: sealer}
}

// Native is the half of a Dialect for a driver that encodes Go's times,
// IDs, pointers, JSON and slices itself (pgx): every value and scan
// destination passes through untouched, so the records scan exactly as
// hand-written driver code would. A dialect embeds it.
type Native struct{}

// Time implements Dialect: t as it is.
func (Native) Time(t time.Time) any { return t }

// TimePtr implements Dialect: t as it is.
func (Native) TimePtr(t *time.Time) any { return t }

// ScanTime implements Dialect: t as it is.
func (Native) ScanTime(t *time.Time) any { return t }

// ScanTimePtr implements Dialect: t as it is.
func (Native) ScanTimePtr(t **time.Time) any { return t }

// IDPtr implements Dialect: id as it is.
func (Native) IDPtr(id *prikke.ID) any { return id }

// ScanIDPtr implements Dialect: id as it is.
func (Native) ScanIDPtr(id **prikke.ID) any { return id }

// ScanStringPtr implements Dialect: s as it is.
func (Native) ScanStringPtr(s **string) any { return s }

// JSON implements Dialect: v as it is.
func (Native) JSON(v any) any { return v }

// ScanJSON implements Dialect: v as it is.
func (Native) ScanJSON(v any) any { return v }

// List implements Dialect: v as it is.
func (Native) List(v any) any { return v }

// Ping implements store.Store.
func (r *Records) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := r.d.Reader().Exec(ctx, "SELECT 1"); err != nil {
		return r.fail("ping", err)
	}
	return nil
}

// wrapped carries a domain error and keeps the driver cause for logs.
type wrapped struct {
	domain *prikke.Error
	cause  error
}

func (w *wrapped) Error() string { return w.domain.Error() + ": " + w.cause.Error() }

func (w *wrapped) Unwrap() []error { return []error{w.domain, w.cause} }

// wrap returns an error that is domain for errors.As and errors.Is, and
// keeps the driver's cause for logs.
func wrap(domain *prikke.Error, cause error) error { return &wrapped{domain, cause} }

// notFound is the error of a read that found no row, and of an UPDATE or
// DELETE that touched none.
func notFound() error { return prikke.Errorf(prikke.ENOTFOUND, "Not found.") }

// Unavailable wraps a driver error that means the database cannot be
// reached.
func Unavailable(cause error) error {
	return wrap(prikke.Errorf(prikke.EUNAVAILABLE, "The database is unavailable; try again shortly."), cause)
}

// Dangling wraps a foreign key violation: a row referred to is missing.
func Dangling(cause error) error { return wrap(prikke.Errorf(prikke.ENOTFOUND, "Not found."), cause) }

// Conflict wraps a unique violation.
func Conflict(cause error) error {
	return wrap(prikke.Errorf(prikke.ECONFLICT, "Already exists."), cause)
}

// Translate turns a driver error into a domain error at the edge: nil
// stays nil, a read that found no row is ENOTFOUND (pgx's error wraps
// database/sql's), and driver translates the rest (Conflict, Dangling,
// Unavailable), returning what it does not know unchanged.
func Translate(err error, driver func(error) error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return notFound()
	}
	return driver(err)
}

// fail prefixes err with the store's name and op, translated.
func (r *Records) fail(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", r.d.Name(), op, r.d.Err(err))
}

// execOne runs a statement on the writer that must touch a row.
func (r *Records) execOne(ctx context.Context, op, q string, args ...any) error {
	n, err := r.d.Writer().Exec(ctx, q, args...)
	if err != nil {
		return r.fail(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %s: %w", r.d.Name(), op, notFound())
	}
	return nil
}

// inTx runs fn in a write transaction. A failure to begin or commit that
// the dialect marked with TxStep is named in the message ("op: begin: …").
func (r *Records) inTx(ctx context.Context, op string, fn func(tx Tx) error) error {
	err := r.d.InTx(ctx, fn)
	if err == nil {
		return nil
	}
	var step *txStepError
	if errors.As(err, &step) {
		return fmt.Errorf("%s: %s: %s: %w", r.d.Name(), op, step.step, r.d.Err(step.err))
	}
	return r.fail(op, err)
}

// TxStep marks err, returned by a Dialect's InTx, as the failure of the
// transaction's step ("begin" or "commit"), which the error's message then
// names. (SQLite's store marks its steps; pgx's BeginFunc does not tell
// them apart.)
func TxStep(step string, err error) error { return &txStepError{step, err} }

type txStepError struct {
	step string
	err  error
}

func (e *txStepError) Error() string { return e.step + ": " + e.err.Error() }

func (e *txStepError) Unwrap() error { return e.err }

func (r *Records) seal(secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	return r.sealer.Seal([]byte(secret))
}

// OpenSecret opens a sealed secret ("" when there is none).
func OpenSecret(sealer store.Sealer, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := sealer.Open(sealed)
	return string(b), err
}

func (r *Records) open(sealed []byte) (string, error) { return OpenSecret(r.sealer, sealed) }

// utcp normalises an optional time coming out of the driver.
func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullID stores NilID as NULL, for optional references held in plain IDs.
func nullID(id prikke.ID) any {
	if id == prikke.NilID {
		return nil
	}
	return id
}

// one runs a read query and scans its one row with scan.
func one[T any](ctx context.Context, r *Records, op string, scan func(Row) (T, error), q string, args ...any) (T, error) {
	v, err := scan(r.d.Reader().QueryRow(ctx, q, args...))
	if err != nil {
		var zero T
		return zero, r.fail(op, err)
	}
	return v, nil
}

// list runs a read query and scans every row with scan. An empty result
// is an empty slice, never nil, on both stores.
func list[T any](ctx context.Context, r *Records, op string, scan func(Row) (T, error), q string, args ...any) ([]T, error) {
	out, err := queryAll(ctx, r.d.Reader(), scan, q, args...)
	if err != nil {
		return nil, r.fail(op, err)
	}
	return out, nil
}

// queryAll runs q on db (the reader, or a transaction) and scans every
// row it returns.
func queryAll[T any](ctx context.Context, db Querier, scan func(Row) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
