package billing_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/billing/billingtest"
)

func TestVerify(t *testing.T) {
	body := billingtest.SubscriptionEvent("subscription_created", billingtest.ProSubscription("1", time.Unix(0, 0)), "org", false)
	good := billingtest.Sign(billingtest.Secret, body)
	flipped := append([]byte(nil), body...)
	flipped[10] ^= 1
	cases := []struct {
		name      string
		secret    string
		body      []byte
		signature string
		ok        bool
	}{
		{"right", billingtest.Secret, body, good, true},
		{"upper-case hex (the same digest)", billingtest.Secret, body, strings.ToUpper(good), true},
		{"empty body, signed", billingtest.Secret, nil, billingtest.Sign(billingtest.Secret, nil), true},
		{"wrong secret", "another-secret", body, good, false},
		{"flipped byte in the body", billingtest.Secret, flipped, good, false},
		{"no signature", billingtest.Secret, body, "", false},
		{"no secret configured", "", body, billingtest.Sign("", body), false},
		{"malformed hex", billingtest.Secret, body, "zz" + good[2:], false},
		{"odd length", billingtest.Secret, body, good[1:], false},
		{"truncated digest", billingtest.Secret, body, good[:32], false},
		{"sha256= prefix (not Lemon Squeezy's style)", billingtest.Secret, body, "sha256=" + good, false},
		{"spaces around", billingtest.Secret, body, " " + good + " ", false},
		{"base64 of the digest", billingtest.Secret, body, "q0Xyv5Y6m6Uu2LhJQ3p8dQ==", false},
	}
	for _, tc := range cases {
		err := billing.Verify(tc.secret, tc.body, tc.signature)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, billing.ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", tc.name, err)
		}
	}
}

var at = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

func ptr(t time.Time) *time.Time { return &t }

// TestParseEvents parses each event Prikke acts on, written by the fake in
// Lemon Squeezy's shape, back into what it was made from.
func TestParseEvents(t *testing.T) {
	sub := func(status prikke.SubscriptionStatus, change func(*prikke.Subscription)) *prikke.Subscription {
		s := billingtest.ProSubscription("4242", at)
		s.Status = status
		s.UpdatedAt = at.Add(time.Hour)
		if change != nil {
			change(s)
		}
		return s
	}
	subs := map[string]*prikke.Subscription{
		"subscription_created": sub(prikke.SubscriptionOnTrial, func(s *prikke.Subscription) { s.TrialEndsAt = ptr(at.AddDate(0, 0, 14)) }),
		"subscription_updated": sub(prikke.SubscriptionPastDue, nil),
		"subscription_cancelled": sub(prikke.SubscriptionCancelled, func(s *prikke.Subscription) {
			s.EndsAt = ptr(at.AddDate(0, 1, 0))
			s.RenewsAt = nil
		}),
		"subscription_resumed": sub(prikke.SubscriptionActive, nil),
		"subscription_expired": sub(prikke.SubscriptionExpired, func(s *prikke.Subscription) { s.EndsAt = ptr(at) }),
		"subscription_paused":  sub(prikke.SubscriptionPaused, func(s *prikke.Subscription) { s.PauseMode = prikke.PauseModeVoid }),
		"subscription_unpaused": sub(prikke.SubscriptionActive, func(s *prikke.Subscription) {
			s.TestMode = true
		}),
	}
	for _, name := range billing.Events {
		t.Run(name, func(t *testing.T) {
			var body []byte
			s, isSub := subs[name]
			inv := billing.Invoice{ID: "555", SubscriptionID: "4242", Status: "paid", BillingReason: "renewal", Total: "€29.00", UpdatedAt: at}
			if isSub {
				body = billingtest.SubscriptionEvent(name, s, "org-1", s.TestMode)
			} else {
				if name == "subscription_payment_failed" {
					inv.Status = "pending"
				}
				body = billingtest.InvoiceEvent(name, inv, "org-1", false)
			}
			ev, err := billing.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			if ev.Name != name || ev.OrganizationID != "org-1" || ev.Hash != hex.EncodeToString(sum[:]) {
				t.Errorf("event = %q org %q hash %q", ev.Name, ev.OrganizationID, ev.Hash)
			}
			if !isSub {
				if ev.Subscription != nil || ev.Invoice == nil || *ev.Invoice != inv {
					t.Errorf("payment event: subscription %v, invoice %+v, want %+v", ev.Subscription, ev.Invoice, inv)
				}
				return
			}
			if ev.Invoice != nil || ev.Subscription == nil {
				t.Fatalf("subscription event: invoice %v, subscription %v", ev.Invoice, ev.Subscription)
			}
			if ev.TestMode != s.TestMode {
				t.Errorf("test mode = %v, want %v", ev.TestMode, s.TestMode)
			}
			assertSubscription(t, ev.Subscription, s)
		})
	}
}

