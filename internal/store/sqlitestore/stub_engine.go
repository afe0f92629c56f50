package sqlitestore

// Placeholders until the EngineStore methods are written.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errTODOEngineStore = errors.New("sqlitestore: not implemented yet")

func (s *Store) LeaderAttemptElect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	return false, errTODOEngineStore
}

func (s *Store) LeaderAttemptReelect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error) {
	return false, errTODOEngineStore
}

func (s *Store) LeaderResign(ctx context.Context, name, leaderID string) error {
	return errTODOEngineStore
}

func (s *Store) LeaderGet(ctx context.Context, name string) (leaderID string, expiresAt time.Time, err error) {
	return "", time.Time{}, errTODOEngineStore
}

func (s *Store) JobListDue(ctx context.Context, horizon time.Time, limit int) ([]*store.DueJob, error) {
	return nil, errTODOEngineStore
}

func (s *Store) JobNextRunAt(ctx context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errTODOEngineStore
}

func (s *Store) OccurrencesWrite(ctx context.Context, ws []*store.OccurrenceWrite) (int, error) {
	return 0, errTODOEngineStore
}

func (s *Store) ExecutionInsert(ctx context.Context, e *prikke.Execution) error {
	return errTODOEngineStore
}

func (s *Store) QueueEnqueue(ctx context.Context, j *prikke.Job, e *prikke.Execution) (job *prikke.Job, created bool, err error) {
	return nil, false, errTODOEngineStore
}

func (s *Store) ExecutionClaim(ctx context.Context, p *store.ClaimParams) (*store.ClaimResult, error) {
	return nil, errTODOEngineStore
}

func (s *Store) ExecutionComplete(ctx context.Context, node string, cs []*store.Completion) ([]prikke.ID, error) {
	return nil, errTODOEngineStore
}

func (s *Store) ExecutionRelease(ctx context.Context, node string, ids []prikke.ID) (int, error) {
	return 0, errTODOEngineStore
}

func (s *Store) ExecutionRescue(ctx context.Context, now time.Time, limit int) (int, error) {
	return 0, errTODOEngineStore
}

func (s *Store) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errTODOEngineStore
}

func (s *Store) ExecutionQueueDepth(ctx context.Context, now time.Time) (due, running int, err error) {
	return 0, 0, errTODOEngineStore
}

func (s *Store) ExecutionPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	return 0, errTODOEngineStore
}

func (s *Store) ExecutionDeletePending(ctx context.Context, jobID prikke.ID) (int, error) {
	return 0, errTODOEngineStore
}

func (s *Store) ExecutionRecent(ctx context.Context, since time.Time, limit int) ([]*prikke.Execution, error) {
	return nil, errTODOEngineStore
}

var (
	_ = prikke.NilID
	_ store.Topic
	_ = time.Now
	_ context.Context
)
