package prikke

import (
	"encoding/json"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Header is one request or response header, order preserved.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Header limits, for a job's request headers.
const (
	MaxHeaders     = 50
	MaxHeaderBytes = 8 << 10
)

// ContentTypeJSON is the Content-Type a JSON body is delivered with when
// the user gives none.
const ContentTypeJSON = "application/json"

// ContentType returns the Content-Type the request is delivered with: the
// user's Content-Type header, else application/json for a JSON body, else
// "" (none is sent).
func ContentType(hs []Header, body string) string {
	if v, ok := HeaderValue(hs, "Content-Type"); ok {
		return v
	}
	if body != "" && json.Valid([]byte(body)) {
		return ContentTypeJSON
	}
	return ""
}

// HeaderValue returns the value of the first header named name (compared
// case-insensitively), and whether there is one.
func HeaderValue(hs []Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// SetContentType replaces the Content-Type header in hs by one with value
// (none when value is ""), keeping the other headers in order.
func SetContentType(hs []Header, value string) []Header {
	out := make([]Header, 0, len(hs)+1)
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Content-Type") {
			out = append(out, h)
		}
	}
	if value != "" {
		out = append(out, Header{Name: "Content-Type", Value: value})
	}
	return out
}

// ValidateContentType checks a media type such as application/json or
// text/plain; charset=utf-8.
func ValidateContentType(v *Validation, field, value string) {
	if value == "" {
		return
	}
	if !validHeaderValue(value) {
		v.Add(field, "is not a valid header value: it must not contain line breaks or control characters")
		return
	}
	if _, _, err := mime.ParseMediaType(value); err != nil {
		v.Add(field, "is not a media type: write it like application/json or text/plain; charset=utf-8")
	}
}

// reservedHeaders are set by Prikke or by the HTTP machinery; users may not
// set them. Names are lower case.
var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"te": true, "upgrade": true, "trailer": true, "keep-alive": true, "proxy-connection": true,
	"user-agent": true, "webhook-id": true, "webhook-timestamp": true, "webhook-signature": true,
}

// ReservedHeader reports whether users may not set the header name:
// hop-by-hop and framing headers, the Standard Webhooks headers, User-Agent
// and every Prikke-* header.
func ReservedHeader(name string) bool {
	l := strings.ToLower(name)
	return reservedHeaders[l] || strings.HasPrefix(l, "prikke-")
}

// ValidateHeaders checks user-supplied request headers: RFC 9110 token
// names, values without CR, LF or NUL, no reserved names, at most MaxHeaders
// headers and MaxHeaderBytes in total.
func ValidateHeaders(v *Validation, field string, hs []Header) {
	if len(hs) > MaxHeaders {
		v.Add(field, "too many headers: max 50")
		return
	}
	total := 0
	for i, h := range hs {
		f := field + "[" + strconv.Itoa(i) + "]"
		total += len(h.Name) + len(h.Value)
		switch {
		case h.Name == "":
			v.Add(f+".name", "is required")
		case !IsToken(h.Name):
			v.Add(f+".name", "is not a valid header name: use letters, digits and !#$%%&'*+-.^_`|~ only")
		case ReservedHeader(h.Name):
			v.Add(f+".name", "%s is a reserved header that Prikke sets itself", h.Name)
		}
		if !validHeaderValue(h.Value) {
			v.Add(f+".value", "is not a valid header value: it must not contain line breaks or control characters")
		}
	}
	if total > MaxHeaderBytes {
		v.Add(field, "headers are too large: max 8 KiB in total")
	}
}

// IsToken reports whether s is an HTTP token (RFC 9110): a valid header
// name.
func IsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return s != ""
}

func validHeaderValue(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
