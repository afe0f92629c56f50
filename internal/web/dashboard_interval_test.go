package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// TestJobEditorIntervals: the editor offers every interval; the choice is
// saved and shown again on the edit page; Free is refused minute
// intervals beside the field with what Pro allows.
func TestJobEditorIntervals(t *testing.T) {
	d := newDash(t, nil)
	ctx := context.Background()
	pro, free := d.tenant(prikke.TierPro), d.tenant(prikke.TierFree)
	b := d.as(pro)
	if r := b.get("/app/projects/" + pro.Project.ID.String() + "/jobs/new"); r.Status != http.StatusOK ||
		!strings.Contains(r.Body, `<option value="every_5_minutes">Every 5 minutes</option>`) ||
		!strings.Contains(r.Body, `<option value="every_2_hours">Every 2 hours (00:00, 02:00, 04:00 …)</option>`) ||
		!strings.Contains(r.Body, `<option value="every_minute">Every minute</option>`) {
		t.Fatalf("new job page lacks the intervals: %s", r)
	}
	for _, iv := range []string{"every_15_minutes", "every_6_hours"} {
		r := b.post("/app/projects/"+pro.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), func(v url.Values) {
			v.Set("schedule_kind", "interval")
			v.Set("interval", iv)
		}))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %s", iv, r)
		}
		jp := r.location()
		id, _ := prikke.ParseID(strings.TrimPrefix(jp, "/app/jobs/"))
		j, err := d.svc.Job(ctx, pro.actor(), id)
		if err != nil || string(j.Interval) != iv {
			t.Fatalf("%s saved as %+v, %v", iv, j, err)
		}
		if r := b.get(jp + "/edit"); !strings.Contains(r.Body, `<option value="`+iv+`" selected>`) {
			t.Errorf("%s: the edit page does not show the interval chosen: %s", iv, r)
		}
	}
	// The live preview explains the choice and warns Free before saving.
	q := url.Values{"schedule_kind": {"interval"}, "interval": {"every_10_minutes"}, "timezone": {"UTC"}}
	if pv := d.web.schedulePreview(q, prikke.TierPro); pv.Error != "" || pv.TierProblem != "" || len(pv.Fires) < 2 ||
		pv.Fires[0].ISO[14:16] != pv.Fires[0].ISO[14:15]+"0" {
		t.Errorf("pro preview: %+v", pv)
	}
	if pv := d.web.schedulePreview(q, prikke.TierFree); !strings.Contains(pv.TierProblem, "every 10 minutes") ||
		!strings.Contains(pv.TierProblem, "as often as every minute") {
		t.Errorf("free preview: %q", pv.TierProblem)
	}
	r := d.as(free).post("/app/projects/"+free.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("schedule_kind", "interval")
		v.Set("interval", "every_5_minutes")
	}))
	if msg := fieldError(r.Body, "interval"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "shortest interval is 1 hour") || !strings.Contains(msg, "Pro, which runs jobs as often as every minute") {
		t.Errorf("free every_5_minutes: %q (%s)", msg, r)
	}
}

// TestJobEditorContentType: the editor has a Content-Type field; what is
// typed there is saved as the job's Content-Type header and shown in the
// field again, not among the headers; a different Content-Type header
// beside it is refused beside the field.
func TestJobEditorContentType(t *testing.T) {
	d := newDash(t, nil)
	ctx := context.Background()
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	if r := b.get("/app/projects/" + tn.Project.ID.String() + "/jobs/new"); !strings.Contains(r.Body, `name="content_type"`) {
		t.Fatalf("new job page has no content type field: %s", r)
	}
	r := b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("body", "a,b\n1,2")
		v.Set("content_type", "text/csv")
	}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %s", r)
	}
	jp := r.location()
	id, _ := prikke.ParseID(strings.TrimPrefix(jp, "/app/jobs/"))
	j, _ := d.svc.Job(ctx, tn.actor(), id)
	if prikke.ContentType(j.Headers, j.Body) != "text/csv" || len(j.Headers) != 2 {
		t.Errorf("saved headers %+v", j.Headers)
	}
	edit := b.get(jp + "/edit")
	if !strings.Contains(edit.Body, `name="content_type"`) || !strings.Contains(edit.Body, `value="text/csv"`) ||
		strings.Contains(edit.Body, `value="Content-Type"`) {
		t.Errorf("edit page does not show the content type in its field: %s", edit)
	}
	// Emptied: the header goes, the JSON default applies again.
	if r := b.post(jp, jobForm(d.sink.URL("/ok"), nil)); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %s", r)
	}
	j, _ = d.svc.Job(ctx, tn.actor(), id)
	if prikke.ContentType(j.Headers, j.Body) != "application/json" || len(j.Headers) != 1 {
		t.Errorf("after emptying: %+v", j.Headers)
	}
	r = b.post(jp, jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("content_type", "text/plain")
		v.Set("headers[3].name", "Content-Type")
		v.Set("headers[3].value", "application/xml")
	}))
	if msg := fieldError(r.Body, "content_type"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "give the content type once") {
		t.Errorf("conflict: %q (%s)", msg, r)
	}
}
