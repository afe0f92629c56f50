// Package billing speaks to Lemon Squeezy, Prikke's merchant of record:
// it creates checkouts and reads subscriptions through its API (JSON:API
// over HTTPS, https://docs.lemonsqueezy.com/api), and verifies and parses
// its signed webhooks. It knows nothing of organizations or tiers beyond
// the prikke types; internal/service decides what an event means.
package billing

// STUB: the billing engineer implements this file (and may split it into
// client.go and webhook.go); the signatures are the contract.

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prikke/prikke"
)

// DefaultAPIURL is Lemon Squeezy's API.
const DefaultAPIURL = "https://api.lemonsqueezy.com"

// MaxWebhookBody is the largest webhook body Prikke reads.
const MaxWebhookBody = 1 << 20

// Config is what the client needs.
type Config struct {
	APIURL       string // DefaultAPIURL, or a loopback fake in tests
	APIKey       string
	StoreID      string
	ProVariantID string
	HTTPClient   *http.Client // nil: a client with a 10 s timeout
}

// Client calls Lemon Squeezy's API. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client.
func New(cfg Config) *Client { return &Client{cfg: cfg} }

// CheckoutInput is what a checkout carries.
type CheckoutInput struct {
	OrganizationID prikke.ID // custom data organization_id
	Email          string    // the admin's email, prefilled
	Name           string
	RedirectURL    string // where the buyer goes after paying
}

// Checkout creates a checkout for the Pro variant (POST /v1/checkouts)
// and returns its URL.
func (c *Client) Checkout(ctx context.Context, in CheckoutInput) (string, error) {
	return "", errors.New("billing: STUB")
}

// Subscription fetches a subscription (GET /v1/subscriptions/{id}), with
// a fresh PortalURL. ENOTFOUND when Lemon Squeezy does not know it.
func (c *Client) Subscription(ctx context.Context, id string) (*prikke.Subscription, error) {
	return nil, errors.New("billing: STUB")
}

// ErrSignature is Verify's refusal.
var ErrSignature = errors.New("billing: the X-Signature header does not match the body")

// Verify checks signature (X-Signature: hex HMAC-SHA256 of body with
// secret) in constant time. An empty secret or signature fails.
func Verify(secret string, body []byte, signature string) error {
	return ErrSignature
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

// Parse parses a (verified) webhook body. A body that is not a webhook
// delivery is an error naming what is wrong; an event Prikke does not act
// on parses with neither Subscription nor Invoice set.
func Parse(body []byte) (*Event, error) {
	return nil, errors.New("billing: STUB")
}
