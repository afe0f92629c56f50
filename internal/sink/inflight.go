package sink

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Port serves a handler (a Sink) on a loopback listener of its own,
// counting the requests in flight per key — the query parameter k — around
// it: the sink records arrivals, the port concurrency. Flow-control tests
// and `prikke bench --mode flow` give each destination a port, so that
// only the flow key, not the host:port, tells their requests apart.
type Port struct {
	next http.Handler
	srv  *http.Server
	addr netip.AddrPort
	mu   sync.Mutex
	cur  map[string]int
	peak map[string]int
}

// Listen starts a Port for next on 127.0.0.1; wrap adapts the listener
// (nil: as it is).
func Listen(next http.Handler, wrap func(net.Listener) net.Listener) (*Port, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Port{next: next, addr: ln.Addr().(*net.TCPAddr).AddrPort(), cur: map[string]int{}, peak: map[string]int{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	if wrap != nil {
		ln = wrap(ln)
	}
	go p.srv.Serve(ln)
	return p, nil
}

// URL is the port's URL for path (which may carry a query).
func (p *Port) URL(path string) string { return "http://" + p.addr.String() + path }

// Addr is the port's address, for PRIKKE_SSRF_ALLOW.
func (p *Port) Addr() netip.AddrPort { return p.addr }

func (p *Port) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := r.URL.Query().Get("k")
	p.mu.Lock()
	p.cur[k]++
	p.peak[k] = max(p.peak[k], p.cur[k])
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.cur[k]--
		p.mu.Unlock()
	}()
	p.next.ServeHTTP(w, r)
}

// Peak returns the most requests of key k in flight at once so far.
func (p *Port) Peak(k string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak[k]
}

// Close stops the port's server.
func (p *Port) Close() error { return p.srv.Close() }

// MaxInWindow returns the most of the sorted instants in any window
// [t, t+w), wherever it is placed, and the index of the first of them.
func MaxInWindow(at []time.Time, w time.Duration) (n, from int) {
	i := 0
	for j := range at {
		for at[j].Sub(at[i]) >= w {
			i++
		}
		if j-i+1 > n {
			n, from = j-i+1, i
		}
	}
	return n, from
}
