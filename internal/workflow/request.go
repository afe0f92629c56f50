package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/template"
)

// why is a render error's reason: a missing value's Why, or the error.
func why(err error) string {
	var me *template.MissingError
	if errors.As(err, &me) {
		return me.Why
	}
	return err.Error()
}

// tooLarge is a render error's reason, msg for an output too large.
func tooLarge(err error, msg string) string {
	var tl *template.TooLargeError
	if errors.As(err, &tl) {
		return msg
	}
	return why(err)
}

func isSecret(p template.Path) bool { return p.Root() == RootSecrets }

// usesSecrets reports whether any of the templates references a secret.
func usesSecrets(srcs ...string) bool {
	for _, s := range srcs {
		if !strings.Contains(s, "{{") {
			continue
		}
		t, err := template.Parse(s)
		if err != nil {
			continue
		}
		for _, path := range t.Paths() {
			if isSecret(path) {
				return true
			}
		}
	}
	return false
}

// start renders a step instance's request and makes it due: a hidden
// queue job and its first execution; a missing value fails it instead.
func (p *planner) start(s *prikke.Step, r *prikke.RunStep, item json.RawMessage, index int, due time.Time) {
	srcs := []string{s.URL, s.Body}
	for _, h := range s.Headers {
		srcs = append(srcs, h.Value)
	}
	secrets := usesSecrets(srcs...)
	var o template.Options
	if secrets {
		o.Keep = isSecret
	}
	sc := p.scope(item, index)
	// Each render stops once its output passes what a request may carry,
	// so a template repeating a large value never builds a huge string.
	o.MaxBytes = prikke.MaxURLLength
	url, err := template.Render(s.URL, sc, o)
	if err != nil {
		p.failStep(r, "url: "+tooLarge(err, fmt.Sprintf("the URL rendered is longer than the %d characters a URL may have", prikke.MaxURLLength)))
		return
	}
	if msg := p.hostValues(s.URL, sc, o); msg != "" {
		p.failStep(r, "url: "+msg)
		return
	}
	headers := make([]prikke.Header, 0, len(s.Headers)+1)
	headerBytes := 0
	for _, h := range s.Headers {
		if strings.EqualFold(h.Name, IdempotencyHeader) {
			continue // every attempt carries the step's own key
		}
		o.MaxBytes = max(prikke.MaxHeaderBytes-headerBytes-len(h.Name), 0)
		v, err := template.Render(h.Value, sc, o)
		if err != nil {
			p.failStep(r, "headers."+h.Name+": "+tooLarge(err, "the headers rendered are more than the 8 KiB in total a request may send"))
			return
		}
		headerBytes += len(h.Name) + len(v)
		if strings.ContainsAny(v, "\r\n\x00") {
			p.failStep(r, "headers."+h.Name+": the value rendered contains a line break or NUL, which a header cannot carry")
			return
		}
		headers = append(headers, prikke.Header{Name: h.Name, Value: v})
	}
	o.MaxBytes = prikke.MaxBodyBytes
	body, err := template.Render(s.Body, sc, o)
	if err != nil {
		p.failStep(r, "body: "+tooLarge(err, "the body rendered is more than the 256 KiB a request may send"))
		return
	}
	if len(body) > prikke.MaxBodyBytes {
		p.failStep(r, fmt.Sprintf("body: the body rendered is %d bytes, more than the 256 KiB a request may send", len(body)))
		return
	}
	if !secrets {
		var uv prikke.Validation
		prikke.ValidateURL(&uv, "url", url)
		if fs := prikke.ErrorFields(uv.Err()); len(fs) > 0 {
			p.failStep(r, fmt.Sprintf("url: the URL rendered, %s, %s; write values in a URL as {{ … | url }}", clip(url, 200), fs[0].Message))
			return
		}
	}
	headers = append(headers, prikke.Header{Name: IdempotencyHeader, Value: r.IdempotencyKey()})
	expect, err := renderExpect(s.Expect, sc)
	if err != nil {
		p.failStep(r, "expect.equals: "+why(err))
		return
	}
	method := s.Method
	if method == "" {
		method = "GET"
	}
	timeout := s.TimeoutMS
	if timeout == 0 {
		timeout = prikke.DefaultTimeoutMS
	}
	attempts := 0
	if s.Retry != nil {
		attempts = s.Retry.Attempts
	}
	run := p.st.Run
	name := run.WorkflowName + " · " + s.Key
	if index >= 0 {
		name += itemLabel(index)
	}
	now := p.now
	at := due
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: run.ProjectID, OrganizationID: run.OrganizationID,
		Kind: prikke.JobKindQueue, Name: name, URL: url, Method: method, Headers: headers, Body: body,
		TimeoutMS: timeout, RetryAttempts: attempts, Enabled: true, TimeZone: "UTC", RunAt: &at,
		CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow, Overlap: prikke.OverlapAllow,
		NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, FlowKey: s.FlowKey,
		Step: &prikke.JobStep{RunID: run.ID, WorkflowID: run.WorkflowID, Key: s.Key, Item: r.Item,
			Retry: s.Retry, Expect: expect, Secrets: secrets},
		CreatedAt: now, UpdatedAt: now}
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: due, DueAt: due, Attempt: 1, Status: prikke.ExecutionStatusPending,
		Priority: prikke.Priority(p.st.Tier, prikke.JobKindQueue, 0), FlowKey: j.Flow(), CreatedAt: now}
	p.plan.Starts = append(p.plan.Starts, &Start{Job: j, Execution: e})
	r.Status, r.Reason, r.JobID, r.Attempts = prikke.StepStatusScheduled, "", &j.ID, 0
	// StartedAt is left to the first attempt's start.
	r.DueAt, r.StartedAt, r.FinishedAt = &at, nil, nil
	p.touch(r)
}

