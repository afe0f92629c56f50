package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// Flow control (flow.go, FLOW semantics): keys with a row are claimed
// through the flow path, FIFO per key, at GCRA slots and under their
// parallelism; every clock here is injected (ClaimParams.Now and the now
// parameters), so nothing depends on how fast the machine is.
func testFlow(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"Keys":        testFlowKeys,
		"KeysLimit":   testFlowKeysLimit,
		"Rate":        testFlowRate,
		"Window":      testFlowWindow,
		"Parallelism": testFlowParallelism,
		"OrgRoom":     testFlowOrgRoom,
		"Pause":       testFlowPause,
		"BusyKey":     testFlowBusyKey,
		"Tagging":     testFlowTagging,
		"Hold":        testFlowHold,
		"NextDue":     testFlowNextDue,
		"Retry":       testFlowRetry,
		"Wake":        testFlowWake,
		"RescueDead":  testFlowRescueDead,
		"KeyOrder":    testFlowKeyOrder,
		"LimitKinds":  testFlowKeysLimitKinds,
		"PutLimits":   testFlowKeyPutLimits,
		"Recreate":    testFlowRecreate,
		"ReleaseFIFO": testFlowReleaseFIFO,
		"DeadFIFO":    testFlowRescueDeadFIFO,
		"SameInstant": testFlowReleaseSameInstant,
		"HoldBound":   testFlowHoldBound,
		"Prune":       testFlowPrune,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// flowJob creates a one-time job (next run T0, timeout 10s) that names
// the flow key key; its executions (NewExecution, backlog) carry it.
func flowJob(t testing.TB, s store.Store, tn *Tenant, key string) *prikke.Job {
	t.Helper()
	return NewJob(t, s, tn, func(j *prikke.Job) {
		Once(T0)(j)
		j.FlowKey, j.TimeoutMS = key, 10000
	})
}

// backlog writes n pending first attempts of j (a job from NewJob with a
// NextRunAt, which stays as it is) in one OccurrencesWrite, the i-th due
// at due(i).
func backlog(t testing.TB, s store.Store, j *prikke.Job, tier prikke.Tier, n int, due func(i int) time.Time) []*prikke.Execution {
	t.Helper()
	w := &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: *j.NextRunAt, NextRunAt: j.NextRunAt}
	for i := range n {
		at := due(i)
		w.Executions = append(w.Executions, &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID,
			OrganizationID: j.OrganizationID, ScheduledFor: T0.Add(-time.Duration(i+1) * time.Second), DueAt: at, Attempt: 1,
			Status: prikke.ExecutionStatusPending, Priority: prikke.Priority(tier, j.Kind, j.IntervalMinutes),
			FlowKey: j.Flow(), CreatedAt: T0})
	}
	if got, err := s.OccurrencesWrite(context.Background(), []*store.OccurrenceWrite{w}); err != nil || got != n {
		t.Fatalf("backlog of %d: wrote %d, %v", n, got, err)
	}
	return w.Executions
}

// at returns a due function: start, then step apart.
func at(start time.Time, step time.Duration) func(int) time.Time {
	return func(i int) time.Time { return start.Add(time.Duration(i) * step) }
}

// putKey creates or replaces a key of tn's project: 1 per second, burst 1
// and no limits unless edit sets them.
func putKey(t testing.TB, s store.Store, tn *Tenant, key string, edit func(k *prikke.FlowKey)) *prikke.FlowKey {
	t.Helper()
	k := &prikke.FlowKey{ProjectID: tn.Project.ID, Key: key, Period: time.Second, Burst: 1, Configured: true, CreatedAt: T0, UpdatedAt: T0}
	if edit != nil {
		edit(k)
	}
	got, _, err := s.FlowKeyPut(context.Background(), k)
	if err != nil {
		t.Fatalf("put flow key %s: %v", key, err)
	}
	return got
}

// getKey returns a key with its live figures at now.
func getKey(t testing.TB, s store.Store, tn *Tenant, key string, now time.Time) *prikke.FlowKey {
	t.Helper()
	k, err := s.FlowKeyGet(context.Background(), tn.Project.ID, key, now)
	if err != nil {
		t.Fatalf("get flow key %s: %v", key, err)
	}
	return k
}

// claimAhead claims up to limit executions at now with a lookahead.
func claimAhead(t testing.TB, s store.Store, now time.Time, limit int, lookahead time.Duration) []*store.Claimed {
	t.Helper()
	res, err := s.ExecutionClaim(context.Background(), &store.ClaimParams{Node: "n", Limit: limit, Now: now,
		LeaseGrace: 30 * time.Second, Lookahead: lookahead})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return res.Claimed
}

// byKey counts claimed executions per flow key.
func byKey(cs []*store.Claimed) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		m[c.Execution.FlowKey]++
	}
	return m
}

// ids returns the claimed executions' IDs in order.
func ids(cs []*store.Claimed) []prikke.ID {
	out := make([]prikke.ID, len(cs))
	for i, c := range cs {
		out[i] = c.Execution.ID
	}
	return out
}

// listening subscribes to topic and returns once events arrive (on
// PostgreSQL, LISTEN starts asynchronously), with none pending.
func listening(t *testing.T, s store.Store, topic store.Topic) *store.Subscription {
	t.Helper()
	sub := s.Subscribe(topic)
	t.Cleanup(sub.Close)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.Publish(context.Background(), topic, ""); err != nil {
			t.Fatal(err)
		}
		select {
		case <-sub.C:
			time.Sleep(50 * time.Millisecond) // let echoes of earlier publishes arrive
			for len(sub.C) > 0 {
				<-sub.C
			}
			return sub
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("subscription never heard a publish")
			}
		}
	}
}

func tp(t time.Time) *time.Time { return &t }

