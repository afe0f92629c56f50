package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// The flow key under test and its limits (issue 14).
const (
	flowKey         = "sink-limited"
	flowRate        = 20 // per second
	flowBurst       = 1
	flowParallelism = 5
	flowLimited     = 1000
	flowUnlimited   = 2000
	// flowRespond is how long the sink takes to answer the limited key:
	// about two of its requests in flight at 20/s, so the rate binds, and
	// long enough that the killed node has some in flight.
	flowRespond = 100 * time.Millisecond
)

// TestClusterFlowControl is issue 14's system test: three nodes on
// PostgreSQL, a key at 20/s with burst 1 and parallelism 5 (configured
// through the API) and 1,000 requests queued to it (POST /api/v1/queue
// with the Prikke-Flow-Control-Key header), 2,000 requests to an unlimited
// endpoint falling due 8s into its backlog, and the node holding the most
// of the key SIGKILLed 20s in. Asserted: no 1s window holds more than 20
// start slots of the key (rate + burst - 1, across the nodes and the
// kill); no request reached the sink before its slot; the sink never held
// more than 5 of the key at once; no 1s window held more than rate +
// burst starts of it (a worker gives back, for a fresh slot, a request it
// could not start within an interval of its slot; one that keeps missing
// its slots (five times) starts late, counted apart); all 3,000 delivered, each
// with one successful execution, and only what the killed node had sent
// may arrive twice (at least once); the key's history shows its
// throttling. Logged, not asserted (a shared 2-core machine decides
// them): the most arrivals of the key in a 1s window at the sink (its
// scheduling delays arrivals by tens of milliseconds), the run's duration
// against 1,000/20 s + 5%, and the unlimited lateness beside a baseline
// run of the same 2,000 alone, before the key exists (`prikke bench
// --mode flow` measures all three on a machine with room).
func TestClusterFlowControl(t *testing.T) {
	db := newDatabase(t, pgURL())
	f := newFixture(t, db.store)
	// Two endpoints (ports) on the one recording sink: the key's and the
	// unlimited one's, each counting its requests in flight.
	fs, fu := listenPort(t, f.sink), listenPort(t, f.sink)
	env := map[string]string{"PRIKKE_DATABASE_URL": db.url, "PRIKKE_SSRF_ALLOW": fs.Addr().String() + "," + fu.Addr().String()}
	nodes := map[string]*node{"a": startNode(t, "a", env), "b": startNode(t, "b", env), "c": startNode(t, "c", env)}
	ctx := context.Background()
	waitUntil(t, "every node's heartbeat", 20*time.Second, func() bool {
		for name := range nodes {
			if _, _, err := db.store.HeartbeatGet(ctx, "worker:"+name); err != nil {
				return false
			}
		}
		return true
	})
	c := newAPIClient(t, db.store, f.tn, nodes)
	limitedURL := fs.URL(fmt.Sprintf("/slow?ms=%d&k=l", flowRespond.Milliseconds()))
	unlimitedURL := fu.URL("/ok?k=u")

	// The baseline: the unlimited requests alone, before the key exists.
	start := time.Now()
	due := c.nextDue(t, flowUnlimited, 5*time.Millisecond)
	base := c.enqueue(t, flowUnlimited, unlimitedURL, "", due)
	perRequest := time.Since(start) / flowUnlimited
	t.Logf("baseline: %d queued in %v, due %v later", flowUnlimited, time.Since(start).Round(time.Millisecond), time.Until(due).Round(time.Millisecond))
	waitUntil(t, "the baseline delivered", 120*time.Second, func() bool { return tally(f.sink.Requests(), base).delivered == flowUnlimited })
	bs := tally(f.sink.Requests(), base)

	// The key, through the API.
	keyPath := fmt.Sprintf("/api/v1/projects/%s/flow-keys/%s", f.tn.Project.ID, url.PathEscape(flowKey))
	status, body := c.do(t, "PUT", keyPath, nil,
		map[string]any{"rate": flowRate, "period": "1s", "burst": flowBurst, "parallelism": flowParallelism})
	if status != http.StatusCreated {
		t.Fatalf("PUT flow key: %d %s", status, body)
	}

	// The run: the limited backlog, then the unlimited burst, queued while
	// the backlog starts and due 8s into it.
	start = time.Now()
	due = c.nextDue(t, flowLimited, perRequest*3/2)
	lim := c.enqueue(t, flowLimited, limitedURL, flowKey, due)
	t.Logf("run: %d queued to the key in %v, due %v later", flowLimited, time.Since(start).Round(time.Millisecond), time.Until(due).Round(time.Millisecond))
	unl := c.enqueue(t, flowUnlimited, unlimitedURL, "", due.Add(8*time.Second))
	t.Logf("run: %d unlimited queued %v after the key's due instant, due 8s after it", flowUnlimited, time.Since(due).Round(time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}

	// SIGKILL, 20s into the run, the node with the most requests of the
	// key in flight (arrived at the sink, not finished).
	sleepUntil(due.Add(20 * time.Second))
	t.Logf("the key %v into the run: %s", time.Since(due).Round(time.Millisecond), c.get(t, keyPath))
	var victim string
	waitUntil(t, "a node with a request of the key in flight", 10*time.Second, func() bool {
		es, err := db.store.ExecutionList(ctx, store.ExecutionFilter{OrganizationID: &f.tn.Org.ID,
			Statuses: []prikke.ExecutionStatus{prikke.ExecutionStatusRunning}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		arrived := map[string]bool{}
		for _, r := range f.sink.Requests() {
			arrived[r.ExecutionID] = true
		}
		inFlight := map[string]int{}
		for _, e := range es {
			if e.FlowKey == flowKey && arrived[e.ID.String()] {
				inFlight[e.ClaimedBy]++
			}
		}
		for name, n := range inFlight {
			if victim == "" || n > inFlight[victim] {
				victim = name
			}
		}
		return victim != ""
	})
	c.drop(nodes[victim].base)
	nodes[victim].signal(syscall.SIGKILL)
	killedAt := time.Now()
	nodes[victim].waitExit(10 * time.Second)
	held := map[string]bool{} // execution ids it held running
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
	t.Logf("the key %v into the run: %s", time.Since(due).Round(time.Millisecond), c.get(t, keyPath))
	t.Logf("killed %s %v into the run; it held %d running, had sent %d", victim, killedAt.Sub(due).Round(time.Millisecond), len(held), len(sentByVictim))
	if len(sentByVictim) == 0 {
		t.Log("the killed node had nothing in flight at the kill; the test proves less than it should")
	}

	all := map[string]time.Time{}
	for _, m := range []map[string]time.Time{lim, unl} {
		for id, at := range m {
			all[id] = at
		}
	}
	// The run takes 50s (1,000 at 20/s); wait to 30s past its bound.
	waitUntil(t, "every request delivered", time.Until(due.Add(83*time.Second)), func() bool {
		return tally(f.sink.Requests(), all).delivered == len(all)
	})

	reqs := f.sink.Requests()
	ls, us := tally(reqs, lim), tally(reqs, unl)
	if ls.delivered != flowLimited || us.delivered != flowUnlimited || bs.delivered != flowUnlimited {
		t.Errorf("delivered %d of the limited key, %d of the unlimited, %d of the baseline; want %d, %d, %d",
			ls.delivered, us.delivered, bs.delivered, flowLimited, flowUnlimited, flowUnlimited)
	}
	// Every result stored (the slots are read from them).
	waitUntil(t, "every result stored", 30*time.Second, func() bool {
		for _, es := range f.occurrences(t) {
			for _, e := range es {
				if !e.Status.Terminal() {
					return false
				}
			}
		}
		return true
	})
	occ := f.occurrences(t)
	execs := map[string]*prikke.Execution{}
	var slots []time.Time
	for _, es := range occ {
		for _, e := range es {
			execs[e.ID.String()] = e
			if e.FlowKey == flowKey {
				slots = append(slots, e.DueAt) // each started at its slot
			}
		}
	}
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })

	// The rate, as Prikke gave it: no 1s window holds more than rate +
	// burst - 1 start slots, across the three nodes and the kill.
	if n, _ := sink.MaxInWindow(slots, time.Second); n > flowRate+flowBurst-1 {
		t.Errorf("a 1s window holds %d start slots of the key; want at most %d", n, flowRate+flowBurst-1)
	} else {
		t.Logf("most start slots of the key in a 1s window: %d (bound %d)", n, flowRate+flowBurst-1)
	}
	// No request started before its slot. An execution the killed node
	// had sent before it recorded the sending goes back to the queue as
	// unsent and is claimed again at a new slot, its row then keeping only
	// that one: its earlier arrival is checked by the duplicates below.
	interval := time.Second / flowRate
	var sinceSlot []float64
	late := map[string]bool{} // arrived more than an interval after the slot
	last := map[string]int{}  // execution id → its last arrival
	for i, r := range ls.reqs {
		last[r.ExecutionID] = i
	}
	for i, r := range ls.reqs {
		e := execs[r.ExecutionID]
		if e == nil {
			t.Errorf("the sink saw execution %s, which is not stored", r.ExecutionID)
			continue
		}
		if last[r.ExecutionID] != i && held[r.ExecutionID] {
			t.Logf("execution %s of the killed node arrived %v before the kill and again at its new slot %v later",
				e.ID, killedAt.Sub(r.At).Round(time.Millisecond), e.DueAt.Sub(r.At).Round(time.Millisecond))
			continue
		}
		d := r.At.Sub(e.DueAt)
		if d < -time.Millisecond {
			t.Errorf("execution %s arrived %v before its start slot", e.ID, -d)
		}
		if d > interval {
			late[r.ExecutionID] = true
		}
		sinceSlot = append(sinceSlot, float64(d.Microseconds())/1000)
	}
	slices.Sort(sinceSlot)
	t.Logf("arrival after the start slot: p50 %.1fms, p99 %.1fms, max %.1fms; %d arrived more than %v after it",
		pct(sinceSlot, 50), pct(sinceSlot, 99), pct(sinceSlot, 100), len(late), interval)
	// The rate as started: no 1s window holds more than rate + burst
	// starts. A worker starts a request only within an interval of its
	// slot and gives back for a fresh slot one it could not start in time
	// (a stalled process), so late starts do not bunch with on-time ones;
	// a node that keeps missing its slots (five times) starts it late rather than
	// starve the key, and those are counted apart.
	var starts []time.Time
	lateStarts := 0
	for _, e := range execs {
		// A lost attempt of the killed node is settled with its claim
		// instant as its start (its real one is unknown; the sink saw it):
		// only the delivered attempts' starts are known.
		if e.FlowKey != flowKey || e.StartedAt == nil || e.Status != prikke.ExecutionStatusSuccess {
			continue
		}
		if e.StartedAt.Sub(e.DueAt) > interval {
			lateStarts++
			continue
		}
		starts = append(starts, *e.StartedAt)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	if n, _ := sink.MaxInWindow(starts, time.Second); n > flowRate+flowBurst {
		t.Errorf("a 1s window held %d starts of the key; want at most %d (rate + burst)", n, flowRate+flowBurst)
	} else {
		t.Logf("most starts of the key in a 1s window: %d (bound %d); %d started late after missing their slots again and again", n, flowRate+flowBurst, lateStarts)
	}
	// At the sink the same bound holds on a machine with room (prikke bench
	// --mode flow measures it); here three nodes, PostgreSQL and the sink
	// share a loaded machine, whose scheduling delays arrivals by tens of
	// milliseconds, so the sink's figure is logged, not asserted.
	w, from := sink.MaxInWindow(ls.arrivals, time.Second)
	t.Logf("most of the key at the sink in a 1s window: %d (rate + burst: %d)", w, flowRate+flowBurst)
	if w > flowRate+flowBurst {
		t0 := ls.reqs[from].At
		for _, r := range ls.reqs[max(0, from-2):min(len(ls.reqs), from+w+2)] {
			line := fmt.Sprintf("arrival %+8.1fms", float64(r.At.Sub(t0).Microseconds())/1000)
			if e := execs[r.ExecutionID]; e != nil {
				line += fmt.Sprintf(", slot %+8.1fms (arrived %5.1fms after it), node %s, attempt %d",
					float64(e.DueAt.Sub(t0).Microseconds())/1000, float64(r.At.Sub(e.DueAt).Microseconds())/1000, e.ClaimedBy, e.Attempt)
				if e.StartedAt != nil {
					line += fmt.Sprintf(", started %5.1fms after the slot", float64(e.StartedAt.Sub(e.DueAt).Microseconds())/1000)
				}
			}
			t.Log(line)
		}
	}
	if p := fs.Peak("l"); p > flowParallelism {
		t.Errorf("the sink held %d requests of the key at once; want at most %d", p, flowParallelism)
	} else {
		t.Logf("most of the key in flight at once: %d (bound %d); of the unlimited key: %d", p, flowParallelism, fu.Peak("u"))
	}
	for id, n := range ls.count {
		if n > 1 && !sentByVictim[id] {
			t.Errorf("request %s of the key arrived %d times but the killed node had not sent it", id, n)
		}
	}
	for id, n := range us.count {
		if n > 1 && !sentByVictim[id] {
			t.Errorf("unlimited request %s arrived %d times but the killed node had not sent it", id, n)
		}
	}
	for id, n := range bs.count {
		if n > 1 {
			t.Errorf("baseline request %s arrived %d times", id, n)
		}
	}
	t.Logf("duplicates (the killed node's sent requests, delivered again): %d of the key, %d unlimited", ls.duplicates, us.duplicates)

	// Every request has exactly one successful execution, and the key's
	// throttling shows in its history.
	var throttled []int64
	for job, es := range occ {
		ok := 0
		for _, e := range es {
			if e.Status == prikke.ExecutionStatusSuccess {
				ok++
			}
			if e.FlowKey == flowKey && e.Status == prikke.ExecutionStatusSuccess {
				throttled = append(throttled, e.ThrottledMS)
			}
		}
		if ok != 1 {
			t.Errorf("job %s has %d successful executions; want 1", job, ok)
		}
	}
	slices.Sort(throttled)
	if len(throttled) != flowLimited || throttled[len(throttled)-1] < 40_000 {
		t.Errorf("throttled_ms of the key's %d successes reaches %v; want 1,000 of them, the last held back 40s or more",
			len(throttled), throttled[len(throttled)-1:])
	}

	// The logged figures.
	dur := ls.arrivals[len(ls.arrivals)-1].Sub(due)
	bound := time.Duration(float64(flowLimited) / flowRate * 1.05 * float64(time.Second))
	t.Logf("the key's run took %v from its due instant (bound %v: 1,000/20 s + 5%%); throttled_ms p50 %d, max %d",
		dur.Round(time.Millisecond), bound, throttled[len(throttled)/2], throttled[len(throttled)-1])
	t.Logf("unlimited lateness p50 %.1fms p99 %.1fms beside the key; baseline p50 %.1fms p99 %.1fms (ratio of p99s %.2f)",
		pct(us.late, 50), pct(us.late, 99), pct(bs.late, 50), pct(bs.late, 99), pct(us.late, 99)/max(pct(bs.late, 99), 0.001))
	for name, n := range nodes {
		if name != victim && !n.alive() {
			t.Errorf("node %s exited", name)
		}
	}
}

// apiClient calls the nodes' API with a key of the tenant's organization,
// round robin.
type apiClient struct {
	hc    *http.Client
	key   string
	mu    sync.Mutex
	bases []string
	next  int
	s     store.Store
}

func newAPIClient(t *testing.T, s store.Store, tn *storetest.Tenant, nodes map[string]*node) *apiClient {
	t.Helper()
	full, keyID, hash := auth.NewAPIKey()
	if err := s.APIKeyCreate(context.Background(), &prikke.APIKey{ID: prikke.NewID(), OrganizationID: tn.Org.ID, Name: "flow",
		KeyID: keyID, SecretHash: hash, CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{key: full, s: s, hc: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	for _, n := range nodes {
		c.bases = append(c.bases, n.base)
	}
	t.Cleanup(c.hc.CloseIdleConnections)
	return c
}

func (c *apiClient) base() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	return c.bases[c.next%len(c.bases)]
}

// drop stops calling a node.
func (c *apiClient) drop(base string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bases = slices.DeleteFunc(c.bases, func(b string) bool { return b == base })
}

// do sends a request with a JSON body (nil: none) and returns the status
// and the body.
func (c *apiClient) do(t *testing.T, method, path string, header map[string]string, in any) (int, string) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base()+path, body)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// get returns a GET's status and body as one line.
func (c *apiClient) get(t *testing.T, path string) string {
	status, body := c.do(t, "GET", path, nil, nil)
	return fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
}

// nextDue is an instant (a whole second, by the database clock) far
// enough ahead to queue n requests before it, each taking per.
func (c *apiClient) nextDue(t *testing.T, n int, per time.Duration) time.Time {
	now, err := c.s.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return now.Add(time.Second + time.Duration(n)*per).Truncate(time.Second).Add(time.Second)
}

// enqueue queues n requests to target through POST /api/v1/queue, not
// before due, with the flow key header unless key is "", 16 at a time
// over the nodes, and returns their webhook ids with the due instant.
func (c *apiClient) enqueue(t *testing.T, n int, target, key string, due time.Time) map[string]time.Time {
	var header map[string]string
	if key != "" {
		header = map[string]string{prikke.FlowKeyHeader: key}
	}
	in := map[string]any{"url": target, "body": `{"flow":true}`, "not_before": due.UTC().Format(time.RFC3339Nano)}
	// On a loaded machine queueing can outlast the lead nextDue gave it:
	// a not_before in the past is refused, so the rest are queued due now
	// (the log below says the figures include the overrun).
	inNow := map[string]any{"url": target, "body": `{"flow":true}`}
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				req := in
				if time.Until(due) < 250*time.Millisecond {
					req = inNow
				}
				status, body := c.do(t, "POST", "/api/v1/queue", header, req)
				var out struct {
					WebhookID string `json:"webhook_id"`
					Execution struct {
						FlowKey string `json:"flow_key"`
					} `json:"execution"`
				}
				if status != http.StatusAccepted || json.Unmarshal([]byte(body), &out) != nil || out.WebhookID == "" {
					t.Errorf("POST /api/v1/queue: %d %s", status, body)
					return
				}
				if key != "" && out.Execution.FlowKey != key {
					t.Errorf("queued with %s %q, the execution shows flow_key %q", prikke.FlowKeyHeader, key, out.Execution.FlowKey)
					return
				}
				ids[i] = out.WebhookID
			}
		})
	}
	wg.Wait()
	if time.Now().After(due) {
		t.Logf("queueing %d ended %v after their due instant: the figures include it", n, time.Since(due).Round(time.Millisecond))
	}
	out := make(map[string]time.Time, n)
	for _, id := range ids {
		out[id] = due
	}
	return out
}

