package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

// Issue 18's API: expect and redact validation, the request preview,
// replays, search and export.

// hasLocation reports whether the problem names location.
func hasLocation(p problem, location string) bool {
	for _, e := range p.Errors {
		if e.Location == location {
			return true
		}
	}
	return false
}

// TestJobExpectValidation: a job's expect is checked on create and
// update, each bad assertion a 422 naming its field under body.expect.
func TestJobExpectValidation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		many := make([]string, prikke.MaxExpectStatuses+1)
		for i := range many {
			many[i] = "200"
		}
		for _, tc := range []struct {
			name   string
			expect map[string]any
			loc    string
		}{
			{"bad regexp", map[string]any{"json_path": "state", "matches": "(unclosed"}, "body.expect.matches"},
			{"bad path", map[string]any{"json_path": "data..state", "equals": "x"}, "body.expect.json_path"},
			{"bad status", map[string]any{"status": []string{"2xy"}}, "body.expect.status[0]"},
			{"bad range", map[string]any{"status": []string{"299-200"}}, "body.expect.status[0]"},
			{"too many statuses", map[string]any{"status": many}, "body.expect.status"},
			{"equals without path", map[string]any{"equals": "done"}, "body.expect.json_path"},
			{"too long", map[string]any{"body_contains": strings.Repeat("x", prikke.MaxExpectTextLength+1)}, "body.expect.body_contains"},
		} {
			r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/x", "interval": "hourly", "expect": tc.expect})
			if r.Status != 422 {
				t.Errorf("%s: create = %d %s; want 422", tc.name, r.Status, r.Body)
				continue
			}
			if p := r.problem(t); !hasLocation(p, tc.loc) {
				t.Errorf("%s: problem %s; want an error at %s", tc.name, r.Body, tc.loc)
			}
		}
		// A good one is accepted, and shown back.
		good := map[string]any{"status": []string{"200-204", "404"}, "json_path": "data.state", "matches": "^(done|ok)$",
			"body_not_contains": "error", "max_duration_ms": 2000}
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/x", "interval": "hourly", "expect": good})
		if r.Status != 201 {
			t.Fatalf("create with a good expect = %d %s", r.Status, r.Body)
		}
		var j struct {
			ID     string          `json:"id"`
			Expect json.RawMessage `json:"expect"`
		}
		r.json(t, &j)
		if !jsonEqual(t, j.Expect, good) {
			t.Errorf("created expect = %s; want %v", j.Expect, good)
		}
		// An update with a bad one is refused the same way.
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"expect": map[string]any{"json_path": "a", "matches": "[z-a]"}})
		if r.Status != 422 || !hasLocation(r.problem(t), "body.expect.matches") {
			t.Errorf("update with a bad expect = %d %s; want 422 at body.expect.matches", r.Status, r.Body)
		}
		if !storeKeepsExpect(t, s, c, j.ID, j.Expect) {
			return
		}
		var removed struct {
			Expect json.RawMessage `json:"expect"`
		}
		r = c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"expect": nil})
		r.json(t, &removed)
		if r.Status != 200 || len(removed.Expect) != 0 {
			t.Errorf("expect: null = %d %s; want the assertions removed", r.Status, r.Body)
		}
	})
}

// storeKeepsExpect reports whether the store kept Job.Expect, failing the
// test when it did not.
func storeKeepsExpect(t *testing.T, s *server, c *client, jobID string, created json.RawMessage) bool {
	t.Helper()
	var got struct {
		Expect json.RawMessage `json:"expect"`
	}
	c.do("GET", "/api/v1/jobs/"+jobID, nil).json(t, &got)
	if len(got.Expect) == 0 && len(created) != 0 {
		t.Errorf("%s store lost the job's expect: got none, created %s", s.dialect, created)
		return false
	}
	if !jsonEqual(t, got.Expect, created) {
		t.Errorf("%s store changed the job's expect: got %s, created %s", s.dialect, got.Expect, created)
		return false
	}
	return true
}

