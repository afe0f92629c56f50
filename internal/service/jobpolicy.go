package service

import (
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
)

// AlertPolicyInput is a job's alert policy as a client writes it. Given,
// it replaces the job's whole policy: zero fields take their defaults.
// Durations are Go-style strings ("10m", "1h30m").
type AlertPolicyInput struct {
	FailThreshold     int    // 0: the project's alert_after
	RecoveryThreshold int    // 0: 1
	RealertEvery      string // "" or "0": no re-alerts
	SnoozeUntil       string // RFC 3339 with an offset; "": not snoozed
	Window            WindowInput
}

// WindowInput is a recurring maintenance window: it opens at each time of
// Cron in TimeZone (default: the job's) and stays open for Duration. An
// empty Cron is no window.
type WindowInput struct {
	Cron     string
	TimeZone string
	Duration string
	SkipRuns bool
}

// MaxJobSnooze is how far ahead a job's alerts can be snoozed.
const MaxJobSnooze = 365 * 24 * time.Hour

// applyAlertPolicy validates in and sets it as j's policy. Field errors
// are named as in the API: alert_policy.fail_threshold …
// alert_policy.window.cron. A snooze that is already the job's may lie in
// the past (it simply ended); a new one must be ahead, at most a year.
func applyAlertPolicy(v *prikke.Validation, j *prikke.Job, in *AlertPolicyInput, now time.Time) {
	const f = "alert_policy."
	p := prikke.AlertPolicy{FailThreshold: in.FailThreshold, RecoveryThreshold: max(in.RecoveryThreshold, 1)}
	if in.FailThreshold < 0 || in.FailThreshold > prikke.MaxAlertThreshold {
		v.Add(f+"fail_threshold", "must be between 1 and 100, or 0 for the project's alert_after")
	}
	if in.RecoveryThreshold < 0 || in.RecoveryThreshold > prikke.MaxAlertThreshold {
		v.Add(f+"recovery_threshold", "must be between 1 and 100")
	}
	if d, ok := policyDuration(v, f+"realert_every", in.RealertEvery); ok {
		if d != 0 && (d < prikke.MinRealertEvery || d > MaxJobSnooze) {
			v.Add(f+"realert_every", "must be 0 (no re-alerts) or between 1m and 8760h (a year)")
		}
		p.RealertEvery = d
	}
	if s := strings.TrimSpace(in.SnoozeUntil); s != "" {
		if at, ok := parseInstant(v, f+"snooze_until", s); ok {
			same := j.AlertPolicy.SnoozeUntil != nil && j.AlertPolicy.SnoozeUntil.Equal(at)
			switch {
			case !same && !at.After(now):
				v.Add(f+"snooze_until", "is in the past; give the future instant until which alerts are muted, or leave it empty")
			case !same && at.After(now.Add(MaxJobSnooze)):
				v.Add(f+"snooze_until", "is too far ahead: max 1 year")
			}
			p.SnoozeUntil = &at
		}
	}
	w := in.Window
	if strings.TrimSpace(w.Cron) != "" || strings.TrimSpace(w.Duration) != "" || w.SkipRuns {
		p.Window = prikke.Window{Cron: strings.TrimSpace(w.Cron), TimeZone: strings.TrimSpace(w.TimeZone), SkipRuns: w.SkipRuns}
		if p.Window.TimeZone == "" {
			p.Window.TimeZone = j.TimeZone
		}
		if strings.TrimSpace(w.Duration) == "" {
			v.Add(f+"window.duration", "is required for a window: how long it stays open, like 2h or 30m")
		} else if d, ok := policyDuration(v, f+"window.duration", w.Duration); ok {
			p.Window.Duration = d
		}
		var wv prikke.Validation
		monitor.ValidateWindow(&wv, f+"window", p.Window)
		for _, fe := range prikke.ErrorFields(wv.Err()) {
			if !v.Has(fe.Field) { // a duration that did not parse is said once
				v.Add(fe.Field, "%s", fe.Message)
			}
		}
	}
	j.AlertPolicy = p
}

// policyDuration parses a Go-style duration; "" is 0.
func policyDuration(v *prikke.Validation, field, s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		v.Add(field, "is not a duration: write it like 30m, 2h or 1h30m")
		return 0, false
	}
	return d, true
}

// PolicyDuration writes a policy duration as the API and the dashboard
// show it, the way it is written back: "30m", "1h30m", "2h"; "" for 0.
func PolicyDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return FormatDuration(d)
}

// AlertPolicyOf is the input that writes j's policy back unchanged (for
// forms that show it).
func AlertPolicyOf(j *prikke.Job) AlertPolicyInput {
	p := j.AlertPolicy
	in := AlertPolicyInput{FailThreshold: p.FailThreshold, RecoveryThreshold: p.RecoveryThreshold, RealertEvery: PolicyDuration(p.RealertEvery),
		Window: WindowInput{Cron: p.Window.Cron, TimeZone: p.Window.TimeZone, Duration: PolicyDuration(p.Window.Duration), SkipRuns: p.Window.SkipRuns}}
	if p.SnoozeUntil != nil {
		in.SnoozeUntil = p.SnoozeUntil.UTC().Format(time.RFC3339)
	}
	return in
}
