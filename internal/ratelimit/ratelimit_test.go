package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time source, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// call is one Allow of a scenario.
type call struct {
	advance           time.Duration // before the calls
	key, tenant, node string
	n                 int // how many calls; 1 when zero
	wantAllowed       int
	want              *Decision // the last call's decision, when checked
}

func TestLimiter(t *testing.T) {
	perKey := Limits{Window: time.Minute, PerKey: 500}
	tests := []struct {
		name   string
		limits Limits
		calls  []call
	}{
		{
			name:   "exactly at limit",
			limits: perKey,
			calls: []call{
				{key: "key:1", n: 499, wantAllowed: 499},
				{key: "key:1", wantAllowed: 1, want: &Decision{Allowed: true, Limit: 500, Remaining: 0}},
			},
		},
		{
			name:   "501st refused until the oldest call leaves",
			limits: perKey,
			calls: []call{
				{key: "key:1", wantAllowed: 1, want: &Decision{Allowed: true, Limit: 500, Remaining: 499}},
				{advance: 20 * time.Second, key: "key:1", n: 499, wantAllowed: 499},
				{advance: 15 * time.Second, key: "key:1", want: &Decision{RetryAfter: 25 * time.Second, Scope: ScopeKey, Limit: 500}},
				{advance: 24 * time.Second, key: "key:1", want: &Decision{RetryAfter: time.Second, Scope: ScopeKey, Limit: 500}},
				{advance: time.Second, key: "key:1", n: 2, wantAllowed: 1, want: &Decision{RetryAfter: 20 * time.Second, Scope: ScopeKey, Limit: 500}},
				{advance: 20 * time.Second, key: "key:1", n: 500, wantAllowed: 499},
			},
		},
		{
			name:   "rejected calls not counted",
			limits: perKey,
			calls: []call{
				{key: "key:1", wantAllowed: 1},
				{advance: 30 * time.Second, key: "key:1", n: 499, wantAllowed: 499},
				{advance: time.Second, key: "key:1", n: 1000, wantAllowed: 0},
				{advance: 28 * time.Second, key: "key:1", n: 1000, wantAllowed: 0},
				// The first call leaves at t0+60s: exactly one slot, after
				// 2000 refusals that took none.
				{advance: time.Second, key: "key:1", n: 1000, wantAllowed: 1, want: &Decision{RetryAfter: 30 * time.Second, Scope: ScopeKey, Limit: 500}},
			},
		},
		{
			name:   "tenant limit trips before the key limit",
			limits: Limits{PerKey: 500, PerTenant: 600},
			calls: []call{
				{key: "key:1", tenant: "t1", n: 400, wantAllowed: 400},
				{advance: 10 * time.Second, key: "key:2", tenant: "t1", n: 200, wantAllowed: 200},
				{key: "key:1", tenant: "t1", want: &Decision{RetryAfter: 50 * time.Second, Scope: ScopeTenant, Limit: 600, Remaining: 100}},
				// The refused call did not count for key:1: 100 left in another tenant.
				{key: "key:1", tenant: "t2", n: 101, wantAllowed: 100},
			},
		},
		{
			name:   "node limit trips before the key and tenant limits",
			limits: Limits{PerKey: 500, PerTenant: 2000, PerNode: 700},
			calls: []call{
				{key: "key:1", tenant: "t1", node: "n1", n: 400, wantAllowed: 400},
				{key: "key:2", tenant: "t2", node: "n1", n: 300, wantAllowed: 300},
				{advance: 5 * time.Second, key: "key:1", tenant: "t1", node: "n1", want: &Decision{RetryAfter: 55 * time.Second, Scope: ScopeNode, Limit: 700, Remaining: 100}},
				{key: "key:1", tenant: "t1", node: "n2", n: 101, wantAllowed: 100},
			},
		},
		{
			name:   "disabled",
			limits: Limits{PerKey: 1, PerTenant: 1, PerNode: 1, Disabled: true},
			calls: []call{
				{key: "key:1", n: 1000, wantAllowed: 1000, want: &Decision{Allowed: true, Remaining: -1}},
			},
		},
		{
			name:   "all limits zero",
			limits: Limits{},
			calls: []call{
				{key: "key:1", n: 1000, wantAllowed: 1000, want: &Decision{Allowed: true, Remaining: -1}},
			},
		},
		{
			name:   "zero key limit leaves the tenant limit",
			limits: Limits{PerTenant: 3},
			calls: []call{
				{key: "key:1", tenant: "t", n: 2, wantAllowed: 2, want: &Decision{Allowed: true, Remaining: -1}},
				{key: "key:2", tenant: "t", n: 2, wantAllowed: 1, want: &Decision{RetryAfter: 60 * time.Second, Scope: ScopeTenant, Limit: 3, Remaining: -1}},
			},
		},
		{
			name:   "independent keys",
			limits: Limits{PerKey: 3},
			calls: []call{
				{key: "key:1", n: 5, wantAllowed: 3},
				{key: "key:2", n: 5, wantAllowed: 3},
				{key: "key:3", n: 1, wantAllowed: 1, want: &Decision{Allowed: true, Limit: 3, Remaining: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			l := New(tt.limits, NewMemory(), clk.Now)
			for i, c := range tt.calls {
				clk.Advance(c.advance)
				n := max(c.n, 1)
				allowed := 0
				var last Decision
				for range n {
					d, err := l.Allow(context.Background(), c.key, c.tenant, c.node)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					if d.Allowed {
						allowed++
					}
					last = d
				}
				if allowed != c.wantAllowed {
					t.Errorf("step %d: allowed %d of %d, want %d", i, allowed, n, c.wantAllowed)
				}
				if c.want != nil && last != *c.want {
					t.Errorf("step %d: last decision %+v, want %+v", i, last, *c.want)
				}
			}
		})
	}
}

func TestLimiterConcurrent(t *testing.T) {
	clk := newClock()
	l := New(Limits{PerKey: 500, PerTenant: 5000, PerNode: 5000}, NewMemory(), clk.Now)
	const goroutines, calls = 16, 100
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range calls {
				d, err := l.Allow(context.Background(), "key:8", "t", "n")
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
				clk.Advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := allowed.Load(); got != 500 {
		t.Errorf("allowed %d of %d, want exactly 500", got, goroutines*calls)
	}
}

func TestDefaults(t *testing.T) {
	want := Limits{Window: 60 * time.Second, PerKey: 500, PerTenant: 2000, PerNode: 10000}
	if got := DefaultLimits(); got != want {
		t.Errorf("DefaultLimits() = %+v, want %+v", got, want)
	}
	l := New(Limits{PerKey: 1}, nil, nil)
	if got := l.Limits().Window; got != DefaultWindow {
		t.Errorf("zero Window became %v, want %v", got, DefaultWindow)
	}
	if d, err := l.Allow(context.Background(), "k", "t", "n"); err != nil || !d.Allowed {
		t.Errorf("nil counter and clock: %+v, %v", d, err)
	}
}

// failingCounter is a Counter whose store is down.
type failingCounter struct{ err error }

func (f failingCounter) Take(context.Context, time.Time, time.Duration, []Bucket) (TakeResult, error) {
	return TakeResult{}, f.err
}

func TestLimiterCounterError(t *testing.T) {
	down := errors.New("store down")
	l := New(DefaultLimits(), failingCounter{down}, newClock().Now)
	d, err := l.Allow(context.Background(), "k", "t", "n")
	if !errors.Is(err, down) {
		t.Fatalf("err = %v, want it to wrap %v", err, down)
	}
	if d.Allowed {
		t.Error("decision allowed alongside an error")
	}
}

func ExampleLimiter_Allow() {
	now := time.Unix(1_700_000_000, 0)
	l := New(Limits{PerKey: 2}, NewMemory(), func() time.Time { return now })
	for range 3 {
		d, _ := l.Allow(context.Background(), "key:8", "tenant:1", "node:a")
		fmt.Println(d.Allowed, d.Remaining, d.RetryAfter)
	}
	// Output:
	// true 1 0s
	// true 0 0s
	// false 0 1m0s
}