// jsonEqual reports whether the JSON a holds and b (JSON, or a value to
// encode) are the same value.
func jsonEqual(t *testing.T, a json.RawMessage, b any) bool {
	t.Helper()
	raw, ok := b.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(raw, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestProjectRedactValidation: a project's redaction is checked (header
// tokens, JSON paths, limits), each problem naming its field; a project
// shows the defaults until it sets its own.
func TestProjectRedactValidation(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		path := "/api/v1/projects/" + tn.project.ID.String()
		var p struct {
			Redact struct {
				Headers   []string `json:"headers"`
				JSONPaths []string `json:"json_paths"`
			} `json:"redact"`
		}
		r := c.do("GET", path, nil)
		r.json(t, &p)
		if r.Status != 200 || strings.Join(p.Redact.Headers, ",") != strings.Join(prikke.DefaultRedactHeaders, ",") || len(p.Redact.JSONPaths) != 0 {
			t.Errorf("a new project's redact = %s; want the defaults", r.Body)
		}
		many := make([]string, prikke.MaxRedactHeaders+1)
		for i := range many {
			many[i] = "X-H"
		}
		manyPaths := make([]string, prikke.MaxRedactJSONPaths+1)
		for i := range manyPaths {
			manyPaths[i] = "a"
		}
		for _, tc := range []struct {
			name   string
			redact map[string]any
			loc    string
		}{
			{"header with a space", map[string]any{"headers": []string{"X Token"}}, "body.redact.headers[0]"},
			{"header with a colon", map[string]any{"headers": []string{"Authorization", "X-Key:"}}, "body.redact.headers[1]"},
			{"bad path", map[string]any{"json_paths": []string{"data..token"}}, "body.redact.json_paths[0]"},
			{"too many headers", map[string]any{"headers": many}, "body.redact.headers"},
			{"too many paths", map[string]any{"json_paths": manyPaths}, "body.redact.json_paths"},
		} {
			r := c.do("PATCH", path, map[string]any{"redact": tc.redact})
			if r.Status != 422 {
				t.Errorf("%s: update = %d %s; want 422", tc.name, r.Status, r.Body)
				continue
			}
			if pr := r.problem(t); !hasLocation(pr, tc.loc) {
				t.Errorf("%s: problem %s; want an error at %s", tc.name, r.Body, tc.loc)
			}
		}
		r = c.do("PATCH", path, map[string]any{"redact": map[string]any{"headers": []string{"Authorization", "X-Api-Key"}, "json_paths": []string{"password", "data.token"}}})
		if r.Status != 200 {
			t.Fatalf("a good redact = %d %s", r.Status, r.Body)
		}
		r = c.do("GET", path, nil)
		r.json(t, &p)
		if strings.Join(p.Redact.Headers, ",") != "Authorization,X-Api-Key" {
			t.Fatalf("%s store lost the project's redaction: %s", s.dialect, r.Body)
		}
		if strings.Join(p.Redact.JSONPaths, ",") != "password,data.token" {
			t.Errorf("redact after update = %s", r.Body)
		}
		r = c.do("PATCH", path, map[string]any{"redact": nil})
		r.json(t, &p)
		if r.Status != 200 || strings.Join(p.Redact.Headers, ",") != strings.Join(prikke.DefaultRedactHeaders, ",") {
			t.Errorf("redact: null = %d %s; want the defaults again", r.Status, r.Body)
		}
	})
}

