package service

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// The checks of issue 18's job and project inputs: a job's response
// assertions (expect), its templates, a project's redaction.
//
// TODO(h-exworker): internal/expect.Validate and internal/jobrequest
// (Validate, Render) are to replace validateExpect, the job scope and
// checkTemplates once they land; the messages and the field names stay.

// validateExpect checks a job's response assertions; fields are named
// under field ("expect.status[0]", "expect.matches", ...).
func validateExpect(v *prikke.Validation, field string, e *prikke.Expect) {
	if e == nil {
		return
	}
	if len(e.Status) > prikke.MaxExpectStatuses {
		v.Add(field+".status", "has %d entries: max %d", len(e.Status), prikke.MaxExpectStatuses)
	}
	for i, c := range e.Status {
		if !validExpectStatus(c) {
			v.Add(fmt.Sprintf("%s.status[%d]", field, i), `%q is not a status code (like 200), a class (like "2xx") or a range (like "200-299")`, c)
		}
	}
	if e.JSONPath != "" {
		if _, err := template.ParsePath(e.JSONPath); err != nil {
			v.Add(field+".json_path", "%s; write it like data.items[0].state", strings.TrimPrefix(err.Error(), "path "))
		}
	}
	if len(e.Equals) > 0 {
		var x any
		if err := json.Unmarshal(e.Equals, &x); err != nil {
			v.Add(field+".equals", "must be a JSON value (a number, \"string\", true, false, null, object or array)")
		}
	}
	if e.Matches != "" {
		if _, err := regexp.Compile(e.Matches); err != nil {
			v.Add(field+".matches", "is not a valid regular expression (Go's RE2 syntax): %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	}
	if (len(e.Equals) > 0 || e.Matches != "") && e.JSONPath == "" {
		v.Add(field+".json_path", "is required with equals or matches: the path of the value to compare, like data.state")
	}
	if len(e.Equals) > 0 && e.Matches != "" {
		v.Add(field+".matches", "give equals or matches, not both")
	}
	for _, t := range []struct{ name, s string }{{"matches", e.Matches}, {"body_contains", e.BodyContains}, {"body_not_contains", e.BodyNotContains}} {
		switch {
		case utf8.RuneCountInString(t.s) > prikke.MaxExpectTextLength:
			v.Add(field+"."+t.name, "is too long: max %d characters", prikke.MaxExpectTextLength)
		case !utf8.ValidString(t.s) || strings.ContainsRune(t.s, 0):
			v.Add(field+"."+t.name, "must be UTF-8 text without NUL")
		}
	}
	if e.MaxDurationMS < 0 || e.MaxDurationMS > prikke.MaxTimeoutMS {
		v.Add(field+".max_duration_ms", "must be between 1 and %d milliseconds (the longest timeout), or absent", prikke.MaxTimeoutMS)
	}
}

// validExpectStatus reports whether c is a code 100..599, a class
// "1xx".."5xx", or a range "200-299" of codes.
func validExpectStatus(c string) bool {
	l := strings.ToLower(strings.TrimSpace(c))
	if len(l) == 3 && strings.HasSuffix(l, "xx") && l[0] >= '1' && l[0] <= '5' {
		return true
	}
	code := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 100 && n <= 599 && strconv.Itoa(n) == s
	}
	if lo, hi, ok := strings.Cut(l, "-"); ok {
		a, ok1 := code(strings.TrimSpace(lo))
		b, ok2 := code(strings.TrimSpace(hi))
		return ok1 && ok2 && a <= b
	}
	_, ok := code(l)
	return ok
}

// normalExpect returns nil for an expect that asserts nothing (the
// default: any 2xx).
func normalExpect(e *prikke.Expect) *prikke.Expect {
	if e == nil || (len(e.Status) == 0 && e.JSONPath == "" && len(e.Equals) == 0 && e.Matches == "" &&
		e.BodyContains == "" && e.BodyNotContains == "" && e.MaxDurationMS == 0) {
		return nil
	}
	return e
}

// validateRedaction checks a project's redaction: header names are HTTP
// tokens, JSON paths parse, and both lists are within their limits.
func validateRedaction(v *prikke.Validation, field string, r *prikke.Redaction) {
	if r == nil {
		return
	}
	if len(r.Headers) > prikke.MaxRedactHeaders {
		v.Add(field+".headers", "has %d names: max %d", len(r.Headers), prikke.MaxRedactHeaders)
	}
	for i, h := range r.Headers {
		if !validToken(h) {
			v.Add(fmt.Sprintf("%s.headers[%d]", field, i), "%q is not a header name: letters, digits and !#$%%&'*+-.^_`|~ only, like X-Api-Key", clipText(h, 40))
		}
	}
	if len(r.JSONPaths) > prikke.MaxRedactJSONPaths {
		v.Add(field+".json_paths", "has %d paths: max %d", len(r.JSONPaths), prikke.MaxRedactJSONPaths)
	}
	for i, p := range r.JSONPaths {
		if _, err := template.ParsePath(p); err != nil || len(p) > 200 {
			msg := "is too long: max 200 characters"
			if err != nil {
				msg = strings.TrimPrefix(err.Error(), "path ")
			}
			v.Add(fmt.Sprintf("%s.json_paths[%d]", field, i), "%s; write a path like password, data.token or items[0].secret", msg)
		}
	}
}

// validToken reports whether s is an HTTP header name (RFC 9110 token).
func validToken(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// jobScope is the values a job's templates see for one attempt:
// scheduled_for, execution_id, attempt, job.id and job.name.
type jobScope struct {
	job          *prikke.Job
	executionID  string
	scheduledFor time.Time
	attempt      int
}

// Lookup implements template.Scope.
func (sc jobScope) Lookup(p template.Path) (any, bool) {
	switch {
	case len(p) == 1 && p[0] == "scheduled_for":
		return sc.scheduledFor.UTC().Format(time.RFC3339), true
	case len(p) == 1 && p[0] == "execution_id":
		return sc.executionID, true
	case len(p) == 1 && p[0] == "attempt":
		return float64(sc.attempt), true
	case len(p) == 2 && p[0] == "job" && p[1] == "name":
		return sc.job.Name, true
	case len(p) == 2 && p[0] == "job" && p[1] == "id":
		return sc.job.ID.String(), true
	}
	return nil, false
}

// jobTemplateNames names what a job's templates may use, for messages.
const jobTemplateNames = "scheduled_for, execution_id, attempt, job.name and job.id"

// hasTemplate reports whether s holds a {{ … }} (not only "{{{{").
func hasTemplate(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "{{{{", ""), "{{")
}

// checkTemplates validates the templates of the job's URL, headers and
// body (those given in in, or all on create), rendering each for a sample
// attempt: a parse error or an unknown name is a field error. A templated
// URL is valid only once rendered, so its rendering for the sample is
// checked as a URL (and against the SSRF rules) and its error says so.
func (s *Service) checkTemplates(v *prikke.Validation, j *prikke.Job, in *JobInput, create bool) {
	if j.WorkflowID != nil {
		return
	}
	sc := jobScope{job: j, executionID: "sample-execution-id", scheduledFor: s.now().Truncate(time.Second), attempt: 1}
	render := func(field, src string) (string, bool) {
		t, err := template.Parse(src)
		if err != nil {
			v.Add(field, "%s", strings.TrimPrefix(err.Error(), "template: "))
			return "", false
		}
		for _, p := range t.Paths() {
			if _, ok := sc.Lookup(p); !ok {
				v.Add(field, "{{ %s }} is not a job template value; use %s", p, jobTemplateNames)
				return "", false
			}
		}
		out, err := t.Render(sc, template.Options{})
		if err != nil {
			v.Add(field, "%s", strings.TrimPrefix(err.Error(), "template: "))
			return "", false
		}
		return out, true
	}
	if (create || in.URL != nil) && hasTemplate(j.URL) {
		if out, ok := render("url", j.URL); ok {
			var uv prikke.Validation
			prikke.ValidateURL(&uv, "url", out)
			for _, f := range prikke.ErrorFields(uv.Err()) {
				v.Add("url", "rendered for a sample run (%s) %s; templates can only fill a valid URL", clipText(out, 200), f.Message)
			}
			if !v.Has("url") {
				s.checkDestination(v, "url", out)
			}
		}
	}
	if create || in.Headers != nil || in.ContentType != nil {
		for i, h := range j.Headers {
			if hasTemplate(h.Value) {
				render(fmt.Sprintf("headers[%d]", i), h.Value)
			}
		}
	}
	if (create || in.Body != nil) && hasTemplate(j.Body) {
		render("body", j.Body)
	}
}
