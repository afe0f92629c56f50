package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// idlessRoutes are the operations without an id in the path. The route
// matrix below cannot reach them with another tenant's ids; they are
// covered by the list, filter-smuggling and mass-assignment checks of
// TestTenantIsolation, or concern only the caller's own account. A new
// operation must be added here or have a {param} the matrix knows.
var idlessRoutes = map[string]string{
	"POST /api/v1/account/signup":                 "public; no tenant",
	"POST /api/v1/account/confirm":                "public; token only",
	"POST /api/v1/account/login":                  "public; no tenant",
	"POST /api/v1/account/logout":                 "the caller's own session",
	"GET /api/v1/account":                         "the caller's own account",
	"PATCH /api/v1/account":                       "the caller's own account (TestAccountTimeZone)",
	"POST /api/v1/account/password-reset":         "public; answers the same for any address",
	"POST /api/v1/account/password-reset/confirm": "public; token only",
	"POST /api/v1/account/password":               "the caller's own account",
	"POST /api/v1/account/email":                  "the caller's own account",
	"POST /api/v1/account/delete":                 "the caller's own account",
	"GET /api/v1/organizations":                   "list: checked below",
	"POST /api/v1/organizations":                  "creates the caller's own",
	"POST /api/v1/invitations/accept":             "token addressed to the caller's email",
	"POST /api/v1/invitations/decline":            "token only",
	"GET /api/v1/projects":                        "list and organization_id smuggling: checked below",
	"POST /api/v1/projects":                       "organization_id smuggling: checked below",
	"GET /api/v1/jobs":                            "list and project_id smuggling: checked below",
	"POST /api/v1/jobs":                           "project_id smuggling: checked below",
	"POST /api/v1/jobs/test":                      "project_id smuggling: checked below",
	"POST /api/v1/queue":                          "project_id smuggling: checked below",
	"POST /api/v1/queue/batch":                    "project_id smuggling per item: TestQueueBatchTenants",
	"GET /api/v1/queue":                           "list: checked below",
	"GET /api/v1/schedule/preview":                "public; no tenant data",
	"GET /api/v1/monitors":                        "list and project_id smuggling: checked below",
	"POST /api/v1/monitors":                       "project_id smuggling: checked below",
	"GET /api/v1/workflows":                       "list and project_id smuggling: checked below",
	"POST /api/v1/workflows":                      "project_id smuggling: checked below",
	"POST /webhooks/lemonsqueezy":                 "signed by Lemon Squeezy, no caller (billing_test.go)",
}

