package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/pgstore"
	"github.com/prikke/prikke/internal/store/storetest"
)

// flowBacklog writes n pending first attempts of j with key key, the i-th
// due at due(i), in one OccurrencesWrite.
func flowBacklog(t *testing.T, s store.Store, j *prikke.Job, n int, due func(int) time.Time) []*prikke.Execution {
	t.Helper()
	w := &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: *j.NextRunAt, NextRunAt: j.NextRunAt}
	for i := range n {
		w.Executions = append(w.Executions, &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID,
			OrganizationID: j.OrganizationID, ScheduledFor: storetest.T0.Add(-time.Duration(i+1) * time.Second), DueAt: due(i),
			Attempt: 1, Status: prikke.ExecutionStatusPending, Priority: 1, FlowKey: j.Flow(), CreatedAt: storetest.T0})
	}
	if got, err := s.OccurrencesWrite(context.Background(), []*store.OccurrenceWrite{w}); err != nil || got != n {
		t.Fatalf("backlog of %d: wrote %d, %v", n, got, err)
	}
	return w.Executions
}

func flowJob(t *testing.T, s store.Store, tn *storetest.Tenant, key string) *prikke.Job {
	return storetest.NewJob(t, s, tn, func(j *prikke.Job) {
		storetest.Once(storetest.T0)(j)
		j.FlowKey, j.TimeoutMS = key, 10000
	})
}

