package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// TestJobAlertsSection: the editor's Alerts section saves the job's alert
// policy, shows it again (open) when editing, and puts each error beside
// its field.
func TestJobAlertsSection(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	ctx := context.Background()
	path := "/app/projects/" + tn.Project.ID.String() + "/jobs"
	if r := b.get(path + "/new"); !strings.Contains(r.Body, `<details id="alerts">`) || !strings.Contains(r.Body, `name="alert_policy.window.cron"`) {
		t.Errorf("the new job form has no closed Alerts section: %s", r)
	}

	for _, tt := range []struct {
		name, field, want string
		edit              func(url.Values)
	}{
		{"threshold words", "alert_policy.fail_threshold", "must be a whole number", func(v url.Values) { v.Set("alert_policy.fail_threshold", "a few") }},
		{"threshold range", "alert_policy.fail_threshold", "between 1 and 100", func(v url.Values) { v.Set("alert_policy.fail_threshold", "500") }},
		{"recovery range", "alert_policy.recovery_threshold", "between 1 and 100", func(v url.Values) { v.Set("alert_policy.recovery_threshold", "101") }},
		{"realert", "alert_policy.realert_every", "not a duration", func(v url.Values) { v.Set("alert_policy.realert_every", "daily") }},
		{"snooze garbage", "alert_policy.snooze_until", "is not a date and time", func(v url.Values) { v.Set("alert_policy.snooze_until", "friday") }},
		{"snooze past", "alert_policy.snooze_until", "in the past", func(v url.Values) { v.Set("alert_policy.snooze_until", "2020-01-01T10:00") }},
		{"window cron", "alert_policy.window.cron", "", func(v url.Values) {
			v.Set("alert_policy.window.cron", "0 25 * * *")
			v.Set("alert_policy.window.duration", "1h")
		}},
		{"window duration", "alert_policy.window.duration", "between 1m and 7 days", func(v url.Values) {
			v.Set("alert_policy.window.cron", "0 2 * * *")
			v.Set("alert_policy.window.duration", "30s")
		}},
		{"window without cron", "alert_policy.window.cron", "is required", func(v url.Values) { v.Set("alert_policy.window.duration", "1h") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(path, jobForm(d.sink.URL("/ok"), func(v url.Values) {
				v.Set("alert_policy.fail_threshold", "")
				v.Set("alert_policy.recovery_threshold", "1")
				tt.edit(v)
			}))
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s", r)
			}
			msg := fieldError(r.Body, tt.field)
			if msg == "" || !strings.Contains(msg, tt.want) {
				t.Errorf("beside %s: %q, want %q", tt.field, msg, tt.want)
			}
			id := page.FieldID(tt.field)
			if !strings.Contains(describedBy(r.Body, id), id+"-error") || !strings.Contains(r.Body, `href="#`+id+`"`) {
				t.Errorf("%s: the error is not linked to its field", id)
			}
			if !strings.Contains(r.Body, `<details id="alerts" open>`) {
				t.Error("the Alerts section with an error is closed")
			}
		})
	}
	if jobs, _ := d.svc.AllJobs(ctx, tn.actor(), tn.Project.ID); len(jobs) != 0 {
		t.Fatalf("%d jobs were created from invalid forms", len(jobs))
	}

	oslo := mustZone(t, "Europe/Oslo")
	snooze := time.Now().Add(48 * time.Hour).In(oslo).Truncate(time.Minute)
	r := b.post(path, jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("alert_policy.fail_threshold", "3")
		v.Set("alert_policy.recovery_threshold", "2")
		v.Set("alert_policy.realert_every", "6h")
		v.Set("alert_policy.snooze_until", snooze.Format(datetimeLocal))
		v.Set("alert_policy.window.cron", "0 2 * * 0")
		v.Set("alert_policy.window.timezone", "")
		v.Set("alert_policy.window.duration", "90m")
		v.Set("alert_policy.window.skip_runs", "on")
	}))
	if r.Status != http.StatusSeeOther {
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
	p := j.AlertPolicy
	if p.FailThreshold != 3 || p.RecoveryThreshold != 2 || p.RealertEvery != 6*time.Hour || p.SnoozeUntil == nil || !p.SnoozeUntil.Equal(snooze) ||
		p.Window != (prikke.Window{Cron: "0 2 * * 0", TimeZone: "Europe/Oslo", Duration: 90 * time.Minute, SkipRuns: true}) {
		t.Errorf("saved policy: %+v", p)
	}
	edit := b.get("/app/jobs/" + id.String() + "/edit").Body
	for _, want := range []string{`<details id="alerts" open>`, `name="alert_policy.fail_threshold" type="number" value="3"`,
		`name="alert_policy.realert_every" type="text" value="6h"`, `value="` + snooze.Format(datetimeLocal) + `"`,
		`name="alert_policy.window.duration" type="text" value="1h30m"`, `name="alert_policy.window.skip_runs" value="on" class="mt-0.5 size-4 shrink-0 accent-emerald-600" checked`} {
		if !strings.Contains(edit, want) {
			t.Errorf("the edit page lacks %s", want)
		}
	}
	// Saving the edit page as it is keeps the policy.
	r = b.post("/app/jobs/"+id.String(), jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("alert_policy.fail_threshold", "3")
		v.Set("alert_policy.recovery_threshold", "2")
		v.Set("alert_policy.realert_every", "6h")
		v.Set("alert_policy.snooze_until", snooze.Format(datetimeLocal))
		v.Set("alert_policy.window.cron", "")
		v.Set("alert_policy.window.duration", "")
	}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("update: %s", r)
	}
	j, _ = d.svc.Job(ctx, tn.actor(), id)
	if p := j.AlertPolicy; p.FailThreshold != 3 || p.SnoozeUntil == nil || !p.Window.IsZero() {
		t.Errorf("policy after clearing the window: %+v", p)
	}
}
