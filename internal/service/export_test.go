package service

import (
	"context"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// ChangePlanTo is changePlan with a tier computed by the caller, as one
// computed before a racing webhook wrote its subscription.
func (s *Service) ChangePlanTo(ctx context.Context, id prikke.ID, to prikke.Tier, cause string) (*store.PlanResult, error) {
	o, err := s.store.OrganizationGet(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.changePlan(ctx, o, to, s.now(), cause)
}

// Woken reports (and consumes) a pending wake-up of the planner.
func (s *Service) Woken() bool {
	select {
	case <-s.reconcile.woken():
		return true
	default:
		return false
	}
}
