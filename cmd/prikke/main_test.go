package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe output buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envOf is a command's environment in a test: kv, with no memory limit
// unless kv sets one (the test binary runs many servers and benches side
// by side; a node's limit on its collector is not for it).
func envOf(kv map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := kv[k]; ok || k != "PRIKKE_MEMORY_LIMIT" {
			return v
		}
		return "off"
	}
}

// runCmd runs a short command and returns stdout, stderr and the error.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut syncBuffer
	err := run(context.Background(), args, envOf(env), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

var (
	listenRE  = regexp.MustCompile(`listening on (http://\S+)`)
	metricsRE = regexp.MustCompile(`metrics on (http://\S+)`)
)

// startServer runs `prikke serve` in the background on a fresh SQLite
// file and returns its base URL and a stop function that waits for exit.
func startServer(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	base, _, stop := startServerOutput(t, env)
	return base, stop
}

// startServerOutput is startServer that also returns what the server
// prints on stdout.
func startServerOutput(t *testing.T, env map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), &out, &errOut) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			base := m[1]
			waitHealthy(t, base)
			var once sync.Once
			var stopErr error
			stop := func() error {
				once.Do(func() {
					cancel()
					select {
					case stopErr = <-done:
					case <-time.After(30 * time.Second):
						stopErr = errors.New("server did not stop within 30s")
					}
				})
				return stopErr
			}
			t.Cleanup(func() { stop() })
			return base, &out, stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("server exited: %v\n%s", err, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start:\n%s", errOut.String())
		}
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered 200: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testEnv(t *testing.T) map[string]string {
	return map[string]string{
		"PRIKKE_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "prikke.db"),
		"PRIKKE_ADDR":         "127.0.0.1:0",
		"PRIKKE_METRICS_ADDR": "127.0.0.1:0",
		"PRIKKE_LOG_LEVEL":    "warn",
	}
}

