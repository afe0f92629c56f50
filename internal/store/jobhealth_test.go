package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestJobHealthAfter walks a job through results one batch at a time.
func TestJobHealthAfter(t *testing.T) {
	t0 := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	later := t0.Add(time.Hour)
	type step struct {
		min     int
		results string // s: success, f: failure, in order
		flip    string // "" none, else the event, "(muted)" when muted
		state   string // health failures/successes held
	}
	for _, c := range []struct {
		name  string
		rules JobAlertRules
		steps []step
	}{
		{"default: the project's alert_after, first success recovers", JobAlertRules{AlertAfter: 2}, []step{
			{0, "f", "", "healthy 1/0 false"},
			{1, "s", "", "healthy 0/0 false"},
			{2, "ff", "job.failing", "failing 2/0 false"},
			{3, "f", "", "failing 3/0 false"},
			{4, "sf", "job.recovered", "healthy 1/0 false"}, // recovered, then one failure below the threshold
			{5, "fs", "", "healthy 0/0 false"},
			{6, "fffs", "", "healthy 0/0 false"}, // failed and recovered in one batch: no flip
		}},
		{"the policy's threshold wins over alert_after", JobAlertRules{AlertAfter: 5, Policy: prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 3}}, []step{
			{0, "f", "job.failing", "failing 1/0 false"},
			{1, "ss", "", "failing 0/2 false"},
			{2, "s", "job.recovered", "healthy 0/0 false"},
		}},
		{"re-alert on a failure at least RealertEvery after the alert", JobAlertRules{AlertAfter: 1, Policy: prikke.AlertPolicy{RealertEvery: 10 * time.Minute}}, []step{
			{0, "f", "job.failing", "failing 1/0 false"},
			{9, "f", "", "failing 2/0 false"},
			{10, "f", "job.failing", "failing 3/0 false"},
			{15, "s", "job.recovered", "healthy 0/0 false"},
		}},
		{"the project's snooze holds the alert until the first run after it", JobAlertRules{AlertAfter: 1, ProjectSnooze: &later,
			Policy: prikke.AlertPolicy{RealertEvery: time.Minute}}, []step{
			{0, "f", "job.failing(muted)", "failing 1/0 true"},
			{30, "f", "", "failing 2/0 true"}, // no re-alert while muted
			{60, "f", "job.failing", "failing 3/0 false"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := JobAlertState{Health: prikke.JobHealthy}
			for _, s := range c.steps {
				o := &JobOutcome{LastRunAt: t0.Add(time.Duration(s.min) * time.Minute)}
				for _, r := range s.results {
					o.Results = append(o.Results, r == 's')
				}
				var f *JobFlip
				st, f = JobHealthAfter(o, st, c.rules)
				got := ""
				if f != nil {
					got = string(f.Event)
					if f.Muted {
						got += "(muted)"
					}
				}
				if got != s.flip {
					t.Errorf("minute %d %s: flip %q, want %q", s.min, s.results, got, s.flip)
				}
				if g := fmt.Sprintf("%s %d/%d %v", st.Health, st.Failures, st.Successes, st.Held); g != s.state {
					t.Errorf("minute %d %s: state %q, want %q", s.min, s.results, g, s.state)
				}
			}
		})
	}
}