// assertSubscription compares what Parse made of a body with what the body
// was made from; times to the microsecond, as Lemon Squeezy writes them.
func assertSubscription(t *testing.T, got, want *prikke.Subscription) {
	t.Helper()
	w := *want
	if got.PortalURL == "" {
		t.Error("no customer portal URL")
	}
	w.PortalURL = got.PortalURL
	for _, p := range []struct {
		name      string
		got, want **time.Time
	}{{"renews_at", &got.RenewsAt, &w.RenewsAt}, {"ends_at", &got.EndsAt, &w.EndsAt}, {"trial_ends_at", &got.TrialEndsAt, &w.TrialEndsAt}} {
		if (*p.got == nil) != (*p.want == nil) || (*p.got != nil && !(*p.got).Equal((*p.want).Truncate(time.Microsecond))) {
			t.Errorf("%s = %v, want %v", p.name, *p.got, *p.want)
		}
		*p.got, *p.want = nil, nil
	}
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.Truncate(time.Microsecond), w.UpdatedAt.Truncate(time.Microsecond)
	if *got != w {
		t.Errorf("subscription = %+v\nwant           %+v", *got, w)
	}
}

// A subscription_created body as Lemon Squeezy's documentation shows it:
// ids as numbers, first_subscription_item, null dates, pause null.
const documentedCreated = `{
  "meta": {"test_mode": false, "event_name": "subscription_created", "webhook_id": "7b9bba3a-9b5c-4f0c-8e0a-9b0f58d3b1a2",
    "custom_data": {"organization_id": "0190a7c2-5a3b-7d3e-9f00-000000000001"}},
  "data": {
    "type": "subscriptions",
    "id": "1",
    "attributes": {
      "store_id": 1, "customer_id": 1, "order_id": 1, "order_item_id": 1, "product_id": 1, "variant_id": 1,
      "product_name": "Lemonade", "variant_name": "Citrus Blast",
      "user_name": "John Doe", "user_email": "johndoe@example.com",
      "status": "active", "status_formatted": "Active",
      "card_brand": "visa", "card_last_four": "4242", "payment_processor": "stripe",
      "pause": null, "cancelled": false, "trial_ends_at": null, "billing_anchor": 12,
      "first_subscription_item": {"id": 1, "subscription_id": 1, "price_id": 1, "quantity": 5,
        "created_at": "2021-08-11T13:47:28.000000Z", "updated_at": "2021-08-11T13:47:28.000000Z"},
      "urls": {
        "update_payment_method": "https://my-store.lemonsqueezy.com/subscription/1/payment-details?expires=1666869343&signature=9985e3bf",
        "customer_portal": "https://my-store.lemonsqueezy.com/billing?expires=1666869343&signature=82ae290c",
        "customer_portal_update_subscription": "https://my-store.lemonsqueezy.com/billing/1/update?expires=1666869343&signature=e4fabc7e"
      },
      "renews_at": "2022-11-12T00:00:00.000000Z", "ends_at": null,
      "created_at": "2021-08-11T13:47:27.000000Z", "updated_at": "2021-08-11T13:54:19.000000Z",
      "test_mode": false
    },
    "relationships": {"store": {"links": {"related": "https://api.lemonsqueezy.com/v1/subscriptions/1/store", "self": "https://api.lemonsqueezy.com/v1/subscriptions/1/relationships/store"}}},
    "links": {"self": "https://api.lemonsqueezy.com/v1/subscriptions/1"}
  }
}`

