// Command seed001-relocate-agent does the tutorial "Relocate a Security
// Agent to Another Managed Server" (seed 001) through the SDK: it takes the
// first managed server as the new one and relocates the first Security
// Agent listed to it, in the folder \NewDomain\NewFolder.
//
//	go run ./examples/seed001-relocate-agent -credentials rampart-data/credentials.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/examples/internal/exampleconfig"
)

type params struct {
	server, host, folder string
}

func main() {
	fs := flag.NewFlagSet("seed001-relocate-agent", flag.ExitOnError)
	cfg := exampleconfig.Register(fs)
	var p params
	fs.StringVar(&p.server, "server", "", "entity_id of the new server (default: the first listed, as the tutorial)")
	fs.StringVar(&p.host, "host", "", "host name of the agent to relocate (default: the first listed)")
	fs.StringVar(&p.folder, "folder", `\NewDomain\NewFolder`, "folder on the new server")
	_ = fs.Parse(os.Args[1:])
	exampleconfig.Main(cfg, func(ctx context.Context) error { return run(ctx, cfg, p, os.Stdout) })
}

func run(ctx context.Context, cfg *exampleconfig.Config, p params, out io.Writer) error {
	c, err := cfg.Apex()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Retrieving a list of managed product servers reporting to Apex Central.")
	if p.server == "" {
		servers, err := c.ListServers(ctx, apexcentral.ServerFilter{})
		if err != nil {
			return fmt.Errorf("listing managed servers: %w", err)
		}
		if len(servers) == 0 {
			return errors.New("no managed server is listed")
		}
		p.server = servers[0].EntityID
	}
	fmt.Fprintln(out, "ServerGUID:", p.server)

	fmt.Fprintln(out, "Retrieving a list of Security Agents from Apex Central.")
	if p.host == "" {
		agents, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
		if err != nil {
			return fmt.Errorf("listing security agents: %w", err)
		}
		if len(agents) == 0 {
			return errors.New("no security agent is listed")
		}
		p.host = agents[0].HostName
	}
	fmt.Fprintln(out, "host_name_retrieved:", p.host)

	fmt.Fprintln(out, "Relocating a host to a new managed server.")
	moved, err := c.Relocate(ctx, apexcentral.AgentTarget{HostName: p.host}, true, p.server, p.folder)
	if err != nil {
		return fmt.Errorf("relocating %s: %w", p.host, err)
	}
	if err := exampleconfig.PrintJSON(out, moved); err != nil {
		return err
	}
	if len(moved) == 0 {
		fmt.Fprintln(out, "The request succeeded, but the agent cannot be relocated through the API.")
	}
	return nil
}
