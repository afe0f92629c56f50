package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPingRunAgainstServe runs `prikke run` against a real `prikke serve`
// (SQLite, the ping API, the scheduler's deadline loop) for three
// monitors: a command that succeeds (up, its duration recorded), one that
// exits 3 (down, the status and output in the flip), and one that outlives
// max_runtime (the scheduler flags it too long while it runs; its late
// success brings the monitor back up).
func TestPingRunAgainstServe(t *testing.T) {
	t.Parallel()
	d := startDevServer(t, "runner@example.com")
	create := func(slug string, extra map[string]any) (id, pingURL string) {
		t.Helper()
		body := map[string]any{"name": slug, "slug": slug, "period": "1h", "grace": "1h"}
		for k, v := range extra {
			body[k] = v
		}
		status, b := d.call("POST", "/api/v1/monitors", body)
		var m struct {
			ID      string `json:"id"`
			PingURL string `json:"ping_url"`
		}
		if status != 201 || json.Unmarshal(b, &m) != nil || m.PingURL == "" {
			t.Fatalf("create %s = %d %s", slug, status, b)
		}
		// The ping URL names the configured base URL; ping this server.
		u, err := url.Parse(m.PingURL)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID, d.base + u.Path
	}
	get := func(id string) (m struct {
		Status       string `json:"status"`
		LastDuration string `json:"last_duration"`
		LastPingKind string `json:"last_ping_kind"`
		OpenRuns     []any  `json:"open_runs"`
	}) {
		t.Helper()
		status, b := d.call("GET", "/api/v1/monitors/"+id, nil)
		if status != 200 || json.Unmarshal(b, &m) != nil {
			t.Fatalf("get monitor = %d %s", status, b)
		}
		return m
	}
	type flip struct{ Event, From, To, Detail string }
	flips := func(id string) []flip {
		t.Helper()
		status, b := d.call("GET", "/api/v1/monitors/"+id+"/flips", nil)
		var out struct{ Flips []flip }
		if status != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("flips = %d %s", status, b)
		}
		return out.Flips
	}

	// Succeeds: up, with the run's duration measured from its start.
	okID, okURL := create("succeeds", nil)
	out, errOut, status := runPing(t, nil, "--ping", okURL, "--", "sh", "-c", "sleep 0.2; echo backed up")
	if status != 0 || out != "backed up\n" || errOut != "" {
		t.Fatalf("succeeding command: status %d, stdout %q, stderr %q", status, out, errOut)
	}
	m := get(okID)
	dur, err := time.ParseDuration(m.LastDuration)
	if m.Status != "up" || m.LastPingKind != "success" || err != nil || dur < 200*time.Millisecond || len(m.OpenRuns) != 0 {
		t.Errorf("after a success: %+v; want up, a duration of at least the command's 0.2 s, no open run", m)
	}

	// Fails with status 3: down, the flip names the status and the output.
	failID, failURL := create("fails", nil)
	_, errOut, status = runPing(t, nil, "--ping", failURL, "--", "sh", "-c", "echo disk full >&2; exit 3")
	if status != 3 || errOut != "disk full\n" {
		t.Fatalf("failing command: status %d, stderr %q; want 3", status, errOut)
	}
	if m := get(failID); m.Status != "down" || m.LastPingKind != "fail" {
		t.Errorf("after exit 3: %+v; want down", m)
	}
	if fs := flips(failID); len(fs) != 1 || fs[0].Event != "monitor.failed" || fs[0].To != "down" ||
		!strings.Contains(fs[0].Detail, "3") || !strings.Contains(fs[0].Detail, "disk full") {
		t.Errorf("flips after exit 3: %+v; want one monitor.failed naming the status and the output", fs)
	}

	// Outlives max_runtime: the command waits until the scheduler has
	// flagged the run too long, then ends well.
	longID, longURL := create("too-long", map[string]any{"max_runtime": "1s"})
	release := filepath.Join(t.TempDir(), "release")
	done := make(chan error, 1)
	go func() {
		_, _, err := runCmd(t, nil, "run", "--ping", longURL, "--", "sh", "-c", `while [ ! -e "$0" ]; do sleep 0.05; done`, release)
		done <- err
	}()
	var tooLong []flip
	for deadline := time.Now().Add(30 * time.Second); len(tooLong) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no monitor.too_long flip within 30 s; flips %+v, monitor %+v", flips(longID), get(longID))
		}
		for _, f := range flips(longID) {
			if f.Event == "monitor.too_long" {
				tooLong = append(tooLong, f)
			}
		}
	}
	if m := get(longID); m.Status != "down" || len(m.OpenRuns) != 0 {
		t.Errorf("while the run outlives max_runtime: %+v; want down with the run closed", m)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the long command: %v, want exit status 0", err)
	}
	fs := flips(longID)
	if len(tooLong) != 1 || tooLong[0].To != "down" || !strings.Contains(tooLong[0].Detail, "1s") ||
		len(fs) != 2 || fs[0].Event != "monitor.up" {
		t.Errorf("flips: %+v; want monitor.too_long (down, naming the 1s limit), then monitor.up when it ended well", fs)
	}
}
