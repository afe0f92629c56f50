// Workflows in the worker: an attempt of a workflow step (a hidden queue
// job, Job.Step) has its project secrets filled in just before it is sent
// and never recorded; an occurrence of a job that targets a workflow
// (Job.WorkflowID) starts a run instead of making a request.

package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/template"
)

// secretsTTL is how long a project's secrets are reused before they are
// read again: a burst of one workflow's steps reads them once, and an edit
// reaches the next attempts within a second.
const secretsTTL = time.Second

// secretsCacheMax bounds the projects whose secrets are cached.
const secretsCacheMax = 1024

// secretCache keeps projects' opened secrets for secretsTTL, by the
// worker's monotonic clock.
type secretCache struct {
	mu       sync.Mutex
	projects map[prikke.ID]cachedSecrets
}

type cachedSecrets struct {
	values map[string]string
	at     time.Duration // w.mono() when read
}

// secrets returns the project's secrets, read at most secretsTTL ago
// (cached says they were not read now), or read now when fresh.
func (w *Worker) secrets(ctx context.Context, project prikke.ID, fresh bool) (values map[string]string, cached bool, err error) {
	now := w.mono()
	c := &w.secretCache
	c.mu.Lock()
	cs, ok := c.projects[project]
	c.mu.Unlock()
	if ok && !fresh && now-cs.at < secretsTTL {
		return cs.values, true, nil
	}
	values, err = w.store.SecretValues(ctx, project)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.projects == nil || len(c.projects) >= secretsCacheMax {
		c.projects = map[prikke.ID]cachedSecrets{}
	}
	c.projects[project] = cachedSecrets{values: values, at: now}
	c.mu.Unlock()
	return values, false, nil
}

// secretScope is the template scope of the worker's render: secrets only.
type secretScope map[string]string

func (s secretScope) Lookup(p template.Path) (any, bool) {
	if len(p) != 2 || p.Root() != "secrets" {
		return nil, false
	}
	v, ok := s[p[1]]
	return v, ok
}

// filled is a step's request as sent: its secrets filled in, and what of
// it must not be recorded.
type filled struct {
	url     string
	headers []prikke.Header
	body    string
	// sentHeaders maps a header (lower-case name and the value sent) that
	// held a secret to its templated form, for the record.
	sentHeaders map[[2]string]string
	// used are the secret values sent, by name, scrubbed from whatever is
	// recorded (errors, echoed headers and bodies).
	used map[string]string
}

// fill renders a step's request for sending when it references project
// secrets (read at most secretsTTL ago; one the cached read lacks is
// looked up again). The planner rendered everything else when the step
// started, with Keep for secrets.*: what it wrote is a template still,
// whose only expressions are secrets and whose literal "{{" are written
// "{{{{". fill returns nil when the step references no secret: its
// request is sent as the planner wrote it. A secret the project lacks (or
// a template that does not parse) is the attempt's failure, returned as
// fail; err is a failure to read the secrets.
func (w *Worker) fill(ctx context.Context, j *prikke.Job) (f *filled, fail string, err error) {
	if !j.Step.Secrets {
		return nil, "", nil
	}
	values, cached, err := w.secrets(ctx, j.ProjectID, false)
	if err != nil {
		return nil, "", err
	}
	f, fail, missing := fillWith(j, values)
	if missing && cached {
		// Perhaps added within the cache's second: read them again
		// before failing the step for good.
		if values, _, err = w.secrets(ctx, j.ProjectID, true); err != nil {
			return nil, "", err
		}
		f, fail, _ = fillWith(j, values)
	}
	if fail != "" {
		return nil, fail, nil
	}
	return f, "", nil
}

