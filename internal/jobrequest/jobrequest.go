// Package jobrequest builds the request one attempt of a job sends: the
// job's URL, header values and body with their templates rendered
// (internal/template's syntax, shared with workflows) in the attempt's
// scope. The worker uses it for every job attempt (workflow steps fill
// their own requests), the service for a job form's preview of the next
// request and for validating a job at save time.
//
// The names a job's template may use:
//
//	scheduled_for  the occurrence, RFC 3339 in UTC (prikke.FormatInstant)
//	execution_id   the execution's ID
//	attempt        1 for the first attempt, 2 for the first retry, ...
//	job.id         the job's ID
//	job.name       the job's name
//	project_id     the job's project's ID
//
// and the template filters, the date ones working in the job's time zone:
// {{ scheduled_for | previous_day | date }} is the day before the run's,
// as 2026-12-05.
//
// A job whose URL, headers and body hold no "{{" costs nothing: Render
// returns its fields as they are.
package jobrequest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// The names a job's templates may use.
const (
	NameScheduledFor = "scheduled_for"
	NameExecutionID  = "execution_id"
	NameAttempt      = "attempt"
	NameJobID        = "job.id"
	NameJobName      = "job.name"
	NameProjectID    = "project_id"
)

// Names lists the names a job's templates may use, in the order error
// messages give them.
var Names = []string{NameScheduledFor, NameExecutionID, NameAttempt, NameJobID, NameJobName, NameProjectID}

// Templated reports whether any of the job's URL, header values or body
// holds a template ("{{").
func Templated(j *prikke.Job) bool {
	if has(j.URL) || has(j.Body) {
		return true
	}
	for _, h := range j.Headers {
		if has(h.Value) {
			return true
		}
	}
	return false
}

func has(s string) bool { return strings.Contains(s, "{{") }

// Validate checks the job's templates at save time: each must parse, use
// only Names and known filters. Problems are recorded under the field:
// "url", "headers[2].value", "body". A job that starts a workflow (its
// body is the run's payload) or carries a workflow step is not checked.
// The rendered URL is checked again at each attempt (and by the delivery
// client's guard at dial time); a templated URL's literal parts should be
// checked by the caller with prikke.ValidateURL on a preview (see Render).
func Validate(v *prikke.Validation, j *prikke.Job) {
	if j.WorkflowID != nil || j.Step != nil {
		return
	}
	check(v, "url", j.URL)
	for i, h := range j.Headers {
		check(v, fmt.Sprintf("headers[%d].value", i), h.Value)
	}
	check(v, "body", j.Body)
}

// check validates one field's template.
func check(v *prikke.Validation, field, s string) {
	if !has(s) {
		return
	}
	t, err := template.Parse(s)
	if err != nil {
		v.Add(field, "%s", strings.TrimPrefix(err.Error(), "template: "))
		return
	}
	for _, p := range t.Paths() {
		if !known(p) {
			v.Add(field, "{{ %s }} is not a name a job's template may use: use one of %s", p, strings.Join(Names, ", "))
			return
		}
	}
}

// known reports whether p is one of Names.
func known(p template.Path) bool {
	s := p.String()
	for _, n := range Names {
		if s == n {
			return true
		}
	}
	return false
}

// Scope is the values one attempt's templates see.
type Scope struct {
	values map[string]any
}

// NewScope is the scope of execution e of job j.
func NewScope(j *prikke.Job, e *prikke.Execution) *Scope {
	return &Scope{values: map[string]any{
		NameScheduledFor: prikke.FormatInstant(e.ScheduledFor),
		NameExecutionID:  e.ID.String(),
		NameAttempt:      e.Attempt,
		NameJobID:        j.ID.String(),
		NameJobName:      j.Name,
		NameProjectID:    j.ProjectID.String(),
	}}
}

// Lookup implements template.Scope: only the exact Names.
func (s *Scope) Lookup(p template.Path) (any, bool) {
	if len(p) == 1 || len(p) == 2 && p[0] == "job" {
		v, ok := s.values[p.String()]
		return v, ok
	}
	return nil, false
}

