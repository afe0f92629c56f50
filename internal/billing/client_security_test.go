package billing_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
)

// lemonAnswering is an API that answers a checkout and subscription 7
// whose browser URLs (the checkout's url, the customer portal) are link;
// tls serves it over https, as Lemon Squeezy is.
func lemonAnswering(t *testing.T, link string, tls bool) *billing.Client {
	t.Helper()
	var data map[string]any
	body := billingtest.SubscriptionEvent("subscription_created", billingtest.ProSubscription("7", time.Now().UTC()), "", false)
	if err := json.Unmarshal(body, &data); err != nil {
		t.Fatal(err)
	}
	sub := data["data"].(map[string]any)
	sub["attributes"].(map[string]any)["urls"] = map[string]any{"customer_portal": link}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.api+json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"type": "checkouts", "id": "c1",
				"attributes": map[string]any{"url": link}}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": sub})
	})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	cfg := billing.Config{APIURL: srv.URL, APIKey: "k", StoreID: "1", ProVariantID: billingtest.ProVariantID}
	if tls {
		cfg.HTTPClient = srv.Client()
	}
	return billing.New(cfg)
}

// The dashboard redirects the browser to the checkout's URL and the
// customer portal's, as Lemon Squeezy's API gives them: only an absolute
// https URL is taken (http only from an API itself on plain http: a
// development fake); anything else would make Prikke an open redirect,
// or send a paying customer over plain http.
func TestBrowserURLsAreHTTPS(t *testing.T) {
	for _, c := range []struct {
		link string
		tls  bool
		ok   bool
	}{
		{"https://prikke.lemonsqueezy.com/checkout/custom/abc?signature=x", true, true},
		{"http://prikke.lemonsqueezy.com/checkout/custom/abc", true, false},
		{"javascript:alert(document.cookie)", true, false},
		{"//evil.example/phish", true, false},
		{"/app/orgs", true, false},
		{"https://user:pass@evil.example/", true, false},
		{"http://127.0.0.1:9/checkout/abc", false, true},
		{"javascript:alert(1)", false, false},
	} {
		ctx := context.Background()
		cl := lemonAnswering(t, c.link, c.tls)
		got, err := cl.Checkout(ctx, billing.CheckoutInput{OrganizationID: [16]byte{1}, Email: "a@example.com"})
		if c.ok && (err != nil || got != c.link) {
			t.Errorf("checkout url %q (tls %v): %q, %v; want it taken", c.link, c.tls, got, err)
		}
		if !c.ok && err == nil {
			t.Errorf("checkout url %q (tls %v): taken; want an error", c.link, c.tls)
		}
		sub, err := cl.Subscription(ctx, "7")
		if err != nil {
			t.Fatalf("subscription with portal %q: %v", c.link, err)
		}
		if want := map[bool]string{true: c.link}[c.ok]; sub.PortalURL != want {
			t.Errorf("portal url %q (tls %v): PortalURL %q; want %q", c.link, c.tls, sub.PortalURL, want)
		}
		if !c.ok && strings.Contains(sub.PortalURL, "evil") {
			t.Errorf("portal %q kept", sub.PortalURL)
		}
	}
}