// sameTime reports whether two optional instants are equal.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func testFlowKeys(t *testing.T, open Opener, cov *coverage) {
	cov.covers("FlowKeyPut", "FlowKeyGet", "FlowKeyList", "FlowKeyDelete", "FlowKeySetPaused", "FlowKeyHold", "FlowKeyRelease")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	_, err := s.FlowKeyGet(ctx, a.Project.ID, "api.example.com:443", T0)
	Errcode(t, err, prikke.ENOTFOUND)
	Errcode(t, s.FlowKeyDelete(ctx, a.Project.ID, "api.example.com:443"), prikke.ENOTFOUND)
	_, err = s.FlowKeyRelease(ctx, a.Project.ID, "api.example.com:443")
	Errcode(t, err, prikke.ENOTFOUND)

	k := &prikke.FlowKey{ProjectID: a.Project.ID, Key: "api.example.com:443", Rate: 20, Period: time.Second, Burst: 2, Parallelism: 5,
		Configured: true, CreatedAt: T0, UpdatedAt: T0}
	got, created, err := s.FlowKeyPut(ctx, k)
	if err != nil || !created {
		t.Fatalf("first put = %v, %v; want created", created, err)
	}
	if got.ID == prikke.NilID || got.ProjectID != a.Project.ID || got.Key != k.Key || got.Rate != 20 || got.Period != time.Second ||
		got.Burst != 2 || got.Parallelism != 5 || got.Paused || !got.Configured || got.TAT != nil || got.HeldUntil != nil ||
		got.Waiting != 0 || got.InFlight != 0 || got.NextSlot != nil {
		t.Errorf("put returned %+v", got)
	}
	// A second put replaces the limits (a PUT replaces them whole) and
	// keeps the row.
	got2, created, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: a.Project.ID, Key: k.Key, Rate: 3, Period: time.Minute, Burst: 1,
		Configured: true, CreatedAt: T0.Add(time.Hour), UpdatedAt: T0.Add(time.Hour)})
	if err != nil || created {
		t.Fatalf("second put = %v, %v; want replaced", created, err)
	}
	if got2.ID != got.ID || got2.Rate != 3 || got2.Period != time.Minute || got2.Burst != 1 || got2.Parallelism != 0 ||
		!got2.CreatedAt.Equal(T0) || !got2.UpdatedAt.Equal(T0.Add(time.Hour)) {
		t.Errorf("replaced key = %+v; want the same row with the new limits, created at T0, updated an hour later", got2)
	}
	if g := getKey(t, s, a, k.Key, T0); g.ID != got.ID || g.Rate != 3 || g.Period != time.Minute {
		t.Errorf("get = %+v", g)
	}

	// Pausing a key without a row creates one: configured, no limits.
	p, err := s.FlowKeySetPaused(ctx, a.Project.ID, "billing", true)
	if err != nil || !p.Paused || !p.Configured || p.Rate != 0 || p.Parallelism != 0 || p.Key != "billing" {
		t.Fatalf("pause of a new key = %+v, %v", p, err)
	}
	putKey(t, s, b, "billing", nil) // another project's key of the same name
	l, err := s.FlowKeyList(ctx, a.Project.ID, T0)
	if err != nil || len(l) != 2 || l[0].Key != "api.example.com:443" || l[1].Key != "billing" || !l[1].Paused {
		t.Fatalf("list = %v, %v; want the project's two keys by key", l, err)
	}
	if p, err := s.FlowKeySetPaused(ctx, a.Project.ID, "billing", false); err != nil || p.Paused {
		t.Errorf("resume = %+v, %v", p, err)
	}
	if err := s.FlowKeyDelete(ctx, a.Project.ID, "billing"); err != nil {
		t.Fatal(err)
	}
	_, err = s.FlowKeyGet(ctx, a.Project.ID, "billing", T0)
	Errcode(t, err, prikke.ENOTFOUND)
	if g := getKey(t, s, b, "billing", T0); g.ProjectID != b.Project.ID {
		t.Errorf("deleting a's key touched b's: %+v", g)
	}

	// A hold creates an unconfigured row, and only lengthens.
	const reason = "503 Service Unavailable, Retry-After 60s"
	if err := s.FlowKeyHold(ctx, a.Project.ID, "held:443", T0.Add(time.Minute), reason); err != nil {
		t.Fatal(err)
	}
	h := getKey(t, s, a, "held:443", T0)
	if h.Configured || h.Paused || h.Rate != 0 || !sameTime(h.HeldUntil, tp(T0.Add(time.Minute))) || h.HoldReason != reason ||
		!sameTime(h.NextSlot, tp(T0.Add(time.Minute))) {
		t.Errorf("held key = %+v; want unconfigured, held a minute, next slot at the hold's end", h)
	}
	if err := s.FlowKeyHold(ctx, a.Project.ID, "held:443", T0.Add(30*time.Second), "429 Too Many Requests, Retry-After 30s"); err != nil {
		t.Fatal(err)
	}
	if h := getKey(t, s, a, "held:443", T0); !sameTime(h.HeldUntil, tp(T0.Add(time.Minute))) || h.HoldReason != reason {
		t.Errorf("a shorter hold changed the key: %v %q", h.HeldUntil, h.HoldReason)
	}
	const longer = "429 Too Many Requests, Retry-After 120s"
	if err := s.FlowKeyHold(ctx, a.Project.ID, "held:443", T0.Add(2*time.Minute), longer); err != nil {
		t.Fatal(err)
	}
	if h := getKey(t, s, a, "held:443", T0); !sameTime(h.HeldUntil, tp(T0.Add(2*time.Minute))) || h.HoldReason != longer {
		t.Errorf("a longer hold = %v %q; want it lengthened with its reason", h.HeldUntil, h.HoldReason)
	}
	// After the hold's end the key is not held, and NextSlot is nil.
	if h := getKey(t, s, a, "held:443", T0.Add(3*time.Minute)); h.NextSlot != nil {
		t.Errorf("next slot after the hold = %v; want nil", h.NextSlot)
	}
	// Configuring a held key keeps the hold; a release ends it.
	c := putKey(t, s, a, "held:443", func(k *prikke.FlowKey) { k.Parallelism = 2 })
	if !c.Configured || c.Parallelism != 2 || !sameTime(c.HeldUntil, tp(T0.Add(2*time.Minute))) {
		t.Errorf("put on a held key = %+v; want configured and still held", c)
	}
	r, err := s.FlowKeyRelease(ctx, a.Project.ID, "held:443")
	if err != nil || r.HeldUntil != nil || r.Parallelism != 2 {
		t.Errorf("release = %+v, %v; want no hold, limits kept", r, err)
	}
	if h := getKey(t, s, a, "held:443", T0); h.HeldUntil != nil || h.NextSlot != nil {
		t.Errorf("released key = %+v", h)
	}
	// Pausing a configured key keeps its limits; a put keeps the pause.
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "held:443", true); err != nil {
		t.Fatal(err)
	}
	if c := putKey(t, s, a, "held:443", func(k *prikke.FlowKey) { k.Rate = 7 }); !c.Paused || c.Rate != 7 || c.Parallelism != 0 {
		t.Errorf("put on a paused key = %+v; want still paused, the new limits", c)
	}
}

