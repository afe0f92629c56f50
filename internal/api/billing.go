package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Billing is an organization's plan and subscription, as Settings →
// Billing shows them.
type Billing struct {
	Enabled      bool                   `json:"enabled" doc:"Whether this Prikke sells plans (through Lemon Squeezy). When false its operator sets the plans, and checkout, portal and claim answer 409." example:"true"`
	Tier         string                 `json:"tier" enum:"free,pro" doc:"The plan the organization has now: its base plan, raised to Pro by a subscription that grants Pro at this instant." example:"pro"`
	BaseTier     string                 `json:"base_tier" enum:"free,pro" doc:"The plan the organization has without a subscription: what new organizations get on this Prikke, or what its operator set." example:"free"`
	Subscription *BillingSubscription   `json:"subscription,omitempty" doc:"The subscription that grants the plan, else the most recent one; absent when the organization has none."`
	Usage        *Usage                 `json:"usage" doc:"Use this month against the plan's limits."`
	Events       []*BillingEventOut     `json:"events" doc:"The latest webhook deliveries about the organization's subscriptions, newest first (at most 20)."`
	Unclaimed    []*BillingSubscription `json:"unclaimed" doc:"Subscriptions bought with your confirmed email that no organization has claimed (the checkout did not name one); claim one with POST …/billing/claim. Empty unless you may manage billing."`
	CanManage    bool                   `json:"can_manage" doc:"Whether you may upgrade, manage billing and claim subscriptions here: admins and owners, signed in (never an API key), on a Prikke with billing." example:"true"`
}

// BillingSubscription is a Lemon Squeezy subscription as Prikke stores it.
type BillingSubscription struct {
	ID            string     `json:"id" doc:"Lemon Squeezy's subscription id." example:"1234567"`
	Status        string     `json:"status" enum:"on_trial,active,paused,past_due,unpaid,cancelled,expired" doc:"Lemon Squeezy's status. Pro while on_trial, active, past_due, cancelled before ends_at, or paused with pause_mode free; Free otherwise." example:"active"`
	PauseMode     string     `json:"pause_mode,omitempty" enum:"void,free," doc:"While paused: void (no service) or free (service continues); absent otherwise."`
	Pro           bool       `json:"pro" doc:"Whether the subscription grants Pro now (false also for a variant that is not this Prikke's Pro variant)." example:"true"`
	RenewsAt      *time.Time `json:"renews_at,omitempty" doc:"When it renews (and is charged) next; absent when it will not."`
	EndsAt        *time.Time `json:"ends_at,omitempty" doc:"When a cancelled or expired subscription ends (the plan falls back at that instant); absent while it runs."`
	TrialEndsAt   *time.Time `json:"trial_ends_at,omitempty" doc:"When the trial ends; absent without a trial."`
	CustomerEmail string     `json:"customer_email" doc:"The email it was bought with." example:"ada@example.com"`
	CardBrand     string     `json:"card_brand,omitempty" doc:"The payment card's brand, when paid by card." example:"visa"`
	CardLastFour  string     `json:"card_last_four,omitempty" doc:"The payment card's last four digits, when paid by card." example:"4242"`
	TestMode      bool       `json:"test_mode" doc:"Whether it was made in Lemon Squeezy's test mode."`
	UpdatedAt     time.Time  `json:"updated_at" doc:"When Lemon Squeezy last changed it."`
}

// BillingEventOut is one webhook delivery Prikke recorded.
type BillingEventOut struct {
	Event          string    `json:"event" doc:"The event: subscription_created, subscription_updated, subscription_payment_success …" example:"subscription_created"`
	Outcome        string    `json:"outcome" enum:"applied,stale,unclaimed,payment,ignored" doc:"What it did: applied (the subscription was written), stale (older than what Prikke had: nothing changed), unclaimed (kept for an organization to claim), payment (an invoice, recorded) or ignored." example:"applied"`
	SubscriptionID string    `json:"subscription_id,omitempty" doc:"The subscription it is about." example:"1234567"`
	InvoiceStatus  string    `json:"invoice_status,omitempty" doc:"For payment events: the invoice's status (paid, pending, void, refunded …)."`
	InvoiceTotal   string    `json:"invoice_total,omitempty" doc:"For payment events: the invoice's total, formatted." example:"€29.00"`
	TestMode       bool      `json:"test_mode" doc:"Whether it was a test-mode event."`
	ReceivedAt     time.Time `json:"received_at" doc:"When Prikke received it."`
}

