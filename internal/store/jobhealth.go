package store

import (
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
)

// JobAlertState is the part of a job its results change: its health, the
// runs in a row that failed and (while failing) succeeded, when its last
// failing alert was written, and whether that alert was held by a mute.
type JobAlertState struct {
	Health    prikke.JobHealth
	Failures  int
	Successes int // counted only while failing, toward the recovery threshold
	AlertedAt *time.Time
	Held      bool // failing, and the failing alert was muted: sent at the first run after the mute
}

// JobAlertRules are what decides a job's alerts: its policy, the project's
// alert_after (the fail threshold when the policy has none) and the
// project's snooze.
type JobAlertRules struct {
	Policy        prikke.AlertPolicy
	AlertAfter    int
	ProjectSnooze *time.Time
}

// JobFlip is a flip to write for a job.
type JobFlip struct {
	Event prikke.NotificationEvent
	Muted bool
}

// JobHealthAfter applies an outcome's results, in order, to a job's state
// and returns the new state and the flip to write (nil for none) at
// o.LastRunAt. A batch flips at most once, for its net change: a job goes
// failing when its failures in a row reach the fail threshold, and back to
// healthy when its successes in a row (while failing) reach the recovery
// threshold; a batch that fails and recovers writes nothing, as before.
//
// While failing, a failed run at least RealertEvery after the last alert
// writes another failing flip. A flip written while muted
// (monitor.Muted) is marked Muted; a failing alert muted so is held, and
// the first result after the mute writes it if the job still fails. A
// recovery whose failing alert was never sent is muted too: nobody heard
// that it failed.
func JobHealthAfter(o *JobOutcome, st JobAlertState, r JobAlertRules) (JobAlertState, *JobFlip) {
	failAt := r.Policy.FailThreshold
	if failAt < 1 {
		failAt = max(r.AlertAfter, 1)
	}
	recoverAt := max(r.Policy.RecoveryThreshold, 1)
	if st.Health == "" {
		st.Health = prikke.JobHealthy
	}
	was := st.Health
	failed := false
	for _, ok := range o.Results {
		if ok {
			st.Failures = 0
			if st.Health == prikke.JobFailing {
				st.Successes++
				if st.Successes >= recoverAt {
					st.Health, st.Successes = prikke.JobHealthy, 0
				}
			}
			continue
		}
		failed = true
		st.Failures++
		st.Successes = 0
		if st.Health != prikke.JobFailing && st.Failures >= failAt {
			st.Health = prikke.JobFailing
		}
	}
	at := o.LastRunAt
	muted, _ := monitor.Muted(r.Policy, r.ProjectSnooze, at)
	failing := func() *JobFlip {
		if muted {
			st.Held = true
		} else {
			st.Held, st.AlertedAt = false, &at
		}
		return &JobFlip{Event: prikke.EventJobFailing, Muted: muted}
	}
	switch {
	case was != prikke.JobFailing && st.Health == prikke.JobFailing:
		st.Held, st.AlertedAt = false, nil
		return st, failing()
	case was == prikke.JobFailing && st.Health != prikke.JobFailing:
		held := st.Held
		st.Held, st.AlertedAt, st.Successes = false, nil, 0
		return st, &JobFlip{Event: prikke.EventJobRecovered, Muted: muted || held}
	case st.Health != prikke.JobFailing || muted:
		return st, nil
	case st.Held:
		return st, failing()
	case failed && r.Policy.RealertEvery > 0 && (st.AlertedAt == nil || at.Sub(*st.AlertedAt) >= r.Policy.RealertEvery):
		return st, failing()
	}
	return st, nil
}
