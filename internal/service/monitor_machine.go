package service

// TEMPORARY: stand-ins for internal/monitor's Validate and steps until the
// state machine lands on h-machine ("monitor: state machine"); then this
// file is deleted and monitor.go calls the package directly.

import (
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/monitor"
)

var monitorSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)

func machineValidate(m *prikke.Monitor) error {
	var v prikke.Validation
	prikke.ValidateName(&v, "name", m.Name, true)
	if !monitorSlugRE.MatchString(m.Slug) {
		v.Add("slug", "must be 1-100 lower-case letters, digits or dashes, not starting with a dash")
	}
	if utf8.RuneCountInString(m.Description) > 1000 {
		v.Add("description", "is too long: max 1000 characters")
	}
	switch {
	case m.Period != 0 && m.Cron != "":
		v.Add("period", "give either period or cron, not both")
	case m.Cron != "":
		if _, err := cron.Parse(m.Cron); err != nil {
			v.Add("cron", "%s", cronMessage(err))
		}
		if m.TimeZone == "" {
			m.TimeZone = "UTC"
		}
		if _, err := cron.LoadLocation(m.TimeZone); err != nil {
			v.Add("timezone", "%s", err.Error())
		}
	case m.Period < prikke.MinMonitorPeriod || m.Period > prikke.MaxMonitorPeriod:
		v.Add("period", "must be between 1m and 365 days (8760h)")
	}
	if m.Grace < prikke.MinMonitorGrace || m.Grace > prikke.MaxMonitorGrace {
		v.Add("grace", "must be between 1m and 365 days (8760h)")
	}
	for _, r := range []struct {
		f string
		d time.Duration
	}{{"max_runtime", m.MaxRuntime}, {"min_runtime", m.MinRuntime}} {
		if r.d != 0 && (r.d < time.Second || r.d > prikke.MaxMonitorRuntime) {
			v.Add(r.f, "must be between 1s and 365 days (8760h)")
		}
	}
	if m.FailThreshold == 0 {
		m.FailThreshold = 1
	}
	if m.RecoveryThreshold == 0 {
		m.RecoveryThreshold = 1
	}
	if m.FailThreshold < 1 || m.FailThreshold > prikke.MaxAlertThreshold {
		v.Add("fail_threshold", "must be between 1 and 100")
	}
	if m.RecoveryThreshold < 1 || m.RecoveryThreshold > prikke.MaxAlertThreshold {
		v.Add("recovery_threshold", "must be between 1 and 100")
	}
	if m.RealertEvery != 0 && m.RealertEvery < prikke.MinRealertEvery {
		v.Add("realert_every", "must be 0 (off) or at least 1m")
	}
	monitor.ValidateWindow(&v, "window", m.Window)
	return v.Err()
}

func machineReconfigure(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip { return nil }

func machinePause(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	m.Status, m.DueAt, m.OpenRuns, m.DeadlineAt, m.MutedDown = prikke.MonitorPaused, nil, nil, nil, false
	return nil
}

func machineResume(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	m.Status, m.ConsecutiveFailures, m.ConsecutiveSuccesses, m.DueAt = prikke.MonitorNew, 0, 0, nil
	return nil
}

func machineSnooze(m *prikke.Monitor, until *time.Time, now time.Time) []*prikke.MonitorFlip {
	m.SnoozeUntil = until
	return nil
}
