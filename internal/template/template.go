// Package template is Prikke's one template syntax, for workflow steps'
// URLs, headers, bodies and delays, and for jobs' URLs, headers and bodies
// (internal/jobrequest): literal text with {{ path }} and
// {{ path | filter | filter }} in it.
//
// A path names a value in a Scope: dotted names and [N] indexes, such as
// payload.user.id, steps.login.json.token, steps.list.json.items[0].id,
// steps.check.headers.content-type, item, index, run.id, secrets.API_KEY.
// A string renders as itself; a number, boolean, null, object or array as
// its JSON. Filters: url (percent-encodes for a URL's path or query),
// json (the value's JSON, a string quoted), and the date filters, which
// read an instant (an RFC 3339 string, such as a job's scheduled_for) and
// work in Options.Location (the job's time zone; UTC when nil):
//
//	date            the day, 2026-12-06
//	time            the time of day, 14:05:00
//	unix            seconds since 1970 (a number)
//	previous_day    the same time of day one calendar day earlier
//	next_day        the same time of day one calendar day later
//	previous_hour   one hour earlier
//	previous_month  the first instant (00:00) of the previous calendar month
//
// The four last give an instant again (RFC 3339, UTC), so they chain:
// {{ scheduled_for | previous_day | date }} is yesterday's date in the
// job's zone. A path the scope lacks is a
// *MissingError naming it, so a step fails before any request is sent.
// "{{{{" writes a literal "{{".
//
// Spaces inside the braces are allowed: {{ payload.id | url }}. A name is
// letters, digits, '_' and '-'; any other name is written quoted in
// brackets, payload["first name"]; an index is a decimal number in
// brackets (so [0] and a field named "0" are the same element).
package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Path is a parsed path: its names and indexes, e.g. steps, login, json,
// token; an index [0] is the element "0".
type Path []string

// String writes the path as written: steps.list.json.items[0].id.
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case i > 0 && isIndex(e):
			b.WriteString("[" + e + "]")
		case !plainName(e):
			b.WriteString("[" + JSON(e) + "]")
		case i > 0:
			b.WriteString("." + e)
		default:
			b.WriteString(e)
		}
	}
	return b.String()
}

// Root returns the path's first name ("" for an empty path).
func (p Path) Root() string {
	if len(p) == 0 {
		return ""
	}
	return p[0]
}

// isIndex reports whether a path element is an array index.
func isIndex(e string) bool {
	if e == "" {
		return false
	}
	for i := 0; i < len(e); i++ {
		if e[i] < '0' || e[i] > '9' {
			return false
		}
	}
	return true
}

// plainName reports whether a path element can be written bare.
func plainName(e string) bool {
	if e == "" {
		return false
	}
	for _, r := range e {
		if !NameRune(r) {
			return false
		}
	}
	return true
}

// NameRune reports whether r may appear in a path's name.
func NameRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// ParsePath parses a path such as "steps.list.json.items[0]" (also used by
// for_each and expect.json_path).
func ParsePath(s string) (Path, error) {
	p, n, err := scanPath(s)
	if err != nil {
		return nil, err
	}
	if n != len(s) {
		return nil, fmt.Errorf("path %q: unexpected %q at offset %d", s, s[n:n+1], n)
	}
	return p, nil
}

// ScanPath reads a path at the start of s and returns it with the number
// of bytes it took; conditions use it to find paths between operators.
func ScanPath(s string) (Path, int, error) { return scanPath(s) }