func testFlowKeysLimit(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	for i := range prikke.FlowKeysPerProject {
		putKey(t, s, a, fmt.Sprintf("key-%03d", i), func(k *prikke.FlowKey) { k.Rate = 1 })
	}
	_, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: a.Project.ID, Key: "one-too-many", Period: time.Second, Burst: 1,
		Configured: true, CreatedAt: T0, UpdatedAt: T0})
	Errcode(t, err, prikke.ECONFLICT)
	if _, err := s.FlowKeyGet(ctx, a.Project.ID, "one-too-many", T0); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("the refused key exists: %v", err)
	}
	// Replacing an existing key at the limit is fine, and so is another
	// project's key.
	if g := putKey(t, s, a, "key-000", func(k *prikke.FlowKey) { k.Rate = 2 }); g.Rate != 2 {
		t.Errorf("replace at the limit = %+v", g)
	}
	putKey(t, s, b, "one-too-many", nil)
	if l, _ := s.FlowKeyList(ctx, a.Project.ID, T0); len(l) != prikke.FlowKeysPerProject {
		t.Errorf("list has %d keys", len(l))
	}
}

// testFlowRate: the GCRA arithmetic across successive claims.
func testFlowRate(t *testing.T, open Opener, cov *coverage) {
	ctx := context.Background()
	t.Run("20/s", func(t *testing.T) {
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "rate:443", func(k *prikke.FlowKey) { k.Rate = 20 })
		j := flowJob(t, s, a, "rate:443")
		backlog(t, s, j, prikke.TierPro, 10, at(T0, 0))
		c := claimAhead(t, s, T0, 10, 0)
		if len(c) != 1 || !c[0].Execution.DueAt.Equal(T0) || c[0].Execution.ThrottledMS != 0 || c[0].Execution.FlowKey != "rate:443" {
			t.Fatalf("first claim = %d; want one, at T0, not throttled", len(c))
		}
		if c := claimAhead(t, s, T0, 10, 0); len(c) != 0 {
			t.Fatalf("a second claim at T0 took %d; the next slot is 50ms later", len(c))
		}
		c = claimAhead(t, s, T0, 10, 200*time.Millisecond)
		if len(c) != 4 {
			t.Fatalf("claim with a 200ms lookahead = %d; want 4 (slots at 50, 100, 150, 200ms)", len(c))
		}
		for i, cl := range c {
			slot := T0.Add(time.Duration(i+1) * 50 * time.Millisecond)
			e := cl.Execution
			if !e.DueAt.Equal(slot) || e.ThrottledMS != int64(50*(i+1)) || !e.ClaimedAt.Equal(T0) ||
				!e.LeaseExpiresAt.Equal(slot.Add(40*time.Second)) || e.Status != prikke.ExecutionStatusRunning || e.ClaimedBy != "n" {
				t.Errorf("claimed %d = due %v throttled %dms claimed %v lease %v; want due at its slot %v, throttled %dms, lease from the slot",
					i, e.DueAt, e.ThrottledMS, e.ClaimedAt, e.LeaseExpiresAt, slot, 50*(i+1))
			}
		}
		if got, _ := s.ExecutionGet(ctx, c[3].Execution.ID); got.ThrottledMS != 200 || !got.DueAt.Equal(T0.Add(200*time.Millisecond)) {
			t.Errorf("history: throttled %dms due %v; want 200ms and the slot", got.ThrottledMS, got.DueAt)
		}
		if c := claimAhead(t, s, T0.Add(210*time.Millisecond), 10, 0); len(c) != 0 {
			t.Fatalf("claim at 210ms took %d; the next slot is at 250ms", len(c))
		}
		k := getKey(t, s, a, "rate:443", T0.Add(210*time.Millisecond))
		if !sameTime(k.TAT, tp(T0.Add(250*time.Millisecond))) || !sameTime(k.NextSlot, tp(T0.Add(250*time.Millisecond))) ||
			k.InFlight != 5 || k.Waiting != 5 {
			t.Errorf("key = tat %v next %v in flight %d waiting %d; want 250ms, 250ms, 5, 5", k.TAT, k.NextSlot, k.InFlight, k.Waiting)
		}
		if c := claimAhead(t, s, T0.Add(250*time.Millisecond), 10, 0); len(c) != 1 || !c[0].Execution.DueAt.Equal(T0.Add(250*time.Millisecond)) {
			t.Fatalf("claim at 250ms = %d; want one at its slot", len(c))
		}
		// After a quiet spell, burst 1 still starts one at a time.
		if c := claimAhead(t, s, T0.Add(time.Second), 10, 0); len(c) != 1 || !c[0].Execution.DueAt.Equal(T0.Add(time.Second)) {
			t.Fatalf("claim after a quiet spell = %d; want one, now", len(c))
		}
		if k := getKey(t, s, a, "rate:443", T0.Add(time.Second)); !sameTime(k.NextSlot, tp(T0.Add(1050*time.Millisecond))) {
			t.Errorf("next slot = %v; want 1.05s", k.NextSlot)
		}
	})
	t.Run("burst", func(t *testing.T) {
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "burst:443", func(k *prikke.FlowKey) { k.Rate, k.Burst = 20, 5 })
		j := flowJob(t, s, a, "burst:443")
		backlog(t, s, j, prikke.TierPro, 10, at(T0, 0))
		c := claimAhead(t, s, T0, 10, 0)
		if len(c) != 5 {
			t.Fatalf("burst claim = %d; want 5 at once", len(c))
		}
		for _, cl := range c {
			if !cl.Execution.DueAt.Equal(T0) {
				t.Errorf("burst slot %v; want T0", cl.Execution.DueAt)
			}
		}
		if c := claimAhead(t, s, T0, 10, 0); len(c) != 0 {
			t.Fatalf("after the burst, %d more at T0", len(c))
		}
		// TAT = T0 + 5×50ms; tolerance 4×50ms: the next slot is at 50ms.
		if k := getKey(t, s, a, "burst:443", T0); !sameTime(k.NextSlot, tp(T0.Add(50*time.Millisecond))) || !sameTime(k.TAT, tp(T0.Add(250*time.Millisecond))) {
			t.Errorf("after the burst: next slot %v, tat %v; want 50ms, 250ms", k.NextSlot, k.TAT)
		}
		if c := claimAhead(t, s, T0.Add(50*time.Millisecond), 10, 0); len(c) != 1 {
			t.Fatalf("claim at 50ms = %d; want 1", len(c))
		}
		// A quiet spell refills the burst.
		if c := claimAhead(t, s, T0.Add(2*time.Second), 10, 0); len(c) != 4 {
			t.Fatalf("claim after a quiet spell = %d; want the 4 left, at once", len(c))
		}
	})
	t.Run("per minute", func(t *testing.T) {
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "slow:443", func(k *prikke.FlowKey) { k.Rate, k.Period = 2, time.Minute })
		j := flowJob(t, s, a, "slow:443")
		backlog(t, s, j, prikke.TierPro, 5, at(T0, 0))
		if c := claimAhead(t, s, T0, 10, 0); len(c) != 1 {
			t.Fatalf("claim at T0 = %d; want 1", len(c))
		}
		if c := claimAhead(t, s, T0.Add(29*time.Second), 10, 0); len(c) != 0 {
			t.Fatalf("claim at 29s = %d; want none (2 a minute: 30s apart)", len(c))
		}
		if c := claimAhead(t, s, T0.Add(30*time.Second), 10, 0); len(c) != 1 || !c[0].Execution.DueAt.Equal(T0.Add(30*time.Second)) {
			t.Fatalf("claim at 30s = %d; want 1", len(c))
		}
		if c := claimAhead(t, s, T0.Add(30*time.Second), 10, 30*time.Second); len(c) != 1 || !c[0].Execution.DueAt.Equal(T0.Add(time.Minute)) ||
			c[0].Execution.ThrottledMS != 60000 {
			t.Fatalf("claim at 30s with 30s ahead = %d; want 1 slotted at 1m, throttled 60s", len(c))
		}
	})
	t.Run("retuned", func(t *testing.T) {
		// A key sped up does not wait out the slots of its old rate.
		s := open(t)
		a := NewTenant(t, s, prikke.TierPro)
		putKey(t, s, a, "tune:443", func(k *prikke.FlowKey) { k.Rate, k.Period = 1, time.Hour })
		j := flowJob(t, s, a, "tune:443")
		backlog(t, s, j, prikke.TierPro, 5, at(T0, 0))
		if c := claimAhead(t, s, T0, 10, 0); len(c) != 1 {
			t.Fatalf("claim at T0 = %d; want 1", len(c))
		}
		now := T0.Add(time.Second)
		putKey(t, s, a, "tune:443", func(k *prikke.FlowKey) { k.Rate, k.UpdatedAt = 10, now })
		k := getKey(t, s, a, "tune:443", now)
		if !sameTime(k.TAT, tp(now.Add(100*time.Millisecond))) {
			t.Fatalf("after 1/h became 10/s the TAT is %v; want capped at now + 100ms", k.TAT)
		}
		if c := claimAhead(t, s, now, 10, 250*time.Millisecond); len(c) != 2 || !c[0].Execution.DueAt.Equal(now.Add(100*time.Millisecond)) {
			t.Fatalf("claim after the new rate = %d; want 2, the first at now + 100ms", len(c))
		}
	})
}

