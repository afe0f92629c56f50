package httpserver

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
)

// Listener wraps ln so that the errors net/http answers by itself, before
// any handler runs, are RFC 9457 problem+json like every other error:
// a header value with a control byte, an invalid header name, a missing
// or malformed Host, a malformed request line, headers over
// MaxHeaderBytes (431), an unknown transfer coding (501), an unsupported
// HTTP version (505), an Expect other than 100-continue (417).
//
// net/http writes those replies straight to the connection in one Write,
// in a form no handler's response has (Content-Type before Connection
// and nothing after it: a handler's headers are sorted and always carry
// Date), and then closes the connection. The wrapper recognises exactly
// that Write and writes a problem+json reply in its place, so keep-alive,
// pipelining and handler responses pass through untouched. The request
// head is not parsed twice: what is kept is the last few KB read since
// the last reply, only to name the offending header in the reply.
func Listener(ln net.Listener) net.Listener { return &problemListener{ln} }

type problemListener struct{ net.Listener }

func (l *problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// recentSize bounds what a connection keeps of its latest reads.
const recentSize = 8 << 10

type problemConn struct {
	net.Conn
	mu     sync.Mutex
	recent []byte // the last recentSize to 2*recentSize bytes read since the last reply
}

func (c *problemConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.recent = append(c.recent, p[:n]...)
		if len(c.recent) > 2*recentSize {
			c.recent = append(c.recent[:0], c.recent[len(c.recent)-recentSize:]...)
		}
		c.mu.Unlock()
	}
	return n, err
}

// CloseWrite lets net/http half-close after a 431, as it does on a bare
// TCP connection.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

var (
	// net/http's own error replies (server.go, conn.serve): "HTTP/1.1 "
	// status, the errorHeaders constant, and a plain-text body.
	plainErrorRE = regexp.MustCompile(`\AHTTP/1\.1 (\d{3}) ([^\r\n]*)\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n[^\r\n]*\z`)
	// sendExpectationFailed's reply: 417, Connection: close, no body.
	expectRE = regexp.MustCompile(`\AHTTP/1\.1 417 Expectation Failed\r\nConnection: close\r\nDate: [^\r\n]*\r\nContent-Length: 0\r\n\r\n\z`)
)

func (c *problemConn) Write(p []byte) (int, error) {
	var status int
	var reason string
	switch {
	case len(p) > 512 || !bytes.HasPrefix(p, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(p, []byte("HTTP/1.1 5")):
	case plainErrorRE.Match(p):
		m := plainErrorRE.FindSubmatch(p)
		status, _ = strconv.Atoi(string(m[1]))
		reason = string(m[2])
	case expectRE.Match(p):
		status = http.StatusExpectationFailed
	}
	c.mu.Lock()
	var detail string
	if status != 0 {
		detail = c.detail(status, reason)
	}
	c.recent = nil // a reply: the next request starts afresh
	c.mu.Unlock()
	if status == 0 {
		return c.Conn.Write(p)
	}
	body := problemBody(status, detail, "")
	reply := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Length: %d\r\n"+
		"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s", status, http.StatusText(status), len(body), body)
	if _, err := c.Conn.Write([]byte(reply)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// detail says what was wrong and what to do, in the API's voice. reason
// is net/http's text after the status ("Bad Request: invalid header
// value"), or the bare status text.
func (c *problemConn) detail(status int, reason string) string {
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		return "The request headers are too large (over 1 MB with cookies): send fewer or shorter headers."
	case http.StatusNotImplemented:
		return "The request's Transfer-Encoding is not supported: send the body with Content-Length or Transfer-Encoding: chunked."
	case http.StatusHTTPVersionNotSupported:
		return "Only HTTP/1.0, HTTP/1.1 and HTTP/2 are supported."
	case http.StatusExpectationFailed:
		return "The Expect header may only be 100-continue: remove it or send Expect: 100-continue."
	}
	// net/http's header reader refuses most bad lines itself, with a bare
	// "Bad Request"; the latest bytes read say which it was.
	badValue, badName := badHeader(c.recent)
	switch {
	case badValue != "" && badValue != "?":
		return fmt.Sprintf("The %s header's value contains a control character (a byte below 0x20 other than tab, or 0x7F): remove it, or encode the value (for example percent-encoding).", badValue)
	case badValue != "" || reason == "Bad Request: invalid header value":
		return "A header value contains a control character (a byte below 0x20 other than tab, or 0x7F): remove it, or encode the value (for example percent-encoding)."
	case badName || reason == "Bad Request: invalid header name":
		return "A header name contains a character header names may not have (only letters, digits and !#$%&'*+-.^_`|~): rename or remove it."
	case reason == "Bad Request: missing required Host header":
		return "HTTP/1.1 requests need a Host header: send Host with the server's name."
	case reason == "Bad Request: malformed Host header":
		return "The Host header is not a valid host or host:port: send the server's name."
	}
	return "The request is not valid HTTP/1.1 (its request line or a header line cannot be read): check the method, the path (spaces and control characters must be percent-encoded) and the header lines."
}

// headerLineRE is a header line whose name is a token.
var headerLineRE = regexp.MustCompile("^([!#$%&'*+\\-.^_`|~0-9A-Za-z]+):(.*)$")

// badHeader looks through the request head among the latest bytes read
// (up to the first blank line) for a header line net/http refuses. value
// names the header whose value has a control byte ("?" when several do);
// name reports a line whose name has a character names may not have.
func badHeader(recent []byte) (value string, name bool) {
	head, _, _ := bytes.Cut(recent, []byte("\r\n\r\n"))
	lines := bytes.Split(head, []byte("\n"))
	for _, line := range lines[min(1, len(lines)):] { // after the request line
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		m := headerLineRE.FindSubmatch(line)
		if m == nil {
			name = true
			continue
		}
		if validValue(m[2]) {
			continue
		}
		if n := http.CanonicalHeaderKey(string(m[1])); value == "" {
			value = n
		} else if value != n {
			value = "?"
		}
	}
	return value, name
}

// validValue is httpguts.ValidHeaderFieldValue: no control bytes but tab.
func validValue(v []byte) bool {
	for _, b := range v {
		if b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}
