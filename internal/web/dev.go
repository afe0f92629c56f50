package web

import (
	"net"
	"net/http"
)

// devOnly guards the development pages (/dev/…): they exist only outside
// production and only for a client on this machine, because the mailbox
// holds every account's confirmation and password-reset links. Anyone else
// gets the ordinary 404 page, so the pages cannot even be discovered.
//
// A request that carries a proxy's forwarding header is refused too: behind
// a reverse proxy on the same host every request would otherwise look local.
func (h *Web) devOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.deps.Production || !isLoopback(r) {
			h.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Robots-Tag", "noindex")
		next(w, r)
	}
}

// isLoopback reports whether the request comes straight from 127.0.0.0/8
// or ::1.
func isLoopback(r *http.Request) bool {
	for _, hdr := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(hdr) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