// testFlowWindow: over many claims at an advancing clock, with limits and
// lookaheads that cut across slots, no window of Period holds more than
// Rate + Burst - 1 slots, slots follow FIFO order, and the rate is not
// undershot either.
func testFlowWindow(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	const rate, burst, n = 5, 3, 120
	putKey(t, s, a, "window:443", func(k *prikke.FlowKey) { k.Rate, k.Burst = rate, burst })
	j := flowJob(t, s, a, "window:443")
	es := backlog(t, s, j, prikke.TierPro, n, at(T0, 10*time.Millisecond))
	slot := map[prikke.ID]time.Time{}
	var slots []time.Time
	for i := 0; len(slots) < n && i < 1000; i++ {
		now := T0.Add(time.Duration(i) * 130 * time.Millisecond)
		for _, c := range claimAhead(t, s, now, 1+i%4, time.Duration(i%3)*100*time.Millisecond) {
			e := c.Execution
			if _, dup := slot[e.ID]; dup {
				t.Fatalf("execution %v claimed twice", e.ID)
			}
			if e.DueAt.Before(now) {
				t.Errorf("slot %v before the claim at %v", e.DueAt, now)
			}
			slot[e.ID] = e.DueAt
			slots = append(slots, e.DueAt)
		}
	}
	if len(slots) != n {
		t.Fatalf("claimed %d of %d", len(slots), n)
	}
	for i := 1; i < n; i++ {
		if slot[es[i].ID].Before(slot[es[i-1].ID]) {
			t.Errorf("execution %d slotted at %v before execution %d at %v: not FIFO", i, slot[es[i].ID], i-1, slot[es[i-1].ID])
		}
	}
	slices.SortFunc(slots, func(x, y time.Time) int { return x.Compare(y) })
	most := 0
	for i := range slots {
		k := i
		for k < n && slots[k].Before(slots[i].Add(time.Second)) {
			k++
		}
		most = max(most, k-i)
	}
	if most > rate+burst-1 {
		t.Errorf("a 1s window holds %d slots; want at most rate+burst-1 = %d", most, rate+burst-1)
	}
	// The burst, then one every 200ms: the last slot is about 23.4s in.
	if last := slots[n-1].Sub(T0); last < 23*time.Second || last > 24*time.Second {
		t.Errorf("last slot at %v; want about 23.4s (the rate is neither exceeded nor undershot)", last)
	}
}

