package fleet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/fleet"
)

// agentState is the part of an agent that actions move.
type agentState struct {
	Isolation    fleet.IsolationStatus
	Uninstalling bool
	Server       string
	Folder       string
}

func stateOf(a fleet.Agent) agentState {
	return agentState{a.Isolation, a.Uninstalling, a.ManagingServerID, a.FolderPath}
}

func TestAct(t *testing.T) {
	var (
		normal       = agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}
		isolated     = agentState{fleet.StatusIsolated, false, "SRV-A", "Workgroup"}
		isoPending   = agentState{fleet.StatusIsolationPending, false, "SRV-A", "Workgroup"}
		restPending  = agentState{fleet.StatusRestorationPending, false, "SRV-A", "Workgroup"}
		notSupported = agentState{fleet.StatusIsolationNotSupport, false, "SRV-A", "Workgroup"}
		queued       = func(id string, kind fleet.CommandKind) cmdView {
			return cmdView{ID: id, Kind: kind, State: fleet.CommandQueued}
		}
		isolateAG1 = fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}}
		restoreAG1 = fleet.ActRequest{Action: fleet.ActRestore, Filter: fleet.AgentFilter{EntityID: "AG-1"}}
	)
	// act and deliver are setup steps.
	act := func(req fleet.ActRequest) func(*testing.T, *env) {
		return func(t *testing.T, e *env) { e.act(t, req) }
	}
	deliver := func(steps ...func(*testing.T, *env)) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			for _, s := range steps {
				s(t, e)
			}
			e.checkIn(t, "AG-1")
		}
	}

	tests := []struct {
		name      string
		isolation map[string]fleet.IsolationStatus
		setup     func(*testing.T, *env)
		req       fleet.ActRequest
		wantErr   error
		wantActed []string
		// wantAgents and wantCmds are checked agent by agent.
		wantAgents map[string]agentState
		wantCmds   map[string][]cmdView
	}{
		// Refusals: nothing changes.
		{name: "unknown action", req: fleet.ActRequest{Action: "cmd_reboot_agent", Filter: fleet.AgentFilter{EntityID: "AG-1"}},
			wantErr: fleet.ErrInvalid},
		{name: "empty filter", req: fleet.ActRequest{Action: fleet.ActIsolate, AllowMultiple: true}, wantErr: fleet.ErrInvalid},
		{name: "blank filter is empty", req: fleet.ActRequest{Action: fleet.ActIsolate, AllowMultiple: true,
			Filter: fleet.AgentFilter{EntityID: "  ", HostName: "\t"}}, wantErr: fleet.ErrInvalid},
		{name: "relocate without server", req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
			RelocateFolderPath: "Moved"}, wantErr: fleet.ErrInvalid},
		{name: "relocate without folder", req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
			RelocateServerID: "SRV-B", RelocateFolderPath: " "}, wantErr: fleet.ErrInvalid},
		{name: "relocate to unknown server", req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
			RelocateServerID: "SRV-NONE", RelocateFolderPath: "Moved"}, wantErr: fleet.ErrTargetNotFound},
		{name: "relocate to a server of another product", req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
			RelocateServerID: "SRV-DS", RelocateFolderPath: "Moved"}, wantErr: fleet.ErrTargetIncapable},
		{name: "relocate of several where one is incapable moves none",
			setup: func(t *testing.T, e *env) {
				if err := e.svc.AddAgent(context.Background(), fleet.Agent{EntityID: "AG-DS2", Product: dsm, ManagingServerID: "SRV-DS",
					HostName: "client02", Capabilities: []fleet.Capability{fleet.CapRelocate}}); err != nil {
					t.Fatal(err)
				}
			},
			req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{HostName: "client02"}, AllowMultiple: true,
				RelocateServerID: "SRV-B", RelocateFolderPath: "Moved"}, wantErr: fleet.ErrTargetIncapable},
		{name: "multiple match not allowed", req: fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{Product: officescan}},
			wantErr: fleet.ErrMultipleMatch},

		// Which agents are acted on.
		{name: "multiple match allowed: capable agents not being uninstalled",
			req:       fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{Product: "slf_product_officescan_ce"}, AllowMultiple: true},
			wantActed: []string{"AG-1", "AG-2", "AG-3", "AG-FAR", "AG-B"},
			wantAgents: map[string]agentState{"AG-1": isoPending, "AG-2": isoPending, "AG-NOCAP": normal,
				"AG-UN": {fleet.StatusNormal, true, "SRV-A", "Workgroup"}},
			wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandIsolate)}, "AG-2": {queued("cmd-0002", fleet.CommandIsolate)},
				"AG-B": {queued("cmd-0005", fleet.CommandIsolate)}, "AG-NOCAP": nil, "AG-UN": nil}},
		{name: "agent without the capability", req: fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "ag-nocap"}},
			wantActed: nil, wantAgents: map[string]agentState{"AG-NOCAP": normal}, wantCmds: map[string][]cmdView{"AG-NOCAP": nil}},
		{name: "agent being uninstalled", req: fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-UN"}},
			wantActed: nil, wantCmds: map[string][]cmdView{"AG-UN": nil}},
		{name: "second uninstall", setup: act(fleet.ActRequest{Action: fleet.ActUninstall, Filter: fleet.AgentFilter{EntityID: "AG-1"}}),
			req:       fleet.ActRequest{Action: fleet.ActUninstall, Filter: fleet.AgentFilter{EntityID: "AG-1"}},
			wantActed: nil, wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandUninstall)}}},
		{name: "filter by host, mac and ip in any form", req: fleet.ActRequest{Action: fleet.ActIsolate,
			Filter: fleet.AgentFilter{HostName: "CLIENT02", MACAddress: "00:60:59:a4:70:02", IPAddress: " 10.1.1.2 "}},
			wantActed: []string{"AG-2"}, wantAgents: map[string]agentState{"AG-2": isoPending, "AG-1": normal}},
		{name: "no agent matches", req: fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "nobody"}},
			wantActed: nil},

		// Isolate and restore toggle.
		{name: "isolate normal", req: isolateAG1, wantActed: []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": isoPending}, wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandIsolate)}}},
		{name: "isolate isolated", isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated}, req: isolateAG1,
			wantActed: []string{"AG-1"}, wantAgents: map[string]agentState{"AG-1": isolated}, wantCmds: map[string][]cmdView{"AG-1": nil}},
		{name: "isolate isolation pending", setup: act(isolateAG1), req: isolateAG1, wantActed: []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": isoPending}, wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandIsolate)}}},
		{name: "isolate not supported", isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolationNotSupport}, req: isolateAG1,
			wantActed: []string{"AG-1"}, wantAgents: map[string]agentState{"AG-1": notSupported}, wantCmds: map[string][]cmdView{"AG-1": nil}},
		{name: "isolate while the restore is still queued cancels it",
			isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated}, setup: act(restoreAG1), req: isolateAG1,
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": isolated},
			wantCmds:   map[string][]cmdView{"AG-1": {{ID: "cmd-0001", Kind: fleet.CommandRestore, State: fleet.CommandCancelled}}}},
		{name: "isolate after the restore was delivered queues an isolate",
			isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated}, setup: deliver(act(restoreAG1)), req: isolateAG1,
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": isoPending},
			wantCmds: map[string][]cmdView{"AG-1": {{ID: "cmd-0001", Kind: fleet.CommandRestore, State: fleet.CommandDelivered},
				queued("cmd-0002", fleet.CommandIsolate)}}},
		{name: "restore isolated", isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated}, req: restoreAG1,
			wantActed: []string{"AG-1"}, wantAgents: map[string]agentState{"AG-1": restPending},
			wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandRestore)}}},
		{name: "restore normal", req: restoreAG1, wantActed: []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": normal}, wantCmds: map[string][]cmdView{"AG-1": nil}},
		{name: "restore restoration pending", isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated},
			setup: act(restoreAG1), req: restoreAG1, wantActed: []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": restPending}, wantCmds: map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandRestore)}}},
		{name: "restore while the isolate is still queued cancels it", setup: act(isolateAG1), req: restoreAG1,
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": normal},
			wantCmds:   map[string][]cmdView{"AG-1": {{ID: "cmd-0001", Kind: fleet.CommandIsolate, State: fleet.CommandCancelled}}}},
		{name: "restore after the isolate was delivered queues a restore", setup: deliver(act(isolateAG1)), req: restoreAG1,
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": restPending},
			wantCmds: map[string][]cmdView{"AG-1": {{ID: "cmd-0001", Kind: fleet.CommandIsolate, State: fleet.CommandDelivered},
				queued("cmd-0002", fleet.CommandRestore)}}},

		// Relocate and uninstall.
		{name: "relocate", req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
			RelocateServerID: "srv-b", RelocateFolderPath: "Moved/Here"},
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": {fleet.StatusNormal, false, "SRV-B", "Moved/Here"}},
			wantCmds: map[string][]cmdView{"AG-1": {{ID: "cmd-0001", Kind: fleet.CommandRelocate, State: fleet.CommandQueued,
				Params: map[string]string{"server_id": "SRV-B", "folder_path": "Moved/Here"}}}}},
		{name: "relocate an isolated agent keeps it isolated", isolation: map[string]fleet.IsolationStatus{"AG-1": fleet.StatusIsolated},
			req: fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
				RelocateServerID: "SRV-B", RelocateFolderPath: "Moved"},
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": {fleet.StatusIsolated, false, "SRV-B", "Moved"}}},
		{name: "uninstall", req: fleet.ActRequest{Action: fleet.ActUninstall, Filter: fleet.AgentFilter{EntityID: "AG-1"}},
			wantActed:  []string{"AG-1"},
			wantAgents: map[string]agentState{"AG-1": {fleet.StatusNormal, true, "SRV-A", "Workgroup"}},
			wantCmds:   map[string][]cmdView{"AG-1": {queued("cmd-0001", fleet.CommandUninstall)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, tt.isolation)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := e.snapshot(t)
			e.clock.Advance(time.Minute)

			acted, err := e.svc.Act(ctx, tt.req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Act: err = %v, want %v", err, tt.wantErr)
				}
				if acted != nil {
					t.Errorf("Act returned agents %v with an error", agentIDs(acted))
				}
				if d := cmp.Diff(before, e.snapshot(t), cmpOpts); d != "" {
					t.Errorf("a refused action changed the fleet (-before +after):\n%s", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Act: %v", err)
			}
			if d := cmp.Diff(tt.wantActed, agentIDs(acted), cmpOpts); d != "" {
				t.Errorf("acted on (-want +got):\n%s", d)
			}
			// The agents returned are as stored right after.
			for _, a := range acted {
				if d := cmp.Diff(e.agent(t, a.EntityID), a, cmpOpts); d != "" {
					t.Errorf("returned agent %s differs from the stored one (-stored +returned):\n%s", a.EntityID, d)
				}
			}
			for id, want := range tt.wantAgents {
				if d := cmp.Diff(want, stateOf(e.agent(t, id))); d != "" {
					t.Errorf("agent %s (-want +got):\n%s", id, d)
				}
			}
			for id, want := range tt.wantCmds {
				if d := cmp.Diff(want, e.commands(t, id), cmpOpts); d != "" {
					t.Errorf("commands of %s (-want +got):\n%s", id, d)
				}
			}
		})
	}
}

// TestActCancelRecordsWhy checks what a cancelled command carries, and that
// the queued command's times come from the injected clock.
func TestActCancelRecordsWhy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	e.clock.Advance(30 * time.Second)
	e.act(t, fleet.ActRequest{Action: fleet.ActRestore, Filter: fleet.AgentFilter{EntityID: "AG-1"}})

	cmds, err := e.svc.Commands(ctx, "AG-1")
	if err != nil {
		t.Fatalf("Commands: %v", err)
	}
	want := []fleet.Command{{ID: "cmd-0001", AgentID: "AG-1", Kind: fleet.CommandIsolate, State: fleet.CommandCancelled,
		Message: "cancelled by a later restore", CreatedAt: t0, FinishedAt: t0.Add(30 * time.Second)}}
	if d := cmp.Diff(want, cmds, cmpOpts); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	// The agent gets nothing at its next check-in.
	if got := e.checkIn(t, "AG-1"); len(got) != 0 {
		t.Errorf("CheckIn after cancel = %v, want nothing", got)
	}
}

func agentIDs(agents []fleet.Agent) []string {
	var ids []string
	for _, a := range agents {
		ids = append(ids, a.EntityID)
	}
	return ids
}
