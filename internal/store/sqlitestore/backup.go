package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/prikke/prikke/internal/store/migration"
)

// FileInfo describes a Prikke SQLite database file: what backup prints and
// what restore checks before it puts a file in place.
type FileInfo struct {
	Size          int64 // bytes
	SchemaVersion int64 // the highest applied migration
	Executions    int64 // rows in executions
}

// Backup copies the database at path into to with VACUUM INTO, through a
// connection of its own: SQLite reads one snapshot of the WAL database, so
// the copy is consistent while a server writes, and the server's writer is
// never blocked (a reader takes no write lock). The copy is written to
// to+".tmp" and renamed into place; to must not exist unless overwrite.
func Backup(ctx context.Context, path, to string, overwrite bool) (FileInfo, error) {
	src, err := os.Stat(path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %w", err)
	}
	if dst, err := os.Stat(to); err == nil && os.SameFile(src, dst) {
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %s is the database itself", to)
	} else if err == nil && !overwrite {
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %s exists; choose another file or pass --force to replace it", to)
	}
	tmp := to + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", fileURI(path, q))
	if err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The busy timeout covers the short moments the file is locked (a
	// checkpoint, a migration); beyond it, try again a few times.
	for attempt := 1; ; attempt++ {
		_, err = db.ExecContext(ctx, "VACUUM INTO ?", tmp)
		if err == nil || attempt == 5 || !isBusy(err) {
			break
		}
		_ = os.Remove(tmp)
		select {
		case <-ctx.Done():
			return FileInfo{}, ctx.Err()
		case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: vacuum into %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		_ = os.Remove(tmp)
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %w", err)
	}
	if err := os.Rename(tmp, to); err != nil {
		_ = os.Remove(tmp)
		return FileInfo{}, fmt.Errorf("sqlitestore: backup: %w", err)
	}
	return Inspect(ctx, to)
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Inspect opens file read-only and checks that it is a sound Prikke
// database: PRAGMA integrity_check answers ok and the migrations table
// exists. It does not check the schema version against this binary's; see
// LatestVersion.
func Inspect(ctx context.Context, file string) (FileInfo, error) {
	st, err := os.Stat(file)
	if err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect: %w", err)
	}
	if !st.Mode().IsRegular() {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect: %s is not a regular file", file)
	}
	db, err := sql.Open("sqlite", fileURI(file, url.Values{"mode": {"ro"}, "_pragma": {"busy_timeout(10000)"}}))
	if err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect: %w", err)
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&verdict); err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: %s is not an SQLite database: %w", file, err)
	}
	if verdict != "ok" {
		return FileInfo{}, fmt.Errorf("sqlitestore: %s fails the integrity check: %s", file, verdict)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'executions')").Scan(&n); err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect %s: %w", file, err)
	}
	if n != 2 {
		return FileInfo{}, fmt.Errorf("sqlitestore: %s is an SQLite database but not Prikke's (no migrations table or no executions)", file)
	}
	info := FileInfo{Size: st.Size()}
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&info.SchemaVersion); err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect %s: schema version: %w", file, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM executions").Scan(&info.Executions); err != nil {
		return FileInfo{}, fmt.Errorf("sqlitestore: inspect %s: executions: %w", file, err)
	}
	return info, nil
}

// LatestVersion is the highest migration this binary knows for SQLite: a
// database at a newer version was written by a newer Prikke.
func LatestVersion() (int64, error) {
	sub, err := migration.FS(migration.SQLite)
	if err != nil {
		return 0, err
	}
	names, err := fs.Glob(sub, "*.sql")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, name := range names {
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("sqlitestore: migration %s: %w", name, err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// Lock takes the owner lock `prikke serve` holds on path (an flock on
// "<path>.lock") without opening the database, for commands that must not
// run beside a server, such as restore. The caller closes the file to
// release it.
func Lock(path string) (*os.File, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(lockPath)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		f.Close()
		return nil, &ErrInUse{Path: path, PID: pid}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}
