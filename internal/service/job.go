package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/expect"
	"github.com/prikke/prikke/internal/redact"
	"github.com/prikke/prikke/internal/store"
)

// JobInput is a job as a client writes it. Nil fields are absent: on
// create they take defaults, on update they stay as they are. Exactly one
// of CronExpression, Interval and ScheduledAt gives the schedule; giving
// one on update replaces the schedule.
type JobInput struct {
	ProjectID            *prikke.ID
	Name                 *string
	URL                  *string
	Method               *string
	Headers              *[]prikke.Header
	ContentType          *string // replaces the Content-Type header; "" falls back to the header given, or the default
	Body                 *string
	TimeoutMS            *int
	RetryAttempts        *int
	Enabled              *bool
	CronExpression       *string
	Interval             *string
	TimeZone             *string
	ScheduledAt          *string // RFC 3339 with an offset
	CatchUp              *string
	CatchUpWindowSeconds *int
	Overlap              *string
	Notify               *string
	ChannelIDs           *[]prikke.ID
	AlertPolicy          *AlertPolicyInput // replaces the job's whole alert policy
	// FlowKey names the job's flow key (flow control); "" goes back to
	// the default, its URL's host:port.
	FlowKey *string
	// WorkflowID makes the job start a run of that workflow (of the same
	// project) at each occurrence instead of calling a URL: give it
	// instead of URL; Body, if given, is the run's payload (JSON). On
	// update, giving URL makes the job call it again.
	WorkflowID *prikke.ID
	// Expect replaces the job's response assertions (nil pointer: keep;
	// pointer to nil: none).
	Expect **prikke.Expect
}

// previewFires is how many fire times decide a cron job's shortest interval
// (from the actual gaps, not the text).
const previewFires = 1000

