package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/spf13/cobra"
)

const apexHelp = `Apex Central Automation API calls, signed with the application's ID and
API key (a fresh JWT and checksum for every request).`

// newServers is `rampart servers`: the managed servers.
func (cl *clientCLI) newServers() *cobra.Command {
	cmd := cl.group("servers", "Managed servers (Apex Central ProductServers)", apexHelp+"\n\n"+exitCodesHelp)
	var f apexcentral.ServerFilter
	var out outputFormat
	list := &cobra.Command{
		Use:   "list",
		Short: "List the managed servers; filters must all match",
		Long:  "List the managed servers (GET ProductServers). The filters are sent to the server, which\nmatches every one given.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.apex(ctx)
			if err != nil {
				return err
			}
			servers, err := c.ListServers(ctx, f)
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), nonNil(servers), func() table { return serversTable(servers) })
		}),
	}
	fl := list.Flags()
	fl.StringVar(&f.EntityID, "id", "", "entity_id")
	fl.StringVar(&f.IPAddress, "ip", "", "one of the server's IP addresses")
	fl.StringVar(&f.MACAddress, "mac", "", "one of its MAC addresses")
	fl.StringVar(&f.HostName, "host", "", "host name")
	fl.StringVar(&f.Product, "product", "", "product, e.g. SLF_PRODUCT_OFFICESCAN_CE")
	addOutputFlag(list, &out)
	cmd.AddCommand(list)
	return cmd
}

func serversTable(servers []apexcentral.Server) table {
	t := table{header: []string{"HOST", "ENTITY ID", "PRODUCT", "IP ADDRESSES", "CAPABILITIES"}}
	for _, s := range servers {
		caps := make([]string, len(s.Capabilities))
		for i, c := range s.Capabilities {
			caps[i] = string(c)
		}
		t.add(s.HostName, s.EntityID, s.Product, s.IPAddressList, strings.Join(caps, ","))
	}
	return t
}

func agentsTable(agents []apexcentral.Agent) table {
	t := table{header: []string{"HOST", "ENTITY ID", "PRODUCT", "SERVER", "FOLDER", "IP ADDRESSES", "MAC ADDRESSES", "ISOLATION"}}
	for _, a := range agents {
		t.add(a.HostName, a.EntityID, a.Product, a.ManagingServerID, a.FolderPath, a.IPAddressList, a.MACAddressList, string(a.IsolationStatus))
	}
	return t
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// agentSelector is the --host, --ip, --mac, --id, --product of the agent
// commands.
type agentSelector struct {
	host, ip, mac, id, product string
}

func (s *agentSelector) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.host, "host", "", "host name")
	f.StringVar(&s.ip, "ip", "", "one of the agent's IP addresses")
	f.StringVar(&s.mac, "mac", "", "one of its MAC addresses (dashes or colons)")
	f.StringVar(&s.id, "id", "", "entity_id")
	f.StringVar(&s.product, "product", "", "product, e.g. SLF_PRODUCT_OFFICESCAN_CE")
}

func (s agentSelector) target() apexcentral.AgentTarget {
	return apexcentral.AgentTarget{EntityID: s.id, IPAddress: s.ip, MACAddress: s.mac, HostName: s.host, Product: s.product}
}

func (s agentSelector) String() string {
	var parts []string
	for _, p := range [][2]string{{"--host", s.host}, {"--ip", s.ip}, {"--mac", s.mac}, {"--id", s.id}, {"--product", s.product}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, " ")
}

// newAgents is `rampart agents`: list the Security Agents and act on them.
func (cl *clientCLI) newAgents() *cobra.Command {
	cmd := cl.group("agents", "Security Agents: list, isolate, restore, relocate, uninstall (Apex Central ProductAgents)", apexHelp+"\n\n"+exitCodesHelp)
	var sel agentSelector
	var server string
	var out outputFormat
	list := &cobra.Command{
		Use:   "list",
		Short: "List the Security Agents; filters must all match",
		Long:  "List the Security Agents (GET ProductAgents) with their isolation status.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.apex(ctx)
			if err != nil {
				return err
			}
			t := sel.target()
			agents, err := c.ListAgents(ctx, apexcentral.AgentFilter{EntityID: t.EntityID, IPAddress: t.IPAddress, MACAddress: t.MACAddress,
				HostName: t.HostName, Product: t.Product, ManagingServerID: server})
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), nonNil(agents), func() table { return agentsTable(agents) })
		}),
	}
	sel.register(list)
	list.Flags().StringVar(&server, "server", "", "entity_id of the managing server")
	addOutputFlag(list, &out)
	cmd.AddCommand(list,
		cl.newAgentAction("isolate", apexcentral.ActIsolate, apexcentral.StatusIsolated,
			"Isolate agents from the network",
			"The agent goes endpoint_isolation_pending, then isolated once it has checked in and carried\nthe command out. --wait follows it there and fails (exit 1) when it settles otherwise."),
		cl.newAgentAction("restore", apexcentral.ActRestore, apexcentral.StatusNormal,
			"Reconnect isolated agents to the network",
			"The agent goes connection_restoration_pending, then normal once it has checked in and\ncarried the command out. --wait follows it there and fails (exit 1) when it settles otherwise."),
		cl.newAgentAction("relocate", apexcentral.ActRelocate, "",
			"Move agents to another managed server and folder",
			"The agents are listed under --to-server and --to-folder at once; the agent applies the move\nwhen it next checks in. --wait checks that every agent is listed under the new server."),
		cl.newAgentAction("uninstall", apexcentral.ActUninstall, "",
			"Uninstall agents",
			"The agent uninstalls itself when it next checks in and then leaves the list. --wait follows\nit until it is no longer listed (an uninstall the agent refuses ends in --timeout, exit 6)."))
	return cmd
}

