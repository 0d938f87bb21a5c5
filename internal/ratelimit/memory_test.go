package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMemoryCounter(t *testing.T) {
	RunCounterTests(t, func() Counter { return NewMemory() })
}

func TestMemoryPrunesExpiredKeys(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	const keys, perSecond, window = 100_000, 500, 60 * time.Second
	maxLen := 0
	now := t0
	for i := range keys {
		now = t0.Add(time.Duration(i) * time.Second / perSecond)
		res, err := m.Take(ctx, now, window, []Bucket{
			{Scope: ScopeKey, Key: fmt.Sprintf("key:%d", i), Limit: 500},
			{Scope: ScopeTenant, Key: "t", Limit: 1 << 30},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("call %d refused", i)
		}
		maxLen = max(maxLen, m.Len())
	}
	// At most window*perSecond keys are live at once (plus the tenant); the
	// lazy sweep lets the map reach twice that, never all 100k.
	live := int(window/time.Second)*perSecond + perSecond + 1
	if maxLen > 2*live {
		t.Errorf("map grew to %d entries, want at most %d", maxLen, 2*live)
	}
	if maxLen >= keys {
		t.Errorf("map grew to %d entries: nothing was pruned", maxLen)
	}
	// After the window passes, one call sweeps everything else away.
	if _, err := m.Take(ctx, now.Add(window+time.Second), window, []Bucket{{Scope: ScopeKey, Key: "late", Limit: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Len(); got != 1 {
		t.Errorf("after the window passed: %d entries, want 1", got)
	}
}

func TestMemoryBucketsPerEntryBounded(t *testing.T) {
	m := NewMemory()
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	b := []Bucket{{Scope: ScopeKey, Key: "a", Limit: 1 << 30}}
	// One call every 300ms for ten minutes.
	for i := range 2000 {
		if _, err := m.Take(ctx, t0.Add(time.Duration(i)*300*time.Millisecond), 60*time.Second, b); err != nil {
			t.Fatal(err)
		}
		if n := len(m.entries[entryKey{ScopeKey, "a"}].buckets); n > 61 {
			t.Fatalf("call %d: %d buckets, want at most 61", i, n)
		}
	}
}

func TestMemoryFull(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	const window = 60 * time.Second
	tests := []struct {
		name    string
		advance time.Duration // time between the fill and the next call
		wantErr error
	}{
		{"full of live keys", time.Second, ErrFull},
		{"full of expired keys", window, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory()
			m.maxEntries = 10
			for i := range 10 {
				if _, err := m.Take(ctx, t0, window, []Bucket{{Scope: ScopeKey, Key: fmt.Sprint(i), Limit: 5}}); err != nil {
					t.Fatalf("key %d: %v", i, err)
				}
			}
			now := t0.Add(tt.advance)
			_, err := m.Take(ctx, now, window, []Bucket{{Scope: ScopeKey, Key: "new", Limit: 5}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("new key: err = %v, want %v", err, tt.wantErr)
			}
			// A known key keeps counting even when the map is full.
			if _, err := m.Take(ctx, now, window, []Bucket{{Scope: ScopeKey, Key: "0", Limit: 5}}); err != nil {
				t.Errorf("known key: %v", err)
			}
		})
	}
}