// fillWith renders j's request with these secrets; missing says a secret
// the values lack is why it failed.
func fillWith(j *prikke.Job, values map[string]string) (f *filled, fail string, missing bool) {
	f = &filled{sentHeaders: map[[2]string]string{}, used: map[string]string{}}
	sc := secretScope(values)
	// render returns s rendered, and whether it referenced a secret; the
	// output is bounded by limit (what a request may carry), so a template
	// repeating a secret cannot build a request of many megabytes.
	render := func(field, s string, limit int) (string, bool) {
		if fail != "" || !strings.Contains(s, "{{") {
			return s, false
		}
		t, perr := template.Parse(s)
		if perr != nil {
			fail = field + ": " + perr.Error()
			return s, false
		}
		out, rerr := t.Render(sc, template.Options{MaxBytes: limit})
		if rerr != nil {
			var m *template.MissingError
			missing = errors.As(rerr, &m) && m.Path.Root() == "secrets"
			fail = field + ": " + secretFailure(rerr)
			return s, false
		}
		secret := false
		for _, p := range t.Paths() {
			if p.Root() == "secrets" && len(p) == 2 {
				f.used[p[1]], secret = values[p[1]], true
			}
		}
		return out, secret
	}
	f.url, _ = render("url", j.URL, prikke.MaxURLLength)
	f.headers = make([]prikke.Header, len(j.Headers))
	headerBytes := 0
	for _, h := range j.Headers {
		headerBytes += len(h.Name) + len(h.Value)
	}
	for i, h := range j.Headers {
		// The header's share: the 8 KiB in total (and room for the
		// Idempotency-Key the planner adds) less the others' (as written,
		// or already rendered).
		v, secret := render("headers."+h.Name, h.Value, max(prikke.MaxHeaderBytes+256-(headerBytes-len(h.Value)), 0))
		headerBytes += len(v) - len(h.Value)
		f.headers[i] = prikke.Header{Name: h.Name, Value: v}
		if secret {
			f.sentHeaders[[2]string{strings.ToLower(h.Name), v}] = h.Value
		}
	}
	f.body, _ = render("body", j.Body, prikke.MaxBodyBytes)
	return f, fail, missing
}

// secretFailure says why a render failed: the secret the project lacks.
func secretFailure(err error) string {
	var m *template.MissingError
	if errors.As(err, &m) && len(m.Path) == 2 && m.Path[0] == "secrets" {
		return fmt.Sprintf("the project has no secret %q (referenced as secrets.%s); add it to the project's secrets and retry the run", m.Path[1], m.Path[1])
	}
	var tl *template.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Sprintf("with its secrets filled in, it is more than the %d bytes a request may send", tl.Max)
	}
	if errors.As(err, &m) {
		// Only secrets are left for the worker to fill: anything else is
		// a planner's miss, said as the template says it.
		return m.Why
	}
	return err.Error()
}

// scrub keeps what is recorded of a step attempt free of the secrets it
// sent: headers that held one are recorded in their templated form, and
// any secret value the record still holds (an error quoting the URL, an
// endpoint echoing a header) is replaced by its reference.
func (f *filled) scrub(cp *store.Completion) {
	if f == nil || len(f.used) == 0 {
		return
	}
	for i, h := range cp.RequestHeaders {
		if tmpl, ok := f.sentHeaders[[2]string{strings.ToLower(h.Name), h.Value}]; ok {
			cp.RequestHeaders[i].Value = tmpl
		}
	}
	type pair struct{ old, ref string }
	var ps []pair
	for name, v := range f.used {
		if len(v) < minScrubbed {
			continue
		}
		for _, form := range encodings(v) {
			ps = append(ps, pair{form, "{{secrets." + name + "}}"})
		}
	}
	if len(ps) == 0 {
		return
	}
	// Longest first: where two forms start at one place, the whole one
	// is replaced.
	sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].old) > len(ps[j].old) })
	pairs := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		pairs = append(pairs, p.old, p.ref)
	}
	r := strings.NewReplacer(pairs...)
	cp.Error = r.Replace(cp.Error)
	cp.RequestURL = r.Replace(cp.RequestURL)
	for i := range cp.RequestHeaders {
		cp.RequestHeaders[i].Value = r.Replace(cp.RequestHeaders[i].Value)
	}
	for i := range cp.ResponseHeaders {
		cp.ResponseHeaders[i].Value = r.Replace(cp.ResponseHeaders[i].Value)
	}
	if len(cp.ResponseBody) > 0 {
		cp.ResponseBody = []byte(r.Replace(string(cp.ResponseBody)))
	}
	if len(cp.RequestBody) > 0 {
		cp.RequestBody = []byte(r.Replace(string(cp.RequestBody)))
	}
}

