// Package storetest is the conformance suite every store passes, and the
// helpers other packages' tests use to get a real, fresh, migrated store of
// each dialect. Nothing here mocks a database.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/seal"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// DefaultPostgresURL is used when PRIKKE_TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// TestSecretKey is the PRIKKE_SECRET_KEY of test stores.
const TestSecretKey = "storetest-secret-key-0123456789abcdef"

// Sealer returns the sealer test stores use.
func Sealer(t testing.TB) store.Sealer {
	s, err := seal.New(TestSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// PostgresURL returns the test server's URL.
func PostgresURL() string {
	if u := os.Getenv("PRIKKE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// RequirePostgres reports whether a missing PostgreSQL fails tests rather
// than skipping them. CI sets PRIKKE_REQUIRE_POSTGRES=1: there the
// PostgreSQL run is not optional.
func RequirePostgres() bool { return os.Getenv("PRIKKE_REQUIRE_POSTGRES") == "1" }

// Opener returns a fresh, migrated store that is cleaned up with t.
type Opener func(t testing.TB) store.Store

// OpenSQLite returns a fresh SQLite store in a temporary file.
func OpenSQLite(t testing.TB) store.Store {
	return OpenSQLiteAt(t, filepath.Join(t.TempDir(), "prikke.db"))
}

// OpenSQLiteAt opens and migrates the SQLite file at path, exclusively.
func OpenSQLiteAt(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, path, sqlitestore.OpenOptions{Options: store.Options{Sealer: Sealer(t)}, Exclusive: true}, nil)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return s
}

// OpenPostgres returns a fresh PostgreSQL store in its own schema (with
// its own NOTIFY channels and lock keys), dropped when t ends. It skips
// the test when the server is unreachable, unless RequirePostgres.
func OpenPostgres(t testing.TB) store.Store {
	return OpenPostgresSchema(t, NewSchemaName())
}

// NewSchemaName returns a random schema (and namespace) name for a test.
func NewSchemaName() string {
	var b [6]byte
	rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

// OpenPostgresSchema opens a store in the named schema, migrating it. Two
// stores opened on one schema share data and channels, like two nodes.
func OpenPostgresSchema(t testing.TB, schema string) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, PostgresURL(), store.Options{Sealer: Sealer(t), Schema: schema, Namespace: schema, MaxConns: 12}, nil)
	if err == nil {
		err = s.Ping(ctx)
		if err != nil {
			s.Close()
		}
	}
	if err != nil {
		msg := "PostgreSQL is not reachable at " + PostgresURL() + " (set PRIKKE_TEST_DATABASE_URL): " + err.Error()
		if RequirePostgres() {
			t.Fatal(msg + "; PRIKKE_REQUIRE_POSTGRES=1, so this is a failure: start PostgreSQL (see .ci/run)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DropSchema(ctx); err != nil && !strings.Contains(err.Error(), "does not exist") {
			t.Logf("drop schema %s: %v", schema, err)
		}
		s.Close()
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return s
}

// Dialects runs fn once per store dialect, each as a parallel subtest with
// a fresh store.
func Dialects(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open Opener
	}{{"sqlite", OpenSQLite}, {"postgres", OpenPostgres}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.open(t))
		})
	}
}

// HoldPool takes every connection of s's main pool until the test ends,
// as a spike of API requests, claims and completions can.
func HoldPool(t testing.TB, s *pgstore.Store) {
	t.Helper()
	pool := s.Pool()
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Release)
	}
}
