package pgstore

// STUB(issue14): placeholders so the contract builds; the store helper
// replaces this file with the real flow keys.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
)

var errFlowStub = errors.New("pgstore: flow keys not built yet")

// FlowKeyPut implements store.Store.
func (s *Store) FlowKeyPut(ctx context.Context, k *prikke.FlowKey) (*prikke.FlowKey, bool, error) {
	return nil, false, errFlowStub
}

// FlowKeyGet implements store.Store.
func (s *Store) FlowKeyGet(ctx context.Context, projectID prikke.ID, key string, now time.Time) (*prikke.FlowKey, error) {
	return nil, errFlowStub
}

// FlowKeyList implements store.Store.
func (s *Store) FlowKeyList(ctx context.Context, projectID prikke.ID, now time.Time) ([]*prikke.FlowKey, error) {
	return nil, errFlowStub
}

// FlowKeyDelete implements store.Store.
func (s *Store) FlowKeyDelete(ctx context.Context, projectID prikke.ID, key string) error {
	return errFlowStub
}

// FlowKeySetPaused implements store.Store.
func (s *Store) FlowKeySetPaused(ctx context.Context, projectID prikke.ID, key string, paused bool) (*prikke.FlowKey, error) {
	return nil, errFlowStub
}

// FlowKeyHold implements store.Store.
func (s *Store) FlowKeyHold(ctx context.Context, projectID prikke.ID, key string, until time.Time, reason string) error {
	return errFlowStub
}

// FlowKeyRelease implements store.Store.
func (s *Store) FlowKeyRelease(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error) {
	return nil, errFlowStub
}
