package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/store/sqlitestore"
)

// migrated returns a test environment whose database file exists, migrated.
func migrated(t *testing.T) (map[string]string, string) {
	t.Helper()
	env := testEnv(t)
	if _, _, err := runCmd(t, env, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return env, strings.TrimPrefix(env["PRIKKE_DATABASE_URL"], "sqlite:")
}

func TestBackupRefusals(t *testing.T) {
	t.Parallel()
	env, path := migrated(t)
	to := filepath.Join(t.TempDir(), "copy.db")
	out, _, err := runCmd(t, env, "backup", "--to", to)
	if err != nil || !strings.Contains(out, "schema version") || !strings.Contains(out, "0 executions") {
		t.Fatalf("backup = %q, %v", out, err)
	}
	if _, err := os.Stat(to + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the .tmp file is left behind: %v", err)
	}
	if _, _, err := runCmd(t, env, "backup", "--to", to); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if out, _, err := runCmd(t, env, "backup", "--to", to, "--force"); err != nil || !strings.Contains(out, "backed up") {
		t.Errorf("backup --force = %q, %v", out, err)
	}
	if _, _, err := runCmd(t, env, "backup", "--to", path, "--force"); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("backup onto the database itself: %v", err)
	}
	if _, _, err := runCmd(t, env, "restore", "--from", path); err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("restore from the database itself: %v", err)
	}
	if _, _, err := runCmd(t, env, "backup"); err == nil {
		t.Error("backup without --to ran")
	}

	pg := map[string]string{"PRIKKE_DATABASE_URL": "postgres://u:p@127.0.0.1:1/prikke"}
	for _, cmd := range [][]string{{"backup", "--to", to}, {"restore", "--from", to}} {
		if _, _, err := runCmd(t, pg, cmd...); err == nil || !strings.Contains(err.Error(), "pg_dump --format=custom") ||
			!strings.Contains(err.Error(), "point-in-time") {
			t.Errorf("%s on PostgreSQL: %v", cmd[0], err)
		}
	}
}

func TestBackupBesideServer(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	_, stop := startServer(t, env)
	to := filepath.Join(t.TempDir(), "copy.db")
	if out, _, err := runCmd(t, env, "backup", "--to", to); err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("backup beside a server = %q, %v", out, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlitestore.Inspect(t.Context(), to); err != nil {
		t.Errorf("the copy: %v", err)
	}
}

func TestRestoreRefusals(t *testing.T) {
	t.Parallel()
	env, path := migrated(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if _, _, err := runCmd(t, env, "backup", "--to", good); err != nil {
		t.Fatal(err)
	}

	before, _ := os.ReadFile(path)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 200)), 0o644)
	if _, _, err := runCmd(t, env, "restore", "--from", text); err == nil || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("restore of a text file: %v", err)
	}
	if _, _, err := runCmd(t, env, "restore", "--from", filepath.Join(dir, "missing.db")); err == nil {
		t.Error("restore of a missing file ran")
	}
	other := filepath.Join(dir, "other.db")
	sqlExec(t, other, "CREATE TABLE notes (body TEXT)")
	if _, _, err := runCmd(t, env, "restore", "--from", other); err == nil || !strings.Contains(err.Error(), "not Prikke's") {
		t.Errorf("restore of another program's database: %v", err)
	}
	newer := filepath.Join(dir, "newer.db")
	if _, _, err := runCmd(t, env, "backup", "--to", newer); err != nil {
		t.Fatal(err)
	}
	sqlExec(t, newer, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)")
	if _, _, err := runCmd(t, env, "restore", "--from", newer); err == nil || !strings.Contains(err.Error(), "newer than this Prikke's") {
		t.Errorf("restore of a newer schema: %v", err)
	}
	os.WriteFile(good+"-wal", []byte("uncheckpointed commits"), 0o644)
	if _, _, err := runCmd(t, env, "restore", "--from", good); err == nil || !strings.Contains(err.Error(), "write-ahead log") {
		t.Errorf("restore of a file with a -wal beside it: %v", err)
	}
	os.Remove(good + "-wal")
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Error("a refused restore changed the database")
	}

	// A live server holds the owner lock: restore refuses, --force warns.
	_, stop := startServer(t, env)
	if _, _, err := runCmd(t, env, "restore", "--from", good); err == nil || !strings.Contains(err.Error(), "in use by another Prikke process") {
		t.Errorf("restore beside a server: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCmd(t, env, "restore", "--from", good)
	if err != nil || !strings.Contains(out, "kept the old database as "+path+".before-restore-") || !strings.Contains(out, "restored") {
		t.Fatalf("restore = %q, %v", out, err)
	}
	kept, _ := filepath.Glob(path + ".before-restore-*")
	if len(kept) == 0 {
		t.Errorf("no kept copy of the old database")
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a stale -wal is left: %v", err)
	}
	if _, _, err := runCmd(t, env, "migrate", "status"); err != nil {
		t.Errorf("the restored database does not open: %v", err)
	}
}

func TestRestoreForceBesideServer(t *testing.T) {
	t.Parallel()
	env, _ := migrated(t)
	good := filepath.Join(t.TempDir(), "good.db")
	if _, _, err := runCmd(t, env, "backup", "--to", good); err != nil {
		t.Fatal(err)
	}
	_, stop := startServer(t, env)
	out, errOut, err := runCmd(t, env, "restore", "--from", good, "--force")
	if err != nil || !strings.Contains(errOut, "WARNING: --force") || !strings.Contains(out, "restored") {
		t.Errorf("restore --force = %q, %q, %v", out, errOut, err)
	}
	stop()
}

func sqlExec(t *testing.T, file, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
