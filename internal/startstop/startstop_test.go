package startstop

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type key struct{}

// Stop ends every goroutine's context and returns only once they have all
// returned; both calls are safe twice, Stop before Start too, and the
// context given to Start ending does not stop the loop (only Stop does).
func TestLoop(t *testing.T) {
	t.Parallel()
	var l Loop
	l.Stop() // before Start: nothing to do

	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	var running, ended atomic.Int32
	release := make(chan struct{})
	fn := func(ctx context.Context) {
		if ctx.Value(key{}) != "v" {
			t.Error("the loop's context lost the value of Start's")
		}
		running.Add(1)
		<-ctx.Done()
		<-release // a loop that takes a while to wind down
		ended.Add(1)
	}
	if !l.Start(parent, fn, fn) {
		t.Fatal("first Start did not start")
	}
	if l.Start(parent, fn) {
		t.Fatal("second Start started again")
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancelParent()
	select {
	case <-l.Done():
		t.Fatal("the loop ended with the context given to Start; only Stop may end it")
	default:
	}

	var stops sync.WaitGroup
	stopped := make(chan struct{})
	for range 2 { // two concurrent Stops both wait for the end
		stops.Go(l.Stop)
	}
	go func() { stops.Wait(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned before the loop's goroutines returned")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-stopped
	if n := ended.Load(); n != 2 {
		t.Fatalf("%d goroutines ended when Stop returned; want 2", n)
	}
	l.Stop() // twice: returns at once
	if l.Start(context.Background(), fn) {
		t.Fatal("Start after Stop started again; a loop runs once")
	}
}

// Every calls its function at once, then on each tick, until Stop.
func TestEvery(t *testing.T) {
	t.Parallel()
	var l Loop
	var calls atomic.Int32
	l.Start(context.Background(), Every(time.Millisecond, func(context.Context) { calls.Add(1) }))
	for calls.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	l.Stop()
	n := calls.Load()
	time.Sleep(5 * time.Millisecond)
	if calls.Load() != n {
		t.Fatal("Every went on calling after Stop returned")
	}
}
