package jobrequest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prikke/prikke"
)

func job() *prikke.Job {
	return &prikke.Job{ID: uuid.MustParse("11111111-1111-1111-1111-111111111111"), ProjectID: uuid.MustParse("22222222-2222-2222-2222-222222222222"),
		Name: "nightly report", URL: "https://example.com/hook", Method: "POST"}
}

func execution() *prikke.Execution {
	return &prikke.Execution{ID: uuid.MustParse("33333333-3333-3333-3333-333333333333"), Attempt: 2,
		ScheduledFor: time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)}
}

func TestRender(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	j := job()
	j.URL = "https://example.com/r/{{ job.id }}?day={{ scheduled_for | previous_day | date }}&n={{ job.name | url }}"
	j.Headers = []prikke.Header{{Name: "X-Run", Value: "{{execution_id}}#{{attempt}}"}, {Name: "Accept", Value: "*/*"}}
	j.Body = `{"at":"{{ scheduled_for }}","local":"{{ scheduled_for | date }} {{ scheduled_for | time }}","unix":{{ scheduled_for | unix }},"month":"{{ scheduled_for | previous_month | date }}","p":"{{ project_id }}","lit":"{{{{x}}"}`
	orig := append([]prikke.Header(nil), j.Headers...)
	url, hs, body, err := Render(j, execution(), ams)
	if err != nil {
		t.Fatal(err)
	}
	// 00:30 UTC on 1 March is 01:30 in Amsterdam (CET): the previous day
	// there is 28 February; the previous month starts on 1 February.
	if want := "https://example.com/r/11111111-1111-1111-1111-111111111111?day=2026-02-28&n=nightly%20report"; url != want {
		t.Errorf("url = %q, want %q", url, want)
	}
	if hs[0].Value != "33333333-3333-3333-3333-333333333333#2" || hs[1].Value != "*/*" {
		t.Errorf("headers = %v", hs)
	}
	if j.Headers[0] != orig[0] {
		t.Errorf("the job's headers were modified")
	}
	want := `{"at":"2026-03-01T00:30:00Z","local":"2026-03-01 01:30:00","unix":1772325000,"month":"2026-02-01","p":"22222222-2222-2222-2222-222222222222","lit":"{{x}}"}`
	if body != want {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
}

func TestRenderFastPath(t *testing.T) {
	j := job()
	j.Headers = []prikke.Header{{Name: "A", Value: "b"}}
	j.Body = "{ plain }"
	url, hs, body, err := Render(j, execution(), nil)
	if err != nil || url != j.URL || body != j.Body || &hs[0] != &j.Headers[0] {
		t.Fatalf("fast path: %q %v %q %v", url, hs, body, err)
	}
	if n := testing.AllocsPerRun(100, func() { Render(j, execution(), nil) }); n > 1 {
		t.Errorf("fast path allocates %v times", n)
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(j *prikke.Job)
		field string
		why   string
	}{
		{"unknown name", func(j *prikke.Job) { j.Body = "{{ payload.x }}" }, "body", "there is no payload.x"},
		{"syntax", func(j *prikke.Job) {
			j.Headers = []prikke.Header{{Name: "A", Value: "x"}, {Name: "B", Value: "{{ attempt"}}
		}, "headers[1].value", "unterminated"},
		{"filter on non-instant", func(j *prikke.Job) { j.Body = "{{ attempt | date }}" }, "body", "needs an instant"},
		{"bad url rendered", func(j *prikke.Job) { j.URL = "https://example.com/{{ job.name }}" }, "url", "the URL rendered"},
		{"header value rendered", func(j *prikke.Job) {
			j.Name = "a\nb"
			j.Headers = []prikke.Header{{Name: "A", Value: "{{ job.name }}"}}
		}, "headers[0].value", "not a valid header value"},
	} {
		j := job()
		tc.edit(j)
		_, _, _, err := Render(j, execution(), nil)
		e, ok := err.(*Error)
		if !ok || e.Field != tc.field || !strings.Contains(e.Why, tc.why) {
			t.Errorf("%s: err = %v, want %s: …%s…", tc.name, err, tc.field, tc.why)
		}
	}
}

func TestValidate(t *testing.T) {
	j := job()
	j.URL = "https://example.com/{{ job.name | url }}"
	j.Headers = []prikke.Header{{Name: "A", Value: "{{ nope }}"}, {Name: "B", Value: "{{ job.id | shout }}"}}
	j.Body = "{{ scheduled_for | previous_day | date }} {{ job }}"
	var v prikke.Validation
	Validate(&v, j)
	fs := prikke.ErrorFields(v.Err())
	if len(fs) != 3 {
		t.Fatalf("Validate = %v", fs)
	}
	if fs[0].Field != "headers[0].value" || !strings.Contains(fs[0].Message, "use one of scheduled_for, execution_id, attempt, job.id, job.name, project_id") {
		t.Errorf("unknown name: %v", fs[0])
	}
	if fs[1].Field != "headers[1].value" || !strings.Contains(fs[1].Message, `unknown filter "shout"`) {
		t.Errorf("unknown filter: %v", fs[1])
	}
	if fs[2].Field != "body" || !strings.Contains(fs[2].Message, "{{ job }}") {
		t.Errorf("job alone: %v", fs[2])
	}
	wf := prikke.ID(uuid.New())
	j.WorkflowID = &wf
	v = prikke.Validation{}
	Validate(&v, j)
	if v.Err() != nil {
		t.Errorf("a workflow job's body is its payload: %v", v.Err())
	}
}

// Send sends a job whose "{{" is no template (saved before jobs had
// templates) as it is, renders a template, and still refuses a template
// that renders badly.
func TestSend(t *testing.T) {
	for _, body := range []string{`{"to":"{{ customer.name }}"}`, `{"x":"{{ unclosed"}`} {
		j := job()
		j.Body = body
		if _, _, got, err := Send(j, execution(), nil); err != nil || got != body {
			t.Errorf("Send(%s) = %q, %v; want the body as it is", body, got, err)
		}
	}
	j := job()
	j.Body = `{"attempt":{{ attempt }}}`
	if _, _, got, err := Send(j, execution(), nil); err != nil || got != `{"attempt":2}` {
		t.Errorf("Send of a template = %q, %v", got, err)
	}
	j = job()
	j.URL = "{{ job.name }}"
	if _, _, _, err := Send(j, execution(), nil); err == nil || !strings.Contains(err.Error(), "url") {
		t.Errorf("Send of a URL that renders as no URL = %v; want an error naming url", err)
	}
}
