package api

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
)

// JobRequest is a job as clients send it. On create, absent fields take
// their defaults; on update (PATCH), absent fields stay as they are. Give
// one of cron_expression, interval or scheduled_at.
type JobRequest struct {
	ProjectID            *string            `json:"project_id,omitempty" doc:"Project to create the job in (default: the key's project, or the organization's first)."`
	Name                 *string            `json:"name,omitempty" minLength:"1" maxLength:"200" doc:"A name for people, not blank. Absent on create, it is the method and host (\"GET example.com\"). Control characters and invisible formatting characters that reorder or hide text (U+202E, U+200F, U+2066-2069 …) are refused." example:"nightly report"`
	URL                  *string            `json:"url,omitempty" doc:"http(s) URL to call; required unless workflow_id is given. Private, loopback and metadata addresses and localhost are refused (see /docs/own-machine)." example:"https://example.com/hooks/report"`
	Method               *string            `json:"method,omitempty" enum:"GET,POST,PUT,PATCH,DELETE,HEAD" doc:"HTTP method (default GET)." example:"POST"`
	Headers              *map[string]string `json:"headers,omitempty" doc:"Request headers. Host, Content-Length, User-Agent, webhook-* and Prikke-* are set by Prikke." example:"{\"Authorization\":\"Bearer s3cret\"}"`
	ContentType          *string            `json:"content_type,omitempty" doc:"Content-Type of the request body, like text/plain; charset=utf-8. Absent, the Content-Type in headers is sent, else application/json when the body is JSON, else none. \"\" removes the one set (the default applies again)." example:"application/json"`
	Body                 *string            `json:"body,omitempty" doc:"Request body (max 256 KiB). url, headers and body may hold templates (see /docs/templates)." example:"{\"report\":\"daily\"}"`
	TimeoutMS            *int               `json:"timeout_ms,omitempty" minimum:"1000" maximum:"30000" doc:"Total deadline of one attempt in milliseconds (default 30000)." example:"30000"`
	RetryAttempts        *int               `json:"retry_attempts,omitempty" minimum:"0" maximum:"10" doc:"Retries after the first attempt, for one-time jobs (default 5). Cron jobs do not retry."`
	Enabled              *bool              `json:"enabled,omitempty" doc:"Whether the job runs (default true)."`
	CronExpression       *string            `json:"cron_expression,omitempty" doc:"5-field cron expression or @hourly/@daily/@weekly/@monthly/@yearly." example:"0 9 * * 1-5"`
	Interval             *string            `json:"interval,omitempty" enum:"every_minute,every_2_minutes,every_5_minutes,every_10_minutes,every_15_minutes,every_30_minutes,hourly,every_2_hours,every_3_hours,every_4_hours,every_6_hours,every_8_hours,every_12_hours,daily,weekly" doc:"A simple interval instead of a cron expression, stored as one (cron_expression shows it). Every N minutes runs on real time, across daylight-saving changes too. Every N hours fires at 00:00, N:00, 2N:00 … in the job's timezone, so on a day its clocks change one gap is an hour shorter (spring) or longer (autumn); in UTC every gap is N hours. hourly is minute 0 of every hour, daily 00:00, weekly Monday 00:00. The tier's shortest interval applies: Free is hourly or less often, Pro every minute." example:"every_5_minutes"`
	Timezone             *string            `json:"timezone,omitempty" doc:"IANA time zone of the schedule (default UTC)." example:"Europe/Oslo"`
	ScheduledAt          *string            `json:"scheduled_at,omitempty" doc:"For a one-time job: RFC 3339 instant with offset, at most a year ahead." example:"2026-12-24T18:00:00+01:00"`
	CatchUp              *string            `json:"catch_up,omitempty" enum:"latest,skip" doc:"After downtime: run the latest missed occurrence once (default) or skip."`
	CatchUpWindowSeconds *int               `json:"catch_up_window_seconds,omitempty" minimum:"60" maximum:"604800" doc:"How old a missed occurrence may be and still run (default 3600)."`
	Overlap              *string            `json:"overlap,omitempty" enum:"allow,skip" doc:"When the previous run is still in flight: run anyway (default) or skip."`
	Notify               *string            `json:"notify,omitempty" enum:"project,muted,custom" doc:"Who hears about failures: the project's channels (default), nobody, or channel_ids."`
	ChannelIDs           *[]string          `json:"channel_ids,omitempty" doc:"Channels for notify=custom."`
	AlertPolicy          *AlertPolicy       `json:"alert_policy,omitempty" doc:"When the job's channels are alerted. Given, it replaces the whole policy: fields left out take their defaults."`
	FlowKey              *string            `json:"flow_key,omitempty" maxLength:"200" doc:"The flow key whose limits the job's requests obey (see Flow control): a name shared with other jobs, such as billing-api. Absent on create or \"\": the URL's host:port." example:"billing-api"`
	Expect               *Expect            `json:"expect,omitempty" doc:"Response assertions (see /docs/assertions); all must hold, else the attempt fails. Replaces the job's; null removes them."`
	WorkflowID           *string            `json:"workflow_id,omitempty" doc:"Makes the job start a run of this workflow (of the same project) at each occurrence instead of calling a URL: give it instead of url (not both). The body, if given, must be JSON: it is the run's payload; method and headers are not used. Absent on create, the job's name is \"Run <workflow name>\". On update, giving url makes the job call it again. Deleting the workflow deletes the job."`

	// expectNull: the body gave "expect": null (remove them).
	expectNull bool
}

