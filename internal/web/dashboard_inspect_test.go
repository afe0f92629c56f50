package web

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
)

// inspectedExecution runs j once through the store as the worker would
// record it: the request with its body (redacted as the worker leaves
// it), the response, and a trace.
func (d *dash) inspectedExecution(j *prikke.Job, status prikke.ExecutionStatus, code int, reqBody, respBody string, trace *prikke.Trace) *prikke.Execution {
	d.t.Helper()
	ctx := context.Background()
	e, err := d.svc.TriggerJob(ctx, &service.Actor{User: mustUser(d, j)}, j.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	claimed, err := d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, Now: time.Now().Add(time.Minute), LeaseGrace: time.Minute})
	if err != nil {
		d.t.Fatal(err)
	}
	found := false
	for _, c := range claimed.Claimed {
		if c.Execution.ID != e.ID {
			continue
		}
		found = true
		now := time.Now().UTC()
		health := store.HealthSuccess
		if status != prikke.ExecutionStatusSuccess {
			health = store.HealthFailure
		}
		if _, err := d.store.ExecutionComplete(ctx, "test", []*store.Completion{{ExecutionID: e.ID, JobID: j.ID,
			OrganizationID: j.OrganizationID, Attempt: 1, Status: status, StartedAt: now.Add(-120 * time.Millisecond),
			FinishedAt: now, DurationMS: 120, RequestMethod: "POST", RequestURL: j.URL,
			RequestHeaders: []prikke.Header{{Name: "webhook-id", Value: "msg_x"}, {Name: "webhook-signature", Value: "v1,abc="},
				{Name: "Authorization", Value: prikke.Redacted}, {Name: "X-Team", Value: "o'brien"}},
			RequestBody: []byte(reqBody), Trace: trace, ResponseStatus: code,
			ResponseHeaders: []prikke.Header{{Name: "Content-Type", Value: "text/plain"}}, ResponseBody: []byte(respBody),
			Health: health}}); err != nil {
			d.t.Fatal(err)
		}
	}
	if !found {
		d.t.Fatal("the execution was not claimed")
	}
	got, err := d.store.ExecutionGet(ctx, e.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	return got
}

// authJob is d.job with an Authorization header: inspectedExecution
// records it redacted, and a replay sends the job's current value.
func (d *dash) authJob(tn *tenant, name, target string) *prikke.Job {
	d.t.Helper()
	j := d.job(tn, name, target)
	hs := []prikke.Header{{Name: "Authorization", Value: "Bearer current"}}
	j, err := d.svc.UpdateJob(context.Background(), tn.actor(), j.ID, &service.JobInput{Headers: &hs})
	if err != nil {
		d.t.Fatal(err)
	}
	return j
}

// testTrace is a trace with every phase, 1 to 6 ms.
var testTrace = &prikke.Trace{DNSUS: 1000, ConnectUS: 2000, TLSUS: 3000, SendUS: 400, WaitUS: 5000, BodyUS: 6000,
	RemoteAddr: "203.0.113.7:443", TLSVersion: "TLS 1.3"}

