// Package poll is the loop the SDK's pollers share (an agent's isolation
// settling, a migration finishing): check, and if not done, wait an
// interval with an injectable sleeper, until done, an error, or the end of
// the context. It imports only the standard library.
package poll

import (
	"context"
	"errors"
	"time"
)

// DefaultInterval is the wait between two checks when none is given.
const DefaultInterval = 2 * time.Second

// Until calls check, then waits interval with sleep, again and again, until
// check reports done or fails, or ctx ends. It returns check's error, or
// ctx's error when ctx ended first (a check cut short by the context
// returns an error that wraps ctx's). A zero or negative interval means
// DefaultInterval.
func Until(ctx context.Context, interval time.Duration, sleep func(context.Context, time.Duration) error,
	check func(ctx context.Context) (done bool, err error)) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if sleep == nil {
		return errors.New("poll: nil sleep")
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if err := sleep(ctx, interval); err != nil {
			return err
		}
	}
}
