// Package startstop gives every background loop of a node the same start
// and stop: Start runs the loop's goroutines with a context of their own,
// Stop ends that context and waits until every goroutine has returned. Both
// are safe to call twice (and Stop before Start), so cmd/prikke can stop
// its services in order on any path without tracking which ones started.
//
// The idea is River's startstop (rivershared/startstop); this one is
// smaller: a loop runs once (Start after Stop does nothing, because the
// services keep state a second run would need afresh), and a loop's
// context ends only at Stop, not when the context given to Start ends, so
// a service stops in its place in the shutdown order.
package startstop

import (
	"context"
	"sync"
	"time"
)

// Loop is one background loop: one or more goroutines that run until
// Stop. The zero Loop is ready to start.
type Loop struct {
	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start runs each of fns in a goroutine of its own, with a context that
// keeps ctx's values but ends only when Stop is called. It reports whether
// it started them: false when the loop has been started before.
func (l *Loop) Start(ctx context.Context, fns ...func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return false
	}
	l.started = true
	ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.done = make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() { fn(ctx) })
	}
	go func() {
		wg.Wait()
		close(l.done)
	}()
	return true
}

// Stop ends the loop's context and waits until every goroutine Start ran
// has returned. It does nothing before Start, and a second call (or a
// concurrent one) waits for the same end.
func (l *Loop) Stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Done is closed once the loop has been started and every goroutine has
// returned; nil before Start.
func (l *Loop) Done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// Every returns a loop function that calls fn at once and then every d
// until its context ends.
func Every(d time.Duration, fn func(ctx context.Context)) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(d)
		defer t.Stop()
		fn(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	}
}