// TestExecutionPageInspect: an execution's page shows the request as sent
// (headers redacted as recorded, the body), a curl command quoting a body
// with a single quote safely, and the waterfall's phases with the dialled
// address, the TLS version and the connection's reuse.
func TestExecutionPageInspect(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		j := d.job(tn, "inspect", "https://hooks.example.com/in")
		e := d.inspectedExecution(j, prikke.ExecutionStatusSuccess, 200, `{"name":"it's"}`, "fine", testTrace)
		r := d.as(tn).get("/app/executions/" + e.ID.String())
		if r.Status != 200 {
			t.Fatalf("page: %s", r)
		}
		text := pageText(r.Body)
		for _, want := range []string{`{"name":"it's"}`, "Authorization [redacted]", "X-Team o'brien", "webhook-signature v1,abc=",
			"Dialled 203.0.113.7:443", "TLS 1.3", "new connection", "Wait (TTFB)", "5.0 ms", "Replay"} {
			if !strings.Contains(text, want) {
				t.Errorf("page lacks %q: %s", want, text)
			}
		}
		for _, k := range []string{"dns", "connect", "tls", "send", "wait", "body", "claim", "start"} {
			if !strings.Contains(r.Body, `data-phase="`+k+`"`) {
				t.Errorf("waterfall lacks %s", k)
			}
		}
		curl := `curl -X POST 'https://hooks.example.com/in' \
  -H 'webhook-id: msg_x' \
  -H 'webhook-signature: v1,abc=' \
  -H 'Authorization: [redacted]' \
  -H 'X-Team: o'\''brien' \
  --data-raw '{"name":"it'\''s"}'`
		if got := attr(t, r.Body, "data-command"); got != curl {
			t.Errorf("curl:\n%s\nwant:\n%s", got, curl)
		}
	})
}

// TestExecutionReplay: Replay makes a new execution linked to the
// original, which stays as it was; Edit and replay sends the edits and
// puts errors beside the fields.
func TestExecutionReplay(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		j := d.authJob(tn, "replayed", "https://hooks.example.com/in")
		orig := d.inspectedExecution(j, prikke.ExecutionStatusFailed, 500, `{"a":1}`, "boom", nil)
		b := d.as(tn)
		r := b.post("/app/executions/"+orig.ID.String()+"/replay", url.Values{})
		if r.Status != 303 || !strings.HasPrefix(r.location(), "/app/executions/") || r.location() == "/app/executions/"+orig.ID.String() {
			t.Fatalf("replay: %s", r)
		}
		id, err := prikke.ParseID(strings.TrimPrefix(r.location(), "/app/executions/"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		replay, err := d.store.ExecutionGet(ctx, id)
		if err != nil || replay.ReplayOf == nil || *replay.ReplayOf != orig.ID || string(replay.RequestBody) != `{"a":1}` {
			t.Fatalf("replay %+v: %v", replay, err)
		}
		again, err := d.store.ExecutionGet(ctx, orig.ID)
		if err != nil || again.Status != prikke.ExecutionStatusFailed || again.ResponseStatus != 500 || again.ReplayOf != nil {
			t.Fatalf("original changed: %+v %v", again, err)
		}
		page := pageText(b.get("/app/executions/" + id.String()).Body)
		if !strings.Contains(page, "Replay of "+orig.ID.String()) {
			t.Errorf("replay page: %s", page)
		}
		if page := b.get("/app/executions/" + orig.ID.String()).Body; !strings.Contains(page, `href="/app/executions/`+id.String()+`"`) {
			t.Errorf("original does not list its replay: %s", pageText(page))
		}

		// Edited: a bad URL and a header line without a colon.
		r = b.post("/app/executions/"+orig.ID.String()+"/replay/edit", url.Values{"method": {"PUT"}, "url": {"not a url"},
			"headers": {"X-Team: a"}, "body": {"x"}})
		if r.Status != 422 || fieldError(r.Body, "url") == "" {
			t.Fatalf("bad url: %s", r)
		}
		r = b.post("/app/executions/"+orig.ID.String()+"/replay/edit", url.Values{"method": {"PUT"}, "url": {"https://hooks.example.com/other"},
			"headers": {"no colon here"}, "body": {"x"}})
		if r.Status != 422 || !strings.Contains(fieldError(r.Body, "headers"), "no colon") {
			t.Fatalf("bad header: %s", r)
		}
		r = b.post("/app/executions/"+orig.ID.String()+"/replay/edit", url.Values{"method": {"PUT"}, "url": {"https://hooks.example.com/other"},
			"headers": {"X-Team: blue\nAuthorization: Bearer new"}, "body": {`{"b":2}`}})
		if r.Status != 303 {
			t.Fatalf("edited replay: %s", r)
		}
		id, _ = prikke.ParseID(strings.TrimPrefix(r.location(), "/app/executions/"))
		edited, err := d.store.ExecutionGet(ctx, id)
		if err != nil || edited.RequestMethod != "PUT" || edited.RequestURL != "https://hooks.example.com/other" || string(edited.RequestBody) != `{"b":2}` {
			t.Fatalf("edited %+v: %v", edited, err)
		}
	})
}

