// Package sink is a loopback HTTP receiver that stands in for a customer's
// endpoint. Tests point deliveries at it and the `prikke bench` command
// drives load into it, so it is production code, kept cheap enough to take
// tens of thousands of requests a second on one core.
//
// A Sink records every request it receives (arrival time, the Standard
// Webhooks and Prikke headers, the body, and whether the signature verifies
// against one of its secrets) and answers according to the request path:
//
//	/ok                    200 "ok"
//	/slow?ms=N             200 "ok" after N milliseconds
//	/hang                  never answers; returns when the client goes away
//	/drip?interval_ms=N    200, then one byte every N ms (default 1000), flushed, forever
//	/500 /410              that status
//	/429?retry_after=V     429 with "Retry-After: V" when V is given
//	/503?retry_after=V     503 likewise
//	/301 /302 /303 /307 /308 ?to=URL   that status with "Location: URL"
//	/status?code=N[&to=URL]            status N (200-599), Location when given
//	/reset                 closes the TCP connection with a reset (SO_LINGER 0)
//	/big?mb=N              200 with an N MiB body, streamed
//	/echo                  200 with a JSON description of the request
//	anything else          200 "ok"
//
// Streaming paths (/big, /drip) record how many body bytes they wrote and
// the write error that stopped them, so a test can prove a client hung up
// early instead of reading everything.
package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBody is how many bytes of each request body a Sink keeps.
const DefaultMaxBody = 64 << 10

// maxVerifyBody caps how much of a request body is read to check its
// signature; larger bodies are recorded as not verifiable.
const maxVerifyBody = 8 << 20

// Options configures a Sink.
type Options struct {
	// Secrets are Standard Webhooks secrets ("whsec_…"). A request's
	// signature is valid when it verifies against any of them.
	Secrets []string
	// RecordHeaders keeps a copy of every request's headers in
	// Received.Header. Off by default: cloning headers is most of the cost
	// of recording under load.
	RecordHeaders bool
	// MaxBody is how many bytes of each request body are kept; 0 means
	// DefaultMaxBody, a negative value keeps none.
	MaxBody int
	// TLS serves HTTPS with a self-signed certificate that no client
	// trusts.
	TLS bool
	// Addr is the loopback address to listen on; "" means 127.0.0.1:0.
	Addr string
	// Now is the clock used for arrival times and the signature's
	// timestamp tolerance; nil means time.Now.
	Now func() time.Time
	// Wrap, when set, wraps the sink's handler: the server calls the
	// handler it returns (the bench receiver answers its control paths
	// there and passes everything else on to the sink).
	Wrap func(http.Handler) http.Handler
}

// Received is one request as the sink saw it.
type Received struct {
	At           time.Time
	Method       string
	Path         string
	Query        string
	RemoteAddr   string
	WebhookID    string // webhook-id
	JobID        string // Prikke-Job-Id
	ExecutionID  string // Prikke-Execution-Id
	ScheduledFor string // Prikke-Scheduled-For, as sent
	Attempt      string // Prikke-Attempt, as sent
	// IdempotencyKey is the Idempotency-Key header (a workflow step's
	// "<run>.<step>[.<item>]").
	IdempotencyKey string
	UserAgent      string
	ContentType    string
	Header         http.Header // nil unless Options.RecordHeaders
	Body           []byte      // the first Options.MaxBody bytes
	BodySize       int         // bytes of body read
	// SignatureValid reports whether the Standard Webhooks signature
	// verified against one of the sink's secrets within ±5 minutes;
	// SignatureError says why not.
	SignatureValid bool
	SignatureError string
	// Written and WriteErr are filled in by streaming paths (/big, /drip)
	// when they stop: the response body bytes written and the write error
	// that ended them ("" if they ended for another reason).
	Written  int64
	WriteErr string
	// Done is set when a streaming path has stopped.
	Done bool
	// Sent is when the handler returned, its response written (the
	// server flushes the buffered response right after): a workflow's
	// next step cannot have been sent before it, and the time from it to
	// the next step's At is the engine's hand-off.
	Sent time.Time
}

// Sink is a running receiver. Its methods are safe for concurrent use.
type Sink struct {
	opts    Options
	keys    []*key
	now     func() time.Time
	ln      net.Listener
	srv     *http.Server
	addr    netip.AddrPort
	base    string
	closing chan struct{}
	once    sync.Once
	conns   atomic.Int64

	mu      sync.Mutex
	idle    sync.Cond // signalled when active drops to 0 after Close
	active  int       // handlers running
	gen     uint64    // bumped by Reset so late updates skip cleared records
	reqs    store
	done    int // streaming paths finished since the last Reset
	waiters []waiter
	closed  bool
}

