package migration

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var space = regexp.MustCompile(`\s+`)

// statements: goose annotations kept, other comments dropped, whitespace collapsed, split at ';'.
func statements(sql string) []string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "-- +goose") {
			b.WriteString(";" + t + ";")
			continue
		}
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line + "\n")
	}
	var out []string
	for _, s := range strings.Split(b.String(), ";") {
		s = strings.TrimSpace(space.ReplaceAllString(s, " "))
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestCompareOld(t *testing.T) {
	for _, c := range []struct {
		d   Dialect
		dir string
	}{{Postgres, "../pgstore/migrations"}, {SQLite, "../sqlitestore/migrations"}} {
		rendered, err := FS(c.d)
		if err != nil {
			t.Fatal(err)
		}
		newNames, _ := fs.Glob(rendered, "*.sql")
		oldPaths, _ := filepath.Glob(filepath.Join(c.dir, "*.sql"))
		var oldNames []string
		for _, p := range oldPaths {
			oldNames = append(oldNames, filepath.Base(p))
		}
		t.Logf("%s: old files %v, rendered %v", c.d.Name, oldNames, newNames)
		if strings.Join(oldNames, ",") != strings.Join(newNames, ",") {
			t.Errorf("%s: file sets differ", c.d.Name)
		}
		total := 0
		for _, n := range oldNames {
			old, _ := os.ReadFile(filepath.Join(c.dir, n))
			neu, err := fs.ReadFile(rendered, n)
			if err != nil {
				t.Errorf("%s %s: %v", c.d.Name, n, err)
				continue
			}
			a, b := statements(string(old)), statements(string(neu))
			total += len(a)
			if len(a) != len(b) {
				t.Errorf("%s %s: %d statements, rendered %d", c.d.Name, n, len(a), len(b))
			}
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Errorf("%s %s statement %d:\nold: %s\nnew: %s", c.d.Name, n, i, a[i], b[i])
				}
			}
			if os.Getenv("DUMP") != "" {
				os.WriteFile("/tmp/schemacheck/rendered-"+c.d.Name+"-"+n, neu, 0o644)
			}
		}
		t.Logf("%s: %d statements (incl. goose annotations) compared", c.d.Name, total)
	}
}
