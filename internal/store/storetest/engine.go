package storetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func testEngine(t *testing.T, open Opener, cov *coverage) {
	for name, fn := range map[string]func(*testing.T, Opener, *coverage){
		"PublishSubscribe": testPublishSubscribe,
		"Leader":           testLeader,
		"Occurrences":      testOccurrences,
		"Enqueue":          testEnqueue,
		"ClaimOrder":       testClaimOrder,
		"ClaimConcurrent":  testClaimConcurrent,
		"ClaimLease":       testClaimLease,
		"ClaimLookahead":   testClaimLookahead,
		"Overlap":          testOverlap,
		"Quota":            testQuota,
		"Complete":         testComplete,
		"Health":           testHealth,
		"Release":          testRelease,
		"Rescue":           testRescue,
		"RescueDead":       testRescueDead,
		"Prune":            testPrune,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open, cov)
		})
	}
}

// waitEvent waits for an event on sub.
func waitEvent(t *testing.T, sub *store.Subscription) store.Event {
	t.Helper()
	select {
	case e := <-sub.C:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return store.Event{}
}

func testPublishSubscribe(t *testing.T, open Opener, cov *coverage) {
	cov.covers("Subscribe", "Publish")
	s := open(t)
	ctx := context.Background()
	sub := s.Subscribe(store.TopicJobs, store.TopicWork)
	defer sub.Close()
	other := s.Subscribe(store.TopicFlips)
	defer other.Close()
	// On PostgreSQL, LISTEN starts asynchronously: publish until heard.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.Publish(ctx, store.TopicJobs, "hello"); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-sub.C:
			if e.Topic != store.TopicJobs || e.Payload != "hello" {
				t.Fatalf("event = %+v", e)
			}
		case <-time.After(100 * time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			t.Fatal("published event never arrived")
		}
		break
	}
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	for e := waitEvent(t, sub); e.Topic != store.TopicJobs || e.Payload != j.ID.String(); e = waitEvent(t, sub) {
	}
	NewExecution(t, s, j, prikke.TierPro, T0)
	for e := waitEvent(t, sub); e.Topic != store.TopicWork; e = waitEvent(t, sub) {
	}
	select {
	case e := <-other.C:
		t.Errorf("flips subscriber got %+v", e)
	default:
	}
	sub.Close()
	sub.Close()
}

