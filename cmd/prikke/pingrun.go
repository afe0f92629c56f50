package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
)

// exitStatus is an error that makes the program exit with that status
// and print nothing: prikke run passes its command's exit status through.
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// How long prikke run may spend on each ping, retries included: the start
// ping must not hold up the end ping for long; the end ping is what the
// monitor waits for. The command starts when the start ping is answered,
// or after startWait at the latest (the start ping goes on retrying beside
// it): waiting for the answer keeps the duration Prikke measures from
// being shorter than the run, which min_runtime judges.
const (
	startPingBudget = 10 * time.Second
	endPingBudget   = 30 * time.Second
	startWait       = 2 * time.Second
	maxPingBackoff  = 4 * time.Second
)

// pingRun is `prikke run --ping URL -- cmd args…`: it pings URL/start with
// a fresh rid, runs the command with its standard streams passed through
// (without waiting more than startWait for the start ping),
// then pings URL/<exit status> with the same rid and the last of the
// command's combined output, and exits with the command's status. Pings
// that fail are retried and then given up with one warning line: an
// outage of Prikke never fails or holds up the customer's command.
func pingRun(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: prikke run --ping URL [--timeout 10s] [--retries 5] [--body-limit 10000] -- command [arguments]")
		fs.PrintDefaults()
	}
	pingURL := fs.String("ping", e.getenv("PRIKKE_PING_URL"), "the monitor's ping URL (default $PRIKKE_PING_URL)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long one ping attempt may take")
	retries := fs.Int("retries", 5, "how often a failed ping is retried (network errors, 429, 5xx)")
	bodyLimit := fs.Int("body-limit", 10000, "how many bytes of the end of the output the end ping carries")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError(err.Error())
	}
	if fs.NArg() == 0 {
		return usageError("run: expected a command, e.g. prikke run --ping https://prikke.example/ping/<uuid> -- /path/to/backup.sh")
	}
	u, err := url.Parse(*pingURL)
	if *pingURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not echoed: the URL holds the monitor's token, and this goes to
		// stderr, which cron mails and logs keep.
		return usageError("run: --ping (or PRIKKE_PING_URL) must be a ping URL like https://prikke.example/ping/<uuid>, with http:// or https://")
	}
	if *timeout <= 0 || *retries < 0 || *bodyLimit < 0 {
		return usageError("run: --timeout must be positive, --retries and --body-limit not negative")
	}
	p := &pinger{
		base: u, rid: uuid.NewString(), timeout: *timeout, retries: *retries,
		backoff: 250 * time.Millisecond, client: &http.Client{}, stderr: e.stderr,
	}
	// A signal that ends prikke run must not cut off the end ping.
	pingCtx := context.WithoutCancel(ctx)

	started := make(chan struct{})
	go func() {
		defer close(started)
		p.ping(pingCtx, "start", nil, startPingBudget)
	}()
	select {
	case <-started:
	case <-time.After(startWait):
	}
	out := newTail(*bodyLimit)
	status, runErr := runCommand(e, fs.Args(), out)
	body := out.Bytes()
	if runErr != nil {
		fmt.Fprintln(e.stderr, "prikke run:", runErr)
		body = []byte(runErr.Error())
	}
	<-started
	p.ping(pingCtx, strconv.Itoa(status), body, endPingBudget)
	if status != 0 {
		return exitStatus(status)
	}
	return nil
}

// runCommand runs args with the standard streams of e, copying stdout and
// stderr into out as well, and returns its exit status: 128+n when signal
// n killed it, 127 when the command does not exist, 126 when it cannot be
// started (err says why). SIGINT and SIGTERM sent to prikke run are
// passed on to the command.
func runCommand(e *env, args []string, out io.Writer) (int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = e.stdin
	cmd.Stdout = io.MultiWriter(e.stdout, out)
	cmd.Stderr = io.MultiWriter(e.stderr, out)
	// A background child still holding the output open does not keep
	// prikke run (and the end ping) waiting for ever.
	cmd.WaitDelay = 5 * time.Second

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127, err
		}
		return 126, err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s) // it may have exited meanwhile
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	ps := cmd.ProcessState
	if ps == nil {
		return 126, err
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}

// A pinger sends the pings of one run, all with the same rid.
type pinger struct {
	base    *url.URL
	rid     string
	timeout time.Duration // per attempt
	retries int
	backoff time.Duration // before the first retry; doubles up to maxPingBackoff
	client  *http.Client
	stderr  io.Writer
}

// url is the ping URL with /kind appended to its path and the rid added
// to its query (the rest of the query is kept).
func (p *pinger) url(kind string) string {
	u := *p.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + kind
	u.RawPath = ""
	q := u.Query()
	q.Set("rid", p.rid)
	u.RawQuery = q.Encode()
	return u.String()
}

// ping POSTs body to the kind's URL, retrying network errors, 429 and 5xx
// with backoff within budget. When it gives up it writes one warning line
// (without the URL: its token is a credential) and returns.
func (p *pinger) ping(ctx context.Context, kind string, body []byte, budget time.Duration) {
	deadline := time.Now().Add(budget)
	wait := p.backoff
	var last string
	for try := 0; ; try++ {
		retry, after, why := p.try(ctx, kind, body, deadline)
		if why == "" {
			return
		}
		last = why
		pause := max(wait, after)
		if !retry || try >= p.retries || time.Until(deadline) < pause {
			break
		}
		time.Sleep(pause)
		wait = min(2*wait, maxPingBackoff)
	}
	fmt.Fprintf(p.stderr, "prikke run: warning: the %s ping was not delivered (%s); the command's exit status is unchanged\n", kind, last)
}

// try sends one ping. why is empty on success; retry says whether the
// failure may pass, and after how long the server asked to wait
// (Retry-After, in seconds, on 429 and 503).
func (p *pinger) try(ctx context.Context, kind string, body []byte, deadline time.Time) (retry bool, after time.Duration, why string) {
	if d := time.Now().Add(p.timeout); d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url(kind), bytes.NewReader(body))
	if err != nil {
		return false, 0, err.Error()
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", "prikke-run/"+prikke.Version)
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries the token
		}
		return true, 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return false, 0, ""
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return true, time.Duration(max(0, min(secs, 60))) * time.Second, resp.Status
	case resp.StatusCode == http.StatusNotFound:
		return false, 0, resp.Status + ": no monitor has this ping URL"
	default:
		return false, 0, resp.Status
	}
}

// tail keeps the last n bytes written to it (a ring buffer).
type tail struct {
	mu   sync.Mutex
	buf  []byte
	next int  // where the next byte goes
	full bool // buf has wrapped
}

func newTail(n int) *tail { return &tail{buf: make([]byte, n)} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(t.buf) == 0 {
		return n, nil
	}
	if len(p) >= len(t.buf) {
		copy(t.buf, p[len(p)-len(t.buf):])
		t.next, t.full = 0, true
		return n, nil
	}
	c := copy(t.buf[t.next:], p)
	if c < len(p) {
		copy(t.buf, p[c:])
		t.full = true
	}
	t.next = (t.next + len(p)) % len(t.buf)
	if t.next == 0 && len(p) > 0 {
		t.full = true
	}
	return n, nil
}

// Bytes returns the kept bytes in order; when older bytes were dropped, a
// UTF-8 sequence cut at the start is dropped too.
func (t *tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.full {
		return bytes.Clone(t.buf[:t.next])
	}
	b := append(bytes.Clone(t.buf[t.next:]), t.buf[:t.next]...)
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[i]) {
			return b[i:]
		}
	}
	return b
}
