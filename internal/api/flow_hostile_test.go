package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
)

// TestFlowKeyHostilePaths: keys in the URL path that cannot be keys (NUL,
// newline, escaped dots, an overlong UTF-8 dot, escaped slashes and
// backslashes, 10,000 characters) are refused on every flow key route
// with a 4xx, never a 2xx or a 5xx, and leave no row behind.
func TestFlowKeyHostilePaths(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		p := tn.project.ID
		for _, bad := range []string{"%00", "k%00k", "k%0Ak", "%0D%0Aset-cookie:x", "%2E", "%2E%2E", "%2e%2E", "%C0%AE",
			"..%2F..%2Fetc", "%2F", "a%5Cb%2Fc", "%E2%80%8B", "%EF%BB%BF", "%7F", strings.Repeat("k", 10_000)} {
			for _, req := range []struct{ method, suffix, body string }{
				{"PUT", "", `{"rate":1}`}, {"GET", "", ""}, {"DELETE", "", ""},
				{"POST", "/pause", ""}, {"POST", "/resume", ""}, {"POST", "/release", ""},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				r := c.do(req.method, flowKeysPath(p, bad)+req.suffix, body)
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("%s key %.40q%s = %d %s; want a 4xx", req.method, bad, req.suffix, r.Status, truncate(r.Body))
				}
			}
		}
		if ks, err := s.store.FlowKeyList(ctx, p, time.Time{}); err != nil || len(ks) != 0 {
			t.Errorf("hostile paths left %d keys (%v)", len(ks), err)
		}
	})
}

// TestFlowKeyHostileHeader: a Prikke-Flow-Control-Key that cannot be a
// key (8 KiB, invalid UTF-8, a bidi override, "..") is a 422 naming the
// header, and nothing is queued.
func TestFlowKeyHostileHeader(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		for _, bad := range []string{strings.Repeat("k", 8<<10), "k\xff\xfe", "a\u202eb", "..", ".", "a\u00a0b", "a\u2028b"} {
			r := c.do("POST", "/api/v1/queue", obj(okURL), "Prikke-Flow-Control-Key", bad)
			if r.Status != 422 {
				t.Errorf("header %.40q = %d %s; want 422", bad, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "header.Prikke-Flow-Control-Key", "must")
		}
		if n := s.countRows("executions"); n != 0 {
			t.Errorf("%d executions queued by refused requests", n)
		}
	})
}

// TestFlowKeyPauseCap: pausing a key without a row creates one, so it
// counts against the project's prikke.FlowKeysPerProject keys like a
// PUT: a tenant cannot make unlimited keys by pausing made-up names. (The
// SQLite store did not count them.)
func TestFlowKeyPauseCap(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		p := tn.project.ID
		for i := range prikke.FlowKeysPerProject {
			if r := c.do("PUT", flowKeysPath(p, fmt.Sprintf("k%03d", i)), `{"parallelism":1}`); r.Status != 201 {
				t.Fatalf("key %d = %d %s", i, r.Status, truncate(r.Body))
			}
		}
		for i := range 3 {
			r := c.do("POST", flowKeysPath(p, fmt.Sprintf("extra-%d", i))+"/pause", nil)
			if r.Status != 409 {
				t.Errorf("pausing new key %d past the cap = %d %s; want 409", i, r.Status, truncate(r.Body))
			}
		}
		if ks, err := s.store.FlowKeyList(ctx, p, time.Time{}); err != nil || len(ks) != prikke.FlowKeysPerProject {
			t.Errorf("keys after pausing past the cap = %d (%v); want %d", len(ks), err, prikke.FlowKeysPerProject)
		}
		// An existing key still pauses and resumes at the cap.
		if k := flowKeyOf(t, c.do("POST", flowKeysPath(p, "k007")+"/pause", nil), 200, "pause at the cap"); !k.Paused {
			t.Errorf("paused at the cap = %+v", k)
		}
		flowKeyOf(t, c.do("POST", flowKeysPath(p, "k007")+"/resume", nil), 200, "resume at the cap")
	})
}

