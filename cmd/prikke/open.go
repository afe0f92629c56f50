package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/seal"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// migrator is what both stores offer beyond store.Store.
type migrator interface {
	Migrate(ctx context.Context) error
	MigrationStatus(ctx context.Context) ([]string, error)
	MigrationVersions(ctx context.Context) (applied, needed int64, err error)
	MigrateTo(ctx context.Context, version int64) error
	Migrations() ([]migration.Migration, error)
}

// opened is an open store with its migrator.
type opened struct {
	store.Store
	migrator
}

// openStore opens the store PRIKKE_DATABASE_URL names and unlocks its
// secrets: PRIKKE_SECRET_KEY, or in development a key generated once and
// kept in the database. exclusive takes an SQLite file's owner lock (serve
// and bench); operator commands open without it and work beside a server.
func openStore(ctx context.Context, cfg *config.Config, exclusive bool, logger *slog.Logger, nowFunc func() time.Time) (*opened, error) {
	sealer := &lazySealer{}
	var o *opened
	if path := cfg.SQLitePath(); path != "" {
		s, err := sqlitestore.Open(ctx, path, sqlitestore.OpenOptions{Options: store.Options{Sealer: sealer}, Exclusive: exclusive}, logger)
		if err != nil {
			return nil, err
		}
		if nowFunc != nil {
			s.NowFunc = nowFunc
		}
		o = &opened{s, s}
	} else {
		// The engine needs a handful of connections (claims, results,
		// releases, the scheduler); the rest serve the API and dashboard.
		// Kept modest so that a few nodes fit PostgreSQL's default of 100.
		s, err := pgstore.Open(ctx, cfg.DatabaseURL, store.Options{Sealer: sealer, MaxConns: min(24, max(16, cfg.WorkersMax/8))}, logger)
		if err != nil {
			return nil, err
		}
		o = &opened{s, s}
	}
	if err := waitForDatabase(ctx, o, logger); err != nil {
		o.Close()
		return nil, err
	}
	if err := autoMigrate(ctx, o, cfg.NodeDeadAfter, logger); err != nil {
		o.Close()
		return nil, err
	}
	key := cfg.SecretKey
	if key == "" {
		// Development only (config refuses an empty key in production).
		generated, err := o.SettingPutIfAbsent(ctx, "secret_key", rand.Text()+rand.Text())
		if err != nil {
			o.Close()
			return nil, fmt.Errorf("store the generated secret key: %w", err)
		}
		key = generated
	}
	s, err := seal.New(key)
	if err != nil {
		o.Close()
		return nil, err
	}
	sealer.set(s)
	return o, nil
}

// waitForDatabase gives a database that is still starting 30 seconds.
func waitForDatabase(ctx context.Context, s store.Store, logger *slog.Logger) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := s.Ping(ctx)
		if err == nil || prikke.ErrorCode(err) != prikke.EUNAVAILABLE || time.Now().After(deadline) {
			return err
		}
		logger.Warn("database not reachable yet; retrying", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// lazySealer lets the store open before the key is known: the key may live
// in the store itself (development).
type lazySealer struct {
	mu sync.RWMutex
	s  *seal.Sealer
}

func (l *lazySealer) set(s *seal.Sealer) {
	l.mu.Lock()
	l.s = s
	l.mu.Unlock()
}

var errNoKey = errors.New("the secret key is not loaded yet")

func (l *lazySealer) Seal(p []byte) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.s == nil {
		return nil, errNoKey
	}
	return l.s.Seal(p)
}

func (l *lazySealer) Open(c []byte) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.s == nil {
		return nil, errNoKey
	}
	return l.s.Open(c)
}

// newLogger builds the process logger from the configuration.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)).With("node", cfg.NodeID)
	}
	return slog.New(slog.NewTextHandler(w, opts)).With("node", cfg.NodeID)
}
