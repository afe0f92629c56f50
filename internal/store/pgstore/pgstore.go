// Package pgstore is the PostgreSQL store, for clusters: any number of
// prikke nodes share one database. PostgreSQL is the distributed engine:
// FOR UPDATE SKIP LOCKED to claim work, a lease row to elect the
// scheduler's leader, and LISTEN/NOTIFY to wake workers and dashboards on
// every node. The engine (engine.go) is written here by hand in
// PostgreSQL's dialect, under the same method names as sqlitestore's; the
// records are written once in sqlstore, over this store's dialect
// (dialect.go), and records.go holds the few whose statements are
// PostgreSQL's own.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// Store is the PostgreSQL store.
type Store struct {
	// Records are the record methods, written once in sqlstore over this
	// store's dialect (dialect.go).
	*sqlstore.Records

	pool       *pgxpool.Pool
	beatPool   *pgxpool.Pool // worker heartbeats only; see Open
	connConfig *pgx.ConnConfig
	sealer     store.Sealer
	broker     *store.Broker
	ns         string // prefix of NOTIFY channels and lock keys
	schema     string
	logger     *slog.Logger

	listenCancel context.CancelFunc
	listenDone   chan struct{}
	closeOnce    sync.Once

	// flowAny caches whether flow_keys has any row (flowSeen: when it was
	// last read, in UnixNano; flowGen counts the times another node's new
	// key made it forget; see flowKeysExist).
	flowAny  atomic.Bool
	flowSeen atomic.Int64
	flowGen  atomic.Int64
}

var _ store.Store = (*Store)(nil)

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

// Open connects to the database at url (postgres://…). It does not migrate;
// call Migrate.
func Open(ctx context.Context, url string, opts store.Options, logger *slog.Logger) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("pgstore: a sealer is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Schema != "" && !identRE.MatchString(opts.Schema) {
		return nil, fmt.Errorf("pgstore: invalid schema name %q", opts.Schema)
	}
	if opts.Namespace != "" && !identRE.MatchString(opts.Namespace) {
		return nil, fmt.Errorf("pgstore: invalid namespace %q", opts.Namespace)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: PRIKKE_DATABASE_URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	} else if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 10 * time.Second
	schema := opts.Schema
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		registerTypes(c)
		// Plan every statement for its arguments and the table as it is
		// now. A cached generic plan made while the queue table was empty
		// (a new install, the first claims before any load) kept scanning
		// the whole table for each claim once it held 50,000 rows: 25ms
		// claims became 150ms. Planning costs well under a millisecond.
		// (A SET rather than a startup parameter, which poolers refuse.)
		set := "SET plan_cache_mode = force_custom_plan"
		if schema != "" {
			set += "; SET search_path TO " + schema
		}
		_, err := c.Exec(ctx, set)
		return err
	}
	if schema != "" {
		// Create the schema on a plain connection before the pool sets search_path to it.
		c, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
		if err != nil {
			return nil, fmt.Errorf("pgstore: connect: %w", mapErr(err))
		}
		_, err = c.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
		c.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("pgstore: create schema: %w", mapErr(err))
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", mapErr(err))
	}
	// The worker heartbeat gets its own connections. On the main pool a
	// spike of API requests, claims and completions holding every
	// connection for half PRIKKE_NODE_DEAD_AFTER stopped a live node
	// starting work, and held for all of it let its peers take its work
	// over and deliver its requests in flight a second time.
	bcfg := cfg.Copy()
	bcfg.MaxConns = 2
	bcfg.MinConns = 0
	beatPool, err := pgxpool.NewWithConfig(ctx, bcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", mapErr(err))
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "prikke"
	}
	s := &Store{
		pool:       pool,
		beatPool:   beatPool,
		connConfig: cfg.ConnConfig,
		sealer:     opts.Sealer,
		broker:     store.NewBroker(),
		ns:         ns,
		schema:     schema,
		logger:     logger.With("service", "pgstore"),
	}
	s.Records = sqlstore.New(dialect{s: s}, opts.Sealer)
	lctx, cancel := context.WithCancel(context.Background())
	s.listenCancel = cancel
	s.listenDone = make(chan struct{})
	go s.listen(lctx)
	return s, nil
}

// registerTypes makes timestamptz scan in UTC: every time Prikke handles is
// UTC, and PostgreSQL's session zone must not leak into results. IDs scan
// from their 16 bytes (see uuidCodec).
func registerTypes(c *pgx.Conn) {
	c.TypeMap().RegisterType(&pgtype.Type{
		Name:  "timestamptz",
		OID:   pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	c.TypeMap().RegisterType(&pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}})
}

// uuidCodec scans a uuid column into a prikke.ID by copying its 16 bytes.
// Without it pgx uses the ID's sql.Scanner: it formats the bytes as text
// and the scanner parses the text back, for every ID of every row — a few
// percent of a node's CPU when claims return hundreds of rows.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*prikke.ID); ok && format == pgtype.BinaryFormatCode {
		return scanIDPlan{}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type scanIDPlan struct{}

func (scanIDPlan) Scan(src []byte, dst any) error {
	id := dst.(*prikke.ID)
	if src == nil {
		*id = prikke.NilID // as the ID's own Scan treats NULL
		return nil
	}
	if len(src) != len(id) {
		return fmt.Errorf("pgstore: a uuid of %d bytes", len(src))
	}
	copy(id[:], src)
	return nil
}

// Migrate applies the embedded migrations, holding an advisory lock so
// that nodes starting together do not race.
func (s *Store) Migrate(ctx context.Context) error {
	return s.withMigrations(func(p *goose.Provider) error {
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("pgstore: migrate: %w", err)
		}
		return nil
	})
}

