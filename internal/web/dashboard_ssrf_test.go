package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestSSRFBanner: while PRIKKE_SSRF_ALLOW relaxes the delivery guard,
// every dashboard page (a re-rendered form too) names what is let through
// and links to the docs; public pages and a Prikke with the guard whole
// show nothing.
func TestSSRFBanner(t *testing.T) {
	d := newDashWith(t, nil, func(deps *Deps) { deps.SSRFAllow = []string{"127.0.0.0/8", "::1/128", "[::1]:8080"} })
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	project := "/app/projects/" + tn.Project.ID.String()
	banners := func(body string) int { return strings.Count(body, `data-testid="ssrf-banner"`) }
	for _, path := range []string{project, project + "/jobs", project + "/jobs/new", project + "/executions", project + "/channels",
		project + "/settings", "/app/account", "/app/orgs/" + tn.Org.ID.String() + "/members", "/app/orgs/" + tn.Org.ID.String() + "/usage"} {
		r := b.get(path)
		if r.Status != 200 || banners(r.Body) != 1 || !strings.Contains(r.Body, "Development mode: the SSRF guard is relaxed.") ||
			!strings.Contains(r.Body, `data-testid="ssrf-allowed">127.0.0.0/8</code>, <code class="font-mono" data-testid="ssrf-allowed">::1/128</code>, <code class="font-mono" data-testid="ssrf-allowed">[::1]:8080</code>`) ||
			!strings.Contains(r.Body, `href="/docs/own-machine"`) {
			t.Errorf("%s: %s", path, r)
		}
	}
	if r := b.post(project+"/jobs", jobForm("http://10.0.0.1/x", nil)); r.Status != http.StatusUnprocessableEntity || banners(r.Body) != 1 {
		t.Errorf("re-rendered form: %s", r)
	}
	for _, path := range []string{"/", "/docs", "/docs/own-machine", "/login", "/status"} {
		if r := d.anon().get(path); r.Status != 200 || banners(r.Body) != 0 {
			t.Errorf("public %s: %d, %d banners", path, r.Status, banners(r.Body))
		}
	}

	whole := newDash(t, nil)
	tw := whole.tenant(prikke.TierFree)
	if r := whole.as(tw).get("/app/projects/" + tw.Project.ID.String()); r.Status != 200 || banners(r.Body) != 0 || strings.Contains(r.Body, "SSRF") {
		t.Errorf("a banner with the guard whole: %s", r)
	}
}

// TestDashboardRefusesThisMachine: the job form (new and edit) and the
// channel form refuse a destination the guard can never pass, by address
// or by a name for this machine, with the API's message beside the field;
// a channel refuses plain http; and an exact ip:port pair on the allow
// list lets localhost on that port through, as it does at delivery.
func TestDashboardRefusesThisMachine(t *testing.T) {
	storetest.Dialects(t, testDashboardRefusesThisMachine)
}

func testDashboardRefusesThisMachine(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	ctx := context.Background()
	jobs := "/app/projects/" + tn.Project.ID.String() + "/jobs"
	channels := "/app/projects/" + tn.Project.ID.String() + "/channels"
	if r := b.post(jobs, jobForm(d.sink.URL("/ok"), nil)); r.Status != http.StatusSeeOther {
		t.Fatalf("create: %s", r)
	}
	list, err := d.svc.AllJobs(ctx, tn.actor(), tn.Project.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("jobs: %v %v", list, err)
	}
	edit := "/app/jobs/" + list[0].ID.String()
	hint := "; to test against your own machine, see " + d.srv.URL + "/docs/own-machine"
	for _, tt := range []struct{ url, want string }{
		{"http://localhost:8099/x", "destination not allowed: localhost (loopback)" + hint},
		{"http://localhost.:8099/x", "destination not allowed: localhost. (loopback)" + hint},
		{"http://Web.LOCALHOST/x", "destination not allowed: Web.LOCALHOST (loopback)" + hint},
		{"http://127.0.0.1:8099/x", "destination not allowed: 127.0.0.1 (loopback)" + hint},
	} {
		for _, path := range []string{jobs, edit} {
			r := b.post(path, jobForm(tt.url, nil))
			if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "url") != escaped(tt.want) {
				t.Errorf("POST %s %s: %d, beside url %q, want %q", path, tt.url, r.Status, fieldError(r.Body, "url"), tt.want)
			}
		}
		r := b.post(channels, url.Values{"name": {"x"}, "target": {tt.url}})
		if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "target") != escaped(tt.want) {
			t.Errorf("channel %s: %d, beside target %q, want %q", tt.url, r.Status, fieldError(r.Body, "target"), tt.want)
		}
	}
	const plain = "must be an https:// URL: notifications are not sent over plain http"
	if r := b.post(channels, url.Values{"name": {"x"}, "target": {"http://example.com/hook"}}); r.Status != http.StatusUnprocessableEntity ||
		fieldError(r.Body, "target") != escaped(plain) || serviceFieldError(t, d, tn, "target", "http://example.com/hook") != plain {
		t.Errorf("plain http channel: %s", r)
	}

	// The sink's exact pair is allowed: localhost on its port is accepted
	// for a job and, over plain http, for a channel.
	local := "http://localhost:" + strconv.Itoa(int(d.sink.Addr().Port())) + "/ok"
	if r := b.post(jobs, jobForm(local, nil)); r.Status != http.StatusSeeOther {
		t.Errorf("job to the allowed pair by name: %s", r)
	}
	if r := b.post(channels, url.Values{"name": {"local"}, "target": {local}}); r.Status != http.StatusSeeOther {
		t.Errorf("channel to the allowed pair by name: %s", r)
	}
	if list, _ := d.svc.AllJobs(ctx, tn.actor(), tn.Project.ID); len(list) != 2 || list[0].URL == list[1].URL {
		t.Errorf("jobs stored: %d", len(list))
	}
	if cs, _ := d.svc.Channels(ctx, tn.actor(), tn.Project.ID); len(cs) != 1 {
		t.Errorf("channels stored: %d", len(cs))
	}
}
