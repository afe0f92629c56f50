package web

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/page"
)

// jobForm is a valid editor submission; edit changes it.
func jobForm(target string, edit func(url.Values)) url.Values {
	v := url.Values{
		"name": {"sync invoices"}, "url": {target}, "method": {"POST"}, "body": {`{"a":1}`},
		"timeout_ms": {"10000"}, "retry_attempts": {"3"}, "catch_up": {"skip"}, "catch_up_window_seconds": {"900"},
		"overlap": {"skip"}, "schedule_kind": {"cron"}, "cron_expression": {"30 9 * * 1-5"}, "interval": {"hourly"},
		"timezone": {"Europe/Oslo"}, "headers[0].name": {"Authorization"}, "headers[0].value": {"Bearer x"},
		"headers[4].name": {""}, "headers[4].value": {""}, "viewer_tz": {"America/New_York"},
	}
	if edit != nil {
		edit(v)
	}
	return v
}

func TestJobEditorErrorsBesideFields(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	path := "/app/projects/" + tn.Project.ID.String() + "/jobs"
	tests := []struct {
		name, field, want string
		edit              func(url.Values)
	}{
		{"never fires", "cron_expression", "this schedule never fires", func(v url.Values) { v.Set("cron_expression", "0 0 30 2 *") }},
		{"bad cron", "cron_expression", "61", func(v url.Values) { v.Set("cron_expression", "61 * * * *") }},
		{"empty cron", "cron_expression", "", func(v url.Values) { v.Set("cron_expression", "") }},
		{"too often for free", "cron_expression", "shortest interval is 1 hour", func(v url.Values) { v.Set("cron_expression", "*/5 * * * *") }},
		{"ftp url", "url", "scheme must be http or https", func(v url.Values) { v.Set("url", "ftp://x") }},
		{"no url", "url", "is required", func(v url.Values) { v.Set("url", "") }},
		{"private address", "url", "", func(v url.Values) { v.Set("url", "http://10.0.0.1/hook") }},
		{"timeout words", "timeout_ms", "must be a whole number", func(v url.Values) { v.Set("timeout_ms", "soon") }},
		{"timeout range", "timeout_ms", "between 1000 and 30000", func(v url.Values) { v.Set("timeout_ms", "99") }},
		{"zone", "timezone", "unknown time zone", func(v url.Values) { v.Set("timezone", "Mars/Olympus") }},
		{"header name", "headers[7].name", "not a valid header name", func(v url.Values) {
			v.Set("headers[7].name", "bad header")
			v.Set("headers[7].value", "x")
		}},
		{"reserved header", "headers[0].name", "reserved header", func(v url.Values) { v.Set("headers[0].name", "Prikke-Job-Id") }},
		{"header value", "headers[0].value", "line breaks", func(v url.Values) { v.Set("headers[0].value", "a\r\nb") }},
		{"method", "method", "must be one of", func(v url.Values) { v.Set("method", "BREW") }},
		{"once empty", "scheduled_at", "choose the date and time", func(v url.Values) { v.Set("schedule_kind", "once") }},
		{"once garbage", "scheduled_at", "is not a date and time", func(v url.Values) {
			v.Set("schedule_kind", "once")
			v.Set("scheduled_at", "tomorrow")
		}},
		{"once past", "scheduled_at", "in the past", func(v url.Values) {
			v.Set("schedule_kind", "once")
			v.Set("scheduled_at", "2020-01-01T10:00")
		}},
		{"interval", "interval", "hourly", func(v url.Values) {
			v.Set("schedule_kind", "interval")
			v.Set("interval", "fortnightly")
		}},
		{"kind", "schedule_kind", "choose", func(v url.Values) { v.Set("schedule_kind", "sometimes") }},
		{"name", "name", "control characters", func(v url.Values) { v.Set("name", "a\x01b") }},
		{"empty name", "name", "is required", func(v url.Values) { v.Set("name", "") }},
		{"blank name", "name", "must not be blank", func(v url.Values) { v.Set("name", "  ") }},
		{"bidi override in name", "name", "202E); remove it", func(v url.Values) { v.Set("name", "report\u202Ecod.exe") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(path, jobForm(d.sink.URL("/ok"), tt.edit))
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s", r)
			}
			msg := fieldError(r.Body, tt.field)
			if msg == "" || !strings.Contains(msg, tt.want) {
				t.Errorf("beside %s: %q, want %q", tt.field, msg, tt.want)
			}
			id := page.FieldID(tt.field)
			if !strings.Contains(describedBy(r.Body, id), id+"-error") {
				t.Errorf("%s's aria-describedby = %q, lacks its error", id, describedBy(r.Body, id))
			}
			if !strings.Contains(r.Body, `href="#`+id+`"`) {
				t.Errorf("the summary does not link to %s", id)
			}
			// What was typed is kept.
			if !strings.Contains(r.Body, `value="Bearer x"`) && tt.field != "headers[0].value" {
				t.Error("the headers were lost")
			}
		})
	}
	if jobs, _ := d.svc.AllJobs(context.Background(), tn.actor(), tn.Project.ID); len(jobs) != 0 {
		t.Errorf("%d jobs were created from invalid forms", len(jobs))
	}
}

