package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/store/storetest"
)

// TestUnauthorizedNamesWhereKeysAre: a request without credentials is told
// how to authenticate and where the dashboard keeps API keys, in the
// sidebar's words (Organization → API keys; web's TestAPIKeysPlace checks
// that the sidebar, the docs and the README say the same).
func TestUnauthorizedNamesWhereKeysAre(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite(t))
	r := s.anon().do("GET", "/api/v1/jobs", nil)
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/jobs without a key = %d %s; want 401", r.Status, r.Body)
	}
	p := r.problem(t)
	if !strings.Contains(p.Detail, "Authorization: Bearer pk_live_") || !strings.Contains(p.Detail, "Organization → API keys") {
		t.Errorf("401 detail %q; want how to send a key and where to create one (Organization → API keys)", p.Detail)
	}
	if strings.Contains(p.Detail, "Settings") {
		t.Errorf("401 detail %q names a Settings page the dashboard does not have", p.Detail)
	}
}