// newAgentAction is one of `rampart agents isolate|restore|relocate|uninstall`.
func (cl *clientCLI) newAgentAction(use string, act apexcentral.Action, want apexcentral.IsolationStatus, short, long string) *cobra.Command {
	var (
		sel                agentSelector
		all, wait          bool
		timeout, interval  time.Duration
		toServer, toFolder string
		out                outputFormat
	)
	usage := use + " [--host H] [--ip A] [--mac M] [--id ID] [--product P] [--all-matches] [--wait]"
	if act == apexcentral.ActRelocate {
		usage = use + " [--host H] [--ip A] [--mac M] [--id ID] [--product P] --to-server ID --to-folder PATH [--all-matches] [--wait]"
	}
	cmd := &cobra.Command{
		Use:   usage,
		Short: short,
		Long: short + " (POST ProductAgents, act " + string(act) + ").\n\n" +
			"The selection flags must all match. Several agents matching is refused (exit 2) unless\n" +
			"--all-matches is given. Agents that match but lack the action's capability are left out;\n" +
			"when none is left, nothing is done and the exit status is 1.\n\n" + long + "\n\n" +
			"The agents are printed as the server holds them right after the call, or, with --wait,\n" +
			"once they have settled; progress goes to standard error.\n\n" + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			t := sel.target()
			if t.Empty() {
				return usageErr("select the agents with at least one of --host, --ip, --mac, --id, --product")
			}
			if act == apexcentral.ActRelocate && (toServer == "" || toFolder == "") {
				return usageErr("relocating needs --to-server and --to-folder")
			}
			c, err := cn.apex(ctx)
			if err != nil {
				return err
			}
			// List first: the action itself answers an empty list both when
			// nothing matches and when nothing matched can take it.
			matched, err := c.ListAgents(ctx, apexcentral.AgentFilter{EntityID: t.EntityID, IPAddress: t.IPAddress,
				MACAddress: t.MACAddress, HostName: t.HostName, Product: t.Product})
			if err != nil {
				return err
			}
			if len(matched) == 0 {
				return notFound("no agent matches %s", sel)
			}
			if len(matched) > 1 && !all {
				hosts := make([]string, len(matched))
				for i, a := range matched {
					hosts[i] = a.HostName
				}
				return usageErr("%d agents match %s (%s): narrow the selection or give --all-matches", len(matched), sel, strings.Join(hosts, ", "))
			}
			acted, err := c.Act(ctx, apexcentral.ActionRequest{Action: act, Target: t, AllowMultipleMatch: all,
				RelocateToServerID: toServer, RelocateToFolderPath: toFolder})
			if err != nil {
				return err
			}
			if len(acted) == 0 {
				return failure("%d agent(s) match %s but none can take %s through the API (capabilities); nothing was done", len(matched), sel, act)
			}
			stdout := cmd.OutOrStdout()
			if !wait {
				return out.print(stdout, acted, func() table { return agentsTable(acted) })
			}
			wctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			final, werr := waitAgents(wctx, cn, c, cmd, act, want, acted, toServer, interval)
			if len(final) > 0 {
				if err := out.print(stdout, final, func() table { return agentsTable(final) }); err != nil {
					return err
				}
			}
			return werr
		}),
	}
	sel.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&all, "all-matches", false, "act on every agent that matches (allow_multiple_match)")
	f.BoolVar(&wait, "wait", false, "wait until the agents have carried the action out")
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "longest --wait (exit 6 when reached)")
	f.DurationVar(&interval, "interval", 2*time.Second, "time between two polls of --wait")
	if act == apexcentral.ActRelocate {
		f.StringVar(&toServer, "to-server", "", "entity_id of the managed server to move to")
		f.StringVar(&toFolder, "to-folder", "", `folder to move to, e.g. \NewDomain\NewFolder`)
		_ = cmd.RegisterFlagCompletionFunc("to-server", cl.completeServers)
	}
	addOutputFlag(cmd, &out)
	return cmd
}

