package systemtest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestSQLiteBackupRestore is issue 17's backup test: `prikke backup` during
// a burst of deliveries on a running SQLite node; every execution the copy
// holds as finished is intact (the same status, response and timing as
// the live database's row of that id once the burst is over); then
// `prikke restore` puts the copy onto a fresh path and a server started on
// it runs jobs.
func TestSQLiteBackupRestore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prikke.db")
	s := openSQLite(t, path)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, s)
	b := f.add(t, 600, 3*time.Second, "/slow?ms=300", 10000)
	env := map[string]string{"PRIKKE_DATABASE_URL": "sqlite:" + path, "PRIKKE_SSRF_ALLOW": f.allow()}
	n := startNode(t, "solo", env)

	// Mid-burst: some executions finished, so the copy holds some.
	waitUntil(t, "30 finished executions", 60*time.Second, func() bool { return len(finished(t, s.DB())) >= 30 })
	copyPath := filepath.Join(dir, "copy.db")
	out, err := execOutput(binary, env, "backup", "--to", copyPath)
	if err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	t.Logf("backup: %s(sink had %d of 600)", out, f.sink.Count())

	waitUntil(t, "the burst delivered", 120*time.Second, func() bool { return b.settled(t) })
	n.signal(syscall.SIGTERM)
	if code, ok := n.waitExit(30 * time.Second); !ok || code != 0 {
		t.Fatalf("server exit = %d, %v", code, ok)
	}

	cp, err := sql.Open("sqlite", "file:"+copyPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	copied, live := finished(t, cp), finished(t, s.DB())
	if len(copied) < 30 {
		t.Errorf("the copy holds %d finished executions, want at least 30", len(copied))
	}
	for id, row := range copied {
		if !strings.HasPrefix(row, "success|200|") {
			t.Errorf("copied execution %s = %s, want a success with status 200", id, row)
		}
		if live[id] != row {
			t.Errorf("execution %s: copy %q, live %q", id, row, live[id])
		}
	}
	t.Logf("%d finished executions in the copy, %d live", len(copied), len(live))

	// Restore onto a fresh path and run a job there.
	fresh := filepath.Join(dir, "restored", "prikke.db")
	env2 := map[string]string{"PRIKKE_DATABASE_URL": "sqlite:" + fresh, "PRIKKE_SSRF_ALLOW": f.allow()}
	out, err = execOutput(binary, env2, "restore", "--from", copyPath)
	if err != nil || !strings.Contains(out, "restored "+copyPath+" to "+fresh) {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	startNode(t, "restored", env2)
	s2 := openSQLite(t, fresh)
	// At start the server finishes what the copy held as running (a
	// rescue); what the copy held as finished stays as it was.
	restored := finished(t, s2.DB())
	for id, row := range copied {
		if restored[id] != row {
			t.Errorf("execution %s: copy %q, restored %q", id, row, restored[id])
		}
	}
	f2 := &fixture{s: s2, tn: f.tn, sink: f.sink}
	b2 := f2.add(t, 5, 2*time.Second, "/ok?after-restore", 10000)
	// The restored server first settles the copy's running attempts (472
	// in one run, to the same slow host): on a loaded machine that took
	// longer than a minute.
	waitUntil(t, "jobs run on the restored database", 180*time.Second, func() bool { return b2.settled(t) })
	var arrived int
	for _, r := range f.sink.Requests() {
		if r.Path == "/ok" && slices.ContainsFunc(b2.jobs, func(j *prikke.Job) bool { return j.ID.String() == r.JobID }) {
			arrived++
		}
	}
	if arrived != 5 {
		t.Errorf("deliveries of the restored server's jobs = %d, want 5", arrived)
	}
}

// finished returns the finished executions of db by id, each as one line of
// what must not change once written: status, response, timing and error.
func finished(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT id, status, response_status, hex(coalesce(response_body, '')), coalesce(response_headers, ''),
		duration_ms, started_at, finished_at, error, attempt FROM executions WHERE finished_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, status, body, headers, errText string
		var code, duration, started, finishedAt, attempt int64
		if err := rows.Scan(&id, &status, &code, &body, &headers, &duration, &started, &finishedAt, &errText, &attempt); err != nil {
			t.Fatal(err)
		}
		out[id] = fmt.Sprintf("%s|%d|%s|%s|%d|%d|%d|%s|%d", status, code, body, headers, duration, started, finishedAt, errText, attempt)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