// AlertPolicy is when a job's failures alert, as monitors have it.
type AlertPolicy struct {
	FailThreshold     int          `json:"fail_threshold" minimum:"0" maximum:"100" doc:"Failed runs in a row before the job is failing and its channels are alerted; 0 (default) means the project's alert_after." example:"3"`
	RecoveryThreshold int          `json:"recovery_threshold,omitempty" minimum:"0" maximum:"100" doc:"Successful runs in a row before a failing job is healthy again (default 1)." example:"1"`
	RealertEvery      string       `json:"realert_every,omitempty" doc:"While failing, alert again on a failed run at least this long after the last alert: a Go-style duration of 1m or more (\"6h\"). Empty: never (default)." example:"6h"`
	SnoozeUntil       *time.Time   `json:"snooze_until,omitempty" doc:"Mute the job's alerts until this RFC 3339 instant (at most a year ahead); null or absent: not snoozed. Flips while muted are recorded, not sent; if the job still fails at its first run after the snooze, that alert is sent then." example:"2026-12-24T08:00:00Z"`
	Window            *AlertWindow `json:"window,omitempty" doc:"A recurring maintenance window that mutes the job's alerts (and with skip_runs, skips its runs); null or absent: none."`
}

// AlertWindow is a recurring maintenance window.
type AlertWindow struct {
	Cron     string `json:"cron" doc:"When the window opens: a 5-field cron expression." example:"0 2 * * 0"`
	Timezone string `json:"timezone,omitempty" doc:"IANA time zone of cron (default: the job's)." example:"Europe/Oslo"`
	Duration string `json:"duration" doc:"How long it stays open: a Go-style duration, 1m to 168h (7 days)." example:"2h"`
	SkipRuns bool   `json:"skip_runs,omitempty" doc:"Also skip the job's runs that fall inside the window (they are not run, and not counted as missed). Without it the window only mutes alerts."`
}

// alertPolicyIn converts a request's policy into the service's input.
func alertPolicyIn(p *AlertPolicy) *service.AlertPolicyInput {
	in := &service.AlertPolicyInput{FailThreshold: p.FailThreshold, RecoveryThreshold: p.RecoveryThreshold, RealertEvery: p.RealertEvery}
	if p.SnoozeUntil != nil {
		in.SnoozeUntil = p.SnoozeUntil.Format(time.RFC3339Nano)
	}
	if w := p.Window; w != nil {
		in.Window = service.WindowInput{Cron: w.Cron, TimeZone: w.Timezone, Duration: w.Duration, SkipRuns: w.SkipRuns}
	}
	return in
}

