package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/sqlstore"
)

// QueueEnqueueBatch implements store.Store: one write transaction, each
// statement prepared once for the batch.
func (s *Store) QueueEnqueueBatch(ctx context.Context, items []*store.EnqueueItem) {
	if len(items) == 0 {
		return
	}
	for _, it := range items {
		it.Stored, it.Created, it.Err = nil, false, nil
	}
	var earliest time.Time
	err := s.inTx(ctx, "enqueue", func(tx *sql.Tx) error {
		var err error
		earliest, err = s.enqueueTx(ctx, tx, items)
		return err
	})
	if err == nil {
		s.publishWork(earliest)
		return
	}
	for _, it := range items {
		it.Stored, it.Created = nil, false
	}
	if len(items) == 1 {
		items[0].Err = err
		return
	}
	// Something failed the transaction: each item alone, so that only
	// the failing ones fail.
	for _, it := range items {
		s.QueueEnqueueBatch(ctx, []*store.EnqueueItem{it})
	}
}

type idemKey struct {
	project prikke.ID
	key     string
}

func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, items []*store.EnqueueItem) (time.Time, error) {
	var lookup *sql.Stmt
	insert, err := tx.PrepareContext(ctx, sqlstore.InsertJobSQL)
	if err != nil {
		return time.Time{}, err
	}
	defer insert.Close()
	first := map[idemKey]*store.EnqueueItem{}
	es := make([]*prikke.Execution, 0, len(items))
	for i, it := range items {
		j := it.Job
		if j.Kind != prikke.JobKindQueue || (j.NotifyMode == prikke.NotifyCustom && len(j.ChannelIDs) > 0) ||
			it.Execution == nil || it.Execution.JobID != j.ID {
			return time.Time{}, fmt.Errorf("item %d: not a queue job with its first execution", i)
		}
		if j.IdempotencyKey != "" {
			k := idemKey{j.ProjectID, j.IdempotencyKey}
			if f, ok := first[k]; ok {
				it.Stored = f.Stored // an earlier item of this batch has the key
				continue
			}
			first[k] = it
			if lookup == nil {
				if lookup, err = tx.PrepareContext(ctx, "SELECT "+sqlstore.JobColumns+" FROM jobs j WHERE j.project_id = $1 AND j.idempotency_key = $2"); err != nil {
					return time.Time{}, err
				}
				defer lookup.Close()
			}
			prev, err := sqlstore.ScanJob(dialect{s}, lookup.QueryRowContext(ctx, j.ProjectID, j.IdempotencyKey))
			if err == nil {
				it.Stored = prev
				continue
			}
			if err != sql.ErrNoRows {
				return time.Time{}, err
			}
		}
		if _, err := insert.ExecContext(ctx, sqlstore.InsertJobArgs(dialect{s}, j)...); err != nil {
			return time.Time{}, err
		}
		it.Stored, it.Created = j, true
		es = append(es, it.Execution)
	}
	_, earliest, err := insertExecutions(ctx, tx, es)
	return earliest, err
}