const documentedPayment = `{
  "meta": {"test_mode": true, "event_name": "subscription_payment_success", "custom_data": {"organization_id": "org-9"}},
  "data": {
    "type": "subscription-invoices",
    "id": "1",
    "attributes": {
      "store_id": 1, "subscription_id": 1, "customer_id": 1, "user_name": "John Doe", "user_email": "johndoe@example.com",
      "billing_reason": "initial", "card_brand": "visa", "card_last_four": "4242", "currency": "USD", "currency_rate": "1.00000000",
      "status": "paid", "status_formatted": "Paid", "refunded": false, "refunded_at": null,
      "subtotal": 999, "discount_total": 0, "tax": 200, "total": 1199,
      "subtotal_usd": 999, "discount_total_usd": 0, "tax_usd": 200, "total_usd": 1199,
      "subtotal_formatted": "$9.99", "discount_total_formatted": "$0.00", "tax_formatted": "$2.00", "total_formatted": "$11.99",
      "urls": {"invoice_url": "https://app.lemonsqueezy.com/my-orders/2ba92a4e/subscription-invoice/1?signature=8847fff0"},
      "created_at": "2023-01-17T12:26:23.000000Z", "updated_at": "2023-01-17T12:26:23.000000Z", "test_mode": true
    }
  }
}`

func TestParseDocumented(t *testing.T) {
	ev, err := billing.Parse([]byte(documentedCreated))
	if err != nil {
		t.Fatal(err)
	}
	renews := time.Date(2022, 11, 12, 0, 0, 0, 0, time.UTC)
	want := prikke.Subscription{
		ID: "1", StoreID: "1", CustomerID: "1", OrderID: "1", ProductID: "1", VariantID: "1",
		Status: prikke.SubscriptionActive, CustomerEmail: "johndoe@example.com", CustomerName: "John Doe",
		CardBrand: "visa", CardLastFour: "4242",
		CreatedAt: time.Date(2021, 8, 11, 13, 47, 27, 0, time.UTC), UpdatedAt: time.Date(2021, 8, 11, 13, 54, 19, 0, time.UTC),
		PortalURL: "https://my-store.lemonsqueezy.com/billing?expires=1666869343&signature=82ae290c",
	}
	got := *ev.Subscription
	if got.RenewsAt == nil || !got.RenewsAt.Equal(renews) || got.EndsAt != nil || got.TrialEndsAt != nil {
		t.Errorf("dates: renews %v ends %v trial %v", got.RenewsAt, got.EndsAt, got.TrialEndsAt)
	}
	got.RenewsAt = nil
	if got != want || ev.OrganizationID != "0190a7c2-5a3b-7d3e-9f00-000000000001" || ev.TestMode {
		t.Errorf("got %+v (org %q, test %v)\nwant %+v", got, ev.OrganizationID, ev.TestMode, want)
	}

	ev, err = billing.Parse([]byte(documentedPayment))
	if err != nil {
		t.Fatal(err)
	}
	wantInv := billing.Invoice{ID: "1", SubscriptionID: "1", Status: "paid", BillingReason: "initial", Total: "$11.99",
		UpdatedAt: time.Date(2023, 1, 17, 12, 26, 23, 0, time.UTC)}
	if ev.Subscription != nil || *ev.Invoice != wantInv || !ev.TestMode || ev.OrganizationID != "org-9" {
		t.Errorf("payment: %+v %+v", ev, ev.Invoice)
	}
}