// alertPolicyOut is a job's policy as the API shows it.
func alertPolicyOut(j *prikke.Job) *AlertPolicy {
	p := j.AlertPolicy
	out := &AlertPolicy{FailThreshold: p.FailThreshold, RecoveryThreshold: max(p.RecoveryThreshold, 1),
		RealertEvery: service.PolicyDuration(p.RealertEvery), SnoozeUntil: p.SnoozeUntil}
	if !p.Window.IsZero() {
		out.Window = &AlertWindow{Cron: p.Window.Cron, Timezone: p.Window.TimeZone, Duration: service.PolicyDuration(p.Window.Duration), SkipRuns: p.Window.SkipRuns}
	}
	return out
}

// input converts a request into the service's input.
func (r *JobRequest) input() (*service.JobInput, error) {
	in := &service.JobInput{Name: r.Name, URL: r.URL, Method: r.Method, ContentType: r.ContentType, Body: r.Body, TimeoutMS: r.TimeoutMS,
		RetryAttempts: r.RetryAttempts, Enabled: r.Enabled, CronExpression: r.CronExpression, Interval: r.Interval,
		TimeZone: r.Timezone, ScheduledAt: r.ScheduledAt, CatchUp: r.CatchUp, CatchUpWindowSeconds: r.CatchUpWindowSeconds,
		Overlap: r.Overlap, Notify: r.Notify, FlowKey: r.FlowKey}
	if r.AlertPolicy != nil {
		in.AlertPolicy = alertPolicyIn(r.AlertPolicy)
	}
	if r.Expect != nil || r.expectNull {
		e := expectIn(r.Expect)
		in.Expect = &e
	}
	var v prikke.Validation
	if r.ProjectID != nil {
		id, err := prikke.ParseID(*r.ProjectID)
		if err != nil {
			v.Add("project_id", "is not a valid id")
		} else {
			in.ProjectID = &id
		}
	}
	if r.Headers != nil {
		hs := headersIn(&v, *r.Headers)
		in.Headers = &hs
	}
	if r.WorkflowID != nil {
		id, err := prikke.ParseID(*r.WorkflowID)
		if err != nil {
			v.Add("workflow_id", "is not a valid id")
		} else {
			in.WorkflowID = &id
		}
	}
	if r.ChannelIDs != nil {
		ids := make([]prikke.ID, 0, len(*r.ChannelIDs))
		for i, s := range *r.ChannelIDs {
			id, err := prikke.ParseID(s)
			if err != nil {
				v.Add("channel_ids["+strconv.Itoa(i)+"]", "is not a valid id")
				continue
			}
			ids = append(ids, id)
		}
		in.ChannelIDs = &ids
	}
	return in, v.Err()
}

// headersIn turns a header object into ordered headers, refusing names
// that differ only in case.
func headersIn(v *prikke.Validation, m map[string]string) []prikke.Header {
	hs := make([]prikke.Header, 0, len(m))
	seen := map[string]string{}
	for k, val := range m {
		if prev, ok := seen[strings.ToLower(k)]; ok {
			v.Add("headers", "%q and %q are the same header; give it once", prev, k)
		}
		seen[strings.ToLower(k)] = k
		hs = append(hs, prikke.Header{Name: k, Value: val})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Name < hs[j].Name })
	return hs
}

