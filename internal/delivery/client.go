package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"code.dny.dev/ssrf"

	"github.com/prikke/prikke"
)

// Defaults.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 64 << 10
)

// Options configures a Client.
type Options struct {
	// Allow lets exact ip:port pairs through the guard. It exists for
	// tests against a loopback sink; the config layer refuses it in
	// production. 127.0.0.1:P does not allow 127.0.0.1:Q nor [::1]:P.
	Allow []netip.AddrPort
	// AllowNets lets whole ranges through the guard's address rules, for
	// development against one's own machine (PRIKKE_SSRF_ALLOW=loopback
	// or a CIDR); the config layer refuses it in production. Unlike Allow,
	// the port rules (PortAllowed) still apply.
	AllowNets []netip.Prefix
	// Logger receives what users are not shown: the resolver's own error
	// behind a failed DNS lookup. nil discards it.
	Logger *slog.Logger
	// Resolver looks up host names; nil means Go's own resolver
	// (net.Resolver with PreferGo), never the C library's.
	Resolver Resolver
	// MaxBody is how many bytes of a response body are read and kept; 0
	// means DefaultMaxBody (64 KiB).
	MaxBody int
	// NowFunc is the clock for webhook-timestamp, StartedAt and Duration;
	// nil means time.Now.
	NowFunc func() time.Time
	// MaxConnsPerHost caps connections per destination; 0 means no cap.
	MaxConnsPerHost int
}

// Client delivers requests. It holds one Transport whose connections are
// reused across deliveries, so make one Client per process and share it.
// It is safe for concurrent use.
type Client struct {
	allow     []netip.AddrPort
	allowNets []netip.Prefix
	log       *slog.Logger
	resolver  Resolver
	maxBody   int
	now       func() time.Time
	dialer    *net.Dialer
	ssrf      *ssrf.Guardian
	// transport is used directly, not through an http.Client: Prikke
	// follows no redirects and keeps no cookies, and the Client's
	// per-request header copy for redirects is waste at 10,000+ requests
	// a second.
	transport *http.Transport
	signers   signers
}

// New returns a Client.
func New(opts Options) *Client {
	c := &Client{
		allow:     slices.Clone(opts.Allow),
		allowNets: slices.Clone(opts.AllowNets),
		log:       opts.Logger,
		resolver:  opts.Resolver,
		maxBody:   opts.MaxBody,
		now:       opts.NowFunc,
		// Ports are this package's business (PortAllowed); the library
		// is a second opinion on addresses only.
		ssrf: ssrf.New(ssrf.WithAnyPort()),
	}
	if c.resolver == nil {
		c.resolver = &net.Resolver{PreferGo: true}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.now == nil {
		c.now = time.Now
	}
	// net/http lets a dial (and its TLS handshake) outlive the request that
	// started it, so a connection can serve the next one. These caps stop
	// black-holed or stalling servers from piling up sockets after their
	// attempts have timed out; attempts themselves are bounded by
	// Request.Timeout.
	c.dialer = &net.Dialer{Timeout: DefaultTimeout, KeepAlive: 30 * time.Second, Control: c.control}

	// HTTP/1.1 only: an HTTP/2 server may push up to the stream window
	// (4 MiB in Go) into client buffers before the body is read, which
	// would make memory per delivery depend on the server.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	c.transport = &http.Transport{
		Proxy:       nil, // HTTP_PROXY and friends are ignored
		DialContext: c.dialContext,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(1024),
		},
		TLSHandshakeTimeout:    DefaultTimeout,
		Protocols:              &protocols,
		DisableCompression:     true, // bodies are stored as sent; no gzip bombs
		MaxIdleConns:           4096,
		MaxIdleConnsPerHost:    512,
		MaxConnsPerHost:        opts.MaxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return c
}