// IdempotencyHeader is the header every attempt of a step carries.
const IdempotencyHeader = "Idempotency-Key"

// renderExpect renders a string expect.equals that holds a template, so
// the worker compares with the value frozen at the step's start.
func renderExpect(e *prikke.Expect, sc template.Scope) (*prikke.Expect, error) {
	if e == nil || len(e.Equals) == 0 || !bytes.Contains(e.Equals, []byte("{{")) {
		return e, nil
	}
	var s string
	if json.Unmarshal(e.Equals, &s) != nil {
		return e, nil
	}
	v, err := template.Render(s, sc, template.Options{MaxBytes: prikke.MaxStepOutputBytes})
	if err != nil {
		return nil, err
	}
	c := *e
	c.Equals = json.RawMessage(template.JSON(v))
	return &c, nil
}

// hostValues checks the values a URL template puts in its host (between
// "://" and the first /, ? or # of its own text): none may carry a
// character that ends or redirects the host (/ ? # @ \, a space or a
// control character), so a payload or a response value written into
// https://{{ payload.region }}.api.example.com/ cannot send the request
// (and the secrets in its headers) to a host of its choosing. It returns
// why the step fails, or "".
func (p *planner) hostValues(url string, sc template.Scope, o template.Options) string {
	from, to, ok := hostSpan(url)
	if !ok {
		return ""
	}
	host, err := template.Render(url[from:to], sc, o)
	if err != nil {
		return "" // the whole URL's render says why
	}
	if i := strings.IndexFunc(host, func(r rune) bool {
		return strings.ContainsRune("/?#@\\", r) || r <= ' ' || r == 0x7f
	}); i >= 0 {
		return fmt.Sprintf("the host rendered, %q, holds %q, which a host cannot: a value in the host must be a name or an address; write values after the host's /, with | url", clip(host, 200), host[i:i+1])
	}
	return ""
}

// hostSpan finds the host part of a URL template (after its "://", up to
// its first /, ? or # outside {{ … }}) and reports whether it holds an
// expression.
func hostSpan(s string) (from, to int, ok bool) {
	i, expr := 0, false
	from = -1
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "{{{{"):
			i += 4
		case strings.HasPrefix(s[i:], "{{"):
			end := strings.Index(s[i+2:], "}}")
			if end < 0 {
				return 0, 0, false
			}
			i += 2 + end + 2
			if from >= 0 {
				expr = true
			}
		case from < 0 && strings.HasPrefix(s[i:], "://"):
			i += 3
			from = i
		case from >= 0 && strings.ContainsRune("/?#", rune(s[i])):
			return from, i, expr
		default:
			i++
		}
	}
	return from, len(s), from >= 0 && expr
}
