package httpserver

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns a function giving a request's client address. The
// X-Forwarded-For header is believed only when the request came from one
// of trusted (the reverse proxies), so clients cannot rotate it to escape
// rate limits.
func ClientIP(trusted []netip.Prefix) func(r *http.Request) string {
	return func(r *http.Request) string {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		addr, err := netip.ParseAddr(host)
		if err != nil || !isTrusted(addr, trusted) {
			return host
		}
		// Walk the chain from the right, skipping our own proxies.
		parts := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
		for i := len(parts) - 1; i >= 0; i-- {
			p := strings.TrimSpace(parts[i])
			a, err := netip.ParseAddr(p)
			if err != nil {
				break
			}
			if !isTrusted(a, trusted) {
				return a.String()
			}
		}
		return host
	}
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
