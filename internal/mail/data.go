package mail

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Kind names a mail Prikke sends; each has its own templates and data
// struct. The value is also the templates' file name.
type Kind string

// The mails, each with the data struct that Render takes for it.
const (
	KindConfirmAccount   Kind = "confirm_account"   // ConfirmAccount
	KindPasswordReset    Kind = "password_reset"    // PasswordReset
	KindInvitation       Kind = "invitation"        // Invitation
	KindConfirmEmail     Kind = "confirm_email"     // ConfirmEmail
	KindConfirmChannel   Kind = "confirm_channel"   // ConfirmChannel
	KindJobFailing       Kind = "job_failing"       // JobFailing
	KindJobRecovered     Kind = "job_recovered"     // JobRecovered
	KindJobDisabled      Kind = "job_disabled"      // JobDisabled
	KindQuota            Kind = "quota"             // Quota
	KindChannelDisabled  Kind = "channel_disabled"  // ChannelDisabled
	KindTestNotification Kind = "test_notification" // TestNotification
	KindMonitorAlert     Kind = "monitor_alert"     // MonitorAlert
	KindWorkflowAlert    Kind = "workflow_alert"    // WorkflowAlert
	KindPlanPaused       Kind = "plan_paused"       // PlanPaused
	KindSuspended        Kind = "suspended"         // Suspended
)

// Kinds returns every Kind, in the order above.
func Kinds() []Kind {
	return []Kind{
		KindConfirmAccount, KindPasswordReset, KindInvitation, KindConfirmEmail,
		KindConfirmChannel, KindJobFailing, KindJobRecovered, KindJobDisabled,
		KindQuota, KindChannelDisabled, KindTestNotification, KindMonitorAlert,
		KindWorkflowAlert, KindPlanPaused, KindSuspended,
	}
}

// Data is the content of one mail: one of this package's data structs
// (ConfirmAccount, JobFailing, ...). The unexported method keeps the set
// closed, so every Data has templates.
type Data interface {
	// Kind says which templates render the data.
	Kind() Kind
	validate() error
}

// Outcomes of a failed execution, for JobFailing.Outcome. They match
// prikke.ExecutionStatus values.
const (
	OutcomeFailed  = "failed"
	OutcomeTimeout = "timeout"
)

// ConfirmAccount asks a new user to confirm their address.
type ConfirmAccount struct {
	Email      string
	ConfirmURL string
	ExpiresAt  time.Time // optional; zero leaves out the expiry note
	// ChoosePassword: the address was signed up again before it was
	// confirmed; following the link confirms it and then asks for a
	// password (the one typed at sign-up is not used), and earlier links
	// no longer work.
	ChoosePassword bool
}

// PasswordReset carries a one-time link to choose a new password.
type PasswordReset struct {
	Email     string
	ResetURL  string
	ExpiresAt time.Time
}

// Invitation asks someone to join an organization.
type Invitation struct {
	InviterEmail     string
	OrganizationName string
	Role             string // "owner", "admin", "member", "viewer"
	AcceptURL        string
	ExpiresAt        time.Time
}

// ConfirmEmail goes to the new address when a user changes their email; the
// change takes effect once they open ConfirmURL.
type ConfirmEmail struct {
	NewEmail   string
	ConfirmURL string
	ExpiresAt  time.Time // optional
}

// ConfirmChannel goes to the address of a new email notification channel:
// a project may only send alerts to an address whose owner agreed.
type ConfirmChannel struct {
	ProjectName string
	Email       string // the channel's address, where this mail goes
	ConfirmURL  string
}

// JobFailing says a job's execution failed after the previous ones
// succeeded. Prikke sends it on the flip, not on every failed run.
type JobFailing struct {
	JobName      string
	ProjectName  string
	Outcome      string // OutcomeFailed or OutcomeTimeout
	StatusCode   int    // the endpoint's HTTP status; 0 when there was no response
	Error        string // what went wrong, as recorded on the execution
	ScheduledAt  time.Time
	ExecutionURL string // the execution in the dashboard
}

// JobRecovered says a failing job succeeded again.
type JobRecovered struct {
	JobName      string
	ProjectName  string
	StatusCode   int
	FinishedAt   time.Time // of the successful execution
	FailingSince time.Time // optional: when the first failure of the streak ran
	ExecutionURL string
}

// JobDisabled says Prikke paused a job because its endpoint answered
// 410 Gone, the HTTP way of saying "stop calling me".
type JobDisabled struct {
	JobName     string
	ProjectName string
	URL         string // the job's endpoint; shown as text, never as a link
	DisabledAt  time.Time
	JobURL      string // the job in the dashboard, to re-enable it
}

