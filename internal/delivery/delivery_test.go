package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
)

func TestDoSuccess(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{RecordHeaders: true})
	c := clientFor(t, Options{}, s)

	req := post(s.URL("/ok"))
	req.JobID = "job_01"
	req.ExecutionID = "exe_01"
	req.ScheduledFor = time.Date(2026, 3, 29, 3, 0, 0, 500e6, time.FixedZone("CEST", 2*3600))
	req.Attempt = 3
	req.Headers = []prikke.Header{
		{Name: "X-Custom", Value: "one"},
		{Name: "x-custom", Value: "two"},
		{Name: "Authorization", Value: "Bearer user-token"},
		// Reserved: validation refuses these; Do drops them if they slip by.
		{Name: "User-Agent", Value: "evil"},
		{Name: "webhook-id", Value: "forged"},
		{Name: "Webhook-Signature", Value: "v1,forged"},
		{Name: "Prikke-Job-Id", Value: "forged"},
		{Name: "Host", Value: "evil.example"},
		{Name: "Content-Length", Value: "1"},
		{Name: "Transfer-Encoding", Value: "chunked"},
		{Name: "Connection", Value: "close"},
	}
	before := time.Now()
	res := c.Do(context.Background(), req)
	if res.Status != prikke.ExecutionStatusSuccess || res.StatusCode != 200 || string(res.Body) != "ok" || res.Error != "" || res.Truncated {
		t.Fatalf("result %+v", res)
	}
	if res.StartedAt.Before(before) || res.Duration <= 0 || res.Duration > 5*time.Second {
		t.Errorf("started %v duration %v", res.StartedAt, res.Duration)
	}
	if !slices.IsSortedFunc(res.Headers, func(a, b prikke.Header) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("response headers not sorted: %v", res.Headers)
	}
	if !slices.Contains(res.Headers, prikke.Header{Name: "Content-Length", Value: "2"}) {
		t.Errorf("response headers %v", res.Headers)
	}

	got := s.Requests()
	if len(got) != 1 {
		t.Fatalf("sink got %d requests", len(got))
	}
	r := got[0]
	// Our own verifier (the sink's) and the reference library both accept it.
	if !r.SignatureValid {
		t.Errorf("sink verifier: %s", r.SignatureError)
	}
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Errorf("reference verifier: %v", err)
	}
	checks := map[string]string{
		"User-Agent":           "Prikke/" + prikke.Version,
		"Webhook-Id":           req.WebhookID,
		"Prikke-Job-Id":        "job_01",
		"Prikke-Execution-Id":  "exe_01",
		"Prikke-Scheduled-For": "2026-03-29T01:00:00.500Z", // in UTC, to the millisecond
		"Prikke-Attempt":       "3",
		"Authorization":        "Bearer user-token",
		"Content-Type":         "application/json", // none given: the body is JSON
		"Connection":           "",
		"Transfer-Encoding":    "",
		"Content-Length":       "17",
	}
	for name, want := range checks {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if v := r.Header.Values("X-Custom"); !slices.Equal(v, []string{"one", "two"}) {
		t.Errorf("X-Custom = %q", v)
	}
	if v := r.Header.Values("Webhook-Signature"); len(v) != 1 || strings.Contains(v[0], "forged") {
		t.Errorf("signature %q", v)
	}
	if r.Method != "POST" || string(r.Body) != `{"hello":"world"}` {
		t.Errorf("method %s body %q", r.Method, r.Body)
	}

	// The record of what was sent matches the wire, without reserved
	// user headers.
	sent := map[string]string{}
	for _, h := range res.RequestHeaders {
		if _, dup := sent[strings.ToLower(h.Name)]; dup && !strings.EqualFold(h.Name, "x-custom") {
			t.Errorf("header %s recorded twice", h.Name)
		}
		sent[strings.ToLower(h.Name)] = h.Value
	}
	for name, value := range map[string]string{
		"webhook-id": req.WebhookID, "webhook-timestamp": r.Header.Get("Webhook-Timestamp"),
		"webhook-signature": r.Header.Get("Webhook-Signature"), "user-agent": "Prikke/" + prikke.Version,
		"prikke-job-id": "job_01", "prikke-attempt": "3",
	} {
		if sent[name] != value {
			t.Errorf("recorded %s = %q, want %q", name, sent[name], value)
		}
	}
	for _, name := range []string{"host", "content-length", "transfer-encoding", "connection"} {
		if _, ok := sent[name]; ok {
			t.Errorf("reserved header %s recorded as sent", name)
		}
	}
}

