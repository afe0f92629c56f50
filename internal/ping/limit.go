package ping

import (
	"sync"
	"time"

	"github.com/prikke/prikke"
)

// limiter is the per-monitor flood limit of one node: a token bucket per
// monitor, burst pings at once, refilled at rate per second. Buckets are
// kept for at most max monitors; a full bucket is the same as none, so
// idle ones are dropped first when room is needed.
type limiter struct {
	burst, rate float64
	max         int

	mu      sync.Mutex
	buckets map[prikke.ID]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, rate float64, max int) *limiter {
	return &limiter{burst: float64(burst), rate: rate, max: max, buckets: map[prikke.ID]*bucket{}}
}

// allow takes a token from id's bucket. When there is none it returns
// false and how long until there is one.
func (l *limiter) allow(id prikke.ID, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[id] = b
	}
	b.refill(now, l.burst, l.rate)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (b *bucket) refill(now time.Time, burst, rate float64) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.at = now
	}
}

// evict drops the full buckets, and if that freed less than a tenth of
// the room, any buckets until a tenth is free (a monitor that loses its
// bucket starts again with a full one).
func (l *limiter) evict(now time.Time) {
	for id, b := range l.buckets {
		if b.refill(now, l.burst, l.rate); b.tokens >= l.burst {
			delete(l.buckets, id)
		}
	}
	for id := range l.buckets {
		if len(l.buckets) < l.max-l.max/10 {
			return
		}
		delete(l.buckets, id)
	}
}