// flowTally is what the sink saw of a set of requests (webhook id → due).
type flowTally struct {
	delivered  int             // distinct webhook ids
	duplicates int             // arrivals beyond the first of an id
	count      map[string]int  // arrivals per id
	reqs       []sink.Received // every arrival, by time
	arrivals   []time.Time     // their instants
	late       []float64       // first arrival minus due, ms, sorted
}

func tally(reqs []sink.Received, want map[string]time.Time) flowTally {
	c := flowTally{count: make(map[string]int, len(want))}
	for _, r := range reqs {
		due, ok := want[r.WebhookID]
		if !ok || !r.SignatureValid {
			continue
		}
		c.reqs = append(c.reqs, r)
		c.count[r.WebhookID]++
		if c.count[r.WebhookID] > 1 {
			c.duplicates++
			continue
		}
		c.late = append(c.late, float64(r.At.Sub(due).Microseconds())/1000)
	}
	c.delivered = len(c.count)
	slices.SortStableFunc(c.reqs, func(a, b sink.Received) int { return a.At.Compare(b.At) })
	for _, r := range c.reqs {
		c.arrivals = append(c.arrivals, r.At)
	}
	slices.Sort(c.late)
	return c
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max(0, min(len(sorted)-1, (len(sorted)*int(p)+99)/100-1))
	return sorted[i]
}

// listenPort serves the sink on a loopback port of its own that counts
// the requests in flight per key.
func listenPort(t *testing.T, sk *sink.Sink) *sink.Port {
	p, err := sink.Listen(sk, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
