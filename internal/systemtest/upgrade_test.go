package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
)

// previousRelease is the commit the rolling-upgrade test runs beside the
// current code: main just before migration 00012 (its migrations end at
// 00011), and before node heartbeats. Move it to the last release's tag
// when one ships.
const previousRelease = "b0f55a7"

var (
	releaseOnce sync.Once
	releaseBin  string
	releaseErr  error
	releaseSkip string
)

// releaseBinary builds prikke at commit from this checkout's own git
// history, once per test run, and keeps it under os.TempDir keyed by the
// commit so that reruns skip the build. A checkout without the commit
// (a shallow clone) skips the test, saying so; any other failure fails it.
func releaseBinary(t *testing.T, commit string) string {
	t.Helper()
	releaseOnce.Do(func() {
		root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
		if err != nil {
			releaseSkip = "not in a git checkout, so the previous release cannot be built: " + err.Error()
			return
		}
		repo := strings.TrimSpace(string(root))
		full, err := exec.Command("git", "-C", repo, "rev-parse", "--verify", "--quiet", commit+"^{commit}").Output()
		if err != nil {
			releaseSkip = fmt.Sprintf("THE ROLLING-UPGRADE TEST DID NOT RUN: commit %s (the previous release) is not in this checkout, "+
				"a shallow clone perhaps; fetch it (git fetch --unshallow) to run it", commit)
			return
		}
		sha := strings.TrimSpace(string(full))
		bin := filepath.Join(os.TempDir(), "prikke-release-"+sha, "prikke")
		if _, err := os.Stat(bin); err == nil {
			releaseBin = bin
			return
		}
		src, err := os.MkdirTemp("", "prikke-release-src-")
		if err != nil {
			releaseErr = err
			return
		}
		defer os.RemoveAll(src)
		archive := exec.Command("sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", repo, sha, src)
		if out, err := archive.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("git archive %s: %v\n%s", commit, err, out)
			return
		}
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			releaseErr = err
			return
		}
		tmp := bin + fmt.Sprintf(".%d", os.Getpid())
		build := exec.Command("go", "build", "-o", tmp, "./cmd/prikke")
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("build %s: %v\n%s", commit, err, out)
			return
		}
		releaseErr = os.Rename(tmp, bin)
		releaseBin = bin
	})
	if releaseSkip != "" {
		t.Skip(releaseSkip)
	}
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseBin
}

