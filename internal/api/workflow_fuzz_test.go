package api_test

import (
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// Hostile definitions, payloads and keys are refused with a 4xx, never a
// 500; a run started with any of the accepted payloads answers too.
func TestWorkflowHostileInput(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		pro := s.newTenant(prikke.TierPro)
		c := s.withKey(pro.key)
		deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
		deepArr := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
		st := func(extra string) string {
			return `{"name":"x","definition":{"steps":[{"key":"a","url":"https://example.com/"` + extra + `}]}}`
		}
		bodies := []string{
			`{"name":"x","definition":null}`,
			`{"name":"x","definition":{"steps":null}}`,
			`{"name":"x","definition":{"steps":[null]}}`,
			`{"name":"x","definition":{"steps":[{}]}}`,
			`{"name":"x","definition":{"steps":[{"key":"a"}]}}`,
			`{"name":"x","definition":{"steps":"a"}}`,
			`{"name":"x","definition":[]}`,
			`{"name":"x","definition":` + deep + `}`,
			`{"name":"x","definition":{"steps":[{"key":"a","url":"https://example.com/","body":` + deep + `}]}}`,
			deepArr,
			st(`,"needs":["a"]`),
			st(`,"needs":[null]`),
			st(`,"for_each":"payload"`),
			st(`,"for_each":"[[[["`),
			st(`,"for_each":"payload.a[99999999999999999999999]"`),
			st(`,"url":"https://example.com/{{payload.a[99999999999999999999999]}}"`),
			st(`,"when":"` + strings.Repeat("(", 1000) + `"`),
			st(`,"when":"` + strings.Repeat("!", 1000) + `true"`),
			st(`,"when":"payload.a == ` + strings.Repeat("1", 400) + `"`),
			st(`,"when":"payload.a ==  \"\\u0000\""`),
			st(`,"max_concurrency":-1`),
			st(`,"max_concurrency":1e308`),
			st(`,"max_concurrency":99999999999999999999`),
			st(`,"timeout_ms":-5`),
			st(`,"delay":"-1s"`),
			st(`,"delay":"99999999999h"`),
			st(`,"delay":{"until":"{{payload.t}}"}`),
			st(`,"retry":{"attempts":-1}`),
			st(`,"retry":{"attempts":1000000,"delay":"1ns"}`),
			st(`,"retry":{"on":["x"]}`),
			st(`,"expect":{"status":[-1, 1000]}`),
			st(`,"expect":{"json_path":"[","equals":{}}`),
			st(`,"expect":{"json_path":"a","equals":"{{payload.` + strings.Repeat("a.", 500) + `b}}"}`),
			st(`,"headers":{"X":"{{secrets.NOPE}}"}`),
			st(`,"headers":[{"name":"X","value":"{{secrets.}}"}]`),
			st(`,"headers":[{"name":"X","value":"{{secrets[\"a b\"]}}"}]`),
			st(`,"body":"{{ payload | json | url | json }}"`),
			st(`,"body":"{{{{{{{{{{{{"`),
			st(`,"body":"}}}}{{"`),
			st(`,"key":"` + strings.Repeat("k", 100000) + `"`),
			st(`,"method":"CONNECT"`),
			st(`,"on_failure":"explode"`),
			st(`,"url":"{{payload.u}}"`),
			st(`,"url":"javascript:alert(1)"`),
			st(`,"url":"http://[::1]:80/"`),
			st(`,"url":"http://169.254.169.254/latest"`),
			`{"name":"` + strings.Repeat("n", 10000) + `","definition":{"steps":[{"key":"a","url":"https://example.com/"}]}}`,
		}
		for i, b := range bodies {
			r := c.do("POST", "/api/v1/workflows", b)
			if r.Status >= 500 || r.Status == 0 {
				t.Errorf("body %d (%.120s): %d %.300s", i, b, r.Status, r.Body)
			}
		}
		// A workflow, then hostile run starts.
		wf := workflowOf(t, c.do("POST", "/api/v1/workflows", st(``)), 201, "create").ID
		for i, tc := range []struct {
			body string
			hdr  []string
		}{
			{deep, nil},
			{deepArr, nil},
			{strings.Repeat("[", 9990) + strings.Repeat("]", 9990), nil},
			{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), nil},
			{strings.Repeat(`{"a":`, 9990) + "1" + strings.Repeat("}", 9990), nil},
			{`"` + strings.Repeat("x", 70<<10) + `"`, nil},
			{`{"a":1}`, []string{"Idempotency-Key", strings.Repeat("k", 100000)}},
			{`{"a":`, nil},
			{`nul`, nil},
		} {
			var r *response
			if tc.hdr != nil {
				r = c.do("POST", "/api/v1/workflows/"+wf+"/runs", tc.body, tc.hdr...)
			} else {
				r = c.do("POST", "/api/v1/workflows/"+wf+"/runs", tc.body)
			}
			if r.Status >= 500 || r.Status == 0 {
				t.Errorf("run %d: %d %.300s", i, r.Status, r.Body)
			}
		}
		for _, path := range []string{"/api/v1/workflows/" + wf + "/versions/99999999999999999999", "/api/v1/workflows/" + wf + "/versions/-1",
			"/api/v1/workflows/" + wf + "/runs?status=nope", "/api/v1/workflows/" + wf + "/runs?limit=-1", "/api/v1/workflows/" + wf + "/runs?cursor=%00%ff",
			"/api/v1/runs/not-an-id", "/api/v1/workflows?project_id=x", "/api/v1/projects/" + pro.project.ID.String() + "/secrets/" + strings.Repeat("A", 5000)} {
			if r := c.do("GET", path, nil); r.Status >= 500 {
				t.Errorf("GET %s: %d %.300s", path, r.Status, r.Body)
			}
		}
		if r := c.do("POST", "/api/v1/runs/not-an-id/retry", `{"from":`+deep+`}`); r.Status >= 500 {
			t.Errorf("retry: %d %.300s", r.Status, r.Body)
		}
	})
}
