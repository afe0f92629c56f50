package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// The job editor's "Alerts" section: the job's alert policy. Its inputs
// are named as the service's fields (alert_policy.fail_threshold …), so
// the service's errors land beside them.

// alertPolicyValues fills the form's alert fields from the job; the
// snooze is shown in the job's zone, like a one-time job's date.
func alertPolicyValues(v url.Values, j *prikke.Job) {
	in := service.AlertPolicyOf(j)
	fail := ""
	if in.FailThreshold > 0 {
		fail = strconv.Itoa(in.FailThreshold)
	}
	v.Set("alert_policy.fail_threshold", fail)
	v.Set("alert_policy.recovery_threshold", strconv.Itoa(max(in.RecoveryThreshold, 1)))
	v.Set("alert_policy.realert_every", in.RealertEvery)
	if s := j.AlertPolicy.SnoozeUntil; s != nil {
		v.Set("alert_policy.snooze_until", s.In(jobZone(j.TimeZone)).Format(datetimeLocal))
	}
	w := in.Window
	v.Set("alert_policy.window.cron", w.Cron)
	if w.TimeZone != j.TimeZone {
		v.Set("alert_policy.window.timezone", w.TimeZone)
	}
	v.Set("alert_policy.window.duration", w.Duration)
	if w.SkipRuns {
		v.Set("alert_policy.window.skip_runs", "on")
	}
}

// alertPolicyInput reads the Alerts section. A form without it (an older
// page) leaves the job's policy as it is. Problems only the form can see
// (a threshold that is not a number, a snooze that is not a date) are
// recorded on the form, and the input gets a value the service refuses.
func alertPolicyInput(f *page.Form, in *service.JobInput, current *prikke.Job) {
	if _, ok := f.Values["alert_policy.fail_threshold"]; !ok {
		return
	}
	const p = "alert_policy."
	num := func(name string, empty int) int {
		raw := strings.TrimSpace(f.Get(p + name))
		if raw == "" {
			return empty
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			f.SetError(p+name, "must be a whole number")
			return -1
		}
		return n
	}
	a := &service.AlertPolicyInput{FailThreshold: num("fail_threshold", 0), RecoveryThreshold: num("recovery_threshold", 1),
		RealertEvery: f.Get(p + "realert_every"),
		Window: service.WindowInput{Cron: f.Get(p + "window.cron"), TimeZone: f.Get(p + "window.timezone"),
			Duration: f.Get(p + "window.duration"), SkipRuns: f.Get(p+"window.skip_runs") != ""}}
	if raw := strings.TrimSpace(f.Get(p + "snooze_until")); raw != "" {
		loc := jobZone(f.Get("timezone"))
		if t, err := parseLocal(raw, loc); err != nil {
			f.SetError(p+"snooze_until", err.Error())
			a.SnoozeUntil = "not a time"
		} else if s := savedSnooze(current); s != nil && s.In(loc).Format(datetimeLocal) == raw {
			a.SnoozeUntil = s.Format(time.RFC3339Nano) // unchanged (it may have passed)
		} else {
			a.SnoozeUntil = t.Format(time.RFC3339)
		}
	}
	in.AlertPolicy = a
}

// savedSnooze is the edited job's snooze (nil for a new job).
func savedSnooze(j *prikke.Job) *time.Time {
	if j == nil {
		return nil
	}
	return j.AlertPolicy.SnoozeUntil
}

// jobZone loads a zone, UTC when it is not one (the service reports it).
func jobZone(name string) *time.Location {
	loc, err := cron.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// AlertsOpen reports whether the Alerts section starts open: when the job
// has a policy other than the default, or the form an error in it.
func (v jobFormView) AlertsOpen() bool {
	for k := range v.Form.Errors {
		if strings.HasPrefix(k, "alert_policy.") {
			return true
		}
	}
	f := v.Form
	return strings.TrimSpace(f.Get("alert_policy.fail_threshold")) != "" ||
		strings.TrimSpace(f.Get("alert_policy.recovery_threshold")) != "1" && f.Get("alert_policy.recovery_threshold") != "" ||
		f.Get("alert_policy.realert_every") != "" || f.Get("alert_policy.snooze_until") != "" || f.Get("alert_policy.window.cron") != ""
}