// attr returns the unescaped value of the first name="…" attribute in body.
func attr(t *testing.T, body, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, name+`="`)
	if !ok {
		t.Fatalf("no %s attribute", name)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return html.UnescapeString(v)
}

// TestProjectRedaction: the settings page shows the default redaction;
// saving header names and JSON paths stores them, a bad path is an error
// beside its box naming the line, and "Use the defaults" goes back.
func TestProjectRedaction(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		b := d.as(tn)
		path := "/app/projects/" + tn.Project.ID.String()
		r := b.get(path + "/settings")
		if !strings.Contains(pageText(r.Body), "This project uses the defaults: Authorization, Cookie") {
			t.Fatalf("defaults not shown: %s", pageText(r.Body))
		}
		r = b.post(path+"/redaction", url.Values{"redact_headers": {"Authorization\nX-Api-Key"}, "redact_json_paths": {"password\n\ndata..token"}})
		if r.Status != 422 || !strings.Contains(fieldError(r.Body, "redact_json_paths"), "line 2") {
			t.Fatalf("bad path: %s", r)
		}
		r = b.post(path+"/redaction", url.Values{"redact_headers": {"Authorization\nX-Api-Key"}, "redact_json_paths": {"password\ndata.token"}})
		if r.Status != 303 {
			t.Fatalf("save: %s", r)
		}
		p, err := d.store.ProjectGet(context.Background(), tn.Project.ID)
		if err != nil || p.Redact == nil || strings.Join(p.Redact.Headers, ",") != "Authorization,X-Api-Key" ||
			strings.Join(p.Redact.JSONPaths, ",") != "password,data.token" {
			t.Fatalf("saved %+v: %v", p.Redact, err)
		}
		if r = b.get(path + "/settings"); !strings.Contains(r.Body, "X-Api-Key") || strings.Contains(pageText(r.Body), "uses the defaults") {
			t.Errorf("saved redaction not shown: %s", pageText(r.Body))
		}
		if r = b.post(path+"/redaction", url.Values{"defaults": {"1"}}); r.Status != 303 {
			t.Fatalf("defaults: %s", r)
		}
		if p, err = d.store.ProjectGet(context.Background(), tn.Project.ID); err != nil || p.Redact != nil {
			t.Fatalf("defaults saved as %+v: %v", p.Redact, err)
		}
	})
}

