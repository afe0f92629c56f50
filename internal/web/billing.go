package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// billingView is the data of an organization's billing page.
type billingView struct {
	State *service.BillingState
	// Status is the subscription's state in words ("Renews on 6 Jan
	// 2027"), "" without a subscription.
	Status string
	Card   string // "Visa ending in 4242", or ""
	// Upgraded is set after the checkout sent the buyer back
	// (?upgraded=1) while the webhook that makes the plan Pro has not
	// arrived yet.
	Upgraded bool
	// Usage is the usage page's data, so both pages draw the same bars
	// and plan table (the "usage_bars" and "plan_table" partials).
	Usage usageView
}

func (h *Web) showBilling(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "billing")
	if !ok {
		return
	}
	st, err := h.svc.BillingInfo(r.Context(), actorOf(r), c.Org.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := billingView{State: st, Usage: h.usageView(st.Usage, c)}
	if st.Subscription != nil {
		v.Status = subscriptionWords(st.Subscription, h.now(), zoneOf(r))
		if s := st.Subscription; s.CardLastFour != "" {
			v.Card = page.Capitalize(s.CardBrand) + " ending in " + s.CardLastFour
		}
	}
	v.Upgraded = r.URL.Query().Get("upgraded") == "1" && st.Tier != prikke.TierPro
	// The page shows whether a payment went through: never from a cache.
	w.Header().Set("Cache-Control", "no-store")
	h.allowBillingForms(w)
	h.renderApp(w, r, http.StatusOK, "billing", c, v)
}

