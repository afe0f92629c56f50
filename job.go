package prikke

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// JobKind says how a job's occurrences come about.
type JobKind string

// Job kinds. An interval job is a cron job whose expression came from a
// simple choice (every 5 minutes, hourly, daily …); it is stored as cron.
const (
	JobKindCron  JobKind = "cron"
	JobKindOnce  JobKind = "once"
	JobKindQueue JobKind = "queue" // a request enqueued through /api/v1/queue
)

// Interval is a simple schedule choice, stored as a cron expression.
//
// Every N minutes (N divides 60) runs on real time, also across
// daylight-saving changes. Every N hours (N divides 24) fires on the hours
// 00:00, N:00, 2N:00 … of the job's time zone, so on the days its clocks
// change, one gap is an hour shorter (spring) or longer (autumn); in UTC
// every gap is exactly N hours. See package cron for the rules.
type Interval string

// Intervals and their cron expressions.
const (
	IntervalEveryMinute    Interval = "every_minute"
	IntervalEvery2Minutes  Interval = "every_2_minutes"
	IntervalEvery5Minutes  Interval = "every_5_minutes"
	IntervalEvery10Minutes Interval = "every_10_minutes"
	IntervalEvery15Minutes Interval = "every_15_minutes"
	IntervalEvery30Minutes Interval = "every_30_minutes"
	IntervalHourly         Interval = "hourly"
	IntervalEvery2Hours    Interval = "every_2_hours"
	IntervalEvery3Hours    Interval = "every_3_hours"
	IntervalEvery4Hours    Interval = "every_4_hours"
	IntervalEvery6Hours    Interval = "every_6_hours"
	IntervalEvery8Hours    Interval = "every_8_hours"
	IntervalEvery12Hours   Interval = "every_12_hours"
	IntervalDaily          Interval = "daily"
	IntervalWeekly         Interval = "weekly"
)

// Intervals lists every interval, most frequent first.
var Intervals = []Interval{
	IntervalEveryMinute, IntervalEvery2Minutes, IntervalEvery5Minutes, IntervalEvery10Minutes,
	IntervalEvery15Minutes, IntervalEvery30Minutes, IntervalHourly, IntervalEvery2Hours, IntervalEvery3Hours,
	IntervalEvery4Hours, IntervalEvery6Hours, IntervalEvery8Hours, IntervalEvery12Hours, IntervalDaily, IntervalWeekly,
}

var intervalCron = map[Interval]string{
	IntervalEveryMinute: "* * * * *", IntervalEvery2Minutes: "*/2 * * * *", IntervalEvery5Minutes: "*/5 * * * *",
	IntervalEvery10Minutes: "*/10 * * * *", IntervalEvery15Minutes: "*/15 * * * *", IntervalEvery30Minutes: "*/30 * * * *",
	IntervalHourly: "0 * * * *", IntervalEvery2Hours: "0 */2 * * *", IntervalEvery3Hours: "0 */3 * * *",
	IntervalEvery4Hours: "0 */4 * * *", IntervalEvery6Hours: "0 */6 * * *", IntervalEvery8Hours: "0 */8 * * *",
	IntervalEvery12Hours: "0 */12 * * *", IntervalDaily: "0 0 * * *", IntervalWeekly: "0 0 * * 1",
}

// Cron returns the expression an interval is stored as, and false for an
// unknown interval.
func (i Interval) Cron() (string, bool) {
	expr, ok := intervalCron[i]
	return expr, ok
}

// CatchUp is what a cron job does about occurrences missed while Prikke was
// down.
type CatchUp string

// Catch-up policies.
const (
	CatchUpLatest CatchUp = "latest" // run the most recent missed occurrence once, if inside the window
	CatchUpSkip   CatchUp = "skip"   // run nothing; record the missed occurrences
)

// Overlap is what a job does when its previous run is still in flight.
type Overlap string

// Overlap policies.
const (
	OverlapAllow Overlap = "allow"
	OverlapSkip  Overlap = "skip" // record the new occurrence as skipped
)

// NotifyMode says which channels hear about a job's state flips.
type NotifyMode string

// Notification modes for a job.
const (
	NotifyProject NotifyMode = "project" // the project's channels (default)
	NotifyMuted   NotifyMode = "muted"   // nobody
	NotifyCustom  NotifyMode = "custom"  // the job's own channel list
)