func TestJobCreateEditAndActions(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	ctx := context.Background()
	r := b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), nil))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/app/jobs/") {
		t.Fatalf("create: %s", r)
	}
	id, err := prikke.ParseID(strings.TrimPrefix(r.location(), "/app/jobs/"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := d.svc.Job(ctx, tn.actor(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Name != "sync invoices" || j.Method != "POST" || j.TimeoutMS != 10000 || j.RetryAttempts != 3 || j.CatchUp != prikke.CatchUpSkip ||
		j.CatchUpWindow != 15*time.Minute || j.Overlap != prikke.OverlapSkip || j.CronExpression != "30 9 * * 1-5" || j.TimeZone != "Europe/Oslo" ||
		len(j.Headers) != 1 || j.Headers[0] != (prikke.Header{Name: "Authorization", Value: "Bearer x"}) || j.Body != `{"a":1}` {
		t.Errorf("saved job: %+v", j)
	}
	jp := "/app/jobs/" + id.String()
	if r := b.get(jp); !strings.Contains(r.Body, "Job “sync invoices” created.") {
		t.Errorf("no flash: %s", r)
	}
	// Edit: an interval, a second header.
	r = b.post(jp, jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("schedule_kind", "interval")
		v.Set("interval", "daily")
		v.Set("headers[9].name", "X-Two")
		v.Set("headers[9].value", "2")
	}))
	if r.Status != http.StatusSeeOther || r.location() != jp {
		t.Fatalf("update: %s", r)
	}
	j, _ = d.svc.Job(ctx, tn.actor(), id)
	if j.Interval != prikke.IntervalDaily || len(j.Headers) != 2 {
		t.Errorf("updated job: %+v", j)
	}
	if r := b.get(jp + "/edit"); !strings.Contains(r.Body, `id="kind-interval" type="radio" name="schedule_kind" value="interval" class="accent-emerald-600" checked`) ||
		!strings.Contains(r.Body, `value="X-Two"`) {
		t.Errorf("edit page: %s", r)
	}
	// A repeating job can become a one-time job, and back.
	at := time.Now().Add(48 * time.Hour).In(mustZone(t, "Asia/Tokyo")).Format(datetimeLocal)
	onceForm := func(v url.Values) {
		v.Set("schedule_kind", "once")
		v.Set("scheduled_at", at)
		v.Set("timezone", "Asia/Tokyo")
	}
	r = b.post(jp, jobForm(d.sink.URL("/ok"), onceForm))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("cron to once: %s", r)
	}
	if j, _ = d.svc.Job(ctx, tn.actor(), id); j.Kind != prikke.JobKindOnce || j.RunAt == nil || j.RunAt.In(mustZone(t, "Asia/Tokyo")).Format(datetimeLocal) != at {
		t.Errorf("after cron to once: %+v", j)
	}
	r = b.post(jp, jobForm(d.sink.URL("/ok"), nil))
	if j, _ = d.svc.Job(ctx, tn.actor(), id); r.Status != http.StatusSeeOther || j.Kind != prikke.JobKindCron || j.RunAt != nil {
		t.Errorf("once to cron: %s, %+v", r, j)
	}
	// A one-time job, in its zone.
	r = b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), onceForm))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("once: %s", r)
	}
	jp = r.location()
	id, _ = prikke.ParseID(strings.TrimPrefix(jp, "/app/jobs/"))
	j, _ = d.svc.Job(ctx, tn.actor(), id)
	if j.Kind != prikke.JobKindOnce || j.RunAt == nil || j.RunAt.In(mustZone(t, "Asia/Tokyo")).Format(datetimeLocal) != at {
		t.Errorf("once job: %+v", j)
	}
	// Saving it again unchanged keeps the time.
	if r := b.post(jp, jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("schedule_kind", "once")
		v.Set("scheduled_at", at)
		v.Set("timezone", "Asia/Tokyo")
	})); r.Status != http.StatusSeeOther {
		t.Errorf("resave: %s", r)
	}

	// Pause, resume, run now, from the list.
	back := "/app/projects/" + tn.Project.ID.String() + "/jobs"
	if r := b.post(jp+"/pause", url.Values{"back": {back}}); r.Status != http.StatusSeeOther || r.location() != back {
		t.Fatalf("pause: %s", r)
	}
	if j, _ := d.svc.Job(ctx, tn.actor(), id); j.Enabled {
		t.Error("not paused")
	}
	if r := b.get(back); !strings.Contains(r.Body, "paused: it will not run") || !strings.Contains(r.Body, "Paused") {
		t.Errorf("list after pause: %s", r)
	}
	if r := b.post(jp+"/resume", url.Values{"back": {"https://evil.example/"}}); r.Status != http.StatusSeeOther || r.location() != jp {
		t.Fatalf("resume: %s", r)
	}
	if r := b.post(jp+"/run", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("run: %s", r)
	}
	if es, _ := d.svc.Executions(ctx, tn.actor(), service.ExecutionFilter{JobID: &id}); len(es) != 1 || !es[0].Manual {
		t.Errorf("run now made %d executions", len(es))
	}
	// Delete, after the confirmation page.
	if r := b.get(jp + "/delete"); r.Status != 200 {
		t.Fatalf("confirm page: %s", r)
	}
	if r := b.post(jp+"/delete", nil); r.Status != http.StatusSeeOther || r.location() != back {
		t.Fatalf("delete: %s", r)
	}
	if r := b.get(jp); r.Status != http.StatusNotFound {
		t.Errorf("deleted job: %s", r)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestJobLimitIsAFormError(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	for i := range prikke.TierFree.Limits().MaxJobs {
		d.job(tn, "job "+string(rune('a'+i)), d.sink.URL("/ok"))
	}
	r := d.as(tn).post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), nil))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The free tier allows 5 jobs") {
		t.Fatalf("%s", r)
	}
}

