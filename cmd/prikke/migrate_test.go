package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestBlockingContract is the rule `prikke migrate` and every start
// follow: a contract step waits while a live node is older than it.
func TestBlockingContract(t *testing.T) {
	expand := func(v int64) migration.Migration { return migration.Migration{Version: v, Name: "expand"} }
	contract := func(v int64) migration.Migration {
		return migration.Migration{Version: v, Name: "contract", Contract: true}
	}
	node := func(id string, schema int64) prikke.NodeInfo { return prikke.NodeInfo{ID: id, Schema: schema} }
	for _, c := range []struct {
		name    string
		pending []migration.Migration
		nodes   []prikke.NodeInfo
		want    int64    // the blocked migration, 0 for none
		older   []string // the nodes named
	}{
		{"nothing pending", nil, []prikke.NodeInfo{node("a", 0)}, 0, nil},
		{"expand only, older nodes", []migration.Migration{expand(13), expand(14)}, []prikke.NodeInfo{node("a", 0), node("b", 12)}, 0, nil},
		{"contract, no live node", []migration.Migration{expand(13), contract(14)}, nil, 0, nil},
		{"contract, every node knows it", []migration.Migration{contract(14)}, []prikke.NodeInfo{node("a", 14), node("b", 15)}, 0, nil},
		{"contract, a node one behind", []migration.Migration{expand(13), contract(14)}, []prikke.NodeInfo{node("a", 14), node("b", 13)}, 14, []string{"b"}},
		{"contract, a node of unknown schema", []migration.Migration{contract(14)}, []prikke.NodeInfo{node("old", 0), node("a", 14)}, 14, []string{"old"}},
		{"the first blocked contract", []migration.Migration{contract(13), expand(14), contract(15)}, []prikke.NodeInfo{node("a", 13), node("b", 14)}, 15, []string{"a", "b"}},
		{"an earlier contract blocks first", []migration.Migration{contract(13), contract(15)}, []prikke.NodeInfo{node("a", 12), node("b", 14)}, 13, []string{"a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, older, blocked := blockingContract(c.pending, c.nodes)
			var names []string
			for _, n := range older {
				names = append(names, n.ID)
			}
			if blocked != (c.want != 0) || m.Version != c.want || !slices.Equal(names, c.older) {
				t.Errorf("blockingContract = %d %v %v; want %d %v", m.Version, names, blocked, c.want, c.older)
			}
		})
	}
}

// contractEnvs returns an environment per store dialect, each on a fresh
// database: an SQLite file, and a PostgreSQL database of its own (the
// migrations live in the default schema, as a deployment's do).
func contractEnvs(t *testing.T) map[string]map[string]string {
	sqlite := testEnv(t)
	envs := map[string]map[string]string{"sqlite": sqlite}
	ctx := context.Background()
	admin := storetest.PostgresURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if storetest.RequirePostgres() {
			t.Fatalf("PostgreSQL is not reachable at %s: %v", admin, err)
		}
		t.Logf("PostgreSQL is not reachable at %s (%v): testing SQLite only", admin, err)
		return envs
	}
	defer conn.Close(ctx)
	name := "prikke_migrate_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	pg := testEnv(t)
	pg["PRIKKE_DATABASE_URL"] = withDatabase(admin, name)
	envs["postgres"] = pg
	return envs
}

// withDatabase returns the postgres URL url with the database name name.
func withDatabase(url, name string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	return url[:strings.LastIndexByte(url, '/')+1] + name + q
}

