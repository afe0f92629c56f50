package sink_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/prikke/prikke/internal/sink"
)

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdGluZy0xMjM0"
)

func start(t *testing.T, opts sink.Options) *sink.Sink {
	t.Helper()
	s, err := sink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func noRedirect() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// signed builds a request signed by the reference library.
func signed(t *testing.T, url, secret, id string, ts time.Time, body string) *http.Request {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	return req
}

func TestPaths(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	client := noRedirect()
	tests := []struct {
		method, path string
		code         int
		body         string
		header       string // "Name: value" expected in the response
	}{
		{"GET", "/ok", 200, "ok", ""},
		{"GET", "/anything/else", 200, "ok", ""},
		{"GET", "/slow?ms=30", 200, "ok", ""},
		{"GET", "/500", 500, "", ""},
		{"GET", "/410", 410, "", ""},
		{"GET", "/429?retry_after=120", 429, "", "Retry-After: 120"},
		{"GET", "/503?retry_after=Wed,%2021%20Oct%202015%2007:28:00%20GMT", 503, "", "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"},
		{"GET", "/429", 429, "", ""},
		{"GET", "/302?to=http://example.com/x", 302, "", "Location: http://example.com/x"},
		{"GET", "/308?to=/ok", 308, "", "Location: /ok"},
		{"GET", "/status?code=418", 418, "", ""},
		{"GET", "/status?code=301&to=/ok", 301, "", "Location: /ok"},
		{"GET", "/status?code=99", 400, "code must be 200-599\n", ""},
		{"GET", "/big?mb=1", 200, "", "Content-Length: 1048576"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, s.URL(tt.path), nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tt.path == "/big?mb=1" && len(b) == 1<<20 {
			b = nil
		}
		if resp.StatusCode != tt.code || string(b) != tt.body {
			t.Errorf("%s: got %d %.40q, want %d %.40q", tt.path, resp.StatusCode, b, tt.code, tt.body)
		}
		if tt.header != "" {
			name, value, _ := strings.Cut(tt.header, ": ")
			if got := resp.Header.Get(name); got != value {
				t.Errorf("%s: %s = %q, want %q", tt.path, name, got, value)
			}
		}
	}
	if got, want := s.Count(), len(tests); got != want {
		t.Errorf("Count = %d, want %d", got, want)
	}
}

func TestEcho(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	req, _ := http.NewRequest("PUT", s.URL("/echo?a=1"), strings.NewReader(`{"x":1}`))
	req.Header.Set("X-Test", "yes")
	resp, err := noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Method, Path, Query, Body string
		Header                    map[string][]string
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "PUT" || got.Path != "/echo" || got.Query != "a=1" || got.Body != `{"x":1}` || got.Header["X-Test"][0] != "yes" {
		t.Errorf("echo = %+v", got)
	}
}

func TestRecordsAndVerifies(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{Secrets: []string{secretA}, RecordHeaders: true, MaxBody: 4})
	client := noRedirect()
	now := time.Now()

	send := func(req *http.Request) {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	good := signed(t, s.URL("/ok?q=1"), secretA, "msg_1", now, `{"n":12345}`)
	good.Header.Set("Prikke-Job-Id", "job1")
	good.Header.Set("Prikke-Execution-Id", "ex1")
	good.Header.Set("Prikke-Scheduled-For", "2026-03-29T01:00:00Z")
	good.Header.Set("Prikke-Attempt", "2")
	good.Header.Set("Content-Type", "application/json")
	send(good)
	send(signed(t, s.URL("/ok"), secretB, "msg_2", now, "x"))                           // wrong secret
	send(signed(t, s.URL("/ok"), secretA, "msg_3", now.Add(-6*time.Minute), "x"))       // too old
	send(signed(t, s.URL("/ok"), secretA, "msg_4", now.Add(6*time.Minute), "x"))        // too new
	tampered := signed(t, s.URL("/ok"), secretA, "msg_5", now, "hello")                 // body changed after signing
	tampered.Body, tampered.ContentLength = io.NopCloser(strings.NewReader("hellO")), 5 //
	send(tampered)
	plain, _ := http.NewRequest("GET", s.URL("/ok"), nil) // unsigned
	send(plain)
	send(signed(t, s.URL("/ok"), secretA, "msg_1", now, "again")) // same id again

	reqs := s.Requests()
	if len(reqs) != 7 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if !r.SignatureValid || r.SignatureError != "" {
		t.Errorf("good request: valid=%v err=%q", r.SignatureValid, r.SignatureError)
	}
	if r.Method != "POST" || r.Path != "/ok" || r.Query != "q=1" || r.WebhookID != "msg_1" || r.JobID != "job1" ||
		r.ExecutionID != "ex1" || r.ScheduledFor != "2026-03-29T01:00:00Z" || r.Attempt != "2" ||
		r.ContentType != "application/json" || string(r.Body) != `{"n"` || r.BodySize != 11 {
		t.Errorf("recorded %+v", r)
	}
	if r.Header.Get("Prikke-Job-Id") != "job1" || r.At.IsZero() {
		t.Errorf("headers %v, at %v", r.Header, r.At)
	}
	wantErr := []error{nil, sink.ErrNoMatch, sink.ErrTooOld, sink.ErrTooNew, sink.ErrNoMatch, sink.ErrMissingHeaders, nil}
	for i, want := range wantErr {
		if valid := reqs[i].SignatureValid; valid != (want == nil) {
			t.Errorf("request %d: valid = %v (%s)", i, valid, reqs[i].SignatureError)
		}
		if want != nil && reqs[i].SignatureError != want.Error() {
			t.Errorf("request %d: error %q, want %q", i, reqs[i].SignatureError, want)
		}
	}
	if got := s.ByWebhookID(); got["msg_1"] != 2 || got["msg_2"] != 1 || got[""] != 1 {
		t.Errorf("ByWebhookID = %v", got)
	}
	s.Reset()
	if s.Count() != 0 || len(s.Requests()) != 0 {
		t.Error("Reset kept requests")
	}
	if s.Conns() < 1 {
		t.Errorf("Conns = %d", s.Conns())
	}
}

func TestVerifyRotation(t *testing.T) {
	t.Parallel()
	now := time.Now()
	body := []byte(`{"rotated":true}`)
	h := http.Header{}
	var sigs []string
	for _, secret := range []string{secretA, secretB} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		sig, _ := wh.Sign("msg_r", now, body)
		sigs = append(sigs, sig)
	}
	h.Set("webhook-id", "msg_r")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", strings.Join(sigs, " "))
	for _, secrets := range [][]string{{secretA}, {secretB}, {secretB, secretA}} {
		if err := sink.Verify(secrets, h, body, now); err != nil {
			t.Errorf("%v: %v", secrets, err)
		}
	}
	if err := sink.Verify([]string{"whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, h, body, now); !errors.Is(err, sink.ErrNoMatch) {
		t.Errorf("other secret: %v", err)
	}
	if err := sink.Verify(nil, h, body, now); !errors.Is(err, sink.ErrNoSecrets) {
		t.Errorf("no secrets: %v", err)
	}
	if err := sink.Verify([]string{"nope"}, h, body, now); err == nil {
		t.Error("malformed secret accepted")
	}
	if _, err := sink.Start(sink.Options{Secrets: []string{"whsec_***"}}); err == nil {
		t.Error("Start accepted a malformed secret")
	}
}

func TestWaitCount(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	client := noRedirect()
	const n = 50
	errc := make(chan error, 1)
	go func() { errc <- s.WaitCount(context.Background(), n) }()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := client.Get(s.URL("/ok"))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.WaitCount(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.WaitCount(ctx, n+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitCount past the count: %v", err)
	}
	go func() { errc <- s.WaitCount(context.Background(), n+1) }()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	if err := <-errc; err == nil {
		t.Fatal("WaitCount after Close returned nil")
	}
}

func TestHangAndDripEndWithClient(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	client := noRedirect()
	for _, path := range []string{"/hang", "/drip?interval_ms=10"} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL(path), nil)
		start := time.Now()
		resp, err := client.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		// Ended by the client's deadline, not hung (room for a busy machine).
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s took %v", path, d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitStreams(ctx, 1); err != nil {
		t.Fatal(err)
	}
	drip := s.Requests()[1]
	if !drip.Done || drip.Written < 2 {
		t.Errorf("drip: %+v", drip)
	}
}

func TestCloseReleasesHangingHandlers(t *testing.T) {
	t.Parallel()
	s, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := noRedirect().Get(s.URL("/hang"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	if err := s.WaitCount(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s.Close()
	s.Close()
	// Close does not wait for the hanging handler (room for a busy machine).
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestResetPath(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	resp, err := noRedirect().Get(s.URL("/reset"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("no error from /reset")
	}
	if !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("error %v", err)
	}
}

func TestBigStopsWhenClientHangsUp(t *testing.T) {
	t.Parallel()
	s := start(t, sink.Options{})
	resp, err := noRedirect().Get(s.URL("/big?mb=50"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitStreams(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Written >= 50<<20 || r.WriteErr == "" {
		t.Errorf("written %d, error %q", r.Written, r.WriteErr)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := sink.NewTLS()
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL("/ok"), "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL("/ok"))
	}
	if _, err := noRedirect().Get(s.URL("/ok")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed certificate accepted: %v", err)
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := insecure.Get(s.URL("/ok"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("body %q", b)
	}
	if s.Conns() != 2 {
		t.Errorf("Conns = %d, want 2", s.Conns())
	}
}

func TestIPv6(t *testing.T) {
	t.Parallel()
	s, err := sink.Start(sink.Options{Addr: "[::1]:0"})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	defer s.Close()
	if !s.Addr().Addr().Is6() || !strings.HasPrefix(s.URL("/ok"), "http://[::1]:") {
		t.Errorf("addr %v url %s", s.Addr(), s.URL("/ok"))
	}
}

// BenchmarkSink measures the sink alone: keep-alive clients posting small
// signed bodies to /ok.
func BenchmarkSink(b *testing.B) {
	s, err := sink.Start(sink.Options{Secrets: []string{secretA}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	wh, _ := standardwebhooks.NewWebhook(secretA)
	body := []byte(`{"job":"bench"}`)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			now := time.Now()
			sig, _ := wh.Sign("msg_bench", now, body)
			req, _ := http.NewRequest("POST", s.URL("/ok"), strings.NewReader(string(body)))
			req.Header.Set("webhook-id", "msg_bench")
			req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
			req.Header.Set("webhook-signature", sig)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.StopTimer()
	valid := 0
	for _, r := range s.Requests() {
		if r.SignatureValid {
			valid++
		}
	}
	if valid != s.Count() {
		b.Errorf("%d of %d signatures valid", valid, s.Count())
	}
}

// TestSentAndIdempotencyKey: each request records its Idempotency-Key and
// when its handler returned (Sent), after its arrival (At), on the sink's
// clock, before the client has the response.
func TestSentAndIdempotencyKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tick := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { // each reading one second after the last
		mu.Lock()
		defer mu.Unlock()
		tick = tick.Add(time.Second)
		return tick
	}
	s := start(t, sink.Options{Now: clock})
	for i, key := range []string{"run1.a", "run1.b"} {
		req, err := http.NewRequest("POST", s.URL("/ok"), strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Idempotency-Key", key)
		resp, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got := s.Requests()
		if len(got) != i+1 {
			t.Fatalf("%d requests recorded, want %d", len(got), i+1)
		}
		r := got[i]
		if r.IdempotencyKey != key {
			t.Errorf("IdempotencyKey = %q, want %q", r.IdempotencyKey, key)
		}
		if r.Sent.IsZero() || !r.Sent.After(r.At) {
			t.Errorf("request %d: At %v, Sent %v; want Sent set after At", i, r.At, r.Sent)
		}
		if i == 1 && !r.At.After(got[0].Sent) {
			t.Errorf("second request arrived at %v, not after the first's response (%v)", r.At, got[0].Sent)
		}
	}
}
