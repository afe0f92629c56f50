package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/jobrequest"
	"github.com/prikke/prikke/internal/store"
)

// Issue 18's operations on what happened: replaying an execution's
// request, exporting the history, previewing a job's next request.

// ReplayInput edits a replay's request; nil fields keep the original's.
// A header whose value is prikke.Redacted is sent with the job's current
// value of that header (a redacted value is never stored, so never
// replayed as "[redacted]": the pending replay keeps the placeholder and
// the worker fills it in); when the job has none, the replay is refused
// naming the header.
type ReplayInput struct {
	Method  *string
	URL     *string
	Headers *[]prikke.Header
	Body    *string
}

// ReplayExecution sends an execution's request again now, as a new manual
// execution of the same job with ReplayOf set, optionally edited first.
// The original is never changed. What is sent: the original's recorded
// request (method, URL, the user's headers, body) with redacted values
// restored from the job and edits applied; Prikke's own headers
// (signature, webhook id, Prikke-*) are made afresh. When the recorded
// body was cut (RequestTruncated) or holds a redacted value, and no body is
// given, the job's body is rendered again. A workflow step's execution is refused (retry the run).
// URL edits pass the same validation and SSRF rules as a job's URL.
func (s *Service) ReplayExecution(ctx context.Context, a *Actor, id prikke.ID, in ReplayInput) (*prikke.Execution, error) {
	orig, err := s.Execution(ctx, a, id)
	if err != nil {
		return nil, err
	}
	j, err := s.replayJob(ctx, a, orig.JobID)
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, j.OrganizationID)
	if err != nil {
		return nil, err
	}
	now := s.now().Truncate(time.Millisecond)
	e, err := s.replayOf(j, o.Tier, orig, in, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.ExecutionReplay(ctx, []*prikke.Execution{e}); err != nil {
		return nil, replayError(err)
	}
	announceExecutions(ctx, s.store, e)
	s.record(ctx, a, &j.OrganizationID, prikke.AuditExecutionReplay, "execution", e.ID.String(), "replay of "+orig.ID.String())
	// Headers and a body given as edits are shown redacted, as the record
	// will be.
	if shown, err := s.shownReplay(ctx, e); err == nil {
		return shown, nil
	}
	return e, nil
}

// replayJob loads the job whose executions are replayed, with the right
// to run it now; a workflow step's job is refused.
func (s *Service) replayJob(ctx context.Context, a *Actor, jobID prikke.ID) (*prikke.Job, error) {
	j, err := s.job(ctx, a, jobID, prikke.PermManageJobs, "run jobs")
	if err != nil {
		return nil, err
	}
	if j.Step != nil {
		return nil, prikke.Errorf(prikke.EINVALID, "This execution is an attempt of step %q of workflow run %s, which cannot be replayed on its own; retry the run instead (POST /api/v1/runs/%s/retry).", j.Step.Key, j.Step.RunID, j.Step.RunID)
	}
	if j.WorkflowID != nil {
		return nil, prikke.Errorf(prikke.EINVALID, "This job starts workflow runs and sends no request of its own; start a run of the workflow instead.")
	}
	return j, nil
}

// replayError words the store's refusals of a replay.
func replayError(err error) error {
	if isCode(err, prikke.ENOTFOUND) {
		return prikke.Errorf(prikke.ENOTFOUND, "The job was deleted; its executions cannot be replayed.")
	}
	if isCode(err, prikke.ECONFLICT) {
		return prikke.Errorf(prikke.ECONFLICT, "This job was just replayed; try again in a moment.")
	}
	return err
}

