// Package sqlitestore is the embedded SQLite store (modernc.org/sqlite, no
// cgo): the default, for one node. One process owns the file while serving
// (an flock on "<file>.lock"); writes go through a single connection in
// WAL mode, reads through a small pool, so that claims need no row locks.
// Wake-ups are delivered in-process. The engine (engine.go) is written
// here by hand in SQLite's dialect, under the same method names as
// pgstore's; the records are written once in sqlstore, over this store's
// dialect (dialect.go), and records.go holds the few whose statements are
// SQLite's own.
//
// Times are stored as integer Unix microseconds in UTC, IDs as text UUIDs,
// booleans as 0/1 and JSON as text.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// Store is the SQLite store.
type Store struct {
	// Records are the record methods, written once in sqlstore over this
	// store's dialect (dialect.go).
	*sqlstore.Records

	path   string
	db     *sql.DB // the single writer connection
	rdb    *sql.DB // readers
	lock   *os.File
	sealer store.Sealer
	broker *store.Broker
	logger *slog.Logger
	// NowFunc is the store's clock (the database clock of an embedded
	// database is the process's). Tests replace it.
	NowFunc   func() time.Time
	closeOnce sync.Once
	flow      flowState // whether any flow key exists (flow.go)
	stmts     stmtCache // the writer's prepared statements (stmt)
}

// stmtCache holds the engine's statements prepared once on the writer
// connection, by their SQL. SQLite parses and plans a statement on every
// prepare, which cost more than running most of these; a transaction
// borrows the prepared one (Tx.StmtContext reuses it on the same
// connection). A statement first seen inside a transaction is prepared for
// that transaction alone and put in the cache before the next one begins
// (the single writer connection is busy until then).
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
	closed bool
}

var _ store.Store = (*Store)(nil)

// OpenOptions say how to open the file.
type OpenOptions struct {
	store.Options
	// Exclusive takes the file's owner lock: one `prikke serve` (or bench)
	// per file. Short operator commands open without it.
	Exclusive bool
}

// ErrInUse is returned when another process owns the file.
type ErrInUse struct {
	Path string
	PID  int
}

func (e *ErrInUse) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("database in use by another Prikke process (pid %d): %s; stop it first, or point PRIKKE_DATABASE_URL at another file", e.PID, e.Path)
	}
	return fmt.Sprintf("database in use by another Prikke process: %s; stop it first, or point PRIKKE_DATABASE_URL at another file", e.Path)
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(ctx context.Context, path string, opts OpenOptions, logger *slog.Logger) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("sqlitestore: a sealer is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		return nil, errors.New("sqlitestore: empty database path; use PRIKKE_DATABASE_URL=sqlite:./prikke.db")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlitestore: create directory: %w", err)
		}
	}
	s := &Store{path: path, sealer: opts.Sealer, broker: store.NewBroker(), logger: logger.With("service", "sqlitestore"), NowFunc: time.Now}
	s.Records = sqlstore.New(dialect{s}, opts.Sealer)
	if opts.Exclusive {
		if err := s.takeLock(); err != nil {
			return nil, err
		}
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		} else {
			q.Set("_txlock", "immediate")
			// The writer's page cache: 16 MiB instead of SQLite's 2 MiB
			// holds the indexes a minute's executions are written
			// through (a 100,000-job minute missed it on nearly every
			// insert and claim, and read the page again).
			q.Add("_pragma", "cache_size(-16384)")
		}
		return fileURI(path, q)
	}
	var err error
	if s.db, err = sql.Open("sqlite", dsn(false)); err != nil {
		s.releaseLock()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	s.db.SetMaxOpenConns(1)
	s.db.SetConnMaxIdleTime(0)
	s.db.SetConnMaxLifetime(0)
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		s.releaseLock()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	if s.rdb, err = sql.Open("sqlite", dsn(true)); err != nil {
		s.db.Close()
		s.releaseLock()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	s.rdb.SetMaxOpenConns(4)
	return s, nil
}

// fileURI is path as the SQLite URI filename the driver opens, with the
// query q. SQLite reads "?" and "#" in a URI's path as the start of its
// query and fragment, and "%" as an escape: unescaped, a path holding one
// ("data#2/prikke.db", or a test's temporary directory for a subtest
// named "sqlite#01") silently opened another file ("data").
func fileURI(path string, q url.Values) string {
	p := uriPath.Replace(path)
	if strings.HasPrefix(p, "/") {
		p = "//" + p // an empty authority: "//x" is not the host x
	}
	u := "file:" + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// takeLock takes an exclusive flock on "<path>.lock" and writes our pid in
// it, so a second server on the same file fails at once with a clear
// message. The kernel drops the lock when the process dies, even on
// SIGKILL.
func (s *Store) takeLock() error {
	f, err := Lock(s.path)
	if err != nil {
		return err
	}
	s.lock = f
	return nil
}

func (s *Store) releaseLock() {
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// Migrate applies the embedded migrations.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return nil
}

// MigrationStatus describes each migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]string, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: migration status: %w", err)
	}
	return migration.StatusLines(migration.SQLite, st)
}

