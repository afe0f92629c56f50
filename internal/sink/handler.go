package sink

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

var okBody = []byte("ok")

// chunk is the block /big streams; a shared read-only buffer keeps the
// sink's memory flat however much it sends.
var chunk = func() []byte {
	b := make([]byte, 32<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

func (s *Sink) respond(w http.ResponseWriter, r *http.Request, ref recordRef, body []byte) {
	q := r.URL.Query
	switch r.URL.Path {
	case "/ok":
		w.Write(okBody)
	case "/slow":
		ms, _ := strconv.Atoi(q().Get("ms"))
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			w.Write(okBody)
		case <-r.Context().Done():
		case <-s.closing:
		}
	case "/hang":
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case "/drip":
		s.drip(w, r, ref)
	case "/500":
		w.WriteHeader(http.StatusInternalServerError)
	case "/410":
		w.WriteHeader(http.StatusGone)
	case "/429", "/503":
		if v := q().Get("retry_after"); v != "" {
			w.Header().Set("Retry-After", v)
		}
		code := http.StatusTooManyRequests
		if r.URL.Path == "/503" {
			code = http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
	case "/301", "/302", "/303", "/307", "/308":
		code, _ := strconv.Atoi(r.URL.Path[1:])
		w.Header().Set("Location", q().Get("to"))
		w.WriteHeader(code)
	case "/status":
		code, err := strconv.Atoi(q().Get("code"))
		if err != nil || code < 200 || code > 599 {
			http.Error(w, "code must be 200-599", http.StatusBadRequest)
			return
		}
		if to := q().Get("to"); to != "" {
			w.Header().Set("Location", to)
		}
		w.WriteHeader(code)
	case "/reset":
		reset(w)
	case "/big":
		s.big(w, r, ref)
	case "/echo":
		echo(w, r, body)
	default:
		w.Write(okBody)
	}
}

// reset closes the connection with a TCP RST instead of a FIN.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	raw.Close()
}

// big streams mb MiB and records how far it got.
func (s *Sink) big(w http.ResponseWriter, r *http.Request, ref recordRef) {
	mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
	total := int64(mb) << 20
	w.Header().Set("Content-Length", strconv.FormatInt(total, 10))
	w.WriteHeader(http.StatusOK)
	var written int64
	var err error
	for written < total {
		select {
		case <-s.closing:
			err = errClosed
		default:
		}
		if err != nil {
			break
		}
		n := int64(len(chunk))
		if total-written < n {
			n = total - written
		}
		var m int
		m, err = w.Write(chunk[:n])
		written += int64(m)
		if err != nil {
			break
		}
	}
	if err == nil {
		// Flush so a client hanging up after the last byte is seen here.
		err = http.NewResponseController(w).Flush()
	}
	s.finish(ref, written, err)
}

// drip writes one byte per interval until the client goes away.
func (s *Sink) drip(w http.ResponseWriter, r *http.Request, ref recordRef) {
	interval := time.Second
	if ms, err := strconv.Atoi(r.URL.Query().Get("interval_ms")); err == nil && ms > 0 {
		interval = time.Duration(ms) * time.Millisecond
	}
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	var written int64
	err := rc.Flush()
	t := time.NewTicker(interval)
	defer t.Stop()
	for err == nil {
		var n int
		n, err = w.Write(okBody[:1])
		written += int64(n)
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			break
		}
		select {
		case <-t.C:
		case <-r.Context().Done():
			err = r.Context().Err()
		case <-s.closing:
			err = errClosed
		}
	}
	if errors.Is(err, errClosed) {
		err = nil
	}
	s.finish(ref, written, err)
}

// echo answers with a JSON description of the request.
func echo(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Method string              `json:"method"`
		Path   string              `json:"path"`
		Query  string              `json:"query"`
		Host   string              `json:"host"`
		Header map[string][]string `json:"header"`
		Body   string              `json:"body"`
	}{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.Header, string(body)})
}
