package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// TierAt computes o's tier at now from its base tier and stored
// subscriptions (prikke.TierOf); with billing off it is o.BaseTier.
func (s *Service) TierAt(ctx context.Context, o *prikke.Organization, now time.Time) (prikke.Tier, error) {
	t, _, err := s.tierAt(ctx, o, now)
	return t, err
}

// tierAt is TierAt that also returns the subscriptions it read.
func (s *Service) tierAt(ctx context.Context, o *prikke.Organization, now time.Time) (prikke.Tier, []*prikke.Subscription, error) {
	base := baseTier(o)
	if !s.BillingEnabled() || base == prikke.TierPro {
		return base, nil, nil // no subscription can change it: no query
	}
	subs, err := s.store.SubscriptionList(ctx, store.SubscriptionFilter{OrganizationID: &o.ID})
	if err != nil {
		return "", nil, err
	}
	return prikke.TierOf(base, subs, now, s.cfg.Billing.ProVariantID), subs, nil
}

// tierCause says, for the audit log, why o's tier is to at now: the
// subscription that grants Pro, or the end that took it.
func (s *Service) tierCause(o *prikke.Organization, to prikke.Tier, subs []*prikke.Subscription, now time.Time) string {
	if to == baseTier(o) && to == prikke.TierPro {
		return "base tier pro"
	}
	for _, sub := range subs {
		if to == prikke.TierPro && sub.Tier(now, s.cfg.Billing.ProVariantID) == prikke.TierPro {
			return "subscription " + sub.ID + " " + string(sub.Status)
		}
		if to != prikke.TierPro && sub.EndsAt != nil && !now.Before(*sub.EndsAt) {
			return "subscription " + sub.ID + " ended at " + sub.EndsAt.UTC().Format(time.RFC3339)
		}
	}
	if len(subs) > 0 {
		return "subscription " + subs[0].ID + " " + string(subs[0].Status)
	}
	return "no subscription"
}

// baseTier is o's tier without a subscription; an organization written
// before base tiers existed has the tier it was given.
func baseTier(o *prikke.Organization) prikke.Tier {
	if o.BaseTier == "" {
		return o.Tier
	}
	return o.BaseTier
}

// SyncTier brings the organization's enforced tier (Organization.Tier) to
// the computed one: a downgrade pauses what the Free plan does not allow
// (reason plan) and mails the owners once; an upgrade resumes exactly
// those and raises the priority of pending occurrences. cause goes into
// the audit log ("webhook subscription_updated: active", "ends_at passed",
// "operator"). It returns nil, nil when nothing changed.
func (s *Service) SyncTier(ctx context.Context, orgID prikke.ID, cause string) (*store.PlanResult, error) {
	// A webhook wrote a subscription before this: its end may be the
	// soonest now.
	s.reconcile.poke()
	return s.syncTier(ctx, orgID, cause)
}

