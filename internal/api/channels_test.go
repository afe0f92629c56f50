package api_test

import (
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

func TestChannelsAndStatusPages(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		a := s.newTenant(prikke.TierPro)
		c := s.withKey(a.key)
		p := a.project.ID.String()
		r := c.do("POST", "/api/v1/projects/"+p+"/channels", map[string]string{"target": "https://hooks.slack.com/services/T000/B000/XXXX"})
		var slack struct{ ID, Kind, Name, Target string }
		r.json(t, &slack)
		if r.Status != 201 || slack.Kind != "slack" || slack.Name != "Slack" {
			t.Fatalf("slack channel = %d %s", r.Status, r.Body)
		}
		// The path of a Slack URL is its secret: never shown again.
		if slack.Target != "hooks.slack.com/…" {
			t.Errorf("slack target shown as %q", slack.Target)
		}
		if r := c.do("GET", "/api/v1/projects/"+p+"/channels", nil); strings.Contains(string(r.Body), "XXXX") {
			t.Errorf("channel list shows the Slack secret: %s", r.Body)
		}
		r = c.do("POST", "/api/v1/projects/"+p+"/channels", map[string]string{"target": "Ops@Example.com", "name": "ops"})
		var mail struct {
			ID, Kind, Target string
			Confirmed        bool
		}
		r.json(t, &mail)
		if r.Status != 201 || mail.Kind != "email" || mail.Target != "ops@example.com" || mail.Confirmed {
			t.Fatalf("email channel = %d %s", r.Status, r.Body)
		}
		tok := tokenFrom(t, s.lastMail("ops@example.com").Text)
		if _, err := s.svc.ConfirmChannel(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		if r = c.do("GET", "/api/v1/projects/"+p+"/channels", nil); !strings.Contains(string(r.Body), `"confirmed":true`) {
			t.Errorf("after confirming: %s", r.Body)
		}
		for _, bad := range []map[string]string{{"target": ""}, {"target": "ftp://x"}, {"target": "http://127.0.0.1:8080/"}, {"target": "not an address"}} {
			if r = c.do("POST", "/api/v1/projects/"+p+"/channels", bad); r.Status != 422 || !strings.Contains(string(r.Body), `"location":"body.target"`) {
				t.Errorf("channel %v = %d %s", bad, r.Status, r.Body)
			}
		}
		if r = c.do("PATCH", "/api/v1/channels/"+slack.ID, map[string]any{"enabled": false}); r.Status != 200 || !strings.Contains(string(r.Body), `"enabled":false`) {
			t.Errorf("disable = %d %s", r.Status, r.Body)
		}
		if r = c.do("DELETE", "/api/v1/channels/"+slack.ID, nil); r.Status != 204 {
			t.Errorf("delete = %d", r.Status)
		}
		// A job with its own channel list.
		r = c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/", "interval": "hourly", "notify": "custom", "channel_ids": []string{mail.ID}})
		if r.Status != 201 || !strings.Contains(string(r.Body), mail.ID) {
			t.Fatalf("job with custom channels = %d %s", r.Status, r.Body)
		}
		var job struct{ ID string }
		r.json(t, &job)
		other := s.newTenant(prikke.TierPro)
		oc := s.withKey(other.key)
		r = oc.do("POST", "/api/v1/projects/"+other.project.ID.String()+"/channels", map[string]string{"target": "https://example.org/x"})
		var foreign struct{ ID string }
		r.json(t, &foreign)
		if r = c.do("PATCH", "/api/v1/jobs/"+job.ID, map[string]any{"channel_ids": []string{foreign.ID}}); r.Status != 422 {
			t.Errorf("another tenant's channel on a job = %d %s", r.Status, r.Body)
		}
		// Status pages.
		page := map[string]any{"slug": "acme-status", "title": "Acme", "published": true,
			"jobs": []map[string]string{{"job_id": job.ID, "display_name": "Reports"}}}
		if r = c.do("POST", "/api/v1/projects/"+p+"/status-pages", page); r.Status != 201 || !strings.Contains(string(r.Body), `"url":"/s/acme-status"`) {
			t.Fatalf("status page = %d %s", r.Status, r.Body)
		}
		if r = oc.do("POST", "/api/v1/projects/"+other.project.ID.String()+"/status-pages", map[string]any{"slug": "acme-status", "title": "x"}); r.Status != 422 ||
			!strings.Contains(string(r.Body), "taken") {
			t.Errorf("taken slug = %d %s", r.Status, r.Body)
		}
		if r = oc.do("POST", "/api/v1/projects/"+other.project.ID.String()+"/status-pages", map[string]any{"slug": "mine", "title": "x",
			"jobs": []map[string]string{{"job_id": job.ID, "display_name": "stolen"}}}); r.Status != 422 {
			t.Errorf("another tenant's job on a page = %d %s", r.Status, r.Body)
		}
		// Monitors on a page: the project's own, shown under their display names.
		mon := monitorOf(t, c.do("POST", "/api/v1/monitors", monitorWith("nightly", `"project_id":`+jstr(p), `"period":"1h"`, `"grace":"5m"`)), 201, "monitor")
		if r = c.do("POST", "/api/v1/projects/"+p+"/status-pages", map[string]any{"slug": "acme-crons", "title": "Crons",
			"monitors": []map[string]string{{"monitor_id": mon.ID, "display_name": "Nightly backup"}}}); r.Status != 201 ||
			!strings.Contains(string(r.Body), `"monitors":[{"monitor_id":"`+mon.ID+`","display_name":"Nightly backup"}]`) {
			t.Errorf("page with a monitor = %d %s", r.Status, r.Body)
		}
		if r = oc.do("POST", "/api/v1/projects/"+other.project.ID.String()+"/status-pages", map[string]any{"slug": "theirs", "title": "x",
			"monitors": []map[string]string{{"monitor_id": mon.ID, "display_name": "stolen"}}}); r.Status != 422 ||
			!strings.Contains(string(r.Body), "monitors[0].monitor_id") {
			t.Errorf("another tenant's monitor on a page = %d %s", r.Status, r.Body)
		}
		if r = c.do("POST", "/api/v1/projects/"+p+"/status-pages", map[string]any{"slug": "bad-ids", "title": "x",
			"monitors": []map[string]string{{"monitor_id": "nope", "display_name": "x"}}}); r.Status != 422 ||
			!strings.Contains(string(r.Body), "monitors[0].monitor_id") {
			t.Errorf("a bad monitor id on a page = %d %s", r.Status, r.Body)
		}
		if r = c.do("POST", "/api/v1/projects/"+p+"/status-pages", map[string]any{"slug": "-Bad", "title": ""}); r.Status != 422 ||
			!strings.Contains(string(r.Body), "body.slug") || !strings.Contains(string(r.Body), "body.title") {
			t.Errorf("bad page = %d %s", r.Status, r.Body)
		}
	})
}
