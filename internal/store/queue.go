package store

import (
	"context"
	"fmt"

	"github.com/prikke/prikke"
)

// QueueEnqueue creates a queue job and its first execution: a batch of one
// (Store.QueueEnqueueBatch). If the project already has a job with the
// same idempotency key, it returns that job and created=false.
func QueueEnqueue(ctx context.Context, s Store, j *prikke.Job, e *prikke.Execution) (job *prikke.Job, created bool, err error) {
	it := &EnqueueItem{Job: j, Execution: e}
	s.QueueEnqueueBatch(ctx, []*EnqueueItem{it})
	return it.Stored, it.Created, it.Err
}

// EnqueueItem is one request of Store.QueueEnqueueBatch: a queue job and
// its first execution in; the stored job, whether it was created, and the
// item's own error out.
type EnqueueItem struct {
	Job       *prikke.Job
	Execution *prikke.Execution

	// Stored is Job when Created; otherwise the job that already held
	// Job's idempotency key in its project (an earlier request, or an
	// earlier item of the same batch).
	Stored  *prikke.Job
	Created bool
	// Err is this item's failure alone: the others are stored (or not)
	// as if it had not been sent.
	Err error
}

// Check reports, for item i of a batch, whether it is what a store
// enqueues: a queue job (not a workflow's, without channels of its own)
// with its first execution, which sends the job's own request.
func (it *EnqueueItem) Check(i int) error {
	j, e := it.Job, it.Execution
	if j.Kind != prikke.JobKindQueue || j.WorkflowID != nil || j.Step != nil ||
		(j.NotifyMode == prikke.NotifyCustom && len(j.ChannelIDs) > 0) || e == nil || e.JobID != j.ID ||
		e.ReplayOf != nil || e.RequestMethod != "" || e.RequestURL != "" || e.RequestHeaders != nil || e.RequestBody != nil {
		return fmt.Errorf("item %d: not a queue job with its first execution", i)
	}
	return nil
}

// EnqueueApart is what a store's QueueEnqueueBatch does when the batch's
// transaction failed with err and stored nothing. A lone item fails with
// err, and so does every item once ctx has ended (sent again, they would
// fail the same way). Otherwise each half of the batch is sent again, so
// that only the failing items fail, in about 2·log₂(n) transactions for
// one bad item among n rather than n.
func EnqueueApart(ctx context.Context, s Store, items []*EnqueueItem, err error) {
	for _, it := range items {
		it.Stored, it.Created = nil, false
	}
	if len(items) == 1 || ctx.Err() != nil {
		for _, it := range items {
			it.Err = err
		}
		return
	}
	mid := len(items) / 2
	s.QueueEnqueueBatch(ctx, items[:mid])
	s.QueueEnqueueBatch(ctx, items[mid:])
}