// testFlowParallelism: in flight is counted per key and given back by
// completion, release and rescue (with AnyLease or an expired lease).
func testFlowParallelism(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "par:443", func(k *prikke.FlowKey) { k.Parallelism = 2 })
	j := flowJob(t, s, a, "par:443")
	es := backlog(t, s, j, prikke.TierPro, 6, at(T0.Add(-6*time.Second), time.Second))
	c := claimAhead(t, s, T0, 10, 0)
	if !slices.Equal(ids(c), []prikke.ID{es[0].ID, es[1].ID}) {
		t.Fatalf("claimed %d; want the 2 oldest (parallelism 2)", len(c))
	}
	for i, cl := range c {
		// Due before the claim: the slot is now, and the wait shows.
		if want := int64(T0.Sub(es[i].DueAt) / time.Millisecond); !cl.Execution.DueAt.Equal(T0) || cl.Execution.ThrottledMS != want {
			t.Errorf("slot = %v, throttled %dms; want now, %dms", cl.Execution.DueAt, cl.Execution.ThrottledMS, want)
		}
	}
	if k := getKey(t, s, a, "par:443", T0); k.InFlight != 2 || k.Waiting != 4 || k.NextSlot != nil {
		t.Errorf("key = in flight %d, waiting %d, next %v; want 2, 4, nil", k.InFlight, k.Waiting, k.NextSlot)
	}
	if c := claimAhead(t, s, T0, 10, time.Minute); len(c) != 0 {
		t.Fatalf("claimed %d over the parallelism", len(c))
	}
	// Completion gives a slot back.
	complete(t, s, "n", c[0], prikke.ExecutionStatusSuccess, nil)
	c2 := claimAhead(t, s, T0.Add(time.Second), 10, 0)
	if !slices.Equal(ids(c2), []prikke.ID{es[2].ID}) {
		t.Fatalf("after a completion claimed %d; want the next one", len(c2))
	}
	if c := claimAhead(t, s, T0.Add(time.Second), 10, 0); len(c) != 0 {
		t.Fatalf("claimed %d over the parallelism", len(c))
	}
	// Release gives it back (the released one keeps its slot as due).
	if n, err := s.ExecutionRelease(ctx, "n", []prikke.ID{es[2].ID}); err != nil || n != 1 {
		t.Fatalf("release = %d, %v", n, err)
	}
	if k := getKey(t, s, a, "par:443", T0); k.InFlight != 1 || k.Waiting != 4 {
		t.Errorf("after release: in flight %d, waiting %d; want 1, 4", k.InFlight, k.Waiting)
	}
	if c := claimAhead(t, s, T0.Add(2*time.Second), 10, 0); len(c) != 1 {
		t.Fatalf("after a release claimed %d; want 1", len(c))
	}
	// Rescue of every running attempt (AnyLease): both slots come back;
	// the new attempts are due at the rescue and wait behind older ones,
	// still under the key.
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(3 * time.Second), Limit: 100, AnyLease: true}); err != nil || n != 2 {
		t.Fatalf("rescue = %d, %v", n, err)
	}
	if k := getKey(t, s, a, "par:443", T0.Add(3*time.Second)); k.InFlight != 0 || k.Waiting != 5 {
		t.Errorf("after rescue: in flight %d, waiting %d; want 0, 5 (3 first attempts, 2 rescue attempts)", k.InFlight, k.Waiting)
	}
	c3 := claimAhead(t, s, T0.Add(4*time.Second), 10, 0)
	if len(c3) != 2 || c3[0].Execution.Rescued || c3[1].Execution.Rescued {
		t.Fatalf("after the rescue claimed %d; want 2 first attempts (older than the rescue attempts)", len(c3))
	}
	// An expired lease's rescue gives its slot back too.
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(time.Hour), Limit: 100}); err != nil || n != 2 {
		t.Fatalf("rescue of expired leases = %d, %v", n, err)
	}
	c4 := claimAhead(t, s, T0.Add(time.Hour), 10, 0)
	if len(c4) != 2 || c4[0].Execution.Rescued == c4[1].Execution.Rescued {
		t.Fatalf("after the second rescue claimed %d; want the last first attempt and the oldest rescue attempt", len(c4))
	}
	if k := getKey(t, s, a, "par:443", T0.Add(time.Hour)); k.InFlight != 2 || k.Waiting != 3 {
		t.Errorf("key = in flight %d, waiting %d; want 2, 3", k.InFlight, k.Waiting)
	}
}

// testFlowOrgRoom: the claim's per-organization room caps what the flow
// path takes, as it caps the ordinary claim.
func testFlowOrgRoom(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "room:443", func(k *prikke.FlowKey) { k.Parallelism = 100 })
	backlog(t, s, flowJob(t, s, a, "room:443"), prikke.TierPro, 10, at(T0.Add(-time.Minute), time.Second))
	for _, tc := range []struct {
		room  map[prikke.ID]int
		def   int
		limit int
		want  int
	}{
		{map[prikke.ID]int{a.Org.ID: 0}, 0, 10, 0},
		{map[prikke.ID]int{a.Org.ID: 2}, 0, 10, 2},
		{nil, 3, 10, 3},
		{nil, 0, 4, 4},
	} {
		res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: tc.limit, Now: T0, OrgRoom: tc.room, DefaultOrgRoom: tc.def})
		if err != nil || len(res.Claimed) != tc.want {
			t.Errorf("claim with room %v, default %d, limit %d = %d, %v; want %d", tc.room, tc.def, tc.limit, len(res.Claimed), err, tc.want)
		}
	}
}

