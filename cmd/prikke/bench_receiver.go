package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/sink"
)

// The bench receiver is the benchmark's webhook endpoint in a process of
// its own (`prikke bench-receiver`, hidden): the sink of internal/sink,
// answering and recording deliveries exactly as the in-process one does,
// so that what it costs is measured apart from Prikke's own CPU. The
// peers' harnesses in bench/ (River, Graphile Worker) send their GETs to
// the same process, so every system is measured against one receiver.
//
// Beside the sink's paths it answers a small control API, to loopback
// clients only:
//
//	GET  /_receiver/info      {"url":…, "secret":…} (the secret deliveries are verified with)
//	GET  /_receiver/count     {"count":N}
//	GET  /_receiver/wait?n=N  blocks until N requests have arrived (or the client goes), then /count's answer
//	GET  /_receiver/cpu       {"cpu_us":…, "count":N}: the process's own CPU time (rusage, user+system)
//	GET  /_receiver/requests  one JSON object a line: {"at_ns","webhook_id","valid","path","query"}
//	POST /_receiver/reset     forgets the requests received
const receiverControl = "/_receiver/"

// benchReceiverCmd runs the receiver until ctx ends (or, with
// --watch-stdin, until its standard input closes: a parent that spawned
// it has gone). It prints its base URL on stdout, one line, once it
// listens.
func benchReceiverCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("bench-receiver", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	secret := fs.String("secret", "", "Standard Webhooks secret (whsec_…) deliveries are verified with (default: PRIKKE_BENCH_SECRET, else a new one, shown by GET /_receiver/info)")
	watchStdin := fs.Bool("watch-stdin", false, "exit when standard input closes")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *secret == "" {
		*secret = e.getenv("PRIKKE_BENCH_SECRET")
	}
	if *secret == "" {
		*secret = delivery.NewSecret()
	}
	if e.getenv("GOGC") == "" {
		// Its heap is the recorded requests: collecting it less often is
		// most of what makes the receiver cheap.
		debug.SetGCPercent(400)
	}
	rc, err := startReceiver(*addr, *secret)
	if err != nil {
		return err
	}
	defer rc.sk.Close()
	fmt.Fprintln(e.stdout, rc.sk.URL(""))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *watchStdin {
		go func() {
			io.Copy(io.Discard, e.stdin)
			cancel()
		}()
	}
	<-ctx.Done()
	return nil
}

// receiver is the sink and its control API.
type receiver struct {
	sk     *sink.Sink
	secret string
}