func testLeader(t *testing.T, open Opener, cov *coverage) {
	cov.covers("LeaderAttemptElect", "LeaderAttemptReelect", "LeaderResign", "LeaderGet")
	s := open(t)
	ctx := context.Background()
	_, _, err := s.LeaderGet(ctx, "scheduler")
	Errcode(t, err, prikke.ENOTFOUND)
	ok, err := s.LeaderAttemptElect(ctx, "scheduler", "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("first elect = %v, %v", ok, err)
	}
	if ok, _ := s.LeaderAttemptElect(ctx, "scheduler", "b", time.Minute); ok {
		t.Fatal("b was elected while a holds an unexpired lease")
	}
	if ok, _ := s.LeaderAttemptElect(ctx, "scheduler", "a", time.Minute); !ok {
		t.Error("the leader's own elect attempt failed")
	}
	if ok, _ := s.LeaderAttemptReelect(ctx, "scheduler", "b", time.Minute); ok {
		t.Error("b reelected without leading")
	}
	if ok, _ := s.LeaderAttemptReelect(ctx, "scheduler", "a", time.Minute); !ok {
		t.Error("a could not reelect")
	}
	id, exp, err := s.LeaderGet(ctx, "scheduler")
	if err != nil || id != "a" || exp.Before(time.Now().Add(30*time.Second)) {
		t.Errorf("LeaderGet = %q, %v, %v", id, exp, err)
	}
	if err := s.LeaderResign(ctx, "scheduler", "b"); err != nil {
		t.Fatal(err)
	}
	if id, _, _ := s.LeaderGet(ctx, "scheduler"); id != "a" {
		t.Error("b's resignation removed a's lease")
	}
	if err := s.LeaderResign(ctx, "scheduler", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.LeaderAttemptElect(ctx, "scheduler", "b", 50*time.Millisecond); !ok {
		t.Fatal("b not elected after a resigned")
	}
	time.Sleep(150 * time.Millisecond) // let b's short lease expire
	if ok, _ := s.LeaderAttemptReelect(ctx, "scheduler", "b", time.Minute); ok {
		t.Error("b reelected an expired lease")
	}
	if ok, _ := s.LeaderAttemptElect(ctx, "scheduler", "c", time.Minute); !ok {
		t.Error("c could not take over an expired lease")
	}
	if ok, _ := s.LeaderAttemptElect(ctx, "other", "b", time.Minute); !ok {
		t.Error("leaderships of different names interfere")
	}
}

func testOccurrences(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobListDue", "JobNextRunAt", "OccurrencesWrite", "ExecutionInsert", "ExecutionNextDue", "ExecutionQueueDepth")
	s := open(t)
	ctx := context.Background()
	if _, ok, err := s.JobNextRunAt(ctx); ok || err != nil {
		t.Errorf("JobNextRunAt on an empty store = %v, %v", ok, err)
	}
	if _, ok, err := s.ExecutionNextDue(ctx); ok || err != nil {
		t.Errorf("ExecutionNextDue on an empty store = %v, %v", ok, err)
	}
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	j1 := NewJob(t, s, free, nil) // next T0+1m
	j2 := NewJob(t, s, pro, func(j *prikke.Job) { n := T0.Add(3 * time.Minute); j.NextRunAt = &n })
	NewJob(t, s, pro, func(j *prikke.Job) { j.Enabled = false })
	NewJob(t, s, pro, func(j *prikke.Job) {
		n := T0.Add(2 * time.Minute)
		j.NextRunAt = &n
		j.Kind = prikke.JobKindQueue
		j.RunAt = &n
	})
	if next, ok, _ := s.JobNextRunAt(ctx); !ok || !next.Equal(T0.Add(time.Minute)) {
		t.Errorf("JobNextRunAt = %v, %v", next, ok)
	}
	due, err := s.JobListDue(ctx, T0.Add(5*time.Minute), 10)
	if err != nil || len(due) != 2 || due[0].Job.ID != j1.ID || due[0].Tier != prikke.TierFree || due[1].Job.ID != j2.ID || due[1].Tier != prikke.TierPro {
		t.Fatalf("JobListDue = %v, %v", due, err)
	}
	if due, _ := s.JobListDue(ctx, T0.Add(2*time.Minute), 10); len(due) != 1 {
		t.Errorf("horizon: %d due", len(due))
	}

	occ := func(j *prikke.Job, at time.Time) *prikke.Execution {
		return &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending, CreatedAt: T0}
	}
	sub := s.Subscribe(store.TopicWork)
	defer sub.Close()
	n2 := T0.Add(2 * time.Minute)
	missed := occ(j2, T0.Add(-time.Hour))
	missed.Status, missed.MissedCount, missed.FinishedAt = prikke.ExecutionStatusMissed, 59, &T0
	ws := []*store.OccurrenceWrite{
		{JobID: j1.ID, PrevNextRunAt: T0.Add(time.Minute), NextRunAt: &n2, Executions: []*prikke.Execution{occ(j1, T0.Add(time.Minute))}},
		{JobID: j2.ID, PrevNextRunAt: T0.Add(3 * time.Minute), NextRunAt: nil, Executions: []*prikke.Execution{occ(j2, T0.Add(3*time.Minute)), missed}},
		// Stale: the scheduler read an old cursor; nothing is written.
		{JobID: j1.ID, PrevNextRunAt: T0, NextRunAt: &n2, Executions: []*prikke.Execution{occ(j1, T0)}},
	}
	n, err := s.OccurrencesWrite(ctx, ws)
	if err != nil || n != 3 {
		t.Fatalf("OccurrencesWrite = %d, %v; want 3", n, err)
	}
	if e := waitEvent(t, sub); e.Payload == "" {
		t.Error("work event without the earliest due instant")
	}
	got1, _ := s.JobGet(ctx, j1.ID)
	got2, _ := s.JobGet(ctx, j2.ID)
	if !got1.NextRunAt.Equal(n2) || got2.NextRunAt != nil {
		t.Errorf("cursors after write: %v, %v", got1.NextRunAt, got2.NextRunAt)
	}
	// Writing the same occurrence again (a second leader) inserts nothing.
	n3 := T0.Add(3 * time.Minute)
	n, err = s.OccurrencesWrite(ctx, []*store.OccurrenceWrite{{JobID: j1.ID, PrevNextRunAt: n2, NextRunAt: &n3, Executions: []*prikke.Execution{occ(j1, T0.Add(time.Minute))}}})
	if err != nil || n != 0 {
		t.Errorf("duplicate occurrence write = %d, %v; want 0", n, err)
	}
	Errcode(t, s.ExecutionInsert(ctx, occ(j1, T0.Add(time.Minute))), prikke.ECONFLICT)
	l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &j2.ID})
	if len(l) != 2 {
		t.Fatalf("j2 has %d executions", len(l))
	}
	for _, e := range l {
		if e.Status == prikke.ExecutionStatusMissed && (e.MissedCount != 59 || e.FinishedAt == nil) {
			t.Errorf("missed row = %+v", e)
		}
	}
	if next, ok, _ := s.ExecutionNextDue(ctx); !ok || !next.Equal(T0.Add(time.Minute)) {
		t.Errorf("ExecutionNextDue = %v, %v", next, ok)
	}
	if d, r, err := s.ExecutionQueueDepth(ctx, T0.Add(2*time.Minute)); err != nil || d != 1 || r != 0 {
		t.Errorf("ExecutionQueueDepth = %d, %d, %v", d, r, err)
	}
	claimOne(t, s, "n", T0.Add(2*time.Minute))
	if d, r, _ := s.ExecutionQueueDepth(ctx, T0.Add(time.Hour)); d != 1 || r != 1 {
		t.Errorf("ExecutionQueueDepth after claim = %d, %d", d, r)
	}
}

