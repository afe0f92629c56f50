package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/page"
)

// flowJob creates a job of tn naming a flow key ("" for its host:port).
func (d *dash) flowJob(tn *tenant, name, target, key string) *prikke.Job {
	d.t.Helper()
	expr, zone := "0 9 * * 1-5", "UTC"
	j, err := d.svc.CreateJob(context.Background(), tn.actor(), &service.JobInput{ProjectID: &tn.Project.ID, Name: &name,
		URL: &target, CronExpression: &expr, TimeZone: &zone, FlowKey: &key})
	if err != nil {
		d.t.Fatal(err)
	}
	return j
}

// serviceMessage is the message the service (and so the API) gives for
// field when it refuses in.
func serviceMessage(t *testing.T, d *dash, tn *tenant, key string, in *service.FlowKeyInput, field string) string {
	t.Helper()
	_, _, err := d.svc.PutFlowKey(context.Background(), tn.actor(), tn.Project.ID, key, in)
	for _, fe := range prikke.ErrorFields(err) {
		if fe.Field == field {
			return fe.Message
		}
	}
	t.Fatalf("the service gave no %s error for %+v: %v", field, in, err)
	return ""
}

func intp(n int) *int { return &n }

// shownError is fieldError unescaped, to compare with the service's text.
func shownError(body, field string) string { return html.UnescapeString(fieldError(body, field)) }

// TestFlowKeysDashboard: limits set through the flow control page, with
// the service's messages beside the fields they are about; the key's page
// with its limits and figures; the overview's list with the backlog;
// pause, resume, a hold and its release, delete; a viewer sees and
// changes nothing.
func TestFlowKeysDashboard(t *testing.T) {
	storetest.Dialects(t, testFlowKeysDashboard)
}