// allowBillingForms widens this page's form-action so that Upgrade and
// Manage billing may end at Lemon Squeezy: each posts here and is
// redirected to a checkout or portal on Lemon Squeezy's host (a store's
// own domain, even), and browsers check every redirect of a form's
// navigation against the policy of the page the form is on. Any https
// origin, then; and http too on a Prikke served over plain http
// (development and tests, whose fake Lemon Squeezy listens on loopback).
// Every other page keeps form-action 'self'.
func (h *Web) allowBillingForms(w http.ResponseWriter) {
	csp := w.Header().Get("Content-Security-Policy")
	if csp == "" {
		return
	}
	to := "form-action 'self' https:"
	if !h.secure {
		to += " http:"
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", to, 1))
}

// checkout sends the browser to a new Lemon Squeezy checkout for the
// organization; Lemon Squeezy sends it back to the billing page.
func (h *Web) checkout(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "billing")
	if !ok || h.readForm(w, r) == nil {
		return
	}
	to, err := h.svc.Checkout(r.Context(), actorOf(r), c.Org.ID)
	if err != nil {
		h.billingFailed(w, r, c, err, "start the checkout")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// billingPortal sends the browser to the subscription's customer portal,
// through a URL fetched now: Lemon Squeezy signs it for 24 hours, so it
// is never kept.
func (h *Web) billingPortal(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "billing")
	if !ok || h.readForm(w, r) == nil {
		return
	}
	to, err := h.svc.BillingPortal(r.Context(), actorOf(r), c.Org.ID)
	if err != nil {
		h.billingFailed(w, r, c, err, "open the customer portal")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// claimSubscription attaches a subscription bought with the user's email
// that no organization has claimed to this one.
func (h *Web) claimSubscription(w http.ResponseWriter, r *http.Request) {
	c, ok := h.loadOrg(w, r, "billing")
	if !ok {
		return
	}
	form := h.readForm(w, r)
	if form == nil {
		return
	}
	id := form.Get("subscription_id")
	if err := h.svc.ClaimSubscription(r.Context(), actorOf(r), c.Org.ID, id); err != nil {
		h.billingFailed(w, r, c, err, "attach the subscription")
		return
	}
	h.setFlash(w, page.Flash{Kind: page.FlashSuccess, Message: "Subscription " + id + " now belongs to " + c.Org.Name + "."})
	http.Redirect(w, r, billingPath(c.Org.ID), http.StatusSeeOther)
}

// billingFailed answers a billing action that failed: a role that does
// not allow it, or an ended session, as every page does; anything else
// (no subscription, billing off, Lemon Squeezy unreachable) as a message
// on the billing page, because the user can try again or do something
// else — never as a server error. The cause of an unexpected error goes
// to the log only.
func (h *Web) billingFailed(w http.ResponseWriter, r *http.Request, c *appContext, err error, what string) {
	switch prikke.ErrorCode(err) {
	case prikke.EFORBIDDEN, prikke.EUNAUTHORIZED:
		h.fail(w, r, err)
		return
	}
	msg := prikke.ErrorMessage(err)
	if prikke.ErrorCode(err) == prikke.EINTERNAL {
		h.log.Error("web: billing", "error", err, "request_id", w.Header().Get("X-Request-Id"), "organization_id", c.Org.ID)
		msg = "Prikke could not " + what + ": Lemon Squeezy did not answer as expected. Please try again in a moment."
	}
	h.setFlash(w, page.Flash{Kind: page.FlashError, Message: msg})
	http.Redirect(w, r, billingPath(c.Org.ID), http.StatusSeeOther)
}

func billingPath(orgID prikke.ID) string { return "/app/orgs/" + orgID.String() + "/billing" }

// dateWords is how the billing page writes a day: "6 Jan 2027".
const dateWords = "2 Jan 2006"

// subscriptionWords says where a subscription stands, in the user's
// zone: "Renews on 6 Jan 2027", "Cancelled: Pro until 6 Jan 2027, then
// Free", "Payment failed: Lemon Squeezy will retry", "Paused".
func subscriptionWords(s *prikke.Subscription, now time.Time, loc *time.Location) string {
	day := func(t *time.Time) string { return t.In(loc).Format(dateWords) }
	ended := s.EndsAt != nil && !now.Before(*s.EndsAt)
	switch s.Status {
	case prikke.SubscriptionOnTrial:
		if s.TrialEndsAt != nil {
			return "Trial: Pro free of charge until " + day(s.TrialEndsAt) + ", then it renews"
		}
		return "Trial"
	case prikke.SubscriptionActive:
		if ended {
			return "Ended on " + day(s.EndsAt)
		}
		if s.RenewsAt != nil {
			return "Renews on " + day(s.RenewsAt)
		}
		return "Active"
	case prikke.SubscriptionPastDue:
		return "Payment failed: Lemon Squeezy will retry"
	case prikke.SubscriptionUnpaid:
		return "Unpaid: the payment failed after every retry, so the plan is Free"
	case prikke.SubscriptionCancelled:
		switch {
		case s.EndsAt == nil:
			return "Cancelled"
		case ended:
			return "Cancelled: ended on " + day(s.EndsAt)
		}
		return "Cancelled: Pro until " + day(s.EndsAt) + ", then Free"
	case prikke.SubscriptionExpired:
		if s.EndsAt != nil {
			return "Expired on " + day(s.EndsAt)
		}
		return "Expired"
	case prikke.SubscriptionPaused:
		if s.PauseMode == prikke.PauseModeFree {
			return "Paused: Pro continues free of charge"
		}
		return "Paused"
	}
	return string(s.Status)
}

// billingOn reports whether this Prikke sells plans: only then do pages
// show prices, checkouts and upgrades.
func (h *Web) billingOn() bool { return h.svc != nil && h.svc.BillingEnabled() }

// billingOutcomes word what a billing event did (prikke.Billing*).
var billingOutcomes = map[string]string{
	prikke.BillingApplied:   "Applied",
	prikke.BillingStale:     "Older than what Prikke had: nothing changed",
	prikke.BillingUnclaimed: "Kept for claiming: no organization named",
	prikke.BillingPayment:   "Payment recorded",
	prikke.BillingIgnored:   "Ignored",
}

// billingOutcome words an event's outcome; an unknown one shows as is.
func billingOutcome(outcome string) string {
	if w, ok := billingOutcomes[outcome]; ok {
		return w
	}
	return outcome
}
