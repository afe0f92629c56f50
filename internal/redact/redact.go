// Package redact keeps a project's secrets out of what Prikke stores: it
// applies a prikke.Redaction (nil: the defaults, prikke.DefaultRedactHeaders
// and no JSON paths) to an attempt's headers and bodies, request and
// response alike, before they reach the store (and so history,
// notifications, exports and logs). A redacted value becomes
// prikke.Redacted.
//
// Headers are matched by name, case-insensitively. Bodies are redacted by
// JSON path (internal/template's path syntax: "password", "data.token",
// "items[0].secret", `["a key"].x`): a path names one value, reached
// through objects by field and arrays by index, and the whole value there
// (a string, a number, an object, an array) is replaced. A body is
// rewritten only when a path matched something: then it is re-encoded
// compactly (valid JSON, keys in their order, duplicate keys each
// redacted, invalid UTF-8 as U+FFFD); otherwise it is returned as it was.
// Several JSON values one after another (JSON lines) are each redacted.
//
// A body that does not start like JSON ('{' or '[' after spaces) is left
// as is. A body that starts like JSON but stops parsing part-way (a body
// cut at the recorded maximum, or a malformed one) is kept up to its last
// whole token, redacted, and the rest is dropped and reported as cut, so
// a value at a redacted path is never kept, even in part.
package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"strconv"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// Redactor is a Redaction ready to apply (its paths parsed once).
type Redactor struct {
	headers map[string]bool // canonical names
	paths   []template.Path
	depth   int // the longest path
}

// New prepares r (nil: the defaults). Paths that do not parse are
// ignored (Validate refuses them when a project is saved).
func New(r *prikke.Redaction) *Redactor {
	if r == nil {
		return defaults
	}
	return build(r)
}

// defaults is the Redactor of a project that sets nothing, made once (a
// Redactor is never changed after it is made).
var defaults = build(nil)

func build(r *prikke.Redaction) *Redactor {
	x := &Redactor{headers: map[string]bool{}}
	names := prikke.DefaultRedactHeaders
	if r != nil {
		names = r.Headers
		for _, s := range r.JSONPaths {
			p, err := template.ParsePath(s)
			if err != nil {
				continue
			}
			x.paths = append(x.paths, p)
			x.depth = max(x.depth, len(p))
		}
	}
	for _, n := range names {
		x.headers[textproto.CanonicalMIMEHeaderKey(n)] = true
	}
	return x
}

// Headers returns hs with the values of redacted headers replaced by
// prikke.Redacted. hs is never modified: when something is redacted the
// result is a copy, otherwise hs itself.
func (x *Redactor) Headers(hs []prikke.Header) []prikke.Header {
	var out []prikke.Header
	for i, h := range hs {
		if !x.headers[textproto.CanonicalMIMEHeaderKey(h.Name)] || h.Value == prikke.Redacted {
			continue
		}
		if out == nil {
			out = append([]prikke.Header(nil), hs...)
		}
		out[i].Value = prikke.Redacted
	}
	if out == nil {
		return hs
	}
	return out
}

// Covers reports whether the value at the JSON path p (template path
// syntax) is or holds a redacted value: p is one of the redaction's paths,
// inside one, or around one (the object or array a redacted value is in).
// A response assertion on such a path must not quote what it saw.
func (x *Redactor) Covers(p string) bool {
	q, err := template.ParsePath(p)
	if err != nil {
		return false
	}
next:
	for _, r := range x.paths {
		for i := range min(len(r), len(q)) {
			if r[i] != q[i] {
				continue next
			}
		}
		return true
	}
	return false
}

// Redacted returns the values of hs's headers that Headers would
// redact (nil when none).
func (x *Redactor) Redacted(hs []prikke.Header) []string {
	var out []string
	for _, h := range hs {
		if x.headers[textproto.CanonicalMIMEHeaderKey(h.Name)] && h.Value != prikke.Redacted && h.Value != "" {
			out = append(out, h.Value)
		}
	}
	return out
}