// Close closes idle connections. The Client stays usable.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// Request is one delivery attempt.
type Request struct {
	Method  string // "" means GET
	URL     string // http or https
	Headers []prikke.Header
	Body    []byte
	// Timeout is the total deadline of the attempt: connecting, TLS,
	// sending, waiting for and reading the response. 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// WebhookID is the Standard Webhooks message id: the same for every
	// attempt of one occurrence, without '.'. Required.
	WebhookID string
	// Secrets are the signing secrets ("whsec_…"); one signature is sent
	// per secret, so during a rotation both old and new verify. At least
	// one is required.
	Secrets []string
	// Optional Prikke-* headers; each is omitted when zero.
	JobID        string
	ExecutionID  string
	ScheduledFor time.Time
	Attempt      int
	// Trace records where the time went (Result.Trace); RecordBody keeps
	// the body sent (Result.RequestBody, cut at prikke.MaxRecordedBody).
	// Both are on in production (PRIKKE_TRACE, PRIKKE_RECORD_REQUEST_BODY)
	// and cost little; the bench measures them off against on.
	Trace      bool
	RecordBody bool
}

// Result is what happened to one attempt.
type Result struct {
	Status     prikke.ExecutionStatus // success, failed or timeout
	StartedAt  time.Time
	Duration   time.Duration
	StatusCode int             // 0 if no response arrived
	Headers    []prikke.Header // response headers, sorted by name, one entry per value
	Body       []byte          // at most MaxBody bytes of the response body
	Truncated  bool            // the body was longer than Body
	Error      string          // a short reason, "" on success
	// RetryAfter is the delay a 429 or 503 asked for (Retry-After, capped
	// at 24 h); 0 if none or unreadable.
	RetryAfter time.Duration
	// Gone is set on 410: the receiver asks never to be called again.
	Gone bool
	// RequestHeaders are the headers sent (besides Host and
	// Content-Length), for the execution record.
	RequestHeaders []prikke.Header
	// RequestBody is the body sent, at most prikke.MaxRecordedBody bytes
	// (RequestTruncated when cut), when Request.RecordBody. It shares
	// Request.Body's array: copy before changing either.
	RequestBody      []byte
	RequestTruncated bool
	// Trace is where the time went, when Request.Trace (nil otherwise).
	Trace *prikke.Trace
}

// Header names Prikke sets. The Standard Webhooks names are lower case in
// the spec; HTTP/1.1 names are case-insensitive, so the canonical form goes
// on the wire and the spec's form into the record.
const (
	hdrUserAgent    = "User-Agent"
	hdrWebhookID    = "Webhook-Id"
	hdrTimestamp    = "Webhook-Timestamp"
	hdrSignature    = "Webhook-Signature"
	hdrJobID        = "Prikke-Job-Id"
	hdrExecutionID  = "Prikke-Execution-Id"
	hdrScheduledFor = "Prikke-Scheduled-For"
	hdrAttempt      = "Prikke-Attempt"
	hdrContentType  = "Content-Type"
)

