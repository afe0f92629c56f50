package pgstore

// Placeholders until the StatusStore methods are written.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errTODOStatusStore = errors.New("pgstore: not implemented yet")

func (s *Store) HeartbeatPut(ctx context.Context, name, detail string) error {
	return errTODOStatusStore
}

func (s *Store) HeartbeatGet(ctx context.Context, name string) (time.Time, string, error) {
	return time.Time{}, "", errTODOStatusStore
}

func (s *Store) StatusSampleAdd(ctx context.Context, day, component string, status prikke.ComponentStatus) error {
	return errTODOStatusStore
}

func (s *Store) StatusSampleList(ctx context.Context, sinceDay string) ([]*prikke.StatusSample, error) {
	return nil, errTODOStatusStore
}

func (s *Store) IncidentCreate(ctx context.Context, inc *prikke.Incident, first *prikke.IncidentUpdate) error {
	return errTODOStatusStore
}

func (s *Store) IncidentUpdate(ctx context.Context, u *prikke.IncidentUpdate) error {
	return errTODOStatusStore
}

func (s *Store) IncidentGet(ctx context.Context, id prikke.ID) (*prikke.Incident, error) {
	return nil, errTODOStatusStore
}

func (s *Store) IncidentList(ctx context.Context, since time.Time) ([]*prikke.Incident, error) {
	return nil, errTODOStatusStore
}

func (s *Store) StatusPageCreate(ctx context.Context, p *prikke.StatusPage) error {
	return errTODOStatusStore
}

func (s *Store) StatusPageGet(ctx context.Context, id prikke.ID) (*prikke.StatusPage, error) {
	return nil, errTODOStatusStore
}

func (s *Store) StatusPageGetBySlug(ctx context.Context, slug string) (*prikke.StatusPage, error) {
	return nil, errTODOStatusStore
}

func (s *Store) StatusPageListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.StatusPage, error) {
	return nil, errTODOStatusStore
}

func (s *Store) StatusPageUpdate(ctx context.Context, p *prikke.StatusPage) error {
	return errTODOStatusStore
}

func (s *Store) StatusPageDelete(ctx context.Context, id prikke.ID) error { return errTODOStatusStore }

func (s *Store) JobDaysRollup(ctx context.Context, since time.Time) error { return errTODOStatusStore }

func (s *Store) JobDaysList(ctx context.Context, jobIDs []prikke.ID, sinceDay string) ([]*prikke.JobDay, error) {
	return nil, errTODOStatusStore
}

func (s *Store) JobDaysPrune(ctx context.Context, beforeDay string) (int, error) {
	return 0, errTODOStatusStore
}

var (
	_ = prikke.NilID
	_ store.Topic
	_ = time.Now
	_ context.Context
)
