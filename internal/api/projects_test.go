package api_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestProjectPingKeyAndSnooze: a project in the API carries its ping key
// (for slug ping URLs) and, while it is snoozed, snooze_until, in get,
// list and update alike; a rename keeps the snooze; the OpenAPI document
// describes both.
func TestProjectPingKeyAndSnooze(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		path := "/api/v1/projects/" + tn.project.ID.String()
		type project struct {
			ID          string     `json:"id"`
			Name        string     `json:"name"`
			PingKey     *string    `json:"ping_key"`
			SnoozeUntil *time.Time `json:"snooze_until"`
		}
		get := func() project {
			t.Helper()
			var p project
			r := c.do("GET", path, nil)
			r.json(t, &p)
			if r.Status != 200 {
				t.Fatalf("get project = %d %s", r.Status, r.Body)
			}
			return p
		}
		p := get()
		if p.PingKey == nil || *p.PingKey == "" || *p.PingKey != tn.project.PingKey || p.SnoozeUntil != nil {
			t.Fatalf("project = %+v; want ping key %q and no snooze", p, tn.project.PingKey)
		}

		until := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
		if r := c.do("POST", path+"/snooze", map[string]any{"until": until.Format(time.RFC3339)}); r.Status != 200 {
			t.Fatalf("snooze = %d %s", r.Status, r.Body)
		}
		if p := get(); p.SnoozeUntil == nil || !p.SnoozeUntil.Equal(until) {
			t.Errorf("snoozed project = %+v; want snooze_until %s", p, until)
		}
		var ps []project
		r := c.do("GET", "/api/v1/projects", nil)
		r.json(t, &ps)
		if r.Status != 200 || len(ps) != 1 || ps[0].SnoozeUntil == nil || !ps[0].SnoozeUntil.Equal(until) ||
			ps[0].PingKey == nil || *ps[0].PingKey != tn.project.PingKey {
			t.Errorf("project list = %d %s", r.Status, r.Body)
		}
		var up project
		r = c.do("PATCH", path, map[string]any{"name": "renamed"})
		r.json(t, &up)
		if r.Status != 200 || up.Name != "renamed" || up.SnoozeUntil == nil || !up.SnoozeUntil.Equal(until) ||
			up.PingKey == nil || *up.PingKey != tn.project.PingKey {
			t.Errorf("renamed project = %d %s; want the snooze and ping key kept", r.Status, r.Body)
		}

		if r := c.do("POST", path+"/snooze", map[string]any{"until": nil}); r.Status != 200 {
			t.Fatalf("unsnooze = %d %s", r.Status, r.Body)
		}
		var raw map[string]json.RawMessage
		r = c.do("GET", path, nil)
		r.json(t, &raw)
		if _, ok := raw["snooze_until"]; ok || r.Status != 200 {
			t.Errorf("unsnoozed project = %d %s; want no snooze_until", r.Status, r.Body)
		}
	})

	raw, err := newServer(t, nil).api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type   any    `json:"type"`
					Format string `json:"format"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	sch := doc.Components.Schemas["Project"]
	if p, ok := sch.Properties["ping_key"]; !ok || p.Type != "string" || !slices.Contains(sch.Required, "ping_key") {
		t.Errorf("spec's Project.ping_key = %+v, %v; want a required string", p, ok)
	}
	if p, ok := sch.Properties["snooze_until"]; !ok || p.Format != "date-time" || slices.Contains(sch.Required, "snooze_until") {
		t.Errorf("spec's Project.snooze_until = %+v, %v; want an optional date-time", p, ok)
	}
}
