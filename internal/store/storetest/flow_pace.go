package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// claimAs claims up to limit executions as node at now with a lookahead.
func claimAs(t testing.TB, s store.Store, node string, now time.Time, limit int, lookahead time.Duration) []*store.Claimed {
	t.Helper()
	res, err := s.ExecutionClaim(context.Background(), &store.ClaimParams{Node: node, Limit: limit, Now: now,
		LeaseGrace: 30 * time.Second, Lookahead: lookahead})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return res.Claimed
}

// wantOrder checks that cs are the executions want, in order, each at its
// slot (start, then step apart) and throttled for the whole wait from its
// original due instant (due): slot less due.
func wantOrder(t *testing.T, what string, cs []*store.Claimed, want []*prikke.Execution, due []time.Time, start time.Time, step time.Duration) {
	t.Helper()
	if len(cs) != len(want) {
		t.Fatalf("%s: claimed %d; want %d", what, len(cs), len(want))
	}
	for i, c := range cs {
		slot := start.Add(time.Duration(i) * step)
		e := c.Execution
		if e.ID != want[i].ID {
			t.Errorf("%s: claimed %d is %s; want %s (FIFO from the original due instants)", what, i, e.ID, want[i].ID)
			continue
		}
		if !e.DueAt.Equal(slot) || e.ThrottledMS != slot.Sub(due[i]).Milliseconds() {
			t.Errorf("%s: claimed %d due %v throttled %dms; want its slot %v, throttled %dms (slot less its original due instant)",
				what, i, e.DueAt, e.ThrottledMS, slot, slot.Sub(due[i]).Milliseconds())
		}
	}
}

// testFlowReleaseFIFO: a tagged execution released back to pending (the
// worker's give-back, a drain) gets its place in its key's line back: its
// due instant goes back from its slot to where it was (and throttled_ms
// to 0), so the next claim takes it before the key's later backlog, and
// its throttled_ms then counts the whole wait from its original due
// instant. Kept at its slot, it was claimed behind executions due after it.
// Claimed.Flow carries the key's limits on every flow-claimed execution,
// and is nil on an unlimited one.
func testFlowReleaseFIFO(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "fifo:443", func(k *prikke.FlowKey) { k.Rate, k.Parallelism = 20, 50 })
	es := backlog(t, s, flowJob(t, s, a, "fifo:443"), prikke.TierPro, 6, at(T0, time.Millisecond))
	due := func(i int) time.Time { return T0.Add(time.Duration(i) * time.Millisecond) }
	free := backlog(t, s, flowJob(t, s, a, "free:443"), prikke.TierPro, 1, at(T0, 0))

	c := claimAhead(t, s, T0, 10, 100*time.Millisecond)
	var flowed []*store.Claimed
	for _, cl := range c {
		if cl.Execution.ID == free[0].ID {
			if cl.Flow != nil {
				t.Errorf("unlimited execution: Flow = %+v; want nil", cl.Flow)
			}
			continue
		}
		flowed = append(flowed, cl)
		if f := cl.Flow; f == nil || f.Key != "fifo:443" || f.Rate != 20 || f.Period != time.Second || f.Burst != 1 ||
			f.Parallelism != 50 || f.Interval() != 50*time.Millisecond {
			t.Errorf("flow-claimed execution: Flow = %+v; want fifo:443's limits (20 per 1s, burst 1, parallelism 50)", f)
		}
	}
	if len(c) != 4 {
		t.Fatalf("claimed %d; want 4 (three of fifo:443 at 0, 50 and 100ms, and the unlimited one)", len(c))
	}
	wantOrder(t, "first claim", flowed, es[:3], []time.Time{due(0), due(1), due(2)}, T0, 50*time.Millisecond)

	// The second and third are given back (the worker missed their slots).
	if n, err := s.ExecutionRelease(ctx, "n", []prikke.ID{es[1].ID, es[2].ID}); err != nil || n != 2 {
		t.Fatalf("release = %d, %v; want 2", n, err)
	}
	for i := 1; i <= 2; i++ {
		got, err := s.ExecutionGet(ctx, es[i].ID)
		if err != nil || got.Status != prikke.ExecutionStatusPending || !got.DueAt.Equal(due(i)) || got.ThrottledMS != 0 {
			t.Fatalf("released %d = %+v, %v; want pending, due at its original %v, throttled 0", i, got, err, due(i))
		}
	}
	if k := getKey(t, s, a, "fifo:443", T0.Add(150*time.Millisecond)); k.Waiting != 5 || k.InFlight != 1 {
		t.Errorf("key = waiting %d, in flight %d; want 5 and 1", k.Waiting, k.InFlight)
	}
	// The key's next slot is 150ms: the released two come first, then the
	// rest of the line, though the rest was due before the released two's
	// old slots (50 and 100ms).
	c = claimAhead(t, s, T0.Add(150*time.Millisecond), 10, 100*time.Millisecond)
	wantOrder(t, "after the release", c, []*prikke.Execution{es[1], es[2], es[3]}, []time.Time{due(1), due(2), due(3)},
		T0.Add(150*time.Millisecond), 50*time.Millisecond)
	for i, cl := range c {
		if got, _ := s.ExecutionGet(ctx, cl.Execution.ID); got.ThrottledMS != cl.Execution.ThrottledMS || !got.DueAt.Equal(cl.Execution.DueAt) {
			t.Errorf("history of %d: throttled %dms due %v; want %dms and %v", i, got.ThrottledMS, got.DueAt, cl.Execution.ThrottledMS, cl.Execution.DueAt)
		}
	}
}