func TestSchedulePreview(t *testing.T) {
	d := newDash(t, nil)
	// Just before Europe/Oslo springs forward (Sunday 28 March 2027, 02:00 → 03:00).
	now := time.Date(2027, 3, 24, 12, 0, 0, 0, time.UTC)
	d.svc.NowFunc = func() time.Time { return now }
	d.web.now = func() time.Time { return now }
	q := url.Values{"schedule_kind": {"cron"}, "cron_expression": {"30 2 * * *"}, "timezone": {"Europe/Oslo"}, "viewer_tz": {"America/New_York"}}
	pv := d.web.schedulePreview(q, prikke.TierFree)
	if pv.Error != "" || pv.Description != "At 02:30 every day" || len(pv.Fires) != previewCount || pv.ViewerZone != "America/New_York" {
		t.Fatalf("preview: %+v", pv)
	}
	shifted := 0
	for _, f := range pv.Fires {
		if f.DSTShifted {
			shifted++
			if !strings.Contains(f.Job, "Sun 28 Mar 2027, 03:00:00 CEST") {
				t.Errorf("the shifted fire is %s", f.Job)
			}
		}
		if f.Viewer == "" {
			t.Error("no viewer time")
		}
	}
	if shifted != 1 {
		t.Errorf("%d shifted fires, want 1", shifted)
	}
	var html bytes.Buffer
	if err := d.web.tpl.ExecutePartial(&html, "schedule_preview", pv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"clocks change: runs at the change", "Your time (America/New_York)", "offset now UTC&#43;02:00"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	// Too frequent for the tier, fine for Pro.
	q.Set("cron_expression", "*/5 * * * *")
	if pv := d.web.schedulePreview(q, prikke.TierFree); !strings.Contains(pv.TierProblem, "every 5 minutes") || !strings.Contains(pv.TierProblem, "Free plan") ||
		!strings.Contains(pv.TierProblem, "ask this Prikke's operator for the Pro plan, which runs jobs as often as every minute") { // billing off: no upgrade offered
		t.Errorf("tier problem: %q", pv.TierProblem)
	}
	if pv := d.web.schedulePreview(q, prikke.TierPro); pv.TierProblem != "" {
		t.Errorf("Pro: %q", pv.TierProblem)
	}
	for _, tt := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"cron_expression": "0 0 30 2 *"}, "never fires"},
		{map[string]string{"cron_expression": "<script>alert(1)</script>"}, "Expected 5 fields"},
		{map[string]string{"timezone": "Local"}, "depends on the server"},
		{map[string]string{"schedule_kind": "once", "scheduled_at": "2027-03-01T10:00"}, "That time has passed"},
		{map[string]string{"schedule_kind": "interval", "interval": "yearly"}, "Choose one of the intervals in the list"},
	} {
		q := url.Values{"schedule_kind": {"cron"}, "cron_expression": {"0 9 * * *"}, "timezone": {"UTC"}}
		for k, v := range tt.set {
			q.Set(k, v)
		}
		if pv := d.web.schedulePreview(q, prikke.TierPro); !strings.Contains(pv.Error, tt.want) {
			t.Errorf("%v: error %q, want %q", tt.set, pv.Error, tt.want)
		}
	}
	q = url.Values{"schedule_kind": {"once"}, "scheduled_at": {"2027-04-01T18:00"}, "timezone": {"Europe/Oslo"}}
	if pv := d.web.schedulePreview(q, prikke.TierFree); pv.Error != "" || len(pv.Fires) != 1 || !strings.Contains(pv.Fires[0].Job, "18:00:00 CEST") {
		t.Errorf("once: %+v", pv)
	}
	// Through HTTP, hostile input comes back as text.
	tn := d.tenant(prikke.TierFree)
	d.svc.NowFunc, d.web.now = time.Now, time.Now
	r := d.as(tn).get("/app/projects/" + tn.Project.ID.String() + "/schedule-preview?cron_expression=" + url.QueryEscape("<script>alert(1)</script>"))
	if r.Status != 200 || strings.Contains(r.Body, "<script>alert") {
		t.Errorf("hostile preview: %s", r)
	}
}

