package service

import (
	"context"
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// enqueuer is the enqueue API's group commit: concurrent single enqueues
// (POST /queue) are gathered into one store transaction
// (QueueEnqueueBatch), each caller still getting its own job, created
// flag and error. A caller whose request finds no commit running starts
// one; requests that arrive while commits run wait for the next, which
// takes them all (up to maxGroup): under load a transaction carries as
// many requests as came in during the previous one, and when idle a
// request is committed at once, alone. The zero value is ready.
type enqueuer struct {
	mu       sync.Mutex
	pending  []*enqueueCall
	inFlight int
}

type enqueueCall struct {
	item store.EnqueueItem
	done chan struct{}
}

const (
	// maxGroup bounds the requests of one group commit: as many as one
	// batch may hold.
	maxGroup = MaxEnqueueBatch
	// enqueueCommitTimeout bounds one group's transaction: it runs apart
	// from the callers' contexts, so that one caller leaving does not
	// fail the others.
	enqueueCommitTimeout = 30 * time.Second
)

// committers is how many group commits run at once: PostgreSQL overlaps
// one transaction's commit with the next one's statements; SQLite has one
// writer.
func (s *Service) committers() int {
	if s.store.Dialect() == "sqlite" {
		return 1
	}
	return 2
}

// enqueueOne stores one queue job and its first execution in the next
// group commit and returns its result.
func (s *Service) enqueueOne(ctx context.Context, j *prikke.Job, e *prikke.Execution) (*prikke.Job, bool, error) {
	c := &enqueueCall{item: store.EnqueueItem{Job: j, Execution: e}, done: make(chan struct{})}
	q := &s.enqueuer
	q.mu.Lock()
	q.pending = append(q.pending, c)
	start := q.inFlight < s.committers()
	if start {
		q.inFlight++
	}
	q.mu.Unlock()
	if start {
		go s.commitGroups(context.Background())
	}
	select {
	case <-c.done:
		return c.item.Stored, c.item.Created, c.item.Err
	case <-ctx.Done():
		// The caller has gone: its request is stored or not as the group
		// commits (its idempotency key, if any, makes a retry safe).
		return nil, false, ctx.Err()
	}
}

// commitGroups commits what is pending, group after group, until nothing
// is.
func (s *Service) commitGroups(ctx context.Context) {
	q := &s.enqueuer
	for {
		q.mu.Lock()
		n := min(len(q.pending), maxGroup)
		if n == 0 {
			q.inFlight--
			q.mu.Unlock()
			return
		}
		group := q.pending[:n:n]
		q.pending = q.pending[n:]
		if len(q.pending) == 0 {
			q.pending = nil
		}
		q.mu.Unlock()
		items := make([]*store.EnqueueItem, len(group))
		for i, c := range group {
			items[i] = &c.item
		}
		cctx, cancel := context.WithTimeout(ctx, enqueueCommitTimeout)
		s.store.QueueEnqueueBatch(cctx, items)
		cancel()
		for _, c := range group {
			close(c.done)
		}
		s.announceCreated(ctx, items) // the callers need not wait for it
	}
}

// announceCreated tells dashboards of the executions items created, in
// one message.
func (s *Service) announceCreated(ctx context.Context, items []*store.EnqueueItem) {
	es := make([]*prikke.Execution, 0, len(items))
	for _, it := range items {
		if it.Created {
			es = append(es, it.Execution)
		}
	}
	announceExecutions(ctx, s.store, es...)
}