// TestFlowTwoNodes: two stores on one schema (two nodes) claim one key
// at once, many times per round of an injected clock, and complete some
// of what they hold between rounds. Whatever the interleaving, the key's
// row lock must keep the key's limits: never more than Parallelism
// running at the end of a round of claims (nothing completes during one,
// so that is the most the round had), no window of Period holding more
// than Rate+Burst-1 start slots, slots in FIFO order of due instants, no
// execution claimed twice.
func TestFlowTwoNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.NewSchemaName()
	s1 := storetest.OpenPostgresSchema(t, schema)
	s2 := storetest.OpenPostgresSchema(t, schema)
	nodes := []*pgstore.Store{s1, s2}
	names := []string{"node-a", "node-b"}
	t0 := storetest.T0
	tn := storetest.NewTenant(t, s1, prikke.TierPro)
	const rate, burst, par = 10, 2, 4
	const period = time.Second
	if _, _, err := s1.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: "hammer:443", Rate: rate, Period: period,
		Burst: burst, Parallelism: par, Configured: true, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	j := flowJob(t, s1, tn, "hammer:443")
	es := flowBacklog(t, s1, j, 300, func(i int) time.Time { return t0.Add(-time.Minute + time.Duration(i)*time.Millisecond) })
	dueOf := map[prikke.ID]time.Time{}
	for _, e := range es {
		dueOf[e.ID] = e.DueAt
	}
	// Some unlimited work beside it, which the same claims must take.
	free := storetest.NewJob(t, s1, tn, storetest.Once(t0))
	freeEs := flowBacklog(t, s1, free, 40, func(i int) time.Time { return t0.Add(-time.Minute) })

	type claim struct {
		id   prikke.ID
		slot time.Time
		node int
	}
	var (
		mu       sync.Mutex
		all      []claim
		running  = map[prikke.ID]*store.Claimed{}
		runOn    = map[prikke.ID]int{}
		seen     = map[prikke.ID]bool{}
		freeSeen = 0
	)
	rng := rand.New(rand.NewPCG(1, 2))
	const lookahead = 300 * time.Millisecond
	for round := range 60 {
		now := t0.Add(time.Duration(round) * 150 * time.Millisecond)
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 4 {
					res, err := nodes[n].ExecutionClaim(ctx, &store.ClaimParams{Node: names[n], Limit: 1 + (round+n)%5, Now: now,
						LeaseGrace: time.Minute, Lookahead: lookahead})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, c := range res.Claimed {
						e := c.Execution
						if e.FlowKey != "hammer:443" {
							freeSeen++
							continue
						}
						if seen[e.ID] {
							errs <- fmt.Errorf("execution %v claimed twice", e.ID)
						}
						seen[e.ID] = true
						if e.DueAt.Before(now) || e.DueAt.After(now.Add(lookahead)) {
							errs <- fmt.Errorf("slot %v outside [now, now+lookahead] at %v", e.DueAt, now)
						}
						if want := e.DueAt.Sub(dueOf[e.ID]).Milliseconds(); e.ThrottledMS != want {
							errs <- fmt.Errorf("throttled %dms; want %dms", e.ThrottledMS, want)
						}
						all = append(all, claim{e.ID, e.DueAt, n})
						running[e.ID], runOn[e.ID] = c, n
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(running) > par {
			t.Fatalf("round %d: %d running; parallelism is %d", round, len(running), par)
		}
		k, err := s2.FlowKeyGet(ctx, tn.Project.ID, "hammer:443", now)
		if err != nil {
			t.Fatal(err)
		}
		if k.InFlight != len(running) {
			t.Fatalf("round %d: key in flight %d; the claimers hold %d", round, k.InFlight, len(running))
		}
		// Complete a random part of what each node holds.
		for id, c := range running {
			if rng.IntN(2) == 0 {
				continue
			}
			n := runOn[id]
			cp := &store.Completion{ExecutionID: id, JobID: c.Job.ID, Attempt: c.Execution.Attempt, Status: prikke.ExecutionStatusSuccess,
				StartedAt: c.Execution.DueAt, FinishedAt: c.Execution.DueAt.Add(time.Millisecond), DurationMS: 1, Health: store.HealthSuccess}
			if applied, err := nodes[n].ExecutionComplete(ctx, names[n], []*store.Completion{cp}); err != nil || len(applied) != 1 {
				t.Fatalf("complete = %v, %v", applied, err)
			}
			delete(running, id)
		}
	}
	if freeSeen != len(freeEs) {
		t.Errorf("claimed %d unlimited executions; want all %d beside the limited key", freeSeen, len(freeEs))
	}
	if len(all) < 40 {
		t.Fatalf("only %d of the key claimed over 9 simulated seconds", len(all))
	}
	byNode := [2]int{}
	for _, c := range all {
		byNode[c.node]++
	}
	t.Logf("claimed %d of the key (%d by node a, %d by node b)", len(all), byNode[0], byNode[1])
	slices.SortFunc(all, func(a, b claim) int {
		if c := a.slot.Compare(b.slot); c != 0 {
			return c
		}
		return dueOf[a.id].Compare(dueOf[b.id])
	})
	for i := range all {
		if i > 0 && dueOf[all[i].id].Before(dueOf[all[i-1].id]) {
			t.Fatalf("slot %v went to an execution due before the one at slot %v: not FIFO", all[i].slot, all[i-1].slot)
		}
		n := 0
		for k := i; k < len(all) && all[k].slot.Before(all[i].slot.Add(period)); k++ {
			n++
		}
		if n > rate+burst-1 {
			t.Fatalf("%d slots in the period from %v; at most %d allowed", n, all[i].slot, rate+burst-1)
		}
	}
}

// TestFlowDanglingTag: an execution tagged with a key that is gone (an
// insert that saw the key just before FlowKeyDelete) is freed by the
// rescue, and the ordinary claim then takes it; a live key's tags stay.
func TestFlowDanglingTag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	t0 := storetest.T0
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	live, err := s.FlowKeySetPaused(ctx, tn.Project.ID, "live:443", true)
	if err != nil {
		t.Fatal(err)
	}
	kept := flowBacklog(t, s, flowJob(t, s, tn, "live:443"), 2, func(int) time.Time { return t0 })
	lost := flowBacklog(t, s, flowJob(t, s, tn, "gone:443"), 2, func(int) time.Time { return t0 })
	// What the race leaves: rows tagged with an ID no key has.
	if _, err := s.Pool().Exec(ctx, "UPDATE execution_queue SET flow = $1 WHERE id = ANY($2)",
		prikke.NewID(), []prikke.ID{lost[0].ID, lost[1].ID}); err != nil {
		t.Fatal(err)
	}
	claim := func() []*store.Claimed {
		res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: t0, LeaseGrace: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return res.Claimed
	}
	if c := claim(); len(c) != 0 {
		t.Fatalf("claimed %d tagged executions", len(c))
	}
	if _, err := s.ExecutionRescue(ctx, store.RescueParams{Now: t0, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	c := claim()
	if len(c) != 2 || (c[0].Execution.ID != lost[0].ID && c[0].Execution.ID != lost[1].ID) || c[0].Execution.FlowKey != "gone:443" {
		t.Fatalf("after the rescue claimed %d; want the 2 of the deleted key", len(c))
	}
	if k, err := s.FlowKeyGet(ctx, tn.Project.ID, "live:443", t0); err != nil || k.Waiting != len(kept) || k.ID != live.ID {
		t.Fatalf("paused key = %+v, %v; want its %d still under it", k, err, len(kept))
	}
}