func testEnqueue(t *testing.T, open Opener, cov *coverage) {
	cov.covers("QueueEnqueueBatch")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	mk := func(key string) (*prikke.Job, *prikke.Execution) {
		j := &prikke.Job{ID: prikke.NewID(), ProjectID: a.Project.ID, OrganizationID: a.Org.ID, Kind: prikke.JobKindQueue,
			URL: "https://example.com/q", Method: "POST", TimeoutMS: 30000, RetryAttempts: 5, Enabled: true, RunAt: &T0,
			CatchUp: prikke.CatchUpLatest, Overlap: prikke.OverlapAllow, NotifyMode: prikke.NotifyProject,
			IdempotencyKey: key, CreatedAt: T0, UpdatedAt: T0}
		e := &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: T0, DueAt: T0, Attempt: 1, Status: prikke.ExecutionStatusPending, CreatedAt: T0}
		return j, e
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	ids := map[prikke.ID]bool{}
	for range 8 {
		wg.Go(func() {
			j, e := mk("same-key")
			got, ok, err := store.QueueEnqueue(ctx, s, j, e)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[got.ID] = true
			if ok {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("8 enqueues with one key: created %d, distinct jobs %d; want 1 and 1", created, len(ids))
	}
	for id := range ids {
		if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &id}); len(l) != 1 {
			t.Errorf("the enqueued job has %d executions, want 1", len(l))
		}
	}
	j, e := mk("")
	j2, e2 := mk("")
	if _, ok, err := store.QueueEnqueue(ctx, s, j, e); !ok || err != nil {
		t.Errorf("enqueue without key = %v, %v", ok, err)
	}
	if _, ok, err := store.QueueEnqueue(ctx, s, j2, e2); !ok || err != nil {
		t.Errorf("second enqueue without key = %v, %v", ok, err)
	}
}

func testClaimOrder(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionClaim")
	s := open(t)
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	hourly := func(j *prikke.Job) { j.CronExpression = "0 * * * *"; j.IntervalMinutes = 60 }
	freeHourly := NewJob(t, s, free, hourly)
	freeMinute := NewJob(t, s, free, nil)
	freeOnce := NewJob(t, s, free, Once(T0))
	proHourly := NewJob(t, s, pro, hourly)
	proMinute := NewJob(t, s, pro, nil)
	want := []*prikke.Execution{
		NewExecution(t, s, proMinute, prikke.TierPro, T0.Add(-2*time.Minute)), // pro, time-sensitive, most overdue
		NewExecution(t, s, proMinute, prikke.TierPro, T0.Add(-time.Minute)),
		NewExecution(t, s, proHourly, prikke.TierPro, T0.Add(-time.Hour)),
		NewExecution(t, s, freeOnce, prikke.TierFree, T0.Add(-3*time.Minute)),
		NewExecution(t, s, freeMinute, prikke.TierFree, T0),
		NewExecution(t, s, freeHourly, prikke.TierFree, T0.Add(-2*time.Hour)),
	}
	NewExecution(t, s, proMinute, prikke.TierPro, T0.Add(time.Second)) // not due yet
	var got []prikke.ID
	for {
		c := claimN(t, s, "n", T0, 1)
		if len(c) == 0 {
			break
		}
		got = append(got, c[0].Execution.ID)
	}
	if len(got) != len(want) {
		t.Fatalf("claimed %d, want %d (the future one must wait)", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].ID {
			t.Errorf("claim %d = %v, want %v", i, got[i], want[i].ID)
		}
	}
	// A batch comes back in the same order.
	s2 := open(t)
	p2 := NewTenant(t, s2, prikke.TierPro)
	f2 := NewTenant(t, s2, prikke.TierFree)
	jf := NewJob(t, s2, f2, nil)
	jp := NewJob(t, s2, p2, nil)
	ef := NewExecution(t, s2, jf, prikke.TierFree, T0.Add(-time.Hour))
	ep := NewExecution(t, s2, jp, prikke.TierPro, T0)
	c := claimN(t, s2, "n", T0, 10)
	if len(c) != 2 || c[0].Execution.ID != ep.ID || c[1].Execution.ID != ef.ID {
		t.Errorf("batch order wrong")
	}
	// Organizations without room are not claimed; the others take at
	// most their room, the rest at most the default.
	jp2 := NewJob(t, s2, p2, nil)
	NewExecution(t, s2, jp2, prikke.TierPro, T0)
	NewExecution(t, s2, jf, prikke.TierFree, T0)
	res, err := s2.ExecutionClaim(context.Background(), &store.ClaimParams{Node: "n", Limit: 10, Now: T0, OrgRoom: map[prikke.ID]int{p2.Org.ID: 0}})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Execution.OrganizationID != f2.Org.ID {
		t.Errorf("claim excluding org = %v, %v", res, err)
	}
	s3 := open(t)
	big := NewTenant(t, s3, prikke.TierPro)
	small := NewTenant(t, s3, prikke.TierFree)
	third := NewTenant(t, s3, prikke.TierFree)
	jb, js, jt := NewJob(t, s3, big, nil), NewJob(t, s3, small, nil), NewJob(t, s3, third, nil)
	for i := range 10 {
		NewExecution(t, s3, jb, prikke.TierPro, T0.Add(-time.Duration(i)*time.Second))
		NewExecution(t, s3, js, prikke.TierFree, T0.Add(-time.Duration(i)*time.Second))
		NewExecution(t, s3, jt, prikke.TierFree, T0.Add(-time.Duration(i)*time.Second))
	}
	res, err = s3.ExecutionClaim(context.Background(), &store.ClaimParams{Node: "n", Limit: 100, Now: T0,
		OrgRoom: map[prikke.ID]int{big.Org.ID: 3, small.Org.ID: 0}, DefaultOrgRoom: 4})
	if err != nil {
		t.Fatal(err)
	}
	per := map[prikke.ID]int{}
	for _, c := range res.Claimed {
		per[c.Execution.OrganizationID]++
	}
	if per[big.Org.ID] != 3 || per[small.Org.ID] != 0 || per[third.Org.ID] != 4 {
		t.Errorf("claimed per organization = big %d, small %d, third %d; want 3, 0, 4 (their room)",
			per[big.Org.ID], per[small.Org.ID], per[third.Org.ID])
	}
}

func testClaimConcurrent(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	const n = 5000
	var ws []*store.OccurrenceWrite
	for i := range 50 {
		j := NewJob(t, s, a, Once(T0))
		w := &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: T0}
		for k := range n / 50 {
			at := T0.Add(-time.Duration(i*100+k) * time.Millisecond)
			w.Executions = append(w.Executions, &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID,
				OrganizationID: j.OrganizationID, ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending, CreatedAt: T0})
		}
		ws = append(ws, w)
	}
	if got, err := s.OccurrencesWrite(ctx, ws); err != nil || got != n {
		t.Fatalf("seeded %d, %v", got, err)
	}
	var mu sync.Mutex
	seen := map[prikke.ID]string{}
	dups := 0
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			node := fmt.Sprintf("node-%d", w)
			for {
				res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: node, Limit: 37, Now: T0, LeaseGrace: time.Second})
				if err != nil {
					t.Error(err)
					return
				}
				if len(res.Claimed) == 0 {
					return
				}
				mu.Lock()
				for _, c := range res.Claimed {
					if _, ok := seen[c.Execution.ID]; ok {
						dups++
					}
					seen[c.Execution.ID] = node
					if c.Execution.ClaimedBy != node {
						t.Errorf("claimed_by = %q, want %q", c.Execution.ClaimedBy, node)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n || dups != 0 {
		t.Fatalf("8 claimers over %d rows: %d claimed, %d claimed twice", n, len(seen), dups)
	}
}

func testClaimLease(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	until := T0.Add(time.Hour)
	a.Project.PreviousSecret, a.Project.PreviousUntil = "whsec_b2xkLXNlY3JldA==", &until
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	j := NewJob(t, s, a, func(j *prikke.Job) { j.TimeoutMS = 5000 })
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 5, Now: T0.Add(time.Second), LeaseGrace: 20 * time.Second})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim = %v, %v", res, err)
	}
	c := res.Claimed[0]
	if c.Execution.ID != e.ID || c.Execution.Status != prikke.ExecutionStatusRunning || c.Execution.ClaimedBy != "n1" ||
		!c.Execution.ClaimedAt.Equal(T0.Add(time.Second)) || !c.Execution.LeaseExpiresAt.Equal(T0.Add(26*time.Second)) {
		t.Errorf("claimed execution = %+v; lease must be claim + timeout + grace", c.Execution)
	}
	if c.Job.ID != j.ID || c.Job.URL != j.URL || c.Tier != prikke.TierPro {
		t.Errorf("claimed job = %+v tier %v", c.Job, c.Tier)
	}
	if len(c.Secrets) != 2 || c.Secrets[0] != a.Project.SigningSecret || c.Secrets[1] != "whsec_b2xkLXNlY3JldA==" {
		t.Errorf("secrets = %v; want current and previous during the overlap", c.Secrets)
	}
	if res.Settled != 0 || len(res.QuotaCrossings) != 0 {
		t.Errorf("result = %+v", res)
	}
	e2 := NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Minute))
	c2 := claimOne(t, s, "n1", T0.Add(2*time.Hour))
	if c2.Execution.ID != e2.ID || len(c2.Secrets) != 1 {
		t.Errorf("after the overlap window secrets = %v", c2.Secrets)
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 2 {
		t.Errorf("usage = %d, want 2 (one per claimed attempt)", u)
	}
}