// TestRollingUpgrade runs a node of the previous release and one of this
// code on one PostgreSQL database, as a rolling upgrade does: the old node
// migrates a fresh database and takes cron jobs and queued messages; the
// new node starts beside it and applies this release's migrations while
// the old one serves; both take messages under load, through either's API;
// then the old node gets SIGTERM and the new one carries on. Every
// occurrence and message is delivered exactly once, and the old node kept
// delivering after the new node migrated.
func TestRollingUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("system test")
	}
	oldBin := releaseBinary(t, previousRelease)
	db := newEmptyDatabase(t, pgURL())
	sk, err := sink.Start(sink.Options{MaxBody: -1}) // unsigned: the secret is the old node's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	env := map[string]string{"PRIKKE_DATABASE_URL": db.url, "PRIKKE_SSRF_ALLOW": sk.Addr().String()}
	ctx := context.Background()

	old := startNodeOf(t, oldBin, "old", env)
	applied, _, err := db.store.MigrationVersions(ctx)
	if err != nil || applied != 11 {
		t.Fatalf("the previous release migrated to %d (%v); this test expects 11", applied, err)
	}

	// A tenant, made with the old release's commands, and its work, through
	// the old node's API.
	const email = "upgrade@example.com"
	if out, err := execInput(oldBin, env, "correct horse battery staple\n", "user", "create", "--email", email, "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatalf("user create: %v\n%s", err, out)
	}
	out, err := execInput(oldBin, env, "", "apikey", "create", "--email", email)
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	lines := strings.Fields(out)
	key := lines[len(lines)-1]
	c := &keyClient{t: t, key: key}
	cron := c.post(old.base, "/api/v1/jobs", map[string]any{"name": "every minute", "url": sk.URL("/cron"), "method": "POST",
		"cron_expression": "* * * * *", "notify": "muted", "timeout_ms": 10000})["id"].(string)
	var mu sync.Mutex
	enqueued := map[string]string{} // execution ID → the node whose API took it
	enqueue := func(n *node, count int) {
		for i := range count {
			res := c.post(n.base, "/api/v1/queue", map[string]any{"url": sk.URL("/msg"), "body": fmt.Sprintf(`{"n":%d}`, i),
				"delay": i % 3, "timeout_ms": 10000})
			mu.Lock()
			enqueued[res["execution_id"].(string)] = n.name
			mu.Unlock()
		}
	}
	enqueue(old, 50)

	// The new node: it migrates the database while the old one serves.
	nw := startNode(t, "new", env)
	applied, needed, err := db.store.MigrationVersions(ctx)
	if err != nil || applied != needed {
		t.Fatalf("after the new node started: %d applied of %d needed (%v)", applied, needed, err)
	}
	migratedAt, err := db.store.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !old.alive() {
		t.Fatalf("the old node exited when the new one migrated:\n%s", tail(old.logs.String(), 40))
	}

	// Both under load, until the old node has delivered a message taken
	// after the migration and a cron occurrence due after it has been
	// delivered (whichever node claimed them). A round every half second;
	// the limit only bounds a broken run.
	oldDelivered, cronAfter := false, false
	for round := 0; !(oldDelivered && cronAfter && round >= 5); round++ {
		if round == 400 {
			t.Fatalf("after %d rounds: the old node delivered after the migration %v, a cron occurrence due after it %v", round, oldDelivered, cronAfter)
		}
		enqueue(old, 10)
		enqueue(nw, 10)
		for _, r := range sk.Requests() {
			switch r.Path {
			case "/msg":
				if !oldDelivered {
					if e, err := db.store.ExecutionGet(ctx, uuid.MustParse(r.ExecutionID)); err == nil && e.ClaimedBy == "old" && e.CreatedAt.After(migratedAt) {
						oldDelivered = true
					}
				}
			case "/cron":
				if at, err := time.Parse(time.RFC3339, r.ScheduledFor); err == nil && at.After(migratedAt) {
					cronAfter = true
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}

	// The old node goes, as in a rolling upgrade; the new one carries on.
	old.signal(syscall.SIGTERM)
	if code, ok := old.waitExit(60 * time.Second); !ok || code != 0 {
		t.Errorf("the old node after SIGTERM: exit %d, exited %v", code, ok)
	}
	enqueue(nw, 20)
	waitUntil(t, "every message delivered", 120*time.Second, func() bool {
		got := map[string]bool{}
		for _, r := range sk.Requests() {
			got[r.ExecutionID] = true
		}
		for id := range enqueued {
			if !got[id] {
				return false
			}
		}
		return true
	})

	// Nothing lost, nothing doubled.
	perExecution := map[string]int{}
	cronMinutes := map[string]int{}
	for _, r := range sk.Requests() {
		perExecution[r.ExecutionID]++
		if r.Path == "/cron" {
			cronMinutes[r.ScheduledFor]++
		}
		if r.JobID == "" || (r.Path == "/cron") != (r.JobID == cron) {
			t.Errorf("a delivery of job %q to %s", r.JobID, r.Path)
		}
	}
	for id, n := range perExecution {
		if n != 1 {
			t.Errorf("execution %s delivered %d times", id, n)
		}
	}
	for id, n := range sk.ByWebhookID() {
		if n != 1 {
			t.Errorf("occurrence %s delivered %d times", id, n)
		}
	}
	for at, n := range cronMinutes {
		if n != 1 {
			t.Errorf("the cron occurrence of %s delivered %d times", at, n)
		}
	}
	// Every minute from the first cron occurrence to the last is there.
	var first, last time.Time
	for at := range cronMinutes {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatalf("Prikke-Scheduled-For %q: %v", at, err)
		}
		if first.IsZero() || tm.Before(first) {
			first = tm
		}
		if tm.After(last) {
			last = tm
		}
	}
	if want := int(last.Sub(first)/time.Minute) + 1; len(cronMinutes) != want {
		t.Errorf("cron occurrences %d from %s to %s; want %d, one a minute", len(cronMinutes), first, last, want)
	}
	byNode := map[string]int{}
	for id := range enqueued {
		e, err := db.store.ExecutionGet(ctx, uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != prikke.ExecutionStatusSuccess {
			t.Errorf("message %s ended %s: %s", id, e.Status, e.Error)
		}
		byNode[e.ClaimedBy]++
	}
	t.Logf("%d messages (delivered by node: %v), %d cron occurrences, the old node delivered after the migration %v",
		len(enqueued), byNode, len(cronMinutes), oldDelivered)
	if !nw.alive() {
		t.Error("the new node exited")
	}
}

// keyClient calls a node's API with an API key.
type keyClient struct {
	t   *testing.T
	key string
}

// post sends body as JSON and returns the JSON answer; anything but a 2xx
// fails the test.
func (c *keyClient) post(base, path string, body any) map[string]any {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s%s: %v", base, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode/100 != 2 {
		c.t.Fatalf("POST %s%s: %d %v %v", base, path, resp.StatusCode, out, err)
	}
	return out
}

// execInput runs the binary with env and stdin, and returns its combined
// output.
func execInput(bin string, env map[string]string, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PRIKKE_SECRET_KEY=" + secretKey, "PRIKKE_LOG_LEVEL=warn"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
