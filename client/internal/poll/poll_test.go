package poll_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/internal/poll"
)

func TestUntil(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	cases := []struct {
		name     string
		interval time.Duration
		doneAt   int   // the check that reports done (0: never)
		failAt   int   // the check that fails (0: never)
		cancelAt int   // the sleep that cancels the context (0: never)
		want     error // nil, boom or context.Canceled
		checks   int
		waits    []time.Duration
	}{
		{"done at once", time.Second, 1, 0, 0, nil, 1, nil},
		{"done at the third check", time.Second, 3, 0, 0, nil, 3, []time.Duration{time.Second, time.Second}},
		{"default interval", 0, 2, 0, 0, nil, 2, []time.Duration{poll.DefaultInterval}},
		{"check fails", time.Second, 0, 2, 0, boom, 2, []time.Duration{time.Second}},
		{"context ends while waiting", time.Second, 0, 0, 2, context.Canceled, 2, []time.Duration{time.Second, time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waits []time.Duration
			sleep := func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				if len(waits) == tc.cancelAt {
					cancel()
				}
				return ctx.Err()
			}
			checks := 0
			err := poll.Until(ctx, tc.interval, sleep, func(context.Context) (bool, error) {
				checks++
				if checks == tc.failAt {
					return false, boom
				}
				return checks == tc.doneAt, nil
			})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if checks != tc.checks || len(waits) != len(tc.waits) {
				t.Fatalf("%d checks and waits %v, want %d and %v", checks, waits, tc.checks, tc.waits)
			}
			for i := range waits {
				if waits[i] != tc.waits[i] {
					t.Errorf("wait %d = %v, want %v", i, waits[i], tc.waits[i])
				}
			}
		})
	}
}