// TestParseVariants: ids as strings or numbers, the custom data in its
// shapes, a paused subscription's mode.
func TestParseVariants(t *testing.T) {
	body := func(meta, attrs string) []byte {
		return []byte(`{"meta":{"event_name":"subscription_updated"` + meta + `},"data":{"type":"subscriptions","id":"77","attributes":{` +
			`"created_at":"2026-01-02T03:04:05.000000Z","updated_at":"2026-01-02T03:04:05.000000Z","status":"active"` + attrs + `}}}`)
	}
	cases := []struct {
		name       string
		meta       string
		attrs      string
		check      func(ev *billing.Event) bool
		wantString string
	}{
		{"string ids", "", `,"store_id":"11","variant_id":"101","customer_id":"5"`,
			func(ev *billing.Event) bool {
				return ev.Subscription.StoreID == "11" && ev.Subscription.VariantID == "101" && ev.Subscription.CustomerID == "5"
			}, ""},
		{"number ids", "", `,"store_id":11,"variant_id":101,"customer_id":5,"order_id":null`,
			func(ev *billing.Event) bool {
				return ev.Subscription.StoreID == "11" && ev.Subscription.VariantID == "101" && ev.Subscription.OrderID == ""
			}, ""},
		{"null dates and card", "", `,"store_id":1,"variant_id":1,"renews_at":null,"ends_at":null,"trial_ends_at":null,"card_brand":null,"card_last_four":null,"pause":null`,
			func(ev *billing.Event) bool {
				s := ev.Subscription
				return s.RenewsAt == nil && s.EndsAt == nil && s.TrialEndsAt == nil && s.CardBrand == "" && s.PauseMode == ""
			}, ""},
		{"paused free", "", `,"store_id":1,"variant_id":1,"status":"paused","pause":{"mode":"free","resumes_at":"2026-03-01T00:00:00.000000Z"}`,
			func(ev *billing.Event) bool {
				return ev.Subscription.Status == prikke.SubscriptionPaused && ev.Subscription.PauseMode == prikke.PauseModeFree
			}, ""},
		{"an offset time is kept as UTC", "", `,"store_id":1,"variant_id":1,"ends_at":"2026-01-02T05:04:05+02:00"`,
			func(ev *billing.Event) bool {
				return ev.Subscription.EndsAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) && ev.Subscription.EndsAt.Location() == time.UTC
			}, ""},
		{"an unknown status is kept", "", `,"store_id":1,"variant_id":1,"status":"frozen"`,
			func(ev *billing.Event) bool { return ev.Subscription.Status == "frozen" }, ""},
		{"no custom data", "", `,"store_id":1,"variant_id":1`, nil, ""},
		{"custom data null", `,"custom_data":null`, `,"store_id":1,"variant_id":1`, nil, ""},
		{"custom data an empty array", `,"custom_data":[]`, `,"store_id":1,"variant_id":1`, nil, ""},
		{"custom data without the key", `,"custom_data":{"other":"x"}`, `,"store_id":1,"variant_id":1`, nil, ""},
		{"organization id a number", `,"custom_data":{"organization_id":12}`, `,"store_id":1,"variant_id":1`, nil, ""},
		{"organization id as sent", `,"custom_data":{"organization_id":" not-an-id "}`, `,"store_id":1,"variant_id":1`, nil, " not-an-id "},
	}
	for _, tc := range cases {
		ev, err := billing.Parse(body(tc.meta, tc.attrs))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if ev.Subscription == nil || ev.Subscription.ID != "77" {
			t.Errorf("%s: subscription %+v", tc.name, ev.Subscription)
			continue
		}
		if tc.check != nil && !tc.check(ev) {
			t.Errorf("%s: parsed %+v", tc.name, ev.Subscription)
		}
		if ev.OrganizationID != tc.wantString {
			t.Errorf("%s: organization %q, want %q", tc.name, ev.OrganizationID, tc.wantString)
		}
	}
}

