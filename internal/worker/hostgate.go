package worker

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// hostGate spreads a burst to one destination host: at most limit
// requests to it at once from this node, the rest waiting their turn in
// order — but none waits longer than maxWait. A fast endpoint is then
// served by a few connections at full speed (more only cost CPU: dials,
// goroutines, context switches), while a slow one still gets as many
// requests at once as its deliveries need, each a little later. The wait
// comes before the attempt, so it never counts against the job's timeout.
type hostGate struct {
	limit   int
	maxWait time.Duration
	mu      sync.Mutex
	hosts   map[string]*hostSlots
	waiters sync.Pool // *gateWaiter
}

type hostSlots struct {
	busy    int
	waiting []chan struct{} // oldest first
}

// gateWaiter is what one wait takes: its turn (passed on by a leaving
// request) and its timer, kept for the next wait rather than made anew.
type gateWaiter struct {
	turn  chan struct{}
	timer *time.Timer
}

func newHostGate(limit int, maxWait time.Duration) *hostGate {
	g := &hostGate{limit: limit, maxWait: maxWait, hosts: map[string]*hostSlots{}}
	g.waiters.New = func() any {
		t := time.NewTimer(time.Hour)
		t.Stop()
		return &gateWaiter{turn: make(chan struct{}, 1), timer: t}
	}
	return g
}

// enter waits for a turn at host. It reports false if ctx ended first;
// otherwise the caller must call leave(host) when its request is done.
func (g *hostGate) enter(ctx context.Context, host string) bool {
	if g.limit <= 0 {
		return true
	}
	g.mu.Lock()
	h := g.hosts[host]
	if h == nil {
		h = &hostSlots{}
		g.hosts[host] = h
	}
	if h.busy < g.limit {
		h.busy++
		g.mu.Unlock()
		return true
	}
	wt := g.waiters.Get().(*gateWaiter)
	turn := wt.turn
	h.waiting = append(h.waiting, turn)
	g.mu.Unlock()
	// Back to the pool only once the turn channel is empty and off the
	// waiting list, which every path below ensures before it returns.
	defer g.waiters.Put(wt)

	wt.timer.Reset(g.maxWait)
	defer wt.timer.Stop()
	select {
	case <-turn:
		return true // a leaving request passed its slot on
	case <-wt.timer.C:
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if i := slices.Index(h.waiting, turn); i >= 0 {
		h.waiting = slices.Delete(h.waiting, i, i+1)
		if ctx.Err() != nil {
			g.dropLocked(host, h)
			return false
		}
		h.busy++ // waited long enough: the host is slow, go anyway
		return true
	}
	// A slot was passed on as the wait ended: take it, or pass it on.
	<-turn
	if ctx.Err() != nil {
		g.leaveLocked(host, h)
		return false
	}
	return true
}

// leave ends a request to host, passing its slot to the oldest waiter.
func (g *hostGate) leave(host string) {
	if g.limit <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if h := g.hosts[host]; h != nil {
		g.leaveLocked(host, h)
	}
}

func (g *hostGate) leaveLocked(host string, h *hostSlots) {
	if len(h.waiting) > 0 && h.busy <= g.limit {
		next := h.waiting[0]
		h.waiting[0] = nil
		h.waiting = h.waiting[1:]
		next <- struct{}{}
		return
	}
	h.busy--
	g.dropLocked(host, h)
}

func (g *hostGate) dropLocked(host string, h *hostSlots) {
	if h.busy <= 0 && len(h.waiting) == 0 {
		delete(g.hosts, host)
	}
}

// hostOf is the gate's key for a delivery URL: its host and port as
// written, lower-cased ("" if it cannot be parsed; the delivery reports
// that).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