// TestJobFormAssertions: the editor's assertions save as the job's
// Expect, show again when editing, and each bad one is an error beside
// its field.
func TestJobFormAssertions(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		b := d.as(tn)
		path := "/app/projects/" + tn.Project.ID.String() + "/jobs"
		if r := b.get(path + "/new"); !strings.Contains(r.Body, `name="expect.status"`) || !strings.Contains(r.Body, `name="expect.json_path"`) {
			t.Fatalf("no assertions in the editor: %s", pageText(r.Body))
		}
		for _, tc := range []struct{ field, value, want string }{
			{"expect.status", "2xx, 700", "700"},
			{"expect.matches", "(", "missing closing )"},
			{"expect.max_duration_ms", "ten", "whole number"},
			{"expect.max_duration_ms", "99999", "30000"},
			{"expect.json_path", "data..state", ""},
		} {
			r := b.post(path, jobForm(d.sink.URL("/ok"), func(v url.Values) {
				v.Set(tc.field, tc.value)
				if tc.field == "expect.json_path" {
					v.Set("expect.equals", "done")
				}
			}))
			if got := fieldError(r.Body, tc.field); r.Status != 422 || got == "" || !strings.Contains(got, tc.want) {
				t.Errorf("%s=%q: %d, error %q, want %q", tc.field, tc.value, r.Status, got, tc.want)
			}
		}
		r := b.post(path, jobForm(d.sink.URL("/ok"), func(v url.Values) {
			v.Set("expect.status", "200, 204")
			v.Set("expect.body_contains", "ok")
			v.Set("expect.json_path", "data.state")
			v.Set("expect.equals", "done")
			v.Set("expect.max_duration_ms", "1500")
		}))
		if r.Status != 303 {
			t.Fatalf("create: %s", r)
		}
		js, err := d.svc.Jobs(context.Background(), tn.actor(), service.JobFilter{ProjectID: &tn.Project.ID})
		if err != nil || len(js) != 1 || js[0].Expect == nil {
			t.Fatalf("jobs %v: %v", js, err)
		}
		e := js[0].Expect
		if strings.Join(e.Status, ",") != "200,204" || e.BodyContains != "ok" || e.JSONPath != "data.state" ||
			string(e.Equals) != `"done"` || e.MaxDurationMS != 1500 {
			t.Fatalf("saved expect %+v", e)
		}
		r = b.get("/app/jobs/" + js[0].ID.String() + "/edit")
		for _, want := range []string{`value="200, 204"`, `value="data.state"`, `value="done"`, `value="1500"`} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("edit form lacks %s", want)
			}
		}
	})
}

// TestJobRequestPreview: "Preview next request" renders the editor's
// templates; a template error comes back naming its field.
func TestJobRequestPreview(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		b := d.as(tn)
		path := "/app/projects/" + tn.Project.ID.String() + "/jobs/preview"
		r := b.post(path, jobForm("https://hooks.example.com/in?day={{ scheduled_for | previous_day | date }}", func(v url.Values) {
			v.Set("body", `{"job":"{{ job.name }}"}`)
		}))
		if r.Status != 200 || !strings.Contains(r.Body, `data-testid="request-preview-result"`) {
			t.Fatalf("preview: %s", r)
		}
		text := pageText(r.Body)
		if !strings.Contains(text, `{"job":"sync invoices"}`) || !strings.Contains(text, "https://hooks.example.com/in?day=20") ||
			strings.Contains(text, "{{") {
			t.Errorf("preview not rendered: %s", text)
		}
		r = b.post(path, jobForm("https://hooks.example.com/in", func(v url.Values) {
			v.Set("body", `{"x":"{{ nope }}"}`)
		}))
		if r.Status != 200 || !strings.Contains(r.Body, `data-field="body"`) || !strings.Contains(pageText(r.Body), "scheduled_for") {
			t.Errorf("template error: %s", pageText(r.Body))
		}
		// Editing a job: the form's values over the saved job's.
		j := d.job(tn, "edited", "https://hooks.example.com/in")
		r = b.post(path+"?job="+j.ID.String(), url.Values{"name": {"renamed"}, "url": {"https://hooks.example.com/{{ job.name }}/{{ job.id }}"}, "method": {"GET"},
			"schedule_kind": {"cron"}, "cron_expression": {"0 9 * * 1-5"}, "timezone": {"Europe/Oslo"}, "timeout_ms": {"10000"},
			"retry_attempts": {"0"}, "catch_up": {"latest"}, "catch_up_window_seconds": {"3600"}, "overlap": {"allow"}})
		if !strings.Contains(pageText(r.Body), "https://hooks.example.com/renamed/"+j.ID.String()) {
			t.Errorf("edit preview: %s", pageText(r.Body))
		}
		// Saving the same job puts the error beside the body.
		r = b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm("https://hooks.example.com/in", func(v url.Values) {
			v.Set("body", `{"x":"{{ nope }}"}`)
		}))
		if r.Status != 422 || fieldError(r.Body, "body") == "" {
			t.Errorf("save with a template error: %s", r)
		}
	})
}

