package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gotPing is one request a pingServer received.
type gotPing struct {
	Method, Path, RID, Query, UserAgent string
	Body                                []byte
}

// pingServer records pings and answers each path with the statuses queued
// for it (then 200).
type pingServer struct {
	*httptest.Server
	mu     sync.Mutex
	pings  []gotPing
	answer map[string][]int
}

func newPingServer(t *testing.T) *pingServer {
	s := &pingServer{answer: map[string][]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := r.URL.Query()
		rid := q.Get("rid")
		q.Del("rid")
		s.mu.Lock()
		s.pings = append(s.pings, gotPing{r.Method, r.URL.Path, rid, q.Encode(), r.UserAgent(), body})
		status := http.StatusOK
		if a := s.answer[r.URL.Path]; len(a) > 0 {
			status, s.answer[r.URL.Path] = a[0], a[1:]
		}
		s.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pingServer) got() []gotPing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotPing(nil), s.pings...)
}

var uuidV4RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkPings asserts the server got exactly the paths, all with one rid.
func checkPings(t *testing.T, got []gotPing, paths ...string) {
	t.Helper()
	var have []string
	for _, p := range got {
		have = append(have, p.Method+" "+p.Path)
	}
	var want []string
	for _, p := range paths {
		want = append(want, "POST "+p)
	}
	if strings.Join(have, ", ") != strings.Join(want, ", ") {
		t.Fatalf("pings %q, want %q", have, want)
	}
	for _, p := range got {
		if !uuidV4RE.MatchString(p.RID) || p.RID != got[0].RID {
			t.Errorf("rid %q on %s; want the same UUID v4 on every ping of the run", p.RID, p.Path)
		}
		if !strings.HasPrefix(p.UserAgent, "prikke-run/") {
			t.Errorf("user agent %q", p.UserAgent)
		}
	}
}

func runPing(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	out, errOut, err := runCmd(t, env, append([]string{"run"}, args...)...)
	var es exitStatus
	switch {
	case err == nil:
	case errors.As(err, &es):
		status = int(es)
	default:
		t.Fatalf("prikke run %q: %v\n%s", args, err, errOut)
	}
	return out, errOut, status
}

func TestPingRunPassesTheExitStatus(t *testing.T) {
	t.Parallel()
	srv := newPingServer(t)
	url := srv.URL + "/ping/0c0e2b9e-5f2a-4d3f-8f55-0a1b2c3d4e5f"
	out, errOut, status := runPing(t, nil, "--ping", url, "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3")
	if status != 3 || out != "to-stdout\n" || errOut != "to-stderr\n" {
		t.Fatalf("status %d, stdout %q, stderr %q; want 3 and the streams passed through", status, out, errOut)
	}
	got := srv.got()
	checkPings(t, got, "/ping/0c0e2b9e-5f2a-4d3f-8f55-0a1b2c3d4e5f/start", "/ping/0c0e2b9e-5f2a-4d3f-8f55-0a1b2c3d4e5f/3")
	if b := string(got[1].Body); !strings.Contains(b, "to-stdout\n") || !strings.Contains(b, "to-stderr\n") || len(b) != len("to-stdout\nto-stderr\n") {
		t.Errorf("end ping body %q; want the combined output", b)
	}
	if len(got[0].Body) != 0 {
		t.Errorf("start ping body %q", got[0].Body)
	}

	// Success, on the slug form with a query kept, the URL from the
	// environment; the command's flags are its own.
	env := map[string]string{"PRIKKE_PING_URL": srv.URL + "/ping/pk_abc/nightly-backup?create=1"}
	out, _, status = runPing(t, env, "echo", "--retries", "x")
	if status != 0 || out != "--retries x\n" {
		t.Fatalf("status %d, stdout %q", status, out)
	}
	got = srv.got()[2:]
	checkPings(t, got, "/ping/pk_abc/nightly-backup/start", "/ping/pk_abc/nightly-backup/0")
	if got[0].Query != "create=1" || got[1].Query != "create=1" {
		t.Errorf("queries %q, %q; want create=1 kept", got[0].Query, got[1].Query)
	}

	// Killed by a signal: 128 + the signal's number.
	_, _, status = runPing(t, nil, "--ping", url, "--", "sh", "-c", "kill -TERM $$")
	if status != 128+int(syscall.SIGTERM) {
		t.Errorf("a command killed by SIGTERM: status %d, want 143", status)
	}
	if got := srv.got(); got[len(got)-1].Path != "/ping/0c0e2b9e-5f2a-4d3f-8f55-0a1b2c3d4e5f/143" {
		t.Errorf("last ping %s", got[len(got)-1].Path)
	}
}

func TestPingRunSendsTheTailOfTheOutput(t *testing.T) {
	t.Parallel()
	srv := newPingServer(t)
	// 30 000 bytes of 'x', then a multi-byte rune, then the end (all on
	// stdout: the order between two pipes is the scheduler's).
	script := `i=0; while [ $i -lt 3000 ]; do printf xxxxxxxxxx; i=$((i+1)); done; printf 'é the end\n'`
	out, errOut, status := runPing(t, nil, "--ping", srv.URL+"/ping/u", "--", "sh", "-c", script)
	if status != 0 || len(out) != 30000+len("é the end\n") || errOut != "" {
		t.Fatalf("status %d, %d bytes out, stderr %q", status, len(out), errOut)
	}
	body := srv.got()[1].Body
	if len(body) != 10000 || !bytes.HasSuffix(body, []byte("xé the end\n")) {
		t.Errorf("body of %d bytes ending %q; want the last 10000", len(body), body[max(0, len(body)-20):])
	}
	_, _, _ = runPing(t, nil, "--ping", srv.URL+"/ping/u", "--body-limit", "10", "--", "sh", "-c", script)
	// The last 10 bytes start inside é: the cut half is dropped.
	if body := string(srv.got()[3].Body); body != " the end\n" {
		t.Errorf("body %q; want the last 10 bytes less the half rune", body)
	}
}

