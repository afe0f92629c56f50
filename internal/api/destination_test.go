package api_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
)

// fieldMessage returns the problem's message for location, failing the
// test unless the response is a 422 naming it.
func fieldMessage(t *testing.T, r *response, location string) string {
	t.Helper()
	if r.Status != 422 {
		t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
	}
	for _, e := range r.problem(t).Errors {
		if e.Location == location {
			return e.Message
		}
	}
	t.Fatalf("no error at %s: %s", location, r.Body)
	return ""
}

// #1, #20: a destination that can never pass the delivery guard is refused
// when it is saved, whether written as an address or as a name that can
// only mean this machine, with the guard's reason and where to read how to
// test against one's own machine: jobs (created and changed), queued
// requests and notification channels alike.
func TestSaveRefusesThisMachine(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		a := s.newTenant(prikke.TierPro)
		c := s.withKey(a.key)
		hint := "; to test against your own machine, see http://prikke.test/docs/own-machine"
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/ok", "interval": "hourly"})
		var job struct{ ID string }
		r.json(t, &job)
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		for _, tt := range []struct{ url, want string }{
			{"http://127.0.0.1:8099/x", "destination not allowed: 127.0.0.1 (loopback)" + hint},
			{"http://localhost:8099/x", "destination not allowed: localhost (loopback)" + hint},
			{"http://localhost.:8099/x", "destination not allowed: localhost. (loopback)" + hint},
			{"http://LocalHost:8099/x", "destination not allowed: LocalHost (loopback)" + hint},
			{"https://app.localhost/x", "destination not allowed: app.localhost (loopback)" + hint},
			{"http://api.Dev.LOCALHOST./x", "destination not allowed: api.Dev.LOCALHOST. (loopback)" + hint},
			{"http://[::1]:8099/x", "destination not allowed: ::1 (loopback)" + hint},
			{"http://10.0.0.5/x", "destination not allowed: 10.0.0.5 (private)" + hint},
			{"http://169.254.169.254/latest", "destination not allowed: 169.254.169.254 (metadata)"},
		} {
			for _, req := range []struct{ method, path string }{{"POST", "/api/v1/jobs"}, {"PATCH", "/api/v1/jobs/" + job.ID}, {"POST", "/api/v1/queue"}} {
				body := map[string]any{"url": tt.url}
				if req.path == "/api/v1/jobs" {
					body["interval"] = "hourly"
				}
				if got := fieldMessage(t, c.do(req.method, req.path, body), "body.url"); got != tt.want {
					t.Errorf("%s %s %s: %q, want %q", req.method, req.path, tt.url, got, tt.want)
				}
			}
			if strings.HasPrefix(tt.url, "https") {
				continue
			}
			// A channel gets the same refusal (https, so the scheme is not
			// what is refused).
			target := "https" + strings.TrimPrefix(tt.url, "http")
			want := strings.Replace(tt.want, ":8099", "", 1)
			if got := fieldMessage(t, c.do("POST", "/api/v1/projects/"+a.project.ID.String()+"/channels", map[string]string{"target": target}), "body.target"); got != want {
				t.Errorf("channel %s: %q, want %q", target, got, want)
			}
		}
		if n := s.countRows("jobs"); n != 1 {
			t.Errorf("%d jobs stored, want only the first", n)
		}
	})
}

// #8: notifications go out over TLS: a webhook, Slack or Discord channel
// with a plain http:// URL is refused.
func TestChannelRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		a := s.newTenant(prikke.TierPro)
		c := s.withKey(a.key)
		path := "/api/v1/projects/" + a.project.ID.String() + "/channels"
		for _, target := range []string{"http://example.com/hook", "HTTP://example.com/hook", "http://hooks.slack.com/services/T000/B000/XXXX", "http://discord.com/api/webhooks/1/abc"} {
			got := fieldMessage(t, c.do("POST", path, map[string]string{"target": target}), "body.target")
			if got != "must be an https:// URL: notifications are not sent over plain http" {
				t.Errorf("%s: %q", target, got)
			}
		}
		if r := c.do("POST", path, map[string]string{"target": "https://example.com/hook"}); r.Status != 201 {
			t.Errorf("https channel = %d %s", r.Status, r.Body)
		}
		if n := s.countRows("channels"); n != 1 {
			t.Errorf("%d channels stored, want 1", n)
		}
	})
}

// #1, #8: with the guard relaxed for development (PRIKKE_SSRF_ALLOW=
// loopback), this machine is accepted by address and by name, a channel
// may use plain http to it, and everything else is refused as before.
func TestSaveRelaxedForDevelopment(t *testing.T) {
	t.Parallel()
	loopback := delivery.Options{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	dialects(t, func(t *testing.T, st *server) {
		s := newServer(t, st.store, loopback)
		a := s.newTenant(prikke.TierPro)
		c := s.withKey(a.key)
		for _, u := range []string{"http://127.0.0.1:8099/x", "http://localhost:8099/x", "http://localhost.:8099/x", "http://app.localhost:3000/x", "http://[::1]:8099/x"} {
			if r := c.do("POST", "/api/v1/jobs", map[string]any{"url": u, "interval": "hourly"}); r.Status != 201 {
				t.Errorf("job %s = %d %s", u, r.Status, r.Body)
			}
			if r := c.do("POST", "/api/v1/queue", map[string]any{"url": u}); r.Status != 201 && r.Status != 202 {
				t.Errorf("queue %s = %d %s", u, r.Status, r.Body)
			}
			if r := c.do("POST", "/api/v1/projects/"+a.project.ID.String()+"/channels", map[string]string{"target": u}); r.Status != 201 {
				t.Errorf("channel %s = %d %s", u, r.Status, r.Body)
			}
		}
		for _, tt := range []struct{ url, want string }{
			{"http://localhost:6379/x", "destination port not allowed: 6379"},
			{"http://10.0.0.5/x", "destination not allowed: 10.0.0.5 (private); to test against your own machine, see http://prikke.test/docs/own-machine"},
		} {
			if got := fieldMessage(t, c.do("POST", "/api/v1/jobs", map[string]any{"url": tt.url, "interval": "hourly"}), "body.url"); got != tt.want {
				t.Errorf("%s: %q, want %q", tt.url, got, tt.want)
			}
		}
		got := fieldMessage(t, c.do("POST", "/api/v1/projects/"+a.project.ID.String()+"/channels", map[string]string{"target": "http://example.com/hook"}), "body.target")
		if got != "must be an https:// URL: notifications are not sent over plain http" {
			t.Errorf("plain http to a public host: %q", got)
		}
	})
}
