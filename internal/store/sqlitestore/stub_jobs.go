package sqlitestore

// Placeholders until the JobStore methods are written.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errTODOJobStore = errors.New("sqlitestore: not implemented yet")

func (s *Store) JobCreate(ctx context.Context, j *prikke.Job) error { return errTODOJobStore }

func (s *Store) JobGet(ctx context.Context, id prikke.ID) (*prikke.Job, error) {
	return nil, errTODOJobStore
}

func (s *Store) JobList(ctx context.Context, f store.JobFilter) ([]*prikke.Job, error) {
	return nil, errTODOJobStore
}

func (s *Store) JobUpdate(ctx context.Context, j *prikke.Job) error { return errTODOJobStore }

func (s *Store) JobSetEnabled(ctx context.Context, id prikke.ID, enabled bool, nextRunAt *time.Time) error {
	return errTODOJobStore
}

func (s *Store) JobDelete(ctx context.Context, id prikke.ID) error { return errTODOJobStore }

func (s *Store) JobCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error) {
	return 0, errTODOJobStore
}

func (s *Store) JobGetByIdempotencyKey(ctx context.Context, projectID prikke.ID, key string) (*prikke.Job, error) {
	return nil, errTODOJobStore
}

func (s *Store) ExecutionGet(ctx context.Context, id prikke.ID) (*prikke.Execution, error) {
	return nil, errTODOJobStore
}

func (s *Store) ExecutionList(ctx context.Context, f store.ExecutionFilter) ([]*prikke.Execution, error) {
	return nil, errTODOJobStore
}

func (s *Store) ExecutionStats(ctx context.Context, f store.ExecutionFilter) (map[prikke.ExecutionStatus]int, error) {
	return nil, errTODOJobStore
}

var (
	_ = prikke.NilID
	_ store.Topic
	_ = time.Now
	_ context.Context
)