func testFlowKeysDashboard(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	ctx := context.Background()
	pid := tn.Project.ID.String()
	list := "/app/projects/" + pid + "/flow-keys"
	const key = "api.example.com:443"
	keyPath := list + "/" + key

	if r := b.get(list); r.Status != 200 || !strings.Contains(r.Body, "No flow keys") || !strings.Contains(r.Body, `data-testid="flow-key-form"`) {
		t.Fatalf("empty list: %s", r)
	}
	if r := b.get("/app/projects/" + pid); !strings.Contains(r.Body, `href="/app/projects/`+pid+`/flow-keys"`) || strings.Contains(r.Body, `data-testid="flow-keys"`) {
		t.Errorf("overview without keys: %s", r)
	}

	// Bad values: each field's message is the service's, beside it.
	for _, c := range []struct {
		form  url.Values
		in    *service.FlowKeyInput
		field string
	}{
		{url.Values{"key": {key}, "rate": {"20"}, "period": {"2h"}}, &service.FlowKeyInput{Rate: intp(20), Period: new("2h")}, "period"},
		{url.Values{"key": {key}, "rate": {"20"}, "period": {"soon"}}, &service.FlowKeyInput{Rate: intp(20), Period: new("soon")}, "period"},
		{url.Values{"key": {key}, "rate": {"lots"}}, &service.FlowKeyInput{Rate: intp(0)}, "rate"},
		{url.Values{"key": {key}, "rate": {"0"}}, &service.FlowKeyInput{Rate: intp(0)}, "rate"},
		{url.Values{"key": {key}, "burst": {"3"}}, &service.FlowKeyInput{Burst: intp(3)}, "burst"},
		{url.Values{"key": {key}, "parallelism": {"100000"}}, &service.FlowKeyInput{Parallelism: intp(100000)}, "parallelism"},
		{url.Values{"key": {"has space"}, "rate": {"1"}}, &service.FlowKeyInput{Rate: intp(1)}, "key"},
	} {
		want := serviceMessage(t, d, tn, c.form.Get("key"), c.in, c.field)
		r := b.post(list, c.form)
		if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Errorf("%v: status %d", c.form, r.Status)
		}
		if got := shownError(r.Body, c.field); got != want {
			t.Errorf("%v: beside %s %q, want the service's %q", c.form, c.field, got, want)
		}
		// What was typed stays in the form.
		for name, vs := range c.form {
			if !strings.Contains(r.Body, `name="`+name+`" type=`) || !strings.Contains(html.UnescapeString(r.Body), `value="`+vs[0]+`"`) {
				t.Errorf("%v: %s lost its value", c.form, name)
			}
		}
	}
	if ks, err := d.svc.FlowKeys(ctx, tn.actor(), tn.Project.ID); err != nil || len(ks) != 0 {
		t.Fatalf("refused forms made keys: %v %v", ks, err)
	}

	// A good form creates the key and goes to its page.
	r := b.post(list, url.Values{"key": {key}, "rate": {"20"}, "period": {"10s"}, "burst": {"3"}, "parallelism": {""}})
	if r.Status != http.StatusSeeOther || r.location() != keyPath {
		t.Fatalf("create: %s → %s", r, r.location())
	}
	r = b.get(keyPath)
	if r.Status != 200 || !strings.Contains(r.Body, "20 per 10 seconds, burst 3") || !strings.Contains(r.Body, `sse-connect="`+keyPath+`/events"`) ||
		!strings.Contains(r.Body, "created: 20 per 10 seconds, burst 3") {
		t.Fatalf("key page: %s", r)
	}
	for field, want := range map[string]string{"rate": "20", "period": "10s", "burst": "3", "parallelism": ""} {
		if !strings.Contains(r.Body, `name="`+field+`" type="`) || !regexp.MustCompile(`name="`+field+`" type="[a-z]+" value="`+want+`"`).MatchString(r.Body) {
			t.Errorf("the limits form's %s is not %q", field, want)
		}
	}

	// The key page's form replaces the limits; errors stay beside fields.
	want := serviceMessage(t, d, tn, key, &service.FlowKeyInput{Parallelism: intp(0)}, "parallelism")
	r = b.post(keyPath, url.Values{"parallelism": {"0"}})
	if got := shownError(r.Body, "parallelism"); got != want || r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Errorf("key page error: %d %q, want %q", r.Status, got, want)
	}
	if r = b.post(keyPath, url.Values{"rate": {""}, "period": {""}, "burst": {""}, "parallelism": {"2"}}); r.Status != http.StatusSeeOther || r.location() != keyPath {
		t.Fatalf("update: %s", r)
	}
	k, err := d.svc.FlowKey(ctx, tn.actor(), tn.Project.ID, key)
	if err != nil || k.Rate != 0 || k.Parallelism != 2 {
		t.Fatalf("after the update: %+v %v", k, err)
	}

	// Backlog: a paused key keeps its executions waiting; the overview and
	// the list count them.
	j := d.flowJob(tn, "sync", "https://api.example.com/sync", "")
	if j.Flow() != key {
		t.Fatalf("the job's key is %q", j.Flow())
	}
	if r = b.post(keyPath+"/pause", url.Values{}); r.Status != http.StatusSeeOther || r.location() != keyPath {
		t.Fatalf("pause: %s", r)
	}
	if _, err := d.svc.TriggerJob(ctx, tn.actor(), j.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // queued requests to the same host share its key
		if _, _, _, err := d.svc.Enqueue(ctx, tn.actor(), &service.QueueInput{ProjectID: &tn.Project.ID, URL: "https://API.example.com/orders"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, LeaseGrace: time.Minute})
	if err != nil || len(claimed.Claimed) != 0 {
		t.Fatalf("a paused key's execution was claimed: %v %v", claimed, err)
	}
	rowRE := regexp.MustCompile(`(?s)<tr data-flow-key="` + regexp.QuoteMeta(key) + `">(.*?)</tr>`)
	for _, path := range []string{"/app/projects/" + pid, list} {
		r = b.get(path)
		row := rowRE.FindStringSubmatch(r.Body)
		if row == nil {
			t.Fatalf("%s does not list the key: %s", path, r)
		}
		cells := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(row[1], -1)
		if len(cells) != 6 || !strings.Contains(cells[0][1], `href="`+keyPath+`"`) || !strings.Contains(cells[0][1], "Paused") ||
			!strings.Contains(cells[1][1], "at most 2 in flight") || strings.TrimSpace(cells[2][1]) != "3" || strings.TrimSpace(cells[3][1]) != "0 of 2" {
			t.Errorf("%s row: %q", path, row[1])
		}
	}
	r = b.get(keyPath)
	if !strings.Contains(r.Body, `data-testid="resume"`) || strings.Contains(r.Body, `data-testid="pause"`) ||
		!regexp.MustCompile(`data-testid="flow-waiting">3<`).MatchString(r.Body) || !strings.Contains(r.Body, "Yes: nothing starts") {
		t.Errorf("paused key page: %s", r)
	}
	if r = b.post(keyPath+"/resume", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("resume: %s", r)
	}
	if k, _ = d.svc.FlowKey(ctx, tn.actor(), tn.Project.ID, key); k.Paused {
		t.Error("still paused")
	}

	// A hold from the endpoint shows with its reason, and releases.
	until := time.Now().Add(30 * time.Minute)
	if err := d.store.FlowKeyHold(ctx, tn.Project.ID, key, until, "503 Service Unavailable, Retry-After 1800s"); err != nil {
		t.Fatal(err)
	}
	r = b.get(keyPath)
	if !strings.Contains(r.Body, `data-testid="release"`) || !strings.Contains(r.Body, "503 Service Unavailable, Retry-After 1800s") ||
		!strings.Contains(r.Body, `data-testid="flow-held-until"><time datetime="`+until.UTC().Format("2006-01-02T15:04:05")) || !strings.Contains(r.Body, ">Held<") {
		t.Errorf("held key page: %s", r)
	}
	if r = b.post(keyPath+"/release", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("release: %s", r)
	}
	if r = b.get(keyPath); strings.Contains(r.Body, `data-testid="release"`) || !strings.Contains(r.Body, "Not held") || !strings.Contains(r.Body, "is released") {
		t.Errorf("released key page: %s", r)
	}

	// A viewer sees the figures, not the forms, and cannot act.
	viewer := d.tenant(prikke.TierFree)
	d.member(tn, viewer.User, prikke.RoleViewer)
	vb := d.as(viewer)
	if r = vb.get(keyPath); r.Status != 200 || strings.Contains(r.Body, `data-testid="flow-limits-form"`) || strings.Contains(r.Body, `data-testid="pause"`) ||
		strings.Contains(r.Body, `data-testid="delete"`) {
		t.Errorf("viewer's key page: %s", r)
	}
	if r = vb.get(list); strings.Contains(r.Body, `data-testid="flow-key-form"`) {
		t.Error("the viewer is offered the form")
	}
	for _, p := range []string{keyPath, keyPath + "/pause", keyPath + "/delete"} {
		if r = vb.post(p, url.Values{"rate": {"1"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", p, r.Status)
		}
	}
	if r = vb.post(list, url.Values{"key": {"other:443"}, "rate": {"1"}}); r.Status != http.StatusForbidden {
		t.Errorf("viewer creates a key: %d", r.Status)
	}

	// Delete: the key is gone, its executions unlimited.
	if r = b.post(keyPath+"/delete", url.Values{}); r.Status != http.StatusSeeOther || r.location() != list {
		t.Fatalf("delete: %s", r)
	}
	if r = b.get(list); !strings.Contains(r.Body, "No flow keys") || !strings.Contains(r.Body, "is removed") {
		t.Errorf("after delete: %s", r)
	}
	claimed, err = d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, LeaseGrace: time.Minute})
	if err != nil || len(claimed.Claimed) != 3 {
		t.Errorf("after delete %d of 3 claimed: %v", len(claimed.Claimed), err)
	}
	// A key without a row has a page offering limits, without live figures.
	if r = b.get(keyPath); r.Status != 200 || !strings.Contains(r.Body, `data-testid="flow-unlimited"`) || strings.Contains(r.Body, "sse-connect") ||
		!strings.Contains(r.Body, `data-testid="flow-limits-form"`) || strings.Contains(r.Body, `data-testid="delete"`) {
		t.Errorf("a key without limits: %s", r)
	}
	if r = b.post(keyPath+"/release", url.Values{}); r.Status != http.StatusSeeOther {
		t.Errorf("release of a missing key: %s", r)
	} else if r = b.get(keyPath); !strings.Contains(r.Body, "no flow key") {
		t.Errorf("release of a missing key says nothing: %s", r)
	}
	// Another tenant's key page is not found.
	if r = d.as(d.tenant(prikke.TierFree)).get(keyPath); r.Status != http.StatusNotFound {
		t.Errorf("another tenant: %d", r.Status)
	}
}

