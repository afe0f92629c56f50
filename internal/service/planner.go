package service

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/startstop"
)

// Planner makes the plan changes no request makes: ReconcileTiers at the
// instant a subscription ends (and at least every minute), and
// ResyncSubscriptions once a day. On a cluster only the scheduler's
// leader runs them; two nodes overlapping for a moment do no harm, since
// PlanChange applies a change once. Start and Stop are safe to call twice.
type Planner struct {
	svc     *Service
	leading func() bool
	loop    startstop.Loop
	// Every bounds the wait between two reconciles; ResyncEvery is the
	// time between re-syncs (kept across restarts in a heartbeat mark).
	Every, ResyncEvery time.Duration
}

// resyncMark is the heartbeat whose detail is the last re-sync's instant.
const resyncMark = "billing:resynced"

// NewPlanner returns a stopped planner; leading reports whether this node
// leads the scheduler (nil: it always does).
func (s *Service) NewPlanner(leading func() bool) *Planner {
	if leading == nil {
		leading = func() bool { return true }
	}
	return &Planner{svc: s, leading: leading, Every: time.Minute, ResyncEvery: 24 * time.Hour}
}

// Start begins planning; with billing off there is nothing to plan.
func (p *Planner) Start(ctx context.Context) {
	if !p.svc.BillingEnabled() {
		return
	}
	p.loop.Start(ctx, p.reconcile, startstop.Every(time.Hour, p.resync))
}

// Stop stops planning and waits.
func (p *Planner) Stop() { p.loop.Stop() }

// reconcile applies the clock's plan changes, sleeping until the next
// subscription's end or Every, whichever comes first, or until a
// subscription is written.
func (p *Planner) reconcile(ctx context.Context) {
	for {
		wait := p.Every
		if p.leading() {
			// A wake-up before this round is served by it; one during it
			// (a webhook's subscription the round may have missed) runs
			// another. The round itself wakes nothing (syncTier).
			select {
			case <-p.svc.reconcile.woken():
			default:
			}
			next, err := p.svc.ReconcileTiers(ctx)
			if err != nil && ctx.Err() == nil {
				p.svc.logger.Warn("reconciling tiers failed", "error", err)
			}
			if !next.IsZero() {
				wait = min(wait, max(next.Sub(p.svc.now()), time.Millisecond))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-p.svc.reconcile.woken():
			t.Stop()
		case <-t.C:
		}
	}
}

// resync re-syncs every subscription when the last re-sync is
// ResyncEvery ago (or there was none).
func (p *Planner) resync(ctx context.Context) {
	if !p.leading() {
		return
	}
	st, now := p.svc.store, p.svc.now()
	if _, detail, err := st.HeartbeatGet(ctx, resyncMark); err == nil {
		if last, err := time.Parse(time.RFC3339Nano, detail); err == nil && now.Sub(last) < p.ResyncEvery {
			return
		}
	} else if !isCode(err, prikke.ENOTFOUND) {
		p.svc.logger.Warn("reading the last re-sync failed", "error", err)
		return
	}
	if err := p.svc.ResyncSubscriptions(ctx); err != nil {
		p.svc.logger.Warn("re-syncing subscriptions failed", "error", err)
	}
	// Marked even after a partial failure: the next try is tomorrow's,
	// not a retry every hour against a provider that is failing.
	if err := st.HeartbeatPut(context.WithoutCancel(ctx), resyncMark, now.Format(time.RFC3339Nano)); err != nil {
		p.svc.logger.Warn("marking the re-sync failed", "error", err)
	}
}
