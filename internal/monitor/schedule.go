package monitor

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
)

// NextDue returns when the next success ping is expected after a run that
// ended (or was due) at t: t+Period, or the next fire of Cron in TimeZone
// strictly after t, with internal/cron's daylight-saving rules (a time
// skipped in spring fires at the change, a time repeated in autumn fires
// the first time only, hourly schedules stay on real time). The result is
// in UTC.
func NextDue(m *prikke.Monitor, t time.Time) (time.Time, error) {
	if m.Cron == "" {
		if m.Period <= 0 {
			return time.Time{}, errors.New("monitor: next due: no period and no cron expression")
		}
		return t.Add(m.Period).UTC(), nil
	}
	s, err := parseCron(m.Cron)
	if err != nil {
		return time.Time{}, fmt.Errorf("monitor: next due: %w", err)
	}
	loc, err := loadLocation(zoneOr(m.TimeZone))
	if err != nil {
		return time.Time{}, fmt.Errorf("monitor: next due: %w", err)
	}
	next := s.Next(t, loc)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("monitor: next due: %q never fires after %s", m.Cron, t.UTC().Format(time.RFC3339))
	}
	return next.UTC(), nil
}

// zoneOr returns zone, or "UTC" when it is empty.
func zoneOr(zone string) string {
	if zone == "" {
		return "UTC"
	}
	return zone
}

// Validate checks the monitor's configuration and sets defaults where zero
// (FailThreshold 1, RecoveryThreshold 1, NotifyMode project, TimeZone "UTC"
// for a cron schedule and for a window). Errors name the fields as the API
// does; tier limits are the service's.
func Validate(m *prikke.Monitor) error {
	setDefaults(m)
	var v prikke.Validation
	prikke.ValidateName(&v, "name", m.Name, true)
	validateSlug(&v, m.Slug)
	switch {
	case !utf8.ValidString(m.Description):
		v.Add("description", "must be valid UTF-8 text")
	case utf8.RuneCountInString(m.Description) > 1000:
		v.Add("description", "is too long: max 1000 characters")
	}
	validateSchedule(&v, m)
	validateRange(&v, "grace", m.Grace, prikke.MinMonitorGrace, prikke.MaxMonitorGrace, "1m", "365 days (8760h)")
	validateRuntimes(&v, m)
	for _, f := range []struct {
		name string
		n    int
	}{{"fail_threshold", m.FailThreshold}, {"recovery_threshold", m.RecoveryThreshold}} {
		if f.n < 1 || f.n > prikke.MaxAlertThreshold {
			v.Add(f.name, "must be between 1 and %d", prikke.MaxAlertThreshold)
		}
	}
	if m.RealertEvery != 0 && (m.RealertEvery < prikke.MinRealertEvery || m.RealertEvery > prikke.MaxMonitorPeriod) {
		v.Add("realert_every", "must be 0 (off) or between 1m and 365 days (8760h)")
	}
	ValidateWindow(&v, "window", m.Window)
	switch m.NotifyMode {
	case prikke.NotifyProject, prikke.NotifyMuted:
	case prikke.NotifyCustom:
		if len(m.ChannelIDs) > 50 {
			v.Add("channel_ids", "max 50 channels")
		}
	default:
		v.Add("notify", `must be "project", "muted" or "custom"`)
	}
	return v.Err()
}

// setDefaults fills the zero fields Validate defaults.
func setDefaults(m *prikke.Monitor) {
	if m.FailThreshold == 0 {
		m.FailThreshold = 1
	}
	if m.RecoveryThreshold == 0 {
		m.RecoveryThreshold = 1
	}
	if m.NotifyMode == "" {
		m.NotifyMode = prikke.NotifyProject
	}
	if m.Cron != "" && m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	if !m.Window.IsZero() && m.Window.TimeZone == "" {
		m.Window.TimeZone = "UTC"
	}
}

// validateSlug: lowercase a-z, 0-9 and '-', 1 to 100 characters, not
// starting with '-' (it is a path segment of the slug ping URL).
func validateSlug(v *prikke.Validation, slug string) {
	switch {
	case slug == "":
		v.Add("slug", "is required")
	case len(slug) > prikke.MaxSlugLength:
		v.Add("slug", "is too long: max %d characters", prikke.MaxSlugLength)
	case strings.ContainsFunc(slug, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') }):
		v.Add("slug", "must use only lowercase letters a-z, digits 0-9 and '-', such as \"nightly-backup\"")
	case slug[0] == '-':
		v.Add("slug", "must not start with '-'")
	}
}

// validateSchedule: exactly one of period and cron, each valid.
func validateSchedule(v *prikke.Validation, m *prikke.Monitor) {
	switch {
	case m.Period != 0 && m.Cron != "":
		v.Add("period", "give either period or cron, not both")
		return
	case m.Period == 0 && m.Cron == "":
		v.Add("period", `is required: give either period (such as "10m") or cron (such as "0 3 * * *") with timezone`)
		return
	case m.Cron == "":
		validateRange(v, "period", m.Period, prikke.MinMonitorPeriod, prikke.MaxMonitorPeriod, "1m", "365 days (8760h)")
	default:
		if _, err := cron.Parse(m.Cron); err != nil {
			v.Add("cron", "%s", err.Error())
		}
	}
	if m.TimeZone != "" {
		if _, err := loadLocation(m.TimeZone); err != nil {
			v.Add("timezone", "%s", err.Error())
		}
	}
}

// validateRuntimes: each 0 (off) or 1s..365d, and min below max.
func validateRuntimes(v *prikke.Validation, m *prikke.Monitor) {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"max_runtime", m.MaxRuntime}, {"min_runtime", m.MinRuntime}} {
		if f.d != 0 {
			validateRange(v, f.name, f.d, time.Second, prikke.MaxMonitorRuntime, "1s", "365 days (8760h)")
		}
	}
	if m.MinRuntime > 0 && m.MaxRuntime > 0 && m.MinRuntime >= m.MaxRuntime && !v.Has("min_runtime") && !v.Has("max_runtime") {
		v.Add("min_runtime", "must be shorter than max_runtime (%s)", formatDuration(m.MaxRuntime))
	}
}

// validateRange adds "must be between lo and hi" unless min <= d <= max.
func validateRange(v *prikke.Validation, field string, d, min, max time.Duration, lo, hi string) {
	if d < min || d > max {
		v.Add(field, "must be between %s and %s", lo, hi)
	}
}