// testClaimLookahead: a claim with a lookahead takes everything due first,
// whatever its priority, then what falls due within the lookahead, whose
// lease counts from its due instant; later executions wait.
func testClaimLookahead(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	jf := NewJob(t, s, free, func(j *prikke.Job) { j.CronExpression = "0 * * * *"; j.IntervalMinutes = 60; j.TimeoutMS = 5000 })
	jp := NewJob(t, s, pro, func(j *prikke.Job) { j.TimeoutMS = 5000 })
	soon := NewExecution(t, s, jp, prikke.TierPro, T0.Add(300*time.Millisecond))  // highest priority, within the lookahead
	due := NewExecution(t, s, jf, prikke.TierFree, T0.Add(-time.Second))          // lowest priority, due
	edge := NewExecution(t, s, jf, prikke.TierFree, T0.Add(500*time.Millisecond)) // at the lookahead's end
	late := NewExecution(t, s, jp, prikke.TierPro, T0.Add(501*time.Millisecond))  // beyond it
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: T0, LeaseGrace: 20 * time.Second,
		Lookahead: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var got []prikke.ID
	for _, c := range res.Claimed {
		got = append(got, c.Execution.ID)
	}
	if len(got) != 3 || !slices.Contains(got, due.ID) || !slices.Contains(got, soon.ID) || !slices.Contains(got, edge.ID) {
		t.Fatalf("claimed %v; want the due one, the one due in 300ms and the one due in 500ms, not %v", got, late.ID)
	}
	for _, c := range res.Claimed {
		lease := later(T0, c.Execution.DueAt).Add(25 * time.Second)
		if !c.Execution.ClaimedAt.Equal(T0) || !c.Execution.LeaseExpiresAt.Equal(lease) {
			t.Errorf("execution due %v: claimed %v, lease %v; want claimed at %v, lease %v (from the later of claim and due)",
				c.Execution.DueAt, c.Execution.ClaimedAt, c.Execution.LeaseExpiresAt, T0, lease)
		}
	}
	// With the limit reached by what is due, nothing ahead is taken; and
	// without a lookahead, nothing ahead is taken either.
	s2 := open(t)
	tn := NewTenant(t, s2, prikke.TierPro)
	j := NewJob(t, s2, tn, nil)
	d := NewExecution(t, s2, j, prikke.TierPro, T0)
	NewExecution(t, s2, j, prikke.TierPro, T0.Add(100*time.Millisecond))
	res, err = s2.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 1, Now: T0, Lookahead: time.Second})
	if err != nil || len(res.Claimed) != 1 || res.Claimed[0].Execution.ID != d.ID {
		t.Errorf("claim of 1 with the lookahead = %v, %v; want the due one", res, err)
	}
	if c := claimN(t, s2, "n", T0, 10); len(c) != 0 {
		t.Errorf("claim without lookahead took %d executions not yet due", len(c))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func testOverlap(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, func(j *prikke.Job) { j.Overlap = prikke.OverlapSkip })
	allow := NewJob(t, s, a, nil)
	NewExecution(t, s, j, prikke.TierPro, T0)
	first := claimOne(t, s, "n", T0)
	second := NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Minute))
	NewExecution(t, s, allow, prikke.TierPro, T0)
	NewExecution(t, s, allow, prikke.TierPro, T0.Add(time.Minute))
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: T0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Claimed) != 2 || res.Settled != 1 {
		t.Fatalf("claimed %d settled %d; want the allow job's two runs, and the skip job's run settled", len(res.Claimed), res.Settled)
	}
	got, _ := s.ExecutionGet(ctx, second.ID)
	if got.Status != prikke.ExecutionStatusSkipped || got.FinishedAt == nil || got.Error == "" {
		t.Errorf("overlapping run = %+v", got)
	}
	complete(t, s, "n", first, prikke.ExecutionStatusSuccess, nil)
	// Two due runs of one skip job in one batch: the older runs, the newer is skipped.
	NewExecution(t, s, j, prikke.TierPro, T0.Add(2*time.Minute))
	NewExecution(t, s, j, prikke.TierPro, T0.Add(3*time.Minute))
	res, _ = s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: T0.Add(3 * time.Minute)})
	if len(res.Claimed) != 1 || res.Settled != 1 || !res.Claimed[0].Execution.ScheduledFor.Equal(T0.Add(2*time.Minute)) {
		t.Errorf("batch overlap: claimed %d settled %d", len(res.Claimed), res.Settled)
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 4 {
		t.Errorf("usage = %d, want 4 (skipped runs are not requests)", u)
	}
}

