package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/migration"
)

// nodeBeatEvery is how often a node writes its node heartbeat.
const nodeBeatEvery = 5 * time.Second

// nodeBeat writes this node's heartbeat (store.NodeBeat + its ID, its
// prikke.NodeInfo as JSON) every nodeBeatEvery while it serves: what the
// operator console's Nodes lists. It stops beating on shutdown; the
// console forgets a node silent for service.NodeForgetAfter.
type nodeBeat struct {
	st     store.Store
	logger *slog.Logger
	info   prikke.NodeInfo // the parts that do not change
	// load and leader read the worker and the scheduler (nil: zero).
	load   func() (inFlight, workers int)
	leader func() bool
	loop   startstop.Loop
}

func newNodeBeat(st store.Store, id string, startedAt time.Time, load func() (int, int), leader func() bool, logger *slog.Logger) *nodeBeat {
	schema, err := schemaVersion(st.Dialect())
	if err != nil {
		logger.Warn("node heartbeat: the migrations this binary knows are unreadable", "error", err)
	}
	return &nodeBeat{st: st, logger: logger, load: load, leader: leader, info: prikke.NodeInfo{
		ID: id, Version: versionString(), Revision: revision(), Schema: schema, StartedAt: startedAt.UTC()}}
}

// Start beats at once, then every nodeBeatEvery until Stop.
func (n *nodeBeat) Start(ctx context.Context) {
	n.loop.Start(ctx, startstop.Every(nodeBeatEvery, n.beat))
}

// Stop stops beating.
func (n *nodeBeat) Stop() { n.loop.Stop() }

func (n *nodeBeat) beat(ctx context.Context) {
	b, err := json.Marshal(n.now())
	if err != nil {
		n.logger.Error("node heartbeat: encode failed", "error", err)
		return
	}
	if err := n.st.HeartbeatPut(ctx, store.NodeBeat+n.info.ID, string(b)); err != nil && ctx.Err() == nil {
		n.logger.Warn("node heartbeat failed", "error", err)
	}
}

// now is the node's report at this moment.
func (n *nodeBeat) now() prikke.NodeInfo {
	info := n.info
	if n.load != nil {
		info.InFlight, info.Workers = n.load()
	}
	if n.leader != nil {
		info.Leader = n.leader()
	}
	info.Goroutines = runtime.NumGoroutine()
	info.HeapBytes = heapBytes()
	info.Load1 = load1()
	return info
}

// heapBytes is the Go heap in use: its objects (runtime/metrics, which
// does not stop the world as runtime.ReadMemStats does).
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// load1 is the machine's 1-minute load average from /proc/loadavg, 0
// where the system does not say.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0
	}
	return v
}

// revision is the VCS revision the binary was built from, when the build
// recorded it.
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

// schemaVersion is the newest migration this binary knows for the
// store's dialect: the highest NNNNN of its embedded NNNNN_name.sql.
func schemaVersion(dialect string) (int64, error) {
	d := migration.SQLite
	if dialect != "sqlite" {
		d = migration.Postgres
	}
	fsys, err := migration.FS(d)
	if err != nil {
		return 0, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, err
	}
	var newest int64
	for _, name := range names {
		num, _, _ := strings.Cut(name, "_")
		if v, err := strconv.ParseInt(num, 10, 64); err == nil && v > newest {
			newest = v
		}
	}
	return newest, nil
}
