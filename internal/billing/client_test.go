package billing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
)

func TestCheckout(t *testing.T) {
	fake := billingtest.New(t)
	c := billing.New(fake.Config())
	org := prikke.NewID()
	got, err := c.Checkout(context.Background(), billing.CheckoutInput{
		OrganizationID: org, Email: "admin@example.com", Name: "Ada", RedirectURL: "https://prikke.example.com/settings/billing",
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := fake.Checkouts()
	if len(cs) != 1 {
		t.Fatalf("checkouts = %+v", cs)
	}
	want := billingtest.Checkout{
		ID: cs[0].ID, StoreID: billingtest.StoreID, VariantID: billingtest.ProVariantID,
		Email: "admin@example.com", Name: "Ada", OrganizationID: org.String(),
		RedirectURL: "https://prikke.example.com/settings/billing", URL: got,
	}
	if cs[0] != want {
		t.Errorf("checkout = %+v\nwant       %+v", cs[0], want)
	}
	if !strings.HasPrefix(got, fake.URL+"/checkout/") {
		t.Errorf("url = %q, want one on the fake", got)
	}
	if _, err := c.Checkout(context.Background(), billing.CheckoutInput{Email: "a@example.com"}); err == nil {
		t.Error("a checkout without an organization id passed")
	}
}

func TestSubscription(t *testing.T) {
	fake := billingtest.New(t)
	c := billing.New(fake.Config())
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sub := billingtest.ProSubscription("7", at)
	sub.Status, sub.PauseMode = prikke.SubscriptionPaused, prikke.PauseModeFree
	ends := at.AddDate(0, 2, 0)
	sub.EndsAt = &ends
	fake.PutSubscription(sub)

	got, err := c.Subscription(context.Background(), "7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PortalURL, fake.URL+"/portal/7?") {
		t.Errorf("portal = %q", got.PortalURL)
	}
	want := *sub
	want.PortalURL = got.PortalURL
	if *got.EndsAt != *want.EndsAt || *got.RenewsAt != *want.RenewsAt {
		t.Errorf("dates = %v %v, want %v %v", got.EndsAt, got.RenewsAt, want.EndsAt, want.RenewsAt)
	}
	got.EndsAt, got.RenewsAt, want.EndsAt, want.RenewsAt = nil, nil, nil, nil
	if *got != want {
		t.Errorf("subscription = %+v\nwant           %+v", *got, want)
	}
	again, err := c.Subscription(context.Background(), "7")
	if err != nil || again.PortalURL == got.PortalURL || fake.PortalHits() != 2 {
		t.Errorf("second fetch: %v, portal %q after %q, hits %d", err, again.PortalURL, got.PortalURL, fake.PortalHits())
	}

	_, err = c.Subscription(context.Background(), "8")
	if prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("unknown subscription: %v, want not_found", err)
	}

	fake.FailWith(http.StatusServiceUnavailable)
	_, err = c.Subscription(context.Background(), "7")
	var apiErr *billing.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || prikke.ErrorCode(err) != prikke.EINTERNAL {
		t.Errorf("outage: %v", err)
	}
	fake.FailWith(0)
	if _, err := c.Subscription(context.Background(), "7"); err != nil {
		t.Errorf("after the outage: %v", err)
	}
}

// TestAPIErrors: every answer but the expected one is an error saying the
// status and Lemon Squeezy's detail, never the API key.
func TestAPIErrors(t *testing.T) {
	const key = "sk-very-secret-key"
	cases := []struct {
		name   string
		status int
		body   string
		want   string // in the error
	}{
		{"unauthorized", 401, `{"jsonapi":{"version":"1.0"},"errors":[{"detail":"Unauthenticated.","status":"401","title":"Unauthorized"}]}`, "401 Unauthorized: Unauthenticated."},
		{"validation", 422, `{"errors":[{"detail":"The variant field is required.","source":{"pointer":"/data/relationships/variant"},"status":"422","title":"Unprocessable Entity"}]}`, "422 Unprocessable Entity: The variant field is required. (/data/relationships/variant)"},
		{"outage html", 502, `<html>Bad gateway</html>`, "502 Bad Gateway: an answer that is not a JSON:API error document"},
		{"empty", 500, ``, "500 Internal Server Error: an empty answer"},
		{"ok but not json", 201, `nope`, "not JSON"},
		{"no data", 201, `{"meta":{}}`, "no data"},
		{"wrong type", 201, `{"data":{"type":"orders","attributes":{"url":"https://x"}}}`, `data.type is "orders"`},
		{"no url", 201, `{"data":{"type":"checkouts","attributes":{}}}`, "data.attributes.url is not an http(s) URL"},
		{"javascript url", 201, `{"data":{"type":"checkouts","attributes":{"url":"javascript:alert(1)"}}}`, "not an http(s) URL"},
		{"redirect", 302, ``, "302 Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 302 {
					w.Header().Set("Location", "https://elsewhere.example/steal")
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := billing.New(billing.Config{APIURL: srv.URL, APIKey: key, StoreID: "1", ProVariantID: "2"})
			_, err := c.Checkout(context.Background(), billing.CheckoutInput{OrganizationID: prikke.NewID()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("the error shows the API key: %v", err)
			}
		})
	}
}

func TestSubscriptionAnswers(t *testing.T) {
	cases := []struct {
		name string
		body string
		want string
	}{
		{"another subscription", `{"data":{"type":"subscriptions","id":"9","attributes":{"store_id":1,"variant_id":2,"status":"active","created_at":"2026-01-02T03:04:05.000000Z","updated_at":"2026-01-02T03:04:05.000000Z"}}}`, "the answer is subscription 9"},
		{"not a subscription", `{"data":{"type":"orders","id":"7","attributes":{}}}`, `data.type is "orders"`},
		{"bad date", `{"data":{"type":"subscriptions","id":"7","attributes":{"store_id":1,"variant_id":2,"status":"active","created_at":"yesterday","updated_at":"2026-01-02T03:04:05.000000Z"}}}`, "data.attributes.created_at"},
		{"no updated_at", `{"data":{"type":"subscriptions","id":"7","attributes":{"store_id":1,"variant_id":2,"status":"active","created_at":"2026-01-02T03:04:05.000000Z"}}}`, "data.attributes.updated_at is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/subscriptions/7" || r.Header.Get("Accept") != "application/vnd.api+json" || r.Header.Get("Authorization") != "Bearer k" {
					t.Errorf("request %s %v", r.URL.Path, r.Header)
				}
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			_, err := billing.New(billing.Config{APIURL: srv.URL + "/", APIKey: "k"}).Subscription(context.Background(), "7")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := billing.New(billing.Config{APIURL: srv.URL, APIKey: "k"}).Subscription(ctx, "7")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