// headerFields renames the domain's field errors about headers, which
// count list positions ("headers[2].name"), after the header they are
// about ("headers.X-Token"): clients send headers as an object, so a
// position means nothing to them.
func headerFields(err error, hs []prikke.Header) error {
	var pe *prikke.Error
	if !errors.As(err, &pe) || pe.Code != prikke.EINVALID || len(hs) == 0 {
		return err
	}
	var v prikke.Validation
	for _, f := range pe.Fields {
		if rest, ok := strings.CutPrefix(f.Field, "headers["); ok {
			n, _, _ := strings.Cut(rest, "]")
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(hs) {
				f.Field = "headers." + hs[i].Name
			}
		}
		v.Add(f.Field, "%s", f.Message)
	}
	return v.Err()
}

func headersOut(hs []prikke.Header) map[string]string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		if prev, ok := m[h.Name]; ok {
			m[h.Name] = prev + ", " + h.Value
		} else {
			m[h.Name] = h.Value
		}
	}
	return m
}

// Job is a job as the API returns it.
type Job struct {
	ID                   string            `json:"id" doc:"The job's id."`
	ProjectID            string            `json:"project_id" doc:"The project the job belongs to."`
	Name                 string            `json:"name" doc:"A name for people." example:"nightly report"`
	URL                  string            `json:"url" doc:"The URL called." example:"https://example.com/hooks/report"`
	Method               string            `json:"method" doc:"The HTTP method." example:"POST"`
	Headers              map[string]string `json:"headers" doc:"Request headers sent, besides the ones Prikke sets." example:"{\"Authorization\":\"Bearer s3cret\"}"`
	ContentType          string            `json:"content_type,omitempty" doc:"The Content-Type the request is delivered with: the Content-Type header, else application/json when the body is JSON; absent when none is sent."`
	Body                 string            `json:"body" doc:"The request body sent." example:"{\"report\":\"daily\"}"`
	TimeoutMS            int               `json:"timeout_ms" doc:"Total deadline of one attempt, in milliseconds." example:"30000"`
	RetryAttempts        int               `json:"retry_attempts" doc:"Retries after the first attempt (one-time and queued jobs)." example:"5"`
	Enabled              bool              `json:"enabled" doc:"Whether the job runs; false while paused." example:"true"`
	ScheduleKind         string            `json:"schedule_kind" enum:"cron,interval,once,queue" doc:"cron (cron_expression), interval, once (scheduled_at) or queue (made by POST /queue)."`
	CronExpression       string            `json:"cron_expression,omitempty" doc:"The cron expression; for interval jobs, the one the interval stands for." example:"0 9 * * 1-5"`
	Interval             string            `json:"interval,omitempty" doc:"The interval the schedule came from, when it came from one (schedule_kind interval): hourly, daily, weekly, every_N_minutes or every_N_hours." example:"every_5_minutes"`
	Timezone             string            `json:"timezone" doc:"IANA time zone the schedule is read in." example:"Europe/Oslo"`
	ScheduledAt          *time.Time        `json:"scheduled_at,omitempty" doc:"For a one-time job: when it runs."`
	Description          string            `json:"description" doc:"The schedule in plain English."`
	CatchUp              string            `json:"catch_up" doc:"After downtime: latest (run the latest missed occurrence once) or skip." example:"latest"`
	CatchUpWindowSeconds int               `json:"catch_up_window_seconds" doc:"How old a missed occurrence may be and still run, in seconds." example:"3600"`
	Overlap              string            `json:"overlap" doc:"When the previous run is still in flight: allow or skip." example:"allow"`
	Notify               string            `json:"notify" doc:"Who hears about failures: project (its channels), muted, or custom (channel_ids)." example:"project"`
	ChannelIDs           []string          `json:"channel_ids,omitempty" doc:"The channels alerted when notify is custom." example:"[]"`
	Health               string            `json:"health" enum:"healthy,failing" doc:"failing after alert_policy.fail_threshold (else the project's alert_after) failures in a row, until alert_policy.recovery_threshold successes in a row; else healthy."`
	ConsecutiveFailures  int               `json:"consecutive_failures" doc:"Failed runs in a row, up to now." example:"0"`
	AlertPolicy          *AlertPolicy      `json:"alert_policy" doc:"When the job's channels are alerted."`
	NextRunAt            *time.Time        `json:"next_run_at,omitempty" doc:"When the job runs next; absent when paused or done." example:"2026-11-25T08:00:00Z"`
	LastRunAt            *time.Time        `json:"last_run_at,omitempty" doc:"When the last run finished; absent before the first." example:"2026-11-24T08:00:00.184Z"`
	LastStatus           string            `json:"last_status,omitempty" doc:"The last run's status." example:"success"`
	DisabledReason       string            `json:"disabled_reason,omitempty" doc:"Why Prikke paused the job (for example a 410 Gone); absent unless it did."`
	PauseReason          string            `json:"pause_reason,omitempty" enum:"plan," doc:"plan when a downgrade paused the job because the new plan does not allow it (an upgrade resumes it); absent when it runs or you paused it."`
	FlowKey              string            `json:"flow_key" doc:"The flow key the job's requests go by (see Flow control): the one it names, else its URL's host:port." example:"api.example.com:443"`
	Expect               *Expect           `json:"expect,omitempty" doc:"The job's response assertions; absent: any 2xx succeeds."`
	WorkflowID           string            `json:"workflow_id,omitempty" doc:"The workflow whose run the job starts at each occurrence (url is then empty, and body is the run's payload); absent for a job that calls a URL."`
	CreatedAt            time.Time         `json:"created_at" doc:"When the job was created."`
	UpdatedAt            time.Time         `json:"updated_at" doc:"When the job last changed."`
}

