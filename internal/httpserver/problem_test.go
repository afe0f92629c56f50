package httpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOneProblemShape: every problem+json reply this package writes, from
// a handler, from the middleware or in place of net/http's own replies,
// is the body problemBody makes: the same fields in the same order.
func TestOneProblemShape(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t)
	metrics := httptest.NewServer(Metrics(http.NotFoundHandler(), "secret"))
	t.Cleanup(metrics.Close)
	raw := rawServer(t, http.NotFoundHandler())

	get := func(method, url string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resps := map[string]*http.Response{
		"refused method": get("TRACE", srv.URL+"/"),
		"cross-site":     get("POST", srv.URL+"/change", "Sec-Fetch-Site", "cross-site"),
		"panic":          get("GET", srv.URL+"/panic"),
		"metrics token":  get("GET", metrics.URL+"/metrics"),
		"metrics path":   get("GET", metrics.URL+"/other"),
	}
	if r := rawExchange(t, raw, "GET / HTTP/1.1\r\n\r\n"); len(r) == 1 {
		resps["before a handler"] = r[0]
	} else {
		t.Fatalf("raw exchange: %d replies", len(r))
	}
	for name, resp := range resps {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var p problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("%s: %q: %v", name, body, err)
			continue
		}
		if resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != resp.StatusCode || p.Detail == "" {
			t.Errorf("%s: %d %s %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if want := problemBody(p.Status, p.Detail, p.RequestID); string(body) != string(want) {
			t.Errorf("%s: body %s; want problemBody's %s", name, body, want)
		}
	}
}

// TestNewServerTimeouts: every listener (the public one and the metrics
// one, cmd/prikke) is built by NewServer, so a client that trickles its
// headers or idles on a kept-alive connection is cut off.
func TestNewServerTimeouts(t *testing.T) {
	t.Parallel()
	h := Metrics(http.NotFoundHandler(), "")
	s := NewServer(h)
	if s.ReadHeaderTimeout != ReadHeaderTimeout || s.IdleTimeout != IdleTimeout || ReadHeaderTimeout <= 0 || IdleTimeout <= 0 || s.Handler == nil {
		t.Errorf("NewServer = ReadHeaderTimeout %v, IdleTimeout %v, handler %v", s.ReadHeaderTimeout, s.IdleTimeout, s.Handler)
	}
}