// Quota reports that an organization used 80% (Used < Limit) or all
// (Used >= Limit) of its monthly requests.
type Quota struct {
	OrganizationName string
	Used             int64
	Limit            int64
	Month            string // "2026-11", as prikke.Month returns it
	UsageURL         string
	// CanUpgrade says a bigger plan exists (the organization is on Free),
	// so the mail suggests upgrading.
	CanUpgrade bool
}

// Reached reports whether the whole quota is used: runs are then recorded
// as quota_exceeded instead of being executed.
func (q Quota) Reached() bool { return q.Used >= q.Limit }

// Percent is the share of the quota used, rounded down.
func (q Quota) Percent() int64 {
	if q.Limit <= 0 {
		return 0
	}
	return q.Used * 100 / q.Limit
}

// ChannelDisabled tells the project's owners that a notification channel
// was turned off after failing permanently.
type ChannelDisabled struct {
	ProjectName string
	ChannelName string
	// Target is the channel's address or URL as it may be shown: Slack and
	// Discord webhook URLs are secrets, so pass them shortened.
	Target      string
	LastError   string
	ChannelsURL string // the project's channels in the dashboard
}

// TestNotification is what "Send test" on a channel sends.
type TestNotification struct {
	ProjectName string
	ChannelName string
	RequestedBy string // optional: the email of who pressed the button
	ProjectURL  string
}

// MonitorAlert says what happened to a cron monitor: it went down (a ping
// is missing), a run failed or ran too long, it is still down (a
// re-alert), or it is up again.
type MonitorAlert struct {
	MonitorName string
	ProjectName string
	Event       string        // MonitorDown, MonitorUp, MonitorFailed, MonitorTooLong or MonitorRealert
	Detail      string        // the flip's sentence: what was missing, the exit status and last lines
	At          time.Time     // when it happened
	LastPingAt  time.Time     // optional: zero when the monitor was never pinged
	DownFor     time.Duration // MonitorUp, optional: how long it was down
	// PrikkeDown: the deadline passed while Prikke itself was down, so
	// the ping may have been lost on our side; the mail says so.
	PrikkeDown bool
	MonitorURL string // the monitor in the dashboard
}

// WorkflowAlert says a workflow's run failed after the previous ones
// succeeded (Failing), or that a run succeeded again after failures.
// Prikke sends it on the flip, not on every failed run.
type WorkflowAlert struct {
	WorkflowName string
	ProjectName  string
	Failing      bool
	Error        string    // Failing: why the run failed (the step and its reason)
	At           time.Time // when the run finished
	RunURL       string    // the run in the dashboard
}

// PlanPaused tells an organization's owners that it moved down to a plan
// (Free) that does not allow everything it ran, and what Prikke paused for
// it: the minute-level schedules and, newest first, what was beyond the
// plan's limit. Nothing was deleted; an upgrade resumes exactly these.
type PlanPaused struct {
	OrganizationName string
	Tier             string   // the plan it is on now: "free"
	Jobs             []string // the paused jobs' names, oldest first
	Monitors         []string // the paused monitors' names, oldest first
	MaxJobs          int      // the plan's limit of jobs and monitors together
	// MinInterval is the plan's shortest schedule interval (optional).
	MinInterval time.Duration
	// CanUpgrade says this Prikke sells Pro (billing is on); else Pro
	// comes from its operator.
	CanUpgrade bool
	BillingURL string // Settings → Billing: the plan, its limits and Upgrade
}

// Suspended tells an organization's owners that the operator of this
// Prikke suspended it, and why: its jobs and monitors are paused, its API
// keys refused, and its members can read but change nothing until the
// operator lifts the suspension.
type Suspended struct {
	OrganizationName string
	Reason           string // the operator's, shown as written
	Jobs, Monitors   int    // how many the suspension paused
	OrganizationURL  string // the organization in the dashboard
}

// Paused says what the suspension paused ("3 jobs and 1 monitor", or
// "nothing was running").
func (d Suspended) Paused() string {
	var parts []string
	if d.Jobs > 0 {
		parts = append(parts, countOf(d.Jobs, "job"))
	}
	if d.Monitors > 0 {
		parts = append(parts, countOf(d.Monitors, "monitor"))
	}
	if len(parts) == 0 {
		return "nothing was running"
	}
	return strings.Join(parts, " and ") + " paused"
}

