// Package exampletest runs the examples against a real in-process Rampart
// server (internal/server/servertest) in their tests: it builds the
// examples' Config for the server and supplies sleepers that play the
// agents' and the migration runner's part instead of waiting.
//
// It imports the examples' config, the SDK and servertest.
package exampletest

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/examples/internal/exampleconfig"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// Config is the examples' configuration for env's server, signing with
// its clock.
func Config(env *servertest.Env) *exampleconfig.Config {
	return &exampleconfig.Config{URL: env.URL, AppID: env.AppID, APIKey: env.APIKey, SecretKey: env.APISecret,
		User: env.AdminUser, Password: env.AdminPassword, Options: transport.Options{Now: env.Clock.Now}}
}

// AgentsSleeper returns a sleeper that, instead of waiting, lets agents
// ids check in and report their commands done, as virtual agents do.
func AgentsSleeper(t *testing.T, env *servertest.Env, ids ...string) func(context.Context, time.Duration) error {
	return func(ctx context.Context, _ time.Duration) error {
		agent := env.Agent()
		for _, id := range ids {
			cmds, err := agent.CheckIn(ctx, agentproto.CheckInRequest{AgentID: id})
			if err != nil {
				t.Errorf("check-in of %s: %v", id, err)
				continue
			}
			var res []agentproto.Result
			for _, c := range cmds {
				res = append(res, agentproto.Result{CommandID: c.ID, OK: true})
			}
			if len(res) > 0 {
				if err := agent.Report(ctx, agentproto.ResultsRequest{AgentID: id, Results: res}); err != nil {
					t.Errorf("report of %s: %v", id, err)
				}
			}
		}
		return ctx.Err()
	}
}

// MigrationSleeper returns a sleeper that, instead of waiting, moves the
// server's clock one migration step on and runs the migration runner once.
func MigrationSleeper(t *testing.T, env *servertest.Env) func(context.Context, time.Duration) error {
	return func(ctx context.Context, _ time.Duration) error {
		step := env.Server.Appliances.StepTime()
		env.Clock.Advance(step)
		if _, err := env.Server.Appliances.Tick(ctx, "example-test-runner", step); err != nil {
			t.Errorf("tick: %v", err)
		}
		return ctx.Err()
	}
}