func TestServeHealthAndShutdown(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	base, out, stop := startServerOutput(t, env)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/healthz = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// /metrics is not served on the public address, only on its own.
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("prikke_")) {
		t.Errorf("PRIKKE_ADDR serves /metrics: %d %.200s", resp.StatusCode, body)
	}
	m := metricsRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", out.String())
	}
	resp, err = http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("metrics address: %d %s", resp.StatusCode, body)
	}
	// (Counters with labels, like prikke_deliveries_total, appear once used.)
	for _, m := range []string{"prikke_delivery_lateness_seconds", "prikke_queue_depth 0\n", "prikke_executions_running 0\n", "prikke_in_flight", "prikke_claim_batch_size"} {
		if !bytes.Contains(body, []byte(m)) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	req, _ := http.NewRequest("TRACE", base+"/", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("TRACE = %d %s, want 405 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	// A second server on the same file exits at once with a clear message.
	start := time.Now()
	_, _, err = runCmd(t, env, "serve")
	if err == nil || !strings.Contains(err.Error(), "database in use by another Prikke process (pid") {
		t.Errorf("second server: %v", err)
	}
	// At once, not after waiting on the lock (the bound leaves room for a
	// busy machine; the file lock is never waited on).
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("second server took %v to give up", el)
	}
	// Operator commands still work beside the server.
	if out, _, err := runCmd(t, env, "migrate", "status"); err != nil || !strings.Contains(out, "00001") {
		t.Errorf("migrate status beside a server: %q, %v", out, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown; want nil (exit 0)", err)
	}
	// The file is free again.
	_, stop2 := startServer(t, env)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
}

func TestServeWithoutDatabase(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["PRIKKE_DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	err := run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatal("serve started without a database")
	}
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, nil, "cron", "next", "--tz", "Europe/Oslo", "--from", "2026-03-28T12:00:00Z", "--count", "3", "30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-03-29T01:00:00Z\n2026-03-30T00:30:00Z\n2026-03-31T00:30:00Z\n"
	if out != want {
		t.Errorf("cron next =\n%s\nwant\n%s", out, want)
	}
	// Strictly after --from, flags after the expression, unquoted fields.
	out, _, err = runCmd(t, nil, "cron", "next", "0", "*", "*", "*", "*", "--from", "2026-01-01T10:00:00Z", "--count", "2")
	if err != nil || out != "2026-01-01T11:00:00Z\n2026-01-01T12:00:00Z\n" {
		t.Errorf("cron next = %q, %v", out, err)
	}
	// Default count is 5.
	out, _, _ = runCmd(t, nil, "cron", "next", "--from", "2026-01-01T00:00:00Z", "@hourly")
	if strings.Count(out, "\n") != 5 {
		t.Errorf("default count: %q", out)
	}
	for _, bad := range [][]string{
		{"cron", "next", "0 0 30 2 *"},
		{"cron", "next", "--tz", "Mars/Phobos", "* * * * *"},
		{"cron", "next", "--from", "yesterday", "* * * * *"},
		{"cron", "next", "--count", "0", "* * * * *"},
		{"cron", "next"},
		{"cron", "next", "* * * * * *"},
	} {
		out, _, err := runCmd(t, nil, bad...)
		if err == nil || out != "" {
			t.Errorf("%v: out %q err %v; want an error and no output", bad, out, err)
		}
	}
}

func TestCronExplain(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, nil, "cron", "explain", "30 9 * * 1-5")
	if err != nil || !strings.Contains(out, "09:30") || !strings.Contains(strings.ToLower(out), "monday") {
		t.Errorf("explain = %q, %v", out, err)
	}
	if _, _, err := runCmd(t, nil, "cron", "explain", "@reboot"); err == nil {
		t.Error("explain accepted @reboot")
	}
	// --tz is read like `cron next`'s, before or after the expression, and
	// named in the answer; it is not taken for two more cron fields.
	out, _, err = runCmd(t, nil, "cron", "explain", "--tz", "Europe/Oslo", "30 9 * * 1-5")
	if err != nil || out != "At 09:30, Monday through Friday (Europe/Oslo time)\n" {
		t.Errorf("explain --tz = %q, %v", out, err)
	}
	out, _, err = runCmd(t, nil, "cron", "explain", "30", "9", "*", "*", "1-5", "--tz", "Europe/Oslo")
	if err != nil || !strings.Contains(out, "Europe/Oslo") {
		t.Errorf("explain EXPR --tz = %q, %v", out, err)
	}
	_, _, err = runCmd(t, nil, "cron", "explain", "--tz", "Europe/Oslo", "30 9 * *")
	if err == nil || !strings.Contains(err.Error(), "got 4") || strings.Contains(err.Error(), "7") {
		t.Errorf("explain --tz with four fields: %v; want the four fields named", err)
	}
	for _, bad := range [][]string{
		{"cron", "explain", "--tz", "Mars/Phobos", "* * * * *"},
		{"cron", "explain", "--tz", "Europe/Oslo"},
		{"cron", "explain"},
	} {
		if out, _, err := runCmd(t, nil, bad...); err == nil || out != "" {
			t.Errorf("%v: out %q err %v; want an error and no output", bad, out, err)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	out, _, err := runCmd(t, nil, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serve", "migrate", "cron next", "bench", "PRIKKE_DATABASE_URL", "PRIKKE_SSRF_ALLOW", "PRIKKE_SMTP_HOST", "PRIKKE_WORKERS_MAX", "PRIKKE_METRICS_ADDR", "PRIKKE_METRICS_TOKEN", "cron explain [--tz ZONE]"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if out, _, _ := runCmd(t, nil, "version"); !strings.HasPrefix(out, "prikke ") {
		t.Errorf("version = %q", out)
	}
	_, _, err = runCmd(t, nil, "frobnicate")
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("unknown command error = %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	_, _, err := runCmd(t, map[string]string{"PRIKKE_ENV": "production", "PRIKKE_SSRF_ALLOW": "127.0.0.1:9"}, "serve")
	if err == nil || !strings.Contains(err.Error(), "PRIKKE_SSRF_ALLOW") || !strings.Contains(err.Error(), "PRIKKE_SECRET_KEY") {
		t.Errorf("production with a test allow list: %v", err)
	}
}

// TestUnreadableRequestIsProblem: a request net/http refuses before any
// handler runs (a control byte in a header value) is answered with
// problem+json naming the header, like every other error.
func TestUnreadableRequestIsProblem(t *testing.T) {
	t.Parallel()
	base, _ := startServer(t, testEnv(t))
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "POST /api/v1/projects/x/jobs HTTP/1.1\r\nHost: prikke\r\nIdempotency-Key: a\x01b\r\nContent-Length: 2\r\n\r\n{}")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		!bytes.Contains(body, []byte(`"status":400`)) || !bytes.Contains(body, []byte("The Idempotency-Key header's value contains a control character")) {
		t.Errorf("control byte in a header: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
