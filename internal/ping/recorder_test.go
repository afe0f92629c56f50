package ping

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// gatedStore is a real store whose PingsRecord waits at a gate and counts
// the batches it was given.
type gatedStore struct {
	store.Store
	gate chan struct{} // closed to let writes through
	in   chan int      // each batch's size, on entering PingsRecord

	mu      sync.Mutex
	batches []int
	fail    error // when set, every write fails with it
}

func (g *gatedStore) PingsRecord(ctx context.Context, ps []*prikke.Ping, step store.PingStep) ([]prikke.ID, error) {
	g.in <- len(ps)
	<-g.gate
	g.mu.Lock()
	g.batches = append(g.batches, len(ps))
	fail := g.fail
	g.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	return g.Store.PingsRecord(ctx, ps, step)
}

// newMonitorIn creates a period monitor straight in the store.
func newMonitorIn(t *testing.T, st store.Store, tn *storetest.Tenant, slug string) *prikke.Monitor {
	t.Helper()
	m := &prikke.Monitor{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Name: slug, Slug: slug,
		PingToken: uuid.NewString(), BadgeToken: uuid.NewString(), Period: time.Hour, Grace: time.Hour,
		NotifyMode: prikke.NotifyMuted, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	m.Status = prikke.MonitorNew
	if err := monitor.Validate(m); err != nil {
		t.Fatal(err)
	}
	if err := st.MonitorCreate(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func testPing(m *prikke.Monitor, at time.Time) *prikke.Ping {
	return &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, Kind: prikke.PingSuccess,
		Method: "GET", SourceIP: "127.0.0.1", CreatedAt: at}
}

// While a batch is being written, the pings that arrive queue up and go
// together in the next transaction; Stop writes what is queued before it
// returns, and refuses pings after.
func TestRecorderBatchesAndDrains(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		tn := storetest.NewTenant(t, st, prikke.TierPro)
		m := newMonitorIn(t, st, tn, "batched")
		g := &gatedStore{Store: st, gate: make(chan struct{}), in: make(chan int, 100)}
		r := NewRecorder(g, monitor.OnPing, RecorderConfig{Writers: 1, MaxWait: time.Millisecond}, nil)
		r.Start(context.Background())

		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		record := func(i int) {
			wg.Go(func() {
				errs <- r.Record(context.Background(), testPing(m, storetest.T0.Add(time.Duration(i)*time.Second)))
			})
		}
		record(0)
		if size := <-g.in; size != 1 {
			t.Fatalf("first batch of %d; want 1", size)
		}
		// The first batch is held at the gate: the rest queue behind it.
		for i := 1; i < n; i++ {
			record(i)
		}
		for len(r.queues[0]) < n-1 {
			time.Sleep(time.Millisecond)
		}
		stopped := make(chan struct{})
		go func() { r.Stop(); close(stopped) }()
		for !r.isStopped() {
			time.Sleep(time.Millisecond)
		}
		if err := r.Record(context.Background(), testPing(m, storetest.T0)); !errors.Is(err, ErrStopped) {
			t.Errorf("Record after Stop: %v; want ErrStopped", err)
		}
		close(g.gate)
		<-stopped
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if len(g.batches) != 2 || g.batches[1] != n-1 {
			t.Errorf("batches %v; want [1 %d]", g.batches, n-1)
		}
		ps, err := st.PingList(context.Background(), store.PingFilter{MonitorID: m.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.MonitorGet(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != n || got.ConsecutiveSuccesses != n {
			t.Errorf("%d pings stored, %d successes counted; want %d", len(ps), got.ConsecutiveSuccesses, n)
		}
	})
}

// A batch whose transaction fails answers every ping with the error;
// pings of a monitor that no longer exists are answered ErrDropped while
// the rest of their batch is stored.
func TestRecorderErrorsAndDropped(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, st store.Store) {
		tn := storetest.NewTenant(t, st, prikke.TierPro)
		kept, gone := newMonitorIn(t, st, tn, "kept"), newMonitorIn(t, st, tn, "gone")
		if err := st.MonitorDelete(context.Background(), gone.ID); err != nil {
			t.Fatal(err)
		}
		g := &gatedStore{Store: st, gate: make(chan struct{}), in: make(chan int, 100)}
		r := NewRecorder(g, monitor.OnPing, RecorderConfig{Writers: 1}, nil)
		r.Start(context.Background())
		defer r.Stop()
		close(g.gate)
		if err := r.Record(context.Background(), testPing(gone, storetest.T0)); !errors.Is(err, ErrDropped) {
			t.Errorf("ping of a deleted monitor: %v; want ErrDropped", err)
		}
		if err := r.Record(context.Background(), testPing(kept, storetest.T0)); err != nil {
			t.Errorf("ping of a kept monitor: %v", err)
		}
		unavailable := prikke.Errorf(prikke.EUNAVAILABLE, "The database is unavailable.")
		g.mu.Lock()
		g.fail = unavailable
		g.mu.Unlock()
		if err := r.Record(context.Background(), testPing(kept, storetest.T0)); !errors.Is(err, unavailable) {
			t.Errorf("ping while the store fails: %v; want its error", err)
		}
	})
}

// isStopped reports whether Stop has begun.
func (r *Recorder) isStopped() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.stopped
}