// TestJobTemplatesAndPreview: templates in a job's URL, headers and body
// are checked at save (a bad one is a field error; a templated URL is
// checked rendered, and says so), and the preview shows the next request
// rendered, with placeholders for the signature.
func TestJobTemplatesAndPreview(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		for _, tc := range []struct {
			name string
			job  map[string]any
			loc  string
		}{
			{"unknown name", map[string]any{"url": "https://example.com/{{ nope }}"}, "body.url"},
			{"unterminated", map[string]any{"url": "https://example.com/x", "body": `{"at":"{{ scheduled_for"}`}, "body.body"},
			{"header template", map[string]any{"url": "https://example.com/x", "headers": map[string]string{"X-Run": "{{ bogus.name }}"}}, "body.headers.X-Run"},
			{"rendered URL invalid", map[string]any{"url": "{{ job.name }}"}, "body.url"},
		} {
			tc.job["interval"] = "hourly"
			r := c.do("POST", "/api/v1/jobs", tc.job)
			if r.Status != 422 {
				t.Errorf("%s: create = %d %s; want 422", tc.name, r.Status, r.Body)
				continue
			}
			if p := r.problem(t); !hasLocation(p, tc.loc) {
				t.Errorf("%s: problem %s; want an error at %s", tc.name, r.Body, tc.loc)
			}
		}
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "{{ job.name }}", "interval": "hourly"})
		if p := r.problem(t); len(p.Errors) == 0 || !strings.Contains(p.Errors[0].Message, "sample run") {
			t.Errorf("templated URL problem %s; want it to say it was rendered for a sample run", r.Body)
		}

		job := map[string]any{"name": "nightly", "method": "POST", "url": "https://example.com/run/{{ job.name }}?at={{ scheduled_for | url }}",
			"headers": map[string]string{"X-Attempt": "{{ attempt }}"}, "body": `{"execution":"{{ execution_id }}"}`, "cron_expression": "0 3 * * *"}
		r = c.do("POST", "/api/v1/jobs", job)
		if r.Status != 201 {
			t.Fatalf("create templated job = %d %s", r.Status, r.Body)
		}
		var created struct {
			ID string `json:"id"`
		}
		r.json(t, &created)

		previewPath := "/api/v1/projects/" + tn.project.ID.String() + "/jobs/preview"
		var pv struct {
			ScheduledFor time.Time         `json:"scheduled_for"`
			Method       string            `json:"method"`
			URL          string            `json:"url"`
			Headers      map[string]string `json:"headers"`
			Body         string            `json:"body"`
			Curl         string            `json:"curl"`
		}
		r = c.do("POST", previewPath, job)
		r.json(t, &pv)
		if r.Status != 200 {
			t.Fatalf("preview = %d %s", r.Status, r.Body)
		}
		if pv.ScheduledFor.Hour() != 3 || pv.ScheduledFor.Minute() != 0 {
			t.Errorf("preview scheduled_for %s; want the next 03:00", pv.ScheduledFor)
		}
		if !strings.HasPrefix(pv.URL, "https://example.com/run/nightly?at=") || strings.Contains(pv.URL, "{{") {
			t.Errorf("preview url %q; want the templates rendered", pv.URL)
		}
		if pv.Headers["X-Attempt"] != "1" || pv.Headers["webhook-signature"] != "v1,<signature>" || pv.Headers["Prikke-Execution-Id"] == "" {
			t.Errorf("preview headers %v; want X-Attempt 1, a placeholder signature and the execution id", pv.Headers)
		}
		if !strings.Contains(pv.Body, pv.Headers["Prikke-Execution-Id"]) {
			t.Errorf("preview body %q; want the execution id %s", pv.Body, pv.Headers["Prikke-Execution-Id"])
		}
		if !strings.HasPrefix(pv.Curl, "curl -X POST 'https://example.com/run/nightly") || !strings.Contains(pv.Curl, "--data-raw") {
			t.Errorf("preview curl %q", pv.Curl)
		}
		// An edit of the saved job, by job_id.
		r = c.do("POST", previewPath+"?job_id="+created.ID, map[string]any{"body": "{{ job.id }}"})
		r.json(t, &pv)
		if r.Status != 200 || pv.Body != created.ID || pv.Method != "POST" {
			t.Errorf("preview of an edit = %d %s; want body %s and the saved method", r.Status, r.Body, created.ID)
		}
		// Template errors are field errors.
		r = c.do("POST", previewPath, map[string]any{"url": "https://example.com/{{ unknown }}"})
		if r.Status != 422 || !hasLocation(r.problem(t), "body.url") {
			t.Errorf("preview with a bad template = %d %s; want 422 at body.url", r.Status, r.Body)
		}
		// Another tenant's project is not found.
		other := s.newTenant(prikke.TierPro)
		r = s.withKey(other.key).do("POST", previewPath, job)
		if r.Status != 404 {
			t.Errorf("preview in another tenant's project = %d %s; want 404", r.Status, r.Body)
		}
	})
}

