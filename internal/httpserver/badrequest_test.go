package httpserver

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawServer serves h through Listener on a loopback port.
func rawServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 4 << 10}
	go srv.Serve(Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// rawExchange writes raw to a fresh connection and reads every response
// until the server closes it.
func rawExchange(t *testing.T, addr, raw string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []*http.Response
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		out = append(out, resp)
		if resp.Close {
			return out
		}
	}
}

func problemOf(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%d reply has Content-Type %q, want application/problem+json", resp.StatusCode, ct)
	}
	var p map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Errorf("%d reply is not JSON: %q", resp.StatusCode, b)
	}
	if p["status"] != float64(resp.StatusCode) || p["title"] != http.StatusText(resp.StatusCode) || p["detail"] == "" {
		t.Errorf("%d problem = %v", resp.StatusCode, p)
	}
	return p
}

// TestPreHandlerErrorsAreProblems: the requests net/http refuses before
// any handler runs are answered with problem+json, over raw TCP, on fresh,
// kept-alive and pipelined connections alike.
func TestPreHandlerErrorsAreProblems(t *testing.T) {
	t.Parallel()
	addr := rawServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/plain400" {
			// A handler's own plain-text 400 with Connection: close is
			// left as it is.
			w.Header().Set("Connection", "close")
			http.Error(w, "handler says no", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok "+r.URL.Path)
	}))
	const ok = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tc := range []struct {
		name, raw string
		status    int
		detail    string
	}{
		{"control byte in a value", "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\nContent-Length: 0\r\n\r\n", 400, "The Idempotency-Key header's value contains a control character"},
		{"DEL in a value", "GET / HTTP/1.1\r\nHost: x\r\nx-trace: a\x7fb\r\n\r\n", 400, "The X-Trace header's value contains a control character"},
		{"bad header name", "GET / HTTP/1.1\r\nHost: x\r\nBad(Name): v\r\n\r\n", 400, "A header name contains a character"},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400, "need a Host header"},
		{"malformed Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "The Host header is not a valid host"},
		{"garbage request line", "HELLO\r\n\r\n", 400, "is not valid HTTP/1.1"},
		{"space in the path", "GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n", 400, "is not valid HTTP/1.1"},
		{"huge headers", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 8<<10) + "\r\n\r\n", 431, "too large"},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "Transfer-Encoding"},
		{"HTTP/2.0 over HTTP/1", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "supported"},
		{"Expect", "GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417, "100-continue"},
	} {
		// Alone, after a request on the same connection, and pipelined
		// behind one.
		for _, mode := range []string{"fresh", "keep-alive", "pipelined"} {
			if tc.status == 431 && mode != "fresh" {
				continue // net/http applies MaxHeaderBytes to a connection's first request only
			}
			func() {
				var resps []*http.Response
				switch mode {
				case "fresh":
					resps = rawExchange(t, addr, tc.raw)
				case "keep-alive":
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					c.SetDeadline(time.Now().Add(30 * time.Second))
					br := bufio.NewReader(c)
					io.WriteString(c, ok)
					first, err := http.ReadResponse(br, nil)
					if err != nil || first.StatusCode != 200 {
						t.Fatalf("%s: first request: %v %v", tc.name, first, err)
					}
					io.Copy(io.Discard, first.Body)
					io.WriteString(c, tc.raw)
					resp, err := http.ReadResponse(br, nil)
					if err == nil {
						resps = []*http.Response{first, resp}
					}
					c.Close()
				case "pipelined":
					resps = rawExchange(t, addr, ok+tc.raw)
				}
				want := 1
				if mode != "fresh" {
					want = 2
				}
				if len(resps) != want {
					t.Errorf("%s (%s): %d replies, want %d", tc.name, mode, len(resps), want)
					return
				}
				if mode != "fresh" {
					if b, _ := io.ReadAll(resps[0].Body); resps[0].StatusCode != 200 || mode == "pipelined" && string(b) != "ok /a" {
						t.Errorf("%s (%s): first reply %d %q", tc.name, mode, resps[0].StatusCode, b)
					}
				}
				resp := resps[len(resps)-1]
				if resp.StatusCode != tc.status {
					t.Errorf("%s (%s): status %d, want %d", tc.name, mode, resp.StatusCode, tc.status)
					return
				}
				p := problemOf(t, resp)
				detail, _ := p["detail"].(string)
				// The offending header is named when the connection's latest
				// bytes show it; pipelined behind a reply they may not.
				if mode != "pipelined" && !strings.Contains(detail, tc.detail) {
					t.Errorf("%s (%s): detail %q, want it to contain %q", tc.name, mode, detail, tc.detail)
				}
				if !resp.Close {
					t.Errorf("%s (%s): the connection is kept open after an unreadable request", tc.name, mode)
				}
			}()
		}
	}

	// Good requests pass through untouched, pipelined and kept alive, and
	// a handler's own plain-text 400 is not rewritten.
	resps := rawExchange(t, addr, ok+"GET /b HTTP/1.1\r\nHost: x\r\n\r\n"+"GET /plain400 HTTP/1.1\r\nHost: x\r\n\r\n")
	if len(resps) != 3 {
		t.Fatalf("pipelined good requests: %d replies", len(resps))
	}
	for i, want := range []string{"ok /a", "ok /b", "handler says no\n"} {
		b, _ := io.ReadAll(resps[i].Body)
		if string(b) != want {
			t.Errorf("reply %d = %q, want %q", i, b, want)
		}
	}
	if ct := resps[2].Header.Get("Content-Type"); resps[2].StatusCode != 400 || ct != "text/plain; charset=utf-8" {
		t.Errorf("the handler's 400 was rewritten: %d %s", resps[2].StatusCode, ct)
	}
	// A large request head within the limit and a large body go through.
	big := "POST /big HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 3<<10) + "\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("z", 100000)
	if resps := rawExchange(t, addr, big+"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); len(resps) != 2 || resps[0].StatusCode != 200 || resps[1].StatusCode != 200 {
		t.Errorf("large head and body: %d replies", len(resps))
	}
}