// Job is a request Prikke makes on a schedule.
type Job struct {
	ID             ID
	ProjectID      ID
	OrganizationID ID
	Kind           JobKind
	Name           string

	URL           string
	Method        string
	Headers       []Header
	Body          string
	TimeoutMS     int
	RetryAttempts int
	Enabled       bool

	CronExpression string     // cron jobs
	Interval       Interval   // set when the expression came from a simple interval
	TimeZone       string     // IANA zone of the cron expression
	RunAt          *time.Time // once and queue jobs

	CatchUp         CatchUp
	CatchUpWindow   time.Duration
	Overlap         Overlap
	IntervalMinutes int // shortest gap between fire times; a priority input

	// Expect holds the job's response assertions (nil: any 2xx succeeds).
	Expect *Expect
	// URL, Headers and Body may hold templates (internal/template's
	// syntax, shared with workflows), such as {{ scheduled_for }},
	// {{ execution_id }}, {{ attempt }} or {{ job.name }}: rendered for
	// each attempt, validated when the job is saved; the names and the
	// date filters are documented on /docs/templates.

	NotifyMode NotifyMode
	ChannelIDs []ID // NotifyCustom only
	// AlertPolicy: FailThreshold 0 means the project's AlertAfter;
	// Window.SkipRuns skips the runs inside the window.
	AlertPolicy AlertPolicy

	// Engine state, written by the scheduler and workers.
	NextRunAt            *time.Time
	Health               JobHealth
	ConsecutiveFailures  int
	ConsecutiveSuccesses int
	LastRunAt            *time.Time
	LastStatus           ExecutionStatus
	DisabledReason       string // why the engine disabled it (e.g. 410 Gone)
	// PauseReason is PauseForPlan when a downgrade paused the job (an
	// upgrade resumes it); empty for a user's own pause.
	PauseReason string

	IdempotencyKey string // queue jobs
	// FlowKey is the flow key the job names; "" means its destination's
	// host:port (see Flow and FlowKey in flow.go).
	FlowKey string
	// WorkflowID, when set, makes the job start a run of that workflow at
	// each occurrence instead of making a request: its Body (JSON, or
	// empty) is the run's payload; URL, Method and Headers are unused.
	WorkflowID *ID
	// Step is set on the hidden queue job that carries one step instance
	// of a workflow run (made by the engine, never by users).
	Step      *JobStep
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Job field limits.
const (
	DefaultTimeoutMS     = 30_000
	MinTimeoutMS         = 1_000
	MaxTimeoutMS         = 30_000
	DefaultRetryAttempts = 5
	MaxRetryAttempts     = 10
	MaxURLLength         = 2048
	MaxBodyBytes         = 256 << 10
	DefaultCatchUpWindow = time.Hour
	MinCatchUpWindow     = time.Minute
	MaxCatchUpWindow     = 7 * 24 * time.Hour
	MaxRunAhead          = 366 * 24 * time.Hour
)

// Methods a job may use.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}

// Retries reports whether failed occurrences of the job are retried. Cron
// jobs do not retry: the next run is the retry.
func (j *Job) Retries() bool { return j.Kind == JobKindOnce || j.Kind == JobKindQueue }

// Validate checks the job's static fields: everything but the cron
// expression and time zone, which the schedule package checks, and tier
// limits, which need the organization.
func (j *Job) Validate() error {
	var v Validation
	ValidateName(&v, "name", j.Name, j.Kind != JobKindQueue)
	ValidateURL(&v, "url", j.URL)
	if !isMethod(j.Method) {
		v.Add("method", "must be one of GET, POST, PUT, PATCH, DELETE, HEAD")
	}
	ValidateHeaders(&v, "headers", j.Headers)
	if !utf8.ValidString(j.Body) {
		v.Add("body", "must be valid UTF-8 text")
	} else if strings.ContainsRune(j.Body, 0) {
		v.Add("body", "contains an invalid character (NUL)")
	}
	if j.TimeoutMS < MinTimeoutMS || j.TimeoutMS > MaxTimeoutMS {
		v.Add("timeout_ms", "must be an integer between 1000 and 30000")
	}
	if j.RetryAttempts < 0 || j.RetryAttempts > MaxRetryAttempts {
		v.Add("retry_attempts", "must be an integer between 0 and 10")
	}
	switch j.Kind {
	case JobKindCron:
		if j.CatchUp != CatchUpLatest && j.CatchUp != CatchUpSkip {
			v.Add("catch_up", `must be "latest" or "skip"`)
		}
		if j.CatchUpWindow < MinCatchUpWindow || j.CatchUpWindow > MaxCatchUpWindow {
			v.Add("catch_up_window_seconds", "must be between 60 and 604800 seconds")
		}
	case JobKindOnce, JobKindQueue:
		if j.RunAt == nil {
			v.Add("run_at", "is required for a one-time job")
		}
	default:
		v.Add("schedule", `kind must be "cron", "interval" or "once"`)
	}
	if j.Overlap != OverlapAllow && j.Overlap != OverlapSkip {
		v.Add("overlap", `must be "allow" or "skip"`)
	}
	switch j.NotifyMode {
	case NotifyProject, NotifyMuted:
	case NotifyCustom:
		if len(j.ChannelIDs) > 50 {
			v.Add("channel_ids", "max 50 channels")
		}
	default:
		v.Add("notify", `must be "project", "muted" or "custom"`)
	}
	if len(j.Body) > MaxBodyBytes {
		const msg = "is too large: max 256 KiB (262144 bytes); send less data, or a link to it"
		return &Error{Code: ETOOLARGE, Message: "body: " + msg, Fields: []FieldError{{Field: "body", Message: msg}}}
	}
	return v.Err()
}

func isMethod(m string) bool {
	for _, x := range Methods {
		if m == x {
			return true
		}
	}
	return false
}

// ValidateRunAt checks a one-time instant against now.
func ValidateRunAt(v *Validation, field string, at, now time.Time) {
	switch {
	case at.Before(now.Add(-time.Second)):
		v.Add(field, "is in the past; give a future instant")
	case at.After(now.Add(MaxRunAhead)):
		v.Add(field, "is too far ahead: max 1 year")
	}
}

// ValidateURL checks a delivery URL: http or https, no credentials, an ASCII
// host that is a name or a canonical IP literal, an allowed port, and no
// more than MaxURLLength characters. Whether an IP is a permitted
// destination is decided again at dial time by the delivery guard.
func ValidateURL(v *Validation, field, raw string) {
	if raw == "" {
		v.Add(field, "is required: give the http or https URL to call, like https://example.com/hook")
		return
	}
	if len(raw) > MaxURLLength {
		v.Add(field, "is too long: max 2048 characters")
		return
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		v.Add(field, "is not a valid URL: it contains spaces or control characters (percent-encode them)")
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.Add(field, "is not a valid URL: write it like https://example.com/path, percent-encoding special characters")
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		v.Add(field, "scheme must be http or https")
		return
	}
	if u.User != nil {
		v.Add(field, "credentials in the URL are not allowed; send them in a header (e.g. Authorization)")
		return
	}
	if u.Opaque != "" {
		v.Add(field, "is not a valid URL: use the form https://host/path")
		return
	}
	host := u.Hostname()
	if host == "" {
		v.Add(field, "is not a valid URL: the host is missing")
		return
	}
	for _, r := range host {
		if r >= utf8.RuneSelf {
			v.Add(field, "host must be ASCII; write international names in their punycode (xn--) form")
			return
		}
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || !(n == 80 || n == 443 || (n >= 1024 && n <= 65535)) {
			v.Add(field, "port must be 80, 443 or between 1024 and 65535")
			return
		}
	} else if strings.HasSuffix(u.Host, ":") {
		v.Add(field, "is not a valid URL: empty port")
		return
	}
	if strings.HasPrefix(u.Host, "[") {
		if ip := net.ParseIP(host); ip == nil || strings.Contains(host, "%") {
			v.Add(field, "is not a valid URL: bad IPv6 address")
		}
		return
	}
	if looksNumeric(host) && net.ParseIP(host).To4() == nil {
		v.Add(field, "host is a non-canonical IP address; write it as four decimal numbers like 192.0.2.10")
		return
	}
	if net.ParseIP(host) == nil && !validHostname(host) {
		v.Add(field, "host is not a valid domain name: use letters, digits, hyphens and dots, like api.example.com")
	}
}

// looksNumeric reports whether a host could be read as an IPv4 address by
// some resolver: only digits, dots and hex notation, ending in a number.
// Such hosts must be canonical dotted quads.
func looksNumeric(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "" {
		return false
	}
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if len(h) > 253 || h == "" {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Priority computes an execution's priority when it is written, so claiming
// is an index scan rather than a join: Pro before Free; within a tier,
// minute crons, one-time jobs and queued requests before hourly/daily crons.
// Lower values run first. Within one priority, the most overdue runs first.
func Priority(tier Tier, kind JobKind, intervalMinutes int) int {
	p := 0
	if tier != TierPro {
		p = 2
	}
	if kind == JobKindCron && intervalMinutes >= 60 {
		p++
	}
	return p
}

// Priorities is the number of distinct priority values.
const Priorities = 4