// MigrateTo applies the embedded migrations up to and including version.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	return s.withMigrations(func(p *goose.Provider) error {
		if _, err := p.UpTo(ctx, version); err != nil {
			return fmt.Errorf("pgstore: migrate to %d: %w", version, err)
		}
		return nil
	})
}

// Migrations returns this binary's migrations, in version order.
func (s *Store) Migrations() ([]migration.Migration, error) {
	return migration.List(migration.Postgres)
}

// MigrationStatus describes each migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]string, error) {
	var out []string
	err := s.withMigrations(func(p *goose.Provider) error {
		st, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("pgstore: migration status: %w", err)
		}
		out, err = migration.StatusLines(migration.Postgres, st)
		return err
	})
	return out, err
}

// MigrationVersions returns the newest migration version the database
// has applied and the newest this binary needs (its newest expand
// migration: see migration.Needed), without the migration lock (a
// readiness check must not wait behind a running migration).
func (s *Store) MigrationVersions(ctx context.Context) (applied, needed int64, err error) {
	list, err := s.Migrations()
	if err != nil {
		return 0, 0, err
	}
	// goose's own version query takes the migration lock first: read its
	// table directly instead.
	err = s.pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&applied)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
		return 0, migration.Needed(list), nil // never migrated
	}
	if err != nil {
		return 0, 0, fmt.Errorf("pgstore: migration versions: %w", err)
	}
	return applied, migration.Needed(list), nil
}

// withMigrations runs fn with a migration provider over the pool, which
// takes the store's advisory lock around anything that migrates.
func (s *Store) withMigrations(fn func(p *goose.Provider) error) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	sub, err := migration.FS(migration.Postgres)
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(s.lockKey("migrate")))
	if err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("pgstore: migrations: %w", err)
	}
	return fn(p)
}

// lockKey returns an advisory lock key unique to this store's namespace
// and schema.
func (s *Store) lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s.ns + "/" + s.schema + "/" + name))
	return int64(h.Sum64() >> 1)
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "postgres" }

// Now implements store.Store.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.pool.QueryRow(ctx, "SELECT now()").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("pgstore: now: %w", mapErr(err))
	}
	return t.UTC(), nil
}

// Close implements store.Store. Safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.listenCancel()
		<-s.listenDone
		s.pool.Close()
		s.beatPool.Close()
	})
	return nil
}

// DropSchema drops the store's schema and everything in it (tests).
func (s *Store) DropSchema(ctx context.Context) error {
	if s.schema == "" {
		return errors.New("pgstore: no schema to drop")
	}
	// A fresh connection: the pool may already be closed.
	c, err := pgx.ConnectConfig(ctx, s.connConfig)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP SCHEMA "+s.schema+" CASCADE")
	return err
}

// Pool exposes the pool to the benchmark and system tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) channel(t store.Topic) string { return s.ns + "_" + string(t) }

// Subscribe implements store.Store.
func (s *Store) Subscribe(topics ...store.Topic) *store.Subscription {
	return s.broker.Subscribe(topics...)
}

// Publish implements store.Store.
func (s *Store) Publish(ctx context.Context, topic store.Topic, payload string) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", s.channel(topic), payload); err != nil {
		return fmt.Errorf("pgstore: publish: %w", mapErr(err))
	}
	return nil
}

var allTopics = []store.Topic{store.TopicWork, store.TopicJobs, store.TopicExecutions, store.TopicFlips, store.TopicMonitors, store.TopicPings}

// listen holds one dedicated connection (not a pool one, which the pool
// may recycle) that LISTENs to every topic and forwards notifications to
// local subscribers. It reconnects with backoff; after a reconnect it
// publishes an empty event on every topic, because notifications sent
// while it was away are lost and consumers must re-read the database.
func (s *Store) listen(ctx context.Context) {
	defer close(s.listenDone)
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.connConfig)
		if err == nil {
			for _, t := range allTopics {
				if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel(t)}.Sanitize()); err != nil {
					break
				}
			}
		}
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
			}
			if ctx.Err() != nil {
				return
			}
			s.logger.Warn("listen connection failed; retrying", "error", err, "retry_in", backoff.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if !first {
			for _, t := range allTopics {
				s.broker.Publish(store.Event{Topic: t})
			}
		}
		first = false
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			topic := store.Topic(strings.TrimPrefix(n.Channel, s.ns+"_"))
			if topic == store.TopicWork && n.Payload == flowKeyMade {
				s.flowKeysForget() // before the workers wake to claim
			}
			s.broker.Publish(store.Event{Topic: topic, Payload: n.Payload})
		}
		conn.Close(context.Background())
	}
}

// mapErr translates driver errors into domain errors at the edge.
func mapErr(err error) error { return sqlstore.Translate(err, translate) }

// translate translates PostgreSQL's errors and lost connections.
func translate(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return sqlstore.Conflict(err)
		case pgErr.Code == "23503":
			return sqlstore.Dangling(err)
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "57P02",
			pgErr.Code == "57P03", pgErr.Code == "25006", pgErr.Code == "53300":
			return sqlstore.Unavailable(err)
		}
		return err
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed") {
		return sqlstore.Unavailable(err)
	}
	return err
}

// inTx runs fn in a transaction.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, fn)
	if err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, mapErr(err))
	}
	return nil
}

// notifyTx publishes an event when tx commits.
func (s *Store) notifyTx(ctx context.Context, tx pgx.Tx, topic store.Topic, payload string) error {
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", s.channel(topic), payload)
	return err
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *Store, op string, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", op, mapErr(err))
	}
	return out, nil
}
