package web

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// TestLandingSignedIn: a signed-in visitor to / (and the other public
// pages) is offered the dashboard, not "Log in" and "Start for free"; a
// visitor without a session, or with an ended one, still is.
func TestLandingSignedIn(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	for _, path := range []string{"/", "/pricing", "/use-cases", "/docs"} {
		r := d.as(tn).get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %s", path, r)
		}
		if !strings.Contains(r.Body, `<a href="/app" class="btn btn-primary hidden sm:inline-flex" data-testid="to-dashboard">Dashboard`) {
			t.Errorf("%s signed in: no Dashboard link to /app in the header", path)
		}
		for _, s := range []string{">Log in<", "Start for free"} {
			if strings.Contains(r.Body, s) {
				t.Errorf("%s signed in: the page still offers %q", path, s)
			}
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s signed in: Cache-Control %q, want no-store (the page is the visitor's own)", path, cc)
		}
	}
	if r := d.as(tn).get("/"); !strings.Contains(r.Body, `<a href="/app" class="btn btn-primary px-5 py-3 text-base">Go to your dashboard`) {
		t.Errorf("the landing page's call to action does not lead a signed-in visitor to the dashboard")
	}

	anon := d.anon()
	ended := d.anon()
	ended.hc.Jar = d.as(tn).hc.Jar
	if _, err := d.store.TokenDeleteByUser(t.Context(), tn.User.ID, []prikke.TokenKind{prikke.TokenSession}, prikke.NilID); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*browser{"no session": anon, "an ended session": ended} {
		r := b.get("/")
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %s", name, r)
		}
		if strings.Contains(r.Body, `data-testid="to-dashboard"`) || !strings.Contains(r.Body, ">Log in<") || !strings.Contains(r.Body, "Start for free") {
			t.Errorf("a visitor with %s is not offered Log in and Start for free", name)
		}
	}
}

// TestAPIKeysPlace: the words that send people to their API keys (the
// docs, the README, and the API's 401, which internal/api's
// TestUnauthorizedNamesWhereKeysAre checks) name the place the sidebar
// has: the Organization group's "API keys", and nothing called Settings.
func TestAPIKeysPlace(t *testing.T) {
	const place = "Organization → API keys"
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	r := d.as(tn).get("/app/projects/" + tn.Project.ID.String())
	if r.Status != http.StatusOK {
		t.Fatalf("%s", r)
	}
	group := regexp.MustCompile(`(?s)uppercase">Organization</p>\s*<ul[^>]*>(.*?)</ul>`).FindStringSubmatch(r.Body)
	if group == nil {
		t.Fatal("the sidebar has no Organization group")
	}
	if !regexp.MustCompile(`href="/app/orgs/` + tn.Org.ID.String() + `/api-keys"[^>]*>.*?API keys</a>`).MatchString(group[1]) {
		t.Errorf("the sidebar's Organization group has no API keys item:\n%s", group[1])
	}
	for _, path := range []string{"/docs/getting-started", "/docs/api"} {
		body := d.anon().get(path).Body
		if !strings.Contains(body, "<strong>"+place+"</strong>") {
			t.Errorf("%s does not send readers to %s", path, place)
		}
		if strings.Contains(body, "Settings → API keys") {
			t.Errorf("%s still names Settings → API keys", path)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(strings.Fields(string(readme)), " "); !strings.Contains(text, place) || strings.Contains(text, "Settings → API keys") {
		t.Errorf("the README does not send readers to %s (or still names Settings → API keys)", place)
	}
}
