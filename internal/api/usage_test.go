package api_test

import (
	"encoding/json"
	"slices"
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
}