func jobOut(j *prikke.Job) *Job {
	out := &Job{ID: j.ID.String(), ProjectID: j.ProjectID.String(), Name: j.Name, URL: j.URL, Method: j.Method,
		Headers: headersOut(j.Headers), ContentType: prikke.ContentType(j.Headers, j.Body), Body: j.Body, TimeoutMS: j.TimeoutMS, RetryAttempts: j.RetryAttempts,
		Enabled: j.Enabled, CronExpression: j.CronExpression, Interval: string(j.Interval), Timezone: j.TimeZone,
		ScheduledAt: j.RunAt, CatchUp: string(j.CatchUp), CatchUpWindowSeconds: int(j.CatchUpWindow / time.Second),
		Overlap: string(j.Overlap), Notify: string(j.NotifyMode), Health: string(j.Health),
		ConsecutiveFailures: j.ConsecutiveFailures, NextRunAt: j.NextRunAt, LastRunAt: j.LastRunAt,
		LastStatus: string(j.LastStatus), DisabledReason: j.DisabledReason, PauseReason: j.PauseReason, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
		AlertPolicy: alertPolicyOut(j), FlowKey: j.Flow(), Expect: expectOut(j.Expect)}
	if j.WorkflowID != nil {
		out.WorkflowID = j.WorkflowID.String()
	}
	for _, c := range j.ChannelIDs {
		out.ChannelIDs = append(out.ChannelIDs, c.String())
	}
	switch {
	case j.Kind == prikke.JobKindQueue:
		out.ScheduleKind, out.Description = "queue", "Queued request"
	case j.Kind == prikke.JobKindOnce:
		out.ScheduleKind, out.Description = "once", "Once, at "+j.RunAt.UTC().Format(time.RFC3339)
	case j.Interval != "":
		out.ScheduleKind = "interval"
	default:
		out.ScheduleKind = "cron"
	}
	if j.Kind == prikke.JobKindCron {
		if s, err := cron.Parse(j.CronExpression); err == nil {
			out.Description = s.Describe()
			if j.TimeZone != "UTC" {
				out.Description += " (" + j.TimeZone + ")"
			}
		}
	}
	return out
}

type jobBody struct{ Body *Job }

type jobIDInput struct {
	JobID string `path:"job_id" doc:"The job's id."`
}

