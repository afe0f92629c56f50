package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// takeoverStore is a PostgreSQL store whose takeovers of named nodes fail
// while fail counts down, and which counts them.
type takeoverStore struct {
	store.Store
	fail  atomic.Int64
	named atomic.Int64
}

func (s *takeoverStore) ExecutionRescueDead(ctx context.Context, p store.DeadParams) (int, int, error) {
	if len(p.Nodes) > 0 {
		s.named.Add(1)
		if s.fail.Add(-1) >= 0 {
			return 0, 0, errDown
		}
	}
	return s.Store.ExecutionRescueDead(ctx, p)
}

// The takeover of what an earlier process of the node's ID left is tried
// again at the next beat when it fails, and the node starts nothing until
// it has succeeded.
func TestPredecessorTakeoverRetried(t *testing.T) {
	t.Parallel()
	s := &takeoverStore{Store: storetest.OpenPostgres(t)}
	s.fail.Store(1)
	w, now := steppedWorker(t, s)
	ctx := context.Background()
	*now = time.Second
	w.beatOnce(ctx)
	if w.alive() {
		t.Fatal("alive after a failed takeover of the previous process's work")
	}
	*now += time.Second
	w.beatOnce(ctx)
	if !w.alive() || s.named.Load() != 2 {
		t.Fatalf("alive %v after %d takeovers; want alive after the second", w.alive(), s.named.Load())
	}
	*now += time.Second
	w.beatOnce(ctx)
	if n := s.named.Load(); n != 2 {
		t.Errorf("%d takeovers; want none once one succeeded", n)
	}
}

// A process whose node ID has a fresh worker heartbeat written by another
// process (two processes given one ID) takes nothing over and starts
// nothing until that heartbeat goes stale.
func TestLiveNodeIDNotTakenOver(t *testing.T) {
	t.Parallel()
	base := storetest.OpenPostgres(t)
	s := &takeoverStore{Store: base}
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	j := storetest.NewJob(t, s, tn, nil)
	e := storetest.NewExecution(t, s, j, prikke.TierPro, storetest.T0)
	if res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "n1", Limit: 1, LeaseGrace: time.Hour}); err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim = %v, %v", res, err)
	}
	if err := s.HeartbeatPut(ctx, store.WorkerBeat+"n1", "other-process"); err != nil {
		t.Fatal(err)
	}
	w, now := steppedWorker(t, s)
	w.cfg.DeadAfter = 300 * time.Millisecond
	*now = time.Second
	w.beatOnce(ctx)
	if w.alive() || s.named.Load() != 0 {
		t.Fatalf("alive %v, %d takeovers while another process's heartbeat under the ID is fresh; want neither", w.alive(), s.named.Load())
	}
	if _, detail, _ := s.HeartbeatGet(ctx, store.WorkerBeat+"n1"); detail != "other-process" {
		t.Errorf("heartbeat detail = %q; the other process's heartbeat was overwritten", detail)
	}
	if got, _ := s.ExecutionGet(ctx, e.ID); got.Status != prikke.ExecutionStatusRunning {
		t.Errorf("the other process's execution = %s; want it left running", got.Status)
	}
	time.Sleep(2 * w.cfg.DeadAfter) // the other process's heartbeat goes stale
	*now += 100 * time.Millisecond
	w.beatOnce(ctx)
	if !w.alive() || s.named.Load() != 1 {
		t.Fatalf("alive %v, %d takeovers once the other heartbeat is stale; want alive after one", w.alive(), s.named.Load())
	}
	if got, _ := s.ExecutionGet(ctx, e.ID); got.Status != prikke.ExecutionStatusPending {
		t.Errorf("the stale process's execution = %s; want it back to pending", got.Status)
	}
	if _, detail, _ := s.HeartbeatGet(ctx, store.WorkerBeat+"n1"); detail != w.incarnation {
		t.Errorf("heartbeat detail = %q; want this process's incarnation", detail)
	}
}