// syncTier is SyncTier without waking the planner: ReconcileTiers' own,
// which must not wake the planner that runs it (a round whose SyncTier
// keeps failing would run again at once, forever).
func (s *Service) syncTier(ctx context.Context, orgID prikke.ID, cause string) (*store.PlanResult, error) {
	o, err := s.store.OrganizationGet(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	to, err := s.TierAt(ctx, o, now)
	if err != nil || to == o.Tier {
		return nil, err
	}
	return s.changePlan(ctx, o, to, now, cause)
}

// changePlan moves o to the tier to (store.PlanChange, which applies a
// change once even when several nodes or requests ask for it together),
// audits it, and mails the owners what a downgrade paused.
//
// to is computed before PlanChange's transaction: a subscription written
// meanwhile (a webhook's upgrade racing the ends_at loop's downgrade,
// whose own SyncTier saw the tier still right and changed nothing) may
// make it stale. So after a change the tier is computed again and, when
// it differs, applied too (a few rounds at most): the last change applies
// the stored subscriptions' truth. A downgrade undone that way mails
// nothing.
func (s *Service) changePlan(ctx context.Context, o *prikke.Organization, to prikke.Tier, now time.Time, cause string) (*store.PlanResult, error) {
	return s.changePlanRound(ctx, o, to, now, cause, 0)
}

// planRechecks bounds changePlan's rounds.
const planRechecks = 3

func (s *Service) changePlanRound(ctx context.Context, o *prikke.Organization, to prikke.Tier, now time.Time, cause string, round int) (*store.PlanResult, error) {
	res, err := s.store.PlanChange(ctx, &store.PlanChange{OrganizationID: o.ID, To: to, At: now,
		NextRun: nextRun, PauseMonitor: monitor.Pause, ResumeMonitor: monitor.Resume})
	if err != nil || res == nil {
		return nil, err
	}
	s.forgetKeys()
	s.record(ctx, nil, &o.ID, prikke.AuditTierChange, "organization", o.ID.String(),
		fmt.Sprintf("%s → %s: %s", res.From, res.To, cause))
	s.logger.Info("plan changed", "organization_id", o.ID, "from", res.From, "to", res.To, "cause", cause,
		"jobs", len(res.Jobs), "monitors", len(res.Monitors))
	if round < planRechecks {
		fresh, err := s.store.OrganizationGet(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		again, subs, err := s.tierAt(ctx, fresh, now)
		if err != nil {
			return nil, err
		}
		if again != fresh.Tier {
			next, err := s.changePlanRound(ctx, fresh, again, now, s.tierCause(fresh, again, subs, now)+" (re-checked)", round+1)
			if err != nil || next != nil {
				return next, err
			}
		}
	}
	if isDowngrade(res) && len(res.Jobs)+len(res.Monitors) > 0 {
		s.mailPlanPaused(ctx, o, res)
	}
	return res, nil
}

// enforcePlan pauses, with the reason plan, what an organization runs
// beyond the limits of the tier it has (store.PlanChange Enforce), audits
// it and mails the owners.
func (s *Service) enforcePlan(ctx context.Context, id prikke.ID, cause string) error {
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return err
	}
	now := s.now()
	res, err := s.store.PlanChange(ctx, &store.PlanChange{OrganizationID: id, To: o.Tier, At: now,
		NextRun: nextRun, PauseMonitor: monitor.Pause, ResumeMonitor: monitor.Resume, Enforce: true})
	if err != nil || res == nil {
		return err
	}
	s.record(ctx, nil, &o.ID, prikke.AuditTierChange, "organization", o.ID.String(),
		fmt.Sprintf("%s → %s: %s (limits enforced)", res.From, res.To, cause))
	s.logger.Info("plan limits enforced", "organization_id", o.ID, "tier", res.To, "cause", cause,
		"jobs", len(res.Jobs), "monitors", len(res.Monitors))
	s.mailPlanPaused(ctx, o, res)
	return nil
}

// isDowngrade reports whether a plan change went to a tier with lower limits
// (what it returns was paused, not resumed).
func isDowngrade(res *store.PlanResult) bool {
	from, to := res.From.Limits(), res.To.Limits()
	return to.MaxJobs != 0 && (from.MaxJobs == 0 || to.MaxJobs < from.MaxJobs) || to.MinInterval > from.MinInterval
}

// mailPlanPaused tells every owner of o what a downgrade paused.
func (s *Service) mailPlanPaused(ctx context.Context, o *prikke.Organization, res *store.PlanResult) {
	ms, err := s.store.MembershipListByOrganization(ctx, o.ID)
	if err != nil {
		s.logger.Error("plan-paused mail: list owners failed", "organization_id", o.ID, "error", err)
		return
	}
	l := res.To.Limits()
	d := mail.PlanPaused{OrganizationName: o.Name, Tier: string(res.To), MaxJobs: l.MaxJobs, MinInterval: l.MinInterval,
		CanUpgrade: s.BillingEnabled(), BillingURL: s.url("/app/orgs/" + o.ID.String() + "/billing")}
	for _, j := range res.Jobs {
		d.Jobs = append(d.Jobs, j.Name)
	}
	for _, m := range res.Monitors {
		d.Monitors = append(d.Monitors, m.Name)
	}
	for _, m := range ms {
		if m.Role == prikke.RoleOwner && m.UserEmail != "" {
			s.send(ctx, m.UserEmail, d)
		}
	}
}

// nextRun is when a resumed job runs next: a cron job at its schedule's
// next fire time after now, a one-time job at its time. It is the rule a
// user's resume applies (apply), and PlanChange's for an upgrade.
func nextRun(j *prikke.Job, now time.Time) *time.Time {
	switch j.Kind {
	case prikke.JobKindCron:
		sched, err := cron.Parse(j.CronExpression)
		if err != nil {
			return nil
		}
		loc, err := cron.LoadLocation(j.TimeZone)
		if err != nil {
			return nil
		}
		next := sched.Next(now, loc)
		return &next
	case prikke.JobKindOnce:
		if j.RunAt != nil {
			at := *j.RunAt
			return &at
		}
	}
	return nil
}

// organization loads an organization with its enforced tier up to date:
// when the computed tier differs (a subscription ended by the clock
// before the planner woke, a plan change that failed), the change is
// applied first, as SyncTier applies it, so enforcement follows at once. With billing off and the base tier
// enforced it reads nothing more.
func (s *Service) organization(ctx context.Context, id prikke.ID) (*prikke.Organization, error) {
	o, _, err := s.syncedOrganization(ctx, id)
	return o, err
}

// syncedOrganization is organization that also reports whether it changed
// the plan: a caller holding a job or monitor read before must read it
// again, since the change may have paused or resumed it.
func (s *Service) syncedOrganization(ctx context.Context, id prikke.ID) (*prikke.Organization, bool, error) {
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return s.upToDate(ctx, o)
}

// upToDate is syncedOrganization for an organization read already.
func (s *Service) upToDate(ctx context.Context, o *prikke.Organization) (*prikke.Organization, bool, error) {
	now := s.now()
	to, subs, err := s.tierAt(ctx, o, now)
	if err != nil || to == o.Tier {
		return o, false, err
	}
	res, err := s.changePlan(ctx, o, to, now, s.tierCause(o, to, subs, now))
	if err != nil {
		return nil, false, err
	}
	o, err = s.store.OrganizationGet(ctx, o.ID)
	return o, res != nil, err
}

// ReconcileTiers applies the plan changes the clock makes: a subscription
// that ends (its EndsAt passes) downgrades its organization at that
// instant, with no webhook. The first call checks every organization with
// a subscription (catching up after a stop); later calls only those whose
// subscription's EndsAt passed since the previous call. It returns the
// next instant a subscription's tier changes by the clock (zero: none), so
// the caller wakes then. With billing off it does nothing.
func (s *Service) ReconcileTiers(ctx context.Context) (time.Time, error) {
	if !s.BillingEnabled() {
		return time.Time{}, nil
	}
	s.reconcile.mu.Lock()
	defer s.reconcile.mu.Unlock()
	now := s.now()
	since := s.reconcile.at
	subs, err := s.store.SubscriptionList(ctx, store.SubscriptionFilter{})
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	causes := map[prikke.ID]string{}
	var order []prikke.ID
	for _, sub := range subs {
		if t := sub.NextChange(now); t != nil && (next.IsZero() || t.Before(next)) {
			next = *t
		}
		if sub.OrganizationID == nil {
			continue
		}
		id := *sub.OrganizationID
		ended := sub.EndsAt != nil && !sub.EndsAt.After(now) && (since.IsZero() || sub.EndsAt.After(since))
		switch {
		case ended:
			if _, ok := causes[id]; !ok {
				order = append(order, id)
			}
			causes[id] = "ends_at " + sub.EndsAt.UTC().Format(time.RFC3339) + " passed"
		case since.IsZero():
			if _, ok := causes[id]; !ok {
				order = append(order, id)
				causes[id] = "reconcile"
			}
		}
	}
	var errs []error
	for _, id := range order {
		if _, err := s.syncTier(ctx, id, causes[id]); err != nil && !isCode(err, prikke.ENOTFOUND) {
			errs = append(errs, fmt.Errorf("organization %s: %w", id, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The next call looks at the same window again.
		return next, fmt.Errorf("service: reconcile tiers: %w", err)
	}
	s.reconcile.at = now
	return next, nil
}

// reconciler is ReconcileTiers' memory: the instant up to which ends were
// applied, and the planner's wake-up call.
type reconciler struct {
	mu sync.Mutex
	at time.Time

	once sync.Once
	wake chan struct{}
}

// woken receives when a subscription may have been written (SyncTier
// ran), so the planner looks at its end at once.
func (r *reconciler) woken() chan struct{} {
	r.once.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

// poke wakes the planner, if it sleeps, without waiting.
func (r *reconciler) poke() {
	select {
	case r.woken() <- struct{}{}:
	default:
	}
}

// ResyncSubscriptions fetches every stored subscription from the billing
// provider and writes it (newer copies only, as a webhook would), then
// applies each claimed organization's tier (cause "re-sync"): it repairs
// missed webhooks. A subscription the provider fails on is skipped and
// reported; the others are still synced.
func (s *Service) ResyncSubscriptions(ctx context.Context) error {
	p := s.cfg.Billing.Provider
	if p == nil {
		return prikke.Errorf(prikke.EINVALID, "Billing is off on this Prikke (PRIKKE_BILLING=off): there is nothing to re-sync.")
	}
	subs, err := s.store.SubscriptionList(ctx, store.SubscriptionFilter{})
	if err != nil {
		return err
	}
	var errs []error
	orgs := map[prikke.ID]bool{}
	var order []prikke.ID
	for _, old := range subs {
		fresh, err := p.Subscription(ctx, old.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", old.ID, err))
			continue
		}
		fresh.SyncedAt = s.now()
		if _, err := s.store.BillingRecord(ctx, nil, fresh); err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", old.ID, err))
			continue
		}
		if fresh.VariantID != s.cfg.Billing.ProVariantID {
			s.logger.Warn("subscription to an unknown variant grants nothing", "subscription_id", fresh.ID, "variant_id", fresh.VariantID)
		}
		stored, err := s.store.SubscriptionGet(ctx, old.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", old.ID, err))
			continue
		}
		for _, id := range []*prikke.ID{old.OrganizationID, stored.OrganizationID} {
			if id != nil && !orgs[*id] {
				orgs[*id] = true
				order = append(order, *id)
			}
		}
	}
	for _, id := range order {
		if _, err := s.SyncTier(ctx, id, "re-sync"); err != nil && !isCode(err, prikke.ENOTFOUND) {
			errs = append(errs, fmt.Errorf("organization %s: %w", id, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("service: re-sync subscriptions: %w", err)
	}
	return nil
}

// UnclaimedSubscriptions lists the subscriptions no organization has
// claimed (`prikke billing unclaimed`), newest first.
func (s *Service) UnclaimedSubscriptions(ctx context.Context) ([]*prikke.Subscription, error) {
	return s.store.SubscriptionList(ctx, store.SubscriptionFilter{Unclaimed: true})
}

// ClaimSubscriptionFor is an operator's claim (`prikke billing claim`):
// it attaches a subscription no organization has claimed to orgID,
// audits it and applies the tier it grants.
func (s *Service) ClaimSubscriptionFor(ctx context.Context, subscriptionID string, orgID prikke.ID) (*prikke.Organization, error) {
	if _, err := s.store.OrganizationGet(ctx, orgID); err != nil {
		return nil, err
	}
	sub, err := s.store.SubscriptionGet(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	if sub.OrganizationID != nil {
		return nil, prikke.Errorf(prikke.ECONFLICT, "Subscription %s belongs to organization %s already.", sub.ID, sub.OrganizationID)
	}
	if err := s.store.SubscriptionClaim(ctx, sub.ID, orgID); err != nil {
		return nil, err
	}
	s.record(ctx, nil, &orgID, prikke.AuditSubscriptionClaim, "subscription", sub.ID, "operator: "+sub.CustomerEmail)
	if _, err := s.SyncTier(ctx, orgID, "subscription "+sub.ID+" claimed by an operator"); err != nil {
		return nil, err
	}
	return s.store.OrganizationGet(ctx, orgID)
}

// activeLimit refuses to make one more of an organization's jobs and
// monitors run (a resume) when as many as its tier allows already run:
// after a downgrade, more may exist than run.
func (s *Service) activeLimit(ctx context.Context, o *prikke.Organization) error {
	max := o.Tier.Limits().MaxJobs
	if max == 0 {
		return nil
	}
	t := true
	jobs, err := s.store.JobList(ctx, store.JobFilter{OrganizationID: &o.ID, Enabled: &t, Limit: max})
	if err != nil {
		return err
	}
	monitors, err := s.store.MonitorList(ctx, store.MonitorFilter{OrganizationID: &o.ID, Limit: max,
		Statuses: []prikke.MonitorStatus{prikke.MonitorNew, prikke.MonitorUp, prikke.MonitorLate, prikke.MonitorRunning, prikke.MonitorDown}})
	if err != nil {
		return err
	}
	if n := len(jobs) + len(monitors); n >= max {
		return prikke.Errorf(prikke.ELIMIT, "The %s tier runs %d jobs and monitors together and this organization runs %d already; pause or delete one first, or upgrade to Pro to resume everything paused for the plan.",
			o.Tier, max, n)
	}
	return nil
}

// limitError turns the store's refusal of one more job or monitor
// (*store.LimitError) into the message users see.
func limitError(err error, tier prikke.Tier) error {
	var le *store.LimitError
	if !errors.As(err, &le) {
		return err
	}
	return prikke.Errorf(prikke.ELIMIT, "The %s tier allows %d jobs and monitors together and this organization has %d (%s, %s); delete one or upgrade to Pro.",
		tier, le.Max, le.Jobs+le.Monitors, plural(le.Jobs, "job"), plural(le.Monitors, "monitor"))
}
