package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/store"
)

// okStore answers Ping; nothing else is used here.
type okStore struct{ store.Store }

func (okStore) Ping(context.Context) error { return nil }

func newTestServer(t *testing.T) *httptest.Server {
	h := New(Deps{Store: okStore{}, Logger: slog.New(slog.DiscardHandler), Mount: func(mux *http.ServeMux) {
		mux.HandleFunc("POST /change", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "changed") })
		mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("boom: secret detail") })
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestCrossOriginProtection(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"api client without browser headers", nil, 200},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"cross site", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"evil origin", map[string]string{"Origin": "https://evil.example"}, 403},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/change", nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}

func TestHeadersAndPanics(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || strings.Contains(string(body), "secret detail") || strings.Contains(string(body), "goroutine") ||
		!strings.Contains(string(body), resp.Header.Get("X-Request-Id")) {
		t.Errorf("panic = %d %s", resp.StatusCode, body)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"} {
		if resp.Header.Get(k) != v {
			t.Errorf("%s = %q", k, resp.Header.Get(k))
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if resp.Header.Get("Server") != "" {
		t.Error("Server header sent")
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.5:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 10.0.0.7")
	if got := ClientIP(nil)(r); got != "10.0.0.5" {
		t.Errorf("untrusted proxy: %q", got)
	}
	if got := ClientIP([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})(r); got != "203.0.113.9" {
		t.Errorf("trusted proxies: %q", got)
	}
}
