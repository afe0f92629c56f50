// Package expect is the one response-assertion checker of Prikke, shared by
// jobs and workflow steps: Check judges an attempt's response against a
// prikke.Expect (status codes, classes and ranges; a JSON path equal to a
// value or matching a regular expression; text the body must or must not
// contain; a duration limit), and Validate checks an Expect when it is
// saved. A failed assertion's reason names the assertion and what was
// seen, so the execution page can say exactly why an attempt failed.
package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// DefaultStatus is what a response's status must be when an Expect sets
// none (or there is no Expect).
const DefaultStatus = "2xx"

// Check judges a response against e (nil: any 2xx). status is the HTTP
// status code, body the response body as kept (truncated: cut at the
// recorded maximum), d how long the attempt took. It returns "" when every
// set assertion holds, or the reason the first one does not, e.g.
//
//	expect: status 500 is not in [2xx]
//	expect: took 1250 ms, over max_duration_ms 1000
//	expect: body does not contain "ok"
//	expect: body contains "error"
//	expect: json_path data.state is "pending", not "done"
//	expect: json_path data.state is "pending", which does not match ^done$
//	expect: the response is not JSON
//
// The order is status, duration, body_contains, body_not_contains,
// json_path. Body assertions see only the kept part of a truncated body:
// body_contains fails and body_not_contains passes on what was kept (the
// reason says the body was cut), and a truncated body is not JSON.
func Check(e *prikke.Expect, status int, body []byte, truncated bool, d time.Duration) string {
	var codes []string
	if e != nil {
		codes = e.Status
	}
	if len(codes) == 0 {
		codes = []string{DefaultStatus}
	}
	if !StatusIn(codes, status) {
		return fmt.Sprintf("expect: status %d is not in [%s]", status, strings.Join(codes, ", "))
	}
	if e == nil {
		return ""
	}
	if e.MaxDurationMS > 0 && d > time.Duration(e.MaxDurationMS)*time.Millisecond {
		return fmt.Sprintf("expect: took %d ms, over max_duration_ms %d", d.Milliseconds(), e.MaxDurationMS)
	}
	if e.BodyContains != "" && !bytes.Contains(body, []byte(e.BodyContains)) {
		why := fmt.Sprintf("expect: body does not contain %s", quote(e.BodyContains))
		if truncated {
			why += fmt.Sprintf(" (in the first %d bytes kept)", len(body))
		}
		return why
	}
	if e.BodyNotContains != "" && bytes.Contains(body, []byte(e.BodyNotContains)) {
		return fmt.Sprintf("expect: body contains %s", quote(e.BodyNotContains))
	}
	if e.JSONPath == "" {
		return ""
	}
	return checkJSON(e, body, truncated)
}

// checkJSON judges e's json_path, equals and matches.
func checkJSON(e *prikke.Expect, body []byte, truncated bool) string {
	p, err := template.ParsePath(e.JSONPath)
	if err != nil {
		return "expect: json_path " + err.Error()
	}
	doc, ok := DecodeJSON(body)
	if !ok {
		if truncated {
			return fmt.Sprintf("expect: the response is not JSON (it was cut at %d bytes)", len(body))
		}
		return "expect: the response is not JSON"
	}
	got, ok := template.Walk(doc, p)
	if !ok {
		return fmt.Sprintf("expect: json_path %s is missing from the response", p)
	}
	if len(e.Equals) > 0 {
		want, ok := DecodeJSON(e.Equals)
		if !ok {
			return "expect: equals is not JSON"
		}
		if !Equal(got, want) {
			return fmt.Sprintf("expect: json_path %s is %s, not %s", p, template.Clip(template.JSON(got), 200), template.Clip(template.JSON(want), 200))
		}
	}
	if e.Matches != "" {
		re, err := regexp.Compile(e.Matches)
		if err != nil {
			return "expect: matches is not a valid regular expression: " + err.Error()
		}
		if !re.MatchString(template.Text(got)) {
			return fmt.Sprintf("expect: json_path %s is %s, which does not match %s", p, template.Clip(template.JSON(got), 200), template.Clip(e.Matches, 200))
		}
	}
	return ""
}

// StatusIn reports whether code is matched by one of codes: a code
// ("404"), a class ("4xx", any case) or a range ("200-299", inclusive).
func StatusIn(codes []string, code int) bool {
	for _, c := range codes {
		if lo, hi, ok := statusSpan(c); ok && code >= lo && code <= hi {
			return true
		}
	}
	return false
}

// statusSpan reads a code, class or range as the codes it covers.
func statusSpan(c string) (lo, hi int, ok bool) {
	c = strings.ToLower(strings.TrimSpace(c))
	if len(c) == 3 && strings.HasSuffix(c, "xx") && c[0] >= '1' && c[0] <= '5' {
		n := int(c[0]-'0') * 100
		return n, n + 99, true
	}
	if a, b, isRange := strings.Cut(c, "-"); isRange {
		lo, ok1 := code(strings.TrimSpace(a))
		hi, ok2 := code(strings.TrimSpace(b))
		return lo, hi, ok1 && ok2 && lo <= hi
	}
	n, ok := code(c)
	return n, n, ok
}

// code reads a status code 100..599 written canonically ("200", not "0200").
func code(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 100 && n <= 599 && strconv.Itoa(n) == s
}