func scanPath(s string) (Path, int, error) {
	var p Path
	i := 0
	name := func() (string, error) {
		j := i
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if !NameRune(r) {
				break
			}
			j += w
		}
		if j == i {
			if i >= len(s) {
				return "", fmt.Errorf("path %q: a name is missing at the end", s)
			}
			return "", fmt.Errorf("path %q: expected a name at offset %d, found %q", s, i, s[i:i+1])
		}
		n := s[i:j]
		i = j
		return n, nil
	}
	first, err := name()
	if err != nil {
		return nil, 0, err
	}
	p = append(p, first)
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			n, err := name()
			if err != nil {
				return nil, 0, err
			}
			p = append(p, n)
		case '[':
			if i+1 < len(s) && s[i+1] == '"' {
				// ["a name with any characters"], a JSON string.
				d := json.NewDecoder(strings.NewReader(s[i+1:]))
				var n string
				if err := d.Decode(&n); err != nil {
					return nil, 0, fmt.Errorf("path %q: a quoted name at offset %d must be a JSON string, like [\"a b\"]", s, i)
				}
				j := i + 1 + int(d.InputOffset())
				if j >= len(s) || s[j] != ']' {
					return nil, 0, fmt.Errorf("path %q: a ] is missing after the quoted name at offset %d", s, i)
				}
				p = append(p, n)
				i = j + 1
				continue
			}
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != ']' {
				return nil, 0, fmt.Errorf("path %q: an index at offset %d must be a number in brackets, like [0]", s, i)
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err != nil {
				return nil, 0, fmt.Errorf("path %q: index at offset %d is too large", s, i)
			}
			p = append(p, strconv.Itoa(n))
			i = j + 1
		default:
			return p, i, nil
		}
	}
	return p, i, nil
}

// Scope gives the values templates may use. Values are JSON values as
// encoding/json decodes them into any (string, float64 or json.Number,
// bool, nil, map[string]any, []any).
type Scope interface {
	Lookup(p Path) (v any, ok bool)
}

// Explainer is a Scope that can say why a path is missing better than
// the generic walk does (e.g. "the response of login is not JSON"). It
// returns "" to fall back to the generic reason.
type Explainer interface {
	Why(p Path) string
}

// Options adjust a render.
type Options struct {
	// Keep, when it returns true for a path, leaves its {{ … }} in the
	// output verbatim (secrets are kept until the moment of sending).
	// With Keep set the output is itself a template, rendered once more
	// at send time: every "{{" that is not a kept expression (a literal's,
	// or one inside a value) is written as "{{{{", so a value can never
	// smuggle in a reference such as {{secrets.KEY}}.
	Keep func(Path) bool
	// MaxBytes, when positive, bounds the output: a render that would
	// write more stops there with a *TooLargeError, so a template that
	// repeats a large value cannot build a huge string first.
	MaxBytes int
	// Location is the time zone the date filters work in (nil: UTC).
	Location *time.Location
}

// TooLargeError is a render's error for an output longer than
// Options.MaxBytes.
type TooLargeError struct{ Max int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("template: the text rendered is more than %d bytes", e.Max)
}

// MissingError is a render's error for a value the scope does not have.
type MissingError struct {
	Path Path
	// Why says what is missing, e.g. `steps.login.json has no field "token"`.
	Why string
}

func (e *MissingError) Error() string { return "template: " + e.Why }

// Template is a parsed template.
type Template struct {
	parts []part
}

// part is literal text (expr nil) or one {{ … }}.
type part struct {
	text string // the literal, or the expression's source with its braces
	expr *expr
}

type expr struct {
	path    Path
	filters []string
}

// Filters a template may apply (see the package doc), in the order error
// messages list them.
var filterNames = []string{"url", "json", "date", "time", "unix", "previous_day", "next_day", "previous_hour", "previous_month"}

var filters = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range filterNames {
		m[f] = true
	}
	return m
}()

// FilterError is a render's error for a filter that cannot apply to its
// value, e.g. the date filter given a value that is not an instant.
type FilterError struct {
	Path   Path
	Filter string
	Why    string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("template: %s | %s: %s", e.Path, e.Filter, e.Why)
}

