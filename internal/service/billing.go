package service

import (
	"cmp"
	"context"
	"fmt"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/store"
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

// SubscriptionTier is the tier sub grants now, by this Prikke's Pro
// variant.
func (s *Service) SubscriptionTier(sub *prikke.Subscription) prikke.Tier {
	return sub.Tier(s.now(), s.cfg.Billing.ProVariantID)
}

// billingOff is the refusal of a billing action on a Prikke that sells no
// plans.
func billingOff() error {
	return prikke.Errorf(prikke.ECONFLICT, "This Prikke has no billing: its operator sets the plans (prikke org set-tier), and there is nothing to buy or manage.")
}

// WebhookResult is what a webhook delivery did.
type WebhookResult struct {
	Event   string // event name
	Outcome string // store.BillingDuplicate or a prikke.Billing* outcome
}

// BillingWebhook verifies (signature, test mode), parses, records and
// applies one Lemon Squeezy webhook delivery. Refusals change nothing:
// EUNAUTHORIZED when billing is off, the signature is missing or wrong;
// EINVALID for a body that is not a delivery or a test-mode event when
// test mode is off. A replay answers Outcome duplicate and writes nothing
// but the tier its subscription's organization should have (SyncTier).
//
// A subscription event is written when it is newer than the stored copy
// (out-of-order deliveries are safe) and, when it belongs to an
// organization, the organization's tier follows at once (SyncTier, which
// pauses or resumes and audits the change). A payment event is recorded
// with its invoice and never touches the subscription. Any other error is
// returned as it is: the delivery's transaction rolled back, so Lemon
// Squeezy's retry is applied afresh. Should the tier change itself fail
// after the delivery was recorded, the retry is a duplicate that still
// brings its subscription's organization to the computed tier.
func (s *Service) BillingWebhook(ctx context.Context, body []byte, signature string) (*WebhookResult, error) {
	cfg := s.cfg.Billing
	switch {
	case cfg.Provider == nil || cfg.SigningSecret == "":
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "Billing is not configured on this Prikke: it accepts no Lemon Squeezy webhooks.")
	case signature == "":
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "The X-Signature header is missing: Lemon Squeezy signs every webhook with the signing secret of its webhook settings.")
	}
	if err := billing.Verify(cfg.SigningSecret, body, signature); err != nil {
		return nil, prikke.Errorf(prikke.EUNAUTHORIZED, "The X-Signature header does not match the body: the webhook's signing secret in Lemon Squeezy must equal PRIKKE_LEMONSQUEEZY_SIGNING_SECRET, and the body must arrive unchanged.")
	}
	ev, err := billing.Parse(body)
	if err != nil {
		if isCode(err, prikke.EINVALID) {
			return nil, err // its message names what is wrong
		}
		return nil, prikke.Errorf(prikke.EINVALID, "Not a Lemon Squeezy webhook delivery: %v.", err)
	}
	if ev.TestMode && !cfg.TestMode {
		return nil, prikke.Errorf(prikke.EINVALID, "A test-mode event was sent to a live Prikke; send live events here, or set PRIKKE_LEMONSQUEEZY_TEST_MODE=true on a staging Prikke.")
	}

	now := s.now()
	rec := &prikke.BillingEvent{Hash: ev.Hash, Name: ev.Name, TestMode: ev.TestMode, ReceivedAt: now}
	var sub *prikke.Subscription
	var before *prikke.ID // the organization of the stored copy, if any
	switch {
	case ev.Subscription != nil:
		sub = ev.Subscription
		if sub.OrganizationID, err = s.customOrganization(ctx, ev.OrganizationID); err != nil {
			return nil, err
		}
		sub.SyncedAt = now
		if before, err = s.subscriptionOrganization(ctx, sub.ID); err != nil {
			return nil, err
		}
		rec.SubscriptionID, rec.OrganizationID = sub.ID, sub.OrganizationID
		if rec.OrganizationID == nil {
			rec.OrganizationID = before // the store keeps a claim the event does not name
		}
	case ev.Invoice != nil:
		rec.Outcome = prikke.BillingPayment
		rec.SubscriptionID, rec.InvoiceStatus, rec.InvoiceTotal = ev.Invoice.SubscriptionID, ev.Invoice.Status, ev.Invoice.Total
		if rec.OrganizationID, err = s.subscriptionOrganization(ctx, ev.Invoice.SubscriptionID); err != nil {
			return nil, err
		}
		if rec.OrganizationID == nil { // an invoice ahead of its subscription
			if rec.OrganizationID, err = s.customOrganization(ctx, ev.OrganizationID); err != nil {
				return nil, err
			}
		}
	default:
		rec.Outcome = prikke.BillingIgnored
	}

	outcome, err := s.store.BillingRecord(ctx, rec, sub)
	if err != nil {
		return nil, fmt.Errorf("service: record billing event %s: %w", ev.Name, err)
	}
	res := &WebhookResult{Event: ev.Name, Outcome: outcome}
	if outcome == store.BillingDuplicate && sub != nil {
		// A retry of a delivery recorded before: the tier change may have
		// failed after the record (Lemon Squeezy retries the 500), so it
		// is applied again, which changes nothing when the tier is right.
		org, err := s.subscriptionOrganization(ctx, sub.ID)
		if err != nil {
			return nil, err
		}
		if org != nil {
			if _, err := s.SyncTier(ctx, *org, fmt.Sprintf("webhook %s retried: %s", ev.Name, sub.Status)); err != nil {
				return nil, fmt.Errorf("service: apply billing event %s to %s: %w", ev.Name, *org, err)
			}
		}
		return res, nil
	}
	if outcome == store.BillingDuplicate || sub == nil {
		return res, nil
	}
	if sub.VariantID != cfg.ProVariantID {
		s.logger.Warn("billing: a subscription to an unknown variant grants Free",
			"subscription_id", sub.ID, "variant_id", sub.VariantID, "pro_variant_id", cfg.ProVariantID, "event", ev.Name)
	}
	if outcome == prikke.BillingStale {
		return res, nil
	}
	// The organization the stored copy now has (the store nulls one that
	// does not exist and keeps a claim the event does not name).
	after, err := s.subscriptionOrganization(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	orgs := []*prikke.ID{after}
	if before != nil && (after == nil || *after != *before) {
		orgs = append(orgs, before) // it moved: the old organization loses it
	}
	cause := fmt.Sprintf("webhook %s: %s", ev.Name, sub.Status)
	for _, org := range orgs {
		if org == nil {
			continue
		}
		if _, err := s.SyncTier(ctx, *org, cause); err != nil {
			return nil, fmt.Errorf("service: apply billing event %s to %s: %w", ev.Name, *org, err)
		}
	}
	return res, nil
}

