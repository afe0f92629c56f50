package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
	"github.com/prikke/prikke/internal/worker"
)

// The engine tests run workflows end to end: a real store (SQLite, and
// PostgreSQL where the database clock need not move), the real worker and
// a loopback endpoint that scripts its answers and records every request
// in arrival order. On SQLite the store and the worker share an injected
// clock that follows real time plus an offset the test moves (a day-long
// delay passes in an instant).

// flowClock is real time shifted by an offset the test advances.
type flowClock struct{ shift atomic.Int64 }

func (c *flowClock) Now() time.Time { return time.Now().Add(time.Duration(c.shift.Load())) }

// Advance moves the clock d forward.
func (c *flowClock) Advance(d time.Duration) { c.shift.Add(int64(d)) }

// wfEnv is one store, its tenant, a worker delivering to an endpoint.
type wfEnv struct {
	t     *testing.T
	s     store.Store
	clock *flowClock // nil on PostgreSQL: the database clock
	tn    *storetest.Tenant
	ep    *endpoint
	w     *worker.Worker
}

// wfDialects runs fn on SQLite (with an injected clock) and, unless
// sqliteOnly, on PostgreSQL, with the worker started.
func wfDialects(t *testing.T, sqliteOnly bool, fn func(t *testing.T, e *wfEnv)) {
	t.Helper()
	wfDialectsIdle(t, sqliteOnly, func(t *testing.T, e *wfEnv) {
		e.startWorker()
		fn(t, e)
	})
}

// wfDialectsIdle is wfDialects with the worker not started: fn starts it
// (startWorker) when it has set the scene.
func wfDialectsIdle(t *testing.T, sqliteOnly bool, fn func(t *testing.T, e *wfEnv)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s := storetest.OpenSQLiteAt(t, filepath.Join(t.TempDir(), "prikke.db"))
		clock := &flowClock{}
		s.NowFunc = clock.Now
		fn(t, newWFEnv(t, s, clock))
	})
	if sqliteOnly {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s := storetest.OpenPostgres(t)
		fn(t, newWFEnv(t, s, nil))
	})
}

// startWorker starts the env's worker.
func (e *wfEnv) startWorker() {
	e.w.Start(context.Background())
	e.t.Cleanup(e.w.Stop)
}

func newWFEnv(t *testing.T, s store.Store, clock *flowClock) *wfEnv {
	t.Helper()
	e := &wfEnv{t: t, s: s, clock: clock, tn: storetest.NewTenant(t, s, prikke.TierPro), ep: newEndpoint(t)}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("PRIKKE_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client := delivery.New(delivery.Options{Allow: []netip.AddrPort{e.ep.addr}})
	t.Cleanup(client.Close)
	cfg := worker.Config{Node: "n1", MinWorkers: 4, MaxWorkers: 64, OrgInFlight: 64, Drain: 2 * time.Second, PollEvery: time.Second}
	e.w = worker.New(s, client, cfg, metrics.New(), logger)
	if clock != nil {
		e.w.NowFunc = clock.Now
	}
	return e
}

// now is the store's clock.
func (e *wfEnv) now() time.Time { return dbNow(e.t, e.s) }

// advance moves the injected clock and wakes the worker.
func (e *wfEnv) advance(d time.Duration) {
	e.t.Helper()
	e.clock.Advance(d)
	if err := e.s.Publish(context.Background(), store.TopicWork, ""); err != nil {
		e.t.Fatal(err)
	}
}

// workflow saves a workflow of these steps; URLs starting with "/" are the
// endpoint's.
func (e *wfEnv) workflow(steps ...prikke.Step) *prikke.Workflow {
	e.t.Helper()
	for i := range steps {
		if strings.HasPrefix(steps[i].URL, "/") {
			steps[i].URL = e.ep.url(steps[i].URL)
		}
	}
	now := e.now()
	w := &prikke.Workflow{ID: prikke.NewID(), ProjectID: e.tn.Project.ID, OrganizationID: e.tn.Org.ID,
		Name: "wf " + e.t.Name(), Definition: prikke.WorkflowDefinition{Steps: steps}, Health: prikke.JobHealthy,
		CreatedAt: now, UpdatedAt: now}
	if err := e.s.WorkflowCreate(context.Background(), w); err != nil {
		e.t.Fatalf("create workflow: %v", err)
	}
	return w
}

// start starts a run with a JSON payload ("" for none).
func (e *wfEnv) start(w *prikke.Workflow, payload string) *prikke.WorkflowRun {
	e.t.Helper()
	p := &store.RunStart{WorkflowID: w.ID, Trigger: prikke.RunTriggerAPI}
	if payload != "" {
		p.Payload = []byte(payload)
	}
	run, created, err := e.s.WorkflowRunStart(context.Background(), p)
	if err != nil || !created {
		e.t.Fatalf("start run: created %v, %v", created, err)
	}
	return run
}

// wait polls the run until it is terminal (waitFor's cap) and returns it
// with its steps, by key ("key" for a step's own row, "key[i]" for an
// item).
func (e *wfEnv) wait(run *prikke.WorkflowRun) (*prikke.WorkflowRun, map[string]*prikke.RunStep) {
	e.t.Helper()
	var r *prikke.WorkflowRun
	waitFor(e.t, "run "+run.ID.String()+" to finish", func() bool {
		var err error
		r, err = e.s.WorkflowRunGet(context.Background(), run.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		return r.Status.Terminal()
	})
	return r, e.steps(run)
}

// steps returns the run's step rows by key ("key[i]" for items).
func (e *wfEnv) steps(run *prikke.WorkflowRun) map[string]*prikke.RunStep {
	e.t.Helper()
	rows, err := e.s.WorkflowRunSteps(context.Background(), run.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]*prikke.RunStep{}
	for _, r := range rows {
		k := r.Key
		if r.Item != prikke.NoItem {
			k += "[" + strconv.Itoa(r.Item) + "]"
		}
		out[k] = r
	}
	return out
}

// wantStatuses checks the run's status and its steps' (own rows).
func (e *wfEnv) wantStatuses(r *prikke.WorkflowRun, steps map[string]*prikke.RunStep, run prikke.RunStatus, want map[string]prikke.StepStatus) {
	e.t.Helper()
	if r.Status != run {
		e.t.Errorf("run status = %s (error %q), want %s", r.Status, r.Error, run)
	}
	for k, st := range want {
		row := steps[k]
		switch {
		case row == nil:
			e.t.Errorf("step %s: no row", k)
		case row.Status != st:
			e.t.Errorf("step %s: status %s (reason %q), want %s", k, row.Status, row.Reason, st)
		}
	}
}

// stepExecutions returns every attempt of a step instance, oldest first,
// read in full (request and response).
func (e *wfEnv) stepExecutions(row *prikke.RunStep) []*prikke.Execution {
	e.t.Helper()
	if row.JobID == nil {
		return nil
	}
	es, err := e.s.ExecutionList(context.Background(), store.ExecutionFilter{JobID: row.JobID})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]*prikke.Execution, 0, len(es))
	for _, x := range slices.Backward(es) {
		out = append(out, mustGet(e.t, e.s, x.ID))
	}
	return out
}

