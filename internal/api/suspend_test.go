package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/service"
)

// TestSuspendedOrganization: while an operator has the organization
// suspended, its API keys answer 403 problem+json whose detail carries the
// operator's reason; its members signed in may read but change nothing;
// once lifted, the key works again.
func TestSuspendedOrganization(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant("pro")
		key := s.withKey(tn.key)
		if r := key.do("POST", "/api/v1/jobs", jobWith(`"name":"before"`)); r.Status != 201 {
			t.Fatalf("create before = %d %s", r.Status, r.Body)
		}
		sess := s.login(tn)
		if _, err := s.svc.SuspendOrganization(ctx, service.CLIOperator(), tn.org.ID, "Phishing pages on the job targets"); err != nil {
			t.Fatal(err)
		}
		const detail = "This organization is suspended by the operator: Phishing pages on the job targets"
		for _, req := range []struct{ method, path string }{{"GET", "/api/v1/jobs"}, {"POST", "/api/v1/jobs"}, {"GET", "/api/v1/organizations"}} {
			var body any
			if req.method == "POST" {
				body = jobWith(`"name":"during"`)
			}
			r := key.do(req.method, req.path, body)
			if r.Status != 403 {
				t.Errorf("key %s %s = %d %s", req.method, req.path, r.Status, r.Body)
				continue
			}
			if p := r.problem(t); p.Status != 403 || p.Title != "Forbidden" || p.Detail != detail {
				t.Errorf("key %s %s problem = %+v", req.method, req.path, p)
			}
		}
		// A member signed in reads, and is refused changes with the reason.
		if r := sess.do("GET", "/api/v1/jobs", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"before"`) {
			t.Errorf("session read = %d %s", r.Status, r.Body)
		}
		r := sess.do("POST", "/api/v1/jobs", jobWith(`"name":"during"`))
		if r.Status != 403 || r.problem(t).Detail != detail {
			t.Errorf("session create = %d %s", r.Status, r.Body)
		}
		if _, err := s.svc.UnsuspendOrganization(ctx, service.CLIOperator(), tn.org.ID); err != nil {
			t.Fatal(err)
		}
		if r := key.do("GET", "/api/v1/jobs", nil); r.Status != 200 {
			t.Errorf("key after unsuspend = %d %s", r.Status, r.Body)
		}
	})
}