// apply merges in into j and validates the result against the domain rules
// and the tier. create says whether j is new (defaults apply).
func (s *Service) apply(j *prikke.Job, in *JobInput, tier prikke.Tier, create bool) error {
	var v prikke.Validation
	now := s.now()
	if create {
		j.Kind, j.Method, j.TimeoutMS, j.RetryAttempts, j.Enabled = prikke.JobKindCron, "GET", prikke.DefaultTimeoutMS, prikke.DefaultRetryAttempts, true
		j.TimeZone, j.CatchUp, j.CatchUpWindow, j.Overlap, j.NotifyMode = "UTC", prikke.CatchUpLatest, prikke.DefaultCatchUpWindow, prikke.OverlapAllow, prikke.NotifyProject
		j.Health, j.Headers = prikke.JobHealthy, []prikke.Header{}
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	savedURL := j.URL
	set(&j.Name, in.Name)
	set(&j.URL, in.URL)
	switch {
	case in.WorkflowID != nil && in.URL != nil && *in.URL != "":
		v.Add("workflow_id", "give url or workflow_id, not both: a job either calls a URL or starts a run of a workflow")
	case in.WorkflowID != nil:
		id := *in.WorkflowID
		j.WorkflowID, j.URL = &id, ""
	case in.URL != nil:
		j.WorkflowID = nil
	}
	set(&j.Body, in.Body)
	if in.Method != nil {
		j.Method = *in.Method
	}
	if in.Headers != nil {
		j.Headers = *in.Headers
	}
	if in.ContentType != nil {
		j.Headers = contentType(&v, j.Headers, in.Headers, *in.ContentType)
	}
	if in.TimeoutMS != nil {
		j.TimeoutMS = *in.TimeoutMS
	}
	if in.RetryAttempts != nil {
		j.RetryAttempts = *in.RetryAttempts
	}
	if in.Enabled != nil {
		j.Enabled = *in.Enabled
	}
	if create && in.Name == nil {
		j.Name = defaultName(j)
	}
	if in.CatchUp != nil {
		j.CatchUp = prikke.CatchUp(*in.CatchUp)
	}
	if in.CatchUpWindowSeconds != nil {
		j.CatchUpWindow = time.Duration(*in.CatchUpWindowSeconds) * time.Second
		if *in.CatchUpWindowSeconds < 60 || *in.CatchUpWindowSeconds > 604800 {
			v.Add("catch_up_window_seconds", "must be between 60 and 604800 seconds")
		}
	}
	if in.Overlap != nil {
		j.Overlap = prikke.Overlap(*in.Overlap)
	}
	if in.Notify != nil {
		j.NotifyMode = prikke.NotifyMode(*in.Notify)
	}
	if in.ChannelIDs != nil {
		j.ChannelIDs = *in.ChannelIDs
	}
	if in.TimeZone != nil {
		j.TimeZone = *in.TimeZone
	}
	if in.AlertPolicy != nil {
		applyAlertPolicy(&v, j, in.AlertPolicy, now)
	}
	if in.FlowKey != nil {
		j.FlowKey = *in.FlowKey
		if msg := prikke.ValidFlowKey(j.FlowKey); j.FlowKey != "" && msg != "" {
			v.Add("flow_key", "%s; leave it empty for the URL's host:port", msg)
		}
	}

	// The schedule.
	given := 0
	for _, p := range []*string{in.CronExpression, in.Interval, in.ScheduledAt} {
		if p != nil {
			given++
		}
	}
	switch {
	case given > 1:
		v.Add("cron_expression", "give only one of cron_expression, interval and scheduled_at")
	case given == 0 && create:
		v.Add("cron_expression", "is required: give cron_expression (e.g. \"0 9 * * 1-5\"), interval (e.g. every_5_minutes, hourly, daily) or scheduled_at for a one-time job")
	case in.CronExpression != nil:
		// An empty expression is left to the parser, whose message says
		// what to write.
		j.Kind, j.CronExpression, j.Interval, j.RunAt = prikke.JobKindCron, strings.TrimSpace(*in.CronExpression), "", nil
	case in.Interval != nil:
		expr, ok := prikke.Interval(*in.Interval).Cron()
		if !ok {
			v.Add("interval", "must be one of %s", intervalList())
		}
		j.Kind, j.CronExpression, j.Interval, j.RunAt = prikke.JobKindCron, expr, prikke.Interval(*in.Interval), nil
	case in.ScheduledAt != nil:
		j.Kind, j.CronExpression, j.Interval = prikke.JobKindOnce, "", ""
		if at, ok := parseInstant(&v, "scheduled_at", *in.ScheduledAt); ok {
			prikke.ValidateRunAt(&v, "scheduled_at", at, now)
			j.RunAt = &at
		}
	}
	if j.Kind == prikke.JobKindOnce && j.RunAt == nil && !v.Has("scheduled_at") {
		v.Add("scheduled_at", "is required for a one-time job")
	}
	if j.WorkflowID != nil {
		switch {
		case len(j.Body) > prikke.MaxRunPayloadBytes:
			v.Add("body", "is too large for a run's payload: max 64 KiB (65536 bytes)")
		case j.Body != "" && !json.Valid([]byte(j.Body)):
			v.Add("body", "must be JSON (or empty) when the job starts a workflow: it is the run's payload")
		}
	}
	if in.Expect != nil {
		j.Expect = normalExpect(*in.Expect)
		expect.Validate(&v, "expect", j.Expect)
	}
	if j.WorkflowID != nil && j.Expect != nil && !v.Has("workflow_id") {
		v.Add("expect", "a job that starts a workflow sends no request of its own; give expect on the workflow's steps")
	}
	// A templated URL is a URL only once rendered: checkTemplates checks
	// its rendering for a sample run instead.
	tplURL := j.WorkflowID == nil && hasTemplate(j.URL)
	if err := j.Validate(); err != nil {
		if prikke.ErrorCode(err) == prikke.ETOOLARGE {
			return err
		}
		for _, f := range prikke.ErrorFields(err) {
			if f.Field == "name" && !create && in.Name == nil {
				continue // a name saved under older rules stays until it is edited (pausing must not fail on it)
			}
			if f.Field == "url" && (j.WorkflowID != nil || tplURL) {
				continue // a workflow's job calls no URL; a template is checked rendered
			}
			if !v.Has(f.Field) && !(f.Field == "run_at" && v.Has("scheduled_at")) {
				if f.Field == "run_at" {
					f.Field = "scheduled_at"
				}
				v.Add(f.Field, "%s", f.Message)
			}
		}
	}
	// Only a new destination is checked: a job saved for this machine
	// (under a development allow list, or before such addresses were
	// refused on save) can still be paused, resumed and edited in other
	// fields; the delivery guard refuses its requests either way.
	if !v.Has("url") && j.WorkflowID == nil && !tplURL && (create || j.URL != savedURL) {
		s.checkDestination(&v, "url", j.URL)
	}
	s.checkTemplates(&v, j, in, create)
	if j.Kind == prikke.JobKindCron && !v.Has("cron_expression") && !v.Has("interval") {
		field := "cron_expression"
		if j.Interval != "" {
			field = "interval"
		}
		sched, err := cron.Parse(j.CronExpression)
		loc, lerr := cron.LoadLocation(j.TimeZone)
		switch {
		case err != nil:
			v.Add(field, "%s", cronMessage(err))
		case lerr != nil:
			v.Add("timezone", "%s", lerr.Error())
		default:
			gap := sched.MinInterval(now, loc, previewFires)
			// The tier limits what runs: a paused job keeps its schedule
			// (one a downgrade paused can be renamed or paused by its
			// user); resuming it is checked.
			if min := tier.Limits().MinInterval; gap < min && j.Enabled {
				v.Add(field, "fires every %s, but the %s tier's shortest interval is %s; choose a less frequent schedule, or upgrade to Pro, which runs jobs as often as every %s",
					humanGap(gap), tier, humanGap(min), strings.TrimPrefix(humanGap(prikke.TierPro.Limits().MinInterval), "1 "))
			}
			j.IntervalMinutes = max(1, int(gap/time.Minute))
			j.NextRunAt = nil
			if j.Enabled {
				j.NextRunAt = nextRun(j, now)
			}
		}
	} else if j.Kind == prikke.JobKindCron && in.TimeZone != nil {
		if _, err := cron.LoadLocation(j.TimeZone); err != nil {
			v.Add("timezone", "%s", err.Error())
		}
	}
	if j.Kind == prikke.JobKindOnce {
		if in.TimeZone != nil && j.TimeZone != "UTC" {
			if _, err := cron.LoadLocation(j.TimeZone); err != nil {
				v.Add("timezone", "%s", err.Error())
			}
		}
		j.IntervalMinutes = 0
		j.NextRunAt = nil
		if j.Enabled {
			j.NextRunAt = nextRun(j, now)
		}
	}
	return v.Err()
}

// contentType applies a content_type field to the headers hs: it replaces
// their Content-Type, unless it is empty and the headers given with it
// (given, nil when none were) have one. A content_type that differs from
// the Content-Type header given with it is refused.
func contentType(v *prikke.Validation, hs []prikke.Header, given *[]prikke.Header, ct string) []prikke.Header {
	ct = strings.TrimSpace(ct)
	header := ""
	if given != nil {
		for _, h := range *given {
			if strings.EqualFold(h.Name, "Content-Type") {
				header = h.Value
			}
		}
	}
	switch {
	case ct == "" && header != "":
		return hs
	case ct != "" && header != "" && !strings.EqualFold(ct, header):
		v.Add("content_type", "is %q but the Content-Type header is %q; give the content type once", ct, header)
		return hs
	}
	prikke.ValidateContentType(v, "content_type", ct)
	return prikke.SetContentType(hs, ct)
}

// intervalList names every interval, for messages.
func intervalList() string {
	names := make([]string, len(prikke.Intervals))
	for i, iv := range prikke.Intervals {
		names[i] = string(iv)
	}
	return strings.Join(names, ", ")
}

// defaultName names a job created without a name after its request, as
// queued requests are named: "POST example.com".
func defaultName(j *prikke.Job) string {
	if h, err := urlHost(j.URL); err == nil && h != "" {
		return j.Method + " " + h
	}
	return j.Method
}

// cronMessage turns a parse error into the field message.
func cronMessage(err error) string {
	if pe, ok := err.(*cron.ParseError); ok {
		return pe.Message
	}
	return err.Error()
}

func humanGap(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0 && d >= time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// parseInstant parses an RFC 3339 instant that must carry an offset.
func parseInstant(v *prikke.Validation, field, s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t.UTC(), true
	}
	if _, err2 := time.Parse("2006-01-02T15:04:05", s); err2 == nil {
		v.Add(field, "needs a time zone offset: write it like 2026-05-01T10:00:00Z or 2026-05-01T12:00:00+02:00")
		return time.Time{}, false
	}
	v.Add(field, "is not a valid date and time: write an RFC 3339 instant like 2026-05-01T10:00:00Z")
	return time.Time{}, false
}

// checkDestination refuses URLs whose host the delivery guard would refuse
// anyway, so the user hears it now rather than at the first delivery: an
// address in a refused range (written in any numeric form), or a name that can only mean this machine
// (localhost and *.localhost, with or without the trailing dot). Other
// names are checked when they are resolved, at delivery.
func (s *Service) checkDestination(v *prikke.Validation, field, raw string) {
	if s.client == nil {
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	if err := s.client.CheckHost(u.Hostname(), port); err != nil {
		v.Add(field, "%s", s.refusalMessage(err))
	}
}

// CreateJob creates a job in the input's project (or the actor's default
// project), within the tier's limits.
func (s *Service) CreateJob(ctx context.Context, a *Actor, in *JobInput) (*prikke.Job, error) {
	p, err := s.targetProject(ctx, a, in.ProjectID, "create jobs")
	if err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: p.ID, OrganizationID: o.ID, CreatedAt: now, UpdatedAt: now}
	if err := s.apply(j, in, o.Tier, true); err != nil {
		return nil, err
	}
	if err := s.checkChannels(ctx, j); err != nil {
		return nil, err
	}
	if err := s.checkJobWorkflow(ctx, j, in.Name == nil); err != nil {
		return nil, err
	}
	// The count and the insert are one statement's: concurrent creates
	// cannot pass the tier's limit together.
	if err := s.store.JobCreateWithin(ctx, j, o.Tier.Limits().MaxJobs); err != nil {
		return nil, limitError(err, o.Tier)
	}
	s.record(ctx, a, &o.ID, prikke.AuditJobCreate, "job", j.ID.String(), j.Name)
	return j, nil
}

// targetProject resolves the project a new job, monitor or workflow goes
// into; what names the action for a refusal ("create jobs").
func (s *Service) targetProject(ctx context.Context, a *Actor, id *prikke.ID, what string) (*prikke.Project, error) {
	if id == nil {
		p, err := s.DefaultProject(ctx, a)
		if err != nil {
			return nil, err
		}
		id = &p.ID
	}
	p, err := s.project(ctx, a, *id, prikke.PermManageJobs, what)
	if isCode(err, prikke.ENOTFOUND) {
		return nil, prikke.InvalidField("project_id", "is not a project you can use")
	}
	return p, err
}

// checkJobWorkflow checks that the workflow a job targets is one of the
// job's project; name names the job after it ("Run <workflow>").
func (s *Service) checkJobWorkflow(ctx context.Context, j *prikke.Job, name bool) error {
	if j.WorkflowID == nil {
		return nil
	}
	w, err := s.store.WorkflowGet(ctx, *j.WorkflowID)
	switch {
	case isCode(err, prikke.ENOTFOUND) || (err == nil && w.ProjectID != j.ProjectID):
		return prikke.InvalidField("workflow_id", "is not a workflow of this job's project")
	case err != nil:
		return err
	}
	if name {
		j.Name = "Run " + w.Name
		if utf8.RuneCountInString(j.Name) > 200 {
			j.Name = string([]rune(j.Name)[:200])
		}
	}
	return nil
}

// checkChannels checks that a custom channel list names channels of the
// job's project.
func (s *Service) checkChannels(ctx context.Context, j *prikke.Job) error {
	if j.NotifyMode != prikke.NotifyCustom {
		j.ChannelIDs = nil
		return nil
	}
	for i, id := range j.ChannelIDs {
		c, err := s.store.ChannelGet(ctx, id)
		if err != nil || c.ProjectID != j.ProjectID {
			return prikke.InvalidField(fmt.Sprintf("channel_ids[%d]", i), "is not a channel of this job's project")
		}
	}
	return nil
}

// Job returns one job.
func (s *Service) Job(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Job, error) {
	return s.job(ctx, a, id, prikke.PermRead, "see this job")
}

// JobFilter selects jobs for a listing.
type JobFilter struct {
	OrganizationID *prikke.ID // default: the actor's organization
	ProjectID      *prikke.ID
	Enabled        *bool
	Search         string
	Queue          bool // list queued requests instead of jobs
	AfterCreatedAt time.Time
	AfterID        prikke.ID
	Limit          int
}

// Jobs lists jobs the actor may see.
func (s *Service) Jobs(ctx context.Context, a *Actor, f JobFilter) ([]*prikke.Job, error) {
	if err := ValidateSearch("search", f.Search); err != nil {
		return nil, err
	}
	sf := store.JobFilter{Enabled: f.Enabled, Search: f.Search, AfterCreatedAt: f.AfterCreatedAt, AfterID: f.AfterID, Limit: f.Limit}
	if f.Queue {
		sf.Kinds = []prikke.JobKind{prikke.JobKindQueue}
	}
	switch {
	case f.ProjectID != nil:
		p, err := s.project(ctx, a, *f.ProjectID, prikke.PermRead, "see jobs")
		if err != nil {
			return nil, err
		}
		sf.ProjectID = &p.ID
	case a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil:
		sf.ProjectID = a.APIKey.ProjectID
	default:
		org := f.OrganizationID
		if org == nil {
			o, err := s.DefaultOrganization(ctx, a)
			if err != nil {
				return nil, err
			}
			org = &o.ID
		}
		if _, err := s.can(ctx, a, *org, prikke.PermRead, "see jobs"); err != nil {
			return nil, err
		}
		sf.OrganizationID = org
	}
	return s.store.JobList(ctx, sf)
}

// ValidateSearch checks a search text: UTF-8 without control characters
// (PostgreSQL refuses NUL), at most 200 characters.
func ValidateSearch(field, q string) error {
	switch {
	case !utf8.ValidString(q) || strings.ContainsFunc(q, unicode.IsControl):
		return prikke.InvalidField(field, "contains an invalid character; search with plain text")
	case utf8.RuneCountInString(q) > 200:
		return prikke.InvalidField(field, "is too long: max 200 characters")
	}
	return nil
}

// UpdateJob changes a job. Its pending occurrences are dropped and
// rewritten from the new definition.
func (s *Service) UpdateJob(ctx context.Context, a *Actor, id prikke.ID, in *JobInput) (*prikke.Job, error) {
	j, err := s.job(ctx, a, id, prikke.PermManageJobs, "change jobs")
	if err != nil {
		return nil, err
	}
	if in.ProjectID != nil && *in.ProjectID != j.ProjectID {
		return nil, prikke.InvalidField("project_id", "cannot be changed; create the job in the other project instead")
	}
	if err := stepJob(j); err != nil {
		return nil, err
	}
	if j.Kind == prikke.JobKindQueue {
		return nil, prikke.Errorf(prikke.EINVALID, "Queued requests cannot be edited; enqueue a new one.")
	}
	o, changed, err := s.syncedOrganization(ctx, j.OrganizationID)
	if err != nil {
		return nil, err
	}
	if changed {
		// The plan change may have paused or resumed this job.
		if j, err = s.store.JobGet(ctx, id); err != nil {
			return nil, err
		}
	}
	resume := in.Enabled != nil && *in.Enabled && !j.Enabled
	pausedFor := j.PauseReason // to undo a resume past the limit
	if err := s.apply(j, in, o.Tier, false); err != nil {
		return nil, err
	}
	if resume {
		if err := s.activeLimit(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := s.checkChannels(ctx, j); err != nil {
		return nil, err
	}
	if err := s.checkJobWorkflow(ctx, j, false); err != nil {
		return nil, err
	}
	if in.Enabled != nil && *in.Enabled {
		j.DisabledReason = ""
	}
	planPaused := j.PauseReason == prikke.PauseForPlan
	if in.Enabled != nil {
		j.PauseReason = "" // the user's pause or resume is the user's, not the plan's
	}
	j.UpdatedAt = s.now()
	if err := s.store.JobUpdate(ctx, j); err != nil {
		return nil, err
	}
	// JobUpdate never ends a plan pause, nor lets a copy read before one
	// undo it: the user's own resume of a job paused for the plan, and
	// the user's pause (which a plan change racing this may have made a
	// plan pause an upgrade would end), are JobSetEnabled's.
	if in.Enabled != nil && (planPaused || !*in.Enabled) {
		if err := s.store.JobSetEnabled(ctx, j.ID, j.Enabled, j.NextRunAt); err != nil {
			return nil, err
		}
	}
	if resume {
		if err := s.resumedWithin(ctx, o); err != nil {
			// Undone: paused again, for the reason it had.
			if uerr := s.store.JobPauseFor(ctx, j.ID, pausedFor); uerr != nil {
				return nil, uerr
			}
			return nil, err
		}
	}
	s.record(ctx, a, &j.OrganizationID, prikke.AuditJobUpdate, "job", j.ID.String(), j.Name)
	return s.store.JobGet(ctx, j.ID)
}

// resumedWithin checks, after a resume was written, that the
// organization runs no more jobs and monitors than its tier allows. The
// check before the write (activeLimit) races with concurrent resumes: of
// two that pass it together, the one that counts both here is undone, so
// at most the limit keeps running.
func (s *Service) resumedWithin(ctx context.Context, o *prikke.Organization) error {
	max := o.Tier.Limits().MaxJobs
	if max == 0 {
		return nil
	}
	t := true
	jobs, err := s.store.JobList(ctx, store.JobFilter{OrganizationID: &o.ID, Enabled: &t, Limit: max + 1})
	if err != nil {
		return err
	}
	monitors, err := s.store.MonitorList(ctx, store.MonitorFilter{OrganizationID: &o.ID, Limit: max + 1,
		Statuses: []prikke.MonitorStatus{prikke.MonitorNew, prikke.MonitorUp, prikke.MonitorLate, prikke.MonitorRunning, prikke.MonitorDown}})
	if err != nil {
		return err
	}
	if len(jobs)+len(monitors) > max {
		return prikke.Errorf(prikke.ELIMIT, "The %s tier runs %d jobs and monitors together and this organization runs %d already; pause or delete one first, or upgrade to Pro to resume everything paused for the plan.",
			o.Tier, max, max)
	}
	return nil
}

// stepJob refuses to change by hand the hidden job that carries a
// workflow step's attempts: an extra attempt, or none, would break the
// run's bookkeeping. The run is cancelled or retried instead.
func stepJob(j *prikke.Job) error {
	if j.Step == nil {
		return nil
	}
	return prikke.Errorf(prikke.ECONFLICT, "This job carries step %q of workflow run %s; cancel or retry the run instead (POST /api/v1/runs/%s/cancel or /retry).", j.Step.Key, j.Step.RunID, j.Step.RunID)
}

// PauseJob stops a job; its pending occurrences are dropped.
func (s *Service) PauseJob(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Job, error) {
	f := false
	return s.UpdateJob(ctx, a, id, &JobInput{Enabled: &f})
}

// ResumeJob starts a paused (or automatically disabled) job again.
func (s *Service) ResumeJob(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Job, error) {
	t := true
	return s.UpdateJob(ctx, a, id, &JobInput{Enabled: &t})
}

// DeleteJob deletes a job and its history.
func (s *Service) DeleteJob(ctx context.Context, a *Actor, id prikke.ID) error {
	j, err := s.job(ctx, a, id, prikke.PermManageJobs, "delete jobs")
	if err != nil {
		return err
	}
	if err := stepJob(j); err != nil {
		return err
	}
	if err := s.store.JobDelete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, a, &j.OrganizationID, prikke.AuditJobDelete, "job", j.ID.String(), j.Name)
	return nil
}

// TriggerJob runs a job now, as an extra occurrence outside its schedule.
func (s *Service) TriggerJob(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Execution, error) {
	j, err := s.job(ctx, a, id, prikke.PermManageJobs, "run jobs")
	if err != nil {
		return nil, err
	}
	if err := stepJob(j); err != nil {
		return nil, err
	}
	o, err := s.organization(ctx, j.OrganizationID)
	if err != nil {
		return nil, err
	}
	now := s.now().Truncate(time.Millisecond)
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: now, DueAt: now, Attempt: 1, Status: prikke.ExecutionStatusPending, Manual: true,
		Priority: prikke.Priority(o.Tier, prikke.JobKindOnce, 0), FlowKey: j.Flow(), CreatedAt: now}
	if err := s.store.ExecutionInsert(ctx, e); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return nil, prikke.Errorf(prikke.ECONFLICT, "This job was just triggered; try again in a moment.")
		}
		return nil, err
	}
	announceExecutions(ctx, s.store, e)
	return e, nil
}