// hit is one request the endpoint received.
type hit struct {
	Seq     int // arrival order, from 1
	DoneSeq int // the sequence number taken as its answer was written
	At      time.Time
	DoneAt  time.Time // when its answer was written
	Method  string
	Path    string
	Query   string
	Header  http.Header
	Body    string
}

// Key is the request's Idempotency-Key.
func (h *hit) Key() string { return h.Header.Get("Idempotency-Key") }

// endpoint is a loopback HTTP server with scripted answers:
//
//	/login              200 {"token":"tok-<payload user or 'anon'>"} (the body's "user")
//	/items?n=N          200 {"items":[{"id":0,"name":"item-0"},…]}
//	/status/N           status N, body {"status":N}
//	/flaky/K            503 the first K times per Idempotency-Key, then 200 {"ok":true}
//	/gate               waits until the test opens the gate, then 200 {"ok":true}
//	/slow?ms=N          200 {"ok":true} after N ms
//	/echo               200 {"api_key":<the X-Api-Key sent>,"query":<the query>}
//	/item?id=X          200 {"ok":true,"id":"X"} after 20 ms
//	anything else       200 {"ok":true,"path":…}
//
// Every request is recorded, in arrival order, with a second sequence
// number taken as its answer is written: a request whose Seq is above
// another's DoneSeq arrived after that one was answered.
type endpoint struct {
	t    *testing.T
	srv  *httptest.Server
	addr netip.AddrPort

	mu       sync.Mutex
	seq      int
	hits     []*hit
	flaky    map[string]int
	inFlight map[string]int // by path
	peak     map[string]int
	fail     atomic.Bool   // /toggle answers 500 while set
	gate     chan struct{} // closed to let /gate requests through
}

func newEndpoint(t *testing.T) *endpoint {
	ep := &endpoint{t: t, flaky: map[string]int{}, inFlight: map[string]int{}, peak: map[string]int{}, gate: make(chan struct{})}
	ep.srv = httptest.NewServer(http.HandlerFunc(ep.serve))
	t.Cleanup(func() {
		ep.openGate()
		ep.srv.Close()
	})
	ep.addr = netip.MustParseAddrPort(ep.srv.Listener.Addr().String())
	return ep
}

func (ep *endpoint) url(path string) string { return ep.srv.URL + path }

func (ep *endpoint) openGate() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	select {
	case <-ep.gate:
	default:
		close(ep.gate)
	}
}

