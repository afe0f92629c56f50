package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke/internal/store/storetest"
)

// The workflow mode runs end to end on both stores. Its timings belong to
// the machine and are not asserted; what is: every run succeeded, every
// step delivered once, and one hand-off measured per step with needs (b,
// c and the join d) per run, none negative (a step never reaches the
// sink before the answer to what it needs).
func TestBenchWorkflow(t *testing.T) {
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
			res := benchOutput(t, tc.env, "--mode", "workflow", "--runs", "20", "--workflow-respond", "20ms")
			if res["store"] != tc.store || res["mode"] != "workflow" || res["runs"] != 20.0 || res["steps"] != 4.0 || res["respond_ms"] != 20.0 {
				t.Errorf("store %v, mode %v, runs %v, steps %v", res["store"], res["mode"], res["runs"], res["steps"])
			}
			checkDelivered(t, res, 80)
			if res["succeeded"] != 20.0 || res["not_done"] != 0.0 || res["handoffs"] != 60.0 {
				t.Errorf("succeeded %v, not done %v, handoffs %v; want 20, 0, 60", res["succeeded"], res["not_done"], res["handoffs"])
			}
			for _, k := range []string{"handoff_p50_ms", "handoff_p99_ms", "handoff_max_ms", "join_handoff_p99_ms", "runs_per_second"} {
				if v, ok := res[k].(float64); !ok || v < 0 {
					t.Errorf("%s = %v; want a figure, not negative", k, res[k])
				}
			}
		})
	}
}
