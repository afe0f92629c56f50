package systemtest

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestClusterKillBurstHolder: three nodes, a burst of 600 due at one
// instant, SIGKILL the node holding the most of it half a second in. Its
// heartbeat stops, and the other nodes take its work over at once instead
// of after the job's timeout (30s) plus the grace: what it had sent (its
// connections died with it) is delivered again. Every occurrence arrives
// within 10s of its due instant, at most twice, and twice only if the
// killed node had sent it before it died.
func TestClusterKillBurstHolder(t *testing.T) {
	killBurstHolder(t, 500*time.Millisecond, "kill")
}

// TestClusterKillBeforeBurst: the same, killed 300ms before the instant,
// when it holds its share of the burst claimed ahead but nothing sent: all
// of it goes back to the queue as it was and is delivered once, within 10s.
func TestClusterKillBeforeBurst(t *testing.T) {
	killBurstHolder(t, -300*time.Millisecond, "kill")
}

// TestClusterStopBurstHolder: SIGSTOP instead, 300ms before the instant,
// and SIGCONT once the others have taken its share over: the node comes
// back (its timers fire, its heartbeat resumes) and starts none of what it
// had claimed, which other nodes delivered meanwhile; nothing is delivered
// twice.
func TestClusterStopBurstHolder(t *testing.T) {
	killBurstHolder(t, -300*time.Millisecond, "stop")
}

// TestClusterRestartBurstHolder: SIGKILL half a second in and start a new
// process under the same node ID at once (as a supervisor would), while
// its predecessor's heartbeat is still fresh: the new process, which cannot
// tell a dead predecessor from a live process given the same ID, waits for
// that heartbeat to go stale, and the predecessor's work is taken over (by
// it or a peer) before it claims anything.
func TestClusterRestartBurstHolder(t *testing.T) {
	killBurstHolder(t, 500*time.Millisecond, "restart")
}

