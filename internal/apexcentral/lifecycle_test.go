package apexcentral_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// report sends one agent's results over the agent protocol.
func report(env *servertest.Env, id string, results ...agentproto.Result) error {
	return env.Agent().Report(ctx, agentproto.ResultsRequest{AgentID: id, Results: results})
}

// settle checks agent id in, expects exactly one command of kind, and
// reports it carried out (ok) or failed.
func settle(t testing.TB, env *servertest.Env, id, kind string, ok bool) agentproto.Command {
	t.Helper()
	cmds := checkIn(t, env, id)
	if len(cmds) != 1 || cmds[0].Kind != kind {
		t.Fatalf("agent %s got %+v, want one %s", id, cmds, kind)
	}
	if err := report(env, id, agentproto.Result{CommandID: cmds[0].ID, OK: ok, Message: "test"}); err != nil {
		t.Fatalf("report of %s: %v", id, err)
	}
	return cmds[0]
}

func wantStatus(t testing.TB, env *servertest.Env, host, want string) {
	t.Helper()
	if got := statusOf(t, env, host); got != want {
		t.Errorf("%s is %s, want %s", host, got, want)
	}
}

// actOne posts an action on one host and returns its status in the answer.
func actOne(t testing.TB, env *servertest.Env, action, host string) string {
	t.Helper()
	r := act(t, env, `{"act": "`+action+`", "allow_multiple_match": false, "host_name": "`+host+`"}`)
	wantCode(t, r, 1)
	got := r.Agents(t)
	if len(got) != 1 || got[0]["host_name"] != host {
		t.Fatalf("%s %s: result_content %s", action, host, r.Content)
	}
	s, _ := got[0]["isolation_status"].(string)
	return s
}