// TestDoContentType: the caller's Content-Type goes out as given; without
// one, a JSON body goes as application/json (Express and Flask parse
// nothing from an untyped body) and any other body untyped.
func TestDoContentType(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	for _, tc := range []struct {
		name, body, header, want string
	}{
		{"given", `{"a":1}`, "application/json", "application/json"},
		{"given-over-json", `{"a":1}`, "text/plain", "text/plain"},
		{"json-object", `{"a":1}`, "", "application/json"},
		{"json-array", ` [1, 2] `, "", "application/json"},
		{"json-string", `"x"`, "", "application/json"},
		{"text", `hello`, "", ""},
		{"broken-json", `{"a":`, "", ""},
		{"empty", ``, "", ""},
	} {
		req := post(s.URL("/ok?c=" + tc.name))
		req.Body = []byte(tc.body)
		if tc.header != "" {
			req.Headers = []prikke.Header{{Name: "content-type", Value: tc.header}}
		}
		res := c.Do(context.Background(), req)
		if res.Status != prikke.ExecutionStatusSuccess {
			t.Fatal(res.Error)
		}
		rs := s.Requests()
		if ct := rs[len(rs)-1].ContentType; ct != tc.want {
			t.Errorf("%s: Content-Type = %q, want %q", tc.name, ct, tc.want)
		}
		var recorded []string
		for _, h := range res.RequestHeaders {
			if strings.EqualFold(h.Name, "Content-Type") {
				recorded = append(recorded, h.Value)
			}
		}
		if tc.want != "" && (len(recorded) != 1 || recorded[0] != tc.want) || tc.want == "" && len(recorded) != 0 {
			t.Errorf("%s: recorded Content-Type %q, want %q", tc.name, recorded, tc.want)
		}
	}
}

// TestDoScheduledForExact: Prikke-Scheduled-For is the instant to the
// millisecond, the precision of a queued request's due_at (which is not on
// a whole second); whole seconds read as before.
func TestDoScheduledForExact(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "2026-03-29T01:00:00Z"},
		{time.Date(2026, 3, 29, 1, 0, 0, 250_000_000, time.UTC), "2026-03-29T01:00:00.250Z"},
		{time.Date(2026, 3, 29, 1, 0, 0, 250_123_000, time.UTC), "2026-03-29T01:00:00.250Z"},
		{time.Date(2026, 3, 29, 3, 0, 0, 999_999_999, time.FixedZone("CEST", 2*3600)), "2026-03-29T01:00:00.999Z"},
		{time.Date(2026, 3, 29, 1, 0, 0, 123_456, time.UTC), "2026-03-29T01:00:00Z"},
	} {
		req := post(s.URL("/ok"))
		req.ScheduledFor = tc.at
		if res := c.Do(context.Background(), req); res.Status != prikke.ExecutionStatusSuccess {
			t.Fatal(res.Error)
		}
		rs := s.Requests()
		if got := rs[len(rs)-1].ScheduledFor; got != tc.want {
			t.Errorf("Prikke-Scheduled-For = %q, want %q", got, tc.want)
		}
	}
}

func TestDoMethods(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	methods := []string{"GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"}
	for _, m := range methods {
		req := post(s.URL("/ok"))
		req.Method = m
		if m == "GET" || m == "HEAD" {
			req.Body = nil
		}
		res := c.Do(context.Background(), req)
		if res.Status != prikke.ExecutionStatusSuccess {
			t.Errorf("%s: %+v", m, res)
		}
		if m == "HEAD" && res.Body != nil {
			t.Errorf("HEAD body %q", res.Body)
		}
	}
	for i, r := range s.Requests() {
		if r.Method != methods[i] || !r.SignatureValid {
			t.Errorf("request %d: %s valid=%v %s", i, r.Method, r.SignatureValid, r.SignatureError)
		}
	}
	if s.Conns() != 1 {
		t.Errorf("%d connections for %d sequential requests, want 1 (keep-alive)", s.Conns(), len(methods))
	}
}