func TestTailKeepsTheLastBytes(t *testing.T) {
	t.Parallel()
	var all []byte
	tl := newTail(7)
	for i, n := range []int{0, 3, 3, 1, 9, 2, 7, 5, 20, 1} {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		tl.Write(p)
		all = append(all, p...)
		if got, want := string(tl.Bytes()), string(all[max(0, len(all)-7):]); got != want {
			t.Fatalf("after writing %d bytes: %q, want %q", len(all), got, want)
		}
	}
	if b := newTail(0); len(b.Bytes()) != 0 {
		t.Error("a zero tail kept something")
	}
}

func TestPingRunRetries(t *testing.T) {
	t.Parallel()
	srv := newPingServer(t)
	srv.answer["/ping/u/start"] = []int{429}
	srv.answer["/ping/u/0"] = []int{503, 502}
	began := time.Now()
	_, errOut, status := runPing(t, nil, "--ping", srv.URL+"/ping/u", "--", "true")
	if status != 0 || errOut != "" {
		t.Fatalf("status %d, stderr %q; want 0 and no warning", status, errOut)
	}
	if took := time.Since(began); took < time.Second {
		t.Errorf("done in %v; the 429's Retry-After: 1 was not waited for", took)
	}
	checkPings(t, srv.got(), "/ping/u/start", "/ping/u/start", "/ping/u/0", "/ping/u/0", "/ping/u/0")

	// A 404 is not retried: the URL is wrong, and saying so once is enough.
	srv.answer["/ping/nope/start"] = []int{404}
	srv.answer["/ping/nope/5"] = []int{404}
	_, errOut, status = runPing(t, nil, "--ping", srv.URL+"/ping/nope", "--", "sh", "-c", "exit 5")
	if status != 5 || strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, "no monitor has this ping URL") {
		t.Errorf("status %d, stderr %q; want 5 and one warning per ping", status, errOut)
	}
	if n := len(srv.got()); n != 7 {
		t.Errorf("%d pings; want 7 (no retries of a 404)", n)
	}
}

func TestPingRunWhenPrikkeIsDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/ping/5f0d6c1e-3b7a-4c2e-9a51-0c6f1f2d8e11"
	l.Close()
	out, errOut, status := runPing(t, nil, "--ping", down, "--retries", "1", "--", "sh", "-c", "echo ran; exit 4")
	if status != 4 || out != "ran\n" {
		t.Fatalf("status %d, stdout %q; want the command run and its status 4", status, out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "warning") || strings.Contains(errOut, "5f0d6c1e") {
		t.Errorf("stderr %q; want one warning per ping, without the token", errOut)
	}
}

func TestPingRunCommandNotFound(t *testing.T) {
	t.Parallel()
	srv := newPingServer(t)
	_, errOut, status := runPing(t, nil, "--ping", srv.URL+"/ping/u", "--", "prikke-no-such-command", "arg")
	if status != 127 || !strings.Contains(errOut, "prikke-no-such-command") {
		t.Fatalf("status %d, stderr %q; want 127", status, errOut)
	}
	got := srv.got()
	checkPings(t, got, "/ping/u/start", "/ping/u/127")
	if !strings.Contains(string(got[1].Body), "executable file not found") {
		t.Errorf("body %q; want the error", got[1].Body)
	}
}

func TestPingRunUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"true"}, // no URL
		{"--ping", "prikke.example/ping/0c0e2b9e-5f2a-4d3f-8f55-0a1b2c3d4e5f", "true"}, // no scheme
		{"--ping", "https://prikke.example/ping/u"},                                    // no command
		{"--ping", "https://prikke.example/ping/u", "--timeout", "0s", "true"},
	} {
		var ue usageError
		_, errOut, err := runCmd(t, nil, append([]string{"run"}, args...)...)
		if !errors.As(err, &ue) {
			t.Errorf("prikke run %q: %v; want a usage error", args, err)
		}
		// The token is a credential: never echoed to stderr (cron's mail).
		if err != nil && strings.Contains(err.Error()+errOut, "0c0e2b9e") {
			t.Errorf("prikke run %q echoes the token: %v %s", args, err, errOut)
		}
	}
}

// TestPingRunForwardsSignals sends SIGTERM to this process while prikke
// run waits for its command: the command gets it (and prikke run, which
// catches it, lives on to send the end ping).
func TestPingRunForwardsSignals(t *testing.T) {
	srv := newPingServer(t)
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"run", "--ping", srv.URL + "/ping/u", "--", "sh", "-c", "echo ready; exec sleep 30"},
			envOf(nil), strings.NewReader(""), &out, io.Discard)
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the command never started")
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if es, ok := err.(exitStatus); !ok || es != 143 {
			t.Errorf("prikke run = %v; want exit status 143", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the command did not end on SIGTERM")
	}
	checkPings(t, srv.got(), "/ping/u/start", "/ping/u/143")
}

// documentedRun makes a `prikke run` command shown in the docs runnable
// in TestDocumentedCommands: its ping URL (the placeholder URL, or an
// address with /ping/ in it) becomes pingURL, and the command after --
// becomes `true`.
func documentedRun(args []string, pingURL string) []string {
	var out []string
	for _, a := range args {
		if a == "--" {
			return append(out, "--", "true")
		}
		if a == "URL" || strings.HasPrefix(a, "http") && strings.Contains(a, "/ping/") {
			a = pingURL
		}
		out = append(out, a)
	}
	return out
}
