package identity

import (
	"sync"
	"time"
)

// CacheTTL is how long an opened application is reused before the store is
// read again. Changes made through this Service take effect at once (they
// drop the entry); changes made by another process on the same store (the
// `rampart apps` CLI beside a running server) within CacheTTL. Reading the
// application on every signed request was a third of the cost of a
// ProductAgents lookup in the read benchmark.
const CacheTTL = time.Second

// appCache holds opened applications by ID.
type appCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	app     Application
	expires time.Time
}

func (c *appCache) get(id string, now time.Time) (Application, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || !now.Before(e.expires) {
		return Application{}, false
	}
	return e.app, true
}

func (c *appCache) put(app Application, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10_000 {
		c.entries = map[string]cacheEntry{}
	}
	c.entries[app.ID] = cacheEntry{app: app, expires: now.Add(CacheTTL)}
}

func (c *appCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