// ExecutionFilter selects executions for a listing: a job's or a
// project's (default: the actor's default project).
type ExecutionFilter struct {
	JobID           *prikke.ID
	ProjectID       *prikke.ID
	Statuses        []prikke.ExecutionStatus
	Since, Until    time.Time
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int
	// Search (issue 18), as store.ExecutionFilter's.
	StatusCodes   []int
	StatusClass   int
	MinDurationMS int
	MaxDurationMS int
	BodyContains  string
	// ReplayOf selects the replays of one execution.
	ReplayOf *prikke.ID
}

// Executions lists executions, newest first.
func (s *Service) Executions(ctx context.Context, a *Actor, f ExecutionFilter) ([]*prikke.Execution, error) {
	sf, err := s.executionFilter(ctx, a, f)
	if err != nil {
		return nil, err
	}
	return s.store.ExecutionList(ctx, sf)
}

// executionFilter checks f and the actor's right to read what it selects,
// and returns the store's filter.
func (s *Service) executionFilter(ctx context.Context, a *Actor, f ExecutionFilter) (store.ExecutionFilter, error) {
	sf := store.ExecutionFilter{Statuses: f.Statuses, Since: f.Since, Until: f.Until,
		BeforeCreatedAt: f.BeforeCreatedAt, BeforeID: f.BeforeID, Limit: f.Limit,
		StatusCodes: f.StatusCodes, StatusClass: f.StatusClass, MinDurationMS: f.MinDurationMS,
		MaxDurationMS: f.MaxDurationMS, BodyContains: f.BodyContains, ReplayOf: f.ReplayOf}
	if err := validateSearchFilter(f); err != nil {
		return sf, err
	}
	switch {
	case f.JobID != nil:
		j, err := s.job(ctx, a, *f.JobID, prikke.PermRead, "see executions")
		if err != nil {
			return sf, err
		}
		sf.JobID = &j.ID
	default:
		var p *prikke.Project
		var err error
		if f.ProjectID != nil {
			p, err = s.project(ctx, a, *f.ProjectID, prikke.PermRead, "see executions")
		} else {
			p, err = s.DefaultProject(ctx, a)
			if err == nil {
				p, err = s.project(ctx, a, p.ID, prikke.PermRead, "see executions")
			}
		}
		if err != nil {
			return sf, err
		}
		sf.ProjectID = &p.ID
	}
	return sf, nil
}