func (a *API) subscriptionOut(s *prikke.Subscription) *BillingSubscription {
	return &BillingSubscription{ID: s.ID, Status: string(s.Status), PauseMode: s.PauseMode, Pro: a.svc.SubscriptionTier(s) == prikke.TierPro,
		RenewsAt: s.RenewsAt, EndsAt: s.EndsAt, TrialEndsAt: s.TrialEndsAt, CustomerEmail: s.CustomerEmail,
		CardBrand: s.CardBrand, CardLastFour: s.CardLastFour, TestMode: s.TestMode, UpdatedAt: s.UpdatedAt}
}

func (a *API) billingOut(st *service.BillingState) *Billing {
	out := &Billing{Enabled: st.Enabled, Tier: string(st.Tier), BaseTier: string(st.BaseTier), Usage: usageOut(st.Usage),
		Events: []*BillingEventOut{}, Unclaimed: []*BillingSubscription{}, CanManage: st.CanManage}
	if st.Subscription != nil {
		out.Subscription = a.subscriptionOut(st.Subscription)
	}
	for _, e := range st.Events {
		out.Events = append(out.Events, &BillingEventOut{Event: e.Name, Outcome: e.Outcome, SubscriptionID: e.SubscriptionID,
			InvoiceStatus: e.InvoiceStatus, InvoiceTotal: e.InvoiceTotal, TestMode: e.TestMode, ReceivedAt: e.ReceivedAt})
	}
	for _, s := range st.Unclaimed {
		out.Unclaimed = append(out.Unclaimed, a.subscriptionOut(s))
	}
	return out
}

func (a *API) billing(ctx context.Context, id prikke.ID) (*struct{ Body *Billing }, error) {
	st, err := a.svc.BillingInfo(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Billing }{a.billingOut(st)}, nil
}

func (a *API) handleBillingGet(ctx context.Context, in *orgIDInput) (*struct{ Body *Billing }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	return a.billing(ctx, id)
}

// BillingLink is where to send the browser.
type BillingLink struct {
	URL string `json:"url" doc:"Send the browser here." example:"https://prikke.lemonsqueezy.com/checkout/custom/0b9f3a52-7c1e-4d9a-9a57-2f4e8c1d6b0a?signature=…"`
}

func (a *API) handleCheckout(ctx context.Context, in *orgIDInput) (*struct{ Body *BillingLink }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	u, err := a.svc.Checkout(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *BillingLink }{&BillingLink{URL: u}}, nil
}

func (a *API) handlePortal(ctx context.Context, in *orgIDInput) (*struct{ Body *BillingLink }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	u, err := a.svc.BillingPortal(ctx, actorOf(ctx), id)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *BillingLink }{&BillingLink{URL: u}}, nil
}

type claimRequest struct {
	SubscriptionID string `json:"subscription_id" maxLength:"100" doc:"The unclaimed subscription's id, as billing's unclaimed list shows it." example:"1234567"`
}

func (a *API) handleClaim(ctx context.Context, in *orgUpdateInput) (*struct{ Body *Billing }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	var req claimRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if req.SubscriptionID == "" {
		return nil, prikke.InvalidField("subscription_id", "is required: the id of a subscription in billing's unclaimed list")
	}
	if err := a.svc.ClaimSubscription(ctx, actorOf(ctx), id, req.SubscriptionID); err != nil {
		return nil, err
	}
	return a.billing(ctx, id)
}

// WebhookAck is the answer to an accepted webhook delivery.
type WebhookAck struct {
	Event   string `json:"event" doc:"The delivery's event name." example:"subscription_created"`
	Outcome string `json:"outcome" enum:"applied,stale,unclaimed,payment,ignored,duplicate" doc:"What it did: applied, stale (older than what Prikke has), unclaimed (no known organization in its custom data: kept to be claimed), payment (an invoice, recorded), ignored (an event Prikke does not act on) or duplicate (delivered before: nothing changed)." example:"applied"`
}

// LemonSqueezyWebhook documents the body of a webhook delivery, which
// Prikke reads raw (its signature covers the exact bytes).
type LemonSqueezyWebhook struct {
	_    struct{}       `additionalProperties:"true"`
	Meta WebhookMeta    `json:"meta" doc:"The event and the custom data of the checkout."`
	Data map[string]any `json:"data" doc:"The subscription (type subscriptions) or, for payment events, the invoice (type subscription-invoices), as Lemon Squeezy's API returns it." example:"{\"type\":\"subscriptions\",\"id\":\"1234567\",\"attributes\":{\"status\":\"active\",\"variant_id\":101}}"`
}