// store is an append-only list in fixed-size chunks: appending never
// copies what is already there, which keeps recording cheap when the
// sink holds hundreds of thousands of requests.
type store struct {
	chunks [][]Received
	n      int
}

const chunkSize = 4096

func (st *store) add(r Received) int {
	if st.n%chunkSize == 0 {
		st.chunks = append(st.chunks, make([]Received, 0, chunkSize))
	}
	last := len(st.chunks) - 1
	st.chunks[last] = append(st.chunks[last], r)
	st.n++
	return st.n - 1
}

func (st *store) at(i int) *Received {
	return &st.chunks[i/chunkSize][i%chunkSize]
}

type waiter struct {
	n    int
	done bool // wait for finished streaming paths rather than arrivals
	ch   chan struct{}
}

// New starts a plain HTTP sink on 127.0.0.1:0 that verifies signatures
// against secrets. It panics if it cannot listen or a secret is malformed,
// as httptest.NewServer does; use Start to get an error instead.
func New(secrets ...string) *Sink {
	s, err := Start(Options{Secrets: secrets})
	if err != nil {
		panic(err)
	}
	return s
}

// NewTLS is New with a self-signed HTTPS server.
func NewTLS(secrets ...string) *Sink {
	s, err := Start(Options{Secrets: secrets, TLS: true})
	if err != nil {
		panic(err)
	}
	return s
}

// Start starts a sink with the given options.
func Start(opts Options) (*Sink, error) {
	if opts.MaxBody == 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Sink{opts: opts, now: opts.Now, closing: make(chan struct{})}
	s.idle.L = &s.mu
	if s.now == nil {
		s.now = time.Now
	}
	for i, secret := range opts.Secrets {
		k, err := newKey(secret)
		if err != nil {
			return nil, fmt.Errorf("sink: secret %d: %w", i, err)
		}
		s.keys = append(s.keys, k)
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sink: listen: %w", err)
	}
	tcpAddr := ln.Addr().(*net.TCPAddr)
	s.addr = netip.AddrPortFrom(tcpAddr.AddrPort().Addr().Unmap(), uint16(tcpAddr.Port))
	s.ln = &countingListener{Listener: ln, n: &s.conns}
	scheme := "http"
	if opts.TLS {
		cfg, err := selfSignedConfig()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("sink: %w", err)
		}
		s.ln = tlsListener(s.ln, cfg)
		scheme = "https"
	}
	s.base = scheme + "://" + s.addr.String()
	var h http.Handler = s
	if opts.Wrap != nil {
		h = opts.Wrap(s)
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// Resets, hijacks and clients that hang up are the point of the
		// sink; their log lines are noise.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go s.srv.Serve(s.ln)
	return s, nil
}

// URL returns the sink's base URL joined with path, e.g.
// URL("/ok") = "http://127.0.0.1:40123/ok".
func (s *Sink) URL(path string) string {
	if path != "" && path[0] != '/' {
		path = "/" + path
	}
	return s.base + path
}

// Addr returns the address the sink listens on.
func (s *Sink) Addr() netip.AddrPort { return s.addr }

// Conns returns the number of TCP connections accepted so far.
func (s *Sink) Conns() int { return int(s.conns.Load()) }

// Close stops the sink: open connections are closed, hanging and streaming
// handlers return, and Close waits for every handler to finish. Calling it
// twice is safe.
func (s *Sink) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closed = true
		for _, w := range s.waiters {
			close(w.ch)
		}
		s.waiters = nil
		for s.active > 0 {
			s.idle.Wait()
		}
	})
}

// Count returns the number of requests received since start or the last
// Reset.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs.n
}

// Requests returns a copy of the requests received, in arrival order.
func (s *Sink) Requests() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, 0, s.reqs.n)
	for _, c := range s.reqs.chunks {
		out = append(out, c...)
	}
	return out
}

// Each calls fn with each request received, in arrival order, under the
// sink's lock (fn must not call the sink), until fn returns false. Unlike
// Requests it copies nothing.
func (s *Sink) Each(fn func(r *Received) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.reqs.chunks {
		for i := range c {
			if !fn(&c[i]) {
				return
			}
		}
	}
}

// ByWebhookID counts requests per webhook-id; a value above 1 is a
// duplicate delivery (or a retry).
func (s *Sink) ByWebhookID() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, s.reqs.n)
	for _, c := range s.reqs.chunks {
		for i := range c {
			m[c[i].WebhookID]++
		}
	}
	return m
}

// Reset forgets the requests received so far. Connection counts are kept.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.reqs = store{}
	s.done = 0
}