// MigrateTo applies the embedded migrations up to and including version.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("sqlitestore: migrate to %d: %w", version, err)
	}
	return nil
}

// Migrations returns this binary's migrations, in version order.
func (s *Store) Migrations() ([]migration.Migration, error) {
	return migration.List(migration.SQLite)
}

// MigrationVersions returns the newest migration version the database
// has applied and the newest this binary needs (its newest expand
// migration: see migration.Needed).
func (s *Store) MigrationVersions(ctx context.Context) (applied, needed int64, err error) {
	list, err := s.Migrations()
	if err != nil {
		return 0, 0, err
	}
	p, err := s.provider()
	if err != nil {
		return 0, 0, err
	}
	applied, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlitestore: migration versions: %w", err)
	}
	return applied, migration.Needed(list), nil
}

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := migration.FS(migration.SQLite)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: migrations: %w", err)
	}
	return p, nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict ("ok").
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&v)
	return v, err
}

// DB exposes the writer connection to the benchmark and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "sqlite" }

// Now implements store.Store.
func (s *Store) Now(context.Context) (time.Time, error) { return s.now(), nil }

func (s *Store) now() time.Time { return s.NowFunc().UTC().Truncate(time.Microsecond) }

// nowOr returns t, or the store's clock when t is zero.
func (s *Store) nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t.UTC()
}

// Close implements store.Store. Safe to call twice.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stmts.mu.Lock()
		for _, st := range s.stmts.m {
			st.Close()
		}
		s.stmts.m, s.stmts.closed = nil, true
		s.stmts.mu.Unlock()
		s.rdb.Close()
		err = s.db.Close()
		s.releaseLock()
	})
	return err
}

// Subscribe implements store.Store.
func (s *Store) Subscribe(topics ...store.Topic) *store.Subscription {
	return s.broker.Subscribe(topics...)
}

// Publish implements store.Store.
func (s *Store) Publish(_ context.Context, topic store.Topic, payload string) error {
	s.broker.Publish(store.Event{Topic: topic, Payload: payload})
	return nil
}

// mapErr translates driver errors into domain errors at the edge.
func mapErr(err error) error { return sqlstore.Translate(err, translate) }

// translate translates SQLite's result codes.
func translate(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return sqlstore.Conflict(err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return sqlstore.Dangling(err)
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return sqlstore.Unavailable(err)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY:
			return sqlstore.Unavailable(err)
		}
	}
	return err
}

// inTx runs fn in an immediate (write) transaction on the writer.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	s.prepareWanted(ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: %s: begin: %w", op, mapErr(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlitestore: %s: %w", op, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: %s: commit: %w", op, mapErr(err))
	}
	return nil
}

// stmt returns q prepared for tx: the cached statement when there is one,
// else one prepared for tx alone, and q is cached before the next
// transaction.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	st := s.stmts.m[q]
	if st == nil {
		if s.stmts.wanted == nil {
			s.stmts.wanted = map[string]bool{}
		}
		s.stmts.wanted[q] = true
	}
	s.stmts.mu.Unlock()
	if st == nil {
		return tx.PrepareContext(ctx, q)
	}
	return tx.StmtContext(ctx, st), nil
}

// prepareWanted prepares on the writer the statements asked for inside
// transactions since the last call. A failure is left for the next call
// (the statement is then prepared per transaction meanwhile).
func (s *Store) prepareWanted(ctx context.Context) {
	s.stmts.mu.Lock()
	wanted := s.stmts.wanted
	s.stmts.wanted = nil
	s.stmts.mu.Unlock()
	for q := range wanted {
		st, err := s.db.PrepareContext(ctx, q)
		s.stmts.mu.Lock()
		switch {
		case err != nil:
		case s.stmts.closed:
			st.Close()
		default:
			if s.stmts.m == nil {
				s.stmts.m = map[string]*sql.Stmt{}
			}
			if old := s.stmts.m[q]; old != nil {
				old.Close()
			}
			s.stmts.m[q] = st
		}
		s.stmts.mu.Unlock()
	}
}

// scanner is a row or rows.
type scanner interface{ Scan(dest ...any) error }

// list runs a read query and scans every row with scan.
func list[T any](ctx context.Context, s *Store, op string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", op, mapErr(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: %s: %w", op, mapErr(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", op, mapErr(err))
	}
	return out, nil
}