func TestLifecycleIsolateRestore(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	if s := actOne(t, env, "cmd_isolate_agent", "client01"); s != "endpoint_isolation_pending" {
		t.Errorf("isolate answered %s", s)
	}
	wantStatus(t, env, "client01", "endpoint_isolation_pending")

	cmds := checkIn(t, env, client01)
	if len(cmds) != 1 || cmds[0].Kind != "isolate" || cmds[0].ID == "" {
		t.Fatalf("client01 got %+v, want one isolate", cmds)
	}
	// Delivered, not yet carried out: still pending, and delivered once.
	wantStatus(t, env, "client01", "endpoint_isolation_pending")
	if again := checkIn(t, env, client01); len(again) != 0 {
		t.Errorf("second check-in got %+v", again)
	}
	if err := report(env, client01, agentproto.Result{CommandID: cmds[0].ID, OK: true, Message: "isolated"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, env, "client01", "isolated")
	// A result is taken once.
	if err := report(env, client01, agentproto.Result{CommandID: cmds[0].ID, OK: false}); err == nil {
		t.Errorf("a second report of the same command was accepted")
	}
	wantStatus(t, env, "client01", "isolated")

	// Seed 002: restore agent [0].
	if s := actOne(t, env, "cmd_restore_isolated_agent", "client01"); s != "connection_restoration_pending" {
		t.Errorf("restore answered %s", s)
	}
	wantStatus(t, env, "client01", "connection_restoration_pending")
	settle(t, env, client01, "restore", true)
	wantStatus(t, env, "client01", "normal")
	if cmds := checkIn(t, env, client01); len(cmds) != 0 {
		t.Errorf("client01 got %+v after settling", cmds)
	}
	// The others never moved.
	for _, h := range []string{"client02", "client03", "OSCECLIENT"} {
		wantStatus(t, env, h, "normal")
	}
}

func TestLifecycleFailedReports(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_isolate_agent", "client02")
	settle(t, env, client02, "isolate", false)
	wantStatus(t, env, "client02", "normal")

	// It can be asked again, and this time it works.
	if s := actOne(t, env, "cmd_isolate_agent", "client02"); s != "endpoint_isolation_pending" {
		t.Errorf("isolate answered %s", s)
	}
	settle(t, env, client02, "isolate", true)
	wantStatus(t, env, "client02", "isolated")

	// A failed restore leaves it isolated.
	actOne(t, env, "cmd_restore_isolated_agent", "client02")
	settle(t, env, client02, "restore", false)
	wantStatus(t, env, "client02", "isolated")
}

func TestLifecycleRestoreCancelsQueuedIsolate(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_isolate_agent", "client03")
	if s := actOne(t, env, "cmd_restore_isolated_agent", "client03"); s != "normal" {
		t.Errorf("restore before check-in answered %s, want normal", s)
	}
	if cmds := checkIn(t, env, client03); len(cmds) != 0 {
		t.Errorf("client03 got %+v, want nothing (the isolate was cancelled)", cmds)
	}
	wantStatus(t, env, "client03", "normal")

	// The mirror case: an isolated agent asked to restore, then to isolate
	// before it checks in, stays isolated and gets nothing.
	actOne(t, env, "cmd_isolate_agent", "client03")
	settle(t, env, client03, "isolate", true)
	actOne(t, env, "cmd_restore_isolated_agent", "client03")
	if s := actOne(t, env, "cmd_isolate_agent", "client03"); s != "isolated" {
		t.Errorf("isolate before check-in answered %s, want isolated", s)
	}
	if cmds := checkIn(t, env, client03); len(cmds) != 0 {
		t.Errorf("client03 got %+v, want nothing (the restore was cancelled)", cmds)
	}
	wantStatus(t, env, "client03", "isolated")
}

func TestLifecycleRelocate(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	r := act(t, env, `{"act": "cmd_relocate_agent", "allow_multiple_match": true, "entity_id": "`+client01+`", `+
		`"relocate_to_server_id": "`+osceServer+`", "relocate_to_folder_path": "\\NewDomain\\NewFolder"}`)
	wantCode(t, r, 1)
	cmd := settle(t, env, client01, "relocate", true)
	if cmd.Params["server_id"] != osceServer || cmd.Params["folder_path"] != `\NewDomain\NewFolder` {
		t.Errorf("relocate params %v, want server_id %s folder_path \\NewDomain\\NewFolder", cmd.Params, osceServer)
	}
	a := agentByHost(t, env, "client01")
	if a["managing_server_id"] != osceServer || a["folder_path"] != `\NewDomain\NewFolder` || a["isolation_status"] != "normal" {
		t.Errorf("client01 after relocation: %v", a)
	}
	if cmds := checkIn(t, env, client01); len(cmds) != 0 {
		t.Errorf("client01 got %+v", cmds)
	}
	// Other agents got nothing.
	for _, id := range []string{client02, client03, osceClient, host8} {
		if cmds := checkIn(t, env, id); len(cmds) != 0 {
			t.Errorf("%s got %+v", id, cmds)
		}
	}
}

func TestLifecycleUninstall(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_uninstall_agent", "client03")
	settle(t, env, client03, "uninstall", true)

	if got := hosts(t, listAgents(t, env, "")); !sameList(got, []string{"client01", "client02", "OSCECLIENT", "host8"}) {
		t.Errorf("agents %v after client03 uninstalled", got)
	}
	if r := listAgents(t, env, "entity_id="+client03); string(r.Content) != "[]" {
		t.Errorf("client03 still listed: %s", r.Content)
	}
	if r := listAgents(t, env, "ip_address=10.1.1.3"); string(r.Content) != "[]" {
		t.Errorf("client03's address still matches: %s", r.Content)
	}
	_, err := env.Agent().CheckIn(ctx, agentproto.CheckInRequest{AgentID: client03})
	if !errors.Is(err, agentproto.ErrUnknownAgent) {
		t.Errorf("check-in of the uninstalled agent: %v, want ErrUnknownAgent", err)
	}
	r := act(t, env, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client03"}`)
	wantCode(t, r, 1)
	if string(r.Content) != "[]" {
		t.Errorf("isolating the uninstalled agent: %s", r.Content)
	}

	// A failed uninstall leaves the agent in the fleet, and it can be asked again.
	actOne(t, env, "cmd_uninstall_agent", "client02")
	settle(t, env, client02, "uninstall", false)
	wantStatus(t, env, "client02", "normal")
	actOne(t, env, "cmd_uninstall_agent", "client02")
	settle(t, env, client02, "uninstall", true)
	if r := listAgents(t, env, "host_name=client02"); string(r.Content) != "[]" {
		t.Errorf("client02 still listed: %s", r.Content)
	}
}

func TestLifecycleDeployUpdateSources(t *testing.T) {
	t.Parallel()
	const ous = "http://10.1.1.1:21112/activeupdate"
	cases := []struct {
		name     string
		server   string
		settings string
		// get maps each agent that must receive an update_source to its ous;
		// every other agent must receive nothing.
		get map[string]string
	}{
		{"range 10.1.1.1-10.1.1.3 on OSCESERVER", osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", ous)),
			// client01 lies in the range but belongs to ApexOne01; OSCECLIENT
			// belongs to OSCESERVER but lies outside.
			map[string]string{client02: ous, client03: ous}},
		{"seed 000's range 10.1.1.2-100.1.1.10", osceServer, seed000Settings("10.1.1.2", "100.1.1.10", ous),
			map[string]string{client02: ous, client03: ous}},
		{"first matching entry wins", osceServer, settingsJSON(1,
			ipv4Entry("10.1.1.3", "10.1.1.3", "http://au3.example/au"),
			ipv4Entry("10.0.0.0", "10.255.255.255", "http://au10.example/au"),
			ipv4Entry("192.168.121.132", "192.168.121.132", "https://osce.example/au")),
			map[string]string{client02: "http://au10.example/au", client03: "http://au3.example/au", osceClient: "https://osce.example/au"}},
		{"IPv6 prefix matches no agent", osceServer, settingsJSON(1,
			ousEntry("IPv6", map[string]any{"Prefix": "fe80::", "Length": 10, "OUS": ous})), map[string]string{}},
		{"ApexOne01's agents", apexOne01, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", ous)), map[string]string{client01: ous}},
		{"back to the Apex One server", osceServer, settingsJSON(0), map[string]string{client02: "", client03: "", osceClient: ""}},
		{"server without the capability", apexOne02, settingsJSON(1, ipv4Entry("0.0.0.0", "255.255.255.255", ous)), map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t)
			// Give every agent an update source first, so that "" is seen to be applied.
			for _, id := range allAgentIDs {
				if _, ok := tc.get[id]; ok && tc.get[id] == "" {
					setUpdateSource(t, env, id, "http://old.example/au")
				}
			}
			wantCode(t, env.Call("POST", serversPath, deployBody(tc.server, tc.settings), servertest.Token{}), 1)
			for _, id := range allAgentIDs {
				cmds := checkIn(t, env, id)
				want, ok := tc.get[id]
				if !ok {
					if len(cmds) != 0 {
						t.Errorf("agent %s got %+v, want nothing", id, cmds)
					}
					continue
				}
				if len(cmds) != 1 || cmds[0].Kind != "update_source" {
					t.Errorf("agent %s got %+v, want one update_source", id, cmds)
					continue
				}
				if cmds[0].Params["ous"] != want || !strings.EqualFold(cmds[0].Params["server_id"], tc.server) {
					t.Errorf("agent %s params %v, want ous %q server_id %s", id, cmds[0].Params, want, tc.server)
				}
				before := agentUpdateSource(t, env, id)
				if before == want && want != "" {
					t.Errorf("agent %s has update source %q before reporting", id, before)
				}
				if err := report(env, id, agentproto.Result{CommandID: cmds[0].ID, OK: true}); err != nil {
					t.Fatal(err)
				}
				if got := agentUpdateSource(t, env, id); got != want {
					t.Errorf("agent %s UpdateSource %q after reporting, want %q", id, got, want)
				}
			}
		})
	}
	t.Run("IPv6 prefixes and mapped addresses", func(t *testing.T) {
		t.Parallel()
		env := servertest.Start(t)
		caps := []fleet.Capability{fleet.CapIsolate, fleet.CapRestore, fleet.CapRelocate, fleet.CapUninstall}
		extra := []fleet.Agent{
			{EntityID: "6A6A6A6A-0000-0000-0000-000000000001", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: osceServer, FolderPath: "v6",
				IPAddresses: []string{"fd96:7568:9882:6::20"}, HostName: "v6ula", Capabilities: caps},
			{EntityID: "6A6A6A6A-0000-0000-0000-000000000002", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: osceServer, FolderPath: "v6",
				IPAddresses: []string{"192.168.200.5", "fe80::1234%12"}, HostName: "v6link", Capabilities: caps},
			{EntityID: "6A6A6A6A-0000-0000-0000-000000000003", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: osceServer, FolderPath: "v6",
				IPAddresses: []string{"::ffff:10.1.1.7"}, HostName: "v4mapped", Capabilities: caps},
			{EntityID: "6A6A6A6A-0000-0000-0000-000000000004", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: osceServer, FolderPath: "v6",
				IPAddresses: []string{"2001:db8::1"}, HostName: "v6out", Capabilities: caps},
		}
		for _, a := range extra {
			if err := env.Server.Fleet.AddAgent(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		settings := settingsJSON(1,
			ousEntry("IPv6", map[string]any{"Prefix": "fd96:7568:9882:6::", "Length": 64, "OUS": "http://ula.example/au"}),
			ousEntry("IPv6", map[string]any{"Prefix": "fe80::", "Length": 10, "OUS": "http://link.example/au"}),
			ipv4Entry("10.1.1.3", "10.1.1.9", "http://v4.example/au"))
		wantCode(t, env.Call("POST", serversPath, deployBody(osceServer, settings), servertest.Token{}), 1)
		want := map[string]string{
			extra[0].EntityID: "http://ula.example/au", extra[1].EntityID: "http://link.example/au",
			extra[2].EntityID: "http://v4.example/au", client03: "http://v4.example/au",
		}
		for _, id := range append(allAgentIDs, extra[0].EntityID, extra[1].EntityID, extra[2].EntityID, extra[3].EntityID) {
			cmds := checkIn(t, env, id)
			ous, ok := want[id]
			switch {
			case !ok && len(cmds) != 0:
				t.Errorf("agent %s got %+v, want nothing", id, cmds)
			case ok && (len(cmds) != 1 || cmds[0].Kind != "update_source" || cmds[0].Params["ous"] != ous):
				t.Errorf("agent %s got %+v, want update_source %s", id, cmds, ous)
			}
		}
	})
	t.Run("a failed report keeps the old source", func(t *testing.T) {
		t.Parallel()
		env := servertest.Start(t)
		setUpdateSource(t, env, client02, "http://old.example/au")
		wantCode(t, env.Call("POST", serversPath, deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.2", "10.1.1.2", ous))), servertest.Token{}), 1)
		settle(t, env, client02, "update_source", false)
		if got := agentUpdateSource(t, env, client02); got != "http://old.example/au" {
			t.Errorf("UpdateSource %q after a failed report", got)
		}
	})
	t.Run("an agent being uninstalled gets none", func(t *testing.T) {
		t.Parallel()
		env := servertest.Start(t)
		actOne(t, env, "cmd_uninstall_agent", "client02")
		wantCode(t, env.Call("POST", serversPath, deployBody(osceServer, settingsJSON(1, ipv4Entry("10.1.1.1", "10.1.1.3", ous))), servertest.Token{}), 1)
		if cmds := checkIn(t, env, client02); len(cmds) != 1 || cmds[0].Kind != "uninstall" {
			t.Errorf("client02 got %+v, want only its uninstall", cmds)
		}
		if cmds := checkIn(t, env, client03); len(cmds) != 1 || cmds[0].Kind != "update_source" {
			t.Errorf("client03 got %+v", cmds)
		}
	})
}

// setUpdateSource gives an agent an update source through the protocol:
// a one-entry deployment from its server, reported done.
func setUpdateSource(t testing.TB, env *servertest.Env, id, ous string) {
	t.Helper()
	a, err := env.Server.Fleet.Agent(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ip := a.IPAddresses[0]
	wantCode(t, env.Call("POST", serversPath, deployBody(a.ManagingServerID, settingsJSON(1, ipv4Entry(ip, ip, ous))), servertest.Token{}), 1)
	settle(t, env, id, "update_source", true)
	if got := agentUpdateSource(t, env, id); got != ous {
		t.Fatalf("agent %s UpdateSource %q, want %q", id, got, ous)
	}
}

func agentUpdateSource(t testing.TB, env *servertest.Env, id string) string {
	t.Helper()
	a, err := env.Server.Fleet.Agent(ctx, id)
	if err != nil {
		t.Fatalf("reading agent %s: %v", id, err)
	}
	return a.UpdateSource
}

// TestLifecycleForeignReport: an agent cannot report on another agent's
// command, and a report holding such a result is refused whole.
func TestLifecycleForeignReport(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_isolate_agent", "client01")
	actOne(t, env, "cmd_isolate_agent", "client02")
	c1 := checkIn(t, env, client01)
	c2 := checkIn(t, env, client02)
	if len(c1) != 1 || len(c2) != 1 {
		t.Fatalf("got %+v and %+v", c1, c2)
	}
	if err := report(env, client02, agentproto.Result{CommandID: c1[0].ID, OK: true}); err == nil {
		t.Errorf("client02 reported client01's command and was accepted")
	}
	// Its own result together with a foreign one: nothing of it applies.
	if err := report(env, client02, agentproto.Result{CommandID: c2[0].ID, OK: true}, agentproto.Result{CommandID: c1[0].ID, OK: false}); err == nil {
		t.Errorf("a report with a foreign result was accepted")
	}
	if err := report(env, client02, agentproto.Result{CommandID: "no-such-command", OK: true}); err == nil {
		t.Errorf("a report of an unknown command was accepted")
	}
	wantStatus(t, env, "client01", "endpoint_isolation_pending")
	wantStatus(t, env, "client02", "endpoint_isolation_pending")
	// The rightful owners can still report.
	if err := report(env, client01, agentproto.Result{CommandID: c1[0].ID, OK: true}); err != nil {
		t.Errorf("client01's own report: %v", err)
	}
	if err := report(env, client02, agentproto.Result{CommandID: c2[0].ID, OK: false}); err != nil {
		t.Errorf("client02's own report: %v", err)
	}
	wantStatus(t, env, "client01", "isolated")
	wantStatus(t, env, "client02", "normal")
}

// TestLifecycleQueuedCommandNotReportable: a command not yet delivered
// cannot be reported.
func TestLifecycleQueuedCommandNotReportable(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_isolate_agent", "client01")
	cmds, err := env.Server.Fleet.Commands(ctx, client01)
	if err != nil || len(cmds) != 1 {
		t.Fatalf("commands %+v, %v", cmds, err)
	}
	if err := report(env, client01, agentproto.Result{CommandID: cmds[0].ID, OK: true}); err == nil {
		t.Errorf("a queued command was reported done before delivery")
	}
	wantStatus(t, env, "client01", "endpoint_isolation_pending")
	settle(t, env, client01, "isolate", true)
	wantStatus(t, env, "client01", "isolated")
}

// TestLifecycleAgentIDCaseInsensitive: docs/agent-protocol.md says agent_id
// is compared case-insensitively; an agent that checks in with its ID in
// another case must be able to report the commands it was handed.
func TestLifecycleAgentIDCaseInsensitive(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	actOne(t, env, "cmd_isolate_agent", "client01")
	id := strings.ToLower(client01)
	cmds := checkIn(t, env, id)
	if len(cmds) != 1 || cmds[0].Kind != "isolate" {
		t.Fatalf("check-in as %s got %+v", id, cmds)
	}
	if err := report(env, id, agentproto.Result{CommandID: cmds[0].ID, OK: true}); err != nil {
		t.Errorf("report as %s of the command it was handed: %v", id, err)
	}
	wantStatus(t, env, "client01", "isolated")
}
