package sqlstore

import (
	"context"
	"errors"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// STUB: the contract for issue 17's operator console; h-opstore replaces
// this file.

var errStub = errors.New("sqlstore: not implemented yet")

// OrganizationSuspend implements store.Store.
func (r *Records) OrganizationSuspend(ctx context.Context, c *store.Suspension) (*store.SuspendResult, error) {
	return nil, errStub
}

// OrganizationUnsuspend implements store.Store.
func (r *Records) OrganizationUnsuspend(ctx context.Context, c *store.Suspension) (*store.SuspendResult, error) {
	return nil, errStub
}

// OrganizationSummaries implements store.Store.
func (r *Records) OrganizationSummaries(ctx context.Context, f store.OrganizationSummaryFilter) ([]*store.OrganizationSummary, error) {
	return nil, errStub
}

// AuditListOperator implements store.Store.
func (r *Records) AuditListOperator(ctx context.Context, f store.AuditFilter) ([]*prikke.AuditEntry, error) {
	return nil, errStub
}
