package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/store"
)

// flowKeyOf decodes a flow key response that must have the status want.
func flowKeyOf(t *testing.T, r *response, want int, what string) *api.FlowKey {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), want)
	}
	var k api.FlowKey
	r.json(t, &k)
	return &k
}

// flowKeysPath is the project's flow keys, with key appended as given
// (already escaped when it must be).
func flowKeysPath(p prikke.ID, key string) string {
	return "/api/v1/projects/" + p.String() + "/flow-keys/" + key
}

// TestFlowKeysAPI: a key is created (201) and replaced (200) by PUT, read
// by its plain and its URL-escaped name, listed, paused, resumed, held by
// its endpoint and released, and removed; every bad field is a 422 naming
// it (the path's key as path.key); a missing key is 404; the project's
// 101st key is 409.
func TestFlowKeysAPI(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		p := tn.project.ID
		path := flowKeysPath(p, "api.example.com:443")

		k := flowKeyOf(t, c.do("PUT", path, `{"rate":20,"period":"1s","burst":1,"parallelism":5}`), 201, "create")
		if k.Key != "api.example.com:443" || k.ProjectID != p.String() || k.Rate != 20 || k.Period != "1s" || k.Burst != 1 ||
			k.Parallelism != 5 || k.Paused || !k.Configured || k.HeldUntil != nil || k.Waiting != 0 || k.InFlight != 0 || k.CreatedAt.IsZero() {
			t.Errorf("created key = %+v", k)
		}

		// The same key by every spelling a client may send.
		for _, spelled := range []string{"api.example.com:443", "api.example.com%3A443", "api%2Eexample%2Ecom%3a443"} {
			got := flowKeyOf(t, c.do("GET", flowKeysPath(p, spelled), nil), 200, "GET "+spelled)
			if got.Key != "api.example.com:443" || got.Rate != 20 {
				t.Errorf("GET %s = %+v", spelled, got)
			}
		}

		// PUT replaces the limits as a whole: absent is unlimited.
		k = flowKeyOf(t, c.do("PUT", flowKeysPath(p, "api.example.com%3A443"), `{"parallelism":3}`), 200, "replace")
		if k.Rate != 0 || k.Period != "" || k.Burst != 0 || k.Parallelism != 3 || !k.Configured {
			t.Errorf("replaced key = %+v; want only parallelism 3", k)
		}
		k = flowKeyOf(t, c.do("PUT", path, `{"rate":600,"period":"1m","burst":10}`), 200, "replace")
		if k.Rate != 600 || k.Period != "1m" || k.Burst != 10 || k.Parallelism != 0 {
			t.Errorf("replaced key = %+v", k)
		}

		// Bad fields, each named.
		for _, tc := range []struct{ body, loc, msg string }{
			{`{"rate":0}`, "body.rate", "from 1 to 100000"},
			{`{"rate":100001}`, "body.rate", "from 1 to 100000"},
			{`{"rate":"20"}`, "body.rate", "must be an integer"},
			{`{"rate":5,"period":"2h"}`, "body.period", "from 1s to 1h"},
			{`{"rate":5,"period":"500ms"}`, "body.period", "from 1s to 1h"},
			{`{"rate":5,"period":"soon"}`, "body.period", "duration"},
			{`{"period":"1s"}`, "body.period", "needs a rate"},
			{`{"burst":3}`, "body.burst", "needs a rate"},
			{`{"rate":5,"burst":0}`, "body.burst", "from 1 to 10000"},
			{`{"parallelism":0}`, "body.parallelism", "from 1 to 10000"},
			{`{"parallelism":1.5}`, "body.parallelism", "must be an integer"},
			{`{"paused":true}`, "body.paused", "unknown field"},
		} {
			r := c.do("PUT", path, tc.body)
			if r.Status != 422 {
				t.Errorf("PUT %s = %d %s; want 422", tc.body, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}
		if r := c.do("PUT", path, ""); r.Status != 400 {
			t.Errorf("PUT without a body = %d %s; want 400", r.Status, r.Body)
		}
		// Keys that cannot be keys, on every operation that names one.
		for _, bad := range []string{"a%2Fb", "two%20words", "tab%09", "%FF%FE", "%E2%80%AEevil", strings.Repeat("k", 261)} {
			for _, req := range []struct{ method, suffix, body string }{
				{"PUT", "", `{"rate":1}`}, {"GET", "", ""}, {"DELETE", "", ""},
				{"POST", "/pause", ""}, {"POST", "/resume", ""}, {"POST", "/release", ""},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				r := c.do(req.method, flowKeysPath(p, bad)+req.suffix, body)
				if r.Status != 422 {
					t.Errorf("%s key %q%s = %d %s; want 422", req.method, bad, req.suffix, r.Status, truncate(r.Body))
					continue
				}
				checkProblem(t, r, "path.key", "The flow key must")
			}
		}
		// The limits were not touched by the refused requests.
		if k = flowKeyOf(t, c.do("GET", path, nil), 200, "GET"); k.Rate != 600 || k.Burst != 10 {
			t.Errorf("after refused requests: %+v", k)
		}

		// A key with no row is unlimited: 404 with a reason, except pause,
		// which creates it (paused, no limits).
		missing := flowKeysPath(p, "billing-api")
		for _, req := range []struct{ method, suffix string }{{"GET", ""}, {"DELETE", ""}, {"POST", "/resume"}, {"POST", "/release"}} {
			r := c.do(req.method, missing+req.suffix, nil)
			if r.Status != 404 {
				t.Errorf("%s missing%s = %d %s; want 404", req.method, req.suffix, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "", `no flow key "billing-api"`)
		}
		k = flowKeyOf(t, c.do("POST", missing+"/pause", nil), 200, "pause a new key")
		if !k.Paused || k.Rate != 0 || k.Parallelism != 0 || !k.Configured {
			t.Errorf("paused new key = %+v", k)
		}
		if k = flowKeyOf(t, c.do("POST", missing+"/pause", nil), 200, "pause again"); !k.Paused {
			t.Errorf("paused twice = %+v", k)
		}
		if k = flowKeyOf(t, c.do("POST", missing+"/resume", nil), 200, "resume"); k.Paused {
			t.Errorf("resumed key = %+v", k)
		}
		// A PUT keeps the pause.
		flowKeyOf(t, c.do("POST", path+"/pause", nil), 200, "pause")
		if k = flowKeyOf(t, c.do("PUT", path, `{"rate":7}`), 200, "PUT a paused key"); !k.Paused || k.Rate != 7 || k.Period != "1s" || k.Burst != 1 {
			t.Errorf("PUT on a paused key = %+v; want it still paused, 7 per 1s", k)
		}
		flowKeyOf(t, c.do("POST", path+"/resume", nil), 200, "resume")

		// An endpoint's hold shows until it is released; a key made by a
		// hold is not configured.
		now := s.clock.Now().UTC()
		if err := s.store.FlowKeyHold(ctx, p, "slow.example:443", now.Add(time.Hour), "503 Service Unavailable, Retry-After 3600s"); err != nil {
			t.Fatal(err)
		}
		held := flowKeysPath(p, "slow.example:443")
		k = flowKeyOf(t, c.do("GET", held, nil), 200, "GET held")
		if k.Configured || k.HeldUntil == nil || k.HeldUntil.Before(now.Add(59*time.Minute)) || k.HoldReason != "503 Service Unavailable, Retry-After 3600s" {
			t.Errorf("held key = %+v", k)
		}
		if k = flowKeyOf(t, c.do("POST", held+"/release", nil), 200, "release"); k.HeldUntil != nil || k.HoldReason != "" {
			t.Errorf("released key = %+v", k)
		}
		// Once a hold has passed, it is not shown.
		if err := s.store.FlowKeyHold(ctx, p, "slow.example:443", now.Add(time.Minute), "429 Too Many Requests, Retry-After 60s"); err != nil {
			t.Fatal(err)
		}
		if k = flowKeyOf(t, c.do("GET", held, nil), 200, "GET held"); k.HeldUntil == nil {
			t.Errorf("held again = %+v", k)
		}
		s.clock.advance(2 * time.Minute)
		if k = flowKeyOf(t, c.do("GET", held, nil), 200, "GET after the hold"); k.HeldUntil != nil || k.HoldReason != "" {
			t.Errorf("a passed hold is shown: %+v", k)
		}
		s.clock.reset()
		if k = flowKeyOf(t, c.do("PUT", held, `{}`), 200, "configure a held key"); !k.Configured || k.Rate != 0 {
			t.Errorf("configured held key = %+v", k)
		}

		// The list, by key.
		r := c.do("GET", "/api/v1/projects/"+p.String()+"/flow-keys", nil)
		var list []api.FlowKey
		r.json(t, &list)
		var names []string
		for _, k := range list {
			names = append(names, k.Key)
		}
		if r.Status != 200 || !slices.Equal(names, []string{"api.example.com:443", "billing-api", "slow.example:443"}) {
			t.Errorf("list = %d %v %s", r.Status, names, truncate(r.Body))
		}

		// Delete: gone, and unlimited again.
		if r := c.do("DELETE", flowKeysPath(p, "billing-api"), nil); r.Status != 204 {
			t.Errorf("DELETE = %d %s", r.Status, r.Body)
		}
		if r := c.do("GET", flowKeysPath(p, "billing-api"), nil); r.Status != 404 {
			t.Errorf("GET deleted = %d %s", r.Status, r.Body)
		}

		// Every change is in the audit log.
		es, err := s.store.AuditList(ctx, store.AuditFilter{OrganizationID: tn.org.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.Action == prikke.AuditFlowKeyChange {
				n++
			}
		}
		if n < 10 {
			t.Errorf("%d flow key changes audited; want every one", n)
		}

		// At most prikke.FlowKeysPerProject keys per project.
		have := len(list) - 1
		for i := have; i < prikke.FlowKeysPerProject; i++ {
			if r := c.do("PUT", flowKeysPath(p, fmt.Sprintf("k%03d", i)), `{"parallelism":1}`); r.Status != 201 {
				t.Fatalf("key %d = %d %s", i, r.Status, r.Body)
			}
		}
		r = c.do("PUT", flowKeysPath(p, "one-too-many"), `{"parallelism":1}`)
		if r.Status != 409 {
			t.Errorf("key %d = %d %s; want 409", prikke.FlowKeysPerProject+1, r.Status, truncate(r.Body))
		} else {
			r.problem(t)
		}
		// Replacing an existing key's limits is still fine.
		flowKeyOf(t, c.do("PUT", flowKeysPath(p, "k050"), `{"parallelism":2}`), 200, "replace at the cap")
	})
}

// TestFlowKeysTenantIsolation: another organization's project's keys are
// 404 for every flow key operation, by API key and by session, and leave
// the key as it was; a key of the same name in the caller's own project
// is its own; a key limited to one project cannot reach another's keys; a
// viewer reads keys and changes none.
func TestFlowKeysTenantIsolation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		alice, charlie := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		aliceK := s.withKey(alice.key)
		key := "api.example.com:443"
		path := flowKeysPath(alice.project.ID, key)
		want := flowKeyOf(t, aliceK.do("PUT", path, `{"rate":20,"parallelism":5}`), 201, "alice's key")

		steps := []struct{ method, path, body string }{
			{"GET", path, ""}, {"PUT", path, `{"rate":1}`}, {"DELETE", path, ""},
			{"POST", path + "/pause", ""}, {"POST", path + "/resume", ""}, {"POST", path + "/release", ""},
			{"GET", "/api/v1/projects/" + alice.project.ID.String() + "/flow-keys", ""},
			{"PUT", flowKeysPath(alice.project.ID, "new-key"), `{"rate":1}`},
			{"POST", flowKeysPath(alice.project.ID, "new-key") + "/pause", ""},
		}
		for _, c := range []struct {
			name string
			c    *client
		}{{"key", s.withKey(charlie.key)}, {"session", s.login(charlie)}} {
			for _, st := range steps {
				var body any
				if st.body != "" {
					body = st.body
				}
				r := c.c.do(st.method, st.path, body)
				if r.Status != 404 {
					t.Errorf("charlie's %s: %s %s = %d %s; want 404", c.name, st.method, st.path, r.Status, truncate(r.Body))
					continue
				}
				checkProblem(t, r, "", "Not found")
				if strings.Contains(string(r.Body), key) {
					t.Errorf("charlie's %s: %s %s names alice's key: %s", c.name, st.method, st.path, r.Body)
				}
			}
		}
		got := flowKeyOf(t, aliceK.do("GET", path, nil), 200, "alice's key after charlie")
		if got.Rate != 20 || got.Parallelism != 5 || got.Paused || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("alice's key changed: %+v, was %+v", got, want)
		}
		if r := aliceK.do("GET", flowKeysPath(alice.project.ID, "new-key"), nil); r.Status != 404 {
			t.Errorf("charlie created a key in alice's project: %d %s", r.Status, r.Body)
		}

		// Charlie's key of the same name is his own.
		ck := flowKeyOf(t, s.withKey(charlie.key).do("PUT", flowKeysPath(charlie.project.ID, key), `{"rate":1}`), 201, "charlie's own key")
		if ck.ProjectID != charlie.project.ID.String() {
			t.Errorf("charlie's key = %+v", ck)
		}
		if got := flowKeyOf(t, aliceK.do("GET", path, nil), 200, "alice's key"); got.Rate != 20 {
			t.Errorf("charlie's PUT changed alice's key: %+v", got)
		}

		// A key limited to alice's first project, on her second.
		aliceS := s.login(alice)
		r := aliceS.do("POST", "/api/v1/projects", map[string]string{"name": "second"})
		var p2 struct{ ID string }
		r.json(t, &p2)
		p2ID, _ := prikke.ParseID(p2.ID)
		flowKeyOf(t, aliceK.do("PUT", flowKeysPath(p2ID, key), `{"rate":3}`), 201, "alice's key in project 2")
		r = aliceS.do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/api-keys", map[string]string{"name": "p1 only", "project_id": alice.project.ID.String()})
		var p1Key struct{ Key string }
		r.json(t, &p1Key)
		p1 := s.withKey(p1Key.Key)
		flowKeyOf(t, p1.do("GET", path, nil), 200, "p1 key reads project 1's key")
		for _, st := range []struct{ method, suffix, body string }{{"GET", "", ""}, {"PUT", "", `{"rate":1}`}, {"DELETE", "", ""}, {"POST", "/pause", ""}} {
			var body any
			if st.body != "" {
				body = st.body
			}
			if r := p1.do(st.method, flowKeysPath(p2ID, key)+st.suffix, body); r.Status != 404 {
				t.Errorf("p1 key: %s project 2's key%s = %d %s; want 404", st.method, st.suffix, r.Status, truncate(r.Body))
			}
		}
		if r := p1.do("GET", "/api/v1/projects/"+p2ID.String()+"/flow-keys", nil); r.Status != 404 {
			t.Errorf("p1 key lists project 2's keys: %d %s", r.Status, truncate(r.Body))
		}

		// A viewer reads, changes nothing.
		bob := s.newTenant(prikke.TierFree)
		must := func(r *response, status int, what string) {
			t.Helper()
			if r.Status != status {
				t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), status)
			}
		}
		must(aliceS.do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/invitations", map[string]string{"email": bob.user.Email, "role": "viewer"}), 201, "invite bob")
		bobS := s.login(bob)
		must(bobS.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tokenFrom(t, s.lastMail(bob.user.Email).Text)}), 200, "bob accepts")
		flowKeyOf(t, bobS.do("GET", path, nil), 200, "viewer reads a key")
		for _, st := range []struct{ method, suffix, body string }{{"PUT", "", `{"rate":1}`}, {"DELETE", "", ""}, {"POST", "/pause", ""}, {"POST", "/resume", ""}, {"POST", "/release", ""}} {
			var body any
			if st.body != "" {
				body = st.body
			}
			r := bobS.do(st.method, path+st.suffix, body)
			if r.Status != 403 {
				t.Errorf("viewer: %s key%s = %d %s; want 403", st.method, st.suffix, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "", "Your role does not allow you to")
		}
		if got := flowKeyOf(t, aliceK.do("GET", path, nil), 200, "alice's key"); got.Rate != 20 || got.Paused {
			t.Errorf("the viewer changed alice's key: %+v", got)
		}
	})
}

