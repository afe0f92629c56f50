package httpserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink the server's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestLogHidesPingTokens: the request log (and the panic log) of
// a ping or badge request names the route, never the token or ping key.
func TestRequestLogHidesPingTokens(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := New(Deps{Store: okStore{}, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Mount: func(mux *http.ServeMux) {
			mux.HandleFunc("/ping/", func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/fail") {
					panic("boom")
				}
			})
			mux.HandleFunc("GET /badge/{file}", func(w http.ResponseWriter, r *http.Request) {})
			mux.HandleFunc("GET /app/x", func(w http.ResponseWriter, r *http.Request) {})
		}})
	const token = "5f1c2a9e-8a4b-4c1d-9e2f-0a1b2c3d4e5f"
	const key = "pk_secretpingkey123"
	const badge = "badgetoken987"
	for _, p := range []string{"/ping/" + token, "/ping/" + token + "/start", "/ping/" + token + "/fail",
		"/ping/" + key + "/nightly-backup", "/ping/" + key + "/nightly-backup/fail", "/badge/" + badge + ".svg", "/app/x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
	}
	out := logs.String()
	for _, secret := range []string{token, key, badge} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"path=/ping/<redacted>/start", "path=/ping/<redacted>/nightly-backup", "path=/badge/<redacted>.svg",
		"path=/app/x", "panic serving request"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRedactPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/ping/abc":           "/ping/<redacted>",
		"/ping/abc/0":         "/ping/<redacted>/0",
		"/ping/":              "/ping/<redacted>",
		"/badge/abc.svg":      "/badge/<redacted>.svg",
		"/badge/abc":          "/badge/<redacted>",
		"/api/v1/monitors/x":  "/api/v1/monitors/x",
		"/pingx/abc":          "/pingx/abc",
		"/app/monitors/ab/cd": "/app/monitors/ab/cd",
	} {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