// TestExecutionSearchAndExport: the list's search filters (status code,
// class, duration, response body text) select executions, a value that
// cannot be searched for is said, and the export links carry the same
// filters into CSV and JSON lines.
func TestExecutionSearchAndExport(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		j := d.job(tn, "searched", "https://hooks.example.com/in")
		ok := d.inspectedExecution(j, prikke.ExecutionStatusSuccess, 200, "", "all fine", nil)
		bad := d.inspectedExecution(j, prikke.ExecutionStatusFailed, 502, "", "upstream gateway exploded", nil)
		b := d.as(tn)
		jobPath := "/app/jobs/" + j.ID.String()
		projPath := "/app/projects/" + tn.Project.ID.String() + "/executions"
		has := func(body string, e *prikke.Execution) bool {
			return strings.Contains(body, `href="/app/executions/`+e.ID.String()+`"`)
		}
		for _, q := range []string{"q=gateway", "code=502", "class=5xx", "q=gateway&code=502&class=5xx&min_ms=100&max_ms=200"} {
			for _, path := range []string{jobPath, projPath} {
				r := b.get(path + "?" + q)
				if r.Status != 200 || !has(r.Body, bad) || has(r.Body, ok) {
					t.Errorf("%s?%s: want only the 502: %d", path, q, r.Status)
				}
			}
		}
		if r := b.get(jobPath + "?min_ms=500"); has(r.Body, bad) || has(r.Body, ok) {
			t.Errorf("min_ms=500 matched")
		}
		r := b.get(jobPath + "?code=999&q=gateway")
		if !strings.Contains(r.Body, `data-testid="filter-problem"`) || !has(r.Body, bad) {
			t.Errorf("bad code not said: %s", pageText(r.Body))
		}
		// The export links keep the filters.
		r = b.get(jobPath + "?q=gateway&class=5xx")
		csvURL := html.UnescapeString(attrAfter(r.Body, `data-testid="export"`, "href"))
		if !strings.Contains(csvURL, "q=gateway") || !strings.Contains(csvURL, "class=5xx") || !strings.Contains(csvURL, "format=csv") {
			t.Fatalf("export link %q", csvURL)
		}
		r = b.get(csvURL)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %s", r)
		}
		lines := strings.Split(strings.TrimSpace(r.Body), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,job_id") || !strings.HasPrefix(lines[1], bad.ID.String()) {
			t.Errorf("csv body:\n%s", r.Body)
		}
		r = b.get(projPath + "/export?format=jsonl&code=200")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/x-ndjson" || strings.Count(r.Body, "\n") != 1 ||
			!strings.Contains(r.Body, `"id":"`+ok.ID.String()+`"`) {
			t.Errorf("jsonl: %s", r)
		}
		// Another tenant's job exports nothing.
		other := d.tenant(prikke.TierFree)
		if r = d.as(other).get(jobPath + "/executions/export?format=csv"); r.Status != 404 {
			t.Errorf("other tenant's export: %d", r.Status)
		}
	})
}