// WaitCount blocks until at least n requests have arrived, the context
// ends, or the sink is closed.
func (s *Sink) WaitCount(ctx context.Context, n int) error {
	return s.wait(ctx, n, false)
}

// WaitStreams blocks until at least n streaming responses (/big, /drip)
// have stopped, so their Written and WriteErr are final.
func (s *Sink) WaitStreams(ctx context.Context, n int) error {
	return s.wait(ctx, n, true)
}

var errClosed = errors.New("sink: closed")

func (s *Sink) wait(ctx context.Context, n int, done bool) error {
	s.mu.Lock()
	have := s.reqs.n
	if done {
		have = s.done
	}
	if have >= n {
		s.mu.Unlock()
		return nil
	}
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	w := waiter{n: n, done: done, ch: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()

	select {
	case <-w.ch:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed && !s.reachedLocked(w) {
			return errClosed
		}
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for i := range s.waiters {
			if s.waiters[i].ch == w.ch {
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		return fmt.Errorf("sink: waiting for %d requests: %w", n, ctx.Err())
	}
}

func (s *Sink) reachedLocked(w waiter) bool {
	if w.done {
		return s.done >= w.n
	}
	return s.reqs.n >= w.n
}

// wakeLocked releases the waiters whose count has been reached.
func (s *Sink) wakeLocked() {
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if s.reachedLocked(w) {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	clear(s.waiters[len(kept):])
	s.waiters = kept
}

// record appends rec and returns a handle for a later update.
func (s *Sink) record(rec Received) recordRef {
	s.mu.Lock()
	s.active++
	ref := recordRef{gen: s.gen, i: s.reqs.add(rec)}
	if len(s.waiters) > 0 {
		s.wakeLocked()
	}
	s.mu.Unlock()
	return ref
}

type recordRef struct {
	gen uint64
	i   int
}

// finish stores how a streaming response ended.
func (s *Sink) finish(ref recordRef, written int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref.gen != s.gen {
		return
	}
	r := s.reqs.at(ref.i)
	r.Written = written
	if err != nil {
		r.WriteErr = err.Error()
	}
	r.Done = true
	s.done++
	if len(s.waiters) > 0 {
		s.wakeLocked()
	}
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ServeHTTP records the request, then answers it according to its path.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bodyPool.Put(buf)
		}
	}()
	readErr := readAll(buf, r.Body, maxVerifyBody+1)
	body := buf.Bytes()

	rec := Received{
		At:             s.now(),
		Method:         r.Method,
		Path:           r.URL.Path,
		Query:          r.URL.RawQuery,
		RemoteAddr:     r.RemoteAddr,
		WebhookID:      first(r.Header["Webhook-Id"]),
		JobID:          first(r.Header["Prikke-Job-Id"]),
		ExecutionID:    first(r.Header["Prikke-Execution-Id"]),
		ScheduledFor:   first(r.Header["Prikke-Scheduled-For"]),
		Attempt:        first(r.Header["Prikke-Attempt"]),
		IdempotencyKey: first(r.Header["Idempotency-Key"]),
		UserAgent:      first(r.Header["User-Agent"]),
		ContentType:    first(r.Header["Content-Type"]),
		BodySize:       len(body),
	}
	if s.opts.RecordHeaders {
		rec.Header = r.Header.Clone()
	}
	if keep := min(len(body), s.opts.MaxBody); keep > 0 {
		rec.Body = bytes.Clone(body[:keep])
	}
	switch {
	case readErr != nil:
		rec.SignatureError = "reading body: " + readErr.Error()
	case len(body) > maxVerifyBody:
		rec.SignatureError = "body too large to verify"
	default:
		if err := verify(s.keys, r.Header, body, rec.At); err != nil {
			rec.SignatureError = err.Error()
		} else {
			rec.SignatureValid = true
		}
	}
	ref := s.record(rec)
	defer s.release(ref)
	s.respond(w, r, ref, body)
}

// release marks a handler finished and records when.
func (s *Sink) release(ref recordRef) {
	sent := s.now()
	s.mu.Lock()
	if ref.gen == s.gen {
		s.reqs.at(ref.i).Sent = sent
	}
	s.active--
	if s.active == 0 && s.closed {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// readAll reads r into buf until EOF or until buf holds limit bytes.
func readAll(buf *bytes.Buffer, r io.Reader, limit int) error {
	for buf.Len() < limit {
		buf.Grow(512)
		b := buf.AvailableBuffer()
		n, err := r.Read(b[:min(cap(b), limit-buf.Len())])
		buf.Write(b[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
