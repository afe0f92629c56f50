package service

import (
	"errors"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/jobrequest"
)

// The checks of issue 18's job and project inputs: a job's response
// assertions (internal/expect), its templates (internal/jobrequest), a
// project's redaction (internal/redact).

// normalExpect returns nil for an expect that asserts nothing (the
// default: any 2xx).
func normalExpect(e *prikke.Expect) *prikke.Expect {
	if e == nil || (len(e.Status) == 0 && e.JSONPath == "" && len(e.Equals) == 0 && e.Matches == "" &&
		e.BodyContains == "" && e.BodyNotContains == "" && e.MaxDurationMS == 0) {
		return nil
	}
	return e
}

// hasTemplate reports whether s holds a {{ … }} (not only "{{{{").
func hasTemplate(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "{{{{", ""), "{{")
}

// checkTemplates validates the templates of the job's URL, headers and
// body (when one of them is given in in, or on create): each must parse
// and use only the names a job's template may use. A templated URL is a
// URL only once rendered, so its rendering for a sample attempt (now,
// attempt 1) is checked as a URL and against the SSRF rules, and its
// error says so.
func (s *Service) checkTemplates(v *prikke.Validation, j *prikke.Job, in *JobInput, create bool) {
	if j.WorkflowID != nil || !(create || in.URL != nil || in.Headers != nil || in.ContentType != nil || in.Body != nil) {
		return
	}
	var tv prikke.Validation
	jobrequest.Validate(&tv, j)
	for _, f := range prikke.ErrorFields(tv.Err()) {
		v.Add(f.Field, "%s", f.Message)
	}
	if tv.Err() != nil || !hasTemplate(j.URL) {
		return
	}
	sample := &prikke.Execution{ID: prikke.NewID(), ScheduledFor: s.now().Truncate(time.Second), Attempt: 1}
	loc, _ := cron.LoadLocation(j.TimeZone)
	u, _, _, err := jobrequest.Render(j, sample, loc)
	var re *jobrequest.Error
	switch {
	case errors.As(err, &re):
		v.Add(re.Field, "for a sample run: %s", re.Why)
	case err != nil:
		v.Add("url", "for a sample run: %v", err)
	default:
		var uv prikke.Validation
		s.checkDestination(&uv, "url", u)
		for _, f := range prikke.ErrorFields(uv.Err()) {
			v.Add("url", "rendered for a sample run (%s): %s", u, f.Message)
		}
	}
}
