// Package billingtest is a loopback fake of Lemon Squeezy for tests: an
// API that records the checkouts Prikke creates and serves the
// subscriptions a test puts, a checkout page a browser can land on, and
// webhook payloads written from Lemon Squeezy's documented shapes, signed
// as Lemon Squeezy signs them.
package billingtest

// STUB: the billing engineer implements this file; the signatures are the
// contract other tests build on.

import (
	"net/http/httptest"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
)

// Test credentials the fake expects and Config returns.
const (
	APIKey       = "test-api-key"
	StoreID      = "11"
	ProVariantID = "101"
	Secret       = "whsec-test-123" // a signing secret (6-40 characters)
)

// Checkout is one checkout Prikke created, as the fake received it.
type Checkout struct {
	ID             string
	StoreID        string
	VariantID      string
	Email          string // checkout_data.email
	Name           string // checkout_data.name
	OrganizationID string // checkout_data.custom.organization_id
	RedirectURL    string // product_options.redirect_url
	URL            string // the checkout page the fake answered with
}

// Server is the fake. Its checkout pages (GET /checkout/{id}) show the
// organization id the checkout carries, in an element with id
// "custom-organization-id".
type Server struct {
	*httptest.Server
}

// New starts the fake on loopback; it stops when the test ends.
func New(t testing.TB) *Server { panic("billingtest: STUB") }

// Config returns a billing.Config that points at the fake.
func (s *Server) Config() billing.Config { panic("billingtest: STUB") }

// Checkouts returns the checkouts created so far.
func (s *Server) Checkouts() []Checkout { panic("billingtest: STUB") }

// PutSubscription makes GET /v1/subscriptions/{sub.ID} answer sub (its
// organization in custom data when set), with a fresh customer-portal URL
// on the fake each time.
func (s *Server) PutSubscription(sub *prikke.Subscription) { panic("billingtest: STUB") }

// PortalHits counts the customer-portal URLs the fake handed out.
func (s *Server) PortalHits() int { panic("billingtest: STUB") }

// SubscriptionEvent returns a webhook body for a subscription event (name
// like "subscription_updated") about sub, with custom data
// organization_id orgID (omitted when ""), in Lemon Squeezy's shape.
func SubscriptionEvent(name string, sub *prikke.Subscription, orgID string, testMode bool) []byte {
	panic("billingtest: STUB")
}

// InvoiceEvent returns a webhook body for a payment event
// (subscription_payment_success, _failed, _recovered) about inv.
func InvoiceEvent(name string, inv billing.Invoice, orgID string, testMode bool) []byte {
	panic("billingtest: STUB")
}

// Sign returns the X-Signature Lemon Squeezy sends: hex HMAC-SHA256 of
// body with secret.
func Sign(secret string, body []byte) string { panic("billingtest: STUB") }
