package worker

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// Which answers hold a key, and for how long they asked.
func TestEndpointHold(t *testing.T) {
	ra := func(v string) []prikke.Header { return []prikke.Header{{Name: "Retry-After", Value: v}} }
	for _, c := range []struct {
		name  string
		res   delivery.Result
		asked time.Duration
		hold  bool
	}{
		{"503 with seconds", delivery.Result{StatusCode: 503, RetryAfter: 30 * time.Second, Headers: ra("30")}, 30 * time.Second, true},
		{"429 with a date", delivery.Result{StatusCode: 429, RetryAfter: 2 * time.Minute, Headers: ra("Sun, 06 Dec 2026 15:02:00 GMT")}, 2 * time.Minute, true},
		{"429 with 0", delivery.Result{StatusCode: 429, Headers: ra("0")}, 0, true},
		{"503 with a date past", delivery.Result{StatusCode: 503, Headers: ra("Wed, 21 Oct 2015 07:28:00 GMT")}, 0, true},
		{"503 without Retry-After", delivery.Result{StatusCode: 503}, 0, false},
		{"429 with garbage", delivery.Result{StatusCode: 429, Headers: ra("soon")}, 0, false},
		{"429 negative", delivery.Result{StatusCode: 429, Headers: ra("-5")}, 0, false},
		{"500 with Retry-After", delivery.Result{StatusCode: 500, Headers: ra("30")}, 0, false},
		{"no response", delivery.Result{}, 0, false},
	} {
		asked, hold := endpointHold(c.res)
		if asked != c.asked || hold != c.hold {
			t.Errorf("%s: endpointHold = %v, %v; want %v, %v", c.name, asked, hold, c.asked, c.hold)
		}
	}
	for _, c := range []struct {
		code  int
		asked time.Duration
		want  string
	}{
		{503, 30 * time.Second, "503 Service Unavailable, Retry-After 30s"},
		{429, 90 * time.Second, "429 Too Many Requests, Retry-After 90s"},
		{429, 2 * time.Minute, "429 Too Many Requests, Retry-After 2m"},
		{503, 2 * time.Hour, "503 Service Unavailable, Retry-After 2h"},
		{503, 0, "503 Service Unavailable, Retry-After 0s"},
	} {
		if got := holdReason(c.code, c.asked); got != c.want {
			t.Errorf("holdReason(%d, %v) = %q; want %q", c.code, c.asked, got, c.want)
		}
	}
}

// Holds of one key coalesce to one write, keeping the latest until (and
// its reason); keys stay apart; an answer that asks for no hold queues
// nothing; past holdPendingMax keys a new key's hold is dropped, and
// queueing never blocks. The until is the clamped Retry-After from now.
func TestHoldQueueCoalesces(t *testing.T) {
	t.Parallel()
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	w := New(storetest.OpenSQLite(t), client, Config{Node: "n1"}, metrics.New(), slog.New(slog.DiscardHandler))
	p := prikke.NewID()
	claimed := func(key string) *store.Claimed {
		return &store.Claimed{
			Execution: &prikke.Execution{ID: prikke.NewID(), ProjectID: p, FlowKey: key},
			Job:       &prikke.Job{URL: "https://api.example.com/hook"},
		}
	}
	answer := func(code int, ra time.Duration) delivery.Result {
		return delivery.Result{StatusCode: code, RetryAfter: ra, Headers: []prikke.Header{{Name: "Retry-After", Value: "x"}}}
	}
	before := w.dbNow()
	w.signal(claimed("a"), answer(503, 5*time.Second))
	w.signal(claimed("a"), answer(429, 2*time.Hour)) // clamped to an hour
	w.signal(claimed("a"), answer(503, 10*time.Second))
	w.signal(claimed("b"), answer(503, 0)) // Retry-After present but unreadable: no hold
	w.signal(claimed("b"), delivery.Result{StatusCode: 500, RetryAfter: time.Minute})
	w.signal(claimed(""), answer(429, 20*time.Millisecond)) // the job's key; at least a second
	after := w.dbNow()
	holds, closed := w.holds.take()
	if closed || len(holds) != 2 {
		t.Fatalf("pending = %v (closed %v); want a's and api.example.com:443's", holds, closed)
	}
	a := holds[holdKey{p, "a"}]
	if a.until.Before(before.Add(time.Hour)) || a.until.After(after.Add(time.Hour)) || a.reason != "429 Too Many Requests, Retry-After 2h" {
		t.Errorf("a's hold = %+v; want the 2h answer, clamped to an hour from now", a)
	}
	j := holds[holdKey{p, "api.example.com:443"}]
	if j.until.Before(before.Add(prikke.FlowHoldMin)) || j.until.After(after.Add(prikke.FlowHoldMin)) {
		t.Errorf("the job's key's hold = %+v; want a second from now", j)
	}
	for i := range holdPendingMax + 5 {
		w.signal(claimed("k"+time.Duration(i).String()), answer(503, time.Second))
	}
	if holds, _ = w.holds.take(); len(holds) != holdPendingMax {
		t.Errorf("%d holds waited; want %d (the rest dropped at the bound)", len(holds), holdPendingMax)
	}
	w.holds.close()
	if holds, closed := w.holds.take(); len(holds) != 0 || !closed {
		t.Error("closed and empty, take should say so")
	}
}