// encodings are the forms a secret value v is found in when it is
// echoed or quoted: as is, inside a JSON string (with or without HTML
// escapes, or ASCII only), inside a Go quoted string (an error quoting a
// URL), and percent-encoded (query, path, or the template's url filter).
func encodings(v string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if len(s) >= minScrubbed && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	inner := func(s string) string { return s[1 : len(s)-1] }
	add(v)
	b, _ := json.Marshal(v)
	add(inner(string(b)))
	add(inner(asciiJSON(string(b))))
	add(inner(template.JSON(v)))
	add(inner(strconv.Quote(v)))
	add(inner(strconv.QuoteToASCII(v)))
	add(url.QueryEscape(v))
	add(url.PathEscape(v))
	add(template.Escape(v))
	return out
}

// asciiJSON writes JSON's non-ASCII characters as \uXXXX escapes.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// minScrubbed is the shortest secret value scrubbed from echoes: shorter
// ones would blank out ordinary text.
const minScrubbed = 4

// failedStep is the completion of a step attempt that was not sent (a
// secret the project lacks): failed at once, never retried.
func failedStep(c *store.Claimed, at time.Time, why string) *store.Completion {
	e, j := c.Execution, c.Job
	cp := &store.Completion{
		ExecutionID: e.ID, JobID: j.ID, OrganizationID: e.OrganizationID, Attempt: e.Attempt,
		Status: prikke.ExecutionStatusFailed, StartedAt: at, FinishedAt: at,
		RequestMethod: j.Method, RequestURL: j.URL, Error: why, Health: store.HealthNone, Step: j.Step,
	}
	if cp.RequestMethod == "" {
		cp.RequestMethod = "GET"
	}
	return cp
}

// startRun is the attempt of a job that targets a workflow: it starts a
// run (the job's Body is its payload) and records the run's ID as the
// execution's response. The idempotency key is the occurrence's, so an
// attempt delivered again (a rescue) finds the run it started rather than
// start another. A workflow deleted since, or a payload the run refuses,
// fails the attempt for good; any other error fails it as a delivery
// failure (retried per the job).
func (w *Worker) startRun(ctx context.Context, c *store.Claimed) {
	e, j := c.Execution, c.Job
	start := w.dbNow()
	p := &store.RunStart{
		WorkflowID: *j.WorkflowID, Trigger: prikke.RunTriggerJob, JobID: &j.ID,
		IdempotencyKey: "job:" + prikke.WebhookID(j.ID, e.ScheduledFor), ScheduledFor: e.ScheduledFor,
	}
	if strings.TrimSpace(j.Body) != "" {
		p.Payload = []byte(j.Body)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	run, created, err := w.store.WorkflowRunStart(rctx, p)
	cancel()
	if ctx.Err() != nil {
		w.release(e) // stopping: started or not, the retry finds the run by its key
		return
	}
	res := delivery.Result{Status: prikke.ExecutionStatusSuccess, StartedAt: start, Duration: w.dbNow().Sub(start)}
	final := false // a failure that a retry cannot mend
	switch code := prikke.ErrorCode(err); {
	case err == nil:
		res.Body, _ = json.Marshal(struct {
			RunID   string `json:"run_id"`
			Created bool   `json:"created"`
		}{run.ID.String(), created})
		res.Headers = []prikke.Header{{Name: "Content-Type", Value: "application/json"}}
	case code == prikke.ENOTFOUND:
		res.Status, res.Error, final = prikke.ExecutionStatusFailed, "workflow run not started: the workflow was deleted", true
	case code == prikke.EINVALID || code == prikke.ECONFLICT || code == prikke.ETOOLARGE:
		res.Status, res.Error, final = prikke.ExecutionStatusFailed, "workflow run not started: "+prikke.ErrorMessage(err), true
	default:
		w.logger.Warn("starting a workflow run failed", "job_id", j.ID, "workflow_id", *j.WorkflowID, "error", err)
		res.Status, res.Error = prikke.ExecutionStatusFailed, "workflow run not started: an internal error; it will be tried again if the job retries"
	}
	w.observe(c, res)
	w.done1(e.OrganizationID)
	cp := Completion(c, res, w.dbNow(), w.cfg.RetryDelay)
	cp.RequestMethod, cp.RequestURL = "", ""
	if final {
		cp.Retry, cp.Health = nil, store.HealthFailure
	}
	w.results <- cp
}
