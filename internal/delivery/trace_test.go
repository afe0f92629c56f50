package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// slow is the delay a test puts into one phase. The assertions compare
// phases with one another and with this floor, never with a ceiling, so
// a loaded machine makes them no less true.
const slow = 400 * time.Millisecond

// phases names a trace's phases for the assertions.
func phases(tr *prikke.Trace) map[string]int64 {
	return map[string]int64{"dns": tr.DNSUS, "connect": tr.ConnectUS, "tls": tr.TLSUS,
		"send": tr.SendUS, "wait": tr.WaitUS, "body": tr.BodyUS}
}

// assertSlowest checks that the phase the test slowed took at least the
// delay and longer than every other phase.
func assertSlowest(t *testing.T, res Result, phase string) {
	t.Helper()
	if res.Status != prikke.ExecutionStatusSuccess {
		t.Fatalf("status %s (%s), want success", res.Status, res.Error)
	}
	if res.Trace == nil {
		t.Fatal("no trace")
	}
	ps := phases(res.Trace)
	got := ps[phase]
	if got < slow.Microseconds() {
		t.Errorf("%s phase %dµs, want at least the %s it was slowed by (trace %+v)", phase, got, slow, *res.Trace)
	}
	for name, us := range ps {
		if name != phase && us >= got {
			t.Errorf("%s phase %dµs is not below the slowed %s phase's %dµs (trace %+v)", name, us, phase, got, *res.Trace)
		}
	}
	if res.Duration < slow {
		t.Errorf("duration %s, shorter than the delay", res.Duration)
	}
}

// traceServer starts an http (or, with tlsConfig, https) server and a
// client that may reach it and, for https, trusts its test CA.
func traceServer(t *testing.T, h http.HandlerFunc, tlsConfig *tls.Config, opts Options) (*httptest.Server, *Client) {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	if tlsConfig != nil {
		s.TLS = tlsConfig
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	opts.Allow = append(opts.Allow, netip.MustParseAddrPort(s.Listener.Addr().String()))
	c := New(opts)
	t.Cleanup(c.Close)
	if tlsConfig != nil {
		trustServer(c, s)
	}
	return s, c
}

// trustServer makes c trust the test server's certificate authority.
// Production clients have no way to: RootCAs is set only here.
func trustServer(c *Client, s *httptest.Server) {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	c.transport.TLSClientConfig.RootCAs = pool
}

func traced(url string) Request {
	req := post(url)
	req.Timeout = 30 * time.Second
	req.Trace, req.RecordBody = true, true
	return req
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

func TestTraceSlowFirstByte(t *testing.T) {
	s, c := traceServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(slow)
		w.Write([]byte("late"))
	}, nil, Options{})
	res := c.Do(context.Background(), traced(s.URL))
	assertSlowest(t, res, "wait")
	if res.Trace.RemoteAddr != s.Listener.Addr().String() {
		t.Errorf("remote address %q, want the server's %q", res.Trace.RemoteAddr, s.Listener.Addr())
	}
	if res.Trace.TLSVersion != "" || res.Trace.Reused || res.Trace.DNSUS != 0 || res.Trace.ConnectUS == 0 {
		t.Errorf("plain http to an IP literal on a new connection: %+v", *res.Trace)
	}
}

func TestTraceSlowBody(t *testing.T) {
	s, c := traceServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("first half, "))
		w.(http.Flusher).Flush()
		time.Sleep(slow)
		w.Write([]byte("second half"))
	}, nil, Options{})
	res := c.Do(context.Background(), traced(s.URL))
	assertSlowest(t, res, "body")
	if string(res.Body) != "first half, second half" {
		t.Errorf("body %q", res.Body)
	}
}

// slowResolver answers every name with 127.0.0.1, after a delay.
type slowResolver struct{}

func (slowResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	select {
	case <-time.After(slow):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func TestTraceSlowDNS(t *testing.T) {
	s, c := traceServer(t, ok, nil, Options{Resolver: slowResolver{}})
	port := s.Listener.Addr().(*net.TCPAddr).Port
	res := c.Do(context.Background(), traced("http://slow.test:"+strconv.Itoa(port)+"/"))
	assertSlowest(t, res, "dns")
	if res.Trace.RemoteAddr != s.Listener.Addr().String() {
		t.Errorf("remote address %q, want the address dialled %q", res.Trace.RemoteAddr, s.Listener.Addr())
	}
}

func TestTraceSlowTLSHandshake(t *testing.T) {
	s, c := traceServer(t, ok, &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			time.Sleep(slow)
			return nil, nil // the server's own config
		},
	}, Options{})
	res := c.Do(context.Background(), traced(s.URL))
	assertSlowest(t, res, "tls")
	if res.Trace.TLSVersion != "TLS 1.3" {
		t.Errorf("TLS version %q, want TLS 1.3", res.Trace.TLSVersion)
	}
	if res.Trace.RemoteAddr != s.Listener.Addr().String() {
		t.Errorf("remote address %q, want %q", res.Trace.RemoteAddr, s.Listener.Addr())
	}
}