// Headers applies r (nil: defaults) to hs; see Redactor.Headers.
func Headers(r *prikke.Redaction, hs []prikke.Header) []prikke.Header { return New(r).Headers(hs) }

// Body applies r (nil: defaults) to body; see Redactor.Body.
func Body(r *prikke.Redaction, body []byte) ([]byte, bool) { return New(r).Body(body) }

// Body returns body with the values at the redaction's JSON paths replaced
// by prikke.Redacted, and cut: whether a tail of body that did not parse
// was dropped (the caller then marks the body truncated). body is never
// modified. Without JSON paths, for a body that is not JSON, or when no
// path matched in a body that parses whole, it returns body itself.
//
// A body that stops parsing part-way (one cut at the recorded maximum, or
// a malformed one) is kept up to its last whole token, redacted, and the
// rest is dropped: the unparsed tail might hold a redacted value, or the
// start of one. So a truncated JSON body is stored redacted and possibly
// a little shorter, never with a redacted value in it.
func (x *Redactor) Body(body []byte) (out []byte, cut bool) {
	if len(x.paths) == 0 {
		return body, false
	}
	// A byte order mark (which some servers put before JSON, and many
	// parsers skip) is dropped, or the JSON after it would not be read.
	t := bytes.TrimLeft(body, " \t\r\n")
	t = bytes.TrimLeft(bytes.TrimPrefix(t, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return body, false
	}
	w := &walker{x: x, d: json.NewDecoder(bytes.NewReader(t))}
	w.d.UseNumber()
	w.out.Grow(len(body))
	if err := w.run(); err != nil {
		return w.out.Bytes(), true
	}
	if !w.changed {
		return body, false
	}
	return w.out.Bytes(), false
}

// walker rewrites a JSON token stream compactly, keeping the path of the
// value being read (the names and indexes of the containers it is in).
// It is iterative, so any nesting costs memory in proportion to the
// body, never stack.
type walker struct {
	x       *Redactor
	d       *json.Decoder
	out     bytes.Buffer
	stack   []frame
	path    []string // path[i]: the member of stack[i] being read
	changed bool     // a value was redacted
	values  []string // with collect: the strings and numbers redacted
	collect bool
}

// frame is one open object or array.
type frame struct {
	obj bool
	n   int  // members written so far
	key bool // object: the next token is a key (or its end)
}

func (w *walker) run() error {
	top := 0 // top-level values written
	for {
		tok, err := w.d.Token()
		if err == io.EOF && len(w.stack) == 0 && top > 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if len(w.stack) > 0 {
			f := &w.stack[len(w.stack)-1]
			if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
				w.out.WriteByte(byte(d))
				w.stack = w.stack[:len(w.stack)-1]
				w.path = w.path[:len(w.stack)]
				w.member()
				continue
			}
			if f.obj && f.key {
				k, _ := tok.(string)
				if f.n > 0 {
					w.out.WriteByte(',')
				}
				w.out.WriteString(template.JSON(k))
				w.out.WriteByte(':')
				f.key = false
				if w.at(k) {
					if err := w.redact(nil); err != nil {
						return err
					}
					w.member()
				}
				continue
			}
			if !f.obj {
				if f.n > 0 {
					w.out.WriteByte(',')
				}
				if w.at(strconv.Itoa(f.n)) {
					if err := w.redact(tok); err != nil {
						return err
					}
					w.member()
					continue
				}
			}
		} else {
			if top > 0 {
				w.out.WriteByte('\n')
			}
			top++
		}
		switch v := tok.(type) {
		case json.Delim:
			w.out.WriteByte(byte(v))
			w.stack = append(w.stack, frame{obj: v == '{', key: v == '{'})
			continue // a member ends at its container's close
		case string:
			w.out.WriteString(template.JSON(v))
		case json.Number:
			w.out.WriteString(v.String())
		case bool:
			w.out.WriteString(strconv.FormatBool(v))
		case nil:
			w.out.WriteString("null")
		default:
			return fmt.Errorf("redact: unexpected token %T", tok)
		}
		w.member()
	}
}

