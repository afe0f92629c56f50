package scheduler_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/scheduler"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestMaintenancePrunesFlowKeys: the leader's maintenance loop deletes a
// flow key its endpoint held once the hold ended more than FlowHoldKeep
// ago, and keeps a key still held and a configured one.
func TestMaintenancePrunesFlowKeys(t *testing.T) {
	t.Parallel()
	now := storetest.T0.Add(3 * time.Hour)
	s, _ := warpStore(t, now)
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	for key, until := range map[string]time.Time{"gone:443": storetest.T0, "held:443": now.Add(time.Hour), "conf:443": storetest.T0} {
		if err := s.FlowKeyHold(ctx, tn.Project.ID, key, until, "429 Too Many Requests, Retry-After 60s"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.FlowKeyPut(ctx, &prikke.FlowKey{ProjectID: tn.Project.ID, Key: "conf:443", Rate: 1, Period: time.Second, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	sched := scheduler.New(s, scheduler.Config{Node: "n1", Lead: 2 * time.Second, LeaderTTL: 2 * time.Second,
		RescueEvery: 20 * time.Millisecond, PruneEvery: 20 * time.Millisecond}, metrics.New(), slog.New(slog.DiscardHandler))
	sched.Start(ctx)
	defer sched.Stop()
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, err := s.FlowKeyGet(ctx, tn.Project.ID, "gone:443", time.Time{})
		if prikke.ErrorCode(err) == prikke.ENOTFOUND {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("maintenance did not prune the key held until three hours ago: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, key := range []string{"held:443", "conf:443"} {
		if _, err := s.FlowKeyGet(ctx, tn.Project.ID, key, time.Time{}); err != nil {
			t.Errorf("%s after maintenance: %v; want kept", key, err)
		}
	}
}
