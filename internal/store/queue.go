package store

import "github.com/prikke/prikke"

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