// apply runs one filter on v.
func apply(f string, v any, loc *time.Location) (any, error) {
	switch f {
	case "url":
		return Escape(Text(v)), nil
	case "json":
		return JSON(v), nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("needs an instant (an RFC 3339 string such as 2026-12-06T14:05:00Z), not %s", Kind(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("needs an instant (an RFC 3339 string such as 2026-12-06T14:05:00Z), not %q", Clip(s, 40))
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	switch f {
	case "date":
		return t.Format(time.DateOnly), nil
	case "time":
		return t.Format(time.TimeOnly), nil
	case "unix":
		return t.Unix(), nil
	case "previous_day":
		t = t.AddDate(0, 0, -1)
	case "next_day":
		t = t.AddDate(0, 0, 1)
	case "previous_hour":
		t = t.Add(-time.Hour)
	case "previous_month":
		t = time.Date(t.Year(), t.Month()-1, 1, 0, 0, 0, 0, loc)
	default:
		return nil, fmt.Errorf("unknown filter")
	}
	return instant(t), nil
}

// instant writes t as RFC 3339 in UTC, with milliseconds when it has any.
func instant(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

// Parse parses s; the error says where the syntax is wrong.
func Parse(s string) (*Template, error) {
	t := &Template{}
	var lit strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		if strings.HasPrefix(s[i:], "{{{{") {
			lit.WriteString("{{")
			i += 4
			continue
		}
		end := strings.Index(s[i+2:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("template: unterminated {{ at offset %d: close it with }}, or write {{{{ for a literal {{", i)
		}
		src := s[i : i+2+end+2]
		e, err := parseExpr(s[i+2:i+2+end], i+2)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, part{text: src, expr: e})
		i += 2 + end + 2
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t, nil
}

// parseExpr parses the inside of {{ … }}; off is its offset in the
// template, for errors.
func parseExpr(s string, off int) (*expr, error) {
	at := off - 2
	body := strings.TrimLeft(s, " \t")
	if strings.TrimSpace(body) == "" {
		return nil, fmt.Errorf("template: empty {{ }} at offset %d: write a path such as {{ payload.id }}", at)
	}
	p, n, err := scanPath(body)
	if err != nil {
		return nil, fmt.Errorf("template: at offset %d: %v", at, err)
	}
	e := &expr{path: p}
	rest := strings.TrimSpace(body[n:])
	if rest != "" && rest[0] != '|' {
		return nil, fmt.Errorf("template: at offset %d: unexpected %q after %s: a filter starts with |", at, Clip(rest, 10), p)
	}
	if rest == "" {
		return e, nil
	}
	for _, f := range strings.Split(rest[1:], "|") {
		f = strings.TrimSpace(f)
		if !filters[f] {
			if f == "" {
				return nil, fmt.Errorf("template: at offset %d: a filter is missing after |: use one of %s", at, strings.Join(filterNames, ", "))
			}
			return nil, fmt.Errorf("template: at offset %d: unknown filter %q: use one of %s", at, Clip(f, 40), strings.Join(filterNames, ", "))
		}
		e.filters = append(e.filters, f)
	}
	return e, nil
}

// Clip cuts s to at most n bytes, at a character boundary, marking the
// cut with "…": for quoting user text in a message (stored, shown, sent
// to PostgreSQL, which refuses invalid UTF-8).
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Paths returns every path the template references, in order.
func (t *Template) Paths() []Path {
	var ps []Path
	for _, p := range t.parts {
		if p.expr != nil {
			ps = append(ps, p.expr.path)
		}
	}
	return ps
}

// HasExpr reports whether the template references any value.
func (t *Template) HasExpr() bool { return len(t.Paths()) > 0 }

// Render writes the template with the scope's values.
func (t *Template) Render(sc Scope, o Options) (string, error) {
	var b strings.Builder
	// With Keep, want is what the output must parse back to: its literal
	// text and its kept expressions, in order (see parsesAs).
	var want []part
	var lit strings.Builder
	for _, p := range t.parts {
		if o.MaxBytes > 0 && b.Len() > o.MaxBytes {
			return "", &TooLargeError{Max: o.MaxBytes}
		}
		if p.expr == nil {
			b.WriteString(o.quote(p.text))
			if o.Keep != nil {
				lit.WriteString(p.text)
			}
			continue
		}
		if o.Keep != nil && o.Keep(p.expr.path) {
			b.WriteString(p.text)
			if lit.Len() > 0 {
				want = append(want, part{text: lit.String()})
				lit.Reset()
			}
			want = append(want, p)
			continue
		}
		v, ok := sc.Lookup(p.expr.path)
		if !ok {
			return "", &MissingError{Path: p.expr.path, Why: Why(sc, p.expr.path)}
		}
		for _, f := range p.expr.filters {
			var err error
			if v, err = apply(f, v, o.Location); err != nil {
				return "", &FilterError{Path: p.expr.path, Filter: f, Why: err.Error()}
			}
		}
		text := Text(v)
		if o.MaxBytes > 0 && b.Len()+len(text) > o.MaxBytes {
			return "", &TooLargeError{Max: o.MaxBytes}
		}
		b.WriteString(o.quote(text))
		if o.Keep != nil {
			lit.WriteString(text)
		}
	}
	if o.MaxBytes > 0 && b.Len() > o.MaxBytes {
		return "", &TooLargeError{Max: o.MaxBytes}
	}
	if o.Keep == nil {
		return b.String(), nil
	}
	if lit.Len() > 0 {
		want = append(want, part{text: lit.String()})
	}
	out := b.String()
	if !parsesAs(out, want) {
		// Braces meeting across a boundary ("{" from one value, "{" from
		// the next, or a "{" before a kept {{ … }}) would make the second
		// render read text as an expression, or fail to parse: refused,
		// so a value can never smuggle in a reference to a secret.
		return "", fmt.Errorf("template: a value's braces next to other braces make the text ambiguous (a lone { beside {{ … }} or another value's {); put a space between them")
	}
	return out, nil
}

// parsesAs reports whether out parses to exactly these parts: the same
// literal text and the same expressions, in order.
func parsesAs(out string, want []part) bool {
	t, err := Parse(out)
	if err != nil || len(t.parts) != len(want) {
		return false
	}
	for i, p := range t.parts {
		w := want[i]
		if (p.expr == nil) != (w.expr == nil) || p.text != w.text {
			return false
		}
	}
	return true
}

// quote escapes s for an output that is a template again (Keep set).
func (o Options) quote(s string) string {
	if o.Keep == nil || !strings.Contains(s, "{{") {
		return s
	}
	return strings.ReplaceAll(s, "{{", "{{{{")
}

// Render parses and renders s in one call.
func Render(s string, sc Scope, o Options) (string, error) {
	t, err := Parse(s)
	if err != nil {
		return "", err
	}
	return t.Render(sc, o)
}

// Text is a value as a template writes it: a string as itself, anything
// else as its JSON.
func Text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return JSON(v)
}

// JSON is a value's JSON, without HTML escaping.
func JSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Escape percent-encodes every byte of s but the unreserved characters
// (RFC 3986: letters, digits, - . _ ~), so the result is safe in a URL's
// path segment and in its query alike (a space is %20).
func Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Walk follows p from a JSON value v (objects by name, arrays by index).
func Walk(v any, p Path) (any, bool) {
	for _, e := range p {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[e]; !ok {
				return nil, false
			}
		case []any:
			if !isIndex(e) {
				return nil, false
			}
			n, err := strconv.Atoi(e)
			if err != nil || n >= len(x) {
				return nil, false
			}
			v = x[n]
		default:
			return nil, false
		}
	}
	return v, true
}

// Why says why p is missing from sc: the scope's own reason when it is an
// Explainer, else the longest prefix the scope has and what it lacks.
func Why(sc Scope, p Path) string {
	if x, ok := sc.(Explainer); ok {
		if why := x.Why(p); why != "" {
			return why
		}
	}
	for n := len(p) - 1; n >= 1; n-- {
		if v, ok := sc.Lookup(p[:n]); ok {
			return Lacks(p[:n], v, p[n])
		}
	}
	return fmt.Sprintf("there is no %s", p.Root())
}

// Lacks says why the value v at path at has no element e:
// `payload has no field "user"`, `payload.items has no element 3`,
// `payload.name is a string, not an object`.
func Lacks(at Path, v any, e string) string {
	switch x := v.(type) {
	case map[string]any:
		return fmt.Sprintf("%s has no field %q", at, e)
	case []any:
		if isIndex(e) {
			return fmt.Sprintf("%s has no element %s (it has %d)", at, e, len(x))
		}
		return fmt.Sprintf("%s is an array, not an object: it has no field %q", at, e)
	}
	return fmt.Sprintf("%s is %s, not an object or array: it has no %q", at, Kind(v), e)
}

// Kind names a JSON value's type with its article: "a string", "null".
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number, int, int64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}
