package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// TestUsageMaxJobs: an unlimited tier reports max_jobs as null, not 0 (which
// reads as "no jobs allowed"), a limited one its number, and the OpenAPI
// document says the field may be null.
func TestUsageMaxJobs(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		for _, tc := range []struct {
			tier prikke.Tier
			want string
		}{{prikke.TierPro, "null"}, {prikke.TierFree, "5"}} {
			tn := s.newTenant(tc.tier)
			r := s.withKey(tn.key).do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/usage", nil)
			var u map[string]json.RawMessage
			r.json(t, &u)
			if r.Status != 200 || string(u["max_jobs"]) != tc.want {
				t.Errorf("%s usage = %d %s; want max_jobs %s", tc.tier, r.Status, r.Body, tc.want)
			}
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
					Type        any    `json:"type"`
					Description string `json:"description"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	p, ok := doc.Components.Schemas["Usage"].Properties["max_jobs"]
	types, _ := p.Type.([]any)
	if !ok || !slices.Contains(types, any("null")) || !slices.Contains(types, any("integer")) {
		t.Errorf("spec's Usage.max_jobs type = %v; want integer or null", p.Type)
	}
	if !strings.Contains(p.Description, "jobs and monitors together") {
		t.Errorf("spec's Usage.max_jobs = %q; want it to say monitors count too", p.Description)
	}
	if m, ok := doc.Components.Schemas["Usage"].Properties["monitors"]; !ok || m.Type != "integer" ||
		!slices.Contains(doc.Components.Schemas["Usage"].Required, "monitors") {
		t.Errorf("spec's Usage.monitors = %+v, %v; want a required integer", m, ok)
	}
}

// TestUsageCountsMonitors: the usage report counts monitors beside jobs,
// each organization its own, since they share the tier's job limit.
func TestUsageCountsMonitors(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn, other := s.newTenant(prikke.TierFree), s.newTenant(prikke.TierFree)
		s.storeOldJob(t, tn, func(j *prikke.Job) {})
		c := s.withKey(tn.key)
		for _, slug := range []string{"backup", "report"} {
			r := c.do("POST", "/api/v1/monitors", map[string]any{"project_id": tn.project.ID.String(), "name": slug, "slug": slug,
				"period": "10m", "grace": "5m"})
			if r.Status != 201 {
				t.Fatalf("create monitor = %d %s", r.Status, r.Body)
			}
		}
		var u struct {
			Jobs, Monitors int
			MaxJobs        *int `json:"max_jobs"`
		}
		r := c.do("GET", "/api/v1/organizations/"+tn.org.ID.String()+"/usage", nil)
		r.json(t, &u)
		if r.Status != 200 || u.Jobs != 1 || u.Monitors != 2 || u.MaxJobs == nil || *u.MaxJobs != 5 {
			t.Errorf("usage = %d %s; want 1 job, 2 monitors, max 5", r.Status, r.Body)
		}
		r = s.withKey(other.key).do("GET", "/api/v1/organizations/"+other.org.ID.String()+"/usage", nil)
		r.json(t, &u)
		if r.Status != 200 || u.Jobs != 0 || u.Monitors != 0 {
			t.Errorf("the other organization's usage = %d %s; want none", r.Status, r.Body)
		}
	})
}
