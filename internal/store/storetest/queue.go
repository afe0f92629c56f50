package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testQueue(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"BatchRoundTrip":  testQueueBatchRoundTrip,
		"BatchFailure":    testQueueBatchFailure,
		"BatchConcurrent": testQueueBatchConcurrent,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// queueItem is a queue job of tenant a with key and its first execution.
func queueItem(a *Tenant, key string) *store.EnqueueItem {
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: a.Project.ID, OrganizationID: a.Org.ID, Kind: prikke.JobKindQueue,
		Name: "POST example.com", URL: "https://example.com/q", Method: "POST", Body: `{"n":1}`,
		Headers: []prikke.Header{{Name: "Content-Type", Value: "application/json"}}, TimeoutMS: 10000, RetryAttempts: 3,
		Enabled: true, TimeZone: "UTC", RunAt: &T0, CatchUp: prikke.CatchUpLatest, CatchUpWindow: prikke.DefaultCatchUpWindow,
		Overlap: prikke.OverlapAllow, NotifyMode: prikke.NotifyProject, Health: prikke.JobHealthy,
		IdempotencyKey: key, FlowKey: "billing", CreatedAt: T0, UpdatedAt: T0}
	e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: T0, DueAt: T0, Attempt: 1, Status: prikke.ExecutionStatusPending, FlowKey: j.Flow(), CreatedAt: T0}
	return &store.EnqueueItem{Job: j, Execution: e}
}