func startReceiver(addr, secret string) (*receiver, error) {
	rc := &receiver{secret: secret}
	sk, err := sink.Start(sink.Options{Secrets: []string{secret}, MaxBody: -1, Addr: addr,
		Wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, receiverControl) {
					rc.control(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
	if err != nil {
		return nil, err
	}
	rc.sk = sk
	return rc, nil
}

func (rc *receiver) control(w http.ResponseWriter, r *http.Request) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err != nil || !ap.Addr().Unmap().IsLoopback() {
		http.Error(w, "loopback clients only", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.Method + " " + strings.TrimPrefix(r.URL.Path, receiverControl) {
	case "GET info":
		json.NewEncoder(w).Encode(map[string]string{"url": rc.sk.URL(""), "secret": rc.secret})
	case "GET count":
		fmt.Fprintf(w, "{\"count\":%d}\n", rc.sk.Count())
	case "GET wait":
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "n must be a count", http.StatusBadRequest)
			return
		}
		if err := rc.sk.WaitCount(r.Context(), n); err != nil {
			// The client went away, or the receiver is closing: never a
			// 200, which would say the count was reached.
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "{\"count\":%d}\n", rc.sk.Count())
	case "GET cpu":
		fmt.Fprintf(w, "{\"cpu_us\":%d,\"count\":%d}\n", cpuTime().Microseconds(), rc.sk.Count())
	case "GET requests":
		bw := bufio.NewWriterSize(w, 64<<10)
		enc := json.NewEncoder(bw) // one object a line
		rc.sk.Each(func(q *sink.Received) bool {
			return enc.Encode(receivedLine{AtNS: q.At.UnixNano(), WebhookID: q.WebhookID, Valid: q.SignatureValid,
				Path: q.Path, Query: q.Query}) == nil
		})
		bw.Flush()
	case "POST reset":
		rc.sk.Reset()
		fmt.Fprintln(w, "{}")
	default:
		http.Error(w, "unknown control path", http.StatusNotFound)
	}
}

// receivedLine is one line of /_receiver/requests.
type receivedLine struct {
	AtNS      int64  `json:"at_ns"`
	WebhookID string `json:"webhook_id"`
	Valid     bool   `json:"valid"`
	Path      string `json:"path"`
	Query     string `json:"query"`
}

// benchSink is what burst and cron count deliveries at: the in-process
// sink or a receiver process (remoteReceiver).
type benchSink interface {
	URL(path string) string
	Addr() netip.AddrPort
	Count() int
	WaitCount(ctx context.Context, n int) error
	Requests() []sink.Received
}

// remoteReceiver is a client of a receiver process's control API.
type remoteReceiver struct {
	base   string
	addr   netip.AddrPort
	secret string
	client *http.Client
	cmd    *exec.Cmd      // when spawned
	stdin  io.WriteCloser // closing it ends a spawned receiver
	err    error          // from the last control call that failed
}

// dialReceiver connects to a running receiver at base ("http://ip:port").
func dialReceiver(ctx context.Context, base string) (*remoteReceiver, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("bench: receiver %q: want http://host:port", base)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		tcp, rerr := net.ResolveTCPAddr("tcp", u.Host)
		if rerr != nil {
			return nil, fmt.Errorf("bench: receiver %q: %w", base, rerr)
		}
		ap = tcp.AddrPort()
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	rr := &remoteReceiver{base: "http://" + ap.String(), addr: ap,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	var info struct {
		Secret string `json:"secret"`
	}
	if err := rr.call(ctx, "GET", "info", &info); err != nil {
		return nil, fmt.Errorf("bench: receiver at %s: %w", base, err)
	}
	rr.secret = info.Secret
	return rr, nil
}

// spawnReceiver starts this executable's bench-receiver as a child process
// verifying secret, and connects to it.
func spawnReceiver(ctx context.Context, secret string, stderr io.Writer) (*remoteReceiver, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "bench-receiver", "--addr", "127.0.0.1:0", "--watch-stdin")
	cmd.Env = append(os.Environ(), "PRIKKE_BENCH_SECRET="+secret)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting the receiver: %w", err)
	}
	stop := func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case base = <-line:
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	if base == "" {
		stop()
		return nil, errors.New("bench: the receiver process did not say where it listens")
	}
	rr, err := dialReceiver(ctx, base)
	if err != nil {
		stop()
		return nil, err
	}
	rr.cmd, rr.stdin = cmd, stdin
	return rr, nil
}

// Close ends a spawned receiver (closing its stdin, then, if it has not
// exited within 10 s, a generous bound on a loaded machine, killing it); a
// shared one is left running.
func (rr *remoteReceiver) Close() {
	rr.client.CloseIdleConnections()
	if rr.cmd == nil {
		return
	}
	rr.stdin.Close()
	done := make(chan struct{})
	go func() { rr.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		rr.cmd.Process.Kill()
		<-done
	}
	rr.cmd = nil
}

func (rr *remoteReceiver) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, rr.base+receiverControl+path, nil)
	if err != nil {
		return err
	}
	resp, err := rr.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (rr *remoteReceiver) URL(path string) string {
	if path != "" && path[0] != '/' {
		path = "/" + path
	}
	return rr.base + path
}

func (rr *remoteReceiver) Addr() netip.AddrPort { return rr.addr }

// Count returns the requests received, or -1 when the receiver cannot be
// asked (rr.err says why).
func (rr *remoteReceiver) Count() int {
	var c struct {
		Count int `json:"count"`
	}
	if err := rr.call(context.Background(), "GET", "count", &c); err != nil {
		rr.err = err
		return -1
	}
	return c.Count
}

func (rr *remoteReceiver) WaitCount(ctx context.Context, n int) error {
	return rr.call(ctx, "GET", "wait?n="+strconv.Itoa(n), nil)
}

func (rr *remoteReceiver) Reset(ctx context.Context) error {
	return rr.call(ctx, "POST", "reset", nil)
}

// CPU returns the receiver process's CPU time so far and the requests it
// has received.
func (rr *remoteReceiver) CPU(ctx context.Context) (time.Duration, int, error) {
	var c struct {
		CPU   int64 `json:"cpu_us"`
		Count int   `json:"count"`
	}
	if err := rr.call(ctx, "GET", "cpu", &c); err != nil {
		return 0, 0, err
	}
	return time.Duration(c.CPU) * time.Microsecond, c.Count, nil
}

// Requests fetches every request received (arrival time, webhook-id,
// signature validity, path and query: what the figures use); nil when the
// receiver cannot be asked (rr.err says why).
func (rr *remoteReceiver) Requests() []sink.Received {
	reqs, err := rr.requests(context.Background())
	if err != nil {
		rr.err = err
		return nil
	}
	return reqs
}

func (rr *remoteReceiver) requests(ctx context.Context) ([]sink.Received, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", rr.base+receiverControl+"requests", nil)
	if err != nil {
		return nil, err
	}
	resp, err := rr.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET requests: %s", resp.Status)
	}
	var out []sink.Received
	dec := json.NewDecoder(bufio.NewReaderSize(resp.Body, 64<<10))
	for {
		var l receivedLine
		if err := dec.Decode(&l); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("GET requests: %w", err)
		}
		out = append(out, sink.Received{At: time.Unix(0, l.AtNS), WebhookID: l.WebhookID, SignatureValid: l.Valid,
			Path: l.Path, Query: l.Query})
	}
}
