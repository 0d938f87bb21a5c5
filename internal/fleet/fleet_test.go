package fleet_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
)

// t0 is the test clock's start; the store keeps milliseconds.
var t0 = time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)

// clock is an injected clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// idSource hands out cmd-0001, cmd-0002, ... so command IDs are known.
type idSource struct {
	mu sync.Mutex
	n  int
}

func (s *idSource) Next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("cmd-%04d", s.n)
}

// env is a fleet Service over a fresh SQLite store with the fixture fleet.
type env struct {
	svc   *fleet.Service
	store fleet.Store
	clock *clock
}

var allCaps = []fleet.Capability{fleet.CapIsolate, fleet.CapRestore, fleet.CapRelocate, fleet.CapUninstall}

const (
	officescan = "SLF_PRODUCT_OFFICESCAN_CE"
	dsm        = "SLF_PRODUCT_HEADLESS_DSM"
)

// fixtureServers: SRV-A can deploy update sources, SRV-B cannot, SRV-DS
// runs another product.
func fixtureServers() []fleet.Server {
	return []fleet.Server{
		{EntityID: "SRV-A", Product: officescan, HostName: "apex-a", IPAddresses: []string{"10.1.0.10"},
			Capabilities: []fleet.Capability{fleet.CapDeployUpdateSources}},
		{EntityID: "SRV-B", Product: officescan, HostName: "apex-b", IPAddresses: []string{"10.2.0.10"}, Capabilities: []fleet.Capability{}},
		{EntityID: "SRV-DS", Product: dsm, HostName: "dsm01", IPAddresses: []string{"100.1.1.1"}, Capabilities: []fleet.Capability{}},
	}
}

// fixtureAgents: five agents of SRV-A (one without capabilities, one being
// uninstalled, one outside every test range), one of SRV-B, one of SRV-DS.
func fixtureAgents() []fleet.Agent {
	return []fleet.Agent{
		{EntityID: "AG-1", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Workgroup", HostName: "client01",
			IPAddresses: []string{"10.1.1.1"}, MACAddresses: []string{"00-60-59-A4-70-01"}, Capabilities: allCaps},
		{EntityID: "AG-2", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Workgroup", HostName: "client02",
			IPAddresses: []string{"10.1.1.2"}, MACAddresses: []string{"00-60-59-A4-70-02"}, Capabilities: allCaps},
		{EntityID: "AG-3", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Workgroup", HostName: "client03",
			IPAddresses: []string{"10.1.2.3", "2001:db8:1::3"}, MACAddresses: []string{"00-60-59-A4-70-03"}, Capabilities: allCaps},
		{EntityID: "AG-NOCAP", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Workgroup", HostName: "client04",
			IPAddresses: []string{"10.1.1.4"}, MACAddresses: []string{"00-60-59-A4-70-04"}, Capabilities: []fleet.Capability{}},
		{EntityID: "AG-UN", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Workgroup", HostName: "client05",
			IPAddresses: []string{"10.1.1.5"}, MACAddresses: []string{"00-60-59-A4-70-05"}, Capabilities: allCaps, Uninstalling: true},
		{EntityID: "AG-FAR", Product: officescan, ManagingServerID: "SRV-A", FolderPath: "Remote", HostName: "client06",
			IPAddresses: []string{"172.16.0.6"}, MACAddresses: []string{"00-60-59-A4-70-06"}, Capabilities: allCaps},
		{EntityID: "AG-B", Product: officescan, ManagingServerID: "SRV-B", FolderPath: "Workgroup", HostName: "client07",
			IPAddresses: []string{"10.1.1.7"}, MACAddresses: []string{"00-60-59-A4-70-07"}, Capabilities: allCaps},
		{EntityID: "AG-DS", Product: dsm, ManagingServerID: "SRV-DS", FolderPath: "iptlab", HostName: "host8",
			IPAddresses: []string{"100.1.1.10"}, MACAddresses: []string{"00-50-56-A7-69-10"}, Capabilities: []fleet.Capability{fleet.CapRelocate},
			Isolation: fleet.StatusIsolationNotSupport},
	}
}

// newEnv opens a store in a temporary directory and loads the fixture,
// with the agents' isolation states overridden by isolation.
func newEnv(t *testing.T, isolation map[string]fleet.IsolationStatus) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: t0}
	ids := &idSource{}
	e := &env{svc: fleet.NewService(st, clk.Now, ids.Next), store: st, clock: clk}
	for _, srv := range fixtureServers() {
		if err := e.svc.AddServer(ctx, srv); err != nil {
			t.Fatalf("AddServer %s: %v", srv.EntityID, err)
		}
	}
	for _, a := range fixtureAgents() {
		if st, ok := isolation[a.EntityID]; ok {
			a.Isolation = st
		}
		if err := e.svc.AddAgent(ctx, a); err != nil {
			t.Fatalf("AddAgent %s: %v", a.EntityID, err)
		}
	}
	return e
}

func (e *env) agent(t *testing.T, id string) fleet.Agent {
	t.Helper()
	a, err := e.svc.Agent(context.Background(), id)
	if err != nil {
		t.Fatalf("Agent %s: %v", id, err)
	}
	return a
}

func (e *env) act(t *testing.T, req fleet.ActRequest) []fleet.Agent {
	t.Helper()
	acted, err := e.svc.Act(context.Background(), req)
	if err != nil {
		t.Fatalf("Act(%+v): %v", req, err)
	}
	return acted
}

func (e *env) checkIn(t *testing.T, id string) []fleet.Command {
	t.Helper()
	cmds, err := e.svc.CheckIn(context.Background(), id)
	if err != nil {
		t.Fatalf("CheckIn %s: %v", id, err)
	}
	return cmds
}

// cmdView is a command without its times, for comparing queues.
type cmdView struct {
	ID     string
	Kind   fleet.CommandKind
	State  fleet.CommandState
	Params map[string]string
}

func (e *env) commands(t *testing.T, agentID string) []cmdView {
	t.Helper()
	cmds, err := e.svc.Commands(context.Background(), agentID)
	if err != nil {
		t.Fatalf("Commands %s: %v", agentID, err)
	}
	var out []cmdView
	for _, c := range cmds {
		out = append(out, cmdView{c.ID, c.Kind, c.State, c.Params})
	}
	return out
}

// snapshot is every agent and every command, to check that a refused
// request changed nothing.
type snapshot struct {
	Agents   []fleet.Agent
	Commands map[string][]fleet.Command
	Servers  []fleet.Server
}

func (e *env) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	agents, err := e.svc.Agents(ctx, fleet.AgentFilter{})
	if err != nil {
		t.Fatalf("Agents: %v", err)
	}
	servers, err := e.svc.Servers(ctx, fleet.ServerFilter{})
	if err != nil {
		t.Fatalf("Servers: %v", err)
	}
	s := snapshot{Agents: agents, Servers: servers, Commands: map[string][]fleet.Command{}}
	for _, a := range fixtureAgents() {
		cmds, err := e.svc.Commands(ctx, a.EntityID)
		if err != nil {
			t.Fatalf("Commands: %v", err)
		}
		s.Commands[a.EntityID] = cmds
	}
	return s
}

// cmpOpts treats nil and empty alike and compares addresses by value.
var cmpOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}