func testQuota(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierFree)
	b := NewTenant(t, s, prikke.TierFree)
	month := prikke.Month(T0)
	if _, err := s.UsageAdd(ctx, a.Org.ID, month, 3999); err != nil {
		t.Fatal(err)
	}
	j := NewJob(t, s, a, nil)
	jb := NewJob(t, s, b, nil)
	NewExecution(t, s, j, prikke.TierFree, T0)
	res, _ := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: T0})
	if len(res.QuotaCrossings) != 1 || res.QuotaCrossings[0].Used != 4000 || res.QuotaCrossings[0].Limit != 5000 {
		t.Errorf("80%% crossing = %+v", res.QuotaCrossings)
	}
	if _, err := s.UsageAdd(ctx, a.Org.ID, month, 999); err != nil {
		t.Fatal(err)
	}
	var es []*prikke.Execution
	for i := range 3 {
		es = append(es, NewExecution(t, s, j, prikke.TierFree, T0.Add(time.Duration(i+1)*time.Second)))
	}
	eb := NewExecution(t, s, jb, prikke.TierFree, T0.Add(time.Second))
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 10, Now: T0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Claimed) != 2 || res.Settled != 2 {
		t.Fatalf("claimed %d settled %d; want 1 of a's (the quota's last request) and b's, and 2 over quota", len(res.Claimed), res.Settled)
	}
	claimedIDs := map[prikke.ID]bool{}
	for _, c := range res.Claimed {
		claimedIDs[c.Execution.ID] = true
	}
	if !claimedIDs[es[0].ID] || !claimedIDs[eb.ID] {
		t.Error("the wrong executions were delivered")
	}
	for _, e := range es[1:] {
		got, _ := s.ExecutionGet(ctx, e.ID)
		if got.Status != prikke.ExecutionStatusQuotaExceeded || got.FinishedAt == nil {
			t.Errorf("over-quota execution = %+v", got)
		}
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, month); u != 5000 {
		t.Errorf("usage = %d, want exactly 5000", u)
	}
	if u, _ := s.UsageGet(ctx, b.Org.ID, month); u != 1 {
		t.Errorf("b's usage = %d; a's quota must not affect b", u)
	}
	found := false
	for _, qc := range res.QuotaCrossings {
		if qc.OrganizationID == a.Org.ID && qc.Used == 5000 && qc.Month == month {
			found = true
		}
	}
	if !found {
		t.Errorf("100%% crossing missing: %+v", res.QuotaCrossings)
	}
}

func testComplete(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionComplete")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, Once(T0))
	e := NewExecution(t, s, j, prikke.TierPro, T0)
	c := claimOne(t, s, "n1", T0)

	// Another node, or a wrong attempt, cannot complete it.
	cp := completion(c, prikke.ExecutionStatusFailed)
	if applied, err := s.ExecutionComplete(ctx, "n2", []*store.Completion{cp}); err != nil || len(applied) != 0 {
		t.Errorf("foreign completion applied: %v, %v", applied, err)
	}
	wrong := *cp
	wrong.Attempt = 2
	if applied, _ := s.ExecutionComplete(ctx, "n1", []*store.Completion{&wrong}); len(applied) != 0 {
		t.Error("completion of a wrong attempt applied")
	}
	retryAt := T0.Add(10 * time.Second)
	cp.Retry = &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
		ScheduledFor: T0, DueAt: retryAt, Attempt: 2, Status: prikke.ExecutionStatusPending, Priority: c.Execution.Priority, CreatedAt: T0}
	cp.Health, cp.Error, cp.ResponseStatus = store.HealthNone, "HTTP 503", 503
	sub := s.Subscribe(store.TopicExecutions)
	defer sub.Close()
	applied, err := s.ExecutionComplete(ctx, "n1", []*store.Completion{cp})
	if err != nil || len(applied) != 1 || applied[0] != e.ID {
		t.Fatalf("complete = %v, %v", applied, err)
	}
	// A second write of the same result is fenced out.
	if applied, _ := s.ExecutionComplete(ctx, "n1", []*store.Completion{cp}); len(applied) != 0 {
		t.Error("a completed execution was completed again")
	}
	got, _ := s.ExecutionGet(ctx, e.ID)
	if got.Status != prikke.ExecutionStatusFailed || got.Error != "HTTP 503" || got.ResponseStatus != 503 {
		t.Errorf("completed row = %+v", got)
	}
	if next, _, _ := s.ExecutionNextDue(ctx); !next.Equal(retryAt) {
		t.Errorf("retry not due at %v (next due %v)", retryAt, next)
	}
	jg, _ := s.JobGet(ctx, j.ID)
	if jg.LastStatus != prikke.ExecutionStatusFailed || jg.LastRunAt == nil || jg.ConsecutiveFailures != 0 || jg.Health != prikke.JobHealthy {
		t.Errorf("a failure that will be retried must not count against health: %+v", jg)
	}
	for ev := waitEvent(t, sub); ; ev = waitEvent(t, sub) {
		if ev.Topic == store.TopicExecutions && len(ev.Payload) > 0 {
			break
		}
	}

	// 410 Gone disables the job and drops its pending runs.
	c2 := claimOne(t, s, "n1", retryAt)
	cron := NewJob(t, s, a, nil)
	NewExecution(t, s, cron, prikke.TierPro, T0)
	NewExecution(t, s, cron, prikke.TierPro, T0.Add(time.Hour))
	c3 := claimOne(t, s, "n1", T0.Add(time.Minute))
	gone := completion(c3, prikke.ExecutionStatusFailed)
	gone.Gone, gone.ResponseStatus = true, 410
	if _, err := s.ExecutionComplete(ctx, "n1", []*store.Completion{completion(c2, prikke.ExecutionStatusSuccess), gone}); err != nil {
		t.Fatal(err)
	}
	cg, _ := s.JobGet(ctx, cron.ID)
	if cg.Enabled || cg.NextRunAt != nil || cg.DisabledReason == "" {
		t.Errorf("410 job = %+v; want disabled with a reason", cg)
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &cron.ID, Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusPending}}); len(l) != 0 {
		t.Errorf("410 job kept %d pending runs", len(l))
	}
	flips, _ := s.FlipClaim(ctx, T0, 100)
	var events []prikke.NotificationEvent
	for _, f := range flips {
		if f.JobID == cron.ID {
			events = append(events, f.Event)
		}
	}
	sort.Slice(events, func(i, k int) bool { return events[i] < events[k] })
	if fmt.Sprint(events) != "[job.disabled job.failing]" {
		t.Errorf("flips for the 410 job = %v", events)
	}
}

