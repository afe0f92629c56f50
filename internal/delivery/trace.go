package delivery

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/prikke/prikke"
)

// tracer records where one attempt's time went (Request.Trace). It is
// allocated only for a traced attempt, with its httptrace.ClientTrace in
// it: one allocation besides the two contexts that carry it.
//
// The phases are measured with time.Now, not the Client's clock
// (Options.NowFunc): they are differences of monotonic readings, which an
// injected clock (fixed in tests, shifted in clock-skew tests) would make
// meaningless, while StartedAt and Duration stay on the Client's clock.
//
// DNS and connect are measured in dialContext, around the guard's own
// lookup (the Resolver) and dials: the Transport only ever dials vetted IP
// addresses, so httptrace's DNS hooks would never fire, and the connect
// phase includes every address tried. The TLS handshake, the connection
// handed to the request, the request written and the response's first
// byte come from httptrace.
//
// The hooks run on the request's goroutine and, for a new connection, on
// the goroutine dialling it, which net/http lets outlive the request (to
// pool the connection), hence the mutex.
type tracer struct {
	mu           sync.Mutex
	dnsStart     time.Time
	dnsDone      time.Time
	connectStart time.Time
	connectDone  time.Time
	tlsStart     time.Time
	tlsDone      time.Time
	gotConn      time.Time
	wrote        time.Time
	firstByte    time.Time
	dialled      string // the address this attempt's dial connected to
	remote       string // the address of the connection the request went out on
	tlsVersion   string
	reused       bool
	hooks        httptrace.ClientTrace
}

type tracerKey struct{}

// withTracer returns ctx carrying a new tracer, for dialContext and for
// net/http's hooks.
func withTracer(ctx context.Context) (context.Context, *tracer) {
	t := &tracer{}
	t.hooks = httptrace.ClientTrace{
		TLSHandshakeStart: func() { t.mark(&t.tlsStart) },
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			t.mark(&t.tlsDone)
			if err == nil {
				t.mu.Lock()
				t.tlsVersion = tls.VersionName(cs.Version)
				t.mu.Unlock()
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			now := time.Now()
			var version string
			if tc, ok := info.Conn.(*tls.Conn); ok {
				version = tls.VersionName(tc.ConnectionState().Version)
			}
			t.mu.Lock()
			t.gotConn, t.reused = now, info.Reused
			t.remote = info.Conn.RemoteAddr().String()
			if version != "" {
				t.tlsVersion = version
			}
			t.mu.Unlock()
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.mark(&t.wrote) },
		GotFirstResponseByte: func() { t.mark(&t.firstByte) },
	}
	ctx = context.WithValue(ctx, tracerKey{}, t)
	return httptrace.WithClientTrace(ctx, &t.hooks), t
}

// tracerFrom returns the attempt's tracer, nil when it is not traced.
func tracerFrom(ctx context.Context) *tracer {
	t, _ := ctx.Value(tracerKey{}).(*tracer)
	return t
}

// mark sets *at to now, once: a phase's first start or end is the one
// that counts (a second dial's hooks, for one, do not move it).
func (t *tracer) mark(at *time.Time) {
	now := time.Now()
	t.mu.Lock()
	if at.IsZero() {
		*at = now
	}
	t.mu.Unlock()
}

// connected records the address a dial of this attempt connected to.
func (t *tracer) connected(addr string) {
	t.mark(&t.connectDone)
	t.mu.Lock()
	if t.dialled == "" {
		t.dialled = addr
	}
	t.mu.Unlock()
}

// trace returns the phases, end being when the attempt ended (the body
// read, or the failure). A phase still under way when the attempt ended
// (a timeout in the TLS handshake, say) runs to end. Once a connection
// was handed to the request, only dial phases finished before then count,
// and none for a reused connection: a dial started for this attempt may
// have gone on to serve another.
func (t *tracer) trace(end time.Time) *prikke.Trace {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &prikke.Trace{Reused: t.reused, TLSVersion: t.tlsVersion}
	span := func(from, to time.Time) int64 {
		if from.IsZero() {
			return 0
		}
		if to.IsZero() {
			to = end
		}
		return max(to.Sub(from).Microseconds(), 0)
	}
	if t.gotConn.IsZero() {
		tr.RemoteAddr = t.dialled
		tr.DNSUS = span(t.dnsStart, t.dnsDone)
		tr.ConnectUS = span(t.connectStart, t.connectDone)
		tr.TLSUS = span(t.tlsStart, t.tlsDone)
		return tr
	}
	tr.RemoteAddr = t.remote
	if !t.reused {
		done := func(from, to time.Time) int64 {
			if from.IsZero() || to.IsZero() || to.After(t.gotConn) {
				return 0
			}
			return max(to.Sub(from).Microseconds(), 0)
		}
		tr.DNSUS = done(t.dnsStart, t.dnsDone)
		tr.ConnectUS = done(t.connectStart, t.connectDone)
		tr.TLSUS = done(t.tlsStart, t.tlsDone)
	}
	tr.SendUS = span(t.gotConn, t.wrote)
	tr.WaitUS = span(t.wrote, t.firstByte)
	tr.BodyUS = span(t.firstByte, end)
	return tr
}