// TestMigrateContract checks, on both stores, that a contract migration
// waits for the older nodes: a start applies everything before it and
// warns; `prikke migrate` refuses it, naming the live older nodes and the
// migration, while a dead node's heartbeat does not count; and
// --allow-older-nodes applies it. The contract step is one a test adds
// (migration.AddForTest): no release has one yet. Not parallel: the added
// migrations are seen by every store this test binary opens meanwhile.
func TestMigrateContract(t *testing.T) {
	for dialect, env := range contractEnvs(t) {
		t.Run(dialect, func(t *testing.T) {
			env["PRIKKE_NODE_DEAD_AFTER"] = "5m" // a beat stays live throughout
			// The probe migrations follow the real ones: an expand step x
			// and a contract step c.
			x, err := schemaVersion(dialect)
			if err != nil {
				t.Fatal(err)
			}
			x++
			c := x + 1
			xName, cName := fmt.Sprintf("%05d_probe.sql", x), fmt.Sprintf("%05d_drop_probe.sql", c)
			if _, stderr, err := runCmd(t, env, "migrate"); err != nil {
				t.Fatalf("migrate: %v\n%s", err, stderr)
			}
			// The nodes, as their heartbeats show them: one of a release
			// before NodeInfo (a worker beat and statistics), one that knows
			// migrations up to x, one up to c, and one long dead.
			withStore(t, env, func(st *opened) {
				ctx := context.Background()
				beat := func(name string, info *prikke.NodeInfo) {
					detail := "incarnation"
					if info != nil {
						b, _ := json.Marshal(info)
						detail = string(b)
					}
					if err := st.HeartbeatPut(ctx, name, detail); err != nil {
						t.Fatal(err)
					}
				}
				beat(store.NodeBeat+"dead", &prikke.NodeInfo{ID: "dead", Version: "0.9.0", Schema: 5})
				beat(store.WorkerBeat+"dead", nil)
				beat(store.WorkerBeat+"old", nil)
				// A release before NodeInfo wrote its statistics under the
				// node heartbeat's name: no schema in them.
				if err := st.HeartbeatPut(ctx, store.NodeBeat+"old", `{"node":"old","delivered":3,"failed":0}`); err != nil {
					t.Fatal(err)
				}
				beat(store.NodeBeat+"mid", &prikke.NodeInfo{ID: "mid", Version: "1.1.0", Schema: x})
				beat(store.WorkerBeat+"mid", nil)
				beat(store.NodeBeat+"new", &prikke.NodeInfo{ID: "new", Version: "1.2.0", Schema: c})
				beat(store.WorkerBeat+"new", nil)
			})
			backdate(t, dialect, env, "%:dead", time.Hour)

			migration.AddForTest(t, xName, "-- +goose Up\nCREATE TABLE upgrade_probe (id {{.Int}});\n-- +goose Down\nDROP TABLE upgrade_probe;\n")
			migration.AddForTest(t, cName, migration.ContractMarker+"\n-- +goose Up\nDROP TABLE upgrade_probe;\n-- +goose Down\nCREATE TABLE upgrade_probe (id {{.Int}});\n")

			// A start (here `migrate status`, which opens the store as serve
			// does) applies x, stops before c and says why.
			out, stderr, err := runCmd(t, env, "migrate", "status")
			if err != nil {
				t.Fatalf("migrate status: %v\n%s", err, stderr)
			}
			if !regexpMatch(fmt.Sprintf(`%05d applied`, x), out) || !regexpMatch(fmt.Sprintf(`%05d pending\s+%s  \(contract`, c, cName), out) ||
				regexpMatch(fmt.Sprintf(`%05d.*contract`, x-1), out) {
				t.Errorf("status after a start:\n%s", out)
			}
			if !strings.Contains(stderr, "a contract migration waits for older nodes") || !strings.Contains(stderr, cName) {
				t.Errorf("the start's warning:\n%s", stderr)
			}

			// prikke migrate refuses, naming the older live nodes.
			_, _, err = runCmd(t, env, "migrate")
			if err == nil {
				t.Fatal("migrate applied a contract step while older nodes run")
			}
			msg := err.Error()
			t.Logf("the refusal:\n%s", msg)
			for _, want := range []string{"migration " + cName + " is a contract step", "2 running node(s) are older",
				fmt.Sprintf("  mid  version 1.1.0, knows migrations up to %05d", x), "  old  version unknown", "prikke migrate --allow-older-nodes"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the refusal lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, "new") || strings.Contains(msg, "dead") {
				t.Errorf("the refusal names a node that does not block:\n%s", msg)
			}

			withStore(t, env, func(st *opened) {
				ctx := context.Background()
				// A node whose beats are older than DeadAfter is gone.
				nodes, err := liveNodes(ctx, st, 5*time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, n := range nodes {
					ids = append(ids, n.ID)
				}
				if !slices.Equal(ids, []string{"mid", "new", "old"}) {
					t.Errorf("live nodes %v, want mid, new, old", ids)
				}
				if applied, needed, err := st.MigrationVersions(ctx); err != nil || applied != x || needed != x {
					t.Errorf("MigrationVersions = %d, %d, %v; want %d applied and needed (%d is a contract step)", applied, needed, err, x, c)
				}
			})

			if out, stderr, err := runCmd(t, env, "migrate", "--allow-older-nodes"); err != nil || !strings.Contains(out, "migrations applied") {
				t.Fatalf("migrate --allow-older-nodes: %q %v\n%s", out, err, stderr)
			}
			out, _, err = runCmd(t, env, "migrate", "status")
			if err != nil || !regexpMatch(fmt.Sprintf(`%05d applied`, c), out) {
				t.Errorf("status after --allow-older-nodes: %v\n%s", err, out)
			}
		})
	}
}

// backdate moves the heartbeats whose names are LIKE pattern d into the
// past, as a node that stopped beating leaves them.
func backdate(t *testing.T, dialect string, env map[string]string, pattern string, d time.Duration) {
	t.Helper()
	var db *sql.DB
	var err error
	query := "UPDATE heartbeats SET beat_at = beat_at - $1 * interval '1 microsecond' WHERE name LIKE $2"
	if dialect == "sqlite" {
		db, err = sql.Open("sqlite", strings.TrimPrefix(env["PRIKKE_DATABASE_URL"], "sqlite:"))
		query = "UPDATE heartbeats SET beat_at = beat_at - ?1 WHERE name LIKE ?2"
	} else {
		db, err = sql.Open("pgx", env["PRIKKE_DATABASE_URL"])
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(query, d.Microseconds(), pattern)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("backdate %s: no heartbeat", pattern)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
