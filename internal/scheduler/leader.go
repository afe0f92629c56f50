package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prikke/prikke/internal/startstop"
	"github.com/prikke/prikke/internal/store"
)

// Elector keeps this node's claim to a leadership: a lease row timed by the
// database clock (store.LeaderAttemptElect), renewed every third of its
// TTL. A leader stops trusting its term once most of the TTL has passed
// without a successful renewal, even if the database never said it lost:
// a node that was paused (SIGSTOP, a long GC, a frozen VM) must not keep
// acting as leader when it wakes. Correctness never depends on this — the
// unique key on executions absorbs any overlap — the leader only saves work.
type Elector struct {
	store  store.Store
	name   string
	id     string
	ttl    time.Duration
	logger *slog.Logger

	mu        sync.Mutex
	leading   bool
	renewedAt time.Time // local monotonic time of the last successful elect/reelect
	changed   chan struct{}
}

// NewElector returns an elector for leadership name, held by id.
func NewElector(s store.Store, name, id string, ttl time.Duration, logger *slog.Logger) *Elector {
	return &Elector{store: s, name: name, id: id, ttl: ttl, logger: logger.With("service", "elector"), changed: make(chan struct{}, 1)}
}

// trustWindow is how long after the last renewal the leader still acts.
func (e *Elector) trustWindow() time.Duration { return e.ttl - e.ttl/4 }

// Leading reports whether this node leads and still trusts its term.
func (e *Elector) Leading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading && time.Since(e.renewedAt) < e.trustWindow()
}

// Changed is signalled when leadership is won or lost.
func (e *Elector) Changed() <-chan struct{} { return e.changed }

func (e *Elector) set(leading bool) {
	e.mu.Lock()
	was := e.leading
	e.leading = leading
	if leading {
		e.renewedAt = time.Now()
	}
	e.mu.Unlock()
	if was != leading {
		if leading {
			e.logger.Info("gained leadership", "name", e.name, "leader_id", e.id)
		} else {
			e.logger.Info("lost leadership", "name", e.name, "leader_id", e.id)
		}
		select {
		case e.changed <- struct{}{}:
		default:
		}
	}
}

// Run elects and renews every third of the TTL until ctx ends, then
// resigns.
func (e *Elector) Run(ctx context.Context) {
	startstop.Every(e.ttl/3, e.attempt)(ctx)
	if e.Leading() {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := e.store.LeaderResign(rctx, e.name, e.id); err != nil {
			e.logger.Warn("resign failed", "error", err)
		}
		cancel()
	}
	e.set(false)
}

func (e *Elector) attempt(ctx context.Context) {
	e.mu.Lock()
	leading, stale := e.leading, time.Since(e.renewedAt) >= e.trustWindow()
	e.mu.Unlock()
	actx, cancel := context.WithTimeout(ctx, e.ttl/3)
	defer cancel()
	if leading && stale {
		// Paused too long: whatever the database says, start over.
		e.set(false)
		leading = false
	}
	var ok bool
	var err error
	if leading {
		ok, err = e.store.LeaderAttemptReelect(actx, e.name, e.id, e.ttl)
	} else {
		ok, err = e.store.LeaderAttemptElect(actx, e.name, e.id, e.ttl)
	}
	if err != nil {
		if ctx.Err() == nil {
			e.logger.Warn("leader election failed", "error", err)
		}
		// Keep the term until the trust window runs out; Leading() checks.
		return
	}
	e.set(ok)
}
