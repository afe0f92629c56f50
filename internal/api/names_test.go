package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestOldJobNamesStillPause: jobs saved before names were required and
// refused formatting characters can still be paused, resumed and edited
// in other fields; only a new name must follow the rules.
func TestOldJobNamesStillPause(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, name := range []string{"", "evil\u202Etxt.exe"} {
			j := &prikke.Job{ID: prikke.NewID(), ProjectID: tn.project.ID, OrganizationID: tn.org.ID, Kind: prikke.JobKindCron,
				Name: name, URL: "https://example.com/old", Method: "GET", Headers: []prikke.Header{}, Enabled: true,
				TimeoutMS: prikke.DefaultTimeoutMS, RetryAttempts: prikke.DefaultRetryAttempts, CronExpression: "0 * * * *",
				TimeZone: "UTC", CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow, Overlap: prikke.OverlapAllow,
				NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy, IntervalMinutes: 60, CreatedAt: now, UpdatedAt: now}
			if err := s.store.JobCreateMany(context.Background(), []*prikke.Job{j}); err != nil {
				t.Fatal(err)
			}
			path := "/api/v1/jobs/" + j.ID.String()
			for _, step := range []struct {
				method, path string
				body         any
				status       int
			}{
				{"POST", path + "/pause", nil, 200},
				{"POST", path + "/resume", nil, 200},
				{"PATCH", path, map[string]any{"timeout_ms": 5000}, 200},
				{"PATCH", path, map[string]any{"name": name}, 422},
				{"PATCH", path, map[string]any{"name": "renamed"}, 200},
			} {
				if r := c.do(step.method, step.path, step.body); r.Status != step.status {
					t.Errorf("%q: %s %s = %d %s; want %d", name, step.method, step.path, r.Status, r.Body, step.status)
				}
			}
		}
	})
}
