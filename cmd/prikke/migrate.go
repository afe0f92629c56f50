package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
)

// migrate applies migrations, or prints their status.
//
// Every start applies the expand migrations (see package migration);
// `prikke migrate` is how an operator applies a contract step once every
// node runs a version that lives without what it drops. It refuses while
// an older node is alive, unless --allow-older-nodes.
func migrate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	allowOlder := fs.Bool("allow-older-nodes", false, "apply contract migrations even while older nodes run")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// migrate up|status [flags]
		if err := fs.Parse(args[1:]); err != nil {
			return usageError("migrate: " + err.Error())
		}
		args = append(args[:1], fs.Args()...)
	} else {
		if err := fs.Parse(args); err != nil {
			return usageError("migrate: " + err.Error())
		}
		args = fs.Args()
	}
	status := len(args) == 1 && args[0] == "status"
	if !status && (len(args) > 1 || len(args) == 1 && args[0] != "up") {
		return usageError("migrate: expected no argument, `up` or `status`")
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, false, newLogger(cfg, e.stderr), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if status {
		lines, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(e.stdout, l)
		}
		return nil
	}
	older, err := applyMigrations(ctx, st, cfg.NodeDeadAfter, *allowOlder)
	if err != nil {
		return err
	}
	if older != nil {
		return older
	}
	fmt.Fprintln(e.stdout, "migrations applied")
	return nil
}

// applyMigrations applies the pending migrations, stopping before the
// first contract step that a live older node cannot live with, unless
// allowOlder. It returns what stopped it (nil: all applied).
func applyMigrations(ctx context.Context, st *opened, deadAfter time.Duration, allowOlder bool) (*olderNodesError, error) {
	list, err := st.Migrations()
	if err != nil {
		return nil, err
	}
	applied, _, err := st.MigrationVersions(ctx)
	if err != nil {
		return nil, err
	}
	var pending []migration.Migration
	for _, m := range list {
		if m.Version > applied {
			pending = append(pending, m)
		}
	}
	if len(pending) == 0 {
		return nil, nil
	}
	if !allowOlder && slices.ContainsFunc(pending, func(m migration.Migration) bool { return m.Contract }) {
		nodes, err := liveNodes(ctx, st, deadAfter)
		if err != nil {
			return nil, err
		}
		if m, older, blocked := blockingContract(pending, nodes); blocked {
			if m.Version-1 > applied {
				if err := st.MigrateTo(ctx, m.Version-1); err != nil {
					return nil, err
				}
			}
			return &olderNodesError{m, older}, nil
		}
	}
	return nil, st.Migrate(ctx)
}

// autoMigrate is the migration every start runs: all but a contract step
// an older node still needs, which it leaves, with a warning, to
// `prikke migrate`.
func autoMigrate(ctx context.Context, st *opened, deadAfter time.Duration, logger *slog.Logger) error {
	older, err := applyMigrations(ctx, st, deadAfter, false)
	if older != nil {
		logger.Warn("a contract migration waits for older nodes; run `prikke migrate` once every node runs this version",
			"migration", older.m.Name, "older_nodes", older.names())
	}
	return err
}

// blockingContract returns the first pending contract migration that a
// live node is older than (its schema, the newest migration its binary
// knows, is below the migration's version; 0, unknown, is below all), and
// those nodes. pending is in version order.
func blockingContract(pending []migration.Migration, nodes []prikke.NodeInfo) (migration.Migration, []prikke.NodeInfo, bool) {
	for _, m := range pending {
		if !m.Contract {
			continue
		}
		var older []prikke.NodeInfo
		for _, n := range nodes {
			if n.Schema < m.Version {
				older = append(older, n)
			}
		}
		if len(older) > 0 {
			return m, older, true
		}
	}
	return migration.Migration{}, nil, false
}

// liveNodes returns the nodes that beat within deadAfter by the
// database's clock: from their node heartbeats, and as of unknown version
// and schema (0) for a node whose node heartbeat holds no schema or that
// has a live worker heartbeat only, as a release before NodeInfo runs.
func liveNodes(ctx context.Context, st store.Store, deadAfter time.Duration) ([]prikke.NodeInfo, error) {
	now, err := st.Now(ctx)
	if err != nil {
		return nil, err
	}
	live := func(h store.Heartbeat) bool { return now.Sub(h.At) < deadAfter }
	var nodes []prikke.NodeInfo
	seen := map[string]bool{}
	beats, err := st.HeartbeatList(ctx, store.NodeBeat)
	if err != nil {
		return nil, err
	}
	for _, h := range beats {
		if !live(h) {
			continue
		}
		// Releases before NodeInfo wrote their delivery statistics here:
		// no schema in them, so 0, unknown, as old as can be.
		var n prikke.NodeInfo
		if err := json.Unmarshal([]byte(h.Detail), &n); err != nil {
			n = prikke.NodeInfo{}
		}
		n.ID, n.BeatAt = strings.TrimPrefix(h.Name, store.NodeBeat), h.At
		nodes = append(nodes, n)
		seen[n.ID] = true
	}
	beats, err = st.HeartbeatList(ctx, store.WorkerBeat)
	if err != nil {
		return nil, err
	}
	for _, h := range beats {
		id := strings.TrimPrefix(h.Name, store.WorkerBeat)
		if live(h) && !seen[id] {
			nodes = append(nodes, prikke.NodeInfo{ID: id, BeatAt: h.At})
		}
	}
	slices.SortFunc(nodes, func(a, b prikke.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	return nodes, nil
}

// olderNodesError is `prikke migrate`'s refusal: live nodes older than a
// contract migration.
type olderNodesError struct {
	m     migration.Migration
	nodes []prikke.NodeInfo
}

func (e *olderNodesError) names() []string {
	var out []string
	for _, n := range e.nodes {
		out = append(out, n.ID)
	}
	return out
}

func (e *olderNodesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "migration %s is a contract step: it drops or changes what older versions of Prikke use, and %d running node(s) are older:\n", e.m.Name, len(e.nodes))
	for _, n := range e.nodes {
		if n.Schema == 0 {
			fmt.Fprintf(&b, "  %s  version unknown (a release that does not report its schema)\n", n.ID)
			continue
		}
		fmt.Fprintf(&b, "  %s  version %s, knows migrations up to %05d\n", n.ID, n.Version, n.Schema)
	}
	fmt.Fprintf(&b, "Every migration before it is applied. Upgrade those nodes to this version first, then run `prikke migrate` again;\n")
	fmt.Fprintf(&b, "or, if they can live without what it drops (or are gone), run `prikke migrate --allow-older-nodes`.")
	return b.String()
}

func versionValue() string { return prikke.Version }