// TestFlowKeyLongHostDefault: a job whose URL has a long (valid) host
// name goes by a long default key (over 200 characters). Its
// endpoint can hold that key; the project must be able to see the hold,
// release it, limit the key and remove it through the API.
func TestFlowKeyLongHostDefault(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		p := tn.project.ID
		host := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50) + ".example"
		r := c.do("POST", "/api/v1/jobs", obj(`"name":"long host"`, `"url":"https://`+host+`/hook"`, okCron))
		var j api.Job
		r.json(t, &j)
		if r.Status != 201 || j.FlowKey != host+":443" || len(j.FlowKey) <= 200 {
			t.Fatalf("job = %d %q %s", r.Status, j.FlowKey, truncate(r.Body))
		}
		key := j.FlowKey
		// What the worker does on the endpoint's 503 with Retry-After.
		until := s.clock.Now().UTC().Add(time.Hour)
		if err := s.store.FlowKeyHold(ctx, p, key, until, "503 Service Unavailable, Retry-After 3600s"); err != nil {
			t.Fatal(err)
		}
		path := flowKeysPath(p, key)
		if k := flowKeyOf(t, c.do("GET", path, nil), 200, "GET the held long key"); k.Key != key || k.HeldUntil == nil {
			t.Errorf("held long key = %+v", k)
		}
		if k := flowKeyOf(t, c.do("POST", path+"/release", nil), 200, "release the long key"); k.HeldUntil != nil {
			t.Errorf("released long key = %+v", k)
		}
		if k := flowKeyOf(t, c.do("PUT", path, `{"rate":5}`), 200, "limit the long key"); k.Rate != 5 {
			t.Errorf("limited long key = %+v", k)
		}
		if r := c.do("DELETE", path, nil); r.Status != 204 {
			t.Errorf("DELETE the long key = %d %s", r.Status, truncate(r.Body))
		}
		// Past FlowKeyMaxLength, or with a '/', a key is refused.
		for _, bad := range []string{host + ":443%2Fx", host + ":443" + strings.Repeat("9", 60)} {
			if r := c.do("PUT", flowKeysPath(p, bad), `{"rate":1}`); r.Status != 422 {
				t.Errorf("PUT long key %.30q…%q = %d %s; want 422", bad, bad[len(bad)-8:], r.Status, truncate(r.Body))
			}
		}
	})
}

// TestFlowKeyDotSegments: a key of "." or ".." sent as clients send it
// (url.PathEscape, encodeURIComponent and Python's quote leave dots as
// they are) must not reach another route. Go's ServeMux answers a path
// with a dot segment by a 307 to the cleaned path, which clients follow
// with the same method: DELETE …/flow-keys/.. became DELETE
// /api/v1/projects/{id} and deleted the project.
func TestFlowKeyDotSegments(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		if r := c.do("POST", "/api/v1/projects", `{"name":"second"}`); r.Status != 201 {
			t.Fatalf("second project = %d %s", r.Status, truncate(r.Body))
		}
		before := s.countRows("projects")
		for _, key := range []string{"..", ".", "../..", "../../projects", "k/../.."} {
			for _, req := range []struct{ method, suffix, body string }{
				{"DELETE", "", ""}, {"PUT", "", `{"rate":1}`}, {"GET", "", ""},
				{"POST", "/pause", ""}, {"POST", "/resume", ""}, {"POST", "/release", ""},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				r := c.do(req.method, flowKeysPath(tn.project.ID, key)+req.suffix, body)
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("%s key %q%s = %d %s; want a 4xx", req.method, key, req.suffix, r.Status, truncate(r.Body))
				}
			}
		}
		if after := s.countRows("projects"); after != before {
			t.Errorf("projects %d -> %d: a flow key request reached the project", before, after)
		}
	})
}
