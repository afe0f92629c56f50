package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prikke/prikke"
)

// KeyCacheTTL bounds how long a node trusts what it read about an API key
// (the key, its organization, the projects it enqueued into) without
// reading it again. A key revoked, an organization suspended or deleted,
// or a project deleted through this node is forgotten at once
// (forgetKeys); through another node, it is refused within KeyCacheTTL.
const KeyCacheTTL = time.Second

// keyCache is what AuthenticateKey and the enqueue API read per request
// without it: the key (by key ID), its organization, and the projects it
// was allowed to enqueue into. Entries age by wall time, not by the
// service's clock (which tests stop). The zero value is ready.
type keyCache struct {
	mu  sync.Mutex
	m   map[string]*keyEntry
	gen uint64 // bumped by every forget: a read begun before it is not kept
}

type keyEntry struct {
	key     *prikke.APIKey
	org     *prikke.Organization // as the service's organization read it (plan up to date)
	until   time.Time
	touched atomic.Int64 // unix nanoseconds of the last last_used_at write known

	mu       sync.Mutex
	projects map[prikke.ID]*prikke.Project // projects targetProject allowed; the zero ID is the default
}

// get returns the live entry of a key ID, or nil.
func (c *keyCache) get(keyID string) *keyEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[keyID]
	if e == nil || !time.Now().Before(e.until) {
		return nil
	}
	return e
}

// generation is read before loading an entry and passed to put.
func (c *keyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps an entry read since generation gen, unless something was
// forgotten meanwhile (the read may predate a revocation).
func (c *keyCache) put(gen uint64, e *keyEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]*keyEntry{}
	}
	now := time.Now()
	if len(c.m) >= 10_000 {
		for id, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, id)
			}
		}
	}
	e.until = now.Add(KeyCacheTTL)
	c.m[e.key.KeyID] = e
}

// forget drops every entry: revocations, suspensions, deletions and plan
// changes are rare, and then everything is read again.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// forgetKeys makes this node read API keys, organizations and projects
// again: called after every change that may refuse a key or move what it
// reaches.
func (s *Service) forgetKeys() { s.keys.forget() }

// project returns the project an enqueue with projectID (nil: the
// default) reaches with this key, as targetProject found it, or nil.
func (e *keyEntry) project(projectID *prikke.ID) *prikke.Project {
	var id prikke.ID
	if projectID != nil {
		id = *projectID
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.projects[id]
}

func (e *keyEntry) keepProject(projectID *prikke.ID, p *prikke.Project) {
	var id prikke.ID
	if projectID != nil {
		id = *projectID
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.projects == nil {
		e.projects = map[prikke.ID]*prikke.Project{}
	}
	if len(e.projects) < 100 {
		e.projects[id] = p
	}
}

// enqueueTarget is targetProject and organization for an enqueue: with an
// API key, from the key's cache entry after the first request (the key was
// authenticated this request, AuthenticateKey, so the entry is live).
func (s *Service) enqueueTarget(ctx context.Context, a *Actor, projectID *prikke.ID) (*prikke.Project, *prikke.Organization, error) {
	var e *keyEntry
	if a != nil && a.APIKey != nil {
		if e = s.keys.get(a.APIKey.KeyID); e != nil && e.key.ID == a.APIKey.ID {
			if p := e.project(projectID); p != nil {
				return p, e.org, nil
			}
		} else {
			e = nil
		}
	}
	gen := s.keys.generation()
	p, err := s.targetProject(ctx, a, projectID, "create jobs")
	if err != nil {
		return nil, nil, err
	}
	o, err := s.organization(ctx, p.OrganizationID)
	if err != nil {
		return nil, nil, err
	}
	if e != nil && s.keys.generation() == gen && o.ID == e.org.ID {
		e.keepProject(projectID, p)
	}
	return p, o, nil
}