// Why implements template.Explainer.
func (s *Scope) Why(p template.Path) string {
	return fmt.Sprintf("there is no %s: a job's template may use %s", p, strings.Join(Names, ", "))
}

// Error is a render's failure, naming the field: "url", "headers[1].value"
// or "body". Its message is what the attempt's execution shows.
type Error struct {
	Field string
	Why   string
	// notTemplate: the field's text is no template at all (it does not
	// parse, or names what a job's template cannot), rather than one that
	// renders badly.
	notTemplate bool
}

func (e *Error) Error() string { return "template: " + e.Field + ": " + e.Why }

// Render renders the request of execution e of job j, the date filters
// working in loc (the job's time zone; nil: UTC). A field without "{{" is
// returned as it is (the job's own Headers slice when no value has one).
// A rendered URL must still be a valid job URL (prikke.ValidateURL), and
// rendered header values valid header values; the body is bounded by
// prikke.MaxBodyBytes. The error, an *Error, names the field.
func Render(j *prikke.Job, e *prikke.Execution, loc *time.Location) (url string, headers []prikke.Header, body string, err error) {
	url, headers, body = j.URL, j.Headers, j.Body
	if !Templated(j) {
		return url, headers, body, nil
	}
	sc := NewScope(j, e)
	o := template.Options{Location: loc, MaxBytes: prikke.MaxBodyBytes}
	render := func(field, s string) (string, error) {
		if !has(s) {
			return s, nil
		}
		t, err := template.Parse(s)
		if err != nil {
			return "", &Error{Field: field, Why: strings.TrimPrefix(err.Error(), "template: "), notTemplate: true}
		}
		out, err := t.Render(sc, o)
		if err != nil {
			// The scope has every name, so a missing one is a name a
			// job's template cannot use.
			var missing *template.MissingError
			return "", &Error{Field: field, Why: strings.TrimPrefix(err.Error(), "template: "), notTemplate: errors.As(err, &missing)}
		}
		return out, nil
	}
	if url, err = render("url", j.URL); err != nil {
		return "", nil, "", err
	}
	if url != j.URL {
		var v prikke.Validation
		prikke.ValidateURL(&v, "url", url)
		if fs := prikke.ErrorFields(v.Err()); len(fs) > 0 {
			return "", nil, "", &Error{Field: "url", Why: fmt.Sprintf("the URL rendered, %s, %s; write values in a URL as {{ … | url }}", template.Clip(url, 200), fs[0].Message)}
		}
	}
	copied := false
	for i, h := range j.Headers {
		if !has(h.Value) {
			continue
		}
		if !copied {
			headers, copied = append([]prikke.Header(nil), j.Headers...), true
		}
		field := fmt.Sprintf("headers[%d].value", i)
		if headers[i].Value, err = render(field, h.Value); err != nil {
			return "", nil, "", err
		}
	}
	if copied {
		var v prikke.Validation
		prikke.ValidateHeaders(&v, "headers", headers)
		if fs := prikke.ErrorFields(v.Err()); len(fs) > 0 {
			return "", nil, "", &Error{Field: fs[0].Field, Why: "the value rendered " + fs[0].Message}
		}
	}
	if body, err = render("body", j.Body); err != nil {
		return "", nil, "", err
	}
	return url, headers, body, nil
}

// Send is Render for an attempt that is sent: a job whose text holds a
// "{{" that is no template (saved before jobs had templates; a save
// checks them now) sends that text as it always did. A template that
// renders badly (an invalid URL, a header value with a line break) is
// still an error.
func Send(j *prikke.Job, e *prikke.Execution, loc *time.Location) (url string, headers []prikke.Header, body string, err error) {
	url, headers, body, err = Render(j, e, loc)
	var re *Error
	if errors.As(err, &re) && re.notTemplate {
		return j.URL, j.Headers, j.Body, nil
	}
	return url, headers, body, err
}