// TestFlowKeyEvents reads a key page's event stream: the figures at once,
// and again as they change; another tenant cannot open it.
func TestFlowKeyEvents(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const key = "billing-api"
	if _, err := d.svc.PauseFlowKey(ctx, tn.actor(), tn.Project.ID, key); err != nil {
		t.Fatal(err)
	}
	path := "/app/projects/" + tn.Project.ID.String() + "/flow-keys/" + key + "/events"
	events := openStream(ctx, t, d.as(tn), path)
	waiting := regexp.MustCompile(`data-testid="flow-waiting">(\d+)<`)
	next := func() string {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if !strings.HasPrefix(ev, "event: flow-key-summary\n") {
				t.Fatalf("event: %q", ev)
			}
			m := waiting.FindStringSubmatch(ev)
			if m == nil {
				t.Fatalf("no waiting figure: %q", ev)
			}
			return m[1]
		case <-ctx.Done():
			t.Fatal("timed out")
		}
		return ""
	}
	if got := next(); got != "0" {
		t.Fatalf("first: waiting %s", got)
	}
	j := d.flowJob(tn, "billing", "https://billing.example.com/x", key)
	if _, err := d.svc.TriggerJob(ctx, tn.actor(), j.ID); err != nil {
		t.Fatal(err)
	}
	// The next events (sent on the stream's clock) count it.
	for got := next(); got != "1"; got = next() {
		if got != "0" {
			t.Fatalf("waiting %s", got)
		}
	}
	if r := d.as(d.tenant(prikke.TierFree)).get(path); r.Status != http.StatusNotFound {
		t.Errorf("another tenant's stream: %d", r.Status)
	}
	// A key without a row has no stream.
	if r := d.as(tn).get("/app/projects/" + tn.Project.ID.String() + "/flow-keys/nothing-here/events"); r.Status != http.StatusNotFound {
		t.Errorf("stream of a key without a row: %d", r.Status)
	}
}

