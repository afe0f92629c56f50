package prikke

import "time"

// AlertPolicy says when a failing thing alerts, for monitors and jobs
// alike: after FailThreshold consecutive failures, back up after
// RecoveryThreshold consecutive successes, again every RealertEvery while
// still down (0: never), and never while snoozed or inside a maintenance
// window: the change is recorded, and the end of the mute re-evaluates.
type AlertPolicy struct {
	FailThreshold     int // default 1
	RecoveryThreshold int // default 1
	RealertEvery      time.Duration
	SnoozeUntil       *time.Time
	Window            Window
}

// Window is a recurring maintenance window: it opens at each time of Cron
// in TimeZone and stays open for Duration. The zero Window is none. For
// jobs, SkipRuns also skips the runs that fall inside it (otherwise only
// their alerts are muted).
type Window struct {
	Cron     string
	TimeZone string
	Duration time.Duration
	SkipRuns bool
}

// IsZero reports whether there is no window.
func (w Window) IsZero() bool { return w.Cron == "" }