func TestSendTestRequest(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	path := "/app/projects/" + tn.Project.ID.String() + "/jobs/test"
	r := b.post(path, jobForm(d.sink.URL("/echo"), nil), "HX-Request", "true")
	if r.Status != 200 || !strings.Contains(r.Body, "HTTP 200") || !strings.Contains(r.Body, "Response body") || !strings.Contains(r.Body, "Bearer x") {
		t.Fatalf("test send: %s", r)
	}
	if d.sink.Count() != 1 {
		t.Errorf("the sink got %d requests", d.sink.Count())
	}
	r = b.post(path, jobForm("ftp://x", nil), "HX-Request", "true")
	if r.Status != 200 || !strings.Contains(r.Body, "scheme must be http or https") || !strings.Contains(r.Body, `href="#field-url"`) {
		t.Errorf("invalid test send: %s", r)
	}
	// The schedule does not matter to a test.
	r = b.post(path, jobForm(d.sink.URL("/ok"), func(v url.Values) { v.Set("cron_expression", "nonsense") }))
	if !strings.Contains(r.Body, "HTTP 200") {
		t.Errorf("a test with an unfinished schedule: %s", r)
	}
	r = b.post(path, jobForm(d.sink.URL("/500"), nil))
	if !strings.Contains(r.Body, "HTTP 500") || !strings.Contains(r.Body, "Failed") {
		t.Errorf("500: %s", r)
	}
}