func (ep *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ep.mu.Lock()
	ep.seq++
	h := &hit{Seq: ep.seq, At: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)}
	ep.hits = append(ep.hits, h)
	ep.inFlight[h.Path]++
	ep.peak[h.Path] = max(ep.peak[h.Path], ep.inFlight[h.Path])
	gate := ep.gate
	ep.mu.Unlock()
	code, out := ep.answer(r, h, body, gate)
	ep.mu.Lock()
	ep.seq++
	h.DoneSeq, h.DoneAt = ep.seq, time.Now()
	ep.inFlight[h.Path]--
	ep.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, out)
}

func (ep *endpoint) answer(r *http.Request, h *hit, body []byte, gate chan struct{}) (int, string) {
	p := r.URL.Path
	switch {
	case p == "/login":
		var in struct {
			User string `json:"user"`
		}
		json.Unmarshal(body, &in)
		if in.User == "" {
			in.User = "anon"
		}
		return 200, `{"token":"tok-` + in.User + `"}`
	case p == "/items":
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		items := make([]map[string]any, n)
		for i := range items {
			items[i] = map[string]any{"id": i, "name": "item-" + strconv.Itoa(i)}
		}
		b, _ := json.Marshal(map[string]any{"items": items})
		return 200, string(b)
	case strings.HasPrefix(p, "/status/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(p, "/status/"))
		return code, fmt.Sprintf(`{"status":%d}`, code)
	case strings.HasPrefix(p, "/flaky/"):
		k, _ := strconv.Atoi(strings.TrimPrefix(p, "/flaky/"))
		ep.mu.Lock()
		n := ep.flaky[h.Key()]
		ep.flaky[h.Key()] = n + 1
		ep.mu.Unlock()
		if n < k {
			return 503, `{"error":"try again"}`
		}
		return 200, `{"ok":true}`
	case p == "/toggle":
		if ep.fail.Load() {
			return 500, `{"error":"down"}`
		}
		return 200, `{"ok":true}`
	case p == "/gate":
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		return 200, `{"ok":true}`
	case p == "/echo":
		b, _ := json.Marshal(map[string]any{"api_key": r.Header.Get("X-Api-Key"), "query": r.URL.RawQuery})
		return 200, string(b)
	case p == "/item":
		time.Sleep(20 * time.Millisecond) // long enough for concurrent items to overlap
		return 200, `{"ok":true,"id":` + strconv.Quote(r.URL.Query().Get("id")) + `}`
	case p == "/slow":
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
		}
		return 200, `{"ok":true}`
	}
	return 200, `{"ok":true,"path":"` + p + `"}`
}

// requests returns every request so far, in arrival order.
func (ep *endpoint) requests() []*hit {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	out := make([]*hit, len(ep.hits))
	for i, h := range ep.hits {
		c := *h
		out[i] = &c
	}
	return out
}

// byKey returns the requests whose Idempotency-Key is run.key (or
// run.key.item when item >= 0).
func (ep *endpoint) byKey(run *prikke.WorkflowRun, key string, item int) []*hit {
	want := run.ID.String() + "." + key
	if item >= 0 {
		want += "." + strconv.Itoa(item)
	}
	var out []*hit
	for _, h := range ep.requests() {
		if h.Key() == want {
			out = append(out, h)
		}
	}
	return out
}

// byStep returns the requests of a step, its items' included.
func (ep *endpoint) byStep(run *prikke.WorkflowRun, key string) []*hit {
	prefix := run.ID.String() + "." + key
	var out []*hit
	for _, h := range ep.requests() {
		if k := h.Key(); k == prefix || strings.HasPrefix(k, prefix+".") {
			out = append(out, h)
		}
	}
	return out
}

// peakInFlight is the most requests to path the endpoint held at once.
func (ep *endpoint) peakInFlight(path string) int {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.peak[path]
}

// wantKeys checks that every request the endpoint got for the run carried
// an Idempotency-Key naming the run and a step of it.
func (e *wfEnv) wantKeys(run *prikke.WorkflowRun, keys ...string) {
	e.t.Helper()
	for _, h := range e.ep.requests() {
		k := h.Key()
		if !strings.HasPrefix(k, run.ID.String()+".") {
			continue
		}
		rest := strings.TrimPrefix(k, run.ID.String()+".")
		step, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(keys, step) {
			e.t.Errorf("request %s %s carries Idempotency-Key %q of no step", h.Method, h.Path, k)
		}
	}
}

// wantAfter checks that no request of step later arrived before every
// request of each step in needs was answered.
func (e *wfEnv) wantAfter(run *prikke.WorkflowRun, later string, needs ...string) {
	e.t.Helper()
	ls := e.ep.byStep(run, later)
	if len(ls) == 0 {
		e.t.Errorf("step %s: no request", later)
		return
	}
	first := ls[0].Seq
	for _, n := range needs {
		for _, h := range e.ep.byStep(run, n) {
			if h.DoneSeq == 0 || h.DoneSeq > first {
				e.t.Errorf("step %s started (request #%d) before %s's request #%d was answered (#%d)", later, first, n, h.Seq, h.DoneSeq)
			}
		}
	}
}