// routeBodies are plausible bodies, so that a request gets past decoding
// to authorization. Other POST and PATCH routes get {"name":"x"}.
var routeBodies = map[string]string{
	"PATCH /api/v1/organizations/{org_id}/members/{user_id}": `{"role":"viewer"}`,
	"POST /api/v1/organizations/{org_id}/invitations":        `{"email":"mallory@example.com","role":"owner"}`,
	"POST /api/v1/projects/{project_id}/channels":            `{"target":"https://evil.example/hook"}`,
	"POST /api/v1/projects/{project_id}/status-pages":        `{"slug":"charlie-page","title":"x"}`,
	"PATCH /api/v1/status-pages/{status_page_id}":            `{"title":"x"}`,
	"POST /api/v1/monitors/{monitor_id}/snooze":              `{"until":null}`,
	"POST /api/v1/projects/{project_id}/snooze":              `{"until":null}`,
	"PUT /api/v1/projects/{project_id}/flow-keys/{key}":      `{"rate":1}`,
	"PUT /api/v1/projects/{project_id}/secrets/{name}":       `{"value":"charlie's"}`,
	"POST /api/v1/runs/{run_id}/retry":                       `{"from":"a"}`,
	"POST /api/v1/organizations/{org_id}/billing/claim":      `{"subscription_id":"1"}`,
	"PUT /api/v1/workflows/{workflow_id}":                    `{"name":"x","definition":{"steps":[{"key":"a","url":"https://evil.example/"}]}}`,
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestTenantIsolation checks reliability.md §4.5 on both stores: every
// operation with an id in its path, called by charlie (with his API key,
// then his session) on alice's ids, answers 404 and changes none of
// alice's rows; lists hold only the caller's rows; ids smuggled in
// filters and bodies are refused; a key limited to one project sees
// nothing of the others; and roles limit what members may do.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		alice, charlie, bob := s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro), s.newTenant(prikke.TierPro)
		aliceS, charlieS, bobS := s.login(alice), s.login(charlie), s.login(bob)
		aliceK, charlieK := s.withKey(alice.key), s.withKey(charlie.key)

		must := func(r *response, status int, what string) *response {
			t.Helper()
			if r.Status != status {
				t.Fatalf("%s = %d %s; want %d", what, r.Status, truncate(r.Body), status)
			}
			return r
		}
		id := func(r *response) string {
			t.Helper()
			var v struct{ ID string }
			r.json(t, &v)
			return v.ID
		}

		// Alice: two projects, a job and an execution in each, a queued
		// request, a key limited to the first project and an invitation.
		p1 := alice.project.ID.String()
		p2 := id(must(aliceS.do("POST", "/api/v1/projects", map[string]string{"name": "second"}), 201, "create project"))
		jobA1 := id(must(aliceK.do("POST", "/api/v1/jobs", jobWith(`"name":"alice 1"`)), 201, "create job"))
		jobA2 := id(must(aliceK.do("POST", "/api/v1/jobs", jobWith(`"name":"alice 2"`, `"project_id":`+jstr(p2))), 201, "create job"))
		execA1 := id(must(aliceK.do("POST", "/api/v1/jobs/"+jobA1+"/trigger", nil), 202, "trigger"))
		execA2 := id(must(aliceK.do("POST", "/api/v1/jobs/"+jobA2+"/trigger", nil), 202, "trigger"))
		must(aliceK.do("POST", "/api/v1/queue", obj(okURL)), 202, "enqueue")
		r := must(aliceS.do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/api-keys", map[string]string{"name": "p1 only", "project_id": p1}), 201, "create key")
		var p1Key struct {
			Key   string
			KeyID string `json:"key_id"`
		}
		r.json(t, &p1Key)
		invitation := id(must(aliceS.do("POST", "/api/v1/organizations/"+alice.org.ID.String()+"/invitations",
			map[string]string{"email": "invitee@example.com", "role": "member"}), 201, "invite"))
		channel := id(must(aliceK.do("POST", "/api/v1/projects/"+p1+"/channels", map[string]string{"target": "https://example.com/alerts"}), 201, "add channel"))
		statusPage := id(must(aliceK.do("POST", "/api/v1/projects/"+p1+"/status-pages",
			map[string]any{"slug": "alice-status", "title": "Alice", "published": true, "jobs": []map[string]string{{"job_id": jobA1, "display_name": "One"}}}), 201, "add status page"))

		// Alice's monitors, one in each project, and a ping.
		monA1 := id(must(aliceK.do("POST", "/api/v1/monitors", monitorWith("alice-mon", `"period":"10m"`)), 201, "create monitor"))
		monA2 := id(must(aliceK.do("POST", "/api/v1/monitors", monitorWith("alice-mon", `"project_id":`+jstr(p2))), 201, "create monitor"))
		monA1ID, _ := prikke.ParseID(monA1)
		ping := &prikke.Ping{ID: prikke.NewID(), MonitorID: monA1ID, ProjectID: alice.project.ID, Kind: prikke.PingFail,
			Method: "POST", Body: []byte("alice's secret output"), CreatedAt: s.clock.Now().UTC()}
		if _, err := s.store.PingsRecord(ctx, []*prikke.Ping{ping}, monitor.OnPing); err != nil {
			t.Fatal(err)
		}

		// Alice's flow key in the first project.
		must(aliceK.do("PUT", "/api/v1/projects/"+p1+"/flow-keys/api.example.com:443", `{"rate":20,"parallelism":5}`), 201, "set a flow key")

		// Alice's workflow with a run, and a secret, in the first project.
		must(aliceK.do("PUT", "/api/v1/projects/"+p1+"/secrets/TOKEN", `{"value":"alice's token"}`), 201, "set a secret")
		workflowA := id(must(aliceK.do("POST", "/api/v1/workflows", `{"name":"alice's","definition":{"steps":[{"key":"a","url":"https://example.com/a"}]}}`), 201, "create workflow"))
		runA := id(must(aliceK.do("POST", "/api/v1/workflows/"+workflowA+"/runs", `{"alice":1}`), 201, "start run"))

		// Charlie: a job with an execution, and a queued request.
		jobC := id(must(charlieK.do("POST", "/api/v1/jobs", jobWith(`"name":"charlie"`)), 201, "create job"))
		must(charlieK.do("POST", "/api/v1/jobs/"+jobC+"/trigger", nil), 202, "trigger")
		must(charlieK.do("POST", "/api/v1/queue", obj(okURL)), 202, "enqueue")
		must(charlieK.do("POST", "/api/v1/monitors", monitorWith("charlie-mon")), 201, "create monitor")
		must(charlieK.do("POST", "/api/v1/workflows", `{"name":"charlie's","definition":{"steps":[{"key":"a","url":"https://example.com/a"}]}}`), 201, "create workflow")

		// snapshot is every row of alice's organization, as JSON.
		snapshot := func() string {
			t.Helper()
			org := alice.org.ID
			var parts []any
			add := func(v any, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, v)
			}
			add(s.store.OrganizationGet(ctx, org))
			add(s.store.UserGet(ctx, alice.user.ID))
			add(s.store.MembershipListByOrganization(ctx, org))
			ps, err := s.store.ProjectListByOrganization(ctx, org)
			add(ps, err)
			add(s.store.JobList(ctx, store.JobFilter{OrganizationID: &org, Kinds: []prikke.JobKind{prikke.JobKindCron, prikke.JobKindOnce, prikke.JobKindQueue}, Limit: 1000}))
			for _, p := range ps {
				add(s.store.ExecutionList(ctx, store.ExecutionFilter{ProjectID: &p.ID, Limit: 1000}))
				add(s.store.ChannelListByProject(ctx, p.ID))
				add(s.store.StatusPageListByProject(ctx, p.ID))
				add(s.store.NotificationList(ctx, store.NotificationFilter{ProjectID: &p.ID}))
				add(s.store.FlowKeyList(ctx, p.ID, time.Time{}))
				add(s.store.SecretList(ctx, p.ID))
				add(s.store.SecretValues(ctx, p.ID))
				ws, err := s.store.WorkflowList(ctx, store.WorkflowFilter{ProjectID: p.ID})
				add(ws, err)
				runs, err := s.store.WorkflowRunList(ctx, store.RunFilter{ProjectID: &p.ID, Limit: 1000})
				add(runs, err)
				for _, r := range runs {
					add(s.store.WorkflowRunSteps(ctx, r.ID))
				}
			}
			ms, err := s.store.MonitorList(ctx, store.MonitorFilter{OrganizationID: &org, Limit: 1000})
			add(ms, err)
			for _, m := range ms {
				add(s.store.PingList(ctx, store.PingFilter{MonitorID: m.ID, Limit: 1000}))
				add(s.store.MonitorFlipList(ctx, m.ID, 1000))
			}
			add(s.store.PingGet(ctx, monA1ID, ping.ID))
			add(s.store.APIKeyListByOrganization(ctx, org))
			add(s.store.InvitationListByOrganization(ctx, org))
			add(s.store.AuditList(ctx, store.AuditFilter{OrganizationID: org, Limit: 1000}))
			add(s.store.UsageGet(ctx, org, prikke.Month(s.clock.Now())))
			b, err := json.Marshal(parts)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		unchanged := func(before, what string) {
			t.Helper()
			if after := snapshot(); after != before {
				t.Errorf("%s changed alice's data:\n%s", what, diff(before, after))
			}
		}
		notFound := func(r *response, what string) {
			t.Helper()
			if r.Status != 404 {
				t.Errorf("%s = %d %s; want 404", what, r.Status, truncate(r.Body))
				return
			}
			checkProblem(t, r, "", "Not found")
		}

		t.Run("route matrix", func(t *testing.T) {
			params := map[string]string{
				"org_id":         alice.org.ID.String(),
				"user_id":        alice.user.ID.String(),
				"project_id":     p1,
				"job_id":         jobA1,
				"execution_id":   execA1,
				"key_id":         alice.keyRow.ID.String(),
				"invitation_id":  invitation,
				"channel_id":     channel,
				"status_page_id": statusPage,
				"monitor_id":     monA1,
				"ping_id":        ping.ID.String(),
				"slug":           "alice-mon",
				"key":            "api.example.com:443",
				"workflow_id":    workflowA,
				"version":        "1",
				"run_id":         runA,
				"name":           "TOKEN",
			}
			routes := s.api.Routes()
			slices.SortFunc(routes, func(a, b api.Route) int { return strings.Compare(a.Method+a.Path, b.Method+b.Path) })
			covered := 0
			for _, rt := range routes {
				key := rt.Method + " " + rt.Path
				if !strings.Contains(rt.Path, "{") {
					if _, ok := idlessRoutes[key]; !ok {
						t.Errorf("%s has no id in its path and is not in idlessRoutes: add it there, with how it is covered", key)
					}
					continue
				}
				path := rt.Path
				known := true
				for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
					v, ok := params[m[1]]
					if !ok {
						t.Errorf("%s: the matrix knows no id for {%s}: add one of alice's to params", key, m[1])
						known = false
					}
					path = strings.ReplaceAll(path, m[0], v)
				}
				if !known {
					continue
				}
				var body any
				if rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT" {
					body = `{"name":"x"}`
					if b, ok := routeBodies[key]; ok {
						body = b
					}
				}
				for _, c := range []struct {
					name string
					c    *client
				}{{"key", charlieK}, {"session", charlieS}} {
					before := snapshot()
					r := c.c.do(rt.Method, path, body)
					notFound(r, "charlie's "+c.name+": "+key)
					unchanged(before, "charlie's "+c.name+": "+key)
				}
				covered++
			}
			for key := range idlessRoutes {
				m, p, _ := strings.Cut(key, " ")
				if !slices.ContainsFunc(routes, func(r api.Route) bool { return r.Method == m && r.Path == p }) {
					t.Errorf("idlessRoutes lists %s, which is not a route", key)
				}
			}
			t.Logf("%d routes with ids checked with charlie's key and session; %d without ids listed", covered, len(idlessRoutes))
		})

		t.Run("lists hold only the caller's rows", func(t *testing.T) {
			before := snapshot()
			for _, c := range []struct {
				name string
				c    *client
			}{{"key", charlieK}, {"session", charlieS}} {
				check := func(path string, field string, want int) {
					t.Helper()
					r := c.c.do("GET", path, nil)
					if r.Status != 200 {
						t.Errorf("%s %s = %d %s", c.name, path, r.Status, r.Body)
						return
					}
					for _, leak := range []string{alice.org.ID.String(), p1, p2, jobA1, jobA2, execA1, execA2, alice.user.Email, alice.keyRow.KeyID, monA1, monA2, "alice-mon", workflowA, runA} {
						if strings.Contains(string(r.Body), leak) {
							t.Errorf("%s %s shows alice's %s: %s", c.name, path, leak, truncate(r.Body))
						}
					}
					var rows []json.RawMessage
					if field == "" {
						r.json(t, &rows)
					} else {
						var m map[string]json.RawMessage
						r.json(t, &m)
						json.Unmarshal(m[field], &rows)
					}
					if len(rows) != want {
						t.Errorf("%s %s has %d rows; want charlie's %d: %s", c.name, path, len(rows), want, truncate(r.Body))
					}
				}
				check("/api/v1/jobs", "jobs", 1)
				check("/api/v1/queue", "jobs", 1)
				check("/api/v1/monitors", "monitors", 1)
				check("/api/v1/workflows", "workflows", 1)
				check("/api/v1/projects", "", 1)
				check("/api/v1/organizations", "", 1)
				check("/api/v1/projects/"+charlie.project.ID.String()+"/executions", "executions", 2)
				check("/api/v1/organizations/"+charlie.org.ID.String()+"/api-keys", "", 1)
				check("/api/v1/organizations/"+charlie.org.ID.String()+"/members", "", 1)
			}
			unchanged(before, "charlie's lists")
		})

		t.Run("filter smuggling", func(t *testing.T) {
			before := snapshot()
			for _, c := range []struct {
				name string
				c    *client
			}{{"key", charlieK}, {"session", charlieS}} {
				notFound(c.c.do("GET", "/api/v1/jobs?project_id="+p1, nil), c.name+": jobs of alice's project")
				notFound(c.c.do("GET", "/api/v1/monitors?project_id="+p1, nil), c.name+": monitors of alice's project")
				notFound(c.c.do("GET", "/api/v1/workflows?project_id="+p1, nil), c.name+": workflows of alice's project")
				if r := c.c.do("POST", "/api/v1/workflows", `{"project_id":`+jstr(p1)+`,"name":"x","definition":{"steps":[{"key":"a","url":"https://example.com/a"}]}}`); r.Status != 422 {
					t.Errorf("%s: POST /api/v1/workflows into alice's project = %d %s; want 422", c.name, r.Status, r.Body)
				} else {
					checkProblem(t, r, "body.project_id", "is not a project you can use")
				}
				if r := c.c.do("POST", "/api/v1/monitors", monitorWith("smuggled", `"project_id":`+jstr(p1))); r.Status != 422 {
					t.Errorf("%s: POST /api/v1/monitors into alice's project = %d %s; want 422", c.name, r.Status, r.Body)
				} else {
					checkProblem(t, r, "body.project_id", "is not a project you can use")
				}
				notFound(c.c.do("GET", "/api/v1/projects?organization_id="+alice.org.ID.String(), nil), c.name+": projects of alice's organization")
				notFound(c.c.do("POST", "/api/v1/projects", map[string]string{"organization_id": alice.org.ID.String(), "name": "x"}), c.name+": project in alice's organization")
				for _, path := range []string{"/api/v1/jobs", "/api/v1/queue", "/api/v1/jobs/test"} {
					r := c.c.do("POST", path, jobWith(`"project_id":`+jstr(p1)))
					if path == "/api/v1/queue" {
						r = c.c.do("POST", path, obj(okURL, `"project_id":`+jstr(p1)))
					}
					if r.Status != 422 {
						t.Errorf("%s: POST %s into alice's project = %d %s; want 422", c.name, path, r.Status, r.Body)
						continue
					}
					checkProblem(t, r, "body.project_id", "is not a project you can use")
				}
				r := c.c.do("POST", "/api/v1/organizations/"+charlie.org.ID.String()+"/api-keys", map[string]string{"name": "x", "project_id": p1})
				if r.Status != 422 {
					t.Errorf("%s: key for alice's project = %d %s; want 422", c.name, r.Status, r.Body)
				} else {
					checkProblem(t, r, "body.project_id", "is not a project of this organization")
				}
			}
			unchanged(before, "smuggled ids")
		})

		t.Run("mass assignment", func(t *testing.T) {
			before, own := snapshot(), jobRow(t, s, jobC)
			for _, tc := range []struct{ body, loc, msg string }{
				{`{"project_id":` + jstr(p1) + `}`, "body.project_id", "cannot be changed"},
				{`{"organization_id":` + jstr(alice.org.ID.String()) + `}`, "body.organization_id", "unknown field"},
				{`{"user_id":` + jstr(alice.user.ID.String()) + `}`, "body.user_id", "unknown field"},
				{`{"name":"ok","owner":"alice"}`, "body.owner", "unknown field"},
			} {
				r := charlieK.do("PATCH", "/api/v1/jobs/"+jobC, tc.body)
				if r.Status != 422 {
					t.Errorf("PATCH own job %s = %d %s; want 422", tc.body, r.Status, r.Body)
					continue
				}
				checkProblem(t, r, tc.loc, tc.msg)
			}
			r := charlieS.do("PATCH", "/api/v1/projects/"+charlie.project.ID.String(), map[string]string{"organization_id": alice.org.ID.String()})
			if r.Status != 422 {
				t.Errorf("PATCH own project into alice's organization = %d %s; want 422", r.Status, r.Body)
			} else {
				checkProblem(t, r, "body.organization_id", "cannot be changed")
			}
			if after := jobRow(t, s, jobC); string(after) != string(own) {
				t.Errorf("charlie's job changed:\n%s\n%s", own, after)
			}
			unchanged(before, "mass assignment")
		})

		t.Run("a key limited to one project", func(t *testing.T) {
			c := s.withKey(p1Key.Key)
			must(c.do("GET", "/api/v1/jobs/"+jobA1, nil), 200, "p1 key reads project 1") // sets its last_used_at
			before := snapshot()
			for _, req := range []struct{ method, path string }{
				{"GET", "/api/v1/jobs/" + jobA2}, {"PATCH", "/api/v1/jobs/" + jobA2}, {"DELETE", "/api/v1/jobs/" + jobA2},
				{"POST", "/api/v1/jobs/" + jobA2 + "/trigger"}, {"POST", "/api/v1/jobs/" + jobA2 + "/pause"},
				{"GET", "/api/v1/jobs/" + jobA2 + "/executions"}, {"GET", "/api/v1/executions/" + execA2},
				{"GET", "/api/v1/jobs?project_id=" + p2}, {"GET", "/api/v1/projects/" + p2},
				{"GET", "/api/v1/projects/" + p2 + "/executions"}, {"GET", "/api/v1/projects/" + p2 + "/signing-secret"},
				{"DELETE", "/api/v1/api-keys/" + alice.keyRow.ID.String()},
				{"GET", "/api/v1/monitors/" + monA2}, {"PATCH", "/api/v1/monitors/" + monA2}, {"DELETE", "/api/v1/monitors/" + monA2},
				{"POST", "/api/v1/monitors/" + monA2 + "/pause"}, {"GET", "/api/v1/monitors/" + monA2 + "/pings"},
				{"GET", "/api/v1/monitors?project_id=" + p2}, {"PUT", "/api/v1/projects/" + p2 + "/monitors/by-slug/alice-mon"},
			} {
				var body any
				if req.method == "PATCH" || req.method == "PUT" {
					body = `{"name":"x"}`
				}
				notFound(c.do(req.method, req.path, body), "p1 key: "+req.method+" "+req.path)
			}
			r := c.do("GET", "/api/v1/jobs", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), jobA1) || strings.Contains(string(r.Body), jobA2) {
				t.Errorf("p1 key lists jobs %d %s; want only project 1's", r.Status, truncate(r.Body))
			}
			r = c.do("GET", "/api/v1/monitors", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), monA1) || strings.Contains(string(r.Body), monA2) {
				t.Errorf("p1 key lists monitors %d %s; want only project 1's", r.Status, truncate(r.Body))
			}
			r = c.do("GET", "/api/v1/projects", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), p1) || strings.Contains(string(r.Body), p2) {
				t.Errorf("p1 key lists projects %d %s; want only project 1", r.Status, truncate(r.Body))
			}
			if r := c.do("POST", "/api/v1/jobs", jobWith(`"project_id":`+jstr(p2))); r.Status != 422 {
				t.Errorf("p1 key creates a job in project 2: %d %s; want 422", r.Status, r.Body)
			}
			// What spans the organization (other projects' names in the
			// audit log, people, every key) is not the key's to see.
			orgPath := "/api/v1/organizations/" + alice.org.ID.String()
			for _, req := range []struct {
				method, path string
				body         any
			}{
				{"GET", orgPath + "/members", nil}, {"GET", orgPath + "/invitations", nil}, {"GET", orgPath + "/audit-log", nil},
				{"POST", orgPath + "/invitations", map[string]string{"email": "eve@example.com", "role": "viewer"}},
				{"POST", orgPath + "/api-keys", map[string]string{"name": "more"}},
				{"POST", "/api/v1/projects", map[string]string{"name": "p3", "organization_id": alice.org.ID.String()}},
			} {
				r := c.do(req.method, req.path, req.body)
				if r.Status != 403 {
					t.Errorf("p1 key: %s %s = %d %s; want 403", req.method, req.path, r.Status, truncate(r.Body))
					continue
				}
				checkProblem(t, r, "", "A key limited to one project cannot")
			}
			r = c.do("GET", orgPath+"/api-keys", nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), p1Key.KeyID) || strings.Contains(string(r.Body), alice.keyRow.KeyID) {
				t.Errorf("p1 key lists keys %d %s; want only those limited to project 1", r.Status, truncate(r.Body))
			}
			unchanged(before, "the project-limited key")
		})

		t.Run("roles", func(t *testing.T) {
			org := alice.org.ID.String()
			must(aliceS.do("POST", "/api/v1/organizations/"+org+"/invitations", map[string]string{"email": bob.user.Email, "role": "viewer"}), 201, "invite bob")
			tok := tokenFrom(t, s.lastMail(bob.user.Email).Text)
			must(bobS.do("POST", "/api/v1/invitations/accept", map[string]string{"token": tok}), 200, "bob accepts")
			forbidden := func(r *response, what string) {
				t.Helper()
				if r.Status != 403 {
					t.Errorf("%s = %d %s; want 403", what, r.Status, truncate(r.Body))
					return
				}
				checkProblem(t, r, "", "Your role does not allow you to")
			}
			setRole := func(c *client, user prikke.ID, role string) *response {
				return c.do("PATCH", "/api/v1/organizations/"+org+"/members/"+user.String(), map[string]string{"role": role})
			}
			newJob := jobWith(`"project_id":` + jstr(p1))

			// Viewer: reads, changes nothing.
			before := snapshot()
			must(bobS.do("GET", "/api/v1/jobs/"+jobA1, nil), 200, "viewer reads a job")
			if r := must(bobS.do("GET", "/api/v1/jobs?project_id="+p1, nil), 200, "viewer lists jobs"); !strings.Contains(string(r.Body), jobA1) {
				t.Errorf("viewer's job list lacks alice's job: %s", r.Body)
			}
			forbidden(bobS.do("POST", "/api/v1/jobs", newJob), "viewer creates a job")
			forbidden(bobS.do("PATCH", "/api/v1/jobs/"+jobA1, `{"name":"viewer was here"}`), "viewer changes a job")
			forbidden(bobS.do("DELETE", "/api/v1/jobs/"+jobA1, nil), "viewer deletes a job")
			forbidden(bobS.do("POST", "/api/v1/jobs/"+jobA1+"/trigger", nil), "viewer triggers a job")
			must(bobS.do("GET", "/api/v1/monitors/"+monA1, nil), 200, "viewer reads a monitor")
			must(bobS.do("GET", "/api/v1/monitors/"+monA1+"/pings/"+ping.ID.String(), nil), 200, "viewer reads a ping")
			forbidden(bobS.do("POST", "/api/v1/monitors", monitorWith("viewer", `"project_id":`+jstr(p1))), "viewer creates a monitor")
			forbidden(bobS.do("PATCH", "/api/v1/monitors/"+monA1, `{"name":"viewer was here"}`), "viewer changes a monitor")
			forbidden(bobS.do("POST", "/api/v1/monitors/"+monA1+"/pause", nil), "viewer pauses a monitor")
			forbidden(bobS.do("POST", "/api/v1/projects/"+p1+"/snooze", `{"until":null}`), "viewer snoozes a project")
			forbidden(bobS.do("PUT", "/api/v1/projects/"+p1+"/monitors/by-slug/alice-mon", `{"name":"viewer"}`), "viewer puts a monitor")
			forbidden(bobS.do("DELETE", "/api/v1/monitors/"+monA1, nil), "viewer deletes a monitor")
			forbidden(setRole(bobS, bob.user.ID, "owner"), "viewer promotes himself")
			unchanged(before, "the viewer")

			// Member: manages jobs, not keys.
			must(setRole(aliceS, bob.user.ID, "member"), 204, "owner makes bob a member")
			j := id(must(bobS.do("POST", "/api/v1/jobs", newJob), 201, "member creates a job"))
			must(bobS.do("PATCH", "/api/v1/jobs/"+j, `{"name":"member was here"}`), 200, "member changes a job")
			must(bobS.do("DELETE", "/api/v1/jobs/"+j, nil), 204, "member deletes a job")
			mon := id(must(bobS.do("POST", "/api/v1/monitors", monitorWith("member-mon", `"project_id":`+jstr(p1))), 201, "member creates a monitor"))
			must(bobS.do("POST", "/api/v1/monitors/"+mon+"/pause", nil), 200, "member pauses a monitor")
			must(bobS.do("DELETE", "/api/v1/monitors/"+mon, nil), 204, "member deletes a monitor")
			before = snapshot()
			forbidden(bobS.do("POST", "/api/v1/organizations/"+org+"/api-keys", map[string]string{"name": "member key"}), "member creates an API key")
			forbidden(bobS.do("GET", "/api/v1/projects/"+p1+"/signing-secret", nil), "member reads the signing secret")
			unchanged(before, "the member")

			// Admin: manages keys, not roles.
			must(setRole(aliceS, bob.user.ID, "admin"), 204, "owner makes bob an admin")
			before = snapshot()
			forbidden(setRole(bobS, bob.user.ID, "owner"), "admin promotes himself")
			forbidden(setRole(bobS, alice.user.ID, "viewer"), "admin demotes the owner")
			forbidden(bobS.do("DELETE", "/api/v1/organizations/"+org+"/members/"+alice.user.ID.String(), nil), "admin removes the owner")
			unchanged(before, "the admin")
			must(bobS.do("POST", "/api/v1/organizations/"+org+"/api-keys", map[string]string{"name": "admin key"}), 201, "admin creates an API key")

			// Owner: changes roles.
			must(setRole(aliceS, bob.user.ID, "viewer"), 204, "owner makes bob a viewer again")
			forbidden(bobS.do("POST", "/api/v1/jobs", newJob), "viewer (again) creates a job")
		})
	})
}

// diff shows where two strings part, with some context.
func diff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("before …%s\nafter  …%s", a[from:min(len(a), i+200)], b[from:min(len(b), i+200)])
}
