package prikke

import (
	"time"
)

// A Monitor watches a customer's own cron job: the job pings Prikke when
// it starts and when it ends, and Prikke alerts when a ping does not come
// on time, when a run fails, or when a run takes too long. The ping API
// follows Healthchecks (see internal/ping); the state machine that moves a
// monitor on each ping and at each deadline is internal/monitor.
type Monitor struct {
	ID             ID
	ProjectID      ID
	OrganizationID ID // filled on reads (the project's organization)
	// Tier and ProjectSnoozeUntil are filled on reads, from the
	// organization and the project: the ping API needs the body limit,
	// and a snoozed project mutes its monitors.
	Tier               Tier
	ProjectSnoozeUntil *time.Time
	Name               string
	Slug               string // unique in the project; the slug ping URL uses it
	Description        string

	// PingToken is the UUID v4 in the ping URL /ping/<token>. It is the
	// monitor's only credential: anyone holding it can ping.
	PingToken string
	// BadgeToken is the token in the public SVG badge URL.
	BadgeToken string

	// The schedule: Period (every so long) or Cron with TimeZone. Exactly
	// one of Period and Cron is set.
	Period   time.Duration
	Cron     string
	TimeZone string
	// Grace is how long after the expected time a missing ping is only
	// late; after it the monitor is down.
	Grace time.Duration
	// MaxRuntime, when not zero: a start without an end within it is a
	// failure ("ran too long"). MinRuntime, when not zero: a success sooner
	// than it after its start is a failure ("finished too soon"). Both are
	// between 1 second and MaxMonitorRuntime.
	MaxRuntime time.Duration
	MinRuntime time.Duration

	AlertPolicy

	// ManualResume: once down, pings are recorded but the monitor stays
	// down until it is resumed by hand (resume sets it back to new).
	ManualResume bool

	NotifyMode NotifyMode
	ChannelIDs []ID // NotifyCustom only

	MonitorState

	CreatedAt time.Time
	UpdatedAt time.Time
}

// MonitorState is what pings and deadlines change. The store writes it
// together with the pings and flips that moved it.
type MonitorState struct {
	Status MonitorStatus
	// PauseReason is PauseForPlan when a downgrade paused the monitor (an
	// upgrade resumes it); empty for a user's own pause.
	PauseReason string
	// ConsecutiveFailures and ConsecutiveSuccesses count toward the
	// thresholds (a success resets failures and the other way round).
	ConsecutiveFailures  int
	ConsecutiveSuccesses int
	LastPingAt           *time.Time
	LastPingKind         PingKind
	LastDuration         *time.Duration // of the last finished run
	// DueAt is when the next success ping is expected: late after it,
	// down after DueAt+Grace. Nil for a new or paused monitor.
	DueAt *time.Time
	// OpenRuns are the starts not yet ended, oldest first (at most
	// MaxOpenRuns; the oldest is dropped beyond that).
	OpenRuns []MonitorRun
	// DeadlineAt is the next instant the scheduler must act on this
	// monitor (due+grace, the oldest open run's start+max runtime, a
	// re-alert, the end of a snooze or window); nil when none.
	DeadlineAt *time.Time
	// AlertedAt is when the last down alert was written (for re-alerts).
	AlertedAt *time.Time
	// MutedDown: the monitor went down while muted, so its alert was held;
	// the end of the mute sends it if it is still down.
	MutedDown bool
	// Version counts state writes (a fence for writers that read first).
	Version int64
}

