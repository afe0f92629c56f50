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
		j := d.job(tn, "replayed", "https://hooks.example.com/in")
		hs := []prikke.Header{{Name: "Authorization", Value: "Bearer current"}}
		j, err := d.svc.UpdateJob(context.Background(), tn.actor(), j.ID, &service.JobInput{Headers: &hs})
		if err != nil {
			t.Fatal(err)
		}
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
		// Saving the same job puts the error beside the body.
		r = b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm("https://hooks.example.com/in", func(v url.Values) {
			v.Set("body", `{"x":"{{ nope }}"}`)
		}))
		if r.Status != 422 || fieldError(r.Body, "body") == "" {
			t.Errorf("save with a template error: %s", r)
		}
	})
}
