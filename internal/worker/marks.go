// Sent marks: requests about to go out are marked sent in batches, so
// that a dead node's requests are delivered again as lost attempts and its
// unsent ones are released.

package worker

import (
	"context"
	"slices"
	"time"

	"github.com/prikke/prikke"
)

// markSent queues an execution whose request is about to go out.
func (w *Worker) markSent(id prikke.ID) {
	if w.peers.Load() == 0 {
		// Alone: no peer watches this node's heartbeat. (One started later
		// finds its requests unmarked and sends them again as the same
		// attempt: still at least once, only the history is one short.)
		return
	}
	w.sentMu.Lock()
	w.sent = append(w.sent, id)
	w.sentMu.Unlock()
}

// markLoop writes the sent marks every 100ms, in one statement: a node
// that dies has its executions marked sent delivered again as lost
// attempts and the others released to the queue. One that dies within a
// mark's 100ms has that request released and sent again as the same
// attempt (at least once, never a request that had not gone out). It runs
// until the workers have finished (a draining node still starts requests)
// and then writes what is left.
func (w *Worker) markLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(w.writes, 5*time.Second)
			w.flushMarks(fctx)
			cancel()
			return
		case <-t.C:
		}
		w.flushMarks(ctx)
	}
}

// flushMarks writes the sent marks queued; those it fails to write are
// queued again for the next try.
func (w *Worker) flushMarks(ctx context.Context) {
	w.sentMu.Lock()
	ids := w.sent
	w.sent = nil
	w.sentMu.Unlock()
	var failed []prikke.ID
	for chunk := range slices.Chunk(ids, 2000) {
		mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := w.store.ExecutionMarkSent(mctx, w.cfg.Node, chunk); err != nil {
			failed = append(failed, chunk...)
			if ctx.Err() == nil {
				w.logger.Warn("marking requests sent failed; trying again", "executions", len(chunk), "error", err)
			}
		}
		cancel()
	}
	if len(failed) > 0 {
		w.sentMu.Lock()
		w.sent = append(failed, w.sent...)
		w.sentMu.Unlock()
	}
}
