package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke"
)

// TestSignupTakesTheBrowserZone: the sign-up form carries the browser's
// zone (app.js fills the hidden field) and the new user starts in it; a
// zone Prikke does not know, or none, is UTC rather than a refusal.
func TestSignupTakesTheBrowserZone(t *testing.T) {
	d := newDash(t, nil)
	if r := d.anon().get("/signup"); !strings.Contains(r.Body, `<input type="hidden" name="time_zone" value="" data-viewer-tz>`) {
		t.Errorf("the sign-up form has no field for the browser's zone")
	}
	for email, zone := range map[string]string{"oslo@example.com": "Europe/Oslo", "mars@example.com": "Mars/Olympus_Mons", "none@example.com": ""} {
		r := d.anon().post("/signup", url.Values{"email": {email}, "password": {"a long enough passphrase"}, "time_zone": {zone}})
		if r.Status != http.StatusOK {
			t.Fatalf("signup in %q: %s", zone, r)
		}
		u, err := d.store.UserGetByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		want := zone
		if want != "Europe/Oslo" {
			want = "UTC"
		}
		if u.TimeZone != want {
			t.Errorf("signed up with time_zone %q: the user's zone is %q, want %q", zone, u.TimeZone, want)
		}
	}
}

// TestAccountTimeZoneForm: the account page sets the zone, and every page
// then shows times in it; an unknown zone is refused beside the field.
func TestAccountTimeZoneForm(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	j := d.job(tn, "nightly", "https://example.com/hook")
	d.finishedExecution(j, prikke.ExecutionStatusSuccess, []byte("ok"))
	b := d.as(tn)

	r := b.get("/app/account")
	if !strings.Contains(r.Body, `<option value="UTC" selected>UTC</option>`) {
		t.Errorf("the account page does not show UTC as the user's zone")
	}
	r = b.post("/app/account/time-zone", url.Values{"time_zone": {"Europe/Atlantis"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(r.Body, "zone-time_zone"), `unknown time zone &#34;Europe/Atlantis&#34;`) {
		t.Fatalf("an unknown zone: %s", r)
	}
	r = b.post("/app/account/time-zone", url.Values{"time_zone": {"America/New_York"}})
	if r.Status != http.StatusSeeOther || r.location() != "/app/account" {
		t.Fatalf("set the zone: %s", r)
	}
	if u, _ := d.store.UserGet(context.Background(), tn.User.ID); u.TimeZone != "America/New_York" {
		t.Fatalf("stored zone %q", u.TimeZone)
	}
	r = b.get("/app/account")
	if !strings.Contains(r.Body, "Times are now shown in America/New_York.") || !strings.Contains(r.Body, `<option value="America/New_York" selected>`) {
		t.Errorf("after saving, the account page: %s", r)
	}

	// The job's next run (Oslo's 09:00) and its execution, in New York's
	// zone, with seconds and the exact value in the title.
	tag := regexp.MustCompile(`<time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)" title="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[45]:00)">(\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d E[SD]T)</time>`)
	for _, path := range []string{"/app/projects/" + tn.Project.ID.String(), "/app/projects/" + tn.Project.ID.String() + "/jobs", "/app/jobs/" + j.ID.String()} {
		body := b.get(path).Body
		all := strings.Count(body, "<time ")
		if n := len(tag.FindAllString(body, -1)); n == 0 || n != all {
			t.Errorf("%s: %d of %d times are in New York's zone with seconds and the exact value", path, n, all)
		}
	}
}
