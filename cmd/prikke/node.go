package main

import (
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
	"github.com/prikke/prikke/internal/store/migration"
)

// nodeBeatEvery is how often a node writes its node heartbeat, at most:
// more often when PRIKKE_NODE_DEAD_AFTER is short, so `prikke migrate`,
// which counts a node live by it within that time, never misses a live
// node between two beats.
const nodeBeatEvery = 5 * time.Second

func nodeBeatInterval(deadAfter time.Duration) time.Duration {
	return max(100*time.Millisecond, min(nodeBeatEvery, deadAfter/2))
}

// nodeBeat is what this node reports of itself in its node heartbeat
// (store.NodeBeat + its ID, written by the status reporter with its
// delivery statistics): what the operator console's Nodes lists and
// `prikke migrate` checks the live nodes' schema by.
type nodeBeat struct {
	info prikke.NodeInfo // the parts that do not change
	// load and leader read the worker and the scheduler (nil: zero).
	load   func() (inFlight, workers int)
	leader func() bool
}

func newNodeBeat(dialect, id string, startedAt time.Time, load func() (int, int), leader func() bool, logger *slog.Logger) *nodeBeat {
	schema, err := schemaVersion(dialect)
	if err != nil {
		logger.Warn("node heartbeat: the migrations this binary knows are unreadable", "error", err)
	}
	return &nodeBeat{load: load, leader: leader, info: prikke.NodeInfo{
		ID: id, Version: versionString(), Revision: revision(), Schema: schema, StartedAt: startedAt.UTC()}}
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
