package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultMaxEntries is the most (scope, key) entries a Memory holds. At one
// entry per API key, tenant and node active within the window, a deployment
// reaches it only under a flood of distinct names.
const DefaultMaxEntries = 1 << 20

// ErrFull is returned by Memory.Take when recording a call would need a new
// entry and the Memory already holds its maximum of live entries.
var ErrFull = errors.New("rate limit counter full")

// minSweepAt is the smallest entry count that triggers a sweep, so small
// maps are not swept on every call.
const minSweepAt = 1024

// Memory is an in-memory Counter for a single node: a sliding window kept
// as per-second buckets, so one entry holds at most window/1s+1 buckets. It
// is safe for concurrent use; one mutex makes each Take atomic across its
// buckets. Expired entries are pruned lazily: a sweep runs when the map has
// doubled since the last sweep or a window has passed since it, so memory
// stays proportional to the entries active within the window, and a cap
// (DefaultMaxEntries) bounds it outright.
type Memory struct {
	mu         sync.Mutex
	entries    map[entryKey]*entry
	maxEntries int
	sweepAt    int       // the entry count that triggers the next sweep
	nextSweep  time.Time // the time that triggers the next sweep
}

// entryKey names one counted (scope, key) pair.
type entryKey struct {
	scope Scope
	key   string
}

// entry is the count of one (scope, key) pair.
type entry struct {
	buckets []secondCount // ascending by sec
	total   int           // the sum of buckets' n
	window  time.Duration // the window of the last Take that recorded here, for sweeps
}

// secondCount is the number of calls counted at the end of second sec.
type secondCount struct {
	sec int64
	n   int
}

// NewMemory returns an empty in-memory Counter.
func NewMemory() *Memory {
	return &Memory{
		entries:    make(map[entryKey]*entry),
		maxEntries: DefaultMaxEntries,
		sweepAt:    minSweepAt,
	}
}

// Len returns the number of (scope, key) entries held, expired ones not yet
// pruned included; it suits a gauge.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Take implements Counter.
func (m *Memory) Take(ctx context.Context, now time.Time, window time.Duration, buckets []Bucket) (TakeResult, error) {
	if err := ctx.Err(); err != nil {
		return TakeResult{}, err
	}
	res := TakeResult{OK: true, Used: make([]int, len(buckets))}
	cutoff := now.Add(-window).Unix() // a bucket counts while its sec > cutoff
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.sweepAt || !now.Before(m.nextSweep) {
		m.sweep(now, window)
	}

	missing := 0
	for i, b := range buckets {
		if b.Limit <= 0 {
			continue
		}
		e := m.entries[entryKey{b.Scope, b.Key}]
		if e == nil {
			missing++
			continue
		}
		e.trim(cutoff)
		res.Used[i] = e.total
		if res.OK && e.total >= b.Limit {
			res.OK = false
			res.Exhausted = b.Scope
			res.RetryAfter = retryAfter(now, window, e.buckets[0].sec)
		}
	}
	if !res.OK {
		return res, nil
	}
	if missing > 0 && len(m.entries)+missing > m.maxEntries {
		m.sweep(now, window)
		if len(m.entries)+missing > m.maxEntries {
			return TakeResult{}, ErrFull
		}
	}

	sec := ceilSecond(now)
	for i, b := range buckets {
		if b.Limit <= 0 {
			continue
		}
		k := entryKey{b.Scope, b.Key}
		e := m.entries[k]
		if e == nil {
			e = &entry{}
			m.entries[k] = e
		}
		e.record(sec)
		e.window = window
		res.Used[i] = e.total
	}
	return res, nil
}

// sweep deletes the entries none of whose calls count any more, and sets
// when the next sweep is due.
func (m *Memory) sweep(now time.Time, window time.Duration) {
	for k, e := range m.entries {
		if len(e.buckets) == 0 || e.buckets[len(e.buckets)-1].sec <= now.Add(-e.window).Unix() {
			delete(m.entries, k)
		}
	}
	m.sweepAt = max(2*len(m.entries), minSweepAt)
	m.nextSweep = now.Add(window)
}

// trim drops the buckets at or before cutoff, which no longer count.
func (e *entry) trim(cutoff int64) {
	i := 0
	for i < len(e.buckets) && e.buckets[i].sec <= cutoff {
		e.total -= e.buckets[i].n
		i++
	}
	if i > 0 {
		n := copy(e.buckets, e.buckets[i:])
		e.buckets = e.buckets[:n]
	}
}

// record counts one call at the end of second sec. A call at or before the
// newest bucket (the clock stood still or stepped back) joins the newest
// bucket, which keeps the buckets ordered and counts it no shorter.
func (e *entry) record(sec int64) {
	if n := len(e.buckets); n > 0 && sec <= e.buckets[n-1].sec {
		e.buckets[n-1].n++
	} else {
		e.buckets = append(e.buckets, secondCount{sec: sec, n: 1})
	}
	e.total++
}

// ceilSecond returns t's Unix time rounded up to a whole second.
func ceilSecond(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// retryAfter returns the time from now until a call counted at the end of
// second oldest leaves the window, rounded up to whole seconds and at least
// one second.
func retryAfter(now time.Time, window time.Duration, oldest int64) time.Duration {
	d := time.Unix(oldest, 0).Add(window).Sub(now)
	if r := d % time.Second; r != 0 {
		d += time.Second - r
	}
	return max(d, time.Second)
}