func testHealth(t *testing.T, open Opener, cov *coverage) {
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	a.Project.AlertAfter = 2
	if err := s.ProjectUpdate(ctx, a.Project); err != nil {
		t.Fatal(err)
	}
	j := NewJob(t, s, a, nil)
	run := func(i int, st prikke.ExecutionStatus) {
		at := T0.Add(time.Duration(i) * time.Minute)
		NewExecution(t, s, j, prikke.TierPro, at)
		complete(t, s, "n", claimOne(t, s, "n", at), st, nil)
	}
	var events []prikke.NotificationEvent
	collect := func() {
		fs, err := s.FlipClaim(ctx, T0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			events = append(events, f.Event)
		}
	}
	run(0, prikke.ExecutionStatusFailed)
	collect()
	if len(events) != 0 {
		t.Fatalf("flip after 1 failure with alert_after 2: %v", events)
	}
	run(1, prikke.ExecutionStatusTimeout)
	run(2, prikke.ExecutionStatusFailed)
	collect()
	if fmt.Sprint(events) != "[job.failing]" {
		t.Fatalf("after 3 failures: %v; want exactly one failing flip", events)
	}
	jg, _ := s.JobGet(ctx, j.ID)
	if jg.Health != prikke.JobFailing || jg.ConsecutiveFailures != 3 || jg.LastStatus != prikke.ExecutionStatusFailed {
		t.Errorf("job = %+v", jg)
	}
	run(3, prikke.ExecutionStatusSuccess)
	run(4, prikke.ExecutionStatusSuccess)
	collect()
	if fmt.Sprint(events) != "[job.failing job.recovered]" {
		t.Errorf("after recovery: %v", events)
	}
	jg, _ = s.JobGet(ctx, j.ID)
	if jg.Health != prikke.JobHealthy || jg.ConsecutiveFailures != 0 {
		t.Errorf("recovered job = %+v", jg)
	}
}

func testRelease(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionRelease")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, nil)
	NewExecution(t, s, j, prikke.TierPro, T0)
	NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Second))
	c := claimN(t, s, "n1", T0.Add(time.Minute), 2)
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 2 {
		t.Fatalf("usage = %d", u)
	}
	ids := []prikke.ID{c[0].Execution.ID, c[1].Execution.ID}
	if n, err := s.ExecutionRelease(ctx, "n2", ids); err != nil || n != 0 {
		t.Errorf("another node released %d, %v", n, err)
	}
	if n, err := s.ExecutionRelease(ctx, "n1", ids); err != nil || n != 2 {
		t.Errorf("release = %d, %v", n, err)
	}
	got, _ := s.ExecutionGet(ctx, ids[0])
	if got.Status != prikke.ExecutionStatusPending || got.ClaimedBy != "" || got.ClaimedAt != nil || got.LeaseExpiresAt != nil {
		t.Errorf("released row = %+v", got)
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 0 {
		t.Errorf("usage after release = %d, want 0 (the requests never left)", u)
	}
	if n := len(claimN(t, s, "n3", T0.Add(time.Minute), 5)); n != 2 {
		t.Errorf("released rows claimable again: %d", n)
	}
}

