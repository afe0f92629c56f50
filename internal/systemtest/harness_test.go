// Package systemtest starts real prikke processes (several for cluster
// tests) against a loopback sink and a real PostgreSQL, and kills them
// (SIGKILL, SIGTERM, SIGSTOP) to prove nothing is lost or duplicated. Tests
// that restart or crash PostgreSQL start a throwaway server of their own.
package systemtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prikke/prikke/internal/seal"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/sqlitestore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// binary is the prikke binary built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "prikke-systemtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "prikke")
	if !testingShort() {
		cmd := exec.Command("go", "build", "-o", binary, "github.com/prikke/prikke/cmd/prikke")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build prikke:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testingShort() bool {
	for _, a := range os.Args {
		if a == "-test.short=true" || a == "-test.short" {
			return true
		}
	}
	return false
}

// secretKey is every node's PRIKKE_SECRET_KEY, so the test process can
// open the same database and read the same secrets.
const secretKey = "systemtest-secret-key-0123456789abcdefghij"

// node is a running prikke process.
type node struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	base   string
	logs   *lockedBuffer
	exited chan struct{}
	err    error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startNode starts `prikke serve` with env (plus test defaults) and waits
// until it answers /healthz.
func startNode(t *testing.T, name string, env map[string]string) *node {
	t.Helper()
	return startNodeOf(t, binary, name, env)
}

// startNodeOf is startNode with the prikke binary at bin (another
// release's, say).
func startNodeOf(t *testing.T, bin, name string, env map[string]string) *node {
	t.Helper()
	if testing.Short() {
		t.Skip("system test")
	}
	full := map[string]string{
		"PRIKKE_ADDR":         "127.0.0.1:0",
		"PRIKKE_METRICS_ADDR": "127.0.0.1:0", // several nodes share the host
		"PRIKKE_NODE_ID":      name,
		"PRIKKE_SECRET_KEY":   secretKey,
		"PRIKKE_LOG_LEVEL":    "info",
		"PRIKKE_LOG_FORMAT":   "text",
		"PRIKKE_LEADER_TTL":   "3s",
		"PRIKKE_RESCUE_GRACE": "3s",
		// 128 workers: 16 database connections per node (24 at most
		// whatever the workers), so clusters stay within PostgreSQL's 100.
		"PRIKKE_WORKERS_MAX": "128",
	}
	for k, v := range env {
		full[k] = v
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, name: name, cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = n.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		n.err = cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", name, tail(n.logs.String(), 60))
		}
	})
	select {
	case n.base = <-urls:
	case <-n.exited:
		t.Fatalf("%s exited at start: %v\n%s", name, n.err, n.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", name, n.logs.String())
	}
	waitUntil(t, name+" healthy", 20*time.Second, func() bool { return n.health() == 200 })
	return n
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// health returns the status of /healthz (0 if unreachable).
func (n *node) health() int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(n.base + "/healthz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (n *node) signal(sig syscall.Signal) {
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(sig)
	}
}

func (n *node) kill() {
	n.signal(syscall.SIGKILL)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
	}
}

// waitExit waits for the process and returns its exit code.
func (n *node) waitExit(d time.Duration) (int, bool) {
	select {
	case <-n.exited:
		if ee, ok := n.err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		return 0, true
	case <-time.After(d):
		return -1, false
	}
}

func (n *node) alive() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// database is a fresh PostgreSQL database for one test.
type database struct {
	url   string
	store *pgstore.Store
}

// newDatabase creates a database on the server at adminURL, migrates it
// and opens a store on it for the test's own reads and writes.
func newDatabase(t *testing.T, adminURL string) *database {
	t.Helper()
	db := newEmptyDatabase(t, adminURL)
	if err := db.store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// newEmptyDatabase is newDatabase without the migrations: the first node
// started on it migrates it.
func newEmptyDatabase(t *testing.T, adminURL string) *database {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		if storetest.RequirePostgres() {
			t.Fatalf("PostgreSQL is not reachable at %s: %v", adminURL, err)
		}
		t.Skipf("PostgreSQL is not reachable at %s: %v", adminURL, err)
	}
	name := "prikke_sys_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	url := replaceDB(adminURL, name)
	sealer, _ := seal.New(secretKey)
	s, err := pgstore.Open(ctx, url, store.Options{Sealer: sealer, MaxConns: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return &database{url: url, store: s}
}

// replaceDB swaps the database name in a postgres URL.
func replaceDB(url, name string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndexByte(url, '/')
	return url[:i+1] + name + q
}

// throwaway is a PostgreSQL server of a test's own, which it may restart
// and crash: initdb (as the postgres user) into a temporary directory, on
// a free port.
type throwaway struct {
	dir, bin string
	port     int
	ctl      func(args ...string) error
}

func startThrowaway(t *testing.T) *throwaway {
	t.Helper()
	if testing.Short() {
		t.Skip("system test")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		msg := "initdb not found under /usr/lib/postgresql (apt-get install postgresql)"
		if storetest.RequirePostgres() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Dir(bins[len(bins)-1])
	base, err := os.MkdirTemp("", "prikke-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o777)
	tw := &throwaway{dir: filepath.Join(base, "data"), bin: bin, port: freePort(t)}
	asPostgres := func(args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
		return exec.Command(args[0], args[1:]...)
	}
	if out, err := asPostgres(filepath.Join(bin, "initdb"), "-D", tw.dir, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	tw.ctl = func(args ...string) error {
		cmd := asPostgres(append([]string{filepath.Join(bin, "pg_ctl"), "-D", tw.dir, "-w", "-t", "60"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_ctl %v: %v\n%s", args, err, out)
		}
		return nil
	}
	if err := tw.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tw.ctl("stop", "-m", "immediate") })
	return tw
}

func (tw *throwaway) start() error {
	return tw.ctl("start", "-l", filepath.Join(filepath.Dir(tw.dir), "log"),
		"-o", fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", tw.port, filepath.Dir(tw.dir)))
}

func (tw *throwaway) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", tw.port)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// openSQLite opens the SQLite file at path as the test's own view of a
// node's database (its sealer is the nodes' key); it closes when the test
// ends.
func openSQLite(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	sealer, _ := seal.New(secretKey)
	s, err := sqlitestore.Open(context.Background(), path, sqlitestore.OpenOptions{Options: store.Options{Sealer: sealer}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