// TestExecutionSearchParams: each bad search value is a 422 naming its
// parameter, on both list endpoints and the export.
func TestExecutionSearchParams(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/x", "interval": "hourly"})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		bases := []string{"/api/v1/jobs/" + j.ID + "/executions", "/api/v1/projects/" + tn.project.ID.String() + "/executions",
			"/api/v1/projects/" + tn.project.ID.String() + "/executions/export"}
		for _, tc := range []struct{ query, loc string }{
			{"status_code=abc", "query.status_code"},
			{"status_code=200,99", "query.status_code"},
			{"status_code=200&status_code=700", "query.status_code"},
			{"status_class=6xx", "query.status_class"},
			{"min_duration_ms=-1", "query.min_duration_ms"},
			{"max_duration_ms=soon", "query.max_duration_ms"},
			{"min_duration_ms=500&max_duration_ms=100", "query.max_duration_ms"},
			{"q=" + strings.Repeat("x", 201), "query.q"},
			{"status=done", "query.status"},
		} {
			for _, b := range bases {
				r := c.do("GET", b+"?"+tc.query, nil)
				if r.Status != 422 || !hasLocation(r.problem(t), tc.loc) {
					t.Errorf("GET %s?%s = %d %s; want 422 at %s", b, tc.query, r.Status, r.Body, tc.loc)
				}
			}
		}
		for _, b := range bases[:2] {
			if r := c.do("GET", b+"?status_code=200,201&status_code=503&status_class=5xx&min_duration_ms=1&max_duration_ms=100&q=ok", nil); r.Status != 200 {
				t.Errorf("GET %s with good filters = %d %s", b, r.Status, r.Body)
			}
		}
		if r := c.do("GET", bases[2]+"?format=xml", nil); r.Status != 422 {
			t.Errorf("export format=xml = %d %s; want 422", r.Status, r.Body)
		}
	})
}

// seedExecutions delivers executions of a job as a worker would (insert,
// claim, complete): one per status given, a minute apart from from (the
// first the oldest), each started 3 ms late, with a request whose
// Authorization was redacted and a 503 (or 200 for success) response.
func seedExecutions(t *testing.T, s *server, tn *tenant, jobID prikke.ID, from time.Time, statuses ...prikke.ExecutionStatus) []*prikke.Execution {
	t.Helper()
	ctx := context.Background()
	var es []*prikke.Execution
	byID := map[prikke.ID]int{}
	for i := range statuses {
		at := from.Add(time.Duration(i) * time.Minute).UTC().Truncate(time.Millisecond)
		e := &prikke.Execution{ID: prikke.NewID(), JobID: jobID, ProjectID: tn.project.ID, OrganizationID: tn.org.ID,
			ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending, Manual: true, CreatedAt: at}
		if err := s.store.ExecutionInsert(ctx, e); err != nil {
			t.Fatal(err)
		}
		byID[e.ID] = i
		es = append(es, e)
	}
	for done := 0; done < len(es); {
		res, err := s.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 500, Now: time.Now().Add(time.Minute), LeaseGrace: time.Minute})
		if err != nil || len(res.Claimed) == 0 {
			t.Fatalf("claim = %v, %v after %d of %d", res, err, done, len(es))
		}
		var cs []*store.Completion
		for _, cl := range res.Claimed {
			i := byID[cl.Execution.ID]
			e := es[i]
			code := 200
			if statuses[i] != prikke.ExecutionStatusSuccess {
				code = 503
			}
			cs = append(cs, &store.Completion{ExecutionID: e.ID, JobID: jobID, OrganizationID: tn.org.ID, Attempt: 1, Status: statuses[i],
				StartedAt: e.DueAt.Add(3 * time.Millisecond), FinishedAt: e.DueAt.Add(120 * time.Millisecond), DurationMS: 117,
				RequestMethod: "POST", RequestURL: "https://example.com/hook",
				RequestHeaders: []prikke.Header{{Name: "Authorization", Value: prikke.Redacted}, {Name: "X-Plain", Value: "p"}},
				RequestBody:    []byte(`{"n":1}`), ResponseStatus: code, ResponseBody: []byte(`{"ok":false,"why":"busy"}`)})
		}
		if _, err := s.store.ExecutionComplete(ctx, "n1", cs); err != nil {
			t.Fatal(err)
		}
		done += len(cs)
	}
	return es
}