// A retry keeps its execution's flow key; one made before flow keys
// existed (none stored) takes its job's, so its retries are limited too.
func TestRetryKeepsFlowKey(t *testing.T) {
	j := &prikke.Job{ID: prikke.NewID(), Kind: prikke.JobKindOnce, URL: "https://api.example.com/hook", RetryAttempts: 3}
	delay := func(int, time.Duration) time.Duration { return time.Second }
	for _, c := range []struct{ stored, want string }{{"billing", "billing"}, {"", "api.example.com:443"}} {
		cl := &store.Claimed{Execution: &prikke.Execution{ID: prikke.NewID(), Attempt: 1, FlowKey: c.stored}, Job: j}
		cp := Completion(cl, delivery.Result{Status: prikke.ExecutionStatusFailed, StatusCode: 500}, time.Now(), delay)
		if cp.Retry == nil || cp.Retry.FlowKey != c.want {
			t.Errorf("stored %q: retry = %+v; want flow key %q", c.stored, cp.Retry, c.want)
		}
	}
}

// holdStore fails FlowKeyHold for the keys in fail, with err, counting
// the calls per key; other keys are held in the real store.
type holdStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]error
}

func (h *holdStore) FlowKeyHold(ctx context.Context, projectID prikke.ID, key string, until time.Time, reason string) error {
	h.mu.Lock()
	h.calls[key]++
	err := h.fail[key]
	h.mu.Unlock()
	if err != nil {
		return err
	}
	return h.Store.FlowKeyHold(ctx, projectID, key, until, reason)
}

// A hold the database fails to take is tried three times and dropped; one
// it refuses is tried once; neither holds up the next key's hold, and only
// a written hold is counted.
func TestHoldWriteGivesUp(t *testing.T) {
	t.Parallel()
	s := &holdStore{Store: storetest.OpenSQLite(t), calls: map[string]int{}, fail: map[string]error{
		"down":    errors.New("database is locked"),
		"refused": prikke.Errorf(prikke.ECONFLICT, "no"),
	}}
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	m := metrics.New()
	w := New(s, client, Config{Node: "n1"}, m, slog.New(slog.DiscardHandler))
	answer := delivery.Result{StatusCode: 503, RetryAfter: 30 * time.Second}
	for _, key := range []string{"down", "refused", "ok"} {
		w.signal(&store.Claimed{Execution: &prikke.Execution{ID: prikke.NewID(), ProjectID: tn.Project.ID, FlowKey: key}, Job: &prikke.Job{}}, answer)
	}
	w.holds.close()
	done := make(chan struct{})
	go func() { w.writeHolds(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the hold loop did not end once closed and written")
	}
	if s.calls["down"] != holdWriteAttempts || s.calls["refused"] != 1 || s.calls["ok"] != 1 {
		t.Errorf("writes per key = %v; want down %d, refused 1, ok 1", s.calls, holdWriteAttempts)
	}
	k, err := s.FlowKeyGet(context.Background(), tn.Project.ID, "ok", time.Time{})
	if err != nil || k.HeldUntil == nil || k.HoldReason != "503 Service Unavailable, Retry-After 30s" {
		t.Errorf("ok = %+v, %v; want it held", k, err)
	}
	if got := holdsCounted(t, m); got != 1 {
		t.Errorf("holds counted = %v; want 1 (the one written)", got)
	}
}

func holdsCounted(t *testing.T, m *metrics.Metrics) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "prikke_flow_holds_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatal("no prikke_flow_holds_total in the scrape")
	return 0
}
