package prikke

import (
	"cmp"
	"slices"
	"time"
)

// SubscriptionStatus is a Lemon Squeezy subscription's status, as its
// webhooks and API report it.
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionOnTrial   SubscriptionStatus = "on_trial"
	SubscriptionActive    SubscriptionStatus = "active"
	SubscriptionPaused    SubscriptionStatus = "paused"
	SubscriptionPastDue   SubscriptionStatus = "past_due"
	SubscriptionUnpaid    SubscriptionStatus = "unpaid"
	SubscriptionCancelled SubscriptionStatus = "cancelled"
	SubscriptionExpired   SubscriptionStatus = "expired"
)

// Pause modes of a paused subscription: void stops the service, free keeps
// it for free.
const (
	PauseModeVoid = "void"
	PauseModeFree = "free"
)

// Subscription is the stored copy of a Lemon Squeezy subscription. The
// tier an organization has is computed from it at every read (Tier), never
// copied, so a cancelled subscription ends on time at EndsAt without any
// webhook.
type Subscription struct {
	ID             string // Lemon Squeezy's subscription id
	OrganizationID *ID    // nil: unclaimed (no known organization in its custom data)
	StoreID        string
	CustomerID     string
	OrderID        string
	ProductID      string
	VariantID      string
	Status         SubscriptionStatus
	PauseMode      string // when paused: void or free
	CustomerEmail  string
	CustomerName   string
	CardBrand      string
	CardLastFour   string
	RenewsAt       *time.Time
	EndsAt         *time.Time
	TrialEndsAt    *time.Time
	TestMode       bool
	CreatedAt      time.Time // Lemon Squeezy's created_at
	UpdatedAt      time.Time // Lemon Squeezy's updated_at: an older copy never overwrites a newer one
	SyncedAt       time.Time // when Prikke last wrote it (webhook or re-sync)

	// PortalURL is the customer portal's signed URL, valid 24 hours from
	// when Lemon Squeezy made it. It is never stored: Manage billing
	// fetches a fresh one.
	PortalURL string
}

// Tier returns the tier s grants at now. proVariant is the configured Pro
// variant; a subscription to another variant grants Free (the caller logs
// it). Pro while on trial, active, past due, cancelled before EndsAt, or
// paused with mode free; Free after EndsAt, when expired, unpaid, or paused
// with mode void.
func (s *Subscription) Tier(now time.Time, proVariant string) Tier {
	if s.VariantID != proVariant {
		return TierFree
	}
	if s.EndsAt != nil && !now.Before(*s.EndsAt) {
		return TierFree
	}
	switch s.Status {
	case SubscriptionOnTrial, SubscriptionActive, SubscriptionPastDue:
		return TierPro
	case SubscriptionCancelled:
		if s.EndsAt != nil {
			return TierPro // before EndsAt, checked above
		}
		return TierFree
	case SubscriptionPaused:
		if s.PauseMode == PauseModeFree {
			return TierPro
		}
	}
	return TierFree
}

// NextChange returns the next instant after now at which s's tier changes
// by the clock alone (its EndsAt), or nil.
func (s *Subscription) NextChange(now time.Time) *time.Time {
	if s.EndsAt != nil && now.Before(*s.EndsAt) {
		t := *s.EndsAt
		return &t
	}
	return nil
}

// TierOf computes an organization's tier at now: its base tier (what it has
// without a subscription: the operator's default or what an operator set),
// raised to Pro by any subscription that grants Pro.
func TierOf(base Tier, subs []*Subscription, now time.Time, proVariant string) Tier {
	if base == TierPro {
		return TierPro
	}
	for _, s := range subs {
		if s.Tier(now, proVariant) == TierPro {
			return TierPro
		}
	}
	return TierFree
}

// BillingEvent is one webhook delivery Prikke accepted (or a re-sync),
// recorded by the hash of its body so that a replay changes nothing.
type BillingEvent struct {
	Hash           string // hex SHA-256 of the raw body
	Name           string // subscription_created, subscription_payment_failed …
	SubscriptionID string
	OrganizationID *ID
	// InvoiceStatus and InvoiceTotal are set on payment events (an invoice,
	// never written over the subscription).
	InvoiceStatus string
	InvoiceTotal  string
	TestMode      bool
	// Outcome says what the delivery did (BillingOutcome values).
	Outcome    string
	ReceivedAt time.Time
}

// Billing event outcomes.
const (
	BillingApplied   = "applied"   // the subscription was written
	BillingStale     = "stale"     // older than the stored copy: nothing changed
	BillingUnclaimed = "unclaimed" // written, but no known organization: kept for claiming
	BillingPayment   = "payment"   // an invoice event: recorded, subscription untouched
	BillingIgnored   = "ignored"   // an event Prikke does not act on
)

// PauseForPlan is the PauseReason of a job or monitor paused by a plan
// change (a downgrade); an upgrade resumes exactly these. A user's own
// pause has an empty reason.
const PauseForPlan = "plan"

// PlanPauses picks, of an organization's active jobs and monitors, what a
// downgrade to limits l pauses: every cron job firing more often than
// l.MinInterval, then, of the rest (jobs and monitors together, oldest
// first), everything beyond l.MaxJobs — so the newest pause and the oldest
// keep running. Inputs need not be sorted; the outputs are in creation
// order.
func PlanPauses(l Limits, jobs []*Job, monitors []*Monitor) ([]*Job, []*Monitor) {
	type item struct {
		created time.Time
		id      ID
		job     *Job
		monitor *Monitor
	}
	var pausedJobs []*Job
	var pausedMonitors []*Monitor
	var keep []item
	minMinutes := int(l.MinInterval / time.Minute)
	for _, j := range jobs {
		if j.Kind == JobKindCron && j.IntervalMinutes > 0 && j.IntervalMinutes < minMinutes {
			pausedJobs = append(pausedJobs, j)
			continue
		}
		keep = append(keep, item{j.CreatedAt, j.ID, j, nil})
	}
	for _, m := range monitors {
		keep = append(keep, item{m.CreatedAt, m.ID, nil, m})
	}
	slices.SortFunc(keep, func(a, b item) int {
		return cmp.Or(a.created.Compare(b.created), cmp.Compare(a.id.String(), b.id.String()))
	})
	if l.MaxJobs > 0 && len(keep) > l.MaxJobs {
		for _, it := range keep[l.MaxJobs:] {
			if it.job != nil {
				pausedJobs = append(pausedJobs, it.job)
			} else {
				pausedMonitors = append(pausedMonitors, it.monitor)
			}
		}
	}
	byCreated := func(a, b *Job) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID.String(), b.ID.String()))
	}
	slices.SortFunc(pausedJobs, byCreated)
	return pausedJobs, pausedMonitors
}