// testFlowRescueDeadFIFO: a dead node's unsent executions of a limited key
// go back to pending in their key's line, as a release does: due at their
// original instants, throttled 0, so another node claims them first, each
// throttled for the whole wait.
func testFlowRescueDeadFIFO(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "deadfifo:443", func(k *prikke.FlowKey) { k.Rate = 20 })
	start := T0.Add(-time.Second)
	es := backlog(t, s, flowJob(t, s, a, "deadfifo:443"), prikke.TierPro, 6, at(start, time.Millisecond))
	due := func(i int) time.Time { return start.Add(time.Duration(i) * time.Millisecond) }
	c := claimAs(t, s, "dead", T0, 10, 100*time.Millisecond)
	wantOrder(t, "the dead node's claim", c, es[:3], []time.Time{due(0), due(1), due(2)}, T0, 50*time.Millisecond)
	released, rescued, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: T0.Add(time.Second), DeadAfter: time.Minute, Limit: 100, Nodes: []string{"dead"}})
	if err != nil || released != 3 || rescued != 0 {
		t.Fatalf("rescue of the dead node = %d released, %d rescued, %v; want 3 and 0", released, rescued, err)
	}
	for i := range 3 {
		got, err := s.ExecutionGet(ctx, es[i].ID)
		if err != nil || got.Status != prikke.ExecutionStatusPending || !got.DueAt.Equal(due(i)) || got.ThrottledMS != 0 {
			t.Fatalf("released %d = %+v, %v; want pending, due at its original %v, throttled 0", i, got, err, due(i))
		}
	}
	now := T0.Add(time.Second)
	c = claimAs(t, s, "alive", now, 10, 200*time.Millisecond)
	wantOrder(t, "the live node's claim", c, es[:5], []time.Time{due(0), due(1), due(2), due(3), due(4)}, now, 50*time.Millisecond)
}

// testFlowReleaseSameInstant: a released execution goes back ahead of its
// key's backlog due at the very instant it was due (a burst queued at
// once): one claimed ahead at its due instant and given back unstarted (a
// drain), and one throttled by a fraction of a millisecond (throttled_ms
// is rounded up, so its due instant comes back at most a millisecond
// early, never late).
func testFlowReleaseSameInstant(t *testing.T, open Opener, cov *coverage) {
	ctx := context.Background()
	t.Run("claimed ahead", func(t *testing.T) {
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "tie:443", func(k *prikke.FlowKey) { k.Rate = 20 })
		es := backlog(t, s, flowJob(t, s, a, "tie:443"), prikke.TierPro, 4, at(T0, 0))
		c := claimAhead(t, s, T0.Add(-100*time.Millisecond), 10, 100*time.Millisecond)
		if len(c) != 1 || !c[0].Execution.DueAt.Equal(T0) || c[0].Execution.ThrottledMS != 0 {
			t.Fatalf("claim ahead = %d; want one at T0, not throttled", len(c))
		}
		first := c[0].Execution.ID
		if n, err := s.ExecutionRelease(ctx, "n", []prikke.ID{first}); err != nil || n != 1 {
			t.Fatalf("release = %d, %v", n, err)
		}
		if got, _ := s.ExecutionGet(ctx, first); !got.DueAt.Equal(T0) || got.ThrottledMS != 0 {
			t.Errorf("released: due %v throttled %dms; want T0 and 0", got.DueAt, got.ThrottledMS)
		}
		c = claimAhead(t, s, T0.Add(50*time.Millisecond), 10, 0)
		if len(c) != 1 || c[0].Execution.ID != first || c[0].Execution.ThrottledMS != 50 {
			t.Fatalf("claim at 50ms = %v; want the released %s (of the %d due at T0), throttled 50ms", ids(c), first, len(es))
		}
	})
	t.Run("throttled", func(t *testing.T) {
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "tie:443", func(k *prikke.FlowKey) { k.Rate = 20 })
		backlog(t, s, flowJob(t, s, a, "tie:443"), prikke.TierPro, 6, at(T0, 0))
		now := T0.Add(300 * time.Microsecond)
		c := claimAhead(t, s, now, 10, 100*time.Millisecond)
		if len(c) != 3 {
			t.Fatalf("claimed %d; want 3 (at 0.3, 50.3 and 100.3ms)", len(c))
		}
		for i, cl := range c {
			if want := int64(1 + 50*i); cl.Execution.ThrottledMS != want {
				t.Errorf("claimed %d throttled %dms; want %d (%v, rounded up)", i, cl.Execution.ThrottledMS, want, cl.Execution.DueAt.Sub(T0))
			}
		}
		third := c[2].Execution.ID
		if n, err := s.ExecutionRelease(ctx, "n", []prikke.ID{third}); err != nil || n != 1 {
			t.Fatalf("release = %d, %v", n, err)
		}
		got, _ := s.ExecutionGet(ctx, third)
		if early := T0.Sub(got.DueAt); early < 0 || early >= time.Millisecond || got.ThrottledMS != 0 {
			t.Errorf("released: due %v (%v before T0) throttled %dms; want T0 or under a millisecond before it, and 0", got.DueAt, early, got.ThrottledMS)
		}
		c = claimAhead(t, s, now.Add(150*time.Millisecond), 10, 0)
		if len(c) != 1 || c[0].Execution.ID != third {
			t.Fatalf("claim at 150.3ms = %v; want the released %s, ahead of the backlog due at T0", ids(c), third)
		}
		if th := c[0].Execution.ThrottledMS; th < 151 || th > 152 {
			t.Errorf("throttled %dms; want 151 (150.3ms from T0, rounded up) or one more", th)
		}
	})
}
