// Command seed004-appliance-migration does the tutorial "Upgrading a
// virtual appliance with the API" (seed 004) through the SDK: it lists the
// appliances' ID and instanceId, asks which versions an appliance can move
// to, starts an upgrade (or a rollback when no upgrade is offered) and
// follows its progress until it finishes. It exits 1 when the migration
// fails.
//
//	go run ./examples/seed004-appliance-migration -credentials rampart-data/credentials.json -appliance 8
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/examples/internal/exampleconfig"
)

type params struct {
	appliance int64
	action    string
	noWait    bool
	interval  time.Duration
	timeout   time.Duration
}

func main() {
	fs := flag.NewFlagSet("seed004-appliance-migration", flag.ExitOnError)
	cfg := exampleconfig.Register(fs)
	var p params
	fs.Int64Var(&p.appliance, "appliance", 8, "ID of the appliance to migrate")
	fs.StringVar(&p.action, "action", "auto", "upgrade, rollback, or auto (upgrade when offered, else rollback)")
	fs.BoolVar(&p.noWait, "no-wait", false, "start the migration and return")
	fs.DurationVar(&p.interval, "interval", 2*time.Second, "poll interval")
	fs.DurationVar(&p.timeout, "timeout", 30*time.Minute, "longest wait")
	_ = fs.Parse(os.Args[1:])
	exampleconfig.Main(cfg, func(ctx context.Context) error { return run(ctx, cfg, p, os.Stdout) })
}

func run(ctx context.Context, cfg *exampleconfig.Config, p params, out io.Writer) error {
	c, err := cfg.Netsec()
	if err != nil {
		return err
	}
	// Identify the appliance IDs (following every page, which the
	// tutorial's jq does not).
	for a, err := range c.Appliances(ctx, netsec.ListOptions{}) {
		if err != nil {
			return fmt.Errorf("listing appliances: %w", err)
		}
		if err := exampleconfig.PrintJSON(out, map[string]any{"ID": a.ID, "instanceId": a.InstanceID}); err != nil {
			return err
		}
	}

	// Query the status.
	v, err := c.MigrationVersions(ctx, p.appliance)
	if err != nil {
		return fmt.Errorf("reading the versions of appliance %d: %w", p.appliance, err)
	}
	if err := exampleconfig.PrintJSON(out, v); err != nil {
		return err
	}
	action := netsec.MigrationAction(p.action)
	if p.action == "auto" {
		switch {
		case v.Upgrade != nil:
			action = netsec.Upgrade
		case v.Rollback != nil:
			action = netsec.Rollback
		default:
			return fmt.Errorf("appliance %d has neither an upgrade nor a rollback to move to", p.appliance)
		}
	}
	if v.Permission != "write" {
		return errors.New("the API key may only read (permission " + v.Permission + ")")
	}

	// Start the upgrade or rollback.
	if err := c.StartMigration(ctx, action, p.appliance); err != nil {
		return fmt.Errorf("starting the %s: %w", action, err)
	}
	fmt.Fprintf(out, "%s of appliance %d started\n", action, p.appliance)
	if p.noWait {
		return nil
	}

	// Check its progress.
	wctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var last netsec.MigrationStatus
	final, err := c.WaitMigration(wctx, p.appliance, netsec.WaitOptions{Interval: p.interval, Progress: func(s netsec.MigrationStatus) {
		if s != last {
			last = s
			_ = exampleconfig.PrintJSON(out, map[string]any{"statuses": []netsec.MigrationStatus{s}})
		}
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s of appliance %d: %s (%s)\n", final.Action, final.ApplianceID, final.Result, final.Message)
	return nil
}
