// Package migration holds the database migrations, written once for both
// stores: each numbered file here is a text/template that renders to the
// SQL of one dialect. pgstore and sqlitestore hand FS(Postgres) and
// FS(SQLite) to goose.
//
// # Adding a migration
//
// Add one file, NNNNN_what_it_does.sql, numbered after the last, with goose's
// "-- +goose Up" and "-- +goose Down" annotations as usual, and decide
// whether it is an expand or a contract step (see Expand and contract,
// below). Write a column's
// type as a type word, which each dialect spells its own way:
//
//	{{.ID}}        uuid         TEXT      an ID (prikke.ID)
//	{{.Text}}      text         TEXT
//	{{.Int}}       integer      INTEGER
//	{{.SmallInt}}  smallint     INTEGER
//	{{.BigInt}}    bigint       INTEGER
//	{{.Time}}      timestamptz  INTEGER   an instant; SQLite stores Unix microseconds, UTC
//	{{.Bool}}      boolean      INTEGER   SQLite stores 0 or 1
//	{{.Bytes}}     bytea        BLOB
//	{{.JSON}}      jsonb        TEXT
//
// and the values a default or a predicate needs as {{.True}} (true, 1),
// {{.False}} (false, 0) and {{.Now}} (now(), 0: SQLite has no default for
// the current instant in Unix microseconds). For example:
//
//	-- +goose Up
//	CREATE TABLE monitors (
//	    id         {{.ID}} PRIMARY KEY,
//	    project_id {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
//	    paused     {{.Bool}} NOT NULL DEFAULT {{.False}},
//	    created_at {{.Time}} NOT NULL
//	);
//
//	-- +goose Down
//	DROP TABLE monitors;
//
// What only one dialect has goes in a block: {{if .Postgres}}…{{end}},
// {{if .SQLite}}…{{end}} or {{if .Postgres}}…{{else}}…{{end}}, inside a
// line (jobs_due_idx in 00001) or around statements (00001's Down). A file
// whose whole text is such a block (00003) renders to nothing for the other
// dialect, and FS leaves it out of that dialect's set, so that dialect's
// databases never record its version; keep the goose annotations inside
// the block then. Template comments ({{/* … */}}) hold notes that belong in
// no dialect's SQL.
//
// A migration's version is its number, in both dialects. Then add the
// version to TestFS's lists, and when it ships, its rendered SQL's hashes
// to the test's shipped table. Never change what a shipped migration
// renders to: databases have run it, and TestShipped fails.
//
// # Expand and contract
//
// Nodes of two releases run side by side on one database during a rolling
// upgrade, and each new node migrates at start while the older ones keep
// serving. So a migration is one of two kinds:
//
//   - expand (the default): it only adds (a table, a nullable column or one
//     with a default, an index) and an older node lives with it. It ships
//     with the code that uses what it adds; any node applies it at start.
//
//   - contract: it drops or renames what an older node still reads or
//     writes. It ships at least one release after the code stopped using
//     what it drops, in a release of its own, and says so with a line
//
//     -- +prikke contract
//
//     before "-- +goose Up". A node never applies it at start while an
//     older node is alive; `prikke migrate` refuses it then too, unless
//     told --allow-older-nodes (see cmd/prikke/migrate.go).
//
// A node must never need its release's contract migrations: it is ready to
// serve once every expand migration it knows is applied.
package migration

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// Dialect is the words one database spells the migrations in; it is the
// data each template renders with.
type Dialect struct {
	Name string // for errors

	// Postgres and SQLite say which dialect this is, for blocks only one has.
	Postgres, SQLite bool

	// Type words: see the package documentation.
	ID, Text, Int, SmallInt, BigInt, Time, Bool, Bytes, JSON string
	// Values: true and false as a boolean column holds them, and the
	// current instant as a column default.
	True, False, Now string
}

// The two dialects.
var (
	Postgres = Dialect{Name: "postgres", Postgres: true,
		ID: "uuid", Text: "text", Int: "integer", SmallInt: "smallint", BigInt: "bigint",
		Time: "timestamptz", Bool: "boolean", Bytes: "bytea", JSON: "jsonb",
		True: "true", False: "false", Now: "now()"}
	SQLite = Dialect{Name: "sqlite", SQLite: true,
		ID: "TEXT", Text: "TEXT", Int: "INTEGER", SmallInt: "INTEGER", BigInt: "INTEGER",
		Time: "INTEGER", Bool: "INTEGER", Bytes: "BLOB", JSON: "TEXT",
		True: "1", False: "0", Now: "0"}
)

