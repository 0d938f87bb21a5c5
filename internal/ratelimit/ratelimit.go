// Package ratelimit owns counting API calls over a sliding 60-second window
// per API key, per tenant and per manager node, and deciding whether one
// more call is allowed. It imports only the standard library: the counts
// live behind the Counter interface, so a store-backed Counter can make the
// limits hold across replicas without this package knowing about SQL.
//
// The window slides with a granularity of one second: a call counts as if it
// had been made at the end of the second in which it was made (its time
// rounded up to a whole second), and it stops counting once that instant is
// Window or more in the past. Rounding up rather than down keeps the promise
// that no span of Window ever holds more than the limit of calls; the cost is
// that a slot frees up to one second later than an exact timestamp log would
// free it.
package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Scope names what a limit counts.
type Scope string

// The scopes a Limiter counts, checked in this order.
const (
	ScopeKey    Scope = "key"
	ScopeTenant Scope = "tenant"
	ScopeNode   Scope = "node"
)

// The defaults DefaultLimits returns. The vendor documents 500 calls a
// minute per API key; it documents no tenant or node figure, so Rampart
// chooses 2000 a minute per tenant (four keys at their limit) and 10000 a
// minute per manager node (a ceiling against runaway clients, not a measured
// capacity); both are configurable.
const (
	DefaultWindow    = 60 * time.Second
	DefaultPerKey    = 500
	DefaultPerTenant = 2000
	DefaultPerNode   = 10000
)

// Limits configures a Limiter.
type Limits struct {
	// Window is the span calls are counted over; zero or less means
	// DefaultWindow. Whole seconds are expected, since counting is per second.
	Window time.Duration
	// PerKey, PerTenant and PerNode are the most calls allowed in any Window
	// for one API key, one tenant and one manager node. Zero (or less) means
	// no limit on that scope, and that scope is not counted at all.
	PerKey, PerTenant, PerNode int
	// Disabled switches the limiter off: every call is allowed and nothing
	// is counted.
	Disabled bool
}

// DefaultLimits returns the limits Rampart starts with: a 60-second window,
// 500 calls per key (the vendor's documented figure), 2000 per tenant and
// 10000 per node (Rampart's choices).
func DefaultLimits() Limits {
	return Limits{
		Window:    DefaultWindow,
		PerKey:    DefaultPerKey,
		PerTenant: DefaultPerTenant,
		PerNode:   DefaultPerNode,
	}
}

// Bucket is one (scope, key) pair a call is counted against, with its limit.
type Bucket struct {
	Scope Scope
	Key   string
	// Limit is the most calls allowed in the window; zero or less means the
	// bucket is neither checked nor recorded.
	Limit int
}

// TakeResult is what Counter.Take decided.
type TakeResult struct {
	// OK reports whether every bucket was under its limit, in which case one
	// call was recorded in each.
	OK bool
	// RetryAfter, when OK is false, is the time until the oldest counted call
	// of the Exhausted bucket leaves the window, rounded up to whole seconds
	// and at least one second.
	RetryAfter time.Duration
	// Exhausted, when OK is false, is the scope of the first bucket (in the
	// order given) that was at its limit.
	Exhausted Scope
	// Used holds, for each bucket in the order given, the calls counted in
	// the window: including this one when OK, excluding it otherwise. It is
	// zero for buckets without a limit.
	Used []int
}

// Counter is the storage of counts; the in-memory one (Memory) is for one
// node, a store-backed one (later, PostgreSQL) makes limits hold across
// replicas. RunCounterTests is the conformance suite every Counter passes.
type Counter interface {
	// Take atomically checks every bucket against its limit over the window
	// ending at now and, only if ALL are under their limit, records one call
	// made at now in each. Rejected calls are not counted. A call counts
	// while its time rounded up to a whole second is after now-window. Each
	// (Scope, Key) appears at most once in buckets.
	Take(ctx context.Context, now time.Time, window time.Duration, buckets []Bucket) (TakeResult, error)
}

// Decision is the Limiter's answer for one call.
type Decision struct {
	// Allowed reports whether the call may proceed; it was counted if so.
	Allowed bool
	// RetryAfter, when refused, is how long until a slot in the refusing
	// scope frees up (whole seconds, at least one).
	RetryAfter time.Duration
	// Scope is the scope that refused the call, empty when allowed.
	Scope Scope
	// Limit is the refusing scope's limit when refused, and the per-key limit
	// when allowed (zero when keys are unlimited or the limiter is off).
	Limit int
	// Remaining is how many more calls the API key may make in the current
	// window after this one; -1 when keys are unlimited
	// or the limiter is off. A call refused by the tenant or node scope can
	// leave the key's Remaining above zero.
	Remaining int
}

// Limiter decides whether an API call may proceed under its Limits. It is
// safe for concurrent use when its Counter is.
type Limiter struct {
	limits  Limits
	counter Counter
	now     func() time.Time
}

// New returns a Limiter enforcing limits with counts kept in counter (nil
// means a fresh Memory) and time read from now (nil means time.Now).
func New(limits Limits, counter Counter, now func() time.Time) *Limiter {
	if limits.Window <= 0 {
		limits.Window = DefaultWindow
	}
	if counter == nil {
		counter = NewMemory()
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{limits: limits, counter: counter, now: now}
}

// Limits returns the limits the Limiter enforces, with defaults filled in.
func (l *Limiter) Limits() Limits { return l.limits }

// Allow asks for one call by apiKey (e.g. "key:8") within tenant on node.
// The names are opaque; an empty name is a name like any other. It returns
// an error only when the Counter fails; the caller chooses whether to fail
// open or closed then.
func (l *Limiter) Allow(ctx context.Context, apiKey, tenant, node string) (Decision, error) {
	if l.limits.Disabled {
		return Decision{Allowed: true, Remaining: -1}, nil
	}
	buckets := make([]Bucket, 0, 3)
	keyIndex := -1
	if l.limits.PerKey > 0 {
		keyIndex = len(buckets)
		buckets = append(buckets, Bucket{Scope: ScopeKey, Key: apiKey, Limit: l.limits.PerKey})
	}
	if l.limits.PerTenant > 0 {
		buckets = append(buckets, Bucket{Scope: ScopeTenant, Key: tenant, Limit: l.limits.PerTenant})
	}
	if l.limits.PerNode > 0 {
		buckets = append(buckets, Bucket{Scope: ScopeNode, Key: node, Limit: l.limits.PerNode})
	}
	if len(buckets) == 0 {
		return Decision{Allowed: true, Remaining: -1}, nil
	}
	res, err := l.counter.Take(ctx, l.now(), l.limits.Window, buckets)
	if err != nil {
		return Decision{}, fmt.Errorf("counting an API call: %w", err)
	}
	d := Decision{Allowed: res.OK, Limit: l.limits.PerKey, Remaining: -1}
	if keyIndex >= 0 && keyIndex < len(res.Used) {
		d.Remaining = max(l.limits.PerKey-res.Used[keyIndex], 0)
	}
	if !res.OK {
		d.RetryAfter = res.RetryAfter
		d.Scope = res.Exhausted
		d.Limit = l.limitOf(res.Exhausted)
	}
	return d, nil
}

// limitOf returns the configured limit of scope.
func (l *Limiter) limitOf(scope Scope) int {
	switch scope {
	case ScopeKey:
		return l.limits.PerKey
	case ScopeTenant:
		return l.limits.PerTenant
	case ScopeNode:
		return l.limits.PerNode
	}
	return 0
}
