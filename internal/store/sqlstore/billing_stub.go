package sqlstore

// STUB: the store engineer replaces this file with billing.go.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errBillingStub = errors.New("sqlstore: billing is not implemented yet (STUB)")

// BillingRecord implements store.Store.
func (r *Records) BillingRecord(ctx context.Context, ev *prikke.BillingEvent, sub *prikke.Subscription) (string, error) {
	return "", errBillingStub
}

// SubscriptionGet implements store.Store.
func (r *Records) SubscriptionGet(ctx context.Context, id string) (*prikke.Subscription, error) {
	return nil, errBillingStub
}

// SubscriptionList implements store.Store.
func (r *Records) SubscriptionList(ctx context.Context, f store.SubscriptionFilter) ([]*prikke.Subscription, error) {
	return nil, errBillingStub
}

// SubscriptionClaim implements store.Store.
func (r *Records) SubscriptionClaim(ctx context.Context, id string, orgID prikke.ID) error {
	return errBillingStub
}

// BillingEventList implements store.Store.
func (r *Records) BillingEventList(ctx context.Context, orgID prikke.ID, limit int) ([]*prikke.BillingEvent, error) {
	return nil, errBillingStub
}

// OrganizationSetBaseTier implements store.Store.
func (r *Records) OrganizationSetBaseTier(ctx context.Context, id prikke.ID, tier prikke.Tier, now time.Time) error {
	return errBillingStub
}

// PlanChange implements store.Store.
func (r *Records) PlanChange(ctx context.Context, c *store.PlanChange) (*store.PlanResult, error) {
	return nil, errBillingStub
}

// JobCreateWithin implements store.Store (STUB: not atomic).
func (r *Records) JobCreateWithin(ctx context.Context, j *prikke.Job, max int) error {
	return r.JobCreate(ctx, j)
}

// MonitorCreateWithin implements store.Store (STUB: not atomic).
func (r *Records) MonitorCreateWithin(ctx context.Context, m *prikke.Monitor, max int) error {
	return r.MonitorCreate(ctx, m)
}
