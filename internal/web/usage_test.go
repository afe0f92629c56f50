package web

import (
	"html"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestUsagePageCountsMonitors: the usage page and the overview count
// monitors with the jobs against the plan's limit, and say that they do.
func TestUsagePageCountsMonitors(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	d.job(tn, "nightly report", "https://example.com/report")
	storetest.NewMonitor(t, d.store, tn.Tenant, nil)
	storetest.NewMonitor(t, d.store, tn.Tenant, nil)
	b := d.as(tn)

	r := b.get("/app/orgs/" + tn.Org.ID.String() + "/usage")
	text := html.UnescapeString(r.Body)
	for _, want := range []string{
		`<h2 id="jobs-title" class="font-semibold text-slate-900">Jobs and monitors</h2>`,
		`data-testid="jobs-used">3 <span class="text-base font-normal text-slate-500">of 5</span>`,
		`value="3" aria-label="Jobs and monitors used">3 of 5</progress>`,
		"1 job (cron and one-time) and 2 monitors, in every project of the organization: they count together",
		"5 jobs and monitors together", "Unlimited jobs and monitors",
	} {
		if r.Status != 200 || !strings.Contains(text, want) {
			t.Errorf("usage page (%d) lacks %q", r.Status, want)
		}
	}

	r = b.get("/app/projects/" + tn.Project.ID.String())
	if r.Status != 200 || !strings.Contains(html.UnescapeString(r.Body), "3 of 5 jobs and monitors in ") {
		t.Errorf("overview (%d) does not count the monitors: %s", r.Status, r.Body)
	}
}
