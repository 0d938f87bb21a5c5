package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the cache; the queries are a fixed set plus the
// filter combinations, far fewer than this.
const maxCachedStmts = 512

// cachedDB runs queries through prepared statements kept per query text.
// Parsing SQL is a large share of a short read's cost (measured with the
// ProductAgents benchmark), and database/sql re-prepares a statement on a
// pooled connection only the first time it meets it.
type cachedDB struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newCachedDB(db *sql.DB) *cachedDB {
	return &cachedDB{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, or nil when the cache is
// full (the caller then runs the query unprepared).
func (c *cachedDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, full := c.stmts[query], len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	if full {
		return nil, nil
	}
	// Prepare without holding the lock: preparing waits for a connection,
	// and a transaction holding the writer's only connection needs the lock
	// (txQuerier.bound) before it can finish and give the connection back.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[query]; old != nil {
		st.Close() // another caller prepared it meanwhile
		return old, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		st.Close()
		return nil, nil
	}
	c.stmts[query] = st
	return st, nil
}

func (c *cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (c *cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c *cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *cachedDB) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for _, st := range c.stmts {
		err = errors.Join(err, st.Close())
	}
	c.stmts = map[string]*sql.Stmt{}
	return errors.Join(err, c.db.Close())
}

// txQuerier runs a transaction's queries, through the writer's prepared
// statements when they exist.
type txQuerier struct {
	tx    *sql.Tx
	cache *cachedDB
}

// bound returns the writer's statement for query bound to the transaction
// when one is cached already. It never prepares: preparing on the writer
// pool would wait for the connection the transaction holds.
func (t txQuerier) bound(ctx context.Context, query string) *sql.Stmt {
	t.cache.mu.RLock()
	st := t.cache.stmts[query]
	t.cache.mu.RUnlock()
	if st == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.bound(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.bound(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.bound(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
