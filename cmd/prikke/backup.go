package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/store/sqlitestore"
)

func init() {
	operatorCommands["backup"] = backupCommand
	operatorCommands["restore"] = restoreCommand
}

// pgBackupRecipe is what backup and restore say for PostgreSQL, whose own
// tools do this better than Prikke could.
const pgBackupRecipe = `PRIKKE_DATABASE_URL names PostgreSQL; back it up with PostgreSQL's own tools:
  pg_dump --format=custom --file=prikke.dump "$PRIKKE_DATABASE_URL"
  pg_restore --clean --if-exists --no-owner --dbname="$PRIKKE_DATABASE_URL" prikke.dump
For point-in-time recovery, archive the WAL (continuous archiving: archive_mode,
archive_command, pg_basebackup), or use your managed PostgreSQL's PITR; see
https://www.postgresql.org/docs/current/continuous-archiving.html`

// backupCommand: prikke backup --to FILE [--force]
func backupCommand(ctx context.Context, e *env, args []string) error {
	flags := newFlags("backup", e)
	to := flags.String("to", "", "the file to write the copy to")
	force := flags.Bool("force", false, "replace FILE if it exists")
	if err := flags.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *to == "" || flags.NArg() > 0 {
		return usageError("backup: expected `backup --to FILE [--force]`")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	path := cfg.SQLitePath()
	if path == "" {
		return errors.New("backup: " + pgBackupRecipe)
	}
	info, err := sqlitestore.Backup(ctx, path, *to, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s: %d bytes, schema version %d, %d executions\n", path, *to, info.Size, info.SchemaVersion, info.Executions)
	return nil
}

// restoreCommand: prikke restore --from FILE [--force]
//
// A live server is found by its owner lock: `prikke serve` holds an flock
// on "<file>.lock" for as long as it runs, the kernel drops it when the
// process dies (even on SIGKILL), so unlike a heartbeat row it neither
// goes stale after a crash nor needs a wait. Restore holds the lock itself
// while it works, so a server cannot start halfway through.
func restoreCommand(ctx context.Context, e *env, args []string) error {
	flags := newFlags("restore", e)
	from := flags.String("from", "", "the backup to restore")
	force := flags.Bool("force", false, "restore even if a server seems to hold the database (dangerous)")
	if err := flags.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *from == "" || flags.NArg() > 0 {
		return usageError("restore: expected `restore --from FILE [--force]`")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	path := cfg.SQLitePath()
	if path == "" {
		return errors.New("restore: " + pgBackupRecipe)
	}
	if src, err := os.Stat(*from); err == nil {
		if dst, err := os.Stat(path); err == nil && os.SameFile(src, dst) {
			return fmt.Errorf("restore: %s is the database itself", *from)
		}
	}
	// Restore copies the one file: commits still in a write-ahead log
	// beside it would be lost (a backup from `prikke backup` has none).
	if st, err := os.Stat(*from + "-wal"); err == nil && st.Size() > 0 {
		return fmt.Errorf("restore: %s has a write-ahead log beside it (%s-wal); checkpoint it first (sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)'), or restore a copy made by prikke backup", *from, *from, *from)
	}
	info, err := sqlitestore.Inspect(ctx, *from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	latest, err := sqlitestore.LatestVersion()
	if err != nil {
		return err
	}
	if info.SchemaVersion > latest {
		return fmt.Errorf("restore: %s has schema version %d, newer than this Prikke's %d; restore it with the Prikke that wrote it, or a newer one", *from, info.SchemaVersion, latest)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	lock, err := sqlitestore.Lock(path)
	if err != nil {
		var inUse *sqlitestore.ErrInUse
		if !errors.As(err, &inUse) || !*force {
			return fmt.Errorf("restore: %w", err)
		}
		fmt.Fprintf(e.stderr, "WARNING: --force: restoring under a running server (pid %d); it will keep its old file open and may overwrite the restored data or corrupt it. Stop it now.\n", inUse.PID)
	} else {
		defer lock.Close()
	}

	if _, err := os.Stat(path); err == nil {
		kept := path + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		// The WAL and shared memory go with the file they belong to, so the
		// kept copy opens with its last commits.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, kept+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("restore: keep the old database: %w", err)
			}
		}
		fmt.Fprintf(e.stdout, "kept the old database as %s\n", kept)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: remove a stale %s: %w", suffix, err)
		}
	}
	if err := copyFile(*from, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(e.stdout, "restored %s to %s: %d bytes, schema version %d, %d executions\n", *from, path, info.Size, info.SchemaVersion, info.Executions)
	if info.SchemaVersion < latest {
		fmt.Fprintf(e.stdout, "the next start migrates it from version %d to %d\n", info.SchemaVersion, latest)
	}
	return nil
}

// copyFile copies from to to+".tmp", syncs it and renames it to to.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := to + ".tmp"
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(tmp)
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return err
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, to)
}
