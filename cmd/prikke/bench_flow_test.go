package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke/internal/store/storetest"
)

// The flow mode runs end to end on both stores. Its timing figures belong
// to the machine and are not asserted; what is: every request delivered
// once, the start slots within rate + burst - 1 a second, the sink never
// holding more than the parallelism, and the key's run lasting at least
// its requests' intervals (the limit was applied, not skipped).
func TestBenchFlow(t *testing.T) {
	args := []string{"--mode", "flow", "--jobs", "60", "--flow-requests", "30", "--flow-rate", "30",
		"--flow-parallelism", "2", "--flow-respond", "40ms", "--flow-unlimited-after", "200ms"}
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
			for _, k := range []string{"max_in_flight", "max_per_window", "window_bound", "duration_s", "duration_bound_s",
				"max_slots_per_window", "unlimited_lateness_p99_ms", "baseline_lateness_p99_ms", "limited_throttled_max_ms"} {
				if _, ok := res[k]; !ok {
					t.Errorf("bench output has no %q: %v", k, res)
				}
			}
			if res["store"] != tc.store || res["mode"] != "flow" || res["limited"] != 30.0 || res["unlimited"] != 60.0 {
				t.Errorf("store %v, mode %v, limited %v, unlimited %v", res["store"], res["mode"], res["limited"], res["unlimited"])
			}
			checkDelivered(t, res, 90)
			if res["baseline_lost"] != 0.0 || res["baseline_duplicates"] != 0.0 {
				t.Errorf("baseline lost %v, duplicates %v", res["baseline_lost"], res["baseline_duplicates"])
			}
			if n := res["max_slots_per_window"].(float64); n < 1 || n > 30 {
				t.Errorf("max_slots_per_window %v; want 1-30 (rate 30, burst 1)", n)
			}
			if n := res["max_in_flight"].(float64); n < 1 || n > 2 {
				t.Errorf("max_in_flight %v; want 1-2 (parallelism 2)", n)
			}
			// 30 starts at 30/s: the last at least 29 intervals after the
			// first, which is no earlier than the due instant.
			if d := res["duration_s"].(float64); d < (29 * time.Second / 30).Seconds() {
				t.Errorf("duration_s %v; 30 requests at 30/s take at least 29/30 s", d)
			}
			if thr := res["limited_throttled_max_ms"].(float64); thr < 900 {
				t.Errorf("limited_throttled_max_ms %v; the last of 30 at 30/s waits at least 900ms", thr)
			}
		})
	}
}
