package appliances

import (
	"context"
	"log/slog"
	"time"
)

// Runner advances migrations in the background, and writes the
// appliances' check-ins noted since its last tick. Several runners (one per
// replica) may share a store: leases and the step compare-and-swap make
// each step happen once.
type Runner struct {
	Service  *Service
	Owner    string        // this runner's name in leases
	Every    time.Duration // how often it looks for due steps
	LeaseFor time.Duration
	Log      *slog.Logger
}

// Run ticks until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		if err := r.Service.FlushCheckIns(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("appliance check-ins", "err", err)
		}
		if _, err := r.Service.Tick(ctx, r.Owner, r.LeaseFor); err != nil && ctx.Err() == nil {
			r.Log.Error("migration runner", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
