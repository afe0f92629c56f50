package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestMarkSentBesideCompletion holds a claimed row locked, as a
// completion's delete does, while the node's marker marks it and another:
// the free row is marked at once (the marker used to lock the node's rows
// in its own order and deadlock with the completion), the held one once
// its holder finishes: gone if the completion committed, marked if it
// rolled back (a mark is never lost for a request that went out).
func TestMarkSentBesideCompletion(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	for range 4 {
		j := storetest.NewJob(t, s, tn, storetest.Once(storetest.T0))
		storetest.NewExecution(t, s, j, prikke.TierPro, storetest.T0)
	}
	res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 4, Now: storetest.T0, LeaseGrace: 30 * time.Second})
	if err != nil || len(res.Claimed) != 4 {
		t.Fatalf("claim = %d, %v", len(res.Claimed), err)
	}
	ids := make([]prikke.ID, 4)
	for i, c := range res.Claimed {
		ids[i] = c.Execution.ID
	}
	sent := func(id prikke.ID) (bool, bool) {
		var v bool
		err := s.Pool().QueryRow(ctx, "SELECT sent FROM execution_queue WHERE id = $1", id).Scan(&v)
		if err != nil {
			return false, false
		}
		return v, true
	}
	for _, tc := range []struct {
		name   string
		held   prikke.ID
		free   prikke.ID
		commit bool
	}{{"completion commits", ids[0], ids[1], true}, {"completion rolls back", ids[2], ids[3], false}} {
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback(context.Background()) }) // on failure: free the mark
		if _, err := tx.Exec(ctx, "DELETE FROM execution_queue WHERE id = $1", tc.held); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.ExecutionMarkSent(ctx, "n1", []prikke.ID{tc.held, tc.free}) }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if v, _ := sent(tc.free); v {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the free row was not marked while the other was held", tc.name)
			}
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case err := <-done:
			t.Fatalf("%s: mark returned (%v) while a row it must mark was held", tc.name, err)
		default:
		}
		if tc.commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: mark: %v", tc.name, err)
		}
		v, ok := sent(tc.held)
		if tc.commit && ok {
			t.Errorf("%s: the completed row is still queued", tc.name)
		}
		if !tc.commit && (!ok || !v) {
			t.Errorf("%s: the row whose completion rolled back is not marked (present %v, sent %v)", tc.name, ok, v)
		}
	}
}