// Limits says what the plan runs ("at most 5 jobs and monitors together,
// none more often than every 5 min").
func (d PlanPaused) Limits() string {
	var parts []string
	if d.MaxJobs > 0 {
		parts = append(parts, fmt.Sprintf("at most %d jobs and monitors together", d.MaxJobs))
	}
	if d.MinInterval > 0 {
		parts = append(parts, "no schedule more often than every "+HumanDuration(d.MinInterval))
	}
	if len(parts) == 0 {
		return "less than before"
	}
	return strings.Join(parts, ", and ")
}

// maxPlanPausedNames bounds the names a plan-paused mail lists per kind.
const maxPlanPausedNames = 50

// Count says how many jobs and monitors were paused ("7 jobs and 1
// monitor").
func (d PlanPaused) Count() string {
	var parts []string
	if n := len(d.Jobs); n > 0 {
		parts = append(parts, countOf(n, "job"))
	}
	if n := len(d.Monitors); n > 0 {
		parts = append(parts, countOf(n, "monitor"))
	}
	return strings.Join(parts, " and ")
}

// ShownJobs and ShownMonitors are the names the mail lists; MoreJobs and
// MoreMonitors count those left out.
func (d PlanPaused) ShownJobs() []string { return d.Jobs[:min(len(d.Jobs), maxPlanPausedNames)] }
func (d PlanPaused) ShownMonitors() []string {
	return d.Monitors[:min(len(d.Monitors), maxPlanPausedNames)]
}
func (d PlanPaused) MoreJobs() int     { return len(d.Jobs) - len(d.ShownJobs()) }
func (d PlanPaused) MoreMonitors() int { return len(d.Monitors) - len(d.ShownMonitors()) }

