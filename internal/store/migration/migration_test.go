package migration_test

import (
	"context"
	"crypto/sha256"
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
		{migration.Postgres, goose.DialectPostgres, openPostgres, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}},
		{migration.SQLite, goose.DialectSQLite3, openSQLite, []int64{1, 2, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14}},
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

// shipped is the SHA-256 of every shipped migration as each dialect
// renders it. Databases have run these: a change to a template, or to a
// Dialect's words, must not change what a shipped migration renders to.
// The PostgreSQL hashes are those of the files pgstore shipped before the
// migrations became templates; the SQLite ones those of sqlitestore's,
// save 00001's header comment. Add a new migration's hashes here when it
// ships.
var shipped = map[string]map[string]string{
	"postgres": {
		"00001_schema.sql":           "26e5df6efaf68ddfd461caf9eb6444c1da0245c88f72dd181e0065bfb3837e29",
		"00002_finished_index.sql":   "13a9d672a05d18b5f792e1fb852d8c21466d6b6fbdd5e99098da4771b7762dd0",
		"00003_execution_queue.sql":  "7dd8410eefe6f9b72d842c0f2f7f7fa04818ab2b7d53667634ebd345f82dd6e9",
		"00004_user_time_zone.sql":   "ad5610e68322c4e18410ffdfcc5ba90f8b085cf0758dc038ec85510fd1c655f4",
		"00005_status_seconds.sql":   "f20e2c2f0e01e638b370c6a60b66702efef4e4828f39ce5768e7f38367ec5fc0",
		"00006_queue_sent.sql":       "29a5d61c43e5ef11964e50a460ba7dfc8c74eec0cc59e5d8ee348aeb3c4d1135",
		"00007_monitors.sql":         "74a826bcf314f64a3771e9b17014fe4eb4522e036adb628426802b103f124d32",
		"00008_job_alert_policy.sql": "45db3aa67843d852e747568cdcdcc3823cabcbce8ef06bb3679888f7cd265842",
		"00009_flow_control.sql":     "f5b99058c9fb5920e10bfe4e23934f0e312d0cc853cffd5fa1e7864bfd14bd84",
		"00010_workflows.sql":        "34181436a08d6b5d88cebdf1e24be573b8c9b26f41bfa390ac08d158b8485f16",
		"00011_billing.sql":          "22c06058843fdd294ed6c92e93116abe9bf027ba17c6b49a0f273c7945d68a7a",
		"00012_operator.sql":         "21710bde2e169249de52e1904915291f81d1b3a09b28282db529b0d8858bb14d",
		"00013_inspect.sql":          "648e2089476016d7224e1ab26c12cabd57e4cea124f1992844d995fb4fa7b2fd",
	},
	"sqlite": {
		"00001_schema.sql":           "7cb7d072c0884759bab320732ff2926230b5b5984659427cd0a664a15039c63e",
		"00002_finished_index.sql":   "13a9d672a05d18b5f792e1fb852d8c21466d6b6fbdd5e99098da4771b7762dd0",
		"00004_user_time_zone.sql":   "d4ab550afa6313020b346ef7fb8a71dc5bce98e1f2ead267415a2475fb2c158f",
		"00005_status_seconds.sql":   "f20e2c2f0e01e638b370c6a60b66702efef4e4828f39ce5768e7f38367ec5fc0",
		"00007_monitors.sql":         "d89f609dd4ac4ff237e3808a1937be1d084015a297bc25809ed0d4fe5e377fa5",
		"00008_job_alert_policy.sql": "f6a562b59f75eb53274bee2380ffba1637c689858a4fa50fc9f664bd467c661c",
		"00009_flow_control.sql":     "d21cc2a8833c9a574511139b6a67c085965aaf1a424eee8f500fd120a8581f77",
		"00010_workflows.sql":        "22eb105a189669bf20355505e12a6f4b5229eb3ffd4655ffa9c2f15f0868c34a",
		"00011_billing.sql":          "76f8c69d0ce828c5be2dd311662e855ce18fc9f7834a69b1aed3b68a1d16deed",
		"00012_operator.sql":         "ae5d018ad10c64c83cc941fb79163cb7183fa5c0aef7355639e0786594a9f277",
		"00013_inspect.sql":          "b29784d27d292696d4de541b2bc3bff270b33e7587d42d137769f6e61e6b10f7",
		"00014_running_index.sql":    "d308d9b7bedd9b65f1e319002506e8aa5df33a97e1cfd259a92b800ac24b98cd",
	},
}

// TestShipped: every shipped migration renders to what databases ran.
func TestShipped(t *testing.T) {
	for _, d := range []migration.Dialect{migration.Postgres, migration.SQLite} {
		fsys, err := migration.FS(d)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range shipped[d.Name] {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Errorf("%s: %s: %v", d.Name, name, err)
				continue
			}
			if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != want {
				t.Errorf("%s: %s renders to other SQL than shipped (sha256 %s, want %s):\n%s", d.Name, name, got, want, b)
			}
		}
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
	pg, err := migration.FS(migration.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(pg, "00014_running_index.sql"); err == nil {
		t.Error("PostgreSQL is offered 00014_running_index.sql, which has nothing for it")
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

// TestList checks the migrations' kinds: no shipped migration is a
// contract step, and one that says so on a line of its own is.
func TestList(t *testing.T) {
	for _, d := range []migration.Dialect{migration.Postgres, migration.SQLite} {
		list, err := migration.List(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.Contract {
				t.Errorf("%s: %s is a contract step; none has shipped yet (update this test when one does)", d.Name, m.Name)
			}
		}
		// 00014 is SQLite's only (PostgreSQL's running executions are in
		// execution_queue).
		wantLast := map[string]string{"postgres": "00013_inspect.sql", "sqlite": "00014_running_index.sql"}[d.Name]
		if last := list[len(list)-1]; migration.Needed(list) != last.Version || last.Name != wantLast {
			t.Errorf("%s: Needed = %d, last %+v", d.Name, migration.Needed(list), last)
		}
	}

	migration.AddForTest(t, "00090_expand.sql", "-- +goose Up\nCREATE TABLE t90 (id {{.Int}});\n-- +goose Down\nDROP TABLE t90;\n")
	migration.AddForTest(t, "00091_contract.sql", "-- +goose Up\n"+migration.ContractMarker+"\nDROP TABLE t90;\n-- +goose Down\n")
	migration.AddForTest(t, "00092_mentions.sql", "-- +goose Up\n-- not a marker: "+migration.ContractMarker+"\nSELECT 1;\n-- +goose Down\n")
	list, err := migration.List(migration.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, m := range list[len(list)-3:] {
		got[m.Version] = m.Contract
	}
	if !got[91] || got[90] || got[92] || len(got) != 3 {
		t.Errorf("contract flags %v; want only 91", got)
	}
	if n := migration.Needed(list); n != 92 {
		t.Errorf("Needed = %d, want 92", n)
	}
	if n := migration.Needed(list[:len(list)-1]); n != 90 {
		t.Errorf("Needed without 92 = %d, want 90 (91 is a contract step)", n)
	}
}
