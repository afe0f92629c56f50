package service

// STUB: the webhook engineer implements this file; the signatures are the
// contract the API and the dashboard build on.

import (
	"context"
	"errors"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
)

// Billing configures payments; Provider nil means billing is off.
type Billing struct {
	Provider      BillingProvider
	SigningSecret string // verifies webhooks
	ProVariantID  string // the variant that grants Pro
	TestMode      bool   // accept test-mode events
}

// BillingProvider is Lemon Squeezy's API (billing.Client).
type BillingProvider interface {
	Checkout(ctx context.Context, in billing.CheckoutInput) (string, error)
	Subscription(ctx context.Context, id string) (*prikke.Subscription, error)
}

// BillingEnabled reports whether this Prikke sells plans.
func (s *Service) BillingEnabled() bool { return s.cfg.Billing.Provider != nil }

// WebhookResult is what a webhook delivery did.
type WebhookResult struct {
	Event   string // event name
	Outcome string // store.BillingDuplicate or a prikke.Billing* outcome
}

// BillingWebhook verifies (signature, test mode), parses, records and
// applies one Lemon Squeezy webhook delivery. Refusals change nothing:
// EUNAUTHORIZED when billing is off, the signature is missing or wrong;
// EINVALID for a body that is not a delivery or a test-mode event when
// test mode is off. A replay answers Outcome duplicate.
func (s *Service) BillingWebhook(ctx context.Context, body []byte, signature string) (*WebhookResult, error) {
	return nil, errors.New("service: BillingWebhook STUB")
}

// BillingState is what Settings → Billing shows.
type BillingState struct {
	Enabled bool
	Tier    prikke.Tier // computed at now
	// Subscription is the organization's subscription that grants its
	// tier, else its most recent one; nil when it has none.
	Subscription *prikke.Subscription
	Usage        *UsageReport
	Events       []*prikke.BillingEvent // recent deliveries, newest first
	// Unclaimed lists subscriptions bought with the actor's (confirmed)
	// email that no organization has claimed; an owner may attach them.
	Unclaimed []*prikke.Subscription
	CanManage bool // the actor may upgrade, manage billing and claim
}

// BillingInfo returns an organization's billing state (read permission).
func (s *Service) BillingInfo(ctx context.Context, a *Actor, orgID prikke.ID) (*BillingState, error) {
	return nil, errors.New("service: BillingInfo STUB")
}

// Checkout creates a Lemon Squeezy checkout for the organization (carrying
// its id as custom data organization_id and the actor's email) and returns
// the URL to send the browser to. EINVALID when billing is off or the
// organization is Pro already.
func (s *Service) Checkout(ctx context.Context, a *Actor, orgID prikke.ID) (string, error) {
	return "", errors.New("service: Checkout STUB")
}

// BillingPortal fetches a fresh customer-portal URL of the organization's
// subscription (valid 24 hours, never cached). ENOTFOUND when it has none.
func (s *Service) BillingPortal(ctx context.Context, a *Actor, orgID prikke.ID) (string, error) {
	return "", errors.New("service: BillingPortal STUB")
}

// ClaimSubscription attaches an unclaimed subscription bought with the
// actor's confirmed email to the organization, and applies its tier.
func (s *Service) ClaimSubscription(ctx context.Context, a *Actor, orgID prikke.ID, subscriptionID string) error {
	return errors.New("service: ClaimSubscription STUB")
}
