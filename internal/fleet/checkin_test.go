package fleet_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/fleet"
)

func TestCheckInDeliversOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	e.act(t, fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
		RelocateServerID: "SRV-B", RelocateFolderPath: "Moved"})
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-2"}})

	e.clock.Advance(time.Minute)
	at := e.clock.Now()
	got := e.checkIn(t, "ag-1") // IDs are case-insensitive
	want := []fleet.Command{
		{ID: "cmd-0001", AgentID: "AG-1", Kind: fleet.CommandIsolate, State: fleet.CommandDelivered, CreatedAt: t0, DeliveredAt: at},
		{ID: "cmd-0002", AgentID: "AG-1", Kind: fleet.CommandRelocate, State: fleet.CommandDelivered, CreatedAt: t0, DeliveredAt: at,
			Params: map[string]string{"server_id": "SRV-B", "folder_path": "Moved"}},
	}
	if d := cmp.Diff(want, got, cmpOpts); d != "" {
		t.Errorf("first CheckIn (-want +got):\n%s", d)
	}
	stored, err := e.svc.Commands(ctx, "AG-1")
	if err != nil {
		t.Fatalf("Commands: %v", err)
	}
	if d := cmp.Diff(want, stored, cmpOpts); d != "" {
		t.Errorf("stored commands (-want +got):\n%s", d)
	}
	if a := e.agent(t, "AG-1"); !a.LastCheckIn.Equal(at) {
		t.Errorf("LastCheckIn = %v, want %v", a.LastCheckIn, at)
	}

	e.clock.Advance(fleet.DefaultRedeliverAfter - time.Millisecond)
	if got := e.checkIn(t, "AG-1"); len(got) != 0 {
		t.Errorf("second CheckIn = %+v, want nothing", got)
	}
	if a := e.agent(t, "AG-1"); !a.LastCheckIn.Equal(e.clock.Now()) {
		t.Errorf("LastCheckIn after second check-in = %v, want %v", a.LastCheckIn, e.clock.Now())
	}
	// Another agent's queue is its own.
	if d := cmp.Diff([]cmdView{{ID: "cmd-0003", Kind: fleet.CommandIsolate, State: fleet.CommandQueued}}, e.commands(t, "AG-2"), cmpOpts); d != "" {
		t.Errorf("AG-2's commands (-want +got):\n%s", d)
	}
	if got := e.checkIn(t, "AG-2"); len(got) != 1 || got[0].ID != "cmd-0003" {
		t.Errorf("AG-2's CheckIn = %+v, want cmd-0003", got)
	}

	if _, err := e.svc.CheckIn(ctx, "AG-NONE"); !errors.Is(err, fleet.ErrAgentNotFound) {
		t.Errorf("CheckIn of an unknown agent: err = %v, want ErrAgentNotFound", err)
	}
}

// TestCheckInRedelivers: a command delivered and never reported (its agent,
// or the replica it talked to, died) is delivered again once
// RedeliverAfter has passed, once per check-in that finds it overdue; the
// first report settles it and a late report of the other delivery is
// refused without changing anything.
func TestCheckInRedelivers(t *testing.T) {
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	first := e.checkIn(t, "AG-1")
	if len(first) != 1 {
		t.Fatalf("first delivery: %+v", first)
	}
	for _, c := range []struct {
		wait time.Duration
		want int
	}{
		{fleet.DefaultRedeliverAfter - time.Millisecond, 0}, // not overdue yet
		{time.Millisecond, 1},                               // overdue: delivered again
		{time.Second, 0},                                    // the new delivery is fresh
		{fleet.DefaultRedeliverAfter, 1},                    // overdue again
	} {
		e.clock.Advance(c.wait)
		got := e.checkIn(t, "AG-1")
		if len(got) != c.want {
			t.Fatalf("after %s more: %d commands, want %d: %+v", c.wait, len(got), c.want, got)
		}
		if c.want == 1 && (got[0].ID != first[0].ID || !got[0].DeliveredAt.Equal(e.clock.Now())) {
			t.Errorf("redelivery = %+v, want %s delivered now", got[0], first[0].ID)
		}
	}
	ctx := context.Background()
	if err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: first[0].ID, OK: true}}); err != nil {
		t.Fatalf("report: %v", err)
	}
	if a := e.agent(t, "AG-1"); a.Isolation != fleet.StatusIsolated {
		t.Errorf("after the report: %s, want isolated", a.Isolation)
	}
	if err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: first[0].ID, OK: false, Message: "late"}}); !errors.Is(err, fleet.ErrCommandNotDelivered) {
		t.Errorf("late second report: %v, want ErrCommandNotDelivered", err)
	}
	if a := e.agent(t, "AG-1"); a.Isolation != fleet.StatusIsolated {
		t.Errorf("after the late report: %s, want still isolated", a.Isolation)
	}
	e.clock.Advance(time.Hour)
	if got := e.checkIn(t, "AG-1"); len(got) != 0 {
		t.Errorf("a finished command was delivered again: %+v", got)
	}
}