// waitAgents follows the acted agents until act is carried out, showing
// progress, and returns them as last seen.
func waitAgents(ctx context.Context, cn *conn, c *apexcentral.Client, cmd *cobra.Command, act apexcentral.Action,
	want apexcentral.IsolationStatus, acted []apexcentral.Agent, toServer string, interval time.Duration) ([]apexcentral.Agent, error) {
	ids := make([]string, len(acted))
	for i, a := range acted {
		ids[i] = a.EntityID
	}
	p := newProgress(cmd.ErrOrStderr(), cn.sys)
	defer p.done()
	switch act {
	case apexcentral.ActIsolate, apexcentral.ActRestore:
		state := map[string]apexcentral.IsolationStatus{}
		final, err := c.WaitAllSettled(ctx, ids, apexcentral.WaitOptions{Interval: interval, Want: want, Progress: func(a apexcentral.Agent) {
			state[strings.ToUpper(a.EntityID)] = a.IsolationStatus
			if !p.tty {
				p.set(fmt.Sprintf("%s (%s): %s", a.HostName, a.EntityID, a.IsolationStatus))
				return
			}
			settled := 0
			for _, s := range state {
				if !s.Pending() {
					settled++
				}
			}
			p.set(fmt.Sprintf("%s: %d/%d settled; %s is %s", act, settled, len(ids), a.HostName, a.IsolationStatus))
		}})
		// A wait cut short before the first poll has seen nothing.
		seen := final[:0]
		for _, a := range final {
			if a.EntityID != "" {
				seen = append(seen, a)
			}
		}
		return seen, err
	case apexcentral.ActRelocate:
		list, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
		if err != nil {
			return nil, err
		}
		var final []apexcentral.Agent
		for _, a := range list {
			if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, a.EntityID) }) {
				final = append(final, a)
				if !strings.EqualFold(a.ManagingServerID, toServer) {
					return final, failure("agent %s is listed under server %s, not %s", a.HostName, a.ManagingServerID, toServer)
				}
			}
		}
		return final, nil
	default: // uninstall: until no agent acted on is listed
		for {
			list, err := c.ListAgents(ctx, apexcentral.AgentFilter{})
			if err != nil {
				return nil, err
			}
			var left []string
			for _, a := range list {
				if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, a.EntityID) }) {
					left = append(left, a.HostName)
				}
			}
			if len(left) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d agent(s) uninstalled\n", len(ids))
				return nil, nil
			}
			p.set(fmt.Sprintf("uninstall: %d/%d gone; still listed: %s", len(ids)-len(left), len(ids), strings.Join(left, ", ")))
			if err := cn.sys.Sleep(ctx, interval); err != nil {
				return nil, fmt.Errorf("waiting for the uninstall (still listed: %s): %w", strings.Join(left, ", "), err)
			}
		}
	}
}

