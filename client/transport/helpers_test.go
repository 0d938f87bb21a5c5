package transport_test

import (
	"context"
	"sync"
	"time"
)

// sleeper records the waits asked of it and returns at once, so that tests
// check the back-off without waiting for it.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// fixedNow is the clock of the tests.
var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func half() float64 { return 0.5 }