// validateSearchFilter checks an execution search; fields are named as
// the API's query parameters (query.status_code, ...).
func validateSearchFilter(f ExecutionFilter) error {
	var v prikke.Validation
	for _, c := range f.StatusCodes {
		if c < 100 || c > 599 {
			v.Add("query.status_code", "%d is not an HTTP status code (100-599)", c)
		}
	}
	if f.StatusClass != 0 && (f.StatusClass < 1 || f.StatusClass > 5) {
		v.Add("query.status_class", "must be 1xx, 2xx, 3xx, 4xx or 5xx")
	}
	if f.MinDurationMS < 0 {
		v.Add("query.min_duration_ms", "must be 0 or more")
	}
	if f.MaxDurationMS < 0 {
		v.Add("query.max_duration_ms", "must be 0 or more")
	}
	if f.MinDurationMS > 0 && f.MaxDurationMS > 0 && f.MinDurationMS > f.MaxDurationMS {
		v.Add("query.max_duration_ms", "must not be less than min_duration_ms")
	}
	if err := ValidateSearch("query.q", f.BodyContains); err != nil {
		for _, fe := range prikke.ErrorFields(err) {
			v.Add(fe.Field, "%s", fe.Message)
		}
	}
	return v.Err()
}

// ExecutionStats counts a project's or job's executions by status.
func (s *Service) ExecutionStats(ctx context.Context, a *Actor, f ExecutionFilter) (map[prikke.ExecutionStatus]int, error) {
	sf := store.ExecutionFilter{Since: f.Since, Until: f.Until}
	switch {
	case f.JobID != nil:
		j, err := s.job(ctx, a, *f.JobID, prikke.PermRead, "see executions")
		if err != nil {
			return nil, err
		}
		sf.JobID = &j.ID
	case f.ProjectID != nil:
		p, err := s.project(ctx, a, *f.ProjectID, prikke.PermRead, "see executions")
		if err != nil {
			return nil, err
		}
		sf.ProjectID = &p.ID
	default:
		return nil, prikke.Errorf(prikke.EINVALID, "Name a job or a project.")
	}
	return s.store.ExecutionStats(ctx, sf)
}

