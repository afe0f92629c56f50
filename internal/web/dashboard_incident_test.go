package web

import (
	"context"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/web/statuspage"
)

// TestIncidentBanner: while Prikke has an open incident, every dashboard
// page says so above its content, read at most once per statuspage.TTL; the
// banner goes when the incident is resolved.
func TestIncidentBanner(t *testing.T) {
	storetest.Dialects(t, testIncidentBanner)
}

func testIncidentBanner(t *testing.T, st store.Store) {
	clock := &testClock{}
	d := newDashWith(t, st, clock.deps())
	ctx := context.Background()
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	project := "/app/projects/" + tn.Project.ID.String()
	banners := func(body string) int { return strings.Count(body, `data-testid="incident-banner"`) }
	get := func(path string) *reply {
		t.Helper()
		r := b.get(path)
		if r.Status != 200 {
			t.Fatalf("GET %s: %s", path, r)
		}
		return r
	}

	if r := get(project); banners(r.Body) != 0 || strings.Contains(r.Body, "incident-banners") {
		t.Errorf("a banner without an incident: %s", r)
	}

	// An operator opens an incident, its title hostile.
	evil := "<script>alert(1)</script>"
	inc, err := d.svc.OpenIncident(ctx, service.IncidentInput{Title: evil + " Slow deliveries", Message: "Requests start up to a minute late.",
		Components: []string{"delivery", "api"}})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(statuspage.TTL) // past the incidents cached by the first page
	for _, path := range []string{project, project + "/jobs", "/app/account", "/app/orgs/" + tn.Org.ID.String() + "/members"} {
		r := get(path)
		if banners(r.Body) != 1 || !strings.Contains(r.Body, `role="status" data-testid="incident-banners"`) ||
			!strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt; Slow deliveries</span>") || strings.Contains(r.Body, evil) ||
			!strings.Contains(r.Body, "(investigating)") || !strings.Contains(r.Body, "Requests start up to a minute late.") ||
			!strings.Contains(r.Body, "Affects Webhook delivery, API.") || !strings.Contains(r.Body, `href="/status">Prikke status</a>`) {
			t.Errorf("%s with an open incident: %s", path, r)
		}
	}
	// The project settings page after rotating the secret builds its view
	// by hand; it shows the banner too.
	if r := b.post(project+"/secret/rotate", nil); r.Status != 200 || banners(r.Body) != 1 {
		t.Errorf("rotated secret page: %s", r)
	}

	// An update shows once the cached incidents expire, and only the latest
	// message: pages within statuspage.TTL reuse one read.
	if _, err := d.svc.UpdateIncident(ctx, inc.ID, prikke.IncidentIdentified, "A slow disk in Frankfurt."); err != nil {
		t.Fatal(err)
	}
	if r := get(project); !strings.Contains(r.Body, "(investigating)") || strings.Contains(r.Body, "A slow disk") {
		t.Errorf("within statuspage.TTL the incidents were read again: %s", r)
	}
	clock.advance(statuspage.TTL)
	if r := get(project); !strings.Contains(r.Body, "(identified)") || !strings.Contains(r.Body, "A slow disk in Frankfurt.") ||
		strings.Contains(r.Body, "Requests start up to a minute late.") {
		t.Errorf("after an update: %s", r)
	}

	// A second incident, without components: one line each.
	other, err := d.svc.OpenIncident(ctx, service.IncidentInput{Title: "Dashboard sign-in errors", Message: "Some sign-ins fail.",
		Status: prikke.IncidentMonitoring})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(statuspage.TTL)
	if r := get(project); banners(r.Body) != 2 || !strings.Contains(r.Body, "Dashboard sign-in errors") || !strings.Contains(r.Body, "(monitoring)") ||
		strings.Count(r.Body, "Affects ") != 1 {
		t.Errorf("two open incidents: %s", r)
	}

	// Resolved: no banner, though /status still lists them as past.
	for _, id := range []prikke.ID{inc.ID, other.ID} {
		if _, err := d.svc.UpdateIncident(ctx, id, prikke.IncidentResolved, "Fixed."); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(statuspage.TTL)
	if r := get(project); banners(r.Body) != 0 || strings.Contains(r.Body, "Slow deliveries") {
		t.Errorf("banner after resolving: %s", r)
	}
	if r := d.anon().get("/status"); !strings.Contains(r.Body, "Past incidents") || !strings.Contains(r.Body, "Dashboard sign-in errors") {
		t.Errorf("/status after resolving: %s", r)
	}
}