// newUpdateSources is `rampart update-sources deploy`.
func (cl *clientCLI) newUpdateSources() *cobra.Command {
	cmd := cl.group("update-sources", "Update Agent update sources (Apex Central cmd_deploy_update_sources)", apexHelp+"\n\n"+exitCodesHelp)
	var (
		server                   string
		fromIPs, toIPs, ous      []string
		ipv6, ipv6OUS            []string
		useServer                bool
		noComponents, noSettings bool
		noPrograms               bool
		out                      outputFormat
	)
	deploy := &cobra.Command{
		Use:   "deploy --server ID --from-ip A --to-ip B --ous URL [--from-ip A --to-ip B --ous URL ...]",
		Short: "Deploy update-source settings: agents in each range update from its Update Agent",
		Long: `Deploy update-source settings to an Apex One server (POST ProductServers, act
cmd_deploy_update_sources): the agents whose address falls in a range update from that range's
Update Agent (--ous, e.g. http://10.1.1.1:21112/activeupdate).

--from-ip, --to-ip and --ous repeat: the n-th of each make the n-th IPv4 range; a single --ous
serves every range. --ipv6 PREFIX/LENGTH adds IPv6 entries, served by --ipv6-ous (one, or one
each). The fall-backs when every update source fails (components, domain settings, programs
from the server) are on, as in the tutorial, unless turned off. --use-server makes the agents
update from the Apex One server instead (AllowUpdateFromOtherAU 0; no range needed).

The server is printed as the API answers. A server without the cmd_deploy_update_sources
capability answers an empty list: nothing is deployed and the exit status is 1.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			if server == "" {
				return usageErr("give --server, the entity_id of the Apex One server (see `rampart servers list`)")
			}
			settings := apexcentral.UpdateSettings{AllowUpdateFromOtherAU: !useServer,
				UpdateComponentFromServerIfOUSFailed: !noComponents, UpdateSettingFromServerIfOUSFailed: !noSettings,
				UpdateProgramFromServerIfOUSFailed: !noPrograms}
			sources, err := updateSources(fromIPs, toIPs, ous, ipv6, ipv6OUS)
			if err != nil {
				return err
			}
			settings.Sources = sources
			if !useServer && len(sources) == 0 {
				return usageErr("give at least one range (--from-ip, --to-ip, --ous) or --ipv6, or --use-server")
			}
			c, err := cn.apex(ctx)
			if err != nil {
				return err
			}
			deployed, err := c.DeployUpdateSources(ctx, server, settings)
			if err != nil {
				return err
			}
			if len(deployed) == 0 {
				return failure("server %s cannot deploy update sources through the API (no %s capability); nothing was deployed", server, apexcentral.CapDeployUpdateSources)
			}
			return out.print(cmd.OutOrStdout(), deployed, func() table { return serversTable(deployed) })
		}),
	}
	f := deploy.Flags()
	f.StringVar(&server, "server", "", "entity_id of the Apex One server")
	f.StringArrayVar(&fromIPs, "from-ip", nil, "first IPv4 address of a range (repeatable)")
	f.StringArrayVar(&toIPs, "to-ip", nil, "last IPv4 address of a range (repeatable)")
	f.StringArrayVar(&ous, "ous", nil, "Update Agent URL of a range (repeatable; one serves all)")
	f.StringArrayVar(&ipv6, "ipv6", nil, "IPv6 prefix/length, e.g. fd96:7568:9882:6::/64 (repeatable)")
	f.StringArrayVar(&ipv6OUS, "ipv6-ous", nil, "Update Agent URL of an IPv6 prefix (repeatable; one serves all)")
	f.BoolVar(&useServer, "use-server", false, "agents update from the Apex One server, not from update agents")
	f.BoolVar(&noComponents, "no-fallback-components", false, "do not deploy components from the server when every update source fails")
	f.BoolVar(&noSettings, "no-fallback-settings", false, "do not deploy domain settings from the server when every update source fails")
	f.BoolVar(&noPrograms, "no-fallback-programs", false, "do not deploy programs and hotfixes from the server when every update source fails")
	_ = deploy.RegisterFlagCompletionFunc("server", cl.completeServers)
	addOutputFlag(deploy, &out)
	cmd.AddCommand(deploy)
	return cmd
}

// updateSources pairs the range flags into OUSList entries.
func updateSources(fromIPs, toIPs, ous, ipv6, ipv6OUS []string) ([]apexcentral.UpdateSource, error) {
	if len(fromIPs) != len(toIPs) {
		return nil, usageErr("%d --from-ip for %d --to-ip: give one of each per range", len(fromIPs), len(toIPs))
	}
	if len(fromIPs) > 0 && len(ous) != 1 && len(ous) != len(fromIPs) {
		return nil, usageErr("%d ranges for %d --ous: give one --ous per range, or one for all", len(fromIPs), len(ous))
	}
	if len(fromIPs) == 0 && len(ous) > 0 {
		return nil, usageErr("--ous without a range: give --from-ip and --to-ip")
	}
	var out []apexcentral.UpdateSource
	for i := range fromIPs {
		u := ous[0]
		if len(ous) > 1 {
			u = ous[i]
		}
		out = append(out, apexcentral.IPv4Range(fromIPs[i], toIPs[i], u))
	}
	if len(ipv6) > 0 && len(ipv6OUS) != 1 && len(ipv6OUS) != len(ipv6) {
		return nil, usageErr("%d --ipv6 for %d --ipv6-ous: give one --ipv6-ous per prefix, or one for all", len(ipv6), len(ipv6OUS))
	}
	if len(ipv6) == 0 && len(ipv6OUS) > 0 {
		return nil, usageErr("--ipv6-ous without --ipv6")
	}
	for i, p := range ipv6 {
		prefix, length, ok := strings.Cut(p, "/")
		n, err := strconv.Atoi(length)
		if !ok || err != nil {
			return nil, usageErr("--ipv6 %q: give PREFIX/LENGTH, e.g. fd96:7568:9882:6::/64", p)
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			return nil, usageErr("--ipv6 %q: %v", p, err)
		}
		u := ipv6OUS[0]
		if len(ipv6OUS) > 1 {
			u = ipv6OUS[i]
		}
		out = append(out, apexcentral.IPv6Prefix(prefix, n, u))
	}
	return out, nil
}

// completeServers completes a server's entity_id from the API.
func (cl *clientCLI) completeServers(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx := cmd.Context()
	cn, err := cl.resolve(ctx, cmd.ErrOrStderr())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := cn.apex(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	servers, err := c.ListServers(ctx, apexcentral.ServerFilter{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, s := range servers {
		out = append(out, s.EntityID+"\t"+s.HostName)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
