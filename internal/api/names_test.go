package api_test

import (
	"fmt"
	"testing"

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
		for _, name := range []string{"", "evil\u202Etxt.exe"} {
			j := s.storeOldJob(t, tn, func(j *prikke.Job) { j.Name = name })
			path := "/api/v1/jobs/" + j.ID.String()
			c.run(t, fmt.Sprintf("%q", name), []apiStep{
				{"POST", path + "/pause", nil, 200},
				{"POST", path + "/resume", nil, 200},
				{"PATCH", path, map[string]any{"timeout_ms": 5000}, 200},
				{"PATCH", path, map[string]any{"name": name}, 422},
				{"PATCH", path, map[string]any{"name": "renamed"}, 200},
			})
		}
	})
}
