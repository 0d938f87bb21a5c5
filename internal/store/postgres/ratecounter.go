package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/ratelimit"
)

// RateCounter is a ratelimit.Counter kept in the rate_counts table, so
// that limits hold across every replica of the database.
//
// Each Take is one READ COMMITTED transaction that first takes a
// transaction-scoped advisory lock per bucket, in a fixed order (no
// deadlocks), then reads the buckets' counts in the window and, when all
// are under their limits, adds the call to each. Calls counted against
// one bucket are thus serialized across replicas, and nothing else is.
// Counts that left the window are deleted at most once a window.
type RateCounter struct {
	db *sql.DB

	mu        sync.Mutex
	nextSweep time.Time
}

// NewRateCounter returns a counter on db, a database migrated by Open.
func NewRateCounter(db *sql.DB) *RateCounter { return &RateCounter{db: db} }

// Take implements ratelimit.Counter.
func (c *RateCounter) Take(ctx context.Context, now time.Time, window time.Duration, buckets []ratelimit.Bucket) (ratelimit.TakeResult, error) {
	if err := ctx.Err(); err != nil {
		return ratelimit.TakeResult{}, err
	}
	if err := c.sweep(ctx, now, window); err != nil {
		return ratelimit.TakeResult{}, err
	}
	res := ratelimit.TakeResult{OK: true, Used: make([]int, len(buckets))}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return ratelimit.TakeResult{}, fmt.Errorf("beginning rate count: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var locks []string
	for _, b := range buckets {
		if b.Limit > 0 {
			locks = append(locks, string(b.Scope)+"\x1f"+b.Key)
		}
	}
	slices.Sort(locks)
	for _, l := range locks {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7243))`, l); err != nil {
			return ratelimit.TakeResult{}, fmt.Errorf("locking rate count: %w", err)
		}
	}
	cutoff := now.Add(-window).Unix() // a call counts while its second is after cutoff
	sec := ceilSecond(now)
	newest := make([]int64, len(buckets))
	for i, b := range buckets {
		if b.Limit <= 0 {
			continue
		}
		var used int
		var oldest, last sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0), MIN(sec), MAX(sec) FROM rate_counts WHERE scope = $1 AND key = $2 AND sec > $3`,
			string(b.Scope), b.Key, cutoff).Scan(&used, &oldest, &last)
		if err != nil {
			return ratelimit.TakeResult{}, fmt.Errorf("reading rate count: %w", err)
		}
		res.Used[i], newest[i] = used, max(sec, last.Int64)
		if res.OK && used >= b.Limit {
			res.OK, res.Exhausted = false, b.Scope
			res.RetryAfter = retryAfter(now, window, oldest.Int64)
		}
	}
	if !res.OK {
		return res, nil
	}
	for i, b := range buckets {
		if b.Limit <= 0 {
			continue
		}
		// A call at or before the bucket's newest second (the clock stood
		// still or stepped back) joins that second, as Memory does.
		_, err := tx.ExecContext(ctx, `INSERT INTO rate_counts (scope, key, sec, n) VALUES ($1, $2, $3, 1)
			ON CONFLICT (scope, key, sec) DO UPDATE SET n = rate_counts.n + 1`, string(b.Scope), b.Key, newest[i])
		if err != nil {
			return ratelimit.TakeResult{}, fmt.Errorf("recording rate count: %w", err)
		}
		res.Used[i]++
	}
	if err := tx.Commit(); err != nil {
		return ratelimit.TakeResult{}, fmt.Errorf("committing rate count: %w", err)
	}
	return res, nil
}

// sweep deletes counts that left the window, at most once a window per
// replica.
func (c *RateCounter) sweep(ctx context.Context, now time.Time, window time.Duration) error {
	c.mu.Lock()
	due := !now.Before(c.nextSweep)
	if due {
		c.nextSweep = now.Add(window)
	}
	c.mu.Unlock()
	if !due {
		return nil
	}
	if _, err := c.db.ExecContext(ctx, `DELETE FROM rate_counts WHERE sec <= $1`, now.Add(-window).Unix()); err != nil {
		return fmt.Errorf("sweeping rate counts: %w", err)
	}
	return nil
}

func ceilSecond(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// retryAfter is the time until a call counted at second oldest leaves the
// window, in whole seconds, at least one.
func retryAfter(now time.Time, window time.Duration, oldest int64) time.Duration {
	d := time.Unix(oldest, 0).Add(window).Sub(now)
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return max(d, time.Second)
}

var _ ratelimit.Counter = (*RateCounter)(nil)
