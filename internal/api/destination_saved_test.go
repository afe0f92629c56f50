package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestSavedRefusedDestinationStillPauses: a job saved for this machine
// (under a development allow list, or before such addresses were refused
// on save) can still be paused, resumed and edited in other fields once
// the allow list is off; only a new URL is checked, so changing it to
// another refused destination is still refused.
func TestSavedRefusedDestinationStillPauses(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		now := time.Now().UTC().Truncate(time.Microsecond)
		for _, target := range []string{"http://localhost:8099/hook", "http://127.0.0.1:8099/hook"} {
			j := &prikke.Job{ID: prikke.NewID(), ProjectID: tn.project.ID, OrganizationID: tn.org.ID, Kind: prikke.JobKindCron,
				Name: "local", URL: target, Method: "GET", Headers: []prikke.Header{}, Enabled: true,
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
				{"PATCH", path, map[string]any{"name": "renamed"}, 200},
				{"PATCH", path, map[string]any{"timeout_ms": 5000}, 200},
				{"PATCH", path, map[string]any{"url": "http://10.0.0.5/hook"}, 422},
				{"PATCH", path, map[string]any{"url": target, "name": "renamed"}, 200}, // the dashboard sends the URL unchanged
			} {
				if r := c.do(step.method, step.path, step.body); r.Status != step.status {
					t.Errorf("%s: %s %s = %d %s; want %d", target, step.method, step.path, r.Status, r.Body, step.status)
				}
			}
			var got struct{ URL, Name string }
			c.do("GET", path, nil).json(t, &got)
			if got.URL != target || got.Name != "renamed" {
				t.Errorf("%s: stored url %q, name %q; want the URL kept and the new name", target, got.URL, got.Name)
			}
		}
	})
}
