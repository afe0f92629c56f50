package main

import (
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

// applyMemoryLimit sets the soft limit and GOGC 200, leaves both to the
// environment when GOMEMLIMIT or GOGC is set there, and does nothing for
// no limit. (Not parallel: it changes the process's collector, restored
// at the end.)
func TestApplyMemoryLimit(t *testing.T) {
	current := func() (int64, int) {
		limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
		return limit, percent
	}
	oldLimit, oldPercent := current()
	t.Cleanup(func() { debug.SetMemoryLimit(oldLimit); debug.SetGCPercent(oldPercent) })
	logger := slog.New(slog.DiscardHandler)
	reset := func() { debug.SetMemoryLimit(math.MaxInt64); debug.SetGCPercent(100) }
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	for _, tc := range []struct {
		name        string
		limit       int64
		env         map[string]string
		wantLimit   int64
		wantPercent int
	}{
		{"set", 96 << 20, nil, 96 << 20, gcPercentUnderLimit},
		{"off", 0, nil, math.MaxInt64, 100},
		{"GOMEMLIMIT wins", 96 << 20, map[string]string{"GOMEMLIMIT": "1GiB"}, math.MaxInt64, gcPercentUnderLimit},
		{"GOGC wins", 96 << 20, map[string]string{"GOGC": "50"}, 96 << 20, 100},
	} {
		reset()
		applyMemoryLimit(tc.limit, env(tc.env), logger)
		if limit, percent := current(); limit != tc.wantLimit || percent != tc.wantPercent {
			t.Errorf("%s: limit %d, GOGC %d; want %d, %d", tc.name, limit, percent, tc.wantLimit, tc.wantPercent)
		}
	}
}
