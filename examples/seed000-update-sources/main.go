// Command seed000-update-sources does the tutorial "Change the Update Source
// of Security Agents" (seed 000) through the SDK: it takes the first managed
// server as the main update source, the addresses of the second and the last
// Security Agents as the range, the first agent as the Update Agent, and
// deploys those update settings.
//
//	go run ./examples/seed000-update-sources -credentials rampart-data/credentials.json
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

// params are the tutorial's choices, each of which a flag may override.
type params struct {
	server, fromIP, toIP, ous string
}

func main() {
	fs := flag.NewFlagSet("seed000-update-sources", flag.ExitOnError)
	cfg := exampleconfig.Register(fs)
	var p params
	fs.StringVar(&p.server, "server", "", "entity_id of the Apex One server (default: the first listed, as the tutorial)")
	fs.StringVar(&p.fromIP, "from-ip", "", "first address of the range (default: the second agent's)")
	fs.StringVar(&p.toIP, "to-ip", "", "last address of the range (default: the last agent's)")
	fs.StringVar(&p.ous, "ous", "", "Update Agent URL (default: http://<first agent>:21112/activeupdate)")
	_ = fs.Parse(os.Args[1:])
	exampleconfig.Main(cfg, func(ctx context.Context) error { return run(ctx, cfg, p, os.Stdout) })
}

func run(ctx context.Context, cfg *exampleconfig.Config, p params, out io.Writer) error {
	c, err := cfg.Apex()
	if err != nil {
		return err
	}
	// Obtain the entity ID of the main update source.
	if p.server == "" {
		servers, err := c.ListServers(ctx, apexcentral.ServerFilter{})
		if err != nil {
			return fmt.Errorf("listing managed servers: %w", err)
		}
		if len(servers) == 0 {
			return errors.New("no managed server is listed")
		}
		p.server = servers[0].EntityID
		if !servers[0].Can(apexcentral.CapDeployUpdateSources) {
			fmt.Fprintf(out, "note: %s does not list %s\n", servers[0].HostName, apexcentral.CapDeployUpdateSources)
		}
	}
	fmt.Fprintln(out, "ServerGUID:", p.server)

	// Obtain the IP addresses of the Security Agents.
	if p.fromIP == "" || p.toIP == "" || p.ous == "" {
		agents, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
		if err != nil {
			return fmt.Errorf("listing security agents: %w", err)
		}
		if len(agents) < 2 {
			return fmt.Errorf("the tutorial needs at least two agents, %d are listed", len(agents))
		}
		if p.fromIP == "" {
			p.fromIP = exampleconfig.FirstAddress(agents[1].IPAddressList)
		}
		if p.toIP == "" {
			p.toIP = exampleconfig.FirstAddress(agents[len(agents)-1].IPAddressList)
		}
		if p.ous == "" {
			p.ous = "http://" + exampleconfig.FirstAddress(agents[0].IPAddressList) + ":21112/activeupdate"
		}
	}
	fmt.Fprintln(out, "AgentIPv4_FromIP:", p.fromIP)
	fmt.Fprintln(out, "AgentIPv4_ToIP:", p.toIP)
	fmt.Fprintln(out, "OUS_URL:", p.ous)

	// Modify the update settings of the Update Agent.
	settings := apexcentral.UpdateSettings{
		AllowUpdateFromOtherAU:               true,
		UpdateComponentFromServerIfOUSFailed: true,
		UpdateSettingFromServerIfOUSFailed:   true,
		UpdateProgramFromServerIfOUSFailed:   true,
		Sources:                              []apexcentral.UpdateSource{apexcentral.IPv4Range(p.fromIP, p.toIP, p.ous)},
	}
	deployed, err := c.DeployUpdateSources(ctx, p.server, settings)
	if err != nil {
		return fmt.Errorf("deploying update settings: %w", err)
	}
	if err := exampleconfig.PrintJSON(out, deployed); err != nil {
		return err
	}
	if len(deployed) == 0 {
		fmt.Fprintln(out, "The request succeeded, but this server cannot deploy update sources through the API.")
	}
	return nil
}
