package api_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestJobAlertPolicy: a job's alert_policy is written, shown, replaced as
// a whole, and refused field by field with the field's name.
func TestJobAlertPolicy(t *testing.T) {
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		now := time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC)
		s.clock.set(now)
		defer s.clock.reset()
		type policy struct {
			FailThreshold     int        `json:"fail_threshold"`
			RecoveryThreshold int        `json:"recovery_threshold"`
			RealertEvery      string     `json:"realert_every"`
			SnoozeUntil       *time.Time `json:"snooze_until"`
			Window            *struct {
				Cron     string `json:"cron"`
				Timezone string `json:"timezone"`
				Duration string `json:"duration"`
				SkipRuns bool   `json:"skip_runs"`
			} `json:"window"`
		}
		type job struct {
			ID          string  `json:"id"`
			AlertPolicy *policy `json:"alert_policy"`
		}

		// The default: the project's alert_after, recovery after 1.
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/a", "interval": "hourly"})
		var j job
		r.json(t, &j)
		if r.Status != 201 || j.AlertPolicy == nil || j.AlertPolicy.FailThreshold != 0 || j.AlertPolicy.RecoveryThreshold != 1 ||
			j.AlertPolicy.RealertEvery != "" || j.AlertPolicy.SnoozeUntil != nil || j.AlertPolicy.Window != nil {
			t.Fatalf("default policy = %d %s", r.Status, r.Body)
		}

		full := map[string]any{"fail_threshold": 3, "recovery_threshold": 2, "realert_every": "90m",
			"snooze_until": "2026-06-11T12:00:00+02:00",
			"window":       map[string]any{"cron": "0 2 * * 0", "duration": "2h", "skip_runs": true}}
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"timezone": "Europe/Oslo", "alert_policy": full})
		r.json(t, &j)
		p := j.AlertPolicy
		if r.Status != 200 || p.FailThreshold != 3 || p.RecoveryThreshold != 2 || p.RealertEvery != "1h30m" ||
			p.SnoozeUntil == nil || !p.SnoozeUntil.Equal(time.Date(2026, 6, 11, 10, 0, 0, 0, time.UTC)) ||
			p.Window == nil || p.Window.Cron != "0 2 * * 0" || p.Window.Timezone != "Europe/Oslo" || p.Window.Duration != "2h" || !p.Window.SkipRuns {
			t.Fatalf("policy after update = %d %s", r.Status, r.Body)
		}
		// Another field's update keeps the policy; a new policy replaces it.
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"name": "renamed"})
		r.json(t, &j)
		if j.AlertPolicy.FailThreshold != 3 || j.AlertPolicy.Window == nil {
			t.Errorf("policy after a name change = %s", r.Body)
		}
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"alert_policy": map[string]any{"fail_threshold": 2, "snooze_until": nil}})
		j = job{ID: j.ID}
		r.json(t, &j)
		if p := j.AlertPolicy; r.Status != 200 || p.FailThreshold != 2 || p.RecoveryThreshold != 1 || p.SnoozeUntil != nil || p.Window != nil {
			t.Errorf("replaced policy = %d %s", r.Status, r.Body)
		}

		// Errors name the field, each once.
		for _, tc := range []struct {
			policy map[string]any
			want   []string
		}{
			{map[string]any{"fail_threshold": 101, "recovery_threshold": -1}, []string{"body.alert_policy.fail_threshold", "body.alert_policy.recovery_threshold"}},
			{map[string]any{"realert_every": "soon"}, []string{"body.alert_policy.realert_every"}},
			{map[string]any{"realert_every": "30s"}, []string{"body.alert_policy.realert_every"}},
			{map[string]any{"snooze_until": "2026-06-10T09:00:00Z"}, []string{"body.alert_policy.snooze_until"}},
			{map[string]any{"snooze_until": "2028-06-10T09:00:00Z"}, []string{"body.alert_policy.snooze_until"}},
			{map[string]any{"window": map[string]any{"cron": "0 25 * * *", "timezone": "Mars/Olympus", "duration": "8d"}},
				[]string{"body.alert_policy.window.cron", "body.alert_policy.window.duration", "body.alert_policy.window.timezone"}},
			{map[string]any{"window": map[string]any{"cron": "0 2 * * *", "duration": "long"}}, []string{"body.alert_policy.window.duration"}},
			{map[string]any{"window": map[string]any{"duration": "1h", "skip_runs": true}}, []string{"body.alert_policy.window.cron"}},
		} {
			r := c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"alert_policy": tc.policy})
			if r.Status != 422 {
				t.Errorf("%v: status %d %s; want 422", tc.policy, r.Status, r.Body)
				continue
			}
			var got []string
			for _, e := range r.problem(t).Errors {
				got = append(got, e.Location)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%v: errors at %v; want %v (%s)", tc.policy, got, tc.want, r.Body)
			}
		}
	})
}
