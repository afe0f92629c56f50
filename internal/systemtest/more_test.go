package systemtest

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestZombieLeader is F3: SIGSTOP the leader past its lease, let another
// node take over, then SIGCONT it: it notices it lost leadership and
// nothing is written twice.
func TestZombieLeader(t *testing.T) {
	db := newDatabase(t, pgURL())
	f := newFixture(t, db.store)
	env := map[string]string{"PRIKKE_DATABASE_URL": db.url, "PRIKKE_SSRF_ALLOW": f.allow()}
	nodes := map[string]*node{"a": startNode(t, "a", env), "b": startNode(t, "b", env)}
	var leader string
	waitUntil(t, "a leader", 20*time.Second, func() bool {
		id, _, err := db.store.LeaderGet(context.Background(), "scheduler")
		leader = id
		return err == nil
	})
	zombie := nodes[leader]
	zombie.signal(syscall.SIGSTOP)
	stopped := time.Now()
	waitUntil(t, "a new leader", 20*time.Second, func() bool {
		id, _, err := db.store.LeaderGet(context.Background(), "scheduler")
		return err == nil && id != leader
	})
	t.Logf("new leader after %v", time.Since(stopped).Round(time.Millisecond))
	b := f.add(t, 30, 3*time.Second, "/ok", 5000)
	time.Sleep(time.Second)
	zombie.signal(syscall.SIGCONT)
	waitUntil(t, "the zombie to notice", 15*time.Second, func() bool {
		return strings.Contains(zombie.logs.String(), "lost leadership")
	})
	waitUntil(t, "deliveries", 30*time.Second, func() bool { return b.settled(t) })
	for id, n := range f.sink.ByWebhookID() {
		if n != 1 {
			t.Errorf("occurrence %s delivered %d times", id, n)
		}
	}
	occ := f.occurrences(t)
	for _, j := range b.jobs {
		if len(occ[j.ID]) != 1 {
			t.Errorf("job %s has %d executions, want 1", j.ID, len(occ[j.ID]))
		}
	}
}

// TestClockSkew is F11: nodes whose clocks are two minutes off either way
// still start nothing early by the database clock, lose nothing and
// duplicate nothing: the database decides what is due.
func TestClockSkew(t *testing.T) {
	db := newDatabase(t, pgURL())
	f := newFixture(t, db.store)
	base := map[string]string{"PRIKKE_DATABASE_URL": db.url, "PRIKKE_SSRF_ALLOW": f.allow()}
	ahead := map[string]string{"PRIKKE_TEST_CLOCK_OFFSET": "120s"}
	behind := map[string]string{"PRIKKE_TEST_CLOCK_OFFSET": "-120s"}
	for k, v := range base {
		ahead[k], behind[k] = v, v
	}
	startNode(t, "ahead", ahead)
	startNode(t, "behind", behind)
	b := f.add(t, 200, 4*time.Second, "/ok", 5000)
	waitUntil(t, "deliveries", 30*time.Second, func() bool { return b.settled(t) })
	for _, r := range f.sink.Requests() {
		if early := b.due.Sub(r.At); early > 2*time.Second {
			t.Errorf("a delivery started %v before its due instant", early)
		}
	}
	if got := len(f.sink.ByWebhookID()); got != 200 || f.sink.Count() != 200 {
		t.Errorf("deliveries = %d distinct of %d requests, want 200 and 200", got, f.sink.Count())
	}
	for _, es := range f.occurrences(t) {
		for _, e := range es {
			if e.Status != prikke.ExecutionStatusSuccess {
				t.Errorf("execution %+v", e)
			}
		}
	}
}
