package pgstore

// Placeholders until the NotifyStore methods are written.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errTODONotifyStore = errors.New("pgstore: not implemented yet")

func (s *Store) ChannelCreate(ctx context.Context, c *prikke.Channel) error {
	return errTODONotifyStore
}

func (s *Store) ChannelGet(ctx context.Context, id prikke.ID) (*prikke.Channel, error) {
	return nil, errTODONotifyStore
}

func (s *Store) ChannelGetByConfirmHash(ctx context.Context, hash []byte) (*prikke.Channel, error) {
	return nil, errTODONotifyStore
}

func (s *Store) ChannelListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.Channel, error) {
	return nil, errTODONotifyStore
}

func (s *Store) ChannelListForJob(ctx context.Context, jobID prikke.ID) ([]*prikke.Channel, error) {
	return nil, errTODONotifyStore
}

func (s *Store) ChannelUpdate(ctx context.Context, c *prikke.Channel) error {
	return errTODONotifyStore
}

func (s *Store) ChannelDelete(ctx context.Context, id prikke.ID) error { return errTODONotifyStore }

func (s *Store) FlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.Flip, error) {
	return nil, errTODONotifyStore
}

func (s *Store) FlipInsert(ctx context.Context, f *prikke.Flip) error { return errTODONotifyStore }

func (s *Store) NotificationInsert(ctx context.Context, n *prikke.Notification) error {
	return errTODONotifyStore
}

func (s *Store) NotificationList(ctx context.Context, f store.NotificationFilter) ([]*prikke.Notification, error) {
	return nil, errTODONotifyStore
}

func (s *Store) UsageMarkNotified(ctx context.Context, orgID prikke.ID, month string, percent int) (bool, error) {
	return false, errTODONotifyStore
}

var (
	_ = prikke.NilID
	_ store.Topic
	_ = time.Now
	_ context.Context
)
