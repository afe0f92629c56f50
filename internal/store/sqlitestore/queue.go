package sqlitestore

import (
	"context"
	"database/sql"
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
	store.EnqueueApart(ctx, s, items, err)
}

type idemKey struct {
	project prikke.ID
	key     string
}

func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, items []*store.EnqueueItem) (time.Time, error) {
	insert, err := s.stmt(ctx, tx, sqlstore.InsertJobSQL)
	if err != nil {
		return time.Time{}, err
	}
	var lookup *sql.Stmt // prepared when a key is first looked up
	first := map[idemKey]*store.EnqueueItem{}
	es := make([]*prikke.Execution, 0, len(items))
	for i, it := range items {
		if err := it.Check(i); err != nil {
			return time.Time{}, err
		}
		j := it.Job
		if j.IdempotencyKey != "" {
			k := idemKey{j.ProjectID, j.IdempotencyKey}
			if f, ok := first[k]; ok {
				it.Stored = f.Stored // an earlier item of this batch has the key
				continue
			}
			first[k] = it
			if lookup == nil {
				if lookup, err = s.stmt(ctx, tx, "SELECT "+sqlstore.JobColumns+" FROM jobs j WHERE j.project_id = $1 AND j.idempotency_key = $2"); err != nil {
					return time.Time{}, err
				}
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
	_, earliest, err := s.insertExecutions(ctx, tx, es)
	return earliest, err
}
