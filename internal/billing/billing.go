// Package billing speaks to Lemon Squeezy, Prikke's merchant of record:
// it creates checkouts and reads subscriptions through its API (JSON:API
// over HTTPS, https://docs.lemonsqueezy.com/api), and verifies and parses
// its signed webhooks. It knows nothing of organizations or tiers beyond
// the prikke types; internal/service decides what an event means.
//
// The client lives in client.go, the webhook side in webhook.go; both read
// a subscription resource through the same mapping (resource.go).
package billing

import (
	"net/http"
	"time"

	"github.com/prikke/prikke"
)

// DefaultAPIURL is Lemon Squeezy's API.
const DefaultAPIURL = "https://api.lemonsqueezy.com"

// MaxWebhookBody is the largest webhook body Prikke reads.
const MaxWebhookBody = 1 << 20

// DefaultTimeout bounds each API call when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// Config is what the client needs.
type Config struct {
	APIURL       string // DefaultAPIURL, or a loopback fake in tests
	APIKey       string
	StoreID      string
	ProVariantID string
	HTTPClient   *http.Client // nil: a client with a 10 s timeout that follows no redirects
}

// Event is a parsed webhook delivery.
type Event struct {
	Name     string // meta.event_name
	TestMode bool   // meta.test_mode
	// OrganizationID is meta.custom_data.organization_id as sent ("" when
	// absent); the service decides whether it names an organization.
	OrganizationID string
	// Subscription is set for subscription_* events other than the
	// payment ones (data.type "subscriptions").
	Subscription *prikke.Subscription
	// Invoice is set for subscription_payment_* events (data.type
	// "subscription-invoices").
	Invoice *Invoice
	Hash    string // hex SHA-256 of the body
}

// Invoice is a subscription invoice, as payment events carry it.
type Invoice struct {
	ID             string
	SubscriptionID string
	Status         string // paid, pending, void, refunded …
	BillingReason  string // initial, renewal, updated
	Total          string // total_formatted, e.g. "€29.00"
	UpdatedAt      time.Time
}

// Events Prikke acts on; others are acknowledged and ignored.
var Events = []string{
	"subscription_created", "subscription_updated", "subscription_cancelled", "subscription_resumed",
	"subscription_expired", "subscription_paused", "subscription_unpaused",
	"subscription_payment_success", "subscription_payment_failed", "subscription_payment_recovered",
}

// PaymentEvents are the events of Events that carry an invoice rather
// than the subscription.
var PaymentEvents = []string{
	"subscription_payment_success", "subscription_payment_failed", "subscription_payment_recovered",
}
