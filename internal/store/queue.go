package store

import (
	"context"

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