// Do makes one attempt and reports what happened. It never returns an
// error: every failure, including a request Prikke refuses to send, is a
// Result with Status failed (or timeout) and a short Error.
//
// The request is signed to the Standard Webhooks spec and carries
// User-Agent "Prikke/<version>" and the Prikke-* headers given. Reserved
// user headers (prikke.ReservedHeader) are dropped. The caller's
// Content-Type is sent as given; without one, a body that is JSON goes as
// application/json (receivers such as Express and Flask read nothing from
// a body with no type), and any other body goes without a type, since
// Prikke cannot know what its bytes are. Redirects are not followed; the
// 3xx is the result.
func (c *Client) Do(ctx context.Context, req Request) Result {
	start := c.now()
	res := Result{StartedAt: start}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	header, sent, err := c.header(req, start)
	if err != nil {
		res.Status, res.Error = prikke.ExecutionStatusFailed, err.Error()
		return res
	}
	res.RequestHeaders = sent
	if req.RecordBody && len(req.Body) > 0 {
		// The caller's bytes, not a copy (Result.RequestBody says so).
		res.RequestBody = req.Body
		if len(req.Body) > prikke.MaxRecordedBody {
			res.RequestBody, res.RequestTruncated = req.Body[:prikke.MaxRecordedBody:prikke.MaxRecordedBody], true
		}
	}

	// A caller's earlier deadline (a shutdown, say) wins; the error then
	// names it instead of the job's timeout.
	if dl, ok := ctx.Deadline(); ok {
		if until := time.Until(dl); until < timeout {
			timeout = max(until.Round(time.Millisecond), 0)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rctx := dctx
	var t *tracer
	if req.Trace {
		rctx, t = withTracer(dctx)
	}
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(rctx, req.Method, req.URL, body)
	if err != nil {
		res.Status, res.Error = prikke.ExecutionStatusFailed, requestError(err)
		return res
	}
	if hreq.URL.Scheme != "http" && hreq.URL.Scheme != "https" {
		res.Status, res.Error = prikke.ExecutionStatusFailed, "unsupported URL scheme "+strconv.Quote(hreq.URL.Scheme)
		return res
	}
	if hreq.URL.Host == "" {
		res.Status, res.Error = prikke.ExecutionStatusFailed, "URL has no host"
		return res
	}
	hreq.Header = header
	if u := hreq.URL.User; u != nil && header["Authorization"] == nil {
		// What http.Client does for https://user:pass@host/ URLs. Not
		// added to RequestHeaders: the credentials are in the URL already.
		password, _ := u.Password()
		header["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+password))}
	}

	resp, err := c.transport.RoundTrip(hreq)
	if err != nil {
		var lookup *lookupError
		if errors.As(err, &lookup) && lookup.detail() != "" && dctx.Err() == nil {
			c.log.Warn("delivery: DNS lookup failed", "host", lookup.host, "error", lookup.detail())
		}
		res.Duration = c.now().Sub(start)
		if t != nil {
			res.Trace = t.trace(time.Now())
		}
		res.Status, res.Error = failure(err, dctx, timeout)
		return res
	}
	res.StatusCode = resp.StatusCode
	res.Headers = flatten(resp.Header)
	res.Body, res.Truncated, err = readBody(resp.Body, c.maxBody, resp.ContentLength)
	// Closing before EOF (a truncated body) makes the Transport drop the
	// connection rather than drain the rest.
	resp.Body.Close()
	if t != nil {
		res.Trace = t.trace(time.Now())
	}
	now := c.now()
	res.Duration = now.Sub(start)
	if err != nil {
		status, msg := failure(err, dctx, timeout)
		res.Status, res.Error = status, msg+" while reading the response body"
		return res
	}

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		res.Status = prikke.ExecutionStatusSuccess
		return res
	case code >= 300 && code < 400:
		if loc := resp.Header.Get("Location"); loc != "" {
			res.Error = "redirect not followed (" + strconv.Itoa(code) + " to " + clip(loc, 300) + ")"
		} else {
			res.Error = "HTTP " + strconv.Itoa(code)
		}
	default:
		res.Error = "HTTP " + strconv.Itoa(code)
	}
	res.Status = prikke.ExecutionStatusFailed
	switch code {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		res.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	case http.StatusGone:
		res.Gone = true
	}
	return res
}

// header builds the request headers and their record.
func (c *Client) header(req Request, now time.Time) (http.Header, []prikke.Header, error) {
	if req.WebhookID == "" || strings.ContainsAny(req.WebhookID, ". \r\n") {
		return nil, nil, errBadWebhookID
	}
	if len(req.Secrets) == 0 {
		return nil, nil, errNoSecret
	}
	unix := now.Unix()
	var sigBuf [2 * 48]byte // two secrets (a rotation) fit without a heap buffer
	sig := sigBuf[:0]
	for i, secret := range req.Secrets {
		s, err := c.signers.get(secret)
		if err != nil {
			return nil, nil, errBadSecret
		}
		if i > 0 {
			sig = append(sig, ' ')
		}
		sig = s.append(sig, req.WebhookID, unix, req.Body)
	}

	n := 4 + len(req.Headers)
	if req.JobID != "" {
		n++
	}
	if req.ExecutionID != "" {
		n++
	}
	if !req.ScheduledFor.IsZero() {
		n++
	}
	if req.Attempt != 0 {
		n++
	}
	if len(req.Body) > 0 {
		n++ // a Content-Type, if the job sets none
	}
	hb := headerBuilder{
		h:    make(http.Header, n),
		sent: make([]prikke.Header, 0, n),
		vals: make([]string, 0, n),
	}
	hb.set(hdrUserAgent, hdrUserAgent, userAgent())
	hb.set(hdrWebhookID, "webhook-id", req.WebhookID)
	hb.set(hdrTimestamp, "webhook-timestamp", strconv.FormatInt(unix, 10))
	hb.set(hdrSignature, "webhook-signature", string(sig))
	if req.JobID != "" {
		hb.set(hdrJobID, hdrJobID, req.JobID)
	}
	if req.ExecutionID != "" {
		hb.set(hdrExecutionID, hdrExecutionID, req.ExecutionID)
	}
	if !req.ScheduledFor.IsZero() {
		// To the millisecond: a queued request's occurrence is not on a
		// whole second, and receivers compare it with the due_at the
		// queue API answered, written the same way.
		hb.set(hdrScheduledFor, hdrScheduledFor, prikke.FormatInstant(req.ScheduledFor))
	}
	if req.Attempt != 0 {
		hb.set(hdrAttempt, hdrAttempt, strconv.Itoa(req.Attempt))
	}
	for _, h := range req.Headers {
		// Validation refuses these; this is the last line if one slips by.
		if h.Name == "" || prikke.ReservedHeader(h.Name) {
			continue
		}
		hb.add(http.CanonicalHeaderKey(h.Name), h)
	}
	if hb.h[hdrContentType] == nil && len(req.Body) > 0 {
		// The rule the API and the dashboard show, so they cannot drift.
		if ct := prikke.ContentType(req.Headers, string(req.Body)); ct != "" {
			hb.add(hdrContentType, prikke.Header{Name: hdrContentType, Value: ct})
		}
	}
	return hb.h, hb.sent, nil
}

// headerBuilder fills an http.Header with one backing array for all
// values instead of one small slice per header.
type headerBuilder struct {
	h    http.Header
	sent []prikke.Header
	vals []string
}

func (b *headerBuilder) set(key, name, value string) {
	b.vals = append(b.vals, value)
	i := len(b.vals) - 1
	b.h[key] = b.vals[i : i+1 : i+1]
	b.sent = append(b.sent, prikke.Header{Name: name, Value: value})
}

func (b *headerBuilder) add(key string, h prikke.Header) {
	if _, ok := b.h[key]; ok {
		b.h[key] = append(b.h[key], h.Value)
		b.sent = append(b.sent, h)
		return
	}
	b.vals = append(b.vals, h.Value)
	i := len(b.vals) - 1
	b.h[key] = b.vals[i : i+1 : i+1]
	b.sent = append(b.sent, h)
}

type userAgentValue struct{ version, value string }

var userAgentCache atomic.Pointer[userAgentValue]

// userAgent is "Prikke/<version>". prikke.Version is set at link time (or
// by tests), so it is read on each call and the string built once per
// version.
func userAgent() string {
	v := prikke.Version
	if p := userAgentCache.Load(); p != nil && p.version == v {
		return p.value
	}
	p := &userAgentValue{version: v, value: "Prikke/" + v}
	userAgentCache.Store(p)
	return p.value
}

// readBody reads at most max bytes of r, reporting whether there was more.
// It never reads more than max+1 bytes; hint is the Content-Length, -1 if
// unknown, and sizes the first buffer.
func readBody(r io.Reader, max int, hint int64) ([]byte, bool, error) {
	if hint == 0 {
		return nil, false, nil
	}
	limit := max + 1
	size := 512
	if hint > 0 {
		size = int(min(hint, int64(max))) + 1
	}
	buf := make([]byte, 0, min(size, limit))
	for {
		if len(buf) == cap(buf) {
			if len(buf) == limit {
				return buf[:max], true, nil
			}
			grown := make([]byte, len(buf), min(2*cap(buf), limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			truncated := len(buf) > max
			if truncated {
				buf = buf[:max]
			}
			if len(buf) == 0 {
				buf = nil
			}
			if err == io.EOF {
				err = nil
			}
			return buf, truncated, err
		}
	}
}

// flatten turns response headers into sorted name/value pairs, one per
// value, keeping the order of repeated values.
func flatten(h http.Header) []prikke.Header {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	if n == 0 {
		return nil
	}
	out := make([]prikke.Header, 0, n)
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, prikke.Header{Name: k, Value: v})
		}
	}
	slices.SortStableFunc(out, func(a, b prikke.Header) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// maxRetryAfter caps how long a receiver may ask Prikke to wait.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value, delta-seconds or an HTTP-date
// relative to now. Garbage, negative values and dates in the past give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return maxRetryAfter
			}
			return 0
		}
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d.Round(time.Second), maxRetryAfter)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