func countOf(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Title is the alert's headline after the workflow's name.
func (d WorkflowAlert) Title() string {
	if d.Failing {
		return "is failing"
	}
	return "recovered"
}

// MonitorAlert events (the part of prikke's monitor event names after
// "monitor.").
const (
	MonitorDown    = "down"
	MonitorUp      = "up"
	MonitorFailed  = "failed"
	MonitorTooLong = "too_long"
	MonitorRealert = "realert"
)

// Down reports whether the monitor is (still) down after the event.
func (d MonitorAlert) Down() bool { return d.Event != MonitorUp }

// Kind implements Data.
func (ConfirmAccount) Kind() Kind { return KindConfirmAccount }

// Kind implements Data.
func (PasswordReset) Kind() Kind { return KindPasswordReset }

// Kind implements Data.
func (Invitation) Kind() Kind { return KindInvitation }

// Kind implements Data.
func (ConfirmEmail) Kind() Kind { return KindConfirmEmail }

// Kind implements Data.
func (ConfirmChannel) Kind() Kind { return KindConfirmChannel }

// Kind implements Data.
func (JobFailing) Kind() Kind { return KindJobFailing }

// Kind implements Data.
func (JobRecovered) Kind() Kind { return KindJobRecovered }

// Kind implements Data.
func (JobDisabled) Kind() Kind { return KindJobDisabled }

// Kind implements Data.
func (Quota) Kind() Kind { return KindQuota }

// Kind implements Data.
func (ChannelDisabled) Kind() Kind { return KindChannelDisabled }

// Kind implements Data.
func (TestNotification) Kind() Kind { return KindTestNotification }

// Kind implements Data.
func (MonitorAlert) Kind() Kind { return KindMonitorAlert }

// Kind implements Data.
func (WorkflowAlert) Kind() Kind { return KindWorkflowAlert }

// Kind implements Data.
func (PlanPaused) Kind() Kind { return KindPlanPaused }

func (d ConfirmAccount) validate() error {
	return check(need("Email", d.Email), link("ConfirmURL", d.ConfirmURL))
}

func (d PasswordReset) validate() error {
	return check(need("Email", d.Email), link("ResetURL", d.ResetURL), needTime("ExpiresAt", d.ExpiresAt))
}

func (d Invitation) validate() error {
	return check(need("InviterEmail", d.InviterEmail), need("OrganizationName", d.OrganizationName),
		need("Role", d.Role), link("AcceptURL", d.AcceptURL), needTime("ExpiresAt", d.ExpiresAt))
}

func (d ConfirmEmail) validate() error {
	return check(need("NewEmail", d.NewEmail), link("ConfirmURL", d.ConfirmURL))
}

func (d ConfirmChannel) validate() error {
	return check(need("ProjectName", d.ProjectName), need("Email", d.Email), link("ConfirmURL", d.ConfirmURL))
}

func (d JobFailing) validate() error {
	var outcome error
	if d.Outcome != OutcomeFailed && d.Outcome != OutcomeTimeout {
		outcome = fmt.Errorf("%s %q is not %q or %q", "Outcome", d.Outcome, OutcomeFailed, OutcomeTimeout)
	}
	return check(need("JobName", d.JobName), need("ProjectName", d.ProjectName), outcome,
		needTime("ScheduledAt", d.ScheduledAt), link("ExecutionURL", d.ExecutionURL))
}

func (d JobRecovered) validate() error {
	return check(need("JobName", d.JobName), need("ProjectName", d.ProjectName),
		needTime("FinishedAt", d.FinishedAt), link("ExecutionURL", d.ExecutionURL))
}

func (d JobDisabled) validate() error {
	return check(need("JobName", d.JobName), need("ProjectName", d.ProjectName), need("URL", d.URL),
		needTime("DisabledAt", d.DisabledAt), link("JobURL", d.JobURL))
}

func (d Quota) validate() error {
	var limit, month error
	if d.Limit <= 0 {
		limit = fmt.Errorf("%s %d is not positive", "Limit", d.Limit)
	}
	if _, err := time.Parse("2006-01", d.Month); err != nil {
		month = fmt.Errorf("%s %q is not YYYY-MM", "Month", d.Month)
	}
	return check(need("OrganizationName", d.OrganizationName), limit, month, link("UsageURL", d.UsageURL))
}

func (d ChannelDisabled) validate() error {
	return check(need("ProjectName", d.ProjectName), need("ChannelName", d.ChannelName),
		link("ChannelsURL", d.ChannelsURL))
}

func (d TestNotification) validate() error {
	return check(need("ProjectName", d.ProjectName), need("ChannelName", d.ChannelName),
		link("ProjectURL", d.ProjectURL))
}

func (d MonitorAlert) validate() error {
	var event error
	switch d.Event {
	case MonitorDown, MonitorUp, MonitorFailed, MonitorTooLong, MonitorRealert:
	default:
		event = fmt.Errorf("%s %q is not a monitor event", "Event", d.Event)
	}
	return check(need("MonitorName", d.MonitorName), need("ProjectName", d.ProjectName), event,
		needTime("At", d.At), link("MonitorURL", d.MonitorURL))
}

func (d WorkflowAlert) validate() error {
	return check(need("WorkflowName", d.WorkflowName), need("ProjectName", d.ProjectName),
		needTime("At", d.At), link("RunURL", d.RunURL))
}

func (d PlanPaused) validate() error {
	var none error
	if len(d.Jobs)+len(d.Monitors) == 0 {
		none = fmt.Errorf("Jobs and Monitors are both empty")
	}
	return check(need("OrganizationName", d.OrganizationName), need("Tier", d.Tier), none, link("BillingURL", d.BillingURL))
}

// Kind implements Data.
func (Suspended) Kind() Kind { return KindSuspended }

func (d Suspended) validate() error {
	return check(need("OrganizationName", d.OrganizationName), need("Reason", d.Reason), link("OrganizationURL", d.OrganizationURL))
}

// check returns the first non-nil error: one clear complaint is enough for
// a programming error.
func check(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func need(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is empty", field)
	}
	return nil
}

func needTime(field string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%s is zero", field)
	}
	return nil
}

// link accepts only absolute http(s) URLs. Every link in a mail points at
// Prikke; anything else (a relative path, javascript:) is a bug upstream
// that would produce a dead or dangerous button.
func link(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", field)
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", field, v)
	}
	return nil
}

// Title is the alert's headline after the monitor's name ("is down").
func (d MonitorAlert) Title() string {
	switch d.Event {
	case MonitorDown:
		return "is down"
	case MonitorRealert:
		return "is still down"
	case MonitorFailed:
		return "failed"
	case MonitorTooLong:
		return "ran too long"
	}
	return "is up again"
}

// LastPing is when the monitor was last pinged, as the mail shows it.
func (d MonitorAlert) LastPing() string {
	if d.LastPingAt.IsZero() {
		return "never"
	}
	return datetime(d.LastPingAt)
}

// DownForText is DownFor for people ("2 h 5 min"); "" when unknown.
func (d MonitorAlert) DownForText() string { return HumanDuration(d.DownFor) }

// HumanDuration writes d for people, to the second below a minute and to
// the minute above ("45 s", "2 h 5 min", "3 d 4 h"); "" for zero or less.
func HumanDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	}
	m := int(d / time.Minute)
	days, hours, mins := m/(24*60), m/60%24, m%60
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d d", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d h", hours))
	}
	if mins > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%d min", mins))
	}
	return strings.Join(parts, " ")
}