// member records that the innermost container's current member is done.
func (w *walker) member() {
	if len(w.stack) == 0 {
		return
	}
	f := &w.stack[len(w.stack)-1]
	f.n++
	f.key = f.obj
}

// at sets the current member's name or index and reports whether its
// path is redacted.
func (w *walker) at(e string) bool {
	w.path = append(w.path[:len(w.stack)-1], e)
	if len(w.path) > w.x.depth {
		return false
	}
next:
	for _, p := range w.x.paths {
		if len(p) != len(w.path) {
			continue
		}
		for i := range p {
			if p[i] != w.path[i] {
				continue next
			}
		}
		return true
	}
	return false
}

// redact writes prikke.Redacted for the value that starts with first (nil:
// read it) and skips the value's tokens.
func (w *walker) redact(first json.Token) error {
	w.out.WriteString(template.JSON(prikke.Redacted))
	w.changed = true
	if first == nil {
		t, err := w.d.Token()
		if err != nil {
			return err
		}
		first = t
	}
	w.keep(first)
	d, ok := first.(json.Delim)
	if !ok {
		return nil
	}
	if d == '}' || d == ']' {
		return fmt.Errorf("redact: unexpected %c", d)
	}
	for depth := 1; depth > 0; {
		t, err := w.d.Token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		} else {
			w.keep(t)
		}
	}
	return nil
}

// keep collects a redacted scalar's text (strings and numbers; an
// object's keys too, harmlessly) when the walker collects.
func (w *walker) keep(t json.Token) {
	if !w.collect {
		return
	}
	switch v := t.(type) {
	case string:
		w.values = append(w.values, v)
	case json.Number:
		w.values = append(w.values, v.String())
	}
}

// Values returns the texts Body would redact in body (the strings and
// numbers at, or inside, the redaction's paths), so that an endpoint that
// echoes a request's body can have them scrubbed from its response.
func (x *Redactor) Values(body []byte) []string {
	if len(x.paths) == 0 {
		return nil
	}
	t := bytes.TrimLeft(body, " \t\r\n")
	t = bytes.TrimLeft(bytes.TrimPrefix(t, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil
	}
	w := &walker{x: x, d: json.NewDecoder(bytes.NewReader(t)), collect: true}
	w.d.UseNumber()
	_ = w.run()
	return w.values
}

// Validate checks a project's redaction at save time, recording problems
// under field ("redact": "redact.headers[0]", "redact.json_paths[1]").
// nil is valid (the defaults).
func Validate(v *prikke.Validation, field string, r *prikke.Redaction) {
	if r == nil {
		return
	}
	if len(r.Headers) > prikke.MaxRedactHeaders {
		v.Add(field+".headers", "at most %d header names", prikke.MaxRedactHeaders)
	}
	for i, h := range r.Headers {
		if len(h) > 256 || !prikke.IsToken(h) {
			v.Add(fmt.Sprintf("%s.headers[%d]", field, i), "%q is not a header name: use letters, digits and !#$%%&'*+-.^_`|~ only", template.Clip(h, 40))
		}
	}
	if len(r.JSONPaths) > prikke.MaxRedactJSONPaths {
		v.Add(field+".json_paths", "at most %d JSON paths", prikke.MaxRedactJSONPaths)
	}
	for i, s := range r.JSONPaths {
		if len(s) > 256 {
			v.Add(fmt.Sprintf("%s.json_paths[%d]", field, i), "is too long: at most 256 characters")
			continue
		}
		if _, err := template.ParsePath(s); err != nil {
			v.Add(fmt.Sprintf("%s.json_paths[%d]", field, i), "%v; write a path without braces, like data.token or items[0].secret", err)
		}
	}
}