func TestReportSettles(t *testing.T) {
	uaRange := fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: []fleet.UpdateSource{{
		Range: &fleet.AddrRange{From: netip.MustParseAddr("10.1.1.1"), To: netip.MustParseAddr("10.1.1.1")}, OUS: "http://ua1.example.com/"}}}
	on := func(action fleet.Action) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			e.act(t, fleet.ActRequest{Action: action, Filter: fleet.AgentFilter{EntityID: "AG-1"}, RelocateServerID: "SRV-B", RelocateFolderPath: "Moved"})
		}
	}
	deploy := func(t *testing.T, e *env) {
		if _, ok, err := e.svc.DeployUpdateSources(context.Background(), "SRV-A", uaRange); err != nil || !ok {
			t.Fatalf("DeployUpdateSources = %v, %v", ok, err)
		}
	}
	tests := []struct {
		name      string
		isolation fleet.IsolationStatus
		queue     func(*testing.T, *env)
		kind      fleet.CommandKind
		ok        bool
		want      *agentState // nil: the agent is gone
		wantOUS   string
	}{
		{"isolate done", fleet.StatusNormal, on(fleet.ActIsolate), fleet.CommandIsolate, true,
			&agentState{fleet.StatusIsolated, false, "SRV-A", "Workgroup"}, ""},
		{"isolate failed", fleet.StatusNormal, on(fleet.ActIsolate), fleet.CommandIsolate, false,
			&agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}, ""},
		{"restore done", fleet.StatusIsolated, on(fleet.ActRestore), fleet.CommandRestore, true,
			&agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}, ""},
		{"restore failed", fleet.StatusIsolated, on(fleet.ActRestore), fleet.CommandRestore, false,
			&agentState{fleet.StatusIsolated, false, "SRV-A", "Workgroup"}, ""},
		{"relocate done", fleet.StatusNormal, on(fleet.ActRelocate), fleet.CommandRelocate, true,
			&agentState{fleet.StatusNormal, false, "SRV-B", "Moved"}, ""},
		// The record moved when the relocate was accepted; a failure does not move it back.
		{"relocate failed", fleet.StatusNormal, on(fleet.ActRelocate), fleet.CommandRelocate, false,
			&agentState{fleet.StatusNormal, false, "SRV-B", "Moved"}, ""},
		{"uninstall done", fleet.StatusNormal, on(fleet.ActUninstall), fleet.CommandUninstall, true, nil, ""},
		{"uninstall failed", fleet.StatusNormal, on(fleet.ActUninstall), fleet.CommandUninstall, false,
			&agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}, ""},
		{"update source done", fleet.StatusNormal, deploy, fleet.CommandUpdateSource, true,
			&agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}, "http://ua1.example.com/"},
		{"update source failed", fleet.StatusNormal, deploy, fleet.CommandUpdateSource, false,
			&agentState{fleet.StatusNormal, false, "SRV-A", "Workgroup"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, map[string]fleet.IsolationStatus{"AG-1": tt.isolation})
			tt.queue(t, e)
			e.clock.Advance(time.Minute)
			delivered := e.checkIn(t, "AG-1")
			if len(delivered) != 1 || delivered[0].Kind != tt.kind {
				t.Fatalf("CheckIn = %+v, want one %s command", delivered, tt.kind)
			}
			e.clock.Advance(time.Minute)
			if err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: delivered[0].ID, OK: tt.ok, Message: "agent says so"}}); err != nil {
				t.Fatalf("Report: %v", err)
			}

			c, err := e.store.Command(ctx, delivered[0].ID)
			if err != nil {
				t.Fatalf("Command: %v", err)
			}
			want := delivered[0]
			want.State, want.Message, want.FinishedAt = fleet.CommandFailed, "agent says so", e.clock.Now()
			if tt.ok {
				want.State = fleet.CommandDone
			}
			if d := cmp.Diff(want, c, cmpOpts); d != "" {
				t.Errorf("command after report (-want +got):\n%s", d)
			}

			a, err := e.svc.Agent(ctx, "AG-1")
			if tt.want == nil {
				if !errors.Is(err, fleet.ErrAgentNotFound) {
					t.Fatalf("Agent after uninstall: err = %v, want ErrAgentNotFound", err)
				}
				agents, err := e.svc.Agents(ctx, fleet.AgentFilter{IPAddress: "10.1.1.1"})
				if err != nil || len(agents) != 0 {
					t.Errorf("uninstalled agent by ip = %v, %v; want none", agentIDs(agents), err)
				}
				if _, err := e.svc.CheckIn(ctx, "AG-1"); !errors.Is(err, fleet.ErrAgentNotFound) {
					t.Errorf("CheckIn after uninstall: err = %v, want ErrAgentNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Agent: %v", err)
			}
			if d := cmp.Diff(*tt.want, stateOf(a)); d != "" {
				t.Errorf("agent after report (-want +got):\n%s", d)
			}
			if a.UpdateSource != tt.wantOUS {
				t.Errorf("UpdateSource = %q, want %q", a.UpdateSource, tt.wantOUS)
			}
		})
	}
}