// customOrganization reads a delivery's custom organization_id: the id of
// an existing organization, else nil (the subscription is kept unclaimed).
func (s *Service) customOrganization(ctx context.Context, raw string) (*prikke.ID, error) {
	if raw == "" {
		return nil, nil
	}
	id, err := prikke.ParseID(raw)
	if err != nil {
		return nil, nil
	}
	if _, err := s.store.OrganizationGet(ctx, id); err != nil {
		if isCode(err, prikke.ENOTFOUND) {
			return nil, nil
		}
		return nil, err
	}
	return &id, nil
}

// subscriptionOrganization returns the organization of the stored
// subscription id, nil when it is unclaimed or not stored.
func (s *Service) subscriptionOrganization(ctx context.Context, id string) (*prikke.ID, error) {
	if id == "" {
		return nil, nil
	}
	sub, err := s.store.SubscriptionGet(ctx, id)
	switch {
	case isCode(err, prikke.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return sub.OrganizationID, nil
}

// BillingState is what Settings → Billing shows.
type BillingState struct {
	Enabled  bool
	Tier     prikke.Tier // computed at now
	BaseTier prikke.Tier // the tier without a subscription
	// Subscription is the organization's subscription that grants its
	// tier, else its most recent one; nil when it has none.
	Subscription *prikke.Subscription
	Usage        *UsageReport
	Events       []*prikke.BillingEvent // recent deliveries, newest first
	// Unclaimed lists subscriptions bought with the actor's (confirmed)
	// email that no organization has claimed; an admin may attach them.
	Unclaimed []*prikke.Subscription
	CanManage bool // the actor may upgrade, manage billing and claim
}

// billingEventsShown is how many recent deliveries BillingInfo lists.
const billingEventsShown = 20

// BillingInfo returns an organization's billing state (read permission;
// not to a key limited to one project: the subscription, its customer
// and its invoices are the whole organization's). Unclaimed and
// CanManage are filled for a signed-in admin on a Prikke with billing; an
// API key never manages billing.
func (s *Service) BillingInfo(ctx context.Context, a *Actor, orgID prikke.ID) (*BillingState, error) {
	if _, err := s.canOrg(ctx, a, orgID, prikke.PermRead, "see the organization's billing"); err != nil {
		return nil, err
	}
	o, role, err := s.Organization(ctx, a, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st := &BillingState{Enabled: s.BillingEnabled(), BaseTier: cmp.Or(o.BaseTier, prikke.TierFree)}
	if st.Tier, err = s.TierAt(ctx, o, now); err != nil {
		return nil, err
	}
	if st.Subscription, err = s.orgSubscription(ctx, orgID); err != nil {
		return nil, err
	}
	if st.Usage, err = s.Usage(ctx, a, orgID); err != nil {
		return nil, err
	}
	if st.Events, err = s.store.BillingEventList(ctx, orgID, billingEventsShown); err != nil {
		return nil, err
	}
	st.CanManage = st.Enabled && a.APIKey == nil && a.User != nil && role.Can(prikke.PermManageBilling)
	if st.CanManage && a.User.Confirmed() {
		if st.Unclaimed, err = s.store.SubscriptionList(ctx, store.SubscriptionFilter{Unclaimed: true, Email: a.User.Email}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// orgSubscription returns the organization's subscription that grants Pro
// now, else its most recent one, else nil.
func (s *Service) orgSubscription(ctx context.Context, orgID prikke.ID) (*prikke.Subscription, error) {
	subs, err := s.store.SubscriptionList(ctx, store.SubscriptionFilter{OrganizationID: &orgID})
	if err != nil || len(subs) == 0 {
		return nil, err
	}
	for _, sub := range subs {
		if s.SubscriptionTier(sub) == prikke.TierPro {
			return sub, nil
		}
	}
	return subs[0], nil
}

// Checkout creates a Lemon Squeezy checkout for the organization (carrying
// its id as custom data organization_id and the actor's email) and returns
// the URL to send the browser to; after paying, the buyer comes back to
// the organization's billing page. Admins, signed in: an API key never
// manages billing, so the email is always a person's. ECONFLICT when
// billing is off or the organization is Pro already.
func (s *Service) Checkout(ctx context.Context, a *Actor, orgID prikke.ID) (string, error) {
	if _, err := s.can(ctx, a, orgID, prikke.PermManageBilling, "upgrade the plan"); err != nil {
		return "", err
	}
	if !s.BillingEnabled() {
		return "", billingOff()
	}
	o, err := s.store.OrganizationGet(ctx, orgID)
	if err != nil {
		return "", err
	}
	tier, err := s.TierAt(ctx, o, s.now())
	if err != nil {
		return "", err
	}
	if tier == prikke.TierPro {
		return "", prikke.Errorf(prikke.ECONFLICT, "The organization is on Pro already; change or cancel its subscription with Manage billing.")
	}
	u, err := s.store.UserGet(ctx, a.User.ID) // the current email, not the session's copy
	if err != nil {
		return "", err
	}
	link, err := s.cfg.Billing.Provider.Checkout(ctx, billing.CheckoutInput{OrganizationID: orgID, Email: u.Email,
		RedirectURL: s.url("/app/orgs/" + url.PathEscape(orgID.String()) + "/billing?upgraded=1")})
	if err != nil {
		return "", fmt.Errorf("service: create checkout for %s: %w", orgID, err)
	}
	return link, nil
}

// BillingPortal fetches a fresh customer-portal URL of the organization's
// subscription (valid 24 hours, never stored). Admins, signed in.
// ENOTFOUND when it has none; ECONFLICT when billing is off.
func (s *Service) BillingPortal(ctx context.Context, a *Actor, orgID prikke.ID) (string, error) {
	if _, err := s.can(ctx, a, orgID, prikke.PermManageBilling, "manage billing"); err != nil {
		return "", err
	}
	if !s.BillingEnabled() {
		return "", billingOff()
	}
	sub, err := s.orgSubscription(ctx, orgID)
	if err != nil {
		return "", err
	}
	if sub == nil {
		return "", prikke.Errorf(prikke.ENOTFOUND, "The organization has no subscription to manage; upgrade to Pro first.")
	}
	fresh, err := s.cfg.Billing.Provider.Subscription(ctx, sub.ID)
	switch {
	case isCode(err, prikke.ENOTFOUND):
		return "", prikke.Errorf(prikke.ENOTFOUND, "Lemon Squeezy no longer knows the organization's subscription %s.", sub.ID)
	case err != nil:
		return "", fmt.Errorf("service: fetch subscription %s: %w", sub.ID, err)
	case fresh.PortalURL == "":
		return "", fmt.Errorf("service: subscription %s has no customer portal URL", sub.ID)
	}
	return fresh.PortalURL, nil
}

// ClaimSubscription attaches an unclaimed subscription bought with the
// actor's confirmed email (case-insensitive) to the organization, audits
// it, and applies its tier. Admins, signed in. A subscription the actor
// may not claim (claimed already, another email, unknown) is ENOTFOUND,
// so ids reveal nothing; claiming one the organization has is a no-op.
func (s *Service) ClaimSubscription(ctx context.Context, a *Actor, orgID prikke.ID, subscriptionID string) error {
	if _, err := s.can(ctx, a, orgID, prikke.PermManageBilling, "claim a subscription"); err != nil {
		return err
	}
	if !s.BillingEnabled() {
		return billingOff()
	}
	u, err := s.store.UserGet(ctx, a.User.ID)
	if err != nil {
		return err
	}
	if !u.Confirmed() {
		return prikke.Errorf(prikke.EFORBIDDEN, "Confirm your email address first: a subscription is claimed by the email it was bought with.")
	}
	sub, err := s.store.SubscriptionGet(ctx, subscriptionID)
	if isCode(err, prikke.ENOTFOUND) {
		return notFound()
	}
	if err != nil {
		return err
	}
	if sub.OrganizationID != nil && *sub.OrganizationID == orgID {
		return nil
	}
	// The address as accounts store it (NormalizeEmail), compared
	// exactly: strings.EqualFold's Unicode folding would let "ſam@…"
	// (long s) claim what sam@… bought.
	if sub.OrganizationID != nil || prikke.NormalizeEmail(sub.CustomerEmail) != prikke.NormalizeEmail(u.Email) {
		return notFound()
	}
	if err := s.store.SubscriptionClaim(ctx, sub.ID, orgID); err != nil {
		if isCode(err, prikke.ECONFLICT) {
			return prikke.Errorf(prikke.ECONFLICT, "The subscription was claimed by another organization a moment ago.")
		}
		return err
	}
	s.record(ctx, a, &orgID, prikke.AuditSubscriptionClaim, "subscription", sub.ID, sub.CustomerEmail)
	if _, err := s.SyncTier(ctx, orgID, fmt.Sprintf("subscription %s claimed: %s", sub.ID, sub.Status)); err != nil {
		return fmt.Errorf("service: apply claimed subscription %s: %w", sub.ID, err)
	}
	return nil
}