func TestDoStatuses(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	inAMinute := time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		path       string
		status     prikke.ExecutionStatus
		code       int
		err        string
		retryAfter time.Duration
		gone       bool
	}{
		{"/status?code=204", prikke.ExecutionStatusSuccess, 204, "", 0, false},
		{"/status?code=299", prikke.ExecutionStatusSuccess, 299, "", 0, false},
		{"/500", prikke.ExecutionStatusFailed, 500, "HTTP 500", 0, false},
		{"/status?code=404", prikke.ExecutionStatusFailed, 404, "HTTP 404", 0, false},
		{"/status?code=304", prikke.ExecutionStatusFailed, 304, "HTTP 304", 0, false},
		{"/429?retry_after=120", prikke.ExecutionStatusFailed, 429, "HTTP 429", 120 * time.Second, false},
		{"/429?retry_after=999999999", prikke.ExecutionStatusFailed, 429, "HTTP 429", 24 * time.Hour, false},
		{"/429?retry_after=-5", prikke.ExecutionStatusFailed, 429, "HTTP 429", 0, false},
		{"/429?retry_after=soon", prikke.ExecutionStatusFailed, 429, "HTTP 429", 0, false},
		{"/503?retry_after=" + strings.ReplaceAll(inAMinute, " ", "%20"), prikke.ExecutionStatusFailed, 503, "HTTP 503", time.Minute, false},
		{"/status?code=500&to=x", prikke.ExecutionStatusFailed, 500, "HTTP 500", 0, false},
		{"/410", prikke.ExecutionStatusFailed, 410, "HTTP 410", 0, true},
	}
	for _, tt := range tests {
		res := c.Do(context.Background(), post(s.URL(tt.path)))
		ra := res.RetryAfter
		if tt.path[:4] == "/503" { // an HTTP-date: allow for the clock moving on
			ra = ra.Round(10 * time.Second)
		}
		if res.Status != tt.status || res.StatusCode != tt.code || res.Error != tt.err || ra != tt.retryAfter || res.Gone != tt.gone {
			t.Errorf("%s: got %s %d %q retry-after %v gone %v", tt.path, res.Status, res.StatusCode, res.Error, res.RetryAfter, res.Gone)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                               0,
		"0":                              0,
		"120":                            120 * time.Second,
		" 7 ":                            7 * time.Second,
		"86400":                          24 * time.Hour,
		"86401":                          24 * time.Hour,
		"99999999999999999999999":        24 * time.Hour,
		"-1":                             0,
		"1.5":                            0,
		"garbage":                        0,
		"Sun, 29 Mar 2026 01:02:00 GMT":  2 * time.Minute,
		"Sun, 29 Mar 2026 00:59:00 GMT":  0,
		"Tue, 29 Mar 2027 01:00:00 GMT":  24 * time.Hour,
		"Sunday, 29-Mar-26 01:00:30 GMT": 30 * time.Second,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDoHangTimesOut(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	req := post(s.URL("/hang"))
	req.Timeout = time.Second
	start := time.Now()
	res := c.Do(context.Background(), req)
	elapsed := time.Since(start)
	if res.Status != prikke.ExecutionStatusTimeout || res.Error != "timed out after 1s" || res.StatusCode != 0 {
		t.Fatalf("result %+v", res)
	}
	// Never before the deadline; the upper bound only says the attempt
	// ended instead of hanging (a busy machine may add seconds).
	if elapsed < time.Second || elapsed > 10*time.Second {
		t.Errorf("took %v, want 1s (and well under 10s)", elapsed)
	}
	if res.Duration < time.Second || res.Duration > elapsed {
		t.Errorf("Duration %v, want 1s to the %v the call took", res.Duration, elapsed)
	}
}

// A server that sends a byte every 100 ms never trips a per-read timeout;
// the total deadline still ends the attempt.
func TestDoDripHitsTotalDeadline(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	req := post(s.URL("/drip?interval_ms=100"))
	req.Timeout = time.Second
	start := time.Now()
	res := c.Do(context.Background(), req)
	elapsed := time.Since(start)
	if res.Status != prikke.ExecutionStatusTimeout || res.StatusCode != 200 || !strings.HasPrefix(res.Error, "timed out after 1s") {
		t.Fatalf("result %+v", res)
	}
	if len(res.Body) < 5 || len(res.Body) > 12 {
		t.Errorf("kept %d bytes of the drip", len(res.Body))
	}
	// Never before the deadline; the upper bound only says the attempt
	// ended instead of hanging (a busy machine may add seconds).
	if elapsed < time.Second || elapsed > 10*time.Second {
		t.Errorf("took %v, want 1s (and well under 10s)", elapsed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitStreams(ctx, 1); err != nil {
		t.Fatalf("the sink's drip did not stop: %v", err)
	}
}

func TestDoConnectionReset(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	res := c.Do(context.Background(), post(s.URL("/reset")))
	if res.Status != prikke.ExecutionStatusFailed || res.Error != "connection reset by peer" {
		t.Fatalf("result %+v", res)
	}
}

func TestDoConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	c := New(Options{Allow: []netip.AddrPort{addr}})
	defer c.Close()
	start := time.Now()
	res := c.Do(context.Background(), post("http://"+addr.String()+"/ok"))
	if res.Status != prikke.ExecutionStatusFailed || res.Error != "connection refused" {
		t.Fatalf("result %+v", res)
	}
	// Refused at once, not retried: well under the 30s default timeout
	// even on a busy machine.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestDoBigResponse is not parallel: it measures allocation.
func TestDoBigResponse(t *testing.T) {
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	// Warm up the connection pool and the code paths.
	c.Do(context.Background(), post(s.URL("/ok")))
	s.Reset()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := c.Do(context.Background(), post(s.URL("/big?mb=50")))
	runtime.ReadMemStats(&after)

	if res.Status != prikke.ExecutionStatusSuccess || res.StatusCode != 200 || !res.Truncated || len(res.Body) != DefaultMaxBody {
		t.Fatalf("status %s code %d truncated %v body %d error %q", res.Status, res.StatusCode, res.Truncated, len(res.Body), res.Error)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("allocated %d bytes for a 50 MiB response", alloc)
	} else {
		t.Logf("allocated %d KiB for a 50 MiB response", alloc>>10)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitStreams(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Written >= 50<<20 || r.WriteErr == "" {
		t.Errorf("the sink wrote %d bytes (error %q): the client read on", r.Written, r.WriteErr)
	}
	t.Logf("sink wrote %d KiB before: %s", r.Written>>10, r.WriteErr)

	// The connection was dropped, not drained: the next delivery dials anew.
	conns := s.Conns()
	if res := c.Do(context.Background(), post(s.URL("/ok"))); res.Status != prikke.ExecutionStatusSuccess {
		t.Fatal(res.Error)
	}
	if s.Conns() != conns+1 {
		t.Errorf("connections %d → %d, want a new one", conns, s.Conns())
	}
}

func TestDoMaxBody(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{MaxBody: 2}, s)
	res := c.Do(context.Background(), post(s.URL("/ok")))
	if string(res.Body) != "ok" || res.Truncated {
		t.Errorf("exactly MaxBody: body %q truncated %v", res.Body, res.Truncated)
	}
	res = c.Do(context.Background(), post(s.URL("/echo")))
	if len(res.Body) != 2 || !res.Truncated || res.Status != prikke.ExecutionStatusSuccess {
		t.Errorf("over MaxBody: body %q truncated %v", res.Body, res.Truncated)
	}
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		size, max int
		hint      int64
	}{
		{0, 10, -1}, {1, 10, -1}, {10, 10, -1}, {11, 10, -1}, {5000, 10, -1}, {5000, 4096, -1},
		{5000, 4096, 5000}, {10, 10, 10}, {9, 10, 9}, {100000, 65536, -1}, {100000, 65536, 100000},
	} {
		body := strings.Repeat("x", tt.size)
		got, truncated, err := readBody(strings.NewReader(body), tt.max, tt.hint)
		want := min(tt.size, tt.max)
		if err != nil || len(got) != want || truncated != (tt.size > tt.max) {
			t.Errorf("%+v: got %d bytes, truncated %v, err %v", tt, len(got), truncated, err)
		}
	}
}

func TestDoRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	target := startSink(t, sink.Options{})
	// The target is on the allow list too: only the policy keeps it dry.
	c := clientFor(t, Options{}, s, target)
	for _, code := range []string{"301", "302", "303", "307", "308"} {
		to := target.URL("/ok")
		res := c.Do(context.Background(), post(s.URL("/"+code+"?to="+to)))
		if res.Status != prikke.ExecutionStatusFailed || res.StatusCode != atoi(code) ||
			res.Error != "redirect not followed ("+code+" to "+to+")" {
			t.Errorf("%s: %+v", code, res)
		}
		if !slices.Contains(res.Headers, prikke.Header{Name: "Location", Value: to}) {
			t.Errorf("%s: Location not recorded: %v", code, res.Headers)
		}
	}
	if target.Count() != 0 || target.Conns() != 0 {
		t.Errorf("redirect target got %d requests on %d connections", target.Count(), target.Conns())
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestDoSelfSignedTLSRefused(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{TLS: true})
	c := clientFor(t, Options{}, s)
	res := c.Do(context.Background(), post(s.URL("/ok")))
	if res.Status != prikke.ExecutionStatusFailed ||
		res.Error != "TLS certificate verification failed: x509: certificate signed by unknown authority" {
		t.Fatalf("result %+v", res)
	}
	if s.Count() != 0 {
		t.Errorf("the sink got %d requests over unverified TLS", s.Count())
	}
	if c.transport.TLSClientConfig.InsecureSkipVerify {
		t.Error("InsecureSkipVerify set")
	}
}

// An https URL to a plain HTTP server fails the handshake with a clear text.
func TestDoTLSToPlainServer(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	res := c.Do(context.Background(), post(strings.Replace(s.URL("/ok"), "http:", "https:", 1)))
	if res.Status != prikke.ExecutionStatusFailed || !strings.HasPrefix(res.Error, "TLS handshake failed") {
		t.Fatalf("result %+v", res)
	}
}

// A failed lookup names the host and, when the name does not exist, says
// so; the resolver's own error, which names its internal address, goes
// to the log and never into the execution record.
func TestDoDNSFailure(t *testing.T) {
	t.Parallel()
	resolver := newFakeResolver()
	resolver.fail("unreachable.test", &net.DNSError{Err: "dial udp 10.0.0.2:53: connect: network is unreachable", Name: "unreachable.test", Server: "10.0.0.2:53"})
	resolver.fail("slow.test", &net.DNSError{Err: "read udp 10.0.0.2:53: i/o timeout", Name: "slow.test", Server: "10.0.0.2:53", IsTimeout: true})
	resolver.fail("odd.test", errors.New("lookup odd.test on 10.0.0.2:53: server misbehaving"))
	var logged bytes.Buffer
	var mu sync.Mutex
	c := New(Options{Resolver: resolver, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &mu}, nil))})
	defer c.Close()
	for host, want := range map[string]string{
		"example.invalid":  "DNS lookup failed for example.invalid: no such host",
		"empty.test":       "DNS lookup failed for empty.test: no addresses",
		"unreachable.test": "DNS lookup failed for unreachable.test",
		"slow.test":        "DNS lookup failed for slow.test: timed out",
		"odd.test":         "DNS lookup failed for odd.test",
	} {
		res := c.Do(context.Background(), post("http://"+host+"/"))
		if res.Status != prikke.ExecutionStatusFailed || res.Error != want {
			t.Errorf("%s: %+v, want %q", host, res, want)
		}
	}
	mu.Lock()
	log := logged.String()
	mu.Unlock()
	for _, want := range []string{"host=unreachable.test", "dial udp 10.0.0.2:53: connect: network is unreachable", "host=odd.test", "server misbehaving", "host=slow.test"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "example.invalid") {
		t.Errorf("a name that does not exist is the user's business, not the log's:\n%s", log)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestDoRefusesBadRequests(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	tests := []struct {
		name string
		edit func(*Request)
		want string
	}{
		{"no webhook id", func(r *Request) { r.WebhookID = "" }, "invalid webhook id"},
		{"dot in webhook id", func(r *Request) { r.WebhookID = "msg.1" }, "invalid webhook id"},
		{"no secret", func(r *Request) { r.Secrets = nil }, "no signing secret"},
		{"secret without prefix", func(r *Request) { r.Secrets = []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} }, "invalid signing secret"},
		{"secret not base64", func(r *Request) { r.Secrets = []string{testSecret, "whsec_not*base64"} }, "invalid signing secret"},
		{"scheme", func(r *Request) { r.URL = "ftp://" + s.Addr().String() + "/" }, `unsupported URL scheme "ftp"`},
		{"gopher", func(r *Request) { r.URL = "gopher://" + s.Addr().String() + "/" }, `unsupported URL scheme "gopher"`},
		{"no host", func(r *Request) { r.URL = "http:///ok" }, "URL has no host"},
		{"bad URL", func(r *Request) { r.URL = "http://exa mple.com/" }, "invalid URL"},
		{"bad method", func(r *Request) { r.Method = "GE T" }, "invalid method"},
	}
	for _, tt := range tests {
		req := post(s.URL("/ok"))
		tt.edit(&req)
		res := c.Do(context.Background(), req)
		if res.Status != prikke.ExecutionStatusFailed || !strings.HasPrefix(res.Error, tt.want) {
			t.Errorf("%s: %+v", tt.name, res)
		}
		if strings.Contains(res.Error, "whsec_") || strings.Contains(res.Error, "MfKQ9r8G") {
			t.Errorf("%s: secret in error %q", tt.name, res.Error)
		}
	}
	if s.Conns() != 0 {
		t.Errorf("%d connections for requests that should not be sent", s.Conns())
	}
}

func TestDoParentCanceled(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		s.WaitCount(context.Background(), 1)
		cancel()
	}()
	res := c.Do(ctx, post(s.URL("/hang")))
	if res.Status != prikke.ExecutionStatusFailed || res.Error != "canceled" {
		t.Fatalf("result %+v", res)
	}
}

func TestDoDefaultTimeout(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req := post(s.URL("/hang"))
	req.Timeout = 0
	res := c.Do(ctx, req)
	// The caller's shorter deadline ends the attempt as a timeout, and the
	// message names it rather than the 30 s default.
	if res.Status != prikke.ExecutionStatusTimeout || !strings.HasPrefix(res.Error, "timed out after ") || !strings.HasSuffix(res.Error, "ms") {
		t.Fatalf("result %+v", res)
	}
}

func TestDoUsesNowFunc(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{RecordHeaders: true})
	fixed := time.Unix(1614265330, 0)
	c := clientFor(t, Options{NowFunc: func() time.Time { return fixed }}, s)
	res := c.Do(context.Background(), post(s.URL("/ok")))
	if res.Status != prikke.ExecutionStatusSuccess || !res.StartedAt.Equal(fixed) {
		t.Fatalf("result %+v", res)
	}
	r := s.Requests()[0]
	if ts := r.Header.Get("Webhook-Timestamp"); ts != "1614265330" {
		t.Errorf("webhook-timestamp = %s", ts)
	}
	// Years old: the reference verifier refuses it; ignoring the clock, it verifies.
	wh, _ := standardwebhooks.NewWebhook(testSecret)
	if err := wh.Verify(r.Body, r.Header); err == nil {
		t.Error("reference verifier accepted a 2021 timestamp")
	}
	if err := wh.VerifyIgnoringTimestamp(r.Body, r.Header); err != nil {
		t.Error(err)
	}
}