// testFlowPause: a paused key's executions wait in FIFO order, whatever
// the claim's lookahead, while others go on; resumed, oldest first.
func testFlowPause(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "paused:443", true); err != nil {
		t.Fatal(err)
	}
	j := flowJob(t, s, a, "paused:443")
	free := NewJob(t, s, a, Once(T0)) // example.com:443, no row: unlimited
	es := backlog(t, s, j, prikke.TierPro, 5, at(T0.Add(-5*time.Second), time.Second))
	backlog(t, s, free, prikke.TierPro, 2, at(T0, 0))
	c := claimAhead(t, s, T0.Add(time.Minute), 10, time.Hour)
	if len(c) != 2 || byKey(c)["example.com:443"] != 2 {
		t.Fatalf("claim while paused = %v; want only the 2 unlimited", byKey(c))
	}
	if _, ok, err := s.ExecutionNextDue(ctx); ok || err != nil {
		t.Errorf("ExecutionNextDue with only a paused key waiting = %v, %v; want none", ok, err)
	}
	if k := getKey(t, s, a, "paused:443", T0); k.Waiting != 5 || k.InFlight != 0 || !k.Paused {
		t.Errorf("paused key = %+v", k)
	}
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "paused:443", false); err != nil {
		t.Fatal(err)
	}
	if next, ok, _ := s.ExecutionNextDue(ctx); !ok || !next.Equal(es[0].DueAt) {
		t.Errorf("ExecutionNextDue after resume = %v, %v; want the oldest's due", next, ok)
	}
	for i, e := range es {
		c := claimAhead(t, s, T0.Add(time.Minute), 1, 0)
		if len(c) != 1 || c[0].Execution.ID != e.ID {
			t.Fatalf("claim %d after resume: got %d; want execution %d (oldest first)", i, len(c), i)
		}
		if want := int64(T0.Add(time.Minute).Sub(e.DueAt) / time.Millisecond); c[0].Execution.ThrottledMS != want {
			t.Errorf("throttled %dms; want %dms (the pause)", c[0].Execution.ThrottledMS, want)
		}
	}
}

// testFlowBusyKey: a key blocked by its parallelism, and one blocked by its
// rate, each with 1,000 waiting and most overdue, delay neither another
// key nor unlimited executions nor another tenant in the same claim.
func testFlowBusyKey(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierFree)
	putKey(t, s, a, "busy:443", func(k *prikke.FlowKey) { k.Parallelism = 1 })
	putKey(t, s, a, "slow:443", func(k *prikke.FlowKey) { k.Rate, k.Period = 1, time.Minute })
	putKey(t, s, a, "other:443", func(k *prikke.FlowKey) { k.Rate = 10 })
	busy, slow, other := flowJob(t, s, a, "busy:443"), flowJob(t, s, a, "slow:443"), flowJob(t, s, a, "other:443")
	free := NewJob(t, s, a, Once(T0))
	freeB := NewJob(t, s, b, Once(T0))
	backlog(t, s, busy, prikke.TierPro, 1000, at(T0.Add(-time.Hour), time.Millisecond))
	backlog(t, s, slow, prikke.TierPro, 1000, at(T0.Add(-time.Hour), time.Millisecond))
	backlog(t, s, other, prikke.TierPro, 3, at(T0, 0))
	backlog(t, s, free, prikke.TierPro, 3, at(T0, 0))
	backlog(t, s, freeB, prikke.TierFree, 2, at(T0, 0))
	got := byKey(claimAhead(t, s, T0, 100, 0))
	want := map[string]int{"busy:443": 1, "slow:443": 1, "other:443": 1, "example.com:443": 5}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("first claim per key = %v; want %v", got, want)
	}
	got = byKey(claimAhead(t, s, T0.Add(100*time.Millisecond), 100, 0))
	if fmt.Sprint(got) != fmt.Sprint(map[string]int{"other:443": 1}) {
		t.Fatalf("claim at 100ms = %v; want one of other:443 only", got)
	}
	backlog(t, s, NewJob(t, s, a, Once(T0)), prikke.TierPro, 3, at(T0.Add(200*time.Millisecond), 0))
	got = byKey(claimAhead(t, s, T0.Add(200*time.Millisecond), 4, 0))
	if fmt.Sprint(got) != fmt.Sprint(map[string]int{"example.com:443": 3, "other:443": 1}) {
		t.Fatalf("claim of 4 at 200ms = %v; want other:443's slot and the 3 unlimited", got)
	}
	if k := getKey(t, s, a, "busy:443", T0); k.Waiting != 999 || k.InFlight != 1 || k.NextSlot != nil {
		t.Errorf("busy key = waiting %d, in flight %d, next %v", k.Waiting, k.InFlight, k.NextSlot)
	}
	if k := getKey(t, s, a, "slow:443", T0); k.Waiting != 999 || k.InFlight != 1 || !sameTime(k.NextSlot, tp(T0.Add(time.Minute))) {
		t.Errorf("slow key = waiting %d, in flight %d, next %v; want 999, 1, 1m", k.Waiting, k.InFlight, k.NextSlot)
	}
}

// testFlowTagging: creating a key's row puts its waiting and running
// executions under it; deleting it frees them; the ordinary claim never
// takes a tagged execution.
func testFlowTagging(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := flowJob(t, s, a, "tag:443")
	es := backlog(t, s, j, prikke.TierPro, 4, at(T0.Add(-4*time.Second), time.Second))
	first := claimAhead(t, s, T0, 1, 0) // unlimited yet: the ordinary claim
	if len(first) != 1 || first[0].Execution.ID != es[0].ID || first[0].Execution.ThrottledMS != 0 {
		t.Fatalf("ordinary claim = %d", len(first))
	}
	k := putKey(t, s, a, "tag:443", func(k *prikke.FlowKey) { k.Parallelism = 1 })
	if k.InFlight != 1 || k.Waiting != 3 {
		t.Errorf("new key = in flight %d, waiting %d; want its running and waiting executions under it", k.InFlight, k.Waiting)
	}
	if c := claimAhead(t, s, T0, 10, time.Hour); len(c) != 0 {
		t.Fatalf("claimed %d of a key whose one slot is taken", len(c))
	}
	complete(t, s, "n", first[0], prikke.ExecutionStatusSuccess, nil)
	if c := claimAhead(t, s, T0, 10, 0); !slices.Equal(ids(c), []prikke.ID{es[1].ID}) {
		t.Fatalf("after completion claimed %d; want the next one", len(c))
	}
	// Inserted while the row exists: under the key.
	late := NewExecution(t, s, j, prikke.TierPro, T0.Add(-time.Hour))
	if c := claimAhead(t, s, T0, 10, 0); len(c) != 0 {
		t.Fatalf("claimed %d; a new execution of the key must wait for its slot", len(c))
	}
	if err := s.FlowKeyDelete(ctx, a.Project.ID, "tag:443"); err != nil {
		t.Fatal(err)
	}
	c := claimAhead(t, s, T0, 10, 0)
	if !slices.Equal(ids(c), []prikke.ID{late.ID, es[2].ID, es[3].ID}) {
		t.Fatalf("after delete claimed %d; want all 3 waiting, by due", len(c))
	}
	for _, cl := range c {
		if cl.Execution.ThrottledMS != 0 {
			t.Errorf("an unlimited execution throttled %dms", cl.Execution.ThrottledMS)
		}
	}
}