// replayOf builds the pending replay of orig at now.
func (s *Service) replayOf(j *prikke.Job, tier prikke.Tier, orig *prikke.Execution, in ReplayInput, now time.Time) (*prikke.Execution, error) {
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: now, DueAt: now, Attempt: 1, Status: prikke.ExecutionStatusPending, Manual: true,
		Priority: prikke.Priority(tier, prikke.JobKindOnce, 0), FlowKey: j.Flow(), CreatedAt: now}
	origID := orig.ID
	e.ReplayOf = &origID

	// The request recorded, or the job's for an execution that never sent
	// one (missed, skipped).
	recorded := orig.RequestMethod != ""
	method, rawURL, body := orig.RequestMethod, orig.RequestURL, string(orig.RequestBody)
	var headers []prikke.Header
	if recorded {
		for _, h := range orig.RequestHeaders {
			if !prikke.ReservedHeader(h.Name) {
				headers = append(headers, h)
			}
		}
	} else {
		method = j.Method
	}
	var v prikke.Validation
	// A body recorded cut, or with a JSON field redacted, is not what was
	// sent: the job's body is rendered again instead (never "[redacted]").
	// So is a body not recorded at all while the job has one: an attempt
	// of an older release (no request_body) or sent with body recording
	// off; an empty body is never recorded either, but a job that sends
	// one has no body to render (its replay stays empty).
	rebuild := in.Body == nil && (orig.RequestTruncated || bytes.Contains(orig.RequestBody, []byte(prikke.Redacted)) ||
		(orig.RequestBody == nil && j.Body != ""))
	if !recorded || rebuild {
		loc, _ := cron.LoadLocation(j.TimeZone)
		u, hs, b, err := jobrequest.Send(j, e, loc)
		var re *jobrequest.Error
		switch {
		case errors.As(err, &re):
			v.Add(re.Field, "the job's %s cannot be rendered: %s", re.Field, re.Why)
		case err != nil:
			return nil, err
		}
		body = b
		if !recorded {
			rawURL, headers = u, append([]prikke.Header(nil), hs...)
		}
	}

	if in.Method != nil {
		method = strings.ToUpper(strings.TrimSpace(*in.Method))
		ok := false
		for _, m := range prikke.Methods {
			ok = ok || m == method
		}
		if !ok {
			v.Add("method", "must be one of GET, POST, PUT, PATCH, DELETE, HEAD")
		}
	}
	if in.URL != nil {
		rawURL = *in.URL
		prikke.ValidateURL(&v, "url", rawURL)
		if !v.Has("url") {
			s.checkDestination(&v, "url", rawURL)
		}
	}
	if in.Headers != nil {
		headers = append([]prikke.Header(nil), (*in.Headers)...)
		prikke.ValidateHeaders(&v, "headers", headers)
	}
	if in.Body != nil {
		body = *in.Body
		if len(body) > prikke.MaxBodyBytes {
			v.Add("body", "is too large: max 256 KiB")
		}
	}
	// A redacted value was never stored: the worker sends the job's
	// current value of that header instead (the pending replay keeps
	// "[redacted]", so the secret is never written to the history). One
	// the job does not have cannot be sent.
	for _, h := range headers {
		if h.Value != prikke.Redacted {
			continue
		}
		if _, ok := prikke.HeaderValue(j.Headers, h.Name); !ok {
			v.Add("headers."+h.Name, "was redacted when recorded and the job has no %s header to send instead; give its value in headers", h.Name)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if headers == nil {
		headers = []prikke.Header{}
	}
	e.RequestMethod, e.RequestURL, e.RequestHeaders, e.RequestBody = method, rawURL, headers, []byte(body)
	return e, nil
}

// BulkReplay selects the executions to send again: a job's failed ones
// (failed and timeout, last attempt of each occurrence) created in
// [Since, Until).
type BulkReplay struct {
	JobID        prikke.ID
	Since, Until time.Time
}

// ReplayFailed replays every execution BulkReplay selects, at most
// prikke.MaxBulkReplay (more is refused, saying to narrow the range), and
// returns the new executions.
func (s *Service) ReplayFailed(ctx context.Context, a *Actor, in BulkReplay) ([]*prikke.Execution, error) {
	var v prikke.Validation
	if in.Since.IsZero() {
		v.Add("since", "is required: the start of the range, an RFC 3339 instant")
	}
	if in.Until.IsZero() {
		v.Add("until", "is required: the end of the range, an RFC 3339 instant")
	}
	if !in.Since.IsZero() && !in.Until.IsZero() && !in.Since.Before(in.Until) {
		v.Add("until", "must be after since")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	j, err := s.replayJob(ctx, a, in.JobID)
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, j.OrganizationID)
	if err != nil {
		return nil, err
	}
	failed, err := s.lastFailed(ctx, j.ID, in.Since, in.Until)
	if err != nil {
		return nil, err
	}
	if len(failed) > prikke.MaxBulkReplay {
		return nil, prikke.Errorf(prikke.EINVALID, "%d failed executions are in this range, more than the %d one replay sends; narrow the range (since and until).",
			len(failed), prikke.MaxBulkReplay)
	}
	if len(failed) == 0 {
		return []*prikke.Execution{}, nil
	}
	now := s.now().Truncate(time.Millisecond)
	var es []*prikke.Execution
	for i, f := range failed {
		// The list has no bodies: each original is read whole.
		orig, err := s.store.ExecutionGet(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		// Distinct occurrences, one millisecond apart, oldest first.
		e, err := s.replayOf(j, o.Tier, orig, ReplayInput{}, now.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			return nil, prikke.Errorf(prikke.EINVALID, "Execution %s cannot be replayed: %s", orig.ID, errorText(err))
		}
		es = append(es, e)
	}
	if err := s.store.ExecutionReplay(ctx, es); err != nil {
		return nil, replayError(err)
	}
	announceExecutions(ctx, s.store, es...)
	s.record(ctx, a, &j.OrganizationID, prikke.AuditExecutionReplay, "job", j.ID.String(),
		fmt.Sprintf("replay of %d failed executions from %s to %s", len(es), in.Since.UTC().Format(time.RFC3339), in.Until.UTC().Format(time.RFC3339)))
	return es, nil
}

// errorText is an error's message with its fields, for a sentence.
func errorText(err error) string {
	fs := prikke.ErrorFields(err)
	if len(fs) == 0 {
		return prikke.ErrorMessage(err)
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Field + " " + f.Message
	}
	return strings.Join(parts, "; ")
}

// lastFailed returns the job's executions created in [since, until) that
// are the last attempt of their occurrence and failed or timed out,
// oldest first. It reads at most MaxBulkReplay+1 of them (enough to refuse
// a range too wide).
func (s *Service) lastFailed(ctx context.Context, jobID prikke.ID, since, until time.Time) ([]*prikke.Execution, error) {
	type occurrence struct {
		at     time.Time
		replay prikke.ID
	}
	last := map[occurrence]*prikke.Execution{}
	key := func(e *prikke.Execution) occurrence {
		k := occurrence{at: e.ScheduledFor.UTC()}
		if e.ReplayOf != nil {
			k.replay = *e.ReplayOf
		}
		return k
	}
	f := store.ExecutionFilter{JobID: &jobID, Since: since, Until: until, Limit: 1000}
	var failed int
	for {
		page, err := s.store.ExecutionList(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			k := key(e)
			if cur, ok := last[k]; !ok || e.Attempt > cur.Attempt {
				last[k] = e
			}
			if e.Status == prikke.ExecutionStatusFailed || e.Status == prikke.ExecutionStatusTimeout {
				failed++
			}
		}
		if len(page) < f.Limit || failed > 4*prikke.MaxBulkReplay {
			break
		}
		end := page[len(page)-1]
		f.BeforeCreatedAt, f.BeforeID = end.CreatedAt, end.ID
	}
	var out []*prikke.Execution
	for _, e := range last {
		if e.Status == prikke.ExecutionStatusFailed || e.Status == prikke.ExecutionStatusTimeout {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out, nil
}

// Export formats.
const (
	ExportCSV   = "csv"
	ExportJSONL = "jsonl"
)

// MaxExportRows bounds one export.
const MaxExportRows = 100_000

// ExportColumns are the CSV export's columns, in order (also the JSON
// lines' field names). Instants are RFC 3339 in UTC; empty when unset.
var ExportColumns = []string{"id", "job_id", "project_id", "scheduled_for", "due_at", "attempt", "status",
	"manual", "replay_of", "claimed_at", "started_at", "finished_at", "duration_ms", "lateness_ms",
	"response_status", "error", "request_method", "request_url", "created_at"}

// ExportExecutions writes the executions f selects (all pages, newest
// first, within the history window; at most 100,000 rows) to w as CSV or
// JSON lines, redacted as stored.
func (s *Service) ExportExecutions(ctx context.Context, a *Actor, f ExecutionFilter, format string, w io.Writer) error {
	if format != ExportCSV && format != ExportJSONL {
		return prikke.InvalidField("format", `must be "csv" or "jsonl"`)
	}
	sf, err := s.executionFilter(ctx, a, f)
	if err != nil {
		return err
	}
	var cw *csv.Writer
	var enc *json.Encoder
	if format == ExportCSV {
		cw = csv.NewWriter(w)
		if err := cw.Write(ExportColumns); err != nil {
			return err
		}
	} else {
		enc = json.NewEncoder(w)
	}
	sf.Limit = 1000
	rows := 0
	for rows < MaxExportRows {
		sf.Limit = min(sf.Limit, MaxExportRows-rows)
		page, err := s.store.ExecutionList(ctx, sf)
		if err != nil {
			return err
		}
		for _, e := range page {
			rec := exportRecord(e)
			if cw != nil {
				err = cw.Write(csvSafe(rec))
			} else {
				m := make(map[string]any, len(rec))
				for i, c := range ExportColumns {
					m[c] = exportValue(c, rec[i])
				}
				err = enc.Encode(m)
			}
			if err != nil {
				return err
			}
		}
		rows += len(page)
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		if len(page) < sf.Limit {
			break
		}
		end := page[len(page)-1]
		sf.BeforeCreatedAt, sf.BeforeID = end.CreatedAt, end.ID
	}
	return nil
}

// exportRecord is one execution as ExportColumns' texts.
func exportRecord(e *prikke.Execution) []string {
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	replay, status, lateness := "", "", ""
	if e.ReplayOf != nil {
		replay = e.ReplayOf.String()
	}
	if e.ResponseStatus != 0 {
		status = strconv.Itoa(e.ResponseStatus)
	}
	if e.StartedAt != nil {
		lateness = strconv.FormatInt(e.Lateness().Milliseconds(), 10)
	}
	sf, due, created := e.ScheduledFor, e.DueAt, e.CreatedAt
	return []string{e.ID.String(), e.JobID.String(), e.ProjectID.String(), at(&sf), at(&due), strconv.Itoa(e.Attempt),
		string(e.Status), strconv.FormatBool(e.Manual), replay, at(e.ClaimedAt), at(e.StartedAt), at(e.FinishedAt),
		strconv.Itoa(e.DurationMS), lateness, status, e.Error, e.RequestMethod, e.RequestURL, at(&created)}
}

// csvSafe neutralises the free-text cells of a CSV record (the error, which
// may quote an endpoint's response, and the URL) that a spreadsheet would
// run as a formula: one starting with = + - @ or a tab or CR gets a
// leading '. (The other columns are IDs, instants and numbers.)
func csvSafe(rec []string) []string {
	for i, c := range ExportColumns {
		switch c {
		case "error", "request_url", "request_method":
			if v := rec[i]; v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				rec[i] = "'" + v
			}
		}
	}
	return rec
}

// exportValue types a JSON line's field: numbers and booleans as such,
// an empty optional field as null.
func exportValue(col, s string) any {
	switch col {
	case "attempt", "duration_ms", "lateness_ms", "response_status":
		if s == "" {
			return nil
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	case "manual":
		return s == "true"
	case "replay_of", "claimed_at", "started_at", "finished_at", "error", "request_method", "request_url":
		if s == "" {
			return nil
		}
	}
	return s
}

// RequestPreview is the next request a job would send, templates
// rendered (signature headers shown as placeholders, never real).
type RequestPreview struct {
	ScheduledFor time.Time
	Method       string
	URL          string
	Headers      []prikke.Header
	Body         string
	Curl         string
}

// Placeholders a preview shows for the values only an attempt makes.
const (
	PreviewSignature = "v1,<signature>"
	PreviewTimestamp = "<unix time of the attempt>"
)

// PreviewJobRequest renders the request a job made of in would send at its
// next occurrence (or now for a job without one), validating its
// templates: a template error is a field error on url, headers or body.
// projectID is the job's project; jobID, when set, is the job edited.
func (s *Service) PreviewJobRequest(ctx context.Context, a *Actor, projectID prikke.ID, jobID *prikke.ID, in JobInput) (*RequestPreview, error) {
	p, err := s.project(ctx, a, projectID, prikke.PermRead, "see jobs")
	if err != nil {
		return nil, err
	}
	var j *prikke.Job
	create := jobID == nil
	if jobID != nil {
		saved, err := s.job(ctx, a, *jobID, prikke.PermRead, "see this job")
		if err != nil {
			return nil, err
		}
		if saved.ProjectID != p.ID {
			return nil, notFound()
		}
		c := *saved
		j = &c
	} else {
		j = &prikke.Job{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: p.OrganizationID}
	}
	probe := in
	probe.ProjectID = nil
	if create && probe.CronExpression == nil && probe.Interval == nil && probe.ScheduledAt == nil {
		h := "hourly"
		probe.Interval = &h // a draft without a schedule yet: the request does not depend on it
	}
	if create && probe.Name != nil && strings.TrimSpace(*probe.Name) == "" {
		probe.Name = nil
	}
	// The tier's interval limit is the save's business, not the preview's.
	if err := s.apply(j, &probe, prikke.TierPro, create); err != nil {
		return nil, err
	}
	if j.WorkflowID != nil {
		return nil, prikke.InvalidField("workflow_id", "a job that starts a workflow sends no request of its own; nothing to preview")
	}
	at := s.now().Truncate(time.Second)
	if j.NextRunAt != nil {
		at = *j.NextRunAt
	}
	execID := prikke.NewID()
	loc, _ := cron.LoadLocation(j.TimeZone)
	u, hs, body, err := jobrequest.Render(j, &prikke.Execution{ID: execID, JobID: j.ID, ScheduledFor: at, Attempt: 1}, loc)
	var re *jobrequest.Error
	switch {
	case errors.As(err, &re):
		return nil, prikke.InvalidField(re.Field, "%s", re.Why)
	case err != nil:
		return nil, err
	}
	pv := &RequestPreview{ScheduledFor: at, Method: j.Method, URL: u, Body: body}
	pv.Headers = []prikke.Header{
		{Name: "webhook-id", Value: prikke.WebhookID(j.ID, at)},
		{Name: "webhook-timestamp", Value: PreviewTimestamp},
		{Name: "webhook-signature", Value: PreviewSignature},
		{Name: "Prikke-Job-Id", Value: j.ID.String()},
		{Name: "Prikke-Execution-Id", Value: execID.String()},
		{Name: "Prikke-Scheduled-For", Value: prikke.FormatInstant(at)},
		{Name: "Prikke-Attempt", Value: "1"},
	}
	pv.Headers = append(pv.Headers, hs...)
	if ct := prikke.ContentType(j.Headers, j.Body); ct != "" {
		if _, set := prikke.HeaderValue(pv.Headers, "Content-Type"); !set {
			pv.Headers = append(pv.Headers, prikke.Header{Name: "Content-Type", Value: ct})
		}
	}
	pv.Curl = Curl(pv.Method, pv.URL, pv.Headers, pv.Body)
	return pv, nil
}

// Curl writes a request as a curl command for a POSIX shell, every
// argument single-quoted.
func Curl(method, rawURL string, hs []prikke.Header, body string) string {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	b.WriteString("curl -X " + method + " " + q(rawURL))
	for _, h := range hs {
		b.WriteString(" \\\n  -H " + q(h.Name+": "+h.Value))
	}
	if body != "" {
		b.WriteString(" \\\n  --data-raw " + q(body))
	}
	return b.String()
}