// TestJobFormFlowKey: the job editor offers the project's keys and the
// URL's host:port as placeholder, saves the key the job names ("" for
// the default) and shows the service's message beside the field.
func TestJobFormFlowKey(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	ctx := context.Background()
	if _, _, err := d.svc.PutFlowKey(ctx, tn.actor(), tn.Project.ID, "billing-api", &service.FlowKeyInput{Rate: intp(5)}); err != nil {
		t.Fatal(err)
	}
	pid := tn.Project.ID.String()
	r := b.get("/app/projects/" + pid + "/jobs/new")
	if !strings.Contains(r.Body, `name="flow_key" type="text" value="" class="input mt-2 font-mono" placeholder="the URL&#39;s host:port" autocomplete="off" list="flow-key-options"`) ||
		!strings.Contains(r.Body, `<datalist id="flow-key-options"><option value="billing-api"></option></datalist>`) {
		t.Errorf("new job form: %s", r)
	}
	form := jobForm("https://Billing.example.com/sync", func(v url.Values) { v.Set("flow_key", "billing-api") })
	r = b.post("/app/projects/"+pid+"/jobs", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %s", r)
	}
	jid, _ := prikke.ParseID(strings.TrimPrefix(r.location(), "/app/jobs/"))
	j, err := d.svc.Job(ctx, tn.actor(), jid)
	if err != nil || j.FlowKey != "billing-api" {
		t.Fatalf("job: %+v %v", j, err)
	}
	if r = b.get("/app/jobs/" + jid.String()); !strings.Contains(r.Body, `data-testid="job-flow-key"><a class="link font-mono break-all" href="/app/projects/`+pid+`/flow-keys/billing-api">billing-api</a></dd>`) {
		t.Errorf("job page: %s", r)
	}
	r = b.get("/app/jobs/" + jid.String() + "/edit")
	if !strings.Contains(r.Body, `name="flow_key" type="text" value="billing-api" class="input mt-2 font-mono" placeholder="billing.example.com:443"`) {
		t.Errorf("edit form: %s", r)
	}
	// A bad key: the service's message beside the field, nothing saved.
	form.Set("flow_key", "two words")
	r = b.post("/app/jobs/"+jid.String(), form)
	var want string
	_, err = d.svc.UpdateJob(ctx, tn.actor(), jid, &service.JobInput{FlowKey: new("two words")})
	for _, fe := range prikke.ErrorFields(err) {
		if fe.Field == "flow_key" {
			want = fe.Message
		}
	}
	if want == "" || shownError(r.Body, "flow_key") != want {
		t.Errorf("bad key: %d %q, want %q", r.Status, shownError(r.Body, "flow_key"), want)
	}
	// Emptied, the job goes back to its host:port.
	form.Set("flow_key", "")
	if r = b.post("/app/jobs/"+jid.String(), form); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %s", r)
	}
	if j, _ = d.svc.Job(ctx, tn.actor(), jid); j.FlowKey != "" || j.Flow() != "billing.example.com:443" {
		t.Errorf("emptied: %q %q", j.FlowKey, j.Flow())
	}
	if r = b.get("/app/jobs/" + jid.String()); !strings.Contains(r.Body, `href="/app/projects/`+pid+`/flow-keys/billing.example.com:443">billing.example.com:443</a><span class="block text-xs text-slate-500">its URL's host:port</span>`) {
		t.Errorf("job page of a job naming no key: %s", r)
	}
}

