package ping

import (
	"sync"
	"time"
)

// limiter is a flood limit of one node: a token bucket per key (a
// monitor, or a client address), burst at once, refilled at rate per
// second. Buckets are kept for at most max keys; a full bucket is the
// same as none, so idle ones are dropped first when room is needed.
type limiter[K comparable] struct {
	burst, rate float64
	max         int

	mu      sync.Mutex
	buckets map[K]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter[K comparable](burst int, rate float64, max int) *limiter[K] {
	return &limiter[K]{burst: float64(burst), rate: rate, max: max, buckets: map[K]*bucket{}}
}

// allow takes a token from id's bucket. When there is none it returns
// false and how long until there is one.
func (l *limiter[K]) allow(id K, now time.Time) (bool, time.Duration) {
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

// empty reports, without taking a token, whether id's bucket is empty,
// and if so how long until it is not.
func (l *limiter[K]) empty(id K, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		return false, 0
	}
	if b.refill(now, l.burst, l.rate); b.tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
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
func (l *limiter[K]) evict(now time.Time) {
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
