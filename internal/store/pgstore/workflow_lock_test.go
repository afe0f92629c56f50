package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestWorkflowDeleteBesideCompletion deletes a workflow while a
// completion of one of its runs' attempts is under way, holding the
// attempt's queue row and then locking the run and the workflow, as
// completeTx does. The delete cascaded from the workflow to the run and
// the queue row, the reverse order: the two deadlocked. Now the delete
// waits for the completion, and both succeed.
func TestWorkflowDeleteBesideCompletion(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	w := storetest.NewWorkflow(t, s, tn, prikke.Step{Key: "a", Method: "POST", URL: "https://example.com/a"})
	run, _, err := s.WorkflowRunStart(ctx, &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI, Now: storetest.T0})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 1, Now: storetest.T0, LeaseGrace: 30 * time.Second})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(res.Claimed), err)
	}
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	if _, err := tx.Exec(ctx, "DELETE FROM execution_queue WHERE id = $1", res.Claimed[0].Execution.ID); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.WorkflowDelete(ctx, w.ID) }()
	// Until the delete waits for the completion.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delete did not wait for the completion's queue row")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, q := range []string{"SELECT id FROM workflow_runs WHERE id = $1 FOR UPDATE", "SELECT id FROM workflows WHERE id = $1 FOR UPDATE"} {
		id := run.ID
		if q[len("SELECT id FROM workflow"):][0] == 's' {
			id = w.ID
		}
		if _, err := tx.Exec(ctx, q, id); err != nil {
			t.Fatalf("completion: %s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("completion commit: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.WorkflowGet(ctx, w.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("workflow after delete: %v", err)
	}
}
