package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/store/storetest"
)

// dueStore says something is due now at every look, while its claims (the
// real store's) find nothing: as when a flow key's row is locked by
// another node's claim, or made in the last second (which claims see
// within a second).
type dueStore struct{ countStore }

func (d *dueStore) ExecutionNextDue(ctx context.Context) (time.Time, bool, error) {
	d.nextDue.Add(1)
	now, err := d.Store.Now(ctx)
	return now, err == nil, err
}

// A next due instant the claim keeps back does not make the dispatcher
// spin: each look in a row waits twice as long, up to 100ms. (Before, it
// looked again every millisecond: hundreds of claims a second.)
func TestNoSpinOnDueKeptBack(t *testing.T) {
	t.Parallel()
	s := &dueStore{countStore{Store: storetest.OpenSQLite(t)}}
	w := startWorker(t, s, nil, nil, nil)
	time.Sleep(1500 * time.Millisecond)
	w.Stop()
	claims := s.claims.Load()
	t.Logf("%d claims and %d next-due looks in 1.5s", claims, s.nextDue.Load())
	if claims == 0 {
		t.Fatal("no claim at all")
	}
	// 1+2+4+…+64ms, then 100ms each: about 20 in 1.5s.
	if claims > 40 {
		t.Errorf("%d claims in 1.5s with nothing to claim; the dispatcher spins", claims)
	}
}