// TestExecutionReplay: a replay is a new pending execution linked to the
// original, which is not changed; edits apply; a redacted header is
// restored from the job; another tenant's execution is not found; a
// workflow step's execution is refused; a bulk replay takes a job's failed
// executions in a range, and refuses a range too wide.
func TestExecutionReplay(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "method": "POST", "interval": "hourly",
			"headers": map[string]string{"Authorization": "Bearer current"}})
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		from := time.Now().UTC().Add(-time.Hour)
		es := seedExecutions(t, s, tn, jobID, from, prikke.ExecutionStatusFailed, prikke.ExecutionStatusSuccess, prikke.ExecutionStatusTimeout)
		before, err := s.store.ExecutionGet(context.Background(), es[0].ID)
		if err != nil {
			t.Fatal(err)
		}

		// Another tenant cannot see it, nor replay it.
		other := s.newTenant(prikke.TierPro)
		if r := s.withKey(other.key).do("POST", "/api/v1/executions/"+es[0].ID.String()+"/replay", nil); r.Status != 404 {
			t.Errorf("replay of another tenant's execution = %d %s; want 404", r.Status, r.Body)
		}
		// A bad edit is a field error.
		r = c.do("POST", "/api/v1/executions/"+es[0].ID.String()+"/replay", map[string]any{"url": "ftp://example.com/x"})
		if r.Status != 422 || !hasLocation(r.problem(t), "body.url") {
			t.Errorf("replay with a bad url = %d %s; want 422 at body.url", r.Status, r.Body)
		}

		r = c.do("POST", "/api/v1/executions/"+es[0].ID.String()+"/replay", map[string]any{"body": `{"n":2}`})
		if r.Status != 201 {
			t.Fatalf("replay = %d %s; want 201", r.Status, r.Body)
		}
		var rep struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			ReplayOf string `json:"replay_of"`
			Manual   bool   `json:"manual"`
			Request  struct {
				Headers map[string]string `json:"headers"`
				Body    string            `json:"body"`
			} `json:"request"`
		}
		r.json(t, &rep)
		if rep.Status != "pending" || rep.ReplayOf != es[0].ID.String() || !rep.Manual {
			t.Errorf("replay = %s; want a pending manual execution with replay_of %s", r.Body, es[0].ID)
		}
		repID, _ := prikke.ParseID(rep.ID)
		stored, err := s.store.ExecutionGet(context.Background(), repID)
		if err != nil {
			t.Fatal(err)
		}
		if string(stored.RequestBody) != `{"n":2}` || stored.RequestMethod != "POST" || stored.RequestURL != "https://example.com/hook" {
			t.Errorf("replay request %s %s %q; want the original's with the body edited", stored.RequestMethod, stored.RequestURL, stored.RequestBody)
		}
		auth := ""
		for _, h := range stored.RequestHeaders {
			if strings.EqualFold(h.Name, "Authorization") {
				auth = h.Value
			}
		}
		if auth != prikke.Redacted {
			t.Errorf("pending replay Authorization %q; want it kept redacted (the worker sends the job's current value)", auth)
		}
		if _, ok := rep.Request.Headers["X-Plain"]; !ok {
			t.Errorf("replay headers %v; want the original's", rep.Request.Headers)
		}
		// A redacted header the job does not have cannot be sent.
		if r := c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"headers": map[string]string{}}); r.Status != 200 {
			t.Fatalf("drop the job's headers = %d %s", r.Status, r.Body)
		}
		r = c.do("POST", "/api/v1/executions/"+es[2].ID.String()+"/replay", nil)
		if r.Status != 422 || !hasLocation(r.problem(t), "body.headers.Authorization") {
			t.Errorf("replay of a redacted header the job lacks = %d %s; want 422 at body.headers.Authorization", r.Status, r.Body)
		}
		if r := c.do("PATCH", "/api/v1/jobs/"+j.ID, map[string]any{"headers": map[string]string{"Authorization": "Bearer current"}}); r.Status != 200 {
			t.Fatalf("restore the job's headers = %d %s", r.Status, r.Body)
		}
		after, err := s.store.ExecutionGet(context.Background(), es[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != before.Status || string(after.RequestBody) != string(before.RequestBody) || after.ReplayOf != nil ||
			!after.CreatedAt.Equal(before.CreatedAt) || after.ResponseStatus != before.ResponseStatus {
			t.Errorf("the original changed: %+v; was %+v", after, before)
		}

		// Bulk: the failed and timed-out executions in the range.
		var list struct {
			Executions []struct {
				ReplayOf string `json:"replay_of"`
			} `json:"executions"`
		}
		r = c.do("POST", "/api/v1/jobs/"+j.ID+"/replay-failed", map[string]any{"since": from.Add(-time.Second), "until": from.Add(10 * time.Minute)})
		r.json(t, &list)
		if r.Status != 201 || len(list.Executions) != 2 || list.Executions[0].ReplayOf != es[0].ID.String() || list.Executions[1].ReplayOf != es[2].ID.String() {
			t.Errorf("replay-failed = %d %s; want replays of %s and %s", r.Status, r.Body, es[0].ID, es[2].ID)
		}
		r = c.do("POST", "/api/v1/jobs/"+j.ID+"/replay-failed", map[string]any{"since": from.Add(time.Hour), "until": from})
		if r.Status != 422 || !hasLocation(r.problem(t), "body.until") {
			t.Errorf("replay-failed with until before since = %d %s; want 422 at body.until", r.Status, r.Body)
		}

		// A deleted job's executions are gone with it.
		if r := c.do("DELETE", "/api/v1/jobs/"+j.ID, nil); r.Status != 204 {
			t.Fatalf("delete = %d %s", r.Status, r.Body)
		}
		if r := c.do("POST", "/api/v1/executions/"+es[1].ID.String()+"/replay", nil); r.Status != 404 {
			t.Errorf("replay of a deleted job's execution = %d %s; want 404", r.Status, r.Body)
		}
	})
}