// Execution returns one execution with its stored response.
func (s *Service) Execution(ctx context.Context, a *Actor, id prikke.ID) (*prikke.Execution, error) {
	e, err := s.store.ExecutionGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if a != nil && a.APIKey != nil && a.APIKey.ProjectID != nil && *a.APIKey.ProjectID != e.ProjectID {
		return nil, notFound()
	}
	if _, err := s.can(ctx, a, e.OrganizationID, prikke.PermRead, "see executions"); err != nil {
		return nil, err
	}
	return s.shownReplay(ctx, e)
}

// shownReplay is a replay's execution as it may be shown. A replay's
// request is stored as it will be sent, edits included (a header value or
// body the user typed in may be a secret), until its attempt completes and
// the worker records it redacted; its retries carry it on. So a replay's
// request is redacted with the project's rules on every read, as its
// record will be. Other executions are returned as stored.
func (s *Service) shownReplay(ctx context.Context, e *prikke.Execution) (*prikke.Execution, error) {
	if e.ReplayOf == nil || e.RequestMethod == "" {
		return e, nil
	}
	p, err := s.store.ProjectGet(ctx, e.ProjectID)
	if err != nil {
		return nil, err
	}
	x := redact.New(p.Redact)
	c := *e
	c.RequestHeaders = x.Headers(e.RequestHeaders)
	var cut bool
	if c.RequestBody, cut = x.Body(e.RequestBody); cut {
		c.RequestTruncated = true
	}
	return &c, nil
}

