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

// Hold-only keys (rows made only because an endpoint answered 429 or 503
// with Retry-After) are bounded per project and pruned an hour after their
// hold ended, so a tenant cannot grow flow_keys without limit by sending
// to many keys of an endpoint that answers 429.

// holdKey holds key until until as an endpoint's 429 would.
func holdKey(t testing.TB, s store.Store, tn *Tenant, key string, until time.Time) {
	t.Helper()
	if err := s.FlowKeyHold(context.Background(), tn.Project.ID, key, until, "429 Too Many Requests, Retry-After 60s"); err != nil {
		t.Fatalf("hold %s: %v", key, err)
	}
}

// testFlowHoldBound: a project has at most FlowHoldKeysPerProject
// hold-only keys; the next new one is refused (ECONFLICT, nothing made)
// while existing keys, hold-only or configured, are still held and
// configured keys are made as before; another project is not affected;
// once pruned, new holds fit again.
func testFlowHoldBound(t *testing.T, open Opener, cov *coverage) {
	cov.covers("FlowKeyHold", "FlowKeyPrune")
	s := open(t)
	ctx := context.Background()
	a, b := NewTenant(t, s, prikke.TierPro), NewTenant(t, s, prikke.TierPro)
	putKey(t, s, a, "conf:443", func(k *prikke.FlowKey) { k.Rate = 5 })
	until := T0.Add(time.Minute)
	for i := range prikke.FlowHoldKeysPerProject {
		holdKey(t, s, a, fmt.Sprintf("h%04d:443", i), until)
	}
	err := s.FlowKeyHold(ctx, a.Project.ID, "one-too-many:443", until, "429 Too Many Requests, Retry-After 60s")
	Errcode(t, err, prikke.ECONFLICT)
	if _, err := s.FlowKeyGet(ctx, a.Project.ID, "one-too-many:443", T0); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("the refused hold made a key: %v", err)
	}
	// Existing keys are still held, the hold lengthened.
	later := T0.Add(10 * time.Minute)
	holdKey(t, s, a, "h0000:443", later)
	if k := getKey(t, s, a, "h0000:443", T0); !sameTime(k.HeldUntil, &later) {
		t.Errorf("existing hold-only key at the bound: held until %v; want %v", k.HeldUntil, later)
	}
	holdKey(t, s, a, "conf:443", later)
	if k := getKey(t, s, a, "conf:443", T0); !sameTime(k.HeldUntil, &later) || !k.Configured || k.Rate != 5 {
		t.Errorf("configured key at the bound: %+v; want held until %v with its rate", k, later)
	}
	// Configured keys are counted apart.
	putKey(t, s, a, "conf-2:443", nil)
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "paused:443", true); err != nil {
		t.Errorf("pause a new key with the hold-only keys at their bound: %v", err)
	}
	// Another project has its own bound.
	holdKey(t, s, b, "one-too-many:443", until)
	if ks, err := s.FlowKeyList(ctx, a.Project.ID, T0); err != nil || len(ks) != prikke.FlowHoldKeysPerProject+3 {
		t.Fatalf("project keys = %d, %v; want %d hold-only and 3 configured", len(ks), err, prikke.FlowHoldKeysPerProject)
	}
	// Pruned an hour after the holds ended, the project may be held anew.
	n, err := s.FlowKeyPrune(ctx, later.Add(prikke.FlowHoldKeep+time.Second), 5000)
	if err != nil || n != prikke.FlowHoldKeysPerProject+1 {
		t.Fatalf("prune = %d, %v; want the %d hold-only keys of both projects", n, err, prikke.FlowHoldKeysPerProject+1)
	}
	holdKey(t, s, a, "one-too-many:443", later)
	for _, key := range []string{"conf:443", "conf-2:443", "paused:443", "one-too-many:443"} {
		getKey(t, s, a, key, T0)
	}
}