type jobUpdateInput struct {
	JobID string `path:"job_id" doc:"The job's id."`
	bodyInput
}

type jobListInput struct {
	ProjectID string `query:"project_id" doc:"Only this project's jobs."`
	Enabled   string `query:"enabled" enum:"true,false," doc:"Only enabled (true) or paused (false) jobs."`
	Search    string `query:"search" maxLength:"200" doc:"Substring of the name or URL."`
	Limit     int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50; larger values are clamped to 100)."`
	Cursor    string `query:"cursor" doc:"next_cursor from the previous page."`
}

// JobPage is one page of jobs.
type JobPage struct {
	Jobs       []*Job `json:"jobs" doc:"The jobs, oldest first."`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

func (a *API) handleJobCreate(ctx context.Context, in *bodyOnly) (*jobBody, error) {
	var req JobRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	req.expectNull = req.Expect == nil && nullMember(in.RawBody, "expect")
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	j, err := a.svc.CreateJob(ctx, actorOf(ctx), si)
	if err != nil {
		return nil, headerFields(err, derefHeaders(si.Headers))
	}
	return &jobBody{jobOut(j)}, nil
}

func (a *API) handleJobList(ctx context.Context, in *jobListInput) (*struct{ Body *JobPage }, error) {
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	pid, err := optID("query.project_id", in.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := service.ValidateSearch("query.search", in.Search); err != nil {
		return nil, err
	}
	f := service.JobFilter{ProjectID: pid, Search: in.Search, AfterCreatedAt: c.At, AfterID: c.ID, Limit: limit(in.Limit) + 1}
	if in.Enabled != "" {
		b := in.Enabled == "true"
		f.Enabled = &b
	}
	js, err := a.svc.Jobs(ctx, actorOf(ctx), f)
	if err != nil {
		return nil, err
	}
	page := &JobPage{Jobs: []*Job{}}
	for i, j := range js {
		if i == limit(in.Limit) {
			last := js[i-1]
			page.NextCursor = cursor{At: last.CreatedAt, ID: last.ID}.String()
			break
		}
		page.Jobs = append(page.Jobs, jobOut(j))
	}
	return &struct{ Body *JobPage }{page}, nil
}

func (a *API) handleJobGet(ctx context.Context, in *jobIDInput) (*jobBody, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	j, err := a.svc.Job(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &jobBody{jobOut(j)}, nil
}

func (a *API) handleJobUpdate(ctx context.Context, in *jobUpdateInput) (*jobBody, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	var req JobRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	req.expectNull = req.Expect == nil && nullMember(in.RawBody, "expect")
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	j, err := a.svc.UpdateJob(ctx, actorOf(ctx), id, si)
	if err != nil {
		return nil, headerFields(err, derefHeaders(si.Headers))
	}
	return &jobBody{jobOut(j)}, nil
}

func (a *API) handleJobPause(ctx context.Context, in *jobIDInput) (*jobBody, error) {
	return a.jobAction(ctx, in, a.svc.PauseJob)
}

func (a *API) handleJobResume(ctx context.Context, in *jobIDInput) (*jobBody, error) {
	return a.jobAction(ctx, in, a.svc.ResumeJob)
}

func (a *API) jobAction(ctx context.Context, in *jobIDInput, fn func(context.Context, *service.Actor, prikke.ID) (*prikke.Job, error)) (*jobBody, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	j, err := fn(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &jobBody{jobOut(j)}, nil
}

func (a *API) handleJobDelete(ctx context.Context, in *jobIDInput) (*struct{}, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	if err := a.svc.DeleteJob(ctx, actorOf(ctx), id); err != nil {
		return nil, err
	}
	return nil, nil
}

func (a *API) handleJobTrigger(ctx context.Context, in *jobIDInput) (*executionBody, error) {
	id, err := parseID(in.JobID)
	if err != nil {
		return nil, err
	}
	e, err := a.svc.TriggerJob(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &executionBody{Body: executionOut(e, false)}, nil
}

// TestResponse is what a test request got back.
type TestResponse struct {
	Status     string            `json:"status" enum:"success,failed,timeout" doc:"success (a 2xx), failed or timeout."`
	StatusCode int               `json:"status_code" doc:"The response's HTTP status; 0 when there was none." example:"200"`
	DurationMS int64             `json:"duration_ms" doc:"How long the request took, in milliseconds." example:"184"`
	Headers    map[string]string `json:"headers" doc:"The response's headers." example:"{\"Content-Type\":\"application/json\"}"`
	Body       string            `json:"body" doc:"The first 64 KiB of the response's body." example:"{\"ok\":true}"`
	Truncated  bool              `json:"truncated" doc:"The body was longer than the 64 KiB returned."`
	Error      string            `json:"error,omitempty" doc:"Why the request failed (connection, TLS, timeout, refused address); absent on a response."`
}

func (a *API) handleJobTest(ctx context.Context, in *bodyOnly) (*struct{ Body *TestResponse }, error) {
	var req JobRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	req.expectNull = req.Expect == nil && nullMember(in.RawBody, "expect")
	si, err := req.input()
	if err != nil {
		return nil, err
	}
	res, err := a.svc.TestSend(ctx, actorOf(ctx), si.ProjectID, si)
	if err != nil {
		return nil, headerFields(err, derefHeaders(si.Headers))
	}
	body := string(res.Body)
	if !utf8.ValidString(body) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	return &struct{ Body *TestResponse }{&TestResponse{Status: string(res.Status), StatusCode: res.StatusCode,
		DurationMS: res.Duration.Milliseconds(), Headers: headersOut(res.Headers), Body: body, Truncated: res.Truncated,
		Error: res.Error}}, nil
}

func derefHeaders(hs *[]prikke.Header) []prikke.Header {
	if hs == nil {
		return nil
	}
	return *hs
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opJobs = operation{ID: "jobs", Tag: "Jobs",
		Summary:     "List jobs",
		Description: "Oldest first, paged with next_cursor."}

	opJobCreate = operation{ID: "job-create", Tag: "Jobs", Status: http.StatusCreated, Body: JobRequest{},
		Summary:     "Create a job",
		Description: "A cron job (cron_expression + timezone), a simple interval, or a one-time job (scheduled_at)."}

	opJobTest = operation{ID: "job-test", Tag: "Jobs", Body: JobRequest{},
		Summary:     "Send a test request",
		Description: "Delivers the request once, now, and returns the response. Counts against the monthly quota; not stored in history."}

	opJob = operation{ID: "job", Tag: "Jobs",
		Summary:     "Get a job",
		Description: "The job with its schedule in plain English, its next and last run, and its health."}

	opJobUpdate = operation{ID: "job-update", Tag: "Jobs", Body: JobRequest{},
		Summary:     "Change a job",
		Description: "Only the fields given change. Pending runs are rewritten from the new definition."}

	opJobDelete = operation{ID: "job-delete", Tag: "Jobs", Status: http.StatusNoContent,
		Summary:     "Delete a job and its history",
		Description: "Deletes the job, its pending runs and its execution history. This cannot be undone; pause the job to keep its history."}

	opJobPause = operation{ID: "job-pause", Tag: "Jobs",
		Summary:     "Pause a job",
		Description: "Stops scheduling the job until it is resumed; its history is kept."}

	opJobResume = operation{ID: "job-resume", Tag: "Jobs",
		Summary:     "Resume a job",
		Description: "Schedules the job again, also after Prikke paused it itself (disabled_reason says why)."}

	opJobTrigger = operation{ID: "job-trigger", Tag: "Jobs", Status: http.StatusAccepted,
		Summary:     "Run a job now",
		Description: "An extra occurrence outside the schedule, delivered at once."}
)
