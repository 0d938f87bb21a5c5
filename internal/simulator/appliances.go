package simulator

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
)

// ApplianceFleet runs virtual appliances: each checks in every Interval,
// and when its migration awaits a step that happens on the appliance
// (installing the package, restarting, rolling the software back), it
// carries the step out and reports it.
type ApplianceFleet struct {
	Client   *agentproto.Client
	Interval time.Duration
	Log      *slog.Logger
}

// Run starts one loop per appliance and returns when ctx ends.
func (f *ApplianceFleet) Run(ctx context.Context, ids []int64) {
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.run(ctx, id)
		}()
	}
	wg.Wait()
}

func (f *ApplianceFleet) run(ctx context.Context, id int64) {
	wait := time.Duration(rand.Int64N(int64(f.Interval)/2 + 1))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = f.Interval
		if err := f.round(ctx, id); err != nil && ctx.Err() == nil {
			f.Log.Warn("virtual appliance check-in failed", "appliance", id, "err", err)
		}
	}
}

func (f *ApplianceFleet) round(ctx context.Context, id int64) error {
	m, err := f.Client.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: id})
	if err != nil || m == nil || !m.Awaiting {
		return err
	}
	return f.Client.ApplianceReport(ctx, agentproto.ApplianceReportRequest{
		ApplianceID: id, MigrationID: m.ID, Step: m.Step, OK: true, Message: m.Message + ": done",
	})
}
