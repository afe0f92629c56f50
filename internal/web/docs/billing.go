package docs

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
)

// billingDocsView is the data of /docs/billing: the address the webhook
// goes to, the events to tick, the status → plan table and the Free
// plan's limits, each read from the code so the page cannot drift.
type billingDocsView struct {
	WebhookURL string
	Events     []string
	Tiers      []tierRow
	Free       freeLimits
	Env        string // the variables, as a block to copy
}

// freeLimits are the Free plan's limits in words, which a downgrade
// enforces.
type freeLimits struct {
	Jobs        int
	MinInterval string // "1 hour"
	History     string // "7 days"
}

// tierRow is one line of the status → plan table.
type tierRow struct {
	Status string // as Lemon Squeezy names it
	When   string // the condition, in words ("" for always)
	Tier   string // "Pro" or "Free"
}

const billingEnv = `PRIKKE_BILLING=lemonsqueezy
PRIKKE_LEMONSQUEEZY_API_KEY=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9…
PRIKKE_LEMONSQUEEZY_STORE_ID=12345
PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID=67890
PRIKKE_LEMONSQUEEZY_SIGNING_SECRET=a-secret-of-6-to-40-chars`

// tierRows computes the status → plan table with the code that decides
// it (prikke.Subscription.Tier), so the table is the code's own.
func tierRows() []tierRow {
	const variant = "pro"
	now := time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(24*time.Hour), now.Add(-24*time.Hour)
	tier := func(s prikke.Subscription) string {
		if s.VariantID == "" {
			s.VariantID = variant
		}
		if s.Tier(now, variant) == prikke.TierPro {
			return "Pro"
		}
		return "Free"
	}
	return []tierRow{
		{"on_trial", "", tier(prikke.Subscription{Status: prikke.SubscriptionOnTrial})},
		{"active", "", tier(prikke.Subscription{Status: prikke.SubscriptionActive})},
		{"past_due", "a renewal payment failed; Lemon Squeezy retries it", tier(prikke.Subscription{Status: prikke.SubscriptionPastDue})},
		{"cancelled", "before ends_at (the end of the paid period)", tier(prikke.Subscription{Status: prikke.SubscriptionCancelled, EndsAt: &later})},
		{"cancelled", "from ends_at on, with or without a webhook", tier(prikke.Subscription{Status: prikke.SubscriptionCancelled, EndsAt: &earlier})},
		{"paused", "pause mode free (the service continues free of charge)", tier(prikke.Subscription{Status: prikke.SubscriptionPaused, PauseMode: prikke.PauseModeFree})},
		{"paused", "pause mode void (the service stops)", tier(prikke.Subscription{Status: prikke.SubscriptionPaused, PauseMode: prikke.PauseModeVoid})},
		{"unpaid", "every retry of a payment failed", tier(prikke.Subscription{Status: prikke.SubscriptionUnpaid})},
		{"expired", "", tier(prikke.Subscription{Status: prikke.SubscriptionExpired})},
		{"any", "a variant other than PRIKKE_LEMONSQUEEZY_PRO_VARIANT_ID (Prikke logs a warning)", tier(prikke.Subscription{Status: prikke.SubscriptionActive, VariantID: "another"})},
	}
}

// ShowBilling serves /docs/billing, for operators: selling Pro through
// Lemon Squeezy, or running with billing off.
func (h *Docs) ShowBilling(w http.ResponseWriter, r *http.Request) {
	h.deps.Render(w, r, http.StatusOK, "docs_billing", billingDocsView{
		WebhookURL: h.deps.BaseURL + "/webhooks/lemonsqueezy",
		Events:     billing.Events,
		Tiers:      tierRows(),
		Free:       free(),
		Env:        billingEnv,
	})
}

func free() freeLimits {
	l := prikke.TierFree.Limits()
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	interval := plural(int(l.MinInterval/time.Minute), "minute")
	if l.MinInterval%time.Hour == 0 {
		interval = plural(int(l.MinInterval/time.Hour), "hour")
	}
	return freeLimits{Jobs: l.MaxJobs, MinInterval: interval, History: plural(int(l.History/(24*time.Hour)), "day")}
}