// executionsOf counts a job's executions.
func executionsOf(t *testing.T, s store.Store, id prikke.ID) int {
	t.Helper()
	es, err := s.ExecutionList(context.Background(), store.ExecutionFilter{JobID: &id})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func testQueueBatchRoundTrip(t *testing.T, open Opener, cov *coverage) {
	cov.covers("QueueEnqueueBatch")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	b := NewTenant(t, s, prikke.TierPro)
	single := queueItem(a, "taken")
	if _, ok, err := store.QueueEnqueue(ctx, s, single.Job, single.Execution); !ok || err != nil {
		t.Fatalf("single enqueue = %v, %v", ok, err)
	}
	items := []*store.EnqueueItem{
		queueItem(a, "k1"), queueItem(a, ""), queueItem(a, "k1"), queueItem(a, "taken"), queueItem(a, ""),
		queueItem(b, "k1"), // another project: its own key
	}
	s.QueueEnqueueBatch(ctx, items)
	want := []struct {
		created bool
		job     prikke.ID
	}{{true, items[0].Job.ID}, {true, items[1].Job.ID}, {false, items[0].Job.ID}, {false, single.Job.ID},
		{true, items[4].Job.ID}, {true, items[5].Job.ID}}
	for i, it := range items {
		if it.Err != nil || it.Created != want[i].created || it.Stored == nil || it.Stored.ID != want[i].job {
			t.Fatalf("item %d: created %v, stored %v, err %v; want created %v, job %s", i, it.Created, it.Stored, it.Err, want[i].created, want[i].job)
		}
		if n := executionsOf(t, s, it.Stored.ID); n != 1 {
			t.Errorf("item %d: its job has %d executions, want 1", i, n)
		}
	}
	got, err := s.JobGet(ctx, items[0].Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	j := items[0].Job
	if got.Name != j.Name || got.URL != j.URL || got.Body != j.Body || got.TimeoutMS != j.TimeoutMS || got.RetryAttempts != j.RetryAttempts ||
		got.FlowKey != j.FlowKey || got.IdempotencyKey != "k1" || got.Kind != prikke.JobKindQueue || len(got.Headers) != 1 ||
		got.RunAt == nil || !got.RunAt.Equal(T0) || got.CatchUpWindow != j.CatchUpWindow || !got.Enabled {
		t.Errorf("stored job = %+v; want %+v", got, j)
	}
	if items[1].Job.IdempotencyKey != "" {
		t.Fatal("fixture")
	}
	if got, err := s.JobGet(ctx, items[1].Job.ID); err != nil || got.IdempotencyKey != "" {
		t.Errorf("keyless job = %+v, %v", got, err)
	}
	// Across batches: the same keys again make nothing new.
	again := []*store.EnqueueItem{queueItem(a, "k1"), queueItem(a, "taken")}
	s.QueueEnqueueBatch(ctx, again)
	if again[0].Created || again[0].Stored.ID != items[0].Job.ID || again[1].Created || again[1].Stored.ID != single.Job.ID {
		t.Errorf("second batch: %+v %+v", again[0], again[1])
	}
	// A single enqueue with a key a batch took.
	one := queueItem(b, "k1")
	if got, ok, err := store.QueueEnqueue(ctx, s, one.Job, one.Execution); ok || err != nil || got.ID != items[5].Job.ID {
		t.Errorf("single after batch = %v, %v, %v", got, ok, err)
	}
	s.QueueEnqueueBatch(ctx, nil) // nothing to do
}

func testQueueBatchFailure(t *testing.T, open Opener, cov *coverage) {
	cov.covers("QueueEnqueueBatch")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	bad := queueItem(a, "bad")
	bad.Job.ProjectID = prikke.NewID() // no such project: the insert fails
	bad.Execution.ProjectID = bad.Job.ProjectID
	items := []*store.EnqueueItem{queueItem(a, "good"), bad, queueItem(a, ""), queueItem(a, "good")}
	s.QueueEnqueueBatch(ctx, items)
	if bad.Err == nil || bad.Created {
		t.Errorf("the item of no project: created %v, err %v; want an error", bad.Created, bad.Err)
	}
	for i, it := range []*store.EnqueueItem{items[0], items[2]} {
		if it.Err != nil || !it.Created || executionsOf(t, s, it.Job.ID) != 1 {
			t.Errorf("good item %d beside a failing one: created %v, err %v", i, it.Created, it.Err)
		}
	}
	if it := items[3]; it.Err != nil || it.Created || it.Stored == nil || it.Stored.ID != items[0].Job.ID {
		t.Errorf("the good key again: %+v", it)
	}
}

func testQueueBatchConcurrent(t *testing.T, open Opener, cov *coverage) {
	cov.covers("QueueEnqueueBatch")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const goroutines, keys = 200, 25
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		byKey   = map[string]map[prikke.ID]bool{}
		created = map[string]int{}
		keyless int
	)
	for g := range goroutines {
		wg.Go(func() {
			// Batches of 1 to 4, keys shared across goroutines (and now
			// and then within a batch), some without a key.
			var items []*store.EnqueueItem
			for i := range g%4 + 1 {
				key := fmt.Sprintf("key-%d", (g*7+i*3)%keys)
				if (g+i)%5 == 0 {
					key = ""
				}
				items = append(items, queueItem(a, key))
			}
			s.QueueEnqueueBatch(ctx, items)
			mu.Lock()
			defer mu.Unlock()
			for _, it := range items {
				if it.Err != nil {
					t.Error(it.Err)
					continue
				}
				k := it.Job.IdempotencyKey
				if k == "" {
					if !it.Created {
						t.Error("a keyless item was not created")
					}
					keyless++
					continue
				}
				if byKey[k] == nil {
					byKey[k] = map[prikke.ID]bool{}
				}
				byKey[k][it.Stored.ID] = true
				if it.Created {
					created[k]++
				}
			}
		})
	}
	wg.Wait()
	for k, ids := range byKey {
		if len(ids) != 1 || created[k] != 1 {
			t.Errorf("key %s: %d distinct jobs, %d created; want 1 and 1", k, len(ids), created[k])
		}
		for id := range ids {
			if n := executionsOf(t, s, id); n != 1 {
				t.Errorf("key %s: %d executions, want 1", k, n)
			}
		}
	}
	js, err := s.JobList(ctx, store.JobFilter{ProjectID: &a.Project.ID, Kinds: []prikke.JobKind{prikke.JobKindQueue}, Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(byKey) + keyless; len(js) != want {
		t.Errorf("the project holds %d queue jobs; want %d (%d keys, %d keyless)", len(js), want, len(byKey), keyless)
	}
}
