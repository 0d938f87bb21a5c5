// Command seed002-restore-agent does the tutorial "Restore the Network
// Connection of an Isolated Security Agent" (seed 002) through the SDK: it
// takes the first Security Agent listed and restores its network
// connection. With -isolate it isolates it instead (so that there is
// something to restore), and with -wait it follows the isolation_status
// until the agent has carried the command out.
//
//	go run ./examples/seed002-restore-agent -credentials rampart-data/credentials.json -isolate -wait
//	go run ./examples/seed002-restore-agent -credentials rampart-data/credentials.json -wait
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/examples/internal/exampleconfig"
)

type params struct {
	host     string
	isolate  bool
	wait     bool
	interval time.Duration
	timeout  time.Duration
}

func main() {
	fs := flag.NewFlagSet("seed002-restore-agent", flag.ExitOnError)
	cfg := exampleconfig.Register(fs)
	var p params
	fs.StringVar(&p.host, "host", "", "host name of the agent (default: the first listed, as the tutorial)")
	fs.BoolVar(&p.isolate, "isolate", false, "isolate the agent instead of restoring it")
	fs.BoolVar(&p.wait, "wait", false, "wait until the agent has carried the command out")
	fs.DurationVar(&p.interval, "interval", 2*time.Second, "poll interval for -wait")
	fs.DurationVar(&p.timeout, "timeout", 5*time.Minute, "longest wait for -wait")
	_ = fs.Parse(os.Args[1:])
	exampleconfig.Main(cfg, func(ctx context.Context) error { return run(ctx, cfg, p, os.Stdout) })
}

func run(ctx context.Context, cfg *exampleconfig.Config, p params, out io.Writer) error {
	c, err := cfg.Apex()
	if err != nil {
		return err
	}
	action, capability, want := apexcentral.ActRestore, apexcentral.CapRestore, apexcentral.StatusNormal
	if p.isolate {
		action, capability, want = apexcentral.ActIsolate, apexcentral.CapIsolate, apexcentral.StatusIsolated
	}
	if p.host == "" {
		agents, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
		if err != nil {
			return fmt.Errorf("listing security agents: %w", err)
		}
		if len(agents) == 0 {
			return errors.New("no security agent is listed")
		}
		p.host = agents[0].HostName
		if !agents[0].Can(capability) {
			fmt.Fprintf(out, "note: %s does not list %s\n", p.host, capability)
		}
	}
	fmt.Fprintln(out, "host name:", p.host)

	acted, err := c.Act(ctx, apexcentral.ActionRequest{Action: action, Target: apexcentral.AgentTarget{HostName: p.host}, AllowMultipleMatch: true})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", action, p.host, err)
	}
	if err := exampleconfig.PrintJSON(out, acted); err != nil {
		return err
	}
	if len(acted) == 0 {
		fmt.Fprintln(out, "The request succeeded, but the agent cannot take this action through the API.")
		return nil
	}
	if !p.wait {
		return nil
	}
	ids := make([]string, len(acted))
	for i, a := range acted {
		ids[i] = a.EntityID
	}
	wctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	last := map[string]apexcentral.IsolationStatus{}
	settled, err := c.WaitAllSettled(wctx, ids, apexcentral.WaitOptions{Interval: p.interval, Want: want,
		Progress: func(a apexcentral.Agent) {
			if last[a.EntityID] != a.IsolationStatus {
				last[a.EntityID] = a.IsolationStatus
				fmt.Fprintf(out, "%s: %s\n", a.HostName, a.IsolationStatus)
			}
		}})
	if err != nil {
		return err
	}
	for _, a := range settled {
		fmt.Fprintf(out, "%s settled: isolation_status %s\n", a.HostName, a.IsolationStatus)
	}
	return nil
}
