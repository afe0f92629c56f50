package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// testFlowKeyOrder: with room for fewer than every limited key's waiting
// executions, the claim serves the key whose waiting execution is most
// overdue first, not the key that happens to sort first (a key with free
// parallelism and a backlog took every claim's room while an older
// execution of a key made later waited).
func testFlowKeyOrder(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	a := NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "first:443", func(k *prikke.FlowKey) { k.Parallelism = 100 })
	putKey(t, s, a, "later:443", func(k *prikke.FlowKey) { k.Parallelism = 100 })
	backlog(t, s, flowJob(t, s, a, "first:443"), prikke.TierPro, 5, at(T0, 0))
	old := backlog(t, s, flowJob(t, s, a, "later:443"), prikke.TierPro, 1, at(T0.Add(-time.Minute), 0))
	c := claimAhead(t, s, T0, 1, 0)
	if len(c) != 1 || c[0].Execution.ID != old[0].ID {
		t.Fatalf("claim of 1 = %v; want later:443's execution, a minute overdue", byKey(c))
	}
	if got := byKey(claimAhead(t, s, T0, 2, 0)); fmt.Sprint(got) != fmt.Sprint(map[string]int{"first:443": 2}) {
		t.Errorf("next claim of 2 = %v; want first:443's", got)
	}
}

// testFlowKeysLimitKinds: FlowKeysPerProject counts configured keys on
// both stores: a pause makes a configured key (refused past the limit),
// while a row that exists only because an endpoint held the key neither
// is refused nor counts.
func testFlowKeysLimitKinds(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	if err := s.FlowKeyHold(ctx, a.Project.ID, "held:443", T0.Add(time.Minute), "503 Service Unavailable, Retry-After 60s"); err != nil {
		t.Fatal(err)
	}
	for i := range prikke.FlowKeysPerProject - 1 {
		putKey(t, s, a, fmt.Sprintf("key-%03d", i), func(k *prikke.FlowKey) { k.Rate = 1 })
	}
	// 99 configured and one held: one more configured key fits.
	putKey(t, s, a, "last", nil)
	_, err := s.FlowKeySetPaused(ctx, a.Project.ID, "paused-too-many", true)
	Errcode(t, err, prikke.ECONFLICT)
	if _, err := s.FlowKeyGet(ctx, a.Project.ID, "paused-too-many", T0); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("the refused paused key exists: %v", err)
	}
	if err := s.FlowKeyHold(ctx, a.Project.ID, "held-too:443", T0.Add(time.Minute), "429 Too Many Requests, Retry-After 60s"); err != nil {
		t.Errorf("a hold past the limit: %v; want written", err)
	}
	// Pausing an existing key at the limit is fine.
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "key-000", true); err != nil {
		t.Errorf("pause an existing key at the limit: %v", err)
	}
}

// testFlowKeyPutLimits: FlowKeyPut stores the limits alone, the same on
// both stores: a period under FlowPeriodMin becomes it, a burst under 1
// becomes 1, and a new key is not paused whatever the input says (pausing
// is FlowKeySetPaused's).
func testFlowKeyPutLimits(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	in := &prikke.FlowKey{ProjectID: a.Project.ID, Key: "limits:443", Rate: 3, Period: 500 * time.Millisecond, Parallelism: 2,
		Paused: true, CreatedAt: T0, UpdatedAt: T0}
	got, created, err := s.FlowKeyPut(ctx, in)
	if err != nil || !created {
		t.Fatalf("put = %v, %v", created, err)
	}
	for _, k := range []*prikke.FlowKey{got, getKey(t, s, a, "limits:443", T0)} {
		if k.Rate != 3 || k.Period != prikke.FlowPeriodMin || k.Burst != 1 || k.Parallelism != 2 || k.Paused || !k.Configured {
			t.Errorf("key = rate %d, period %v, burst %d, parallelism %d, paused %v, configured %v; want 3, 1s, 1, 2, false, true",
				k.Rate, k.Period, k.Burst, k.Parallelism, k.Paused, k.Configured)
		}
	}
}

// testFlowRecreate: a key deleted and made again while its executions run
// counts them against its parallelism again (the new row tags the running
// ones), and a pause while they run keeps them counted.
func testFlowRecreate(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	par2 := func(k *prikke.FlowKey) { k.Parallelism = 2 }
	putKey(t, s, a, "again:443", par2)
	backlog(t, s, flowJob(t, s, a, "again:443"), prikke.TierPro, 5, at(T0.Add(-time.Second), time.Millisecond))
	if c := claimAhead(t, s, T0, 10, 0); len(c) != 2 {
		t.Fatalf("first claim = %d; want 2 (parallelism)", len(c))
	}
	if err := s.FlowKeyDelete(ctx, a.Project.ID, "again:443"); err != nil {
		t.Fatal(err)
	}
	putKey(t, s, a, "again:443", par2)
	if k := getKey(t, s, a, "again:443", T0); k.InFlight != 2 || k.Waiting != 3 {
		t.Errorf("made again: in flight %d, waiting %d; want 2, 3", k.InFlight, k.Waiting)
	}
	if c := claimAhead(t, s, T0, 10, 0); len(c) != 0 {
		t.Errorf("claim after the key was made again = %d; want 0 (2 still running)", len(c))
	}
	for _, paused := range []bool{true, false} {
		if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "again:443", paused); err != nil {
			t.Fatal(err)
		}
	}
	if c := claimAhead(t, s, T0, 10, 0); len(c) != 0 {
		t.Errorf("claim after a pause and resume = %d; want 0 (2 still running)", len(c))
	}
	if next, ok, err := s.ExecutionNextDue(ctx); err != nil || ok {
		t.Errorf("ExecutionNextDue with the key at its parallelism = %v, %v, %v; want none (no spin)", next, ok, err)
	}
}