// killBurstHolder runs a burst of 600 on three nodes and SIGKILLs the node
// holding the most of it killAt after its due instant (how "kill"; "stop":
// SIGSTOP, resumed once the others took its work over; "restart": SIGKILL
// and a new process of the same ID at once).
func killBurstHolder(t *testing.T, killAt time.Duration, how string) {
	stop := how == "stop"
	db := newDatabase(t, pgURL())
	f := newFixture(t, db.store)
	// The production grace: rescue by lease (30s + 30s) plays no part, nor
	// does a node giving back rows that waited past half of it.
	env := map[string]string{"PRIKKE_DATABASE_URL": db.url, "PRIKKE_SSRF_ALLOW": f.allow(), "PRIKKE_RESCUE_GRACE": "30s"}
	nodes := map[string]*node{"a": startNode(t, "a", env), "b": startNode(t, "b", env), "c": startNode(t, "c", env)}
	ctx := context.Background()
	// Every node beats before the burst is written, so none is mistaken
	// for dead while starting.
	waitUntil(t, "every node's heartbeat", 20*time.Second, func() bool {
		for name := range nodes {
			if _, _, err := db.store.HeartbeatGet(ctx, "worker:"+name); err != nil {
				return false
			}
		}
		return true
	})
	// 2s responses: the first wave is still in flight at the kill, and the
	// killed node holds rows it had claimed but not started.
	b := f.add(t, 600, 4*time.Second, "/slow?ms=2000", 30000)
	sleepUntil(b.due.Add(killAt))

	// The node holding the most of the burst.
	running := map[string]int{}
	for _, es := range f.occurrences(t) {
		for _, e := range es {
			if e.Status == prikke.ExecutionStatusRunning {
				running[e.ClaimedBy]++
			}
		}
	}
	victim := ""
	for name, n := range running {
		if victim == "" || n > running[victim] {
			victim = name
		}
	}
	if killAt > 0 && len(running) < 3 {
		// Each node claims ahead only what it can start (128 workers), so
		// the burst spreads over all three.
		t.Errorf("running by node %v after the instant: %v; want the burst spread over the three nodes", killAt, running)
	}
	if victim == "" {
		t.Fatalf("no node holds any of the burst %v after its instant", killAt)
	}
	killedAt := time.Now()
	if stop {
		nodes[victim].signal(syscall.SIGSTOP)
	} else {
		nodes[victim].signal(syscall.SIGKILL)
		nodes[victim].waitExit(10 * time.Second)
	}
	var successor *node
	t.Logf("running by node %v after the instant: %v; killed %s %v after the due instant", killAt, running, victim, killedAt.Sub(b.due).Round(time.Millisecond))

	// What the victim held at the kill, and which of it its requests had
	// reached the sink: the only occurrences that may arrive twice.
	held := map[string]bool{}
	for _, es := range f.occurrences(t) {
		for _, e := range es {
			if e.Status == prikke.ExecutionStatusRunning && e.ClaimedBy == victim {
				held[e.ID.String()] = true
			}
		}
	}
	sentByVictim := map[string]bool{}
	for _, r := range f.sink.Requests() {
		if held[r.ExecutionID] {
			sentByVictim[r.WebhookID] = true
		}
	}

	if stop {
		waitUntil(t, "another node to take the stopped node's work over", 30*time.Second, func() bool {
			for name, n := range nodes {
				if name != victim && strings.Contains(n.logs.String(), "took over the work of a dead node") {
					return true
				}
			}
			return false
		})
		nodes[victim].signal(syscall.SIGCONT)
		waitUntil(t, "the stopped node to notice", 30*time.Second, func() bool {
			return strings.Contains(nodes[victim].logs.String(), "heartbeat resumed after a gap")
		})
	}
	if how == "restart" {
		successor = startNode(t, victim, env)
	}
	waitUntil(t, "every occurrence delivered", 60*time.Second, func() bool { return b.settled(t) })
	if successor != nil {
		took := strings.Contains(successor.logs.String(), "took over the work of this node's previous process")
		for name, n := range nodes {
			took = took || (name != victim && strings.Contains(n.logs.String(), "took over the work of a dead node"))
		}
		if !took {
			t.Errorf("neither the new process of %s nor a peer took over what its predecessor left", victim)
		}
		if !strings.Contains(successor.logs.String(), "still fresh: waiting for it to go stale") {
			t.Errorf("the new process of %s did not wait for its predecessor's fresh heartbeat to go stale", victim)
		}
	}
	if stop {
		time.Sleep(time.Second) // anything the resumed node would wrongly start reaches the sink
	}

	counts := f.sink.ByWebhookID()
	if len(counts) != 600 {
		t.Errorf("sink saw %d distinct occurrences, want 600", len(counts))
	}
	dups := 0
	for id, n := range counts {
		if n > 2 {
			t.Errorf("occurrence %s delivered %d times; at most twice", id, n)
		}
		if n > 1 {
			dups++
			if !sentByVictim[id] {
				t.Errorf("occurrence %s delivered %d times but the killed node had not sent it", id, n)
			}
		}
	}
	var late []time.Duration
	for _, r := range f.sink.Requests() {
		late = append(late, r.At.Sub(b.due))
	}
	slices.Sort(late)
	worst := late[len(late)-1]
	t.Logf("victim %s held %d (%d of them sent); %d delivered twice; lateness p50 %v, p99 %v, max %v",
		victim, len(held), len(sentByVictim), dups, late[len(late)/2].Round(time.Millisecond),
		late[len(late)*99/100].Round(time.Millisecond), worst.Round(time.Millisecond))
	switch {
	case killAt > 0 && len(sentByVictim) == 0:
		t.Log("the killed node had sent nothing of what it held; the test proves less than it should")
	case killAt < 0 && len(sentByVictim) > 0:
		t.Errorf("the killed node sent %d requests before their due instant", len(sentByVictim))
	}
	if worst > 10*time.Second {
		t.Errorf("the latest request arrived %v after its due instant; want within 10s", worst)
	}
	for _, es := range f.occurrences(t) {
		for _, e := range es {
			if e.Status == prikke.ExecutionStatusFailed && held[e.ID.String()] && !sentByVictim[prikke.WebhookID(e.JobID, e.ScheduledFor)] {
				t.Errorf("an attempt the killed node never sent was settled as lost: %+v", e)
			}
		}
	}
	for name, n := range nodes {
		if (name != victim || stop) && !n.alive() {
			t.Errorf("node %s exited", name)
		}
	}
}

// sleepUntil sleeps until the local clock reaches at (the database runs on
// this machine's clock).
func sleepUntil(at time.Time) {
	time.Sleep(time.Until(at))
}