func TestParseIgnored(t *testing.T) {
	for _, body := range []string{
		`{"meta":{"event_name":"order_created","custom_data":{"organization_id":"o"}},"data":{"type":"orders","id":"1","attributes":{"total":1}}}`,
		`{"meta":{"event_name":"subscription_payment_refunded"},"data":{"type":"subscription-invoices","id":"1","attributes":{}}}`,
		`{"meta":{"event_name":"subscription_plan_changed"},"data":"whatever"}`,
		`{"meta":{"event_name":"license_key_created"}}`,
	} {
		ev, err := billing.Parse([]byte(body))
		if err != nil || ev.Subscription != nil || ev.Invoice != nil || ev.Name == "" || ev.Hash == "" {
			t.Errorf("%s: %+v, %v; want acknowledged, neither set", body, ev, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	okAttrs := `"store_id":1,"variant_id":1,"status":"active","created_at":"2026-01-02T03:04:05.000000Z","updated_at":"2026-01-02T03:04:05.000000Z"`
	cases := []struct{ name, body, want string }{
		{"empty", ``, "not JSON"},
		{"not JSON", `<xml/>`, "not JSON"},
		{"an array", `[]`, "not a JSON object"},
		{"truncated", `{"meta":{"event_name":"subscription_created"`, "not JSON"},
		{"no meta", `{"data":{}}`, "meta is missing"},
		{"no event name", `{"meta":{"test_mode":true},"data":{}}`, "meta.event_name is missing"},
		{"event name a number", `{"meta":{"event_name":5}}`, "meta.event_name: number is not a string"},
		{"data a string", `{"meta":{"event_name":"subscription_created"},"data":"x"}`, "data is not a JSON:API resource object"},
		{"no data", `{"meta":{"event_name":"subscription_created"}}`, "data is missing"},
		{"a subscription event carrying an invoice", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscription-invoices","id":"1","attributes":{` + okAttrs + `}}}`, `data.type is "subscription-invoices", want "subscriptions"`},
		{"a payment event carrying a subscription", `{"meta":{"event_name":"subscription_payment_failed"},"data":{"type":"subscriptions","id":"1","attributes":{` + okAttrs + `}}}`, `data.type is "subscriptions", want "subscription-invoices"`},
		{"no id", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","attributes":{` + okAttrs + `}}}`, "data.id is missing"},
		{"no attributes", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1"}}`, "data.attributes is missing"},
		{"no variant", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{"store_id":1,"status":"active","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}}}`, "variant_id is missing"},
		{"no status", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{"store_id":1,"variant_id":1,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}}}`, "status is missing"},
		{"no updated_at", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{"store_id":1,"variant_id":1,"status":"active","created_at":"2026-01-02T03:04:05Z"}}}`, "updated_at is missing"},
		{"a fractional id", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{` + okAttrs + `,"variant_id":1.5}}}`, "data.attributes.variant_id"},
		{"a date that is not RFC 3339", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{` + okAttrs + `,"ends_at":"2026-01-02 03:04:05"}}}`, "data.attributes.ends_at"},
		{"a status that is not a string", `{"meta":{"event_name":"subscription_updated"},"data":{"type":"subscriptions","id":"1","attributes":{` + okAttrs + `,"status":1}}}`, "data.attributes.status"},
		{"an invoice without a subscription", `{"meta":{"event_name":"subscription_payment_success"},"data":{"type":"subscription-invoices","id":"1","attributes":{"status":"paid","updated_at":"2026-01-02T03:04:05Z"}}}`, "subscription_id is missing"},
		{"an invoice without updated_at", `{"meta":{"event_name":"subscription_payment_success"},"data":{"type":"subscription-invoices","id":"1","attributes":{"subscription_id":1,"status":"paid"}}}`, "updated_at is missing"},
	}
	for _, tc := range cases {
		ev, err := billing.Parse([]byte(tc.body))
		if err == nil {
			t.Errorf("%s: parsed %+v", tc.name, ev)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || prikke.ErrorCode(err) != prikke.EINVALID {
			t.Errorf("%s: err = %v, want invalid saying %q", tc.name, err, tc.want)
		}
	}
}
