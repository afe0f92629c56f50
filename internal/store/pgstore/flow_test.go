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
	// The freed executions are due now: the rescue wakes the workers
	// (events arrive in commit order: the wake-up before "after").
	sub := s.Subscribe(store.TopicWork)
	defer sub.Close()
	if err := s.Publish(ctx, store.TopicWork, "before"); err != nil {
		t.Fatal(err)
	}
	for nextEvent(t, sub).Payload != "before" {
	}
	if _, err := s.ExecutionRescue(ctx, store.RescueParams{Now: t0, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, store.TopicWork, "after"); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, sub); ev.Payload == "after" {
		t.Errorf("no work event from the rescue that freed executions due now")
	}
	c := claim()
	if len(c) != 2 || (c[0].Execution.ID != lost[0].ID && c[0].Execution.ID != lost[1].ID) || c[0].Execution.FlowKey != "gone:443" {
		t.Fatalf("after the rescue claimed %d; want the 2 of the deleted key", len(c))
	}
	if k, err := s.FlowKeyGet(ctx, tn.Project.ID, "live:443", t0); err != nil || k.Waiting != len(kept) || k.ID != live.ID {
		t.Fatalf("paused key = %+v, %v; want its %d still under it", k, err, len(kept))
	}
}

// TestFlowTagRace: executions of a key inserted by several writers while
// the key is created all end up under it: the creation tags what it sees,
// waits for the transactions in progress, and tags once more.
func TestFlowTagRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	t0 := storetest.T0
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	j := flowJob(t, s, tn, "race:443")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	seq := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				seq++
				i := seq
				mu.Unlock()
				e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
					ScheduledFor: t0.Add(time.Duration(i) * time.Second), DueAt: t0, Attempt: 1, Status: prikke.ExecutionStatusPending,
					Priority: 1, FlowKey: "race:443", CreatedAt: t0}
				if err := s.ExecutionInsert(ctx, e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Not a timing assertion: the writers run before, during and after
	// the creation, whatever the machine's speed.
	waitWritten := func(n int) {
		for {
			mu.Lock()
			done := seq >= n
			mu.Unlock()
			if done {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitWritten(50)
	if _, err := s.FlowKeySetPaused(ctx, tn.Project.ID, "race:443", true); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	after := seq + 50
	mu.Unlock()
	waitWritten(after)
	close(stop)
	wg.Wait()
	var untagged, tagged int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE q.flow IS NULL), count(*) FILTER (WHERE q.flow IS NOT NULL)
		FROM execution_queue q JOIN executions e ON e.id = q.id WHERE e.flow_key = 'race:443'`).Scan(&untagged, &tagged); err != nil {
		t.Fatal(err)
	}
	if untagged != 0 || tagged < 100 {
		t.Fatalf("%d executions of the paused key untagged (%d tagged)", untagged, tagged)
	}
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 1000, Now: t0.Add(time.Hour), LeaseGrace: time.Minute})
	if err != nil || len(res.Claimed) != 0 {
		t.Fatalf("claimed %d of a paused key, %v", len(res.Claimed), err)
	}
}

// TestFlowWakeOnCompletion: completing an execution of a key blocked by
// its parallelism wakes the workers (on every node: NOTIFY), so the key's
// next one is claimed at once rather than at the next poll; queue depth
// counts the key's waiting executions.
func TestFlowWakeOnCompletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.NewSchemaName()
	s := storetest.OpenPostgresSchema(t, schema)
	other := storetest.OpenPostgresSchema(t, schema) // another node
	t0 := storetest.T0
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: "one:443", Parallelism: 1, Configured: true}); err != nil {
		t.Fatal(err)
	}
	flowBacklog(t, s, flowJob(t, s, tn, "one:443"), 3, func(i int) time.Time { return t0 })
	flowBacklog(t, s, storetest.NewJob(t, s, tn, storetest.Once(t0)), 2, func(i int) time.Time { return t0 })
	if due, running, err := s.ExecutionQueueDepth(ctx, t0); err != nil || due != 5 || running != 0 {
		t.Fatalf("queue depth = %d due, %d running, %v; want 5 (3 of the key), 0", due, running, err)
	}
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: t0, LeaseGrace: time.Minute})
	if err != nil || len(res.Claimed) != 3 {
		t.Fatalf("claimed %d, %v; want 1 of the key and the 2 unlimited", len(res.Claimed), err)
	}
	var c *store.Claimed
	for _, cl := range res.Claimed {
		if cl.Execution.FlowKey == "one:443" {
			c = cl
		}
	}
	if due, running, err := s.ExecutionQueueDepth(ctx, t0); err != nil || due != 2 || running != 3 {
		t.Fatalf("queue depth = %d due, %d running, %v; want 2, 3", due, running, err)
	}
	sub := other.Subscribe(store.TopicWork)
	defer sub.Close()
	// Events arrive in commit order on one connection: once the sentinel
	// is in, nothing written before it is still to come.
	if err := s.Publish(ctx, store.TopicWork, "sentinel"); err != nil {
		t.Fatal(err)
	}
	for nextEvent(t, sub).Payload != "sentinel" {
	}
	cp := &store.Completion{ExecutionID: c.Execution.ID, JobID: c.Job.ID, Attempt: 1, Status: prikke.ExecutionStatusSuccess,
		StartedAt: t0, FinishedAt: t0, DurationMS: 1, Health: store.HealthSuccess}
	if applied, err := s.ExecutionComplete(ctx, "n", []*store.Completion{cp}); err != nil || len(applied) != 1 {
		t.Fatalf("complete = %v, %v", applied, err)
	}
	if ev := nextEvent(t, sub); ev.Payload != "" {
		t.Fatalf("work event %q after the completion; want an unconditional wake-up", ev.Payload)
	}
	res, err = other.ExecutionClaim(ctx, &store.ClaimParams{Node: "m", Limit: 10, Now: t0, LeaseGrace: time.Minute})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Execution.FlowKey != "one:443" {
		t.Fatalf("the other node claimed %d, %v; want the key's next", len(res.Claimed), err)
	}
}

// nextEvent returns sub's next event, failing the test when none comes
// within 30s (events of a committed transaction arrive well before).
func nextEvent(t *testing.T, sub *store.Subscription) store.Event {
	t.Helper()
	select {
	case ev := <-sub.C:
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no work event")
		return store.Event{}
	}
}

// TestFlowKeySeenAtOnce: a key made on one node is seen at once by
// another node's claims and next-due reckoning, though that node read a
// moment ago that no key exists (its cache): the creation's wake-up tells
// it to read again. Without that, the key's executions waited for the
// other node's poll.
func TestFlowKeySeenAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	schema := storetest.NewSchemaName()
	a := storetest.OpenPostgresSchema(t, schema)
	b := storetest.OpenPostgresSchema(t, schema)
	t0 := storetest.T0
	tn := storetest.NewTenant(t, a, prikke.TierPro)
	es := flowBacklog(t, a, flowJob(t, a, tn, "new:443"), 1, func(int) time.Time { return t0.Add(time.Hour) })
	// b reads that no key exists (and caches it).
	if next, ok, err := b.ExecutionNextDue(ctx); err != nil || !ok || !next.Equal(es[0].DueAt) {
		t.Fatalf("next due = %v, %v, %v", next, ok, err)
	}
	sub := b.Subscribe(store.TopicWork)
	defer sub.Close()
	if err := a.Publish(ctx, store.TopicWork, "before"); err != nil {
		t.Fatal(err)
	}
	for nextEvent(t, sub).Payload != "before" {
	}
	if _, err := a.FlowKeySetPaused(ctx, tn.Project.ID, "new:443", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FlowKeySetPaused(ctx, tn.Project.ID, "new:443", false); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, store.TopicWork, "after"); err != nil {
		t.Fatal(err)
	}
	for nextEvent(t, sub).Payload != "after" {
	}
	// The key has no limits: its execution is the flow claim's, due now
	// within the hour's lookahead.
	if next, ok, err := b.ExecutionNextDue(ctx); err != nil || !ok || !next.Equal(es[0].DueAt) {
		t.Errorf("b's next due after the key was made = %v, %v, %v; want the key's execution", next, ok, err)
	}
	res, err := b.ExecutionClaim(ctx, &store.ClaimParams{Node: "b", Limit: 10, Now: t0, Lookahead: time.Hour, LeaseGrace: time.Minute})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Execution.ID != es[0].ID {
		t.Fatalf("b claimed %d, %v; want the new key's execution", len(res.Claimed), err)
	}
}