// TestJobEvents reads a job page's event stream: a changed execution of
// the job arrives as a rendered row, another job's does not.
func TestJobEvents(t *testing.T) {
	storetest.Dialects(t, testJobEvents)
}

func testJobEvents(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierFree)
	other := d.tenant(prikke.TierFree)
	j := d.job(tn, "live <b>job</b>", d.sink.URL("/ok"))
	oj := d.job(other, "other", d.sink.URL("/ok"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := d.as(tn)
	events := openStream(ctx, t, b, "/app/jobs/"+j.ID.String()+"/events")
	// The stream starts by catching up: the job's state (it has no
	// executions yet). Then change the other tenant's job, then ours.
	if ev := <-events; !strings.HasPrefix(ev, "event: job-summary\n") {
		t.Fatalf("first event: %q", ev)
	}
	oe, _ := d.svc.TriggerJob(ctx, other.actor(), oj.ID)
	e, err := d.svc.TriggerJob(ctx, tn.actor(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended; got %q", got)
			}
			got = append(got, ev)
		case <-ctx.Done():
			t.Fatalf("timed out; got %q", got)
		}
	}
	if !strings.HasPrefix(got[0], "event: execution\n") || !strings.Contains(got[0], `id="execution-`+e.ID.String()+`"`) ||
		!strings.Contains(got[0], "Pending") {
		t.Errorf("first event: %q", got[0])
	}
	if !strings.HasPrefix(got[1], "event: job-summary\n") {
		t.Errorf("second event: %q", got[1])
	}
	for _, ev := range got {
		if strings.Contains(ev, oe.ID.String()) || strings.Contains(ev, "<b>") {
			t.Errorf("leak or unescaped: %q", ev)
		}
	}
	// A new stream (a reconnect, or a page rendered just before a change)
	// catches up with the newest executions first.
	again := openStream(ctx, t, b, "/app/jobs/"+j.ID.String()+"/events")
	if ev := <-again; !strings.HasPrefix(ev, "event: execution\n") || !strings.Contains(ev, e.ID.String()) {
		t.Errorf("catch-up: %q", ev)
	}
	// Another tenant cannot open the stream.
	if r := d.as(other).get("/app/jobs/" + j.ID.String() + "/events"); r.Status != http.StatusNotFound {
		t.Errorf("other tenant's stream: %s", r)
	}
}

// openStream opens an event stream and returns its events, each as its
// lines ("event: …\ndata: …\n").
func openStream(ctx context.Context, t *testing.T, b *browser, path string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.d.srv.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 50)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev strings.Builder
		for sc.Scan() {
			if sc.Text() == "" {
				events <- ev.String()
				ev.Reset()
				continue
			}
			ev.WriteString(sc.Text() + "\n")
		}
	}()
	return events
}
