package ping

import (
	"sync"
	"time"

	"github.com/prikke/prikke"
)

// target is what a ping needs of its monitor.
type target struct {
	id, project prikke.ID
	tier        prikke.Tier
}

// cache remembers, for a while, which monitor a token or a slug URL
// names, so a busy monitor costs one read per TTL rather than one per
// ping. A monitor deleted meanwhile is harmless: the recorder drops its
// pings and the handler forgets the entry. At most max entries: when
// full, expired entries go first, then any.
type cache struct {
	max int

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	target
	expires time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, entries: map[string]cacheEntry{}}
}

func (c *cache) get(key string, now time.Time) (target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return target{}, false
	}
	return e.target, true
}

// put remembers t under key for ttl from now.
func (c *cache) put(key string, t target, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = cacheEntry{target: t, expires: now.Add(ttl)}
}

func (c *cache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// evict makes room: every expired entry, and if that freed less than a
// tenth, any entries until a tenth is free.
func (c *cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max-c.max/10 {
			return
		}
		delete(c.entries, k)
	}
}