// TestReplayFailedInRange: "Replay failed" on a job replays the failed
// executions of the range and says how many; an empty range says so.
func TestReplayFailedInRange(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		d := newDash(t, st)
		tn := d.tenant(prikke.TierFree)
		j := d.authJob(tn, "flaky", "https://hooks.example.com/in")
		d.inspectedExecution(j, prikke.ExecutionStatusSuccess, 200, "", "ok", nil)
		failed := d.inspectedExecution(j, prikke.ExecutionStatusFailed, 500, "", "boom", nil)
		b := d.as(tn)
		loc := time.UTC // the tenant's zone: the form reads the viewer's
		if tn.User.TimeZone != "" {
			if l, err := time.LoadLocation(tn.User.TimeZone); err == nil {
				loc = l
			}
		}
		since := time.Now().Add(-time.Hour).In(loc).Format(datetimeLocal)
		until := time.Now().Add(time.Hour).In(loc).Format(datetimeLocal)
		r := b.post("/app/jobs/"+j.ID.String()+"/replay-failed", url.Values{"since": {since}, "until": {until}})
		if r.Status != 303 {
			t.Fatalf("replay failed: %s", r)
		}
		page := pageText(b.get(r.location()).Body)
		if !strings.Contains(page, "Replayed 1 failed execution") {
			t.Fatalf("flash: %s", page)
		}
		es, err := d.svc.Executions(context.Background(), tn.actor(), service.ExecutionFilter{JobID: &j.ID})
		if err != nil {
			t.Fatal(err)
		}
		replays := 0
		for _, e := range es {
			if e.ReplayOf != nil && *e.ReplayOf == failed.ID {
				replays++
			}
		}
		if replays != 1 {
			t.Errorf("%d replays of the failed execution", replays)
		}
		old := time.Now().Add(-48 * time.Hour).In(loc)
		r = b.post("/app/jobs/"+j.ID.String()+"/replay-failed", url.Values{"since": {old.Format(datetimeLocal)}, "until": {old.Add(time.Hour).Format(datetimeLocal)}})
		if page = pageText(b.get(r.location()).Body); !strings.Contains(page, "No failed executions in this range") {
			t.Errorf("empty range: %s", page)
		}
		r = b.post("/app/jobs/"+j.ID.String()+"/replay-failed", url.Values{"since": {until}, "until": {since}})
		if page = pageText(b.get(r.location()).Body); !strings.Contains(page, "until must be after since") {
			t.Errorf("reversed range: %s", page)
		}
	})
}

// attrAfter returns the raw value of the first name="…" attribute after
// marker in body.
func attrAfter(body, marker, name string) string {
	_, rest, _ := strings.Cut(body, marker)
	_, rest, _ = strings.Cut(rest, name+`="`)
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// TestDocsInspect: the pages of what happened, assertions, redaction and
// templates say the facts the dashboard and the API rely on, and the docs
// index links them.
func TestDocsInspect(t *testing.T) {
	d := newDash(t, nil)
	anon := d.anon()
	for path, wants := range map[string][]string{
		"/docs/what-happened": {"<h1>What happened</h1>", `id="request"`, `id="curl"`, `id="waterfall"`, `id="replay"`, `id="replay-failed"`, `id="search"`,
			"64 KiB", "Copy as curl", `'\''`, "Wait (TTFB)", "reused connection", "late by", "replay_of", "1,000", "CSV", "JSON lines",
			`/api/v1/executions/$EXECUTION_ID/replay`, `/api/v1/jobs/$JOB_ID/replay-failed`, "format=csv", "PRIKKE_TRACE"},
		"/docs/assertions": {"<h1>Assertions</h1>", "2xx", "200-299", "body_not_contains", "json_path", "matches", "max_duration_ms",
			`"expect": {`, "expect: json_path data.state is"},
		"/docs/redaction": {"<h1>Redaction</h1>", "Authorization, Cookie", "[redacted]", "json_paths", "data.token", "Use the defaults",
			`"redact": {"headers"`},
		"/docs/templates": {"<h1>Templates</h1>", "scheduled_for", "execution_id", "attempt", "job.name", "previous_day", "next_day",
			"previous_hour", "previous_month", "unix", "{{ scheduled_for | previous_day | date }}", "Preview next request"},
	} {
		r := anon.get(path)
		if r.Status != 200 {
			t.Errorf("%s: %d", path, r.Status)
			continue
		}
		text := html.UnescapeString(r.Body)
		for _, want := range wants {
			if !strings.Contains(strings.ToLower(text), strings.ToLower(want)) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if idx := anon.get("/docs"); !strings.Contains(idx.Body, `href="`+path+`"`) {
			t.Errorf("/docs does not link %s", path)
		}
	}
}