func TestTraceTLS12(t *testing.T) {
	s, c := traceServer(t, ok, &tls.Config{MaxVersion: tls.VersionTLS12}, Options{})
	res := c.Do(context.Background(), traced(s.URL))
	if res.Status != prikke.ExecutionStatusSuccess || res.Trace.TLSVersion != "TLS 1.2" || res.Trace.TLSUS == 0 {
		t.Errorf("status %s (%s), trace %+v; want success over TLS 1.2 with a handshake", res.Status, res.Error, res.Trace)
	}
}

func TestTraceReusedConnection(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run("https="+strconv.FormatBool(https), func(t *testing.T) {
			var cfg *tls.Config
			if https {
				cfg = &tls.Config{}
			}
			s, c := traceServer(t, ok, cfg, Options{})
			first := c.Do(context.Background(), traced(s.URL))
			second := c.Do(context.Background(), traced(s.URL))
			for i, res := range []Result{first, second} {
				if res.Status != prikke.ExecutionStatusSuccess || res.Trace == nil {
					t.Fatalf("request %d: status %s (%s), trace %v", i+1, res.Status, res.Error, res.Trace)
				}
				if res.Trace.RemoteAddr != s.Listener.Addr().String() {
					t.Errorf("request %d: remote address %q, want %q", i+1, res.Trace.RemoteAddr, s.Listener.Addr())
				}
				if want := map[bool]string{true: "TLS 1.3"}[https]; res.Trace.TLSVersion != want {
					t.Errorf("request %d: TLS version %q, want %q", i+1, res.Trace.TLSVersion, want)
				}
			}
			f, r := first.Trace, second.Trace
			if f.Reused || f.ConnectUS == 0 || https && f.TLSUS == 0 {
				t.Errorf("first request: %+v, want a new connection with its connect (and TLS) time", *f)
			}
			if !r.Reused || r.DNSUS != 0 || r.ConnectUS != 0 || r.TLSUS != 0 {
				t.Errorf("second request: %+v, want the connection reused and no DNS, connect or TLS", *r)
			}
			if r.WaitUS == 0 {
				t.Errorf("second request: no wait phase: %+v", *r)
			}
		})
	}
}

func TestTraceOff(t *testing.T) {
	s, c := traceServer(t, ok, nil, Options{})
	res := c.Do(context.Background(), post(s.URL))
	if res.Status != prikke.ExecutionStatusSuccess || res.Trace != nil || res.RequestBody != nil || res.RequestTruncated {
		t.Errorf("status %s, trace %v, request body %q (truncated %v); want success and nothing recorded", res.Status, res.Trace, res.RequestBody, res.RequestTruncated)
	}
}

func TestTraceFailedConnection(t *testing.T) {
	// A port nothing listens on: refused at connect; the trace shows the
	// connect phase and no connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := New(Options{Allow: []netip.AddrPort{netip.MustParseAddrPort(addr)}})
	t.Cleanup(c.Close)
	res := c.Do(context.Background(), traced("http://"+addr+"/"))
	if res.Status != prikke.ExecutionStatusFailed || res.Trace == nil {
		t.Fatalf("status %s (%s), trace %v; want failed with a trace", res.Status, res.Error, res.Trace)
	}
	if tr := res.Trace; tr.RemoteAddr != "" || tr.Reused || tr.SendUS != 0 || tr.WaitUS != 0 || tr.BodyUS != 0 {
		t.Errorf("trace %+v, want no connection and no request phases", *tr)
	}
}

func TestRecordBody(t *testing.T) {
	received := make(chan []byte, 1)
	s, c := traceServer(t, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		received <- b.Bytes()
	}, nil, Options{})
	for _, tc := range []struct {
		name      string
		size      int
		want      int
		truncated bool
	}{
		{"small", 17, 17, false},
		{"at the cap", prikke.MaxRecordedBody, prikke.MaxRecordedBody, false},
		{"over the cap", prikke.MaxRecordedBody + 1, prikke.MaxRecordedBody, true},
		{"empty", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := traced(s.URL)
			req.Body = bytes.Repeat([]byte("a"), tc.size)
			res := c.Do(context.Background(), req)
			if res.Status != prikke.ExecutionStatusSuccess {
				t.Fatalf("status %s (%s)", res.Status, res.Error)
			}
			if got := <-received; len(got) != tc.size {
				t.Errorf("the server got %d bytes, want all %d", len(got), tc.size)
			}
			if len(res.RequestBody) != tc.want || res.RequestTruncated != tc.truncated || !bytes.Equal(res.RequestBody, req.Body[:tc.want]) {
				t.Errorf("recorded %d bytes (truncated %v), want the first %d (truncated %v)", len(res.RequestBody), res.RequestTruncated, tc.want, tc.truncated)
			}
		})
	}
}
