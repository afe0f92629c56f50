// Package migration holds the database migrations, written once for both
// stores: each numbered file here is a text/template that renders to the
// SQL of one dialect. pgstore and sqlitestore hand FS(Postgres) and
// FS(SQLite) to goose.
//
// # Adding a migration
//
// Add one file, NNNNN_what_it_does.sql, numbered after the last, with goose's
// "-- +goose Up" and "-- +goose Down" annotations as usual. Write a column's
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
package migration

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
	"text/template"
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
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{} // the standard library's in-memory fs.FS
	for _, name := range names {
		t, err := template.ParseFS(files, name)
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