// TestReplayFailedCap: more failed executions in the range than one bulk
// replay sends is refused, saying to narrow it.
func TestReplayFailedCap(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "hourly"})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		statuses := make([]prikke.ExecutionStatus, prikke.MaxBulkReplay+1)
		for i := range statuses {
			statuses[i] = prikke.ExecutionStatusFailed
		}
		from := time.Now().UTC().Add(-20 * time.Hour) // 1001 minutes, within the history window
		seedExecutions(t, s, tn, jobID, from, statuses...)
		r = c.do("POST", "/api/v1/jobs/"+j.ID+"/replay-failed", map[string]any{"since": from.Add(-time.Second), "until": time.Now().UTC()})
		if r.Status != 422 || !strings.Contains(r.problem(t).Detail, "narrow") {
			t.Errorf("replay-failed over the cap = %d %s; want 422 saying to narrow the range", r.Status, r.Body)
		}
	})
}

// TestExecutionExport: the export streams CSV or JSON lines with a
// Content-Disposition, the filters applied, and parses back.
func TestExecutionExport(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "hourly"})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		es := seedExecutions(t, s, tn, jobID, time.Now().UTC().Add(-time.Hour), prikke.ExecutionStatusFailed, prikke.ExecutionStatusSuccess, prikke.ExecutionStatusFailed)
		base := "/api/v1/projects/" + tn.project.ID.String() + "/executions/export"

		// The list's search filters select.
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"status_code=503", 2}, {"status_code=200&status_code=503", 3}, {"status_code=404,200", 1},
			{"status_class=2xx", 1}, {"status_class=5xx", 2}, {"min_duration_ms=100", 3}, {"min_duration_ms=200", 0},
			{"max_duration_ms=100", 0}, {"q=busy", 3}, {"q=nothing", 0}, {"status=failed&status_code=503", 2},
		} {
			var page struct {
				Executions []json.RawMessage `json:"executions"`
			}
			r := c.do("GET", "/api/v1/jobs/"+j.ID+"/executions?"+tc.query, nil)
			r.json(t, &page)
			if r.Status != 200 || len(page.Executions) != tc.want {
				t.Errorf("executions?%s = %d, %d executions; want %d", tc.query, r.Status, len(page.Executions), tc.want)
			}
		}

		r = c.do("GET", base+"?format=csv", nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), `filename="executions.csv"`) {
			t.Fatalf("export csv = %d %v %s", r.Status, r.Header, r.Body)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("parse csv: %v\n%s", err, r.Body)
		}
		if len(rows) != 4 || rows[0][0] != "id" || rows[0][6] != "status" {
			t.Fatalf("csv rows %v; want a header and 3 executions", rows)
		}
		if rows[1][0] != es[2].ID.String() || rows[1][6] != "failed" || rows[1][14] != "503" || rows[1][13] != "3" {
			t.Errorf("first csv row %v; want the newest execution, failed, 503, late by 3 ms", rows[1])
		}

		r = c.do("GET", base+"?format=jsonl&status=failed&job_id="+j.ID, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/x-ndjson" ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "executions.jsonl") {
			t.Fatalf("export jsonl = %d %v %s", r.Status, r.Header, r.Body)
		}
		var got []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(r.Body)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("parse line %q: %v", line, err)
			}
			got = append(got, m)
		}
		if len(got) != 2 || got[0]["status"] != "failed" || got[0]["response_status"] != float64(503) || got[0]["replay_of"] != nil {
			t.Errorf("jsonl %v; want the two failed executions", got)
		}

		// Another tenant's project is not exported.
		other := s.newTenant(prikke.TierPro)
		if r := s.withKey(other.key).do("GET", base, nil); r.Status != 404 {
			t.Errorf("export of another tenant's project = %d %s; want 404", r.Status, r.Body)
		}
	})
}