// TestExecutionFlowKey: an execution's page names its flow key, linking
// to the key, and says how long the key's rate held it back; one that was
// not held back does not say so.
func TestExecutionFlowKey(t *testing.T) {
	storetest.Dialects(t, testExecutionFlowKey)
}

func testExecutionFlowKey(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierFree)
	ctx := context.Background()
	const key = "billing-api"
	if _, _, err := d.svc.PutFlowKey(ctx, tn.actor(), tn.Project.ID, key, &service.FlowKeyInput{Rate: intp(1), Period: new("1s")}); err != nil {
		t.Fatal(err)
	}
	j := d.flowJob(tn, "billing", "https://billing.example.com/x", key)
	first, err := d.svc.TriggerJob(ctx, tn.actor(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, second, _, err := d.svc.Enqueue(ctx, tn.actor(), &service.QueueInput{ProjectID: &tn.Project.ID, URL: "https://other.example.com/x", FlowKey: key}, "")
	if err != nil {
		t.Fatal(err)
	}
	// One claim with a lookahead: the second gets the slot a second after
	// the first.
	now := time.Now()
	claimed, err := d.store.ExecutionClaim(ctx, &store.ClaimParams{Node: "test", Limit: 10, Now: now, LeaseGrace: time.Minute, Lookahead: 5 * time.Second})
	if err != nil || len(claimed.Claimed) != 2 {
		t.Fatalf("claimed %v: %v", claimed, err)
	}
	b := d.as(tn)
	got := map[prikke.ID]*prikke.Execution{}
	for _, id := range []prikke.ID{first.ID, second.ID} {
		if got[id], err = d.store.ExecutionGet(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e1, e2 := got[first.ID], got[second.ID]
	if e1.ThrottledMS > e2.ThrottledMS {
		e1, e2 = e2, e1
	}
	if e2.ThrottledMS < 500 {
		t.Fatalf("throttled %d and %d ms", e1.ThrottledMS, e2.ThrottledMS)
	}
	keyLink := `<a class="link" href="/app/projects/` + tn.Project.ID.String() + `/flow-keys/` + key + `">` + key + `</a>`
	r := b.get("/app/executions/" + e2.ID.String())
	if !strings.Contains(r.Body, keyLink) || !strings.Contains(r.Body, `data-testid="execution-throttled">`+page.Duration(int(e2.ThrottledMS))+`<`) {
		t.Errorf("throttled execution: %s", r)
	}
	if e1.ThrottledMS == 0 {
		if r = b.get("/app/executions/" + e1.ID.String()); !strings.Contains(r.Body, keyLink) || strings.Contains(r.Body, "execution-throttled") {
			t.Errorf("execution not throttled: %s", r)
		}
	}
}

// TestDocsFlowControl: /docs/flow-control covers the keys, the limits,
// the guarantee, holds, throttled_ms, the API and what is not built; the
// docs index and the sidebar link it.
func TestDocsFlowControl(t *testing.T) {
	d := newDash(t, nil)
	anon := d.anon()
	r := anon.get("/docs/flow-control")
	if r.Status != 200 {
		t.Fatalf("/docs/flow-control: %s", r)
	}
	text := html.UnescapeString(r.Body)
	for _, want := range []string{
		"<h1>Flow control</h1>", `id="keys"`, `id="limits"`, `id="gcra"`, `id="pause"`, `id="holds"`, `id="api"`, `id="not-built"`,
		"Prikke-Flow-Control-Key", `"flow_key": "billing-api"`, "api.example.com:443",
		"no window of the period holds more than <code>rate + burst − 1</code> starts", "parallelism",
		"429 Too Many Requests", "503 Service Unavailable", "Retry-After", "1 second … 1 hour", "throttled_ms",
		`curl -X PUT "$PRIKKE_URL/api/v1/projects/$PROJECT_ID/flow-keys/api.example.com:443"`,
		`-d '{"rate": 20, "period": "1s", "burst": 1, "parallelism": 5}'`,
		"/pause", "/resume", "/release", "curl -X DELETE", "Adaptive rate", "held_until", "hold_reason", "next_slot",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/docs/flow-control lacks %q", want)
		}
	}
	for _, path := range []string{"/docs", "/docs/cron"} {
		if r := anon.get(path); !strings.Contains(r.Body, `href="/docs/flow-control"`) {
			t.Errorf("%s does not link /docs/flow-control", path)
		}
	}
}