func testRescue(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionRescue")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	cron := NewJob(t, s, a, func(j *prikke.Job) { j.TimeoutMS = 10000 })
	once := NewJob(t, s, a, func(j *prikke.Job) { Once(T0)(j); j.RetryAttempts = 1; j.TimeoutMS = 10000 })
	ce := NewExecution(t, s, cron, prikke.TierPro, T0)
	oe := NewExecution(t, s, once, prikke.TierPro, T0)
	lost := claimN(t, s, "dead", T0, 10) // leases end at T0 + 10s + 30s
	if len(lost) != 2 {
		t.Fatal("claim")
	}
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(39 * time.Second), Limit: 100}); err != nil || n != 0 {
		t.Fatalf("rescued %d, %v before the leases expired", n, err)
	}
	n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(41 * time.Second), Limit: 100})
	if err != nil || n != 2 {
		t.Fatalf("rescue = %d, %v; want 2", n, err)
	}
	for _, id := range []prikke.ID{ce.ID, oe.ID} {
		got, _ := s.ExecutionGet(ctx, id)
		if got.Status != prikke.ExecutionStatusFailed || got.Error != store.RescueNote || got.FinishedAt == nil {
			t.Errorf("lost attempt = %+v", got)
		}
	}
	// The dead node's late result is dropped.
	if applied, _ := s.ExecutionComplete(ctx, "dead", []*store.Completion{completion(lost[0], prikke.ExecutionStatusSuccess)}); len(applied) != 0 {
		t.Error("a rescued attempt's late result was applied")
	}
	again := claimN(t, s, "alive", T0.Add(41*time.Second), 10)
	if len(again) != 2 {
		t.Fatalf("rescued attempts claimable: %d", len(again))
	}
	for _, c := range again {
		if c.Execution.Attempt != 2 || !c.Execution.Rescued || !c.Execution.ScheduledFor.Equal(T0) {
			t.Errorf("rescue attempt = %+v", c.Execution)
		}
	}
	// Lose them again: the cron occurrence was rescued once already and
	// ends failed; the one-time job has used its one retry, so it ends too.
	if n, _ := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(2 * time.Minute), Limit: 100}); n != 2 {
		t.Fatalf("second rescue = %d", n)
	}
	for _, c := range again {
		got, _ := s.ExecutionGet(ctx, c.Execution.ID)
		if got.Status != prikke.ExecutionStatusFailed || got.Error != store.RescueNoteFinal {
			t.Errorf("second loss = %+v", got)
		}
	}
	if d, r, _ := s.ExecutionQueueDepth(ctx, T0.Add(time.Hour)); d != 0 || r != 0 {
		t.Errorf("queue after final rescue = %d due, %d running", d, r)
	}
	// AnyLease rescues a running attempt whose lease has not expired.
	NewExecution(t, s, cron, prikke.TierPro, T0.Add(5*time.Minute))
	fresh := claimOne(t, s, "n", T0.Add(5*time.Minute))
	if n, _ := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(5 * time.Minute), Limit: 100}); n != 0 {
		t.Errorf("rescued %d attempts with live leases", n)
	}
	if n, err := s.ExecutionRescue(ctx, store.RescueParams{Now: T0.Add(5 * time.Minute), Limit: 100, AnyLease: true}); n != 1 || err != nil {
		t.Errorf("AnyLease rescue = %d, %v", n, err)
	}
	if got, _ := s.ExecutionGet(ctx, fresh.Execution.ID); got.Status != prikke.ExecutionStatusFailed {
		t.Errorf("AnyLease left %+v", got)
	}
	if jg, _ := s.JobGet(ctx, cron.ID); jg.Health != prikke.JobFailing {
		t.Errorf("a finally lost occurrence must count as a failure: %+v", jg)
	}
}

