package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// A path holding the characters a URI gives a meaning ("#", "?", "%") is
// the file opened, backed up and inspected: each store here is its own.
// (Unescaped, "x#1/prikke.db" and "x#2/prikke.db" both opened "x", and a
// subtest named "sqlite#01" found the users of an earlier one.)
func TestOddPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"x#1", "x#2", "y?mode=memory", "z%2Fw", "%"} {
		path := filepath.Join(dir, name, "prikke.db")
		s := storetest.OpenSQLiteAt(t, path)
		var users int
		if err := s.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM users").Scan(&users); err != nil {
			t.Fatal(err)
		}
		if users != 0 {
			t.Errorf("%s: a new store holds %d users", name, users)
		}
		storetest.NewTenant(t, s, prikke.TierFree)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		to := filepath.Join(dir, name, "copy#1?.db")
		if _, err := sqlitestore.Backup(t.Context(), path, to, false); err != nil {
			t.Errorf("%s: backup: %v", name, err)
		}
		if _, err := sqlitestore.Inspect(t.Context(), to); err != nil {
			t.Errorf("%s: inspect: %v", name, err)
		}
	}
	// A path beginning "//" is the same file as with one "/", not a URI
	// naming the host "tmp".
	double := "/" + filepath.Join(dir, "double", "prikke.db")
	storetest.OpenSQLiteAt(t, double)
	if _, err := os.Stat(double); err != nil {
		t.Errorf("//: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("a file outside the stores' directories: %s", e.Name())
		}
	}
}
