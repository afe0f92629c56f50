package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke/internal/store/storetest"
)

// benchOutput runs a small `prikke bench` and decodes its JSON line.
func benchOutput(t *testing.T, env map[string]string, args ...string) map[string]any {
	t.Helper()
	out, errOut, err := runCmd(t, env, append([]string{"bench"}, args...)...)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench printed %q: %v", out, err)
	}
	for _, k := range []string{"mode", "store", "jobs", "delivered", "duplicates", "lost", "per_second",
		"lateness_p50_ms", "lateness_p99_ms", "lateness_max_ms", "peak_rss_mb"} {
		if _, ok := res[k]; !ok {
			t.Errorf("bench output has no %q: %s", k, out)
		}
	}
	return res
}

func checkDelivered(t *testing.T, res map[string]any, n float64) {
	t.Helper()
	if res["delivered"] != n || res["duplicates"] != 0.0 || res["lost"] != 0.0 {
		t.Errorf("delivered %v, duplicates %v, lost %v; want %v, 0, 0", res["delivered"], res["duplicates"], res["lost"], n)
	}
}

// The bench leaves nothing behind in an SQLite file it was given.
func TestBenchSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.db")
	env := map[string]string{"PRIKKE_DATABASE_URL": "sqlite:" + path}
	res := benchOutput(t, env, "--mode", "burst", "--jobs", "40")
	if res["store"] != "sqlite" {
		t.Errorf("store = %v", res["store"])
	}
	checkDelivered(t, res, 40)

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"users", "organizations", "projects", "jobs", "executions"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows after the bench; want none", table, n)
		}
	}
}

// On PostgreSQL the bench works in a schema of its own and drops it.
func TestBenchPostgres(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		if storetest.RequirePostgres() {
			t.Fatalf("PostgreSQL at %s: %v", url, err)
		}
		t.Skipf("no PostgreSQL at %s: %v", url, err)
	}
	defer conn.Close(ctx)
	res := benchOutput(t, map[string]string{"PRIKKE_DATABASE_URL": url}, "--mode", "burst", "--jobs", "40")
	if res["store"] != "postgres" {
		t.Errorf("store = %v", res["store"])
	}
	checkDelivered(t, res, 40)
	// Its own schema, by the name it reports: another test run on the same
	// server may be benchmarking at the same time, in a schema of its own.
	schema, _ := res["schema"].(string)
	if !strings.HasPrefix(schema, "prikke_bench_") {
		t.Fatalf("bench reported schema %q; want its own prikke_bench_… schema", res["schema"])
	}
	var left bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left {
		t.Errorf("bench schema %s is left after the bench; it must drop its own", schema)
	}
}

// The pings mode runs end to end on both stores and prints its figures
// (not asserted: they belong to the machine); what it checks is that
// every accepted ping was stored and every deadline flipped once.
func TestBenchPings(t *testing.T) {
	args := []string{"--mode", "pings", "--monitors", "20", "--clients", "4", "--ping-for", "300ms",
		"--deadline-monitors", "30", "--deadline-spread", "500ms"}
	for _, tc := range []struct {
		store string
		env   map[string]string
	}{{"sqlite", nil}, {"postgres", map[string]string{"PRIKKE_DATABASE_URL": storetest.PostgresURL()}}} {
		t.Run(tc.store, func(t *testing.T) {
			if tc.store == "postgres" {
				conn, err := pgx.Connect(context.Background(), storetest.PostgresURL())
				if err != nil {
					if storetest.RequirePostgres() {
						t.Fatalf("PostgreSQL: %v", err)
					}
					t.Skipf("no PostgreSQL: %v", err)
				}
				conn.Close(context.Background())
			}
			res := benchOutput(t, tc.env, args...)
			for _, k := range []string{"monitors", "clients", "accepted", "stored", "ping_p50_ms", "ping_p99_ms", "ping_cpu_ms", "deadline_monitors", "flips", "claimed_p99_ms"} {
				if _, ok := res[k]; !ok {
					t.Errorf("bench output has no %q: %v", k, res)
				}
			}
			if res["store"] != tc.store || res["mode"] != "pings" || res["monitors"] != 20.0 || res["deadline_monitors"] != 30.0 {
				t.Errorf("store %v, mode %v, monitors %v, deadline monitors %v", res["store"], res["mode"], res["monitors"], res["deadline_monitors"])
			}
			if res["accepted"] != res["stored"] || res["lost"] != 0.0 {
				t.Errorf("accepted %v, stored %v, lost %v: every 200 must be stored", res["accepted"], res["stored"], res["lost"])
			}
			if res["flips"] != 30.0 {
				t.Errorf("flips %v; want one per deadline monitor, 30", res["flips"])
			}
		})
	}
}

// --ab runs the burst off and on, alternating, and sums up the ratio.
func TestBenchAB(t *testing.T) {
	out, errOut, err := runCmd(t, nil, "bench", "--mode", "burst", "--jobs", "30", "--ab", "--ab-rounds", "2")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("printed %d lines, want 4 runs and the summary:\n%s", len(lines), out)
	}
	for i, line := range lines[:4] {
		var run map[string]any
		if err := json.Unmarshal([]byte(line), &run); err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		on := i%2 == 1
		if run["http_trace"] != on || run["record_body"] != on || run["round"] != float64(i/2+1) {
			t.Errorf("run %d: http_trace %v, record_body %v, round %v; want %v, %v, %d", i+1, run["http_trace"], run["record_body"], run["round"], on, on, i/2+1)
		}
		checkDelivered(t, run, 30)
	}
	var sum abSummary
	if err := json.Unmarshal([]byte(lines[4]), &sum); err != nil {
		t.Fatalf("summary %q: %v", lines[4], err)
	}
	if sum.Rounds != 2 || len(sum.OffPerSec) != 2 || len(sum.OnPerSec) != 2 || len(sum.Ratios) != 2 || sum.MedianRatio <= 0 {
		t.Errorf("summary %+v", sum)
	}
}

