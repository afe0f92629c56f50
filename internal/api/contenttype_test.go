package api_test

import (
	"testing"

	"github.com/prikke/prikke"
)

// TestJobContentType: content_type sets the Content-Type header a job is
// delivered with; without one the job reports application/json for a JSON
// body; "" removes it again; the content type given as a header is shown
// the same way.
func TestJobContentType(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		type job struct {
			ID          string            `json:"id"`
			ContentType *string           `json:"content_type"`
			Headers     map[string]string `json:"headers"`
		}
		check := func(what string, r *response, status int, want string, header string) job {
			t.Helper()
			var j job
			r.json(t, &j)
			got := ""
			if j.ContentType != nil {
				got = *j.ContentType
			}
			if r.Status != status || got != want || j.Headers["Content-Type"] != header {
				t.Errorf("%s = %d %s; want content_type %q and header %q", what, r.Status, r.Body, want, header)
			}
			return j
		}
		j := check("JSON body, none given", c.do("POST", "/api/v1/jobs", map[string]any{"name": "ct", "url": "https://example.com/hook",
			"interval": "hourly", "method": "POST", "body": `{"a":1}`}), 201, "application/json", "")
		check("content_type given", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"content_type": "text/csv"}), 200, "text/csv", "text/csv")
		check("body changed, type kept", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"body": "a,b\n1,2"}), 200, "text/csv", "text/csv")
		check("content_type removed", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"content_type": ""}), 200, "", "")
		check("as a header", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"headers": map[string]string{"Content-Type": "text/plain"}}), 200, "text/plain", "text/plain")
		check("both, the same", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"content_type": "text/plain",
			"headers": map[string]string{"Content-Type": "text/plain", "X-A": "1"}}), 200, "text/plain", "text/plain")
		check("read back", c.do("GET", "/api/v1/jobs/"+j.ID, nil), 200, "text/plain", "text/plain")
		check("empty content_type keeps the header given with it", c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"content_type": "",
			"headers": map[string]string{"Content-Type": "application/xml"}}), 200, "application/xml", "application/xml")
	})
}
