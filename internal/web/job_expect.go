package web

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// The job editor's assertions: what a response must be for the execution
// to succeed. The inputs are named after the service's fields
// (expect.status, expect.json_path …), so its errors land beside them.

// expectFields are the assertion inputs (jobFields adds them).
var expectFields = []string{"expect.status", "expect.body_contains", "expect.body_not_contains", "expect.json_path",
	"expect.equals", "expect.matches", "expect.max_duration_ms"}

func init() {
	for _, f := range expectFields {
		jobFields[f] = true
	}
}

// expectStatusKey matches the service's per-code field (expect.status[2]).
var expectStatusKey = regexp.MustCompile(`^expect\.status\[\d+\]$`)

// expectValues fills the assertion inputs from a job's Expect.
func expectValues(f *page.Form, e *prikke.Expect) {
	f.Values.Set("expect.status", "")
	for _, name := range expectFields[1:] {
		f.Values.Set(name, "")
	}
	if e == nil {
		return
	}
	f.Values.Set("expect.status", strings.Join(e.Status, ", "))
	f.Values.Set("expect.body_contains", e.BodyContains)
	f.Values.Set("expect.body_not_contains", e.BodyNotContains)
	f.Values.Set("expect.json_path", e.JSONPath)
	f.Values.Set("expect.matches", e.Matches)
	if len(e.Equals) > 0 {
		// A string shows without its quotes, as it is typed.
		var s string
		if json.Unmarshal(e.Equals, &s) == nil {
			f.Values.Set("expect.equals", s)
		} else {
			f.Values.Set("expect.equals", string(e.Equals))
		}
	}
	if e.MaxDurationMS > 0 {
		f.Values.Set("expect.max_duration_ms", strconv.Itoa(e.MaxDurationMS))
	}
}

// expectInput reads the assertion inputs into in. A form without them (an
// older page) leaves the job's assertions as they are; all empty clears
// them (the default: a 2xx status).
func expectInput(f *page.Form, in *service.JobInput) {
	present := false
	for _, name := range expectFields {
		_, ok := f.Values[name]
		present = present || ok
	}
	if !present {
		return
	}
	e := &prikke.Expect{BodyContains: f.Get("expect.body_contains"), BodyNotContains: f.Get("expect.body_not_contains"),
		JSONPath: strings.TrimSpace(f.Get("expect.json_path")), Matches: f.Get("expect.matches")}
	for _, s := range splitList(f.Get("expect.status")) {
		e.Status = append(e.Status, s)
	}
	// Equals is JSON; anything that is not (done, a word) is the string.
	if eq := strings.TrimSpace(f.Get("expect.equals")); eq != "" {
		if json.Valid([]byte(eq)) {
			e.Equals = json.RawMessage(eq)
		} else {
			b, _ := json.Marshal(eq)
			e.Equals = b
		}
	}
	if s := strings.TrimSpace(f.Get("expect.max_duration_ms")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			f.SetError("expect.max_duration_ms", "must be a whole number of milliseconds")
			n = -1 // refused by the service too
		}
		e.MaxDurationMS = n
	}
	if len(e.Status) == 0 && e.JSONPath == "" && len(e.Equals) == 0 && e.Matches == "" && e.BodyContains == "" &&
		e.BodyNotContains == "" && e.MaxDurationMS == 0 {
		e = nil
	}
	in.Expect = &e
}

// AssertionsOpen: the assertions section starts open when the job has
// some or one of them is in error.
func (v jobFormView) AssertionsOpen() bool {
	for _, name := range expectFields {
		if v.Form.Get(name) != "" || v.Form.Errors[name] != "" {
			return true
		}
	}
	return false
}
