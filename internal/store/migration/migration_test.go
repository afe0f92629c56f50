package migration_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestFS renders each dialect's migrations and runs them through goose on
// a real database of that dialect: every file parses, the versions are
// today's (SQLite has no 3 and 6), the whole set goes up, all the way
// down, and up again, and no template marker is left in the SQL.
func TestFS(t *testing.T) {
	for _, c := range []struct {
		d        migration.Dialect
		goose    goose.Dialect
		open     func(t *testing.T) *sql.DB
		versions []int64
	}{
		{migration.Postgres, goose.DialectPostgres, openPostgres, []int64{1, 2, 3, 4, 5, 6}},
		{migration.SQLite, goose.DialectSQLite3, openSQLite, []int64{1, 2, 4, 5}},
	} {
		t.Run(c.d.Name, func(t *testing.T) {
			t.Parallel()
			fsys, err := migration.FS(c.d)
			if err != nil {
				t.Fatal(err)
			}
			names, err := fs.Glob(fsys, "*.sql")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range names {
				b, err := fs.ReadFile(fsys, name)
				if err != nil {
					t.Fatal(err)
				}
				if s := string(b); strings.Contains(s, "{{") || strings.Contains(s, "}}") || strings.Contains(s, "<no value>") {
					t.Errorf("%s keeps a template marker:\n%s", name, s)
				}
				if !strings.Contains(string(b), "-- +goose Up") {
					t.Errorf("%s has no -- +goose Up", name)
				}
			}

			ctx := context.Background()
			p, err := goose.NewProvider(c.goose, c.open(t), fsys, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			var listed []int64
			for _, s := range p.ListSources() {
				listed = append(listed, s.Version)
			}
			if !slices.Equal(listed, c.versions) {
				t.Fatalf("versions %v, want %v", listed, c.versions)
			}
			down := slices.Clone(c.versions)
			slices.Reverse(down)
			for _, step := range []struct {
				name string
				run  func() ([]*goose.MigrationResult, error)
				want []int64
			}{
				{"up", func() ([]*goose.MigrationResult, error) { return p.Up(ctx) }, c.versions},
				{"down to 0", func() ([]*goose.MigrationResult, error) { return p.DownTo(ctx, 0) }, down},
				{"up again", func() ([]*goose.MigrationResult, error) { return p.Up(ctx) }, c.versions},
			} {
				res, err := step.run()
				if err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				var got []int64
				for _, r := range res {
					got = append(got, r.Source.Version)
				}
				if !slices.Equal(got, step.want) {
					t.Fatalf("%s ran %v, want %v", step.name, got, step.want)
				}
			}
			if pending, err := p.HasPending(ctx); err != nil || pending {
				t.Fatalf("pending after up = %v, %v", pending, err)
			}
		})
	}
}

// TestFSLeavesOutEmpty: a file is offered to a dialect only when it
// renders to SQL for it.
func TestFSLeavesOutEmpty(t *testing.T) {
	fsys, err := migration.FS(migration.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00003_execution_queue.sql", "00006_queue_sent.sql"} {
		if _, err := fs.Stat(fsys, name); err == nil {
			t.Errorf("SQLite is offered %s, which has nothing for it", name)
		}
	}
}

func openSQLite(t *testing.T) *sql.DB {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "migrate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres returns a database handle whose connections work in a
// fresh schema, dropped when t ends.
func openPostgres(t *testing.T) *sql.DB {
	ctx := context.Background()
	admin, err := sql.Open("pgx", storetest.PostgresURL())
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if storetest.RequirePostgres() {
			t.Fatal(err)
		}
		t.Skip("PostgreSQL is not reachable:", err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := storetest.NewSchemaName()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Log(err)
		}
	})
	sep := "?"
	if strings.Contains(storetest.PostgresURL(), "?") {
		sep = "&"
	}
	db, err := sql.Open("pgx", fmt.Sprintf("%s%ssearch_path=%s", storetest.PostgresURL(), sep, schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var current string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil || current != schema {
		t.Fatalf("current schema %q, %v; want %s", current, err, schema)
	}
	return db
}