// ValidStatus reports whether c is a code 100..599, a class 1xx..5xx or a
// range of codes ("200-299", low to high).
func ValidStatus(c string) bool {
	_, _, ok := statusSpan(c)
	return ok
}

// Validate checks e at save time, recording problems under field (such
// as "expect": "expect.status[0]", "expect.json_path", "expect.matches").
// It refuses too many or malformed statuses, a json_path that does not
// parse, equals that is not JSON, equals or matches without a json_path, a
// regular expression that does not compile (saying why), texts longer than
// prikke.MaxExpectTextLength or not UTF-8, and a negative or too long
// max_duration_ms. nil is valid. Templates inside equals are the caller's
// (workflow steps allow them; jobs compare literally).
func Validate(v *prikke.Validation, field string, e *prikke.Expect) {
	if e == nil {
		return
	}
	if len(e.Status) > prikke.MaxExpectStatuses {
		v.Add(field+".status", "at most %d status codes, classes or ranges", prikke.MaxExpectStatuses)
	}
	for j, c := range e.Status {
		if !ValidStatus(c) {
			v.Add(fmt.Sprintf("%s.status[%d]", field, j), `%q is not a status code (like 200), a class (like "2xx") or a range (like "200-299")`, template.Clip(c, 40))
		}
	}
	if e.JSONPath != "" {
		if _, err := template.ParsePath(e.JSONPath); err != nil {
			v.Add(field+".json_path", "%v; write it like data.items[0].state", err)
		}
	}
	if len(e.Equals) > 0 {
		if _, ok := DecodeJSON(e.Equals); !ok {
			v.Add(field+".equals", "expect.equals must be a JSON value (a number, \"string\", true, false, null, object or array)")
		}
		if e.JSONPath == "" {
			v.Add(field+".json_path", "expect.equals needs a json_path to compare at")
		}
	}
	text := func(name, s string) bool {
		switch {
		case len(s) > prikke.MaxExpectTextLength:
			v.Add(field+"."+name, "is too long: at most %d bytes", prikke.MaxExpectTextLength)
		case !utf8.ValidString(s):
			v.Add(field+"."+name, "must be valid UTF-8 text")
		default:
			return true
		}
		return false
	}
	if e.Matches != "" {
		if text("matches", e.Matches) {
			if _, err := regexp.Compile(e.Matches); err != nil {
				v.Add(field+".matches", "is not a valid regular expression (Go RE2 syntax): %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		}
		if e.JSONPath == "" && !v.Has(field+".json_path") {
			v.Add(field+".json_path", "expect.matches needs a json_path to match at")
		}
	}
	text("body_contains", e.BodyContains)
	text("body_not_contains", e.BodyNotContains)
	if e.MaxDurationMS < 0 || e.MaxDurationMS > prikke.MaxTimeoutMS {
		v.Add(field+".max_duration_ms", "must be between 1 and %d milliseconds (0: no limit)", prikke.MaxTimeoutMS)
	}
}

// DecodeJSON decodes exactly one JSON value (numbers as json.Number);
// ok is false for empty input, invalid JSON or trailing data.
func DecodeJSON(b []byte) (any, bool) {
	if len(b) == 0 {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// Equal compares JSON values: numbers by value (2 equals 2.0), objects and
// arrays deeply, however their numbers were decoded.
func Equal(a, b any) bool {
	if x, ok := Number(a); ok {
		y, ok := Number(b)
		return ok && x == y
	}
	if _, ok := Number(b); ok {
		return false
	}
	switch a.(type) {
	case map[string]any, []any:
		return reflect.DeepEqual(normalize(a), normalize(b))
	}
	return a == b
}

// Number reads a JSON number however it was decoded.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// normalize decodes v's JSON again with float64 numbers, so values
// decoded with json.Number and without compare equal.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// quote writes a user's text in a reason: JSON-quoted, clipped.
func quote(s string) string { return template.Clip(template.JSON(s), 200) }

// Response is what an attempt's delivery reported, for Judge.
type Response struct {
	Status     prikke.ExecutionStatus // the delivery's own verdict: success, failed or timeout
	Error      string                 // its reason ("HTTP 500", "connection refused")
	StatusCode int                    // 0 when no response arrived
	Body       []byte                 // as kept
	Truncated  bool
	Duration   time.Duration
}

// Judge turns a delivery's result into the attempt's status and error
// under e (nil: any 2xx). No response (a timeout, a network error) and a
// 2xx whose body could not be read keep the delivery's verdict. A response
// that fails Check is failed with Check's reason — except a non-2xx when e
// sets no Status, which keeps the delivery's own "HTTP 500". A response
// that passes is a success, even a non-2xx e's Status allows (a 404 when
// Status is ["404"]).
func Judge(e *prikke.Expect, r Response) (prikke.ExecutionStatus, string) {
	if r.Status == prikke.ExecutionStatusTimeout || r.StatusCode == 0 {
		return r.Status, r.Error
	}
	code := r.StatusCode
	if r.Status != prikke.ExecutionStatusSuccess && code >= 200 && code < 300 {
		return r.Status, r.Error // a 2xx whose body could not be read
	}
	why := Check(e, code, r.Body, r.Truncated, r.Duration)
	if why == "" {
		return prikke.ExecutionStatusSuccess, ""
	}
	if r.Status != prikke.ExecutionStatusSuccess && (e == nil || len(e.Status) == 0) {
		return r.Status, r.Error
	}
	return prikke.ExecutionStatusFailed, why
}