// Preview is a schedule explained: words, the next fire times, and the
// shortest gap between them.
type Preview struct {
	Description string
	Fires       []cron.Fire
	MinInterval time.Duration
	Location    *time.Location
}

// SchedulePreview explains an expression in a zone and lists its next n
// fire times (at most 100). It needs no actor.
func (s *Service) SchedulePreview(expr, zone string, n int) (*Preview, error) {
	var v prikke.Validation
	if zone == "" {
		zone = "UTC"
	}
	if utf8.RuneCountInString(expr) > 1000 {
		expr = expr[:1000]
	}
	sched, err := cron.Parse(expr)
	if err != nil {
		v.Add("cron_expression", "%s", cronMessage(err))
	}
	loc, lerr := cron.LoadLocation(zone)
	if lerr != nil {
		v.Add("timezone", "%s", lerr.Error())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	n = min(max(n, 1), 100)
	now := s.now()
	return &Preview{Description: sched.Describe(), Fires: sched.NextN(now, loc, n),
		MinInterval: sched.MinInterval(now, loc, previewFires), Location: loc}, nil
}

// ProjectJob returns a job of the given project that the actor may see:
// a job of another project (or tenant) is ENOTFOUND. The notification log
// uses it to name the jobs its sends were about.
func (s *Service) ProjectJob(ctx context.Context, a *Actor, projectID, jobID prikke.ID) (*prikke.Job, error) {
	j, err := s.job(ctx, a, jobID, prikke.PermRead, "see this job")
	if err != nil {
		return nil, err
	}
	if j.ProjectID != projectID {
		return nil, notFound()
	}
	return j, nil
}

// SubscribeExecutions returns a job the actor may see and a subscription
// to store.TopicExecutions, whose events name the executions that changed
// (of every job: filter by the job's id). Load each through Execution,
// which checks it again. The caller closes the subscription.
func (s *Service) SubscribeExecutions(ctx context.Context, a *Actor, jobID prikke.ID) (*prikke.Job, *store.Subscription, error) {
	j, err := s.Job(ctx, a, jobID)
	if err != nil {
		return nil, nil, err
	}
	return j, s.store.Subscribe(store.TopicExecutions), nil
}