// FS returns the migrations rendered in dialect d, as goose reads them:
// one NNNNN_name.sql file each at the root, leaving out those that render
// to nothing for d.
func FS(d Dialect) (fs.FS, error) {
	src := sources()
	names, err := fs.Glob(src, "*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{} // the standard library's in-memory fs.FS
	for _, name := range names {
		t, err := template.ParseFS(src, name)
		if err != nil {
			return nil, fmt.Errorf("migration: parse %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return nil, fmt.Errorf("migration: render %s for %s: %w", name, d.Name, err)
		}
		if strings.TrimSpace(b.String()) == "" {
			continue
		}
		out[name] = &fstest.MapFile{Data: b.Bytes(), Mode: 0o444}
	}
	return out, nil
}

// ContractMarker is the line that makes a migration a contract step.
const ContractMarker = "-- +prikke contract"

// Migration is one migration as a dialect has it.
type Migration struct {
	Version int64
	Name    string // the file name, 00012_operator.sql
	// Contract: it drops or renames what an older node uses (see the
	// package documentation).
	Contract bool
}

// List returns dialect d's migrations in version order.
func List(d Dialect) ([]Migration, error) {
	fsys, err := FS(d)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration: %s: the name does not start with a version number", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, Contract: isContract(string(b))})
	}
	slices.SortFunc(out, func(a, b Migration) int { return int(a.Version - b.Version) })
	return out, nil
}

// Needed returns the newest version in list that is not a contract step:
// the schema a binary with these migrations needs to serve. It must not
// need its contract steps, which wait for the older nodes to go.
func Needed(list []Migration) int64 {
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].Contract {
			return list[i].Version
		}
	}
	return 0
}

// isContract reports whether a rendered migration carries ContractMarker
// on a line of its own.
func isContract(sql string) bool {
	for line := range strings.Lines(sql) {
		if strings.TrimSpace(line) == ContractMarker {
			return true
		}
	}
	return false
}

// added holds the migrations tests add with AddForTest.
var added struct {
	sync.Mutex
	files fstest.MapFS
}

// sources returns the migration templates: the embedded files, and any a
// test added.
func sources() fs.FS {
	added.Lock()
	defer added.Unlock()
	if len(added.files) == 0 {
		return files
	}
	out := maps.Clone(added.files)
	names, _ := fs.Glob(files, "*.sql")
	for _, name := range names {
		b, _ := fs.ReadFile(files, name)
		out[name] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return out
}

// AddForTest adds a migration template, named NNNNN_what.sql, to those FS
// and List return until the test ends. It is the seam for testing what no
// shipped migration does yet (a contract step, above all); it panics
// outside a test binary. The tests that use it must not run in parallel
// with others that migrate.
func AddForTest(t testing.TB, name, text string) {
	if !testing.Testing() {
		panic("migration.AddForTest outside a test")
	}
	if ok, _ := path.Match("[0-9][0-9][0-9][0-9][0-9]_*.sql", name); !ok {
		t.Fatalf("migration.AddForTest: %q is not named NNNNN_what.sql", name)
	}
	added.Lock()
	defer added.Unlock()
	if added.files == nil {
		added.files = fstest.MapFS{}
	}
	added.files[name] = &fstest.MapFile{Data: []byte(text), Mode: 0o444}
	t.Cleanup(func() {
		added.Lock()
		defer added.Unlock()
		delete(added.files, name)
	})
}

// StatusLines formats goose's status of dialect d's migrations for
// `prikke migrate status`: one line each, version, state and file, and
// "contract" after a contract step.
func StatusLines(d Dialect, st []*goose.MigrationStatus) ([]string, error) {
	list, err := List(d)
	if err != nil {
		return nil, err
	}
	contract := map[int64]bool{}
	for _, m := range list {
		contract[m.Version] = m.Contract
	}
	out := make([]string, len(st))
	for i, m := range st {
		out[i] = fmt.Sprintf("%05d %-10s %s", m.Source.Version, m.State, m.Source.Path)
		if contract[m.Source.Version] {
			out[i] += "  (contract: drops what older nodes use)"
		}
	}
	return out, nil
}
