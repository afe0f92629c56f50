package worker

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// markStore is a PostgreSQL store whose sent marks fail while markFail
// counts down, and which counts the IDs it marked.
type markStore struct {
	store.Store
	markFail atomic.Int64 // ExecutionMarkSent calls left to fail
	marked   atomic.Int64
}

func (s *markStore) ExecutionMarkSent(ctx context.Context, node string, ids []prikke.ID) error {
	if s.markFail.Add(-1) >= 0 {
		return errDown
	}
	s.marked.Add(int64(len(ids)))
	return s.Store.ExecutionMarkSent(ctx, node, ids)
}

// A sent mark that fails to be written is written at the next try, and
// the marks queued when the loop stops (the workers have finished
// draining) are written before it returns.
func TestSentMarksKept(t *testing.T) {
	t.Parallel()
	s := &markStore{Store: storetest.OpenPostgres(t)}
	w, _ := steppedWorker(t, s)
	ctx := context.Background()
	w.sent = []prikke.ID{prikke.NewID(), prikke.NewID(), prikke.NewID()}
	s.markFail.Store(1)
	w.flushMarks(ctx)
	if n := s.marked.Load(); n != 0 {
		t.Fatalf("marked %d while the database was down", n)
	}
	w.flushMarks(ctx)
	if n := s.marked.Load(); n != 3 {
		t.Fatalf("marked %d after the database came back; want the 3 that failed", n)
	}
	w.sentMu.Lock()
	w.sent = append(w.sent, prikke.NewID(), prikke.NewID())
	w.sentMu.Unlock()
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	w.markLoop(stopped)
	if n := s.marked.Load(); n != 5 {
		t.Fatalf("marked %d after the loop stopped; want the 2 queued written too (5)", n)
	}
}