// testFlowHold: a hold (the endpoint's Retry-After) keeps a key's
// executions back until it ends or is released; ExecutionNextDue wakes
// the worker at its end.
func testFlowHold(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := flowJob(t, s, a, "hold:443")
	backlog(t, s, j, prikke.TierPro, 2, at(T0, 0))
	if err := s.FlowKeyHold(ctx, a.Project.ID, "hold:443", T0.Add(30*time.Second), "503 Service Unavailable, Retry-After 30s"); err != nil {
		t.Fatal(err)
	}
	if k := getKey(t, s, a, "hold:443", T0); k.Waiting != 2 || k.Configured || !sameTime(k.NextSlot, tp(T0.Add(30*time.Second))) {
		t.Errorf("held key = waiting %d configured %v next %v", k.Waiting, k.Configured, k.NextSlot)
	}
	if c := claimAhead(t, s, T0.Add(10*time.Second), 10, 10*time.Second); len(c) != 0 {
		t.Fatalf("claimed %d while held", len(c))
	}
	if next, ok, _ := s.ExecutionNextDue(ctx); !ok || !next.Equal(T0.Add(30*time.Second)) {
		t.Errorf("ExecutionNextDue = %v, %v; want the hold's end", next, ok)
	}
	c := claimAhead(t, s, T0.Add(30*time.Second), 10, 0)
	if len(c) != 2 {
		t.Fatalf("at the hold's end claimed %d; want both", len(c))
	}
	for _, cl := range c {
		if e := cl.Execution; !e.DueAt.Equal(T0.Add(30*time.Second)) || e.ThrottledMS != 30000 {
			t.Errorf("held execution: due %v throttled %dms; want 30s, 30000", e.DueAt, e.ThrottledMS)
		}
	}
	// Claimed ahead, a slot falls at the hold's end.
	NewExecution(t, s, j, prikke.TierPro, T0.Add(40*time.Second))
	if err := s.FlowKeyHold(ctx, a.Project.ID, "hold:443", T0.Add(50*time.Second), "429 Too Many Requests, Retry-After 10s"); err != nil {
		t.Fatal(err)
	}
	if c := claimAhead(t, s, T0.Add(45*time.Second), 10, 5*time.Second); len(c) != 1 || !c[0].Execution.DueAt.Equal(T0.Add(50*time.Second)) {
		t.Fatalf("claim ahead to the hold's end = %d; want one slotted at its end", len(c))
	}
	// Released, the key resumes at once.
	e := NewExecution(t, s, j, prikke.TierPro, T0.Add(60*time.Second))
	if err := s.FlowKeyHold(ctx, a.Project.ID, "hold:443", T0.Add(time.Hour), "503 Service Unavailable, Retry-After 3600s"); err != nil {
		t.Fatal(err)
	}
	if c := claimAhead(t, s, T0.Add(61*time.Second), 10, 0); len(c) != 0 {
		t.Fatalf("claimed %d while held", len(c))
	}
	if _, err := s.FlowKeyRelease(ctx, a.Project.ID, "hold:443"); err != nil {
		t.Fatal(err)
	}
	if c := claimAhead(t, s, T0.Add(61*time.Second), 10, 0); len(c) != 1 || c[0].Execution.ID != e.ID || !c[0].Execution.DueAt.Equal(T0.Add(61*time.Second)) {
		t.Fatalf("after release claimed %d; want the held one, now", len(c))
	}
	if k := getKey(t, s, a, "hold:443", T0.Add(61*time.Second)); k.Configured || k.HeldUntil != nil || k.InFlight != 4 {
		t.Errorf("released key = %+v", k)
	}
}

// testFlowNextDue: a rate-limited key wakes the worker at its next slot;
// a paused key, or one whose parallelism is taken, does not wake it.
func testFlowNextDue(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "next:443", func(k *prikke.FlowKey) { k.Rate, k.Period = 1, time.Minute })
	j := flowJob(t, s, a, "next:443")
	backlog(t, s, j, prikke.TierPro, 3, at(T0, time.Millisecond))
	if next, ok, _ := s.ExecutionNextDue(ctx); !ok || !next.Equal(T0) {
		t.Errorf("ExecutionNextDue before any start = %v, %v; want T0", next, ok)
	}
	c := claimAhead(t, s, T0, 10, 0)
	if len(c) != 1 {
		t.Fatalf("claimed %d", len(c))
	}
	if next, ok, _ := s.ExecutionNextDue(ctx); !ok || !next.Equal(T0.Add(time.Minute)) {
		t.Errorf("ExecutionNextDue = %v, %v; want the next slot, T0+1m", next, ok)
	}
	free := NewJob(t, s, a, Once(T0))
	NewExecution(t, s, free, prikke.TierPro, T0.Add(2*time.Minute))
	if next, _, _ := s.ExecutionNextDue(ctx); !next.Equal(T0.Add(time.Minute)) {
		t.Errorf("ExecutionNextDue = %v; want the key's next slot before the unlimited one", next)
	}
	// Parallelism taken: the key wakes nobody (its completion will).
	putKey(t, s, a, "next:443", func(k *prikke.FlowKey) { k.Rate, k.Period, k.Parallelism = 1, time.Minute, 1 })
	if next, _, _ := s.ExecutionNextDue(ctx); !next.Equal(T0.Add(2 * time.Minute)) {
		t.Errorf("ExecutionNextDue with the key's one slot in flight = %v; want the unlimited one's due", next)
	}
	complete(t, s, "n", c[0], prikke.ExecutionStatusSuccess, nil)
	if next, _, _ := s.ExecutionNextDue(ctx); !next.Equal(T0.Add(time.Minute)) {
		t.Errorf("ExecutionNextDue after the completion = %v; want the next slot", next)
	}
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "next:443", true); err != nil {
		t.Fatal(err)
	}
	if next, _, _ := s.ExecutionNextDue(ctx); !next.Equal(T0.Add(2 * time.Minute)) {
		t.Errorf("ExecutionNextDue with the key paused = %v; want the unlimited one's due", next)
	}
}