// testFlowPrune: FlowKeyPrune deletes, in batches of limit, the hold-only
// keys whose hold ended more than FlowHoldKeep ago and that run nothing;
// their waiting executions become ordinary (the ordinary claim takes them,
// unthrottled) and the workers are woken. Configured keys (even ones held
// long ago), paused keys, keys still held or whose hold ended less than
// FlowHoldKeep ago, and keys with a running execution stay.
func testFlowPrune(t *testing.T, open Opener, cov *coverage) {
	cov.covers("FlowKeyPrune", "FlowKeyHold")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	now := T0
	long := now.Add(-prikke.FlowHoldKeep - time.Minute)

	// A key with a running execution: held long ago, its execution
	// claimed (through the flow path) before the rest is written.
	busy := backlog(t, s, flowJob(t, s, a, "busy:443"), prikke.TierPro, 1, at(now.Add(-time.Minute), 0))
	holdKey(t, s, a, "busy:443", long)
	busyClaim := claimAhead(t, s, now, 10, 0)
	if len(busyClaim) != 1 || busyClaim[0].Execution.ID != busy[0].ID {
		t.Fatalf("claimed %v; want busy:443's one execution", byKey(busyClaim))
	}

	waiting := backlog(t, s, flowJob(t, s, a, "gone-1:443"), prikke.TierPro, 3, at(now.Add(-time.Minute), time.Second))
	holdKey(t, s, a, "gone-1:443", long)
	holdKey(t, s, a, "gone-2:443", long)
	holdKey(t, s, a, "gone-3:443", long.Add(-time.Hour))
	holdKey(t, s, a, "recent:443", now.Add(-prikke.FlowHoldKeep+time.Minute))
	holdKey(t, s, a, "held:443", now.Add(time.Minute))
	holdKey(t, s, a, "paused:443", long)
	if _, err := s.FlowKeySetPaused(ctx, a.Project.ID, "paused:443", true); err != nil {
		t.Fatal(err)
	}
	putKey(t, s, a, "conf:443", nil)
	holdKey(t, s, a, "conf:443", long)
	if k := getKey(t, s, a, "gone-1:443", now); k.Waiting != 3 {
		t.Fatalf("gone-1:443 waiting %d; want 3 before the prune", k.Waiting)
	}

	sub := listening(t, s, store.TopicWork)
	n1, err := s.FlowKeyPrune(ctx, now, 2)
	if err != nil {
		t.Fatal(err)
	}
	n2, err := s.FlowKeyPrune(ctx, now, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n3, err := s.FlowKeyPrune(ctx, now, 2); err != nil || n1 != 2 || n2 != 1 || n3 != 0 {
		t.Fatalf("prunes of 2 = %d, %d, %d (%v); want 2, 1, 0", n1, n2, n3, err)
	}
	select {
	case <-sub.C:
	case <-time.After(10 * time.Second):
		t.Error("no work event after the prune untagged waiting executions")
	}

	ks, err := s.FlowKeyList(ctx, a.Project.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, k := range ks {
		left = append(left, k.Key)
	}
	if want := []string{"busy:443", "conf:443", "held:443", "paused:443", "recent:443"}; !slices.Equal(left, want) {
		t.Errorf("keys after the prune = %v; want %v", left, want)
	}
	if k := getKey(t, s, a, "conf:443", now); !k.Configured || !sameTime(k.HeldUntil, &long) {
		t.Errorf("configured key held long ago = %+v; want kept as it was", k)
	}

	// gone-1's executions are ordinary now: claimed at once, in order,
	// at their own due instants (no slot, no throttling).
	c := claimAhead(t, s, now, 10, 0)
	if got := ids(c); !slices.Equal(got, []prikke.ID{waiting[0].ID, waiting[1].ID, waiting[2].ID}) {
		t.Fatalf("claimed %v after the prune; want gone-1:443's three waiting executions", byKey(c))
	}
	for i, cl := range c {
		if e := cl.Execution; !e.DueAt.Equal(waiting[i].DueAt) || e.ThrottledMS != 0 {
			t.Errorf("formerly held execution %d: due %v throttled %dms; want its own due, 0", i, e.DueAt, e.ThrottledMS)
		}
	}
	// A new execution of a pruned key is ordinary from the start.
	e := NewExecution(t, s, flowJob(t, s, a, "gone-2:443"), prikke.TierPro, now)
	if c := claimAhead(t, s, now, 10, 0); len(c) != 1 || c[0].Execution.ID != e.ID {
		t.Fatalf("claimed %v; want the pruned key's new execution", byKey(c))
	}

	// busy:443 goes once its execution has finished (an hour after its
	// hold ended, still); recent:443 once its hour has passed.
	if applied, err := s.ExecutionComplete(ctx, "n", []*store.Completion{completion(busyClaim[0], prikke.ExecutionStatusSuccess)}); err != nil || len(applied) != 1 {
		t.Fatalf("complete busy:443's execution: %d, %v", len(applied), err)
	}
	if n, err := s.FlowKeyPrune(ctx, now.Add(2*time.Minute), 10); err != nil || n != 2 {
		t.Fatalf("prune after busy:443 finished and recent:443's hour = %d, %v; want 2", n, err)
	}
	for _, key := range []string{"busy:443", "recent:443"} {
		if _, err := s.FlowKeyGet(ctx, a.Project.ID, key, now); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("%s after the prune: %v; want gone", key, err)
		}
	}
}