// TestJobFlowKey: a job names its flow key or goes by its URL's
// host:port, which it shows; "" goes back to the default; a bad key is a
// 422 naming flow_key; executions carry the key.
func TestJobFlowKey(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		jobOf := func(r *response, want int, what string) *api.Job {
			t.Helper()
			if r.Status != want {
				t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), want)
			}
			var j api.Job
			r.json(t, &j)
			return &j
		}
		j := jobOf(c.do("POST", "/api/v1/jobs", obj(`"url":"https://Example.com/hook"`, okCron)), 201, "create")
		if j.FlowKey != "example.com:443" {
			t.Errorf("default flow key = %q; want example.com:443", j.FlowKey)
		}
		j = jobOf(c.do("PATCH", "/api/v1/jobs/"+j.ID, `{"url":"http://example.com:8080/hook"}`), 200, "new URL")
		if j.FlowKey != "example.com:8080" {
			t.Errorf("flow key after a new URL = %q; want example.com:8080", j.FlowKey)
		}
		j = jobOf(c.do("PATCH", "/api/v1/jobs/"+j.ID, `{"flow_key":"billing-api"}`), 200, "name a key")
		if j.FlowKey != "billing-api" {
			t.Errorf("named flow key = %q", j.FlowKey)
		}
		j = jobOf(c.do("PATCH", "/api/v1/jobs/"+j.ID, `{"name":"renamed"}`), 200, "other field")
		if j.FlowKey != "billing-api" {
			t.Errorf("flow key after an unrelated change = %q; want it kept", j.FlowKey)
		}
		if j = jobOf(c.do("GET", "/api/v1/jobs/"+j.ID, nil), 200, "get"); j.FlowKey != "billing-api" {
			t.Errorf("stored flow key = %q", j.FlowKey)
		}
		e := c.do("POST", "/api/v1/jobs/"+j.ID+"/trigger", nil)
		var ex api.Execution
		e.json(t, &ex)
		if e.Status != 202 || ex.FlowKey != "billing-api" || ex.ThrottledMS != 0 {
			t.Errorf("trigger = %d %s; want flow_key billing-api", e.Status, e.Body)
		}
		if r := c.do("GET", "/api/v1/executions/"+ex.ID, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"flow_key":"billing-api"`) || !strings.Contains(string(r.Body), `"throttled_ms":0`) {
			t.Errorf("execution = %d %s", r.Status, truncate(r.Body))
		}
		j = jobOf(c.do("PATCH", "/api/v1/jobs/"+j.ID, `{"flow_key":""}`), 200, "back to the default")
		if j.FlowKey != "example.com:8080" {
			t.Errorf("flow key after \"\" = %q; want example.com:8080", j.FlowKey)
		}
		j2 := jobOf(c.do("POST", "/api/v1/jobs", jobWith(`"flow_key":"api.example.com:443"`)), 201, "create with a key")
		if j2.FlowKey != "api.example.com:443" {
			t.Errorf("created with a key: %q", j2.FlowKey)
		}

		for _, tc := range []struct{ body, loc, msg string }{
			{`{"flow_key":"two words"}`, "body.flow_key", "without spaces"},
			{`{"flow_key":"a/b"}`, "body.flow_key", "'/'"},
			{`{"flow_key":"` + strings.Repeat("k", 261) + `"}`, "body.flow_key", "at most 260"},
			{`{"flow_key":".."}`, "body.flow_key", "must not be"},
			{`{"flow_key":"a\u202eb"}`, "body.flow_key", "printable"},
			{`{"flow_key":5}`, "body.flow_key", "must be a string"},
		} {
			r := c.do("PATCH", "/api/v1/jobs/"+j.ID, tc.body)
			if r.Status != 422 {
				t.Errorf("PATCH %s = %d %s; want 422", tc.body, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
			r = c.do("POST", "/api/v1/jobs", jobWith(strings.TrimSuffix(strings.TrimPrefix(tc.body, "{"), "}")))
			if r.Status != 422 {
				t.Errorf("POST %s = %d %s; want 422", tc.body, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, tc.loc, tc.msg)
		}
	})
}

// TestQueueFlowKeyHeader: Prikke-Flow-Control-Key names a queued
// request's flow key (its job and its executions carry it); without it,
// the URL's host:port; a bad one is a 422 naming the header.
func TestQueueFlowKeyHeader(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		var out api.Enqueued
		r := c.do("POST", "/api/v1/queue", obj(okURL), "Prikke-Flow-Control-Key", "billing-api")
		r.json(t, &out)
		if r.Status != 202 || out.Execution == nil || out.Execution.FlowKey != "billing-api" {
			t.Fatalf("enqueue = %d %s", r.Status, truncate(r.Body))
		}
		var j api.Job
		c.do("GET", "/api/v1/jobs/"+out.JobID, nil).json(t, &j)
		if j.FlowKey != "billing-api" {
			t.Errorf("queued job's flow key = %q", j.FlowKey)
		}
		r = c.do("POST", "/api/v1/queue", obj(`"url":"http://example.org:8080/x"`))
		r.json(t, &out)
		if r.Status != 202 || out.Execution.FlowKey != "example.org:8080" {
			t.Errorf("enqueue without the header = %d %s", r.Status, truncate(r.Body))
		}
		for _, bad := range []string{"a/b", "two words", strings.Repeat("k", 261), "k\xff"} {
			r := c.do("POST", "/api/v1/queue", obj(okURL), "Prikke-Flow-Control-Key", bad)
			if r.Status != 422 {
				t.Errorf("header %q = %d %s; want 422", bad, r.Status, truncate(r.Body))
				continue
			}
			checkProblem(t, r, "header.Prikke-Flow-Control-Key", "must")
		}
	})
}

// TestFlowKeyLiveState: a queued request's slot under a key's rate shows
// in the key (waiting, in flight, next slot) and in its execution
// (throttled_ms), with the claim at injected instants.
func TestFlowKeyLiveState(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		path := flowKeysPath(tn.project.ID, "slow")
		flowKeyOf(t, c.do("PUT", path, `{"rate":1,"period":"1h"}`), 201, "PUT")
		t0 := time.Now().UTC().Truncate(time.Second).Add(time.Second)
		s.clock.set(t0)
		defer s.clock.reset()
		var ids []string
		for range 2 {
			var out api.Enqueued
			r := c.do("POST", "/api/v1/queue", obj(okURL), "Prikke-Flow-Control-Key", "slow")
			r.json(t, &out)
			if r.Status != 202 || !out.Execution.DueAt.Equal(t0) {
				t.Fatalf("enqueue = %d %s", r.Status, truncate(r.Body))
			}
			ids = append(ids, out.ExecutionID)
		}
		if k := flowKeyOf(t, c.do("GET", path, nil), 200, "GET"); k.Waiting != 2 || k.InFlight != 0 || k.NextSlot != nil {
			t.Errorf("before the claim: %+v; want 2 waiting, none in flight, no next slot", k)
		}
		claim := func(now time.Time) []*store.Claimed {
			t.Helper()
			res, err := s.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 10, Now: now, LeaseGrace: time.Minute, Lookahead: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return res.Claimed
		}
		if cl := claim(t0); len(cl) != 1 || cl[0].Execution.ID.String() != ids[0] {
			t.Fatalf("first claim took %d; want the first request only", len(cl))
		}
		k := flowKeyOf(t, c.do("GET", path, nil), 200, "GET")
		if k.Waiting != 1 || k.InFlight != 1 || k.NextSlot == nil || !k.NextSlot.Equal(t0.Add(time.Hour)) {
			t.Errorf("after the first claim: %+v; want 1 waiting, 1 in flight, next slot %s", k, t0.Add(time.Hour))
		}
		s.clock.set(t0.Add(time.Hour))
		if cl := claim(t0.Add(time.Hour)); len(cl) != 1 || cl[0].Execution.ID.String() != ids[1] {
			t.Fatalf("second claim took %d; want the second request", len(cl))
		}
		for i, want := range []int64{0, 3_600_000} {
			var e api.Execution
			r := c.do("GET", "/api/v1/executions/"+ids[i], nil)
			r.json(t, &e)
			if e.FlowKey != "slow" || e.ThrottledMS != want || e.Status != "running" {
				t.Errorf("execution %d: flow_key %q, throttled_ms %d, status %s; want slow, %d, running", i+1, e.FlowKey, e.ThrottledMS, e.Status, want)
			}
		}
		if k := flowKeyOf(t, c.do("GET", path, nil), 200, "GET"); k.Waiting != 0 || k.InFlight != 2 {
			t.Errorf("after the second claim: %+v; want none waiting, 2 in flight", k)
		}
	})
}