// TestExecutionRequestShown: an execution returns the request body as
// sent (base64 when not text), its trace, claim and lateness.
func TestExecutionRequestShown(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "hourly"})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		es := seedExecutions(t, s, tn, jobID, time.Now().UTC().Add(-time.Hour), prikke.ExecutionStatusSuccess)
		var e struct {
			LatenessMS int64 `json:"lateness_ms"`
			Request    struct {
				Body      string            `json:"body"`
				Truncated bool              `json:"truncated"`
				Headers   map[string]string `json:"headers"`
			} `json:"request"`
		}
		r = c.do("GET", "/api/v1/executions/"+es[0].ID.String(), nil)
		r.json(t, &e)
		if r.Status != 200 || e.LatenessMS != 3 || e.Request.Headers["Authorization"] != prikke.Redacted {
			t.Errorf("execution = %d %s; want lateness 3 and the redacted header", r.Status, r.Body)
		}
		if e.Request.Body != `{"n":1}` {
			t.Errorf("%s store lost the request body: %s", s.dialect, r.Body)
		}
	})
}

// TestReplayProjectKey: a key limited to one project cannot see, replay,
// bulk-replay or export another project's executions (404), nor preview
// a job there; in its own project it can.
func TestReplayProjectKey(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		tn := s.newTenant(prikke.TierPro)
		c := s.withKey(tn.key)
		r := c.do("POST", "/api/v1/projects", map[string]any{"name": "second"})
		if r.Status != 201 {
			t.Fatalf("create project = %d %s", r.Status, r.Body)
		}
		var second struct {
			ID string `json:"id"`
		}
		r.json(t, &second)
		secondID, _ := prikke.ParseID(second.ID)
		owner := &service.Actor{User: tn.user}
		key, _, err := s.svc.CreateAPIKey(ctx, owner, tn.org.ID, service.APIKeyInput{Name: "scoped", ProjectID: &secondID})
		if err != nil {
			t.Fatal(err)
		}
		scoped := s.withKey(key)

		r = c.do("POST", "/api/v1/jobs", map[string]any{"url": "https://example.com/hook", "interval": "hourly",
			"headers": map[string]string{"Authorization": "Bearer x"}})
		var j struct {
			ID string `json:"id"`
		}
		r.json(t, &j)
		jobID, _ := prikke.ParseID(j.ID)
		from := time.Now().UTC().Add(-time.Hour)
		es := seedExecutions(t, s, tn, jobID, from, prikke.ExecutionStatusFailed)
		for _, step := range []struct{ method, path string }{
			{"POST", "/api/v1/executions/" + es[0].ID.String() + "/replay"},
			{"POST", "/api/v1/jobs/" + j.ID + "/replay-failed"},
			{"GET", "/api/v1/projects/" + tn.project.ID.String() + "/executions/export"},
			{"POST", "/api/v1/projects/" + tn.project.ID.String() + "/jobs/preview"},
		} {
			var body any
			switch {
			case strings.HasSuffix(step.path, "replay-failed"):
				body = map[string]any{"since": from.Add(-time.Minute), "until": time.Now().UTC()}
			case strings.HasSuffix(step.path, "preview"):
				body = map[string]any{"url": "https://example.com/x"}
			}
			if r := scoped.do(step.method, step.path, body); r.Status != 404 {
				t.Errorf("project key: %s %s = %d %s; want 404", step.method, step.path, r.Status, r.Body)
			}
		}
		// In its own project the key previews.
		if r := scoped.do("POST", "/api/v1/projects/"+second.ID+"/jobs/preview", map[string]any{"url": "https://example.com/x"}); r.Status != 200 {
			t.Errorf("project key preview in its project = %d %s", r.Status, r.Body)
		}
	})
}