// testRescueDead: the running executions of a node whose worker heartbeat
// stopped are settled at once, whatever their lease: those whose request
// had not gone out (not marked sent) go back to pending as they were, those
// marked sent are settled as lost and delivered again. A node beating, or
// one that never beat, keeps its executions.
func testRescueDead(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionMarkSent", "ExecutionRescueDead")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	j := NewJob(t, s, a, func(j *prikke.Job) { j.TimeoutMS = 10000 })
	var claimed []*store.Claimed
	for i, node := range []string{"dead", "dead", "dead", "alive", "ghost"} {
		NewExecution(t, s, j, prikke.TierPro, T0.Add(time.Duration(i)*time.Minute))
		claimed = append(claimed, claimOne(t, s, node, T0.Add(time.Hour)))
	}
	sentOne, unsent, other := claimed[0], claimed[1:3], claimed[3:]
	if err := s.HeartbeatPut(ctx, store.WorkerBeat+"dead", ""); err != nil {
		t.Fatal(err)
	}
	deadAt, _, _ := s.HeartbeatGet(ctx, store.WorkerBeat+"dead")
	aliveAt := deadAt
	for !aliveAt.After(deadAt.Add(time.Millisecond)) {
		time.Sleep(5 * time.Millisecond)
		if err := s.HeartbeatPut(ctx, store.WorkerBeat+"alive", ""); err != nil {
			t.Fatal(err)
		}
		aliveAt, _, _ = s.HeartbeatGet(ctx, store.WorkerBeat+"alive")
	}
	// Another node's mark is fenced off; the dead node's marks its first.
	if err := s.ExecutionMarkSent(ctx, "alive", []prikke.ID{unsent[0].Execution.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.ExecutionMarkSent(ctx, "dead", []prikke.ID{sentOne.Execution.ID}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 5 {
		t.Fatalf("usage = %d", u)
	}
	// At the dead node's beat plus DeadAfter nothing is dead yet.
	deadAfter := aliveAt.Sub(deadAt) / 2
	if r, n, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: deadAt.Add(deadAfter), DeadAfter: deadAfter, Limit: 100}); err != nil || r+n != 0 {
		t.Fatalf("rescue before the heartbeat was stale = %d released, %d rescued, %v", r, n, err)
	}
	// Nodes named: only those are taken over, none judged by heartbeat.
	if r, n, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: aliveAt, DeadAfter: deadAfter, Limit: 100, Nodes: []string{"nobody"}}); err != nil || r+n != 0 {
		t.Fatalf("rescue of a named node holding nothing = %d released, %d rescued, %v; want none", r, n, err)
	}
	released, rescued, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: aliveAt, DeadAfter: deadAfter, Limit: 100})
	if err != nil || released != 2 || rescued != 1 {
		t.Fatalf("rescue = %d released, %d rescued, %v; want 2 and 1", released, rescued, err)
	}
	for _, c := range unsent {
		got, _ := s.ExecutionGet(ctx, c.Execution.ID)
		if got.Status != prikke.ExecutionStatusPending || got.ClaimedBy != "" || got.Attempt != 1 || got.LeaseExpiresAt != nil || got.StartedAt != nil {
			t.Errorf("unsent execution of the dead node = %+v; want pending as it was", got)
		}
	}
	got, _ := s.ExecutionGet(ctx, sentOne.Execution.ID)
	if got.Status != prikke.ExecutionStatusFailed || got.Error != store.DeadNote {
		t.Errorf("sent execution of the dead node = %+v; want failed with the dead-node note", got)
	}
	for _, c := range other {
		if got, _ := s.ExecutionGet(ctx, c.Execution.ID); got.Status != prikke.ExecutionStatusRunning {
			t.Errorf("execution of %s = %+v; a beating node, or one that never beat, keeps its work", c.Execution.ClaimedBy, got)
		}
	}
	if u, _ := s.UsageGet(ctx, a.Org.ID, prikke.Month(T0)); u != 3 {
		t.Errorf("usage = %d, want 3 (the two unsent requests never left)", u)
	}
	// The dead node's late result is dropped; the released rows and the
	// new attempt are claimed again.
	if applied, _ := s.ExecutionComplete(ctx, "dead", []*store.Completion{completion(sentOne, prikke.ExecutionStatusSuccess)}); len(applied) != 0 {
		t.Error("a rescued attempt's late result was applied")
	}
	again := claimN(t, s, "n2", aliveAt.Add(time.Minute), 10)
	attempts := map[int]int{}
	for _, c := range again {
		attempts[c.Execution.Attempt]++
		if c.Execution.Attempt == 2 && (!c.Execution.Rescued || !c.Execution.ScheduledFor.Equal(sentOne.Execution.ScheduledFor)) {
			t.Errorf("new attempt = %+v", c.Execution)
		}
	}
	if len(again) != 3 || attempts[1] != 2 || attempts[2] != 1 {
		t.Errorf("claimed again %d (attempts %v); want the 2 released first attempts and 1 second attempt", len(again), attempts)
	}
	if r, n, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: aliveAt, DeadAfter: deadAfter, Limit: 100}); err != nil || r+n != 0 {
		t.Errorf("second rescue = %d, %d, %v; want nothing left", r, n, err)
	}
	if _, _, err := s.HeartbeatGet(ctx, store.WorkerBeat+"dead"); err != nil {
		t.Errorf("the dead node's heartbeat is kept for an hour: %v", err)
	}
	// A node starting under the alive node's ID takes over what it left
	// running, heartbeat or not; the ghost (no heartbeat) keeps its own.
	released, rescued, err = s.ExecutionRescueDead(ctx, store.DeadParams{Now: aliveAt, DeadAfter: deadAfter, Limit: 100, Nodes: []string{"alive"}})
	if err != nil || released != 1 || rescued != 0 {
		t.Errorf("taking over the alive node's work by name = %d released, %d rescued, %v; want 1 released", released, rescued, err)
	}
	claimOne(t, s, "alive", aliveAt.Add(time.Minute))
	// An hour later the alive node is silent too: its execution goes back,
	// and both heartbeats, holding nothing, are forgotten.
	later := aliveAt.Add(store.ForgetDeadAfter + time.Minute)
	if r, n, err := s.ExecutionRescueDead(ctx, store.DeadParams{Now: later, DeadAfter: deadAfter, Limit: 100}); err != nil || r != 1 || n != 0 {
		t.Errorf("rescue an hour later = %d released, %d rescued, %v; want the alive node's 1", r, n, err)
	}
	for _, node := range []string{"dead", "alive"} {
		if _, _, err := s.HeartbeatGet(ctx, store.WorkerBeat+node); prikke.ErrorCode(err) != prikke.ENOTFOUND {
			t.Errorf("heartbeat of %s, silent for an hour and holding nothing: %v; want it deleted", node, err)
		}
	}
}

func testPrune(t *testing.T, open Opener, cov *coverage) {
	cov.covers("ExecutionPrune")
	s := open(t)
	ctx := context.Background()
	free := NewTenant(t, s, prikke.TierFree)
	pro := NewTenant(t, s, prikke.TierPro)
	jf := NewJob(t, s, free, nil)
	jp := NewJob(t, s, pro, nil)
	old := T0.Add(-8 * 24 * time.Hour)
	finish := func(j *prikke.Job, tier prikke.Tier, at time.Time) {
		NewExecution(t, s, j, tier, at)
		complete(t, s, "n", claimOne(t, s, "n", at), prikke.ExecutionStatusSuccess, nil)
	}
	for i := range 5 {
		finish(jf, prikke.TierFree, old.Add(time.Duration(i)*time.Minute))
		finish(jp, prikke.TierPro, old.Add(time.Duration(i)*time.Minute))
	}
	finish(jf, prikke.TierFree, T0.Add(-time.Hour))
	NewExecution(t, s, jf, prikke.TierFree, old.Add(time.Hour)) // old but pending: never pruned
	NewExecution(t, s, jf, prikke.TierFree, old.Add(2*time.Hour))
	claimOne(t, s, "n", old.Add(2*time.Hour)) // old but running: never pruned
	total := 0
	for {
		n, err := s.ExecutionPrune(ctx, T0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n > 2 {
			t.Fatalf("pruned %d in one batch of 2", n)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total != 5 {
		t.Errorf("pruned %d, want the 5 old free-tier rows", total)
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &jf.ID}); len(l) != 3 {
		t.Errorf("free job keeps %d rows, want 3 (recent, pending, running)", len(l))
	}
	if l, _ := s.ExecutionList(ctx, store.ExecutionFilter{JobID: &jp.ID}); len(l) != 5 {
		t.Errorf("pro job keeps %d rows, want all 5 (30-day history)", len(l))
	}
}
