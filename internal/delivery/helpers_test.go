package delivery

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/sink"
)

// The Standard Webhooks reference secret, and a second one for rotation.
const (
	testSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	otherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdGluZy0xMjM0"
)

func startSink(t testing.TB, opts sink.Options) *sink.Sink {
	t.Helper()
	if opts.Secrets == nil {
		opts.Secrets = []string{testSecret}
	}
	s, err := sink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// clientFor returns a client whose allow list holds exactly the sinks'
// addresses.
func clientFor(t testing.TB, opts Options, sinks ...*sink.Sink) *Client {
	t.Helper()
	for _, s := range sinks {
		opts.Allow = append(opts.Allow, s.Addr())
	}
	c := New(opts)
	t.Cleanup(c.Close)
	return c
}

func post(url string) Request {
	return Request{
		Method:    "POST",
		URL:       url,
		Body:      []byte(`{"hello":"world"}`),
		Timeout:   5 * time.Second,
		WebhookID: "msg_2Zf1XbJ0oV5Q",
		Secrets:   []string{testSecret},
	}
}

// fakeResolver answers from a table. "rebind.test" answers 8.8.8.8 on its
// first lookup and 127.0.0.1 afterwards, like a rebinding DNS server with
// TTL 0. Unknown names are "no such host".
type fakeResolver struct {
	mu      sync.Mutex
	names   map[string][]netip.Addr
	errs    map[string]error
	rebinds int
	lookups int
}

func newFakeResolver() *fakeResolver {
	a := netip.MustParseAddr
	return &fakeResolver{names: map[string][]netip.Addr{
		"localhost":                {a("127.0.0.1"), a("::1")},
		"localtest.me":             {a("127.0.0.1")},
		"127.0.0.1.nip.io":         {a("127.0.0.1")},
		"lvh.me":                   {a("127.0.0.1")},
		"metadata.google.internal": {a("169.254.169.254")},
		"public.example":           {a("93.184.215.14")},
		"mixed.test":               {a("93.184.215.14"), a("10.1.2.3")},
		"mapped.test":              {a("::ffff:127.0.0.1")},
		"sink.test":                {a("127.0.0.1")},
		"empty.test":               {},
	}}
}

// fail makes lookups of name return err.
func (r *fakeResolver) fail(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.errs == nil {
		r.errs = map[string]error{}
	}
	r.errs[name] = err
}

// count is how many lookups were made.
func (r *fakeResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups
}

func (r *fakeResolver) set(name string, addrs ...netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names[name] = addrs
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "rebind.test" {
		r.rebinds++
		if r.rebinds == 1 {
			return []netip.Addr{netip.MustParseAddr("8.8.8.8")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	if err := r.errs[host]; err != nil {
		return nil, err
	}
	addrs, ok := r.names[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// listenPair starts counting sinks on 127.0.0.1:P and [::1]:P, the same P.
func listenPair(t *testing.T) (v4, v6 *sink.Sink) {
	t.Helper()
	for range 20 {
		v4 = startSink(t, sink.Options{})
		s, err := sink.Start(sink.Options{Secrets: []string{testSecret}, Addr: netip.AddrPortFrom(netip.IPv6Loopback(), v4.Addr().Port()).String()})
		if err == nil {
			t.Cleanup(s.Close)
			return v4, s
		}
		v4.Close()
	}
	t.Skip("cannot listen on the same port on 127.0.0.1 and [::1]")
	return nil, nil
}