// The benchmark drives this many deliveries; here a burst checks that
// concurrent use is race-free and keeps to a handful of connections.
func TestDoConcurrent(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, s)
	const workers, each = 16, 25
	errs := make(chan string, workers*each)
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				req := post(s.URL("/ok"))
				req.WebhookID = "msg_" + string(rune('a'+w)) + string(rune('a'+i))
				req.Secrets = []string{testSecret, otherSecret}
				if res := c.Do(context.Background(), req); res.Status != prikke.ExecutionStatusSuccess {
					errs <- res.Error
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	ids := s.ByWebhookID()
	if len(ids) != workers*each {
		t.Errorf("%d distinct webhook ids, want %d", len(ids), workers*each)
	}
	for _, r := range s.Requests() {
		if !r.SignatureValid {
			t.Fatalf("invalid signature: %s", r.SignatureError)
		}
	}
	if s.Conns() > 2*workers { // the Transport may finish a dial it no longer needs
		t.Errorf("%d connections for %d workers", s.Conns(), workers)
	}
}

// Credentials in the URL become Basic auth, as with http.Client, and stay
// out of the recorded headers.
func TestDoURLCredentials(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{RecordHeaders: true})
	c := clientFor(t, Options{}, s)
	res := c.Do(context.Background(), post(strings.Replace(s.URL("/ok"), "http://", "http://user:pass@", 1)))
	if res.Status != prikke.ExecutionStatusSuccess {
		t.Fatal(res.Error)
	}
	if got := s.Requests()[0].Header.Get("Authorization"); got != "Basic dXNlcjpwYXNz" {
		t.Errorf("Authorization = %q", got)
	}
	for _, h := range res.RequestHeaders {
		if h.Name == "Authorization" {
			t.Errorf("recorded %v", h)
		}
	}
}
