package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke/internal/store"
)

// Readiness answers /readyz: whether this node should be sent traffic.
// It is not when the database does not answer, when the database's
// schema is older than this binary needs, or once Drain is called
// (SIGTERM), so that a load balancer stops sending requests while the
// node finishes what it has and before its listener closes. /healthz
// stays the liveness check: it answers while draining.
type Readiness struct {
	Store store.Store
	// Migrations returns the newest migration version the database has
	// applied and the newest this binary needs: its newest expand
	// migration (it must not need its contract steps, which wait until
	// no older node runs); nil skips the check.
	Migrations func(ctx context.Context) (applied, needed int64, err error)
	// Timeout bounds each database check, so /readyz never hangs
	// (default 2 s).
	Timeout time.Duration
	// CacheFor is how long a migration verdict is reused (default 5 s):
	// a probe every second costs one ping, not a version query too.
	CacheFor time.Duration

	draining atomic.Bool
	mu       sync.Mutex
	checked  time.Time // when behind was learned
	behind   error     // the cached verdict: nil when current
}

// Drain marks the node as shutting down: /readyz answers 503 from now on.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Check returns nil when the node is ready, or an error whose message
// says, for an operator, what is not.
func (r *Readiness) Check(ctx context.Context) error {
	if r.draining.Load() {
		return errors.New("draining: this node is shutting down")
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.Store.Ping(pctx); err != nil {
		return errDatabase{err}
	}
	if r.Migrations == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cacheFor := r.CacheFor
	if cacheFor <= 0 {
		cacheFor = 5 * time.Second
	}
	if !r.checked.IsZero() && time.Since(r.checked) < cacheFor {
		return r.behind
	}
	mctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	applied, needed, err := r.Migrations(mctx)
	if err != nil {
		return errDatabase{err} // not cached: the next probe asks again
	}
	r.behind = nil
	// A newer node may have migrated further during a rolling upgrade
	// (migrations are expand/contract): this node still serves.
	if applied < needed {
		r.behind = fmt.Errorf("migrations are behind: %d applied, %d needed; run prikke migrate", applied, needed)
	}
	r.checked = time.Now()
	return r.behind
}

// errDatabase is a failed database check: the answer names it plainly,
// the log gets the cause.
type errDatabase struct{ cause error }

func (errDatabase) Error() string   { return "the database does not answer" }
func (e errDatabase) Unwrap() error { return e.cause }

// readyz serves /readyz: 200 {"status":"ready"}, or 503 problem+json
// naming what is not ready.
func readyz(rd *Readiness, d Deps) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := rd.Check(r.Context()); err != nil {
			var de errDatabase
			if errors.As(err, &de) {
				d.Logger.Warn("readiness check failed", "error", de.cause)
			}
			writeProblem(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	}
}