// --http-trace and --record-body set a plain run; unset, the variables do.
func TestBenchTraceFlags(t *testing.T) {
	res := benchOutput(t, map[string]string{"PRIKKE_RECORD_REQUEST_BODY": "false"}, "--mode", "burst", "--jobs", "10", "--http-trace=false")
	if res["http_trace"] != false || res["record_body"] != false {
		t.Errorf("http_trace %v, record_body %v; want false, false", res["http_trace"], res["record_body"])
	}
	if _, _, err := runCmd(t, nil, "bench", "--mode", "cron", "--ab"); err == nil {
		t.Error("--ab with --mode cron ran")
	}
}

// --history seeds finished executions before the burst; --history-keep
// leaves them in the file for the next run, which reuses them.
func TestBenchHistorySQLite(t *testing.T) {
	n := 1000
	if v := os.Getenv("PRIKKE_TEST_BENCH_HISTORY"); v != "" { // a larger seeding, by hand
		n, _ = strconv.Atoi(v)
	}
	path := filepath.Join(t.TempDir(), "history.db")
	env := map[string]string{"PRIKKE_DATABASE_URL": "sqlite:" + path}
	args := []string{"--mode", "burst", "--jobs", "40", "--history", strconv.Itoa(n), "--history-keep"}
	res := benchOutput(t, env, args...)
	checkDelivered(t, res, 40)
	if res["history"] != float64(n) || res["history_reused"] != false {
		t.Errorf("history %v, reused %v; want %d, false", res["history"], res["history_reused"], n)
	}
	t.Logf("seeded %d in %v s", n, res["history_seed_s"])

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	count := func() int {
		t.Helper()
		got, err := historyCount(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := count(); got != n {
		t.Fatalf("%d seeded executions in the file; want %d", got, n)
	}
	// Finished, of the history's jobs (1,000 and 5), every one within the
	// retention of its organization's tier, none pending or running.
	var statuses, jobs, open, pending int
	var oldest int64
	if err := db.QueryRow(`SELECT count(DISTINCT e.status), count(DISTINCT e.job_id), min(e.finished_at),
		sum(e.finished_at IS NULL OR e.response_headers IS NULL AND e.status <> 'timeout'), sum(e.status IN ('pending', 'running'))
		FROM executions e JOIN organizations o ON o.id = e.organization_id WHERE o.name LIKE 'bench-history %'`).
		Scan(&statuses, &jobs, &oldest, &open, &pending); err != nil {
		t.Fatal(err)
	}
	// Nine rows in ten are the Pro organization's, its jobs in turn.
	wantJobs := min(n-n/10, historyJobs) + min(n/10, historyOtherJobs)
	if statuses != 3 || jobs != wantJobs || open != 0 || pending != 0 {
		t.Errorf("%d statuses, %d jobs, %d rows unfinished or without response headers, %d pending; want 3, %d, 0, 0", statuses, jobs, open, pending, wantJobs)
	}
	if age := time.Since(time.UnixMicro(oldest)); age > historySpan+time.Hour || age < historySpan-time.Hour {
		t.Errorf("oldest row finished %v ago; want about %v", age, historySpan)
	}
	// The bench's own tenant is gone; the history stays and is reused.
	var benchJobs int
	if err := db.QueryRow(`SELECT count(*) FROM jobs j JOIN organizations o ON o.id = j.organization_id WHERE o.name = 'bench'`).Scan(&benchJobs); err != nil {
		t.Fatal(err)
	}
	if benchJobs != 0 {
		t.Errorf("%d bench jobs left; want none", benchJobs)
	}
	res = benchOutput(t, env, args[:len(args)-1]...)
	checkDelivered(t, res, 40)
	if res["history_reused"] != true || res["history_seed_s"] != 0.0 {
		t.Errorf("second run: reused %v, seeded in %v s; want true, 0", res["history_reused"], res["history_seed_s"])
	}
	// Without --history-keep, the run removes the history it used.
	if got := count(); got != 0 {
		t.Errorf("%d seeded executions left after a run without --history-keep; want 0", got)
	}
}

// bench --mode enqueue, single and batch: every accepted request is
// stored once, and the figures are there.
func TestBenchEnqueue(t *testing.T) {
	for _, batch := range []string{"0", "10"} {
		res := benchOutput(t, nil, "--mode", "enqueue", "--enqueue-for", "1s", "--clients", "4", "--batch", batch)
		accepted, _ := res["accepted"].(float64)
		if accepted == 0 || res["stored"] != accepted || res["lost"] != 0.0 || res["duplicates"] != 0.0 {
			t.Errorf("--batch %s: accepted %v, stored %v, lost %v, duplicates %v; want all stored once",
				batch, res["accepted"], res["stored"], res["lost"], res["duplicates"])
		}
		if p, _ := res["per_second"].(float64); p <= 0 {
			t.Errorf("--batch %s: per_second %v", batch, res["per_second"])
		}
	}
}
