package worker_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// slowClaimStore hands the worker its first flow-claimed batch late, as a
// loaded process would take it up late: the claim (the real store's) has
// given the executions their slots, and the worker sees them delay later.
// It records each execution's claims and what Claimed.Flow carried.
type slowClaimStore struct {
	store.Store
	delay time.Duration
	// always delays every flow-claimed batch, not only the first.
	always bool

	mu      sync.Mutex
	delayed bool
	claims  map[prikke.ID][]*store.Claimed
}

func (s *slowClaimStore) ExecutionClaim(ctx context.Context, p *store.ClaimParams) (*store.ClaimResult, error) {
	r, err := s.Store.ExecutionClaim(ctx, p)
	if err != nil {
		return r, err
	}
	s.mu.Lock()
	flow := false
	for _, c := range r.Claimed {
		s.claims[c.Execution.ID] = append(s.claims[c.Execution.ID], c)
		flow = flow || c.Flow != nil
	}
	wait := flow && (!s.delayed || s.always)
	s.delayed = s.delayed || flow
	s.mu.Unlock()
	if wait {
		time.Sleep(s.delay)
	}
	return r, err
}

func (s *slowClaimStore) claimsOf(id prikke.ID) []*store.Claimed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*store.Claimed(nil), s.claims[id]...)
}

// A rate-limited execution that the worker would start more than one
// interval (Period/Rate) after its slot is not started: it is given back
// (not an attempt, not counted as throttled), the next claim gives it a
// fresh slot, and it is delivered once, on its first attempt, within an
// interval of that slot. Its throttled_ms is the whole wait from its due
// instant. Without the give-back it would be delivered at once from the
// first claim, 1.5s after its slot.
func TestMissedSlotGivenBack(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, st store.Store) {
		s := &slowClaimStore{Store: st, delay: 1500 * time.Millisecond, claims: map[prikke.ID][]*store.Claimed{}}
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		ctx := context.Background()
		key := prikke.DefaultFlowKey(sk.URL("/"))
		if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: key, Rate: 1, Period: time.Second, Burst: 1, Configured: true}); err != nil {
			t.Fatal(err)
		}
		due := dbNow(t, s)
		j, e := flowOnce(t, s, tn, sk.URL("/ok"), due)
		_, m := flowWorker(t, s, []netip.AddrPort{sk.Addr()}, nil)
		waitFor(t, "the delivery", func() bool { return mustGet(t, s, e.ID).Status.Terminal() })

		// Late from the first claim, given back, claimed again. A loaded
		// machine may miss the fresh slot too and give it back again (at
		// most SlotGiveBacks times, then it starts late): the counts below
		// hold whichever claim delivered it.
		cs := s.claimsOf(e.ID)
		if len(cs) < 2 || len(cs) > worker.SlotGiveBacks+1 {
			t.Fatalf("claimed %d times; want 2 (late from the first claim, given back, claimed again), or up to %d on a loaded machine", len(cs), worker.SlotGiveBacks+1)
		}
		for i, c := range cs {
			if c.Flow == nil || c.Flow.Rate != 1 || c.Flow.Period != time.Second || c.Flow.Key != key {
				t.Fatalf("claim %d: Flow = %+v; want the key's limits (1 per 1s)", i+1, c.Flow)
			}
			if i > 0 && !c.Execution.DueAt.After(cs[i-1].Execution.DueAt) {
				t.Errorf("claim %d's slot %v not after the one before, %v", i+1, c.Execution.DueAt, cs[i-1].Execution.DueAt)
			}
		}
		second := cs[len(cs)-1].Execution.DueAt
		forced := len(cs) == worker.SlotGiveBacks+1 // given back as often as allowed, then started late
		got := mustGet(t, s, e.ID)
		if got.Status != prikke.ExecutionStatusSuccess || got.Attempt != 1 || delivered(sk, j) != 1 || len(executions(t, s, j)) != 1 {
			t.Fatalf("execution = %s attempt %d, %d rows, delivered %d times; want one successful first attempt delivered once",
				got.Status, got.Attempt, len(executions(t, s, j)), delivered(sk, j))
		}
		if !got.DueAt.Equal(second) {
			t.Errorf("due_at = %v; want the second slot %v", got.DueAt, second)
		}
		if late := got.StartedAt.Sub(got.DueAt); got.StartedAt == nil || late < 0 || (late > time.Second && !forced) {
			t.Errorf("started %v after its slot; want within the interval (1s)", late)
		}
		// The released row went back to its due instant, so the second
		// claim's throttled_ms counts from there: each claim rounds up to
		// the millisecond, and the release may put the due instant back up
		// to a millisecond early.
		if want := second.Sub(due).Milliseconds(); got.ThrottledMS < want || got.ThrottledMS > want+2 {
			t.Errorf("throttled_ms = %d; want %d to %d (second slot less the original due instant, rounded up)", got.ThrottledMS, want, want+2)
		}
		p := `{project_id="` + tn.Project.ID.String() + `"}`
		if n := metric(t, m, "prikke_flow_throttled_total"+p); n != 1 {
			t.Errorf("prikke_flow_throttled_total = %v; want 1 (the start, not the give-back)", n)
		}
	})
}

// A node so loaded that it misses every rate slot gives an execution back
// worker.SlotGiveBacks times and then starts it late rather than give it back for
// ever: a key must not starve because its nodes are busy.
func TestMissedSlotTwiceStartsLate(t *testing.T) {
	t.Parallel()
	flowDialects(t, func(t *testing.T, st store.Store) {
		s := &slowClaimStore{Store: st, delay: 1500 * time.Millisecond, always: true, claims: map[prikke.ID][]*store.Claimed{}}
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		ctx := context.Background()
		key := prikke.DefaultFlowKey(sk.URL("/"))
		if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: key, Rate: 1, Period: time.Second, Burst: 1, Configured: true}); err != nil {
			t.Fatal(err)
		}
		j, e := flowOnce(t, s, tn, sk.URL("/ok"), dbNow(t, s))
		flowWorker(t, s, []netip.AddrPort{sk.Addr()}, nil)
		waitFor(t, "the delivery", func() bool { return mustGet(t, s, e.ID).Status.Terminal() })
		if cs := s.claimsOf(e.ID); len(cs) != worker.SlotGiveBacks+1 {
			t.Fatalf("claimed %d times; want %d (given back %d times, then started late)", len(cs), worker.SlotGiveBacks+1, worker.SlotGiveBacks)
		}
		if got := mustGet(t, s, e.ID); got.Status != prikke.ExecutionStatusSuccess || got.Attempt != 1 || delivered(sk, j) != 1 {
			t.Fatalf("execution = %s attempt %d, delivered %d times; want one successful first attempt", got.Status, got.Attempt, delivered(sk, j))
		}
	})
}
