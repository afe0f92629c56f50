package service

// STUB: the plan engineer implements this file; the signatures are the
// contract.

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// TierAt computes o's tier at now from its base tier and stored
// subscriptions (prikke.TierOf); with billing off it is o.BaseTier.
func (s *Service) TierAt(ctx context.Context, o *prikke.Organization, now time.Time) (prikke.Tier, error) {
	return o.Tier, nil
}

// SyncTier brings the organization's enforced tier (Organization.Tier) to
// the computed one: a downgrade pauses what the Free plan does not allow
// (reason plan) and mails the owners once; an upgrade resumes exactly
// those and raises the priority of pending occurrences. cause goes into
// the audit log ("webhook subscription_updated: active", "ends_at passed",
// "operator"). It returns nil, nil when nothing changed.
func (s *Service) SyncTier(ctx context.Context, orgID prikke.ID, cause string) (*store.PlanResult, error) {
	return nil, nil
}