// testFlowRetry: a retry inserted by a completion is under the key too,
// and completions and releases of the key's executions wake workers.
func testFlowRetry(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "retry:443", func(k *prikke.FlowKey) { k.Parallelism = 1 })
	j := flowJob(t, s, a, "retry:443")
	sub := listening(t, s, store.TopicWork)
	NewExecution(t, s, j, prikke.TierPro, T0)
	c := claimOne(t, s, "n", T0)
	if c.Execution.FlowKey != "retry:443" {
		t.Errorf("claimed flow key %q", c.Execution.FlowKey)
	}
	for len(sub.C) > 0 {
		<-sub.C
	}
	retryAt := T0.Add(10 * time.Second)
	complete(t, s, "n", c, prikke.ExecutionStatusFailed, func(cp *store.Completion) {
		cp.Health = store.HealthNone
		cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: c.Execution.ScheduledFor, DueAt: retryAt, Attempt: 2, Status: prikke.ExecutionStatusPending,
			Priority: c.Execution.Priority, FlowKey: c.Execution.FlowKey, CreatedAt: T0}
	})
	if ev := waitEvent(t, sub); ev.Topic != store.TopicWork {
		t.Errorf("event %+v", ev)
	}
	if k := getKey(t, s, a, "retry:443", T0); k.Waiting != 1 || k.InFlight != 0 {
		t.Errorf("key after the retry = waiting %d, in flight %d; want the retry under the key", k.Waiting, k.InFlight)
	}
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "retry:443", true); err != nil {
		t.Fatal(err)
	}
	if c := claimAhead(t, s, retryAt, 10, 0); len(c) != 0 {
		t.Fatalf("claimed %d of a paused key: the retry escaped it", len(c))
	}
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "retry:443", false); err != nil {
		t.Fatal(err)
	}
	r := claimOne(t, s, "n", retryAt)
	if r.Execution.Attempt != 2 || r.Execution.FlowKey != "retry:443" {
		t.Errorf("retry = %+v", r.Execution)
	}
	// A completion that frees the key's slot wakes workers, without retry.
	for len(sub.C) > 0 {
		<-sub.C
	}
	NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Hour))
	waitEvent(t, sub)
	complete(t, s, "n", r, prikke.ExecutionStatusSuccess, nil)
	if ev := waitEvent(t, sub); ev.Topic != store.TopicWork {
		t.Errorf("event %+v", ev)
	}
}

// testFlowWake: changes that may let a key start something wake workers:
// a put, a resume, the release of a hold, a delete.
func testFlowWake(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	sub := listening(t, s, store.TopicWork)
	expect := func(what string) {
		t.Helper()
		select {
		case ev := <-sub.C:
			if ev.Topic != store.TopicWork {
				t.Errorf("%s: event %+v", what, ev)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s woke no worker", what)
		}
		time.Sleep(20 * time.Millisecond) // no timing asserted: lets a double notification arrive before draining
		for len(sub.C) > 0 {
			<-sub.C
		}
	}
	putKey(t, s, a, "wake:443", func(k *prikke.FlowKey) { k.Rate = 5 })
	expect("a put")
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "wake:443", true); err != nil {
		t.Fatal(err)
	}
	for len(sub.C) > 0 {
		<-sub.C
	}
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "wake:443", false); err != nil {
		t.Fatal(err)
	}
	expect("a resume")
	if err := s.FlowKeyHold(ctx, a.Project.ID, "wake:443", T0.Add(time.Hour), "503 Service Unavailable, Retry-After 3600s"); err != nil {
		t.Fatal(err)
	}
	for len(sub.C) > 0 {
		<-sub.C
	}
	if _, err := s.FlowKeyRelease(ctx, a.Project.ID, "wake:443"); err != nil {
		t.Fatal(err)
	}
	expect("the release of a hold")
	if err := s.FlowKeyDelete(ctx, a.Project.ID, "wake:443"); err != nil {
		t.Fatal(err)
	}
	expect("a delete")
}

// testFlowRescueDead: a dead node's executions of a limited key give their
// slots back: the unsent go back under the key, the sent are settled and
// their new attempts are under the key too.
func testFlowRescueDead(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "dead:443", func(k *prikke.FlowKey) { k.Parallelism = 2 })
	j := flowJob(t, s, a, "dead:443")
	backlog(t, s, j, prikke.TierPro, 3, at(T0.Add(-3*time.Second), time.Second))
	c := claimN(t, s, "dead", T0, 10)
	if len(c) != 2 {
		t.Fatalf("claimed %d; want 2 (parallelism)", len(c))
	}
	if err := s.ExecutionMarkSent(ctx, "dead", []prikke.ID{c[0].Execution.ID}); err != nil {
		t.Fatal(err)
	}
	released, rescued, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: T0.Add(time.Second), DeadAfter: time.Minute, Limit: 100, Nodes: []string{"dead"}})
	if err != nil || released != 1 || rescued != 1 {
		t.Fatalf("rescue of the dead node = %d released, %d rescued, %v; want 1 and 1", released, rescued, err)
	}
	if k := getKey(t, s, a, "dead:443", T0.Add(time.Second)); k.InFlight != 0 || k.Waiting != 3 {
		t.Errorf("key = in flight %d, waiting %d; want 0 and 3 (the released one, the third, the new attempt)", k.InFlight, k.Waiting)
	}
	if c := claimN(t, s, "alive", T0.Add(2*time.Second), 10); len(c) != 2 {
		t.Errorf("claimed %d after the rescue; want 2 (parallelism)", len(c))
	}
}
