package scheduler_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestMaintenanceRepairsAndPrunesRuns: a run whose step's attempt ended
// without a completion naming the step (as one settled over quota in a
// claim) is advanced by the leader's repair; a finished run older than
// the organization's history is pruned, a recent one kept.
func TestMaintenanceRepairsAndPrunesRuns(t *testing.T) {
	t.Parallel()
	now := storetest.T0.Add(40 * 24 * time.Hour)
	s, setClock := warpStore(t, storetest.T0)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: tn.Project.ID, OrganizationID: tn.Org.ID, Name: "nightly",
		Definition: prikke.WorkflowDefinition{Steps: []prikke.Step{{Key: "a", URL: "https://example.com/a"}, {Key: "b", URL: "https://example.com/b"}}},
		Health:     prikke.JobHealthy, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}
	if err := s.WorkflowCreate(ctx, w); err != nil {
		t.Fatal(err)
	}
	// An old run, finished (cancelled) 40 days ago.
	old, _, err := s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI, Now: storetest.T0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WorkflowRunCancel(ctx, old.ID, storetest.T0); err != nil {
		t.Fatal(err)
	}
	// A run whose first step's attempt is completed without naming its
	// step: the run is left waiting on an execution that ended.
	setClock(now)
	stalled, _, err := s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n", Limit: 1, Now: now.Add(time.Second)})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v", err)
	}
	c := res.Claimed[0]
	if _, err := s.ExecutionComplete(ctx, "n", []*store.Completion{{ExecutionID: c.Execution.ID, JobID: c.Job.ID,
		OrganizationID: tn.Org.ID, Attempt: 1, Status: prikke.ExecutionStatusFailed, StartedAt: now, FinishedAt: now,
		Error: "quota exceeded"}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.WorkflowRunGet(ctx, stalled.ID); r.Status != prikke.RunStatusRunning {
		t.Fatalf("the run finished without repair: %s", r.Status)
	}

	sched := scheduler.New(s, scheduler.Config{Node: "n1", Lead: 2 * time.Second, LeaderTTL: 2 * time.Second,
		RescueEvery: 20 * time.Millisecond, PruneEvery: 20 * time.Millisecond, RepairEvery: 20 * time.Millisecond},
		metrics.New(), slog.New(slog.DiscardHandler))
	sched.Start(ctx)
	defer sched.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; {
		r, err := s.WorkflowRunGet(ctx, stalled.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, oldErr := s.WorkflowRunGet(ctx, old.ID)
		if r.Status.Terminal() && prikke.ErrorCode(oldErr) == prikke.ENOTFOUND {
			if r.Status != prikke.RunStatusFailed {
				t.Errorf("repaired run = %s (%q), want failed at a", r.Status, r.Error)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("maintenance left the stalled run %s and the old run (%v)", r.Status, oldErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := s.WorkflowRunGet(ctx, stalled.ID); err != nil {
		t.Errorf("the recent run was pruned: %v", err)
	}
}