// MonitorRun is one start awaiting its end; RID pairs them ("" when the
// pings carry none).
type MonitorRun struct {
	RID       string    `json:"rid,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// MaxOpenRuns bounds a monitor's open runs.
const MaxOpenRuns = 16

// MonitorStatus is what the monitor list shows.
type MonitorStatus string

// Monitor statuses. Late is never stored: StatusAt derives it from an up
// monitor past its DueAt.
const (
	MonitorNew     MonitorStatus = "new"     // never pinged
	MonitorUp      MonitorStatus = "up"      // the last run was on time and succeeded
	MonitorLate    MonitorStatus = "late"    // past due, inside the grace time: shown, not alerted
	MonitorRunning MonitorStatus = "running" // started, not ended
	MonitorDown    MonitorStatus = "down"    // alerted
	MonitorPaused  MonitorStatus = "paused"  // pings recorded, no deadlines, no alerts
)

// StatusAt is the status to show at now: an up or running monitor past
// its due time (and not yet down) is late.
func (m *Monitor) StatusAt(now time.Time) MonitorStatus {
	if (m.Status == MonitorUp || m.Status == MonitorRunning) && m.DueAt != nil && now.After(*m.DueAt) {
		return MonitorLate
	}
	return m.Status
}

// Monitor field limits.
const (
	MinMonitorPeriod     = time.Minute
	MaxMonitorPeriod     = 365 * 24 * time.Hour
	MinMonitorGrace      = time.Minute
	MaxMonitorGrace      = 365 * 24 * time.Hour
	DefaultMonitorPeriod = 24 * time.Hour
	DefaultMonitorGrace  = time.Hour
	MaxMonitorRuntime    = 365 * 24 * time.Hour
	MaxAlertThreshold    = 100
	MaxSlugLength        = 100
	MinRealertEvery      = time.Minute
	MaxWindowDuration    = 7 * 24 * time.Hour
)

// PingKind is what a ping says.
type PingKind string

// Ping kinds. An exit-status ping is a success (status 0) or a fail (any
// other), with ExitStatus set.
const (
	PingStart   PingKind = "start"
	PingSuccess PingKind = "success"
	PingFail    PingKind = "fail"
	PingLog     PingKind = "log"
)

// Ping is one request to a ping URL, kept within the tier's history
// window.
type Ping struct {
	ID         ID
	MonitorID  ID
	ProjectID  ID
	Kind       PingKind
	ExitStatus *int   // 0-255 when the URL carried one
	RID        string // ?rid=, pairing a start with its end
	// Duration is the run's length, for an end paired with its start.
	Duration      *time.Duration
	Method        string
	SourceIP      string
	UserAgent     string
	Body          []byte // up to the tier's limit; empty in lists
	BodySize      int    // the size received, before cutting
	BodyTruncated bool
	CreatedAt     time.Time
}

// PingBodyLimit is how much of a ping's body the tier keeps.
func (t Tier) PingBodyLimit() int {
	if t == TierPro {
		return 100_000
	}
	return 10_000
}

// MonitorFlip is a change of a monitor's status, kept as its history and
// used as the notification outbox: a notifier leases each unprocessed
// flip (store.MonitorFlipClaim), sends it unless Muted, and then marks it
// processed (store.MonitorFlipDone).
type MonitorFlip struct {
	ID        ID
	MonitorID ID
	ProjectID ID
	PingID    *ID // the ping that caused it, if any
	Event     NotificationEvent
	From, To  MonitorStatus
	// Detail is a sentence for people: what was missing or how the run
	// failed (exit status, the last lines of the body).
	Detail string
	// PrikkeDown: the deadline passed while Prikke itself was not running,
	// so the ping may have been lost on our side; the alert says so.
	PrikkeDown  bool
	Muted       bool // snoozed or in a window: recorded, not sent
	CreatedAt   time.Time
	ProcessedAt *time.Time
}

// Monitor notification events.
const (
	EventMonitorDown    NotificationEvent = "monitor.down"     // a ping is missing (or the threshold of failures was reached)
	EventMonitorUp      NotificationEvent = "monitor.up"       // back up
	EventMonitorFailed  NotificationEvent = "monitor.failed"   // a run failed (fail ping, non-zero exit, too short)
	EventMonitorTooLong NotificationEvent = "monitor.too_long" // a run outlived max_runtime
	EventMonitorRealert NotificationEvent = "monitor.realert"  // still down
)
