// Package httpserver assembles Prikke's HTTP surface: the REST API under
// /api/v1, the dashboard and public pages, /healthz, /readyz and /status.json,
// behind the middleware every response shares: security headers, request
// IDs, panic recovery and request logging. /metrics has a listener of its
// own (Metrics). ProblemOf is the one mapping of errors to HTTP answers
// that the API and the dashboard share.
package httpserver

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prikke/prikke/internal/requestid"
	"github.com/prikke/prikke/internal/store"
)

// Deps are what the server needs.
type Deps struct {
	Store  store.Store
	Logger *slog.Logger
	// Mount adds the API, dashboard and public routes to mux.
	Mount func(mux *http.ServeMux)
	// HSTS sends Strict-Transport-Security (when served over https).
	HSTS bool
	// CrossOriginOpen lists mux patterns any site may POST to (the ping
	// API, which browsers call from other origins and which has no
	// session to protect).
	CrossOriginOpen []string
	// Ready answers /readyz; nil checks only that the database answers.
	Ready *Readiness
}

// NewServer returns an http.Server for h with the timeouts every Prikke
// listener has: a client gets ReadHeaderTimeout to send a request's
// headers (a slow sender cannot hold a connection open by trickling
// them), and a kept-alive connection closes after IdleTimeout without a
// request.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: IdleTimeout}
}

// The timeouts of NewServer.
const (
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 2 * time.Minute
)

// New returns the root handler.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := d.Store.Ping(ctx); err != nil {
			d.Logger.Warn("health check failed", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	rd := d.Ready
	if rd == nil {
		rd = &Readiness{Store: d.Store}
	}
	mux.HandleFunc("GET /readyz", readyz(rd, d))
	if d.Mount != nil {
		d.Mount(mux)
	}
	// Cross-site requests that change state are refused (Sec-Fetch-Site and
	// Origin checks): every dashboard form and cookie-authenticated API call
	// is protected without tokens. API clients using keys send neither
	// header and pass.
	csrf := http.NewCrossOriginProtection()
	for _, p := range d.CrossOriginOpen {
		csrf.AddInsecureBypassPattern(p)
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusForbidden, "Cross-site request refused: submit forms from Prikke's own pages.")
	}))
	return middleware(csrf.Handler(mux), d)
}

// RequestID returns the request's ID (also sent as X-Request-Id).
func RequestID(ctx context.Context) string { return requestid.From(ctx) }

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush (server-sent events).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func middleware(next http.Handler, d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") && dotSegment(r.URL.EscapedPath()) {
			// ServeMux would answer 307 to the cleaned path, which clients
			// follow with the same method and body: DELETE
			// /api/v1/projects/{id}/flow-keys/.. would delete the project.
			writeProblem(w, http.StatusNotFound, "The path has a \".\" or \"..\" segment: nothing is found by it.")
			return
		}
		if r.Method == http.MethodTrace || r.Method == http.MethodConnect {
			writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not served: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.")
			return
		}
		id := rand.Text()[:16]
		ctx := requestid.With(r.Context(), id)
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		if d.HSTS {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				d.Logger.Error("panic serving request", "request_id", id, "method", r.Method, "path", RedactPath(r.URL.Path),
					"panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeProblemBody(w, http.StatusInternalServerError, problemBody(http.StatusInternalServerError,
						internalErrorDetail(id), id))
				}
			}
			d.Logger.Debug("request", "request_id", id, "method", r.Method, "path", RedactPath(r.URL.Path), "status", sw.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// dotSegment reports whether an escaped URL path has a "." or ".."
// segment.
func dotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
