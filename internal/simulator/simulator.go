// Package simulator runs virtual agents: each one checks in with Rampart
// over the agent protocol (agentproto), carries out its commands and
// reports the results, exactly as a real agent would. `serve --demo` runs
// one per demo agent so that pending states settle on their own; the same
// code is the load generator for benchmarks.
//
// It imports agentproto only; it knows nothing of the server's insides.
package simulator

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
)

// Agent is one virtual agent's identity and local state.
type Agent struct {
	ID       string
	ServerID string
}

// Fleet runs a set of virtual agents.
type Fleet struct {
	Client   *agentproto.Client
	Interval time.Duration // time between an agent's check-ins
	Log      *slog.Logger
	// Fail, when set, decides whether a command fails and with what
	// message; nil means every command succeeds.
	Fail func(agentID string, cmd agentproto.Command) (bool, string)
}

// Run starts one loop per agent and returns when ctx ends.
func (f *Fleet) Run(ctx context.Context, agents []Agent) {
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.run(ctx, a)
		}()
	}
	wg.Wait()
}

func (f *Fleet) run(ctx context.Context, a Agent) {
	// Spread the first check-ins over one interval so that a large fleet
	// does not arrive all at once.
	wait := time.Duration(rand.Int64N(int64(f.Interval)/2 + 1))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = f.Interval
		gone, err := f.checkIn(ctx, &a)
		if gone {
			f.Log.Info("virtual agent left the fleet", "agent", a.ID)
			return
		}
		if err != nil && ctx.Err() == nil {
			f.Log.Warn("virtual agent check-in failed", "agent", a.ID, "err", err)
		}
	}
}

// checkIn does one round: fetch commands, carry them out, report. It
// reports gone when the agent was uninstalled.
func (f *Fleet) checkIn(ctx context.Context, a *Agent) (gone bool, err error) {
	cmds, err := f.Client.CheckIn(ctx, agentproto.CheckInRequest{AgentID: a.ID, ServerID: a.ServerID})
	if errors.Is(err, agentproto.ErrUnknownAgent) {
		return true, nil
	}
	if err != nil || len(cmds) == 0 {
		return false, err
	}
	results := make([]agentproto.Result, 0, len(cmds))
	uninstalled := false
	for _, c := range cmds {
		res := agentproto.Result{CommandID: c.ID, OK: true, Message: "done"}
		if f.Fail != nil {
			if fail, msg := f.Fail(a.ID, c); fail {
				res.OK, res.Message = false, msg
			}
		}
		if res.OK {
			switch c.Kind {
			case "relocate":
				a.ServerID = c.Params["server_id"]
			case "uninstall":
				uninstalled = true
			}
		}
		results = append(results, res)
	}
	if err := f.Client.Report(ctx, agentproto.ResultsRequest{AgentID: a.ID, Results: results}); err != nil {
		return false, err
	}
	return uninstalled, nil
}
