package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RunCounterTests is the conformance suite of the Counter contract: every
// Counter, the in-memory one and any store-backed one, passes it. It calls
// newCounter once per subtest for a fresh, empty Counter, and passes every
// time explicitly, so it never sleeps.
func RunCounterTests(t *testing.T, newCounter func() Counter) {
	t.Helper()
	// t0 is a whole second, so the boundary rounding is visible only where a
	// test asks for it.
	t0 := time.Unix(1_700_000_000, 0).UTC()
	const window = 60 * time.Second
	ctx := context.Background()
	key := func(name string, limit int) []Bucket {
		return []Bucket{{Scope: ScopeKey, Key: name, Limit: limit}}
	}
	take := func(t *testing.T, c Counter, now time.Time, buckets []Bucket) TakeResult {
		t.Helper()
		res, err := c.Take(ctx, now, window, buckets)
		if err != nil {
			t.Fatalf("Take at %v: %v", now.Sub(t0), err)
		}
		return res
	}
	takeN := func(t *testing.T, c Counter, now time.Time, buckets []Bucket, n int) (allowed int) {
		t.Helper()
		for range n {
			if take(t, c, now, buckets).OK {
				allowed++
			}
		}
		return allowed
	}

	t.Run("exactly at limit", func(t *testing.T) {
		c := newCounter()
		for i := 1; i <= 500; i++ {
			res := take(t, c, t0.Add(time.Duration(i)*50*time.Millisecond), key("a", 500))
			if !res.OK {
				t.Fatalf("call %d refused", i)
			}
			if res.Used[0] != i {
				t.Fatalf("call %d: Used = %d, want %d", i, res.Used[0], i)
			}
		}
	})

	t.Run("over limit refused with retry after", func(t *testing.T) {
		tests := []struct {
			name      string
			first     time.Duration // time of the first call after t0
			rest      time.Duration // time of the other 499
			at        time.Duration // time of the 501st
			wantRetry time.Duration
		}{
			{"whole seconds", 0, 10 * time.Second, 30 * time.Second, 30 * time.Second},
			{"all at once", 0, 0, 0, 60 * time.Second},
			{"just before it leaves", 0, 10 * time.Second, 59*time.Second + 999*time.Millisecond, time.Second},
			// The first call counts from the end of its second, t0+1s, so it
			// leaves at t0+61s: 30.5s later, rounded up.
			{"fractional first call", 250 * time.Millisecond, 10 * time.Second, 30*time.Second + 500*time.Millisecond, 31 * time.Second},
			{"fractional now", 0, 0, 100 * time.Millisecond, 60 * time.Second},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newCounter()
				if !take(t, c, t0.Add(tt.first), key("a", 500)).OK {
					t.Fatal("first call refused")
				}
				if got := takeN(t, c, t0.Add(tt.rest), key("a", 500), 499); got != 499 {
					t.Fatalf("allowed %d of calls 2..500, want 499", got)
				}
				res := take(t, c, t0.Add(tt.at), key("a", 500))
				if res.OK {
					t.Fatal("501st call allowed")
				}
				if res.Exhausted != ScopeKey {
					t.Errorf("Exhausted = %q, want %q", res.Exhausted, ScopeKey)
				}
				if res.RetryAfter != tt.wantRetry {
					t.Errorf("RetryAfter = %v, want %v", res.RetryAfter, tt.wantRetry)
				}
				if res.Used[0] != 500 {
					t.Errorf("Used = %d, want 500", res.Used[0])
				}
			})
		}
	})

	t.Run("window slides", func(t *testing.T) {
		c := newCounter()
		// 100 calls at t0, 400 at t0+10s: full until t0+60s.
		takeN(t, c, t0, key("a", 500), 100)
		takeN(t, c, t0.Add(10*time.Second), key("a", 500), 400)
		steps := []struct {
			at          time.Duration
			calls, want int
			wantRetry   time.Duration // of the first refusal, if any
		}{
			{59 * time.Second, 1, 0, time.Second},
			{60 * time.Second, 101, 100, 10 * time.Second}, // the t0 calls left
			{69 * time.Second, 1, 0, time.Second},
			{70 * time.Second, 500, 400, 50 * time.Second}, // the t0+10s calls left
			{130 * time.Second, 600, 500, 60 * time.Second},
		}
		for _, s := range steps {
			allowed, refusedRetry := 0, time.Duration(-1)
			for range s.calls {
				res := take(t, c, t0.Add(s.at), key("a", 500))
				if res.OK {
					allowed++
				} else if refusedRetry < 0 {
					refusedRetry = res.RetryAfter
				}
			}
			if allowed != s.want {
				t.Errorf("at +%v: allowed %d of %d, want %d", s.at, allowed, s.calls, s.want)
			}
			if refusedRetry != s.wantRetry {
				t.Errorf("at +%v: RetryAfter = %v, want %v", s.at, refusedRetry, s.wantRetry)
			}
		}
	})

	t.Run("rejected calls not counted", func(t *testing.T) {
		c := newCounter()
		takeN(t, c, t0, key("a", 500), 1)
		takeN(t, c, t0.Add(30*time.Second), key("a", 500), 499)
		// 1000 refused calls spread over the rest of the window.
		for i := range 1000 {
			at := t0.Add(30*time.Second + time.Duration(i)*29*time.Millisecond)
			if take(t, c, at, key("a", 500)).OK {
				t.Fatalf("hammer call %d allowed", i)
			}
		}
		// The first call leaves at t0+60s: exactly one slot, whatever was refused.
		if got := takeN(t, c, t0.Add(60*time.Second), key("a", 500), 10); got != 1 {
			t.Errorf("allowed %d after one slot freed, want 1", got)
		}
	})

	t.Run("all or nothing across buckets", func(t *testing.T) {
		tests := []struct {
			name          string
			full          int // index of the bucket that is full
			wantExhausted Scope
		}{
			{"key full", 0, ScopeKey},
			{"tenant full", 1, ScopeTenant},
			{"node full", 2, ScopeNode},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newCounter()
				buckets := []Bucket{
					{Scope: ScopeKey, Key: "k1", Limit: 10},
					{Scope: ScopeTenant, Key: "t1", Limit: 10},
					{Scope: ScopeNode, Key: "n1", Limit: 10},
				}
				// Fill only the bucket under test, with calls of its own.
				filler := []Bucket{buckets[tt.full]}
				if got := takeN(t, c, t0, filler, 10); got != 10 {
					t.Fatalf("filler allowed %d, want 10", got)
				}
				res := take(t, c, t0.Add(time.Second), buckets)
				if res.OK {
					t.Fatal("call allowed with a full bucket")
				}
				if res.Exhausted != tt.wantExhausted {
					t.Errorf("Exhausted = %q, want %q", res.Exhausted, tt.wantExhausted)
				}
				if res.RetryAfter != 59*time.Second {
					t.Errorf("RetryAfter = %v, want 59s", res.RetryAfter)
				}
				for i, b := range buckets {
					want := 0
					if i == tt.full {
						want = 10
					}
					if res.Used[i] != want {
						t.Errorf("Used[%s] = %d, want %d", b.Scope, res.Used[i], want)
					}
				}
				// The refused call counted in none of the other buckets: each
				// still takes its full limit alone.
				for i, b := range buckets {
					if i == tt.full {
						continue
					}
					if got := takeN(t, c, t0.Add(2*time.Second), []Bucket{b}, 11); got != 10 {
						t.Errorf("%s bucket allowed %d alone, want 10", b.Scope, got)
					}
				}
			})
		}
	})

	t.Run("first exhausted scope reported", func(t *testing.T) {
		c := newCounter()
		tenant := Bucket{Scope: ScopeTenant, Key: "t", Limit: 1}
		node := Bucket{Scope: ScopeNode, Key: "n", Limit: 1}
		take(t, c, t0, []Bucket{node})
		take(t, c, t0.Add(20*time.Second), []Bucket{tenant})
		res := take(t, c, t0.Add(30*time.Second), []Bucket{tenant, node})
		if res.OK || res.Exhausted != ScopeTenant || res.RetryAfter != 50*time.Second {
			t.Errorf("got OK=%v Exhausted=%q RetryAfter=%v, want false tenant 50s", res.OK, res.Exhausted, res.RetryAfter)
		}
	})

	t.Run("independent keys and scopes", func(t *testing.T) {
		c := newCounter()
		for _, b := range []Bucket{
			{Scope: ScopeKey, Key: "a", Limit: 3},
			{Scope: ScopeKey, Key: "b", Limit: 3},
			{Scope: ScopeTenant, Key: "a", Limit: 3}, // same name, other scope
			{Scope: ScopeNode, Key: "a", Limit: 3},
			{Scope: ScopeKey, Key: "", Limit: 3},
		} {
			if got := takeN(t, c, t0, []Bucket{b}, 5); got != 3 {
				t.Errorf("%s %q: allowed %d, want 3", b.Scope, b.Key, got)
			}
		}
	})

	t.Run("zero limit is unlimited and uncounted", func(t *testing.T) {
		c := newCounter()
		buckets := []Bucket{{Scope: ScopeKey, Key: "a", Limit: 0}, {Scope: ScopeTenant, Key: "t", Limit: 5}}
		if got := takeN(t, c, t0, buckets, 8); got != 5 {
			t.Errorf("allowed %d, want 5 (the tenant limit)", got)
		}
		if got := takeN(t, c, t0, []Bucket{{Scope: ScopeKey, Key: "a", Limit: 2}}, 3); got != 2 {
			t.Errorf("key bucket later limited to 2 allowed %d, want 2: unlimited calls were counted", got)
		}
		if res := take(t, c, t0, nil); !res.OK {
			t.Error("no buckets: refused")
		}
	})

	t.Run("concurrent takes", func(t *testing.T) {
		c := newCounter()
		const goroutines, calls, limit = 16, 100, 500
		var allowed atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range calls {
					now := t0.Add(time.Duration(g*calls+i) * time.Millisecond)
					res, err := c.Take(ctx, now, window, []Bucket{
						{Scope: ScopeKey, Key: fmt.Sprintf("k%d", g%4), Limit: limit},
						{Scope: ScopeTenant, Key: "t", Limit: limit},
					})
					if err != nil {
						errs <- err
						return
					}
					if res.OK {
						allowed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := allowed.Load(); got != limit {
			t.Errorf("allowed %d of %d, want exactly %d", got, goroutines*calls, limit)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		c := newCounter()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := c.Take(cctx, t0, window, key("a", 1)); err == nil {
			t.Error("Take with a canceled context: no error")
		}
	})
}
