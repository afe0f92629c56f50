package web

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/config"
)

// TestDocsBilling: /docs/billing, for operators, names every billing
// variable Prikke reads and none it does not, the webhook's address on
// this host, the ten events Prikke acts on, and the status → plan table
// as the code computes it; the docs index and the sidebar link it.
func TestDocsBilling(t *testing.T) {
	d := newDash(t, nil)
	r := d.anon().get("/docs/billing")
	if r.Status != 200 {
		t.Fatalf("/docs/billing: %s", r)
	}
	text := pageText(r.Body)

	// Every variable the page names is one Prikke reads; every billing
	// variable Prikke reads is on the page.
	shown := map[string]bool{}
	for _, name := range regexp.MustCompile(`PRIKKE_[A-Z0-9_]+`).FindAllString(text, -1) {
		shown[name] = true
		if !slices.ContainsFunc(config.Vars, func(v config.Var) bool { return v.Name == name }) {
			t.Errorf("/docs/billing names %s, which Prikke does not read", name)
		}
	}
	for _, v := range config.Vars {
		if (v.Name == "PRIKKE_BILLING" || v.Name == "PRIKKE_DEFAULT_TIER" || strings.HasPrefix(v.Name, "PRIKKE_LEMONSQUEEZY_")) && !shown[v.Name] {
			t.Errorf("/docs/billing does not explain %s", v.Name)
		}
	}

	for _, want := range []string{
		d.srv.URL + "/webhooks/lemonsqueezy", "https://<your prikke>/webhooks/lemonsqueezy", "6 to 40 characters", "Copy ID",
		"Settings → API", "Settings → Stores", "X-Signature", "PRIKKE_DEFAULT_TIER=pro", "prikke billing unclaimed",
		"Test mode", "re-sync", "Attach to this organization", "newest first", "Paused by the plan change: upgrade to resume",
		"on_trial Pro", "active Pro", "past_due", "cancelled before ends_at (the end of the paid period) Pro",
		"cancelled from ends_at on, with or without a webhook Free", "pause mode free (the service continues free of charge) Pro",
		"pause mode void (the service stops) Free", "unpaid every retry of a payment failed Free", "expired Free",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/docs/billing lacks %q", want)
		}
	}
	events := regexp.MustCompile(`(?s)data-testid="billing-events">(.*?)</ul>`).FindStringSubmatch(r.Body)
	if events == nil {
		t.Fatal("no list of events")
	}
	if got := strings.Fields(pageText(events[1])); !slices.Equal(got, billing.Events) || len(got) != 10 {
		t.Errorf("events to tick %v, want billing.Events %v", got, billing.Events)
	}

	for _, path := range []string{"/docs", "/docs/billing"} {
		if body := d.anon().get(path).Body; !strings.Contains(body, `href="/docs/billing"`) {
			t.Errorf("%s does not link /docs/billing", path)
		}
	}
}
