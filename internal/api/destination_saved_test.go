package api_test

import (
	"testing"

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
		for _, target := range []string{"http://localhost:8099/hook", "http://127.0.0.1:8099/hook"} {
			j := s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name, j.URL = "local", target })
			path := "/api/v1/jobs/" + j.ID.String()
			c.run(t, target, []apiStep{
				{"POST", path + "/pause", nil, 200},
				{"POST", path + "/resume", nil, 200},
				{"PATCH", path, map[string]any{"name": "renamed"}, 200},
				{"PATCH", path, map[string]any{"timeout_ms": 5000}, 200},
				{"PATCH", path, map[string]any{"url": "http://10.0.0.5/hook"}, 422},
				{"PATCH", path, map[string]any{"url": target, "name": "renamed"}, 200}, // the dashboard sends the URL unchanged
			})
			var got struct{ URL, Name string }
			c.do("GET", path, nil).json(t, &got)
			if got.URL != target || got.Name != "renamed" {
				t.Errorf("%s: stored url %q, name %q; want the URL kept and the new name", target, got.URL, got.Name)
			}
		}
	})
}
