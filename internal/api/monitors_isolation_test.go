package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestMonitorTenantIsolation: with another organization's key, every
// monitor route answers 404 for this organization's monitor, its pings
// and its project, changes nothing, and the list does not show it.
func TestMonitorTenantIsolation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		mine, theirs := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		c, them := s.withKey(mine.key), s.withKey(theirs.key)
		now := time.Now().UTC().Truncate(time.Second)
		s.clock.set(now)
		m := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("backup", `"period":"1h"`)), 201, "create")
		recordPings(t, s, m, now, &prikke.Ping{Kind: prikke.PingSuccess, Body: []byte("secret output")})
		m = monitorOf(t, c.do("GET", "/api/v1/monitors/"+m.ID, nil), 200, "after the ping")
		pings := c.do("GET", "/api/v1/monitors/"+m.ID+"/pings", nil)
		if pings.Status != 200 {
			t.Fatalf("own pings = %d", pings.Status)
		}
		var page struct{ Pings []struct{ ID string } }
		pings.json(t, &page)
		if len(page.Pings) != 1 {
			t.Fatalf("%d pings", len(page.Pings))
		}
		path := "/api/v1/monitors/" + m.ID
		proj := "/api/v1/projects/" + mine.project.ID.String()
		until := `{"until":"` + now.Add(time.Hour).Format(time.RFC3339) + `"}`
		for _, tc := range []struct{ method, path, body string }{
			{"GET", path, ""},
			{"PATCH", path, `{"name":"pwned"}`},
			{"DELETE", path, ""},
			{"POST", path + "/pause", ""},
			{"POST", path + "/resume", ""},
			{"POST", path + "/snooze", until},
			{"GET", path + "/pings", ""},
			{"GET", path + "/pings/" + page.Pings[0].ID, ""},
			{"GET", path + "/flips", ""},
			{"PUT", proj + "/monitors/by-slug/backup", `{"name":"pwned"}`},
			{"PUT", proj + "/monitors/by-slug/new-one", `{"name":"pwned"}`},
			{"POST", proj + "/snooze", until},
		} {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := them.do(tc.method, tc.path, body)
			if r.Status != 404 || strings.Contains(string(r.Body), "secret output") || strings.Contains(string(r.Body), "backup") {
				t.Errorf("%s %s as another organization = %d %s; want 404", tc.method, tc.path, r.Status, truncate(r.Body))
			}
		}
		r := them.do("POST", "/api/v1/monitors", `{"slug":"x","project_id":"`+mine.project.ID.String()+`"}`)
		if r.Status != 404 && r.Status != 422 {
			t.Errorf("create in another organization's project = %d %s", r.Status, truncate(r.Body))
		}
		if r := them.do("GET", "/api/v1/monitors", nil); strings.Contains(string(r.Body), m.ID) {
			t.Errorf("another organization's list shows the monitor: %s", truncate(r.Body))
		}
		if r := them.do("GET", "/api/v1/monitors?project_id="+mine.project.ID.String(), nil); strings.Contains(string(r.Body), m.ID) {
			t.Errorf("another organization's list by project shows the monitor: %d", r.Status)
		}
		after := monitorOf(t, c.do("GET", path, nil), 200, "after")
		if after.Name != m.Name || after.Status != m.Status || after.SnoozeUntil != nil {
			t.Errorf("changed by another organization: %+v", after)
		}
	})
}
