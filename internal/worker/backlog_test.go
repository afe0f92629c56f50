package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// heldStore is a SQLite store whose result writes wait until release is
// closed, as a database that has fallen behind would; it counts the
// results it was given.
type heldStore struct {
	store.Store
	entered chan struct{} // closed when the first write begins
	release chan struct{}
	once    atomic.Bool
	written atomic.Int64
}

func (s *heldStore) ExecutionComplete(ctx context.Context, node string, cs []*store.Completion) ([]prikke.ID, error) {
	if s.once.CompareAndSwap(false, true) {
		close(s.entered)
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.written.Add(int64(len(cs)))
	ids := make([]prikke.ID, len(cs))
	for i, c := range cs {
		ids[i] = c.ExecutionID
	}
	return ids, nil
}

// While the writer is busy, the completer takes results off the channel
// until 8,192 are waiting or their bodies weigh 32 MiB, then stops taking
// them, so the workers wait instead of the node's memory growing: with
// 1 MiB bodies, 32 wait (and the channel's 4); with empty ones, 8,192.
// Once the write is done, every result is written, once.
func TestBacklogBounded(t *testing.T) {
	t.Parallel()
	body := make([]byte, 1<<20)
	for _, tc := range []struct {
		name    string
		body    []byte
		waiting int // results the completer holds once it pushes back
	}{{"bytes", body, 32}, {"count", nil, 8192}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &heldStore{Store: storetest.OpenSQLite(t), entered: make(chan struct{}), release: make(chan struct{})}
			w, _ := steppedWorker(t, s) // MaxWorkers 1: the results channel holds 4
			done := make(chan struct{})
			go func() { defer close(done); w.complete() }()
			result := func() *store.Completion {
				return &store.Completion{ExecutionID: prikke.NewID(), Status: prikke.ExecutionStatusSuccess, RequestBody: tc.body}
			}
			// The first result alone, so the writer holds a batch of one.
			w.results <- result()
			<-s.entered
			total := tc.waiting + 100
			var sent atomic.Int64
			sender := make(chan struct{})
			go func() {
				defer close(sender)
				for range total {
					w.results <- result()
					sent.Add(1)
				}
			}()
			want := int64(tc.waiting + cap(w.results))
			deadline := time.Now().Add(30 * time.Second)
			for sent.Load() < want && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			// Held at the bound: a completer that kept taking would let
			// the sender finish in well under this.
			time.Sleep(200 * time.Millisecond)
			if n := sent.Load(); n != want {
				t.Errorf("%d results taken while the writer was busy; want %d (%d waiting, %d in the channel)",
					n, want, tc.waiting, cap(w.results))
			}
			close(s.release)
			<-sender
			close(w.results)
			<-done
			if n := s.written.Load(); n != int64(total+1) {
				t.Errorf("%d results written; want %d", n, total+1)
			}
		})
	}
}