func TestReportRefuses(t *testing.T) {
	// Every case starts with AG-1's isolate (cmd-0001) and AG-2's isolate
	// (cmd-0002) delivered, and AG-1's relocate (cmd-0003) still queued.
	tests := []struct {
		name    string
		agent   string
		results []fleet.Result
		wantErr error
	}{
		{"another agent's command", "AG-2", []fleet.Result{{CommandID: "cmd-0001", OK: true}}, fleet.ErrCommandNotFound},
		{"unknown command", "AG-1", []fleet.Result{{CommandID: "cmd-9999", OK: true}}, fleet.ErrCommandNotFound},
		{"undelivered command", "AG-1", []fleet.Result{{CommandID: "cmd-0003", OK: true}}, fleet.ErrCommandNotDelivered},
		{"one bad result after a good one", "AG-1", []fleet.Result{{CommandID: "cmd-0001", OK: true}, {CommandID: "cmd-9999", OK: true}},
			fleet.ErrCommandNotFound},
		{"one bad result before a good one", "AG-1", []fleet.Result{{CommandID: "cmd-0003", OK: true}, {CommandID: "cmd-0001", OK: true}},
			fleet.ErrCommandNotDelivered},
		{"the same command twice", "AG-1", []fleet.Result{{CommandID: "cmd-0001", OK: true}, {CommandID: "cmd-0001", OK: false}},
			fleet.ErrCommandNotDelivered},
		{"an unknown reporter", "AG-NONE", []fleet.Result{{CommandID: "cmd-0001", OK: true}}, fleet.ErrCommandNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, nil)
			e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
			e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-2"}})
			e.checkIn(t, "AG-1")
			e.checkIn(t, "AG-2")
			e.act(t, fleet.ActRequest{Action: fleet.ActRelocate, Filter: fleet.AgentFilter{EntityID: "AG-1"},
				RelocateServerID: "SRV-B", RelocateFolderPath: "Moved"})
			before := e.snapshot(t)
			e.clock.Advance(time.Minute)

			err := e.svc.Report(ctx, tt.agent, tt.results)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Report: err = %v, want %v", err, tt.wantErr)
			}
			if d := cmp.Diff(before, e.snapshot(t), cmpOpts); d != "" {
				t.Errorf("a refused report changed the fleet (-before +after):\n%s", d)
			}
		})
	}
}

func TestReportTwice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	e.checkIn(t, "AG-1")
	if err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: "cmd-0001", OK: true}}); err != nil {
		t.Fatalf("first Report: %v", err)
	}
	err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: "cmd-0001", OK: false}})
	if !errors.Is(err, fleet.ErrCommandNotDelivered) {
		t.Fatalf("second Report: err = %v, want ErrCommandNotDelivered", err)
	}
	if a := e.agent(t, "AG-1"); a.Isolation != fleet.StatusIsolated {
		t.Errorf("isolation after a refused second report = %s, want isolated", a.Isolation)
	}
}

// TestReportAgentIDCase: an agent's ID is case-insensitive everywhere
// (check-in, lookups, filters), so its report is too.
func TestReportAgentIDCase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	e.checkIn(t, "ag-1")
	if err := e.svc.Report(ctx, "ag-1", []fleet.Result{{CommandID: "cmd-0001", OK: true}}); err != nil {
		t.Fatalf("Report in lower case: %v", err)
	}
	if a := e.agent(t, "AG-1"); a.Isolation != fleet.StatusIsolated {
		t.Errorf("isolation = %s, want isolated", a.Isolation)
	}
}

// TestReportAfterUninstallInSameReport: results that follow a successful
// uninstall in one report settle against an agent that is gone, which is
// not an error.
func TestReportAfterUninstallInSameReport(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.act(t, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	e.act(t, fleet.ActRequest{Action: fleet.ActUninstall, Filter: fleet.AgentFilter{EntityID: "AG-1"}})
	if got := e.checkIn(t, "AG-1"); len(got) != 2 {
		t.Fatalf("CheckIn = %d commands, want 2", len(got))
	}
	err := e.svc.Report(ctx, "AG-1", []fleet.Result{{CommandID: "cmd-0002", OK: true}, {CommandID: "cmd-0001", OK: true}})
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	if _, err := e.svc.Agent(ctx, "AG-1"); !errors.Is(err, fleet.ErrAgentNotFound) {
		t.Errorf("Agent after uninstall: err = %v, want ErrAgentNotFound", err)
	}
	for _, id := range []string{"cmd-0001", "cmd-0002"} {
		if c, err := e.store.Command(ctx, id); err != nil || c.State != fleet.CommandDone {
			t.Errorf("command %s = %s, %v; want done", id, c.State, err)
		}
	}
}