// WebhookMeta is a delivery's meta object.
type WebhookMeta struct {
	_          struct{}          `additionalProperties:"true"`
	EventName  string            `json:"event_name" doc:"subscription_created, _updated, _cancelled, _resumed, _expired, _paused, _unpaused, _payment_success, _payment_failed or _payment_recovered; others are acknowledged and ignored." example:"subscription_created"`
	TestMode   bool              `json:"test_mode" doc:"A test-mode event, refused unless PRIKKE_LEMONSQUEEZY_TEST_MODE is set."`
	CustomData map[string]string `json:"custom_data,omitempty" doc:"The checkout's custom data: organization_id names the organization that bought it." example:"{\"organization_id\":\"0b9f3a52-7c1e-4d9a-9a57-2f4e8c1d6b0a\"}"`
}

type webhookInput struct {
	Signature string `header:"X-Signature" doc:"The hex HMAC-SHA256 of the raw body with the webhook's signing secret (PRIKKE_LEMONSQUEEZY_SIGNING_SECRET)."`
	bodyInput
}

// handleWebhook takes a Lemon Squeezy delivery. It needs no credentials
// but its signature; its refusals say what is wrong: 401 for the
// signature (or billing off), 400 for a body that is not a delivery or a
// test-mode event on a live Prikke. Lemon Squeezy retries anything but
// 2xx, so a fault on our side (500) is delivered again.
func (a *API) handleWebhook(ctx context.Context, in *webhookInput) (*struct{ Body *WebhookAck }, error) {
	res, err := a.svc.BillingWebhook(ctx, in.RawBody, in.Signature)
	switch prikke.ErrorCode(err) {
	case "":
		return &struct{ Body *WebhookAck }{&WebhookAck{Event: res.Event, Outcome: res.Outcome}}, nil
	case prikke.EUNAUTHORIZED:
		return nil, huma.Error401Unauthorized(prikke.ErrorMessage(err))
	case prikke.EINVALID:
		return nil, huma.Error400BadRequest(prikke.ErrorMessage(err))
	}
	return nil, err
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opBilling = operation{ID: "billing", Tag: "Billing",
		Summary:     "Get an organization's plan and subscription",
		Description: "The plan the organization has now (computed from its subscriptions at this instant, so a cancelled subscription ends on time), its subscription with renewal or end date, usage against the plan's limits, and the latest webhook deliveries. Any member may read it, and a key for the whole organization (not one limited to a project)."}

	opCheckout = operation{ID: "billing-checkout", Tag: "Billing",
		Summary:     "Start a checkout for Pro (admins)",
		Description: "Creates a Lemon Squeezy checkout for the Pro plan carrying the organization's id, prefilled with your email; send the browser to url. After paying, the buyer returns to the organization's billing page, and the plan changes when Lemon Squeezy's webhook arrives. Admins and owners, signed in (not with an API key). 409 when this Prikke has no billing or the organization is Pro already."}

	opPortal = operation{ID: "billing-portal", Tag: "Billing",
		Summary:     "Get the customer portal's URL (admins)",
		Description: "A fresh link to Lemon Squeezy's customer portal for the organization's subscription (change the card, cancel, resume, download invoices). It is signed and valid for 24 hours: fetch a new one each time. Admins and owners, signed in. 404 when the organization has no subscription; 409 when this Prikke has no billing."}

	opClaim = operation{ID: "billing-claim", Tag: "Billing", Body: claimRequest{},
		Summary:     "Claim a subscription bought with your email (admins)",
		Description: "Attaches a subscription no organization has claimed (its checkout named none, or one that does not exist) to this organization, when it was bought with your confirmed email; the plan follows at once. Answers the organization's billing. Admins and owners, signed in."}

	opWebhook = operation{ID: "billing-webhook", Tag: "Billing", Public: true, Body: LemonSqueezyWebhook{},
		Summary: "Receive a Lemon Squeezy webhook",
		Description: "Where Lemon Squeezy sends subscription events (set it up in Lemon Squeezy under Settings → Webhooks; see /docs/billing). Not an API call: it needs no key, only the X-Signature that Lemon Squeezy computes over the raw body (at most 1 MiB) with the signing secret. " +
			"401 when this Prikke has no billing or the signature is missing or wrong; 400 for a body that is not a delivery, or a test-mode event on a live Prikke; nothing changes then. " +
			"Each delivery is recorded by a hash of its body: a replay answers 200 with outcome duplicate and changes nothing, and a subscription event older than what Prikke has changes nothing.",
		Responses: func(a *API) map[string]*huma.Response {
			problem := map[string]*huma.MediaType{"application/problem+json": {Schema: a.schema(huma.ErrorModel{})}}
			return map[string]*huma.Response{
				"401": {Description: "Billing is off here, or X-Signature is missing or does not match the body.", Content: problem},
				"400": {Description: "The body is not a Lemon Squeezy delivery, or a test-mode event reached a live Prikke.", Content: problem},
				"413": {Description: "The body is over 1 MiB.", Content: problem},
			}
		}}
)
