package worker

import (
	"context"
	"testing"
	"time"
)

func TestHostGate(t *testing.T) {
	ctx := context.Background()
	g := newHostGate(2, time.Minute)
	if !g.enter(ctx, "a") || !g.enter(ctx, "a") {
		t.Fatal("the first two requests must go at once")
	}
	if !g.enter(ctx, "b") {
		t.Fatal("another host has its own slots")
	}
	third, fourth := make(chan bool), make(chan bool)
	go func() { third <- g.enter(ctx, "a") }()
	waitWaiting(t, g, "a", 1)
	go func() { fourth <- g.enter(ctx, "a") }()
	waitWaiting(t, g, "a", 2)
	select {
	case <-third:
		t.Fatal("a third request went while two were in flight")
	case <-time.After(50 * time.Millisecond):
	}
	g.leave("a")
	if !<-third {
		t.Fatal("the oldest waiter gets the slot")
	}
	g.leave("a")
	if !<-fourth {
		t.Fatal("then the next")
	}
	g.leave("a")
	g.leave("a")
	g.leave("b")
	if len(g.hosts) != 0 {
		t.Errorf("hosts left after every request ended: %+v", g.hosts)
	}

	// A request never waits longer than maxWait: a slow host gets more.
	g = newHostGate(1, 20*time.Millisecond)
	g.enter(ctx, "slow")
	start := time.Now()
	if !g.enter(ctx, "slow") {
		t.Fatal("the second request must go after maxWait")
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("waited %v; want about maxWait", waited)
	}
	if g.hosts["slow"].busy != 2 {
		t.Errorf("busy = %d, want 2", g.hosts["slow"].busy)
	}
	g.leave("slow")
	g.leave("slow")
	if len(g.hosts) != 0 {
		t.Errorf("hosts left: %+v", g.hosts)
	}

	// A cancelled wait takes no slot.
	g = newHostGate(1, time.Minute)
	g.enter(ctx, "h")
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan bool)
	go func() { done <- g.enter(cctx, "h") }()
	waitWaiting(t, g, "h", 1)
	cancel()
	if <-done {
		t.Error("a cancelled wait reported a slot")
	}
	g.leave("h")
	if len(g.hosts) != 0 {
		t.Errorf("hosts left: %+v", g.hosts)
	}

	// No limit: nothing is tracked.
	g = newHostGate(0, time.Minute)
	for range 100 {
		g.enter(ctx, "x")
	}
	if len(g.hosts) != 0 {
		t.Error("a gate without a limit tracks hosts")
	}
}

func waitWaiting(t *testing.T, g *hostGate, host string, n int) {
	t.Helper()
	for range 1000 {
		g.mu.Lock()
		h := g.hosts[host]
		got := 0
		if h != nil {
			got = len(h.waiting)
		}
		g.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d waiting at %s never reached", n, host)
}

func TestHostOf(t *testing.T) {
	for raw, want := range map[string]string{
		"https://Example.com/hook":        "example.com",
		"http://127.0.0.1:8080/x?y=1":     "127.0.0.1:8080",
		"https://user:pw@api.example.io/": "api.example.io",
		"http://[::1]:9/":                 "[::1]:9",
		"::not a url":                     "",
	} {
		if got := hostOf(raw); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", raw, got, want)
		}
	}
}
