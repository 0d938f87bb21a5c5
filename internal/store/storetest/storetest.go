// Package storetest is the conformance suite every storage engine must pass:
// it drives the fleet, identity, appliances and audit store interfaces as the domain
// packages do and checks what they promise (not-found errors, list order,
// case-insensitive keys, normalised address filters, compare-and-swap,
// transactions, concurrent writers). It tests behaviour only, never an
// engine's SQL, so SQLite and PostgreSQL run the same suite.
//
// It imports the domain packages and testing; an engine's test calls Run
// with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
)

// Store is what an engine must implement: every domain store.
type Store interface {
	fleet.Store
	identity.Store
	identity.AccessStore
	appliances.Store
	audit.Store
}

// Run runs the conformance suite. open must return a new, empty store for
// the given test and arrange (with t.Cleanup) for it to be closed.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Applications", func(t *testing.T) { testApplications(t, open) })
	t.Run("Servers", func(t *testing.T) { testServers(t, open) })
	t.Run("Agents", func(t *testing.T) { testAgents(t, open) })
	t.Run("Commands", func(t *testing.T) { testCommands(t, open) })
	t.Run("InTx", func(t *testing.T) { testInTx(t, open) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open) })
	t.Run("Access", func(t *testing.T) { testAccess(t, open) })
	t.Run("Appliances", func(t *testing.T) { testAppliances(t, open) })
	t.Run("Migrations", func(t *testing.T) { testMigrations(t, open) })
	t.Run("MigrationLeases", func(t *testing.T) { testMigrationLeases(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
}

// base is the suite's epoch; stores keep times to the millisecond.
var base = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

// cmpOpts compares domain values: addresses by value, nil and empty
// collections alike (an engine may return either).
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

func diff(want, got any) string { return cmp.Diff(want, got, cmpOpts) }

// ---------------------------------------------------------------------------
// Applications

func testApplications(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	app := func(id, name string, created time.Time) identity.SealedApplication {
		return identity.SealedApplication{ID: id, Name: name, SealedKey: []byte("sealed-" + id + "\x00\xff"),
			Enabled: true, Timeout: 60 * time.Second, CreatedAt: created}
	}

	t.Run("CRUD", func(t *testing.T) {
		s := open(t)
		a := app("5A2B1C3D-0000-4000-8000-000000000001", "first", base)
		if err := s.CreateApplication(ctx, a); err != nil {
			t.Fatalf("CreateApplication: %v", err)
		}
		got, err := s.Application(ctx, a.ID)
		if err != nil {
			t.Fatalf("Application: %v", err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("Application after create (-want +got):\n%s", d)
		}

		u := a
		u.Name, u.SealedKey, u.Enabled, u.Timeout = "renamed", []byte("another sealed key"), false, 1800*time.Second
		if err := s.UpdateApplication(ctx, u); err != nil {
			t.Fatalf("UpdateApplication: %v", err)
		}
		got, err = s.Application(ctx, a.ID)
		if err != nil {
			t.Fatalf("Application after update: %v", err)
		}
		if d := diff(u, got); d != "" {
			t.Errorf("Application after update (-want +got):\n%s", d)
		}

		if err := s.DeleteApplication(ctx, a.ID); err != nil {
			t.Fatalf("DeleteApplication: %v", err)
		}
		if _, err := s.Application(ctx, a.ID); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("Application after delete: err = %v, want ErrNotFound", err)
		}
		apps, err := s.Applications(ctx)
		if err != nil {
			t.Fatalf("Applications: %v", err)
		}
		if len(apps) != 0 {
			t.Errorf("Applications after delete = %d applications, want none", len(apps))
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		const id = "00000000-0000-4000-8000-00000000DEAD"
		if _, err := s.Application(ctx, id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("Application: err = %v, want ErrNotFound", err)
		}
		if err := s.UpdateApplication(ctx, app(id, "x", base)); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("UpdateApplication: err = %v, want ErrNotFound", err)
		}
		if err := s.DeleteApplication(ctx, id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("DeleteApplication: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Applications(ctx); err != nil {
			t.Errorf("Applications of an empty store: %v", err)
		}
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		a := app("5A2B1C3D-0000-4000-8000-000000000001", "first", base)
		if err := s.CreateApplication(ctx, a); err != nil {
			t.Fatalf("CreateApplication: %v", err)
		}
		dup := app(a.ID, "second", base.Add(time.Second))
		if err := s.CreateApplication(ctx, dup); err == nil {
			t.Fatal("CreateApplication with a taken ID succeeded")
		}
		got, err := s.Application(ctx, a.ID)
		if err != nil {
			t.Fatalf("Application: %v", err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("the first application changed (-want +got):\n%s", d)
		}
	})

	t.Run("OrderOldestFirst", func(t *testing.T) {
		s := open(t)
		// Inserted out of creation order, and out of ID order.
		apps := []identity.SealedApplication{
			app("CCCCCCCC-0000-4000-8000-000000000003", "created second", base.Add(2*time.Second)),
			app("AAAAAAAA-0000-4000-8000-000000000001", "created third", base.Add(3*time.Second)),
			app("BBBBBBBB-0000-4000-8000-000000000002", "created first", base.Add(1*time.Second)),
		}
		for _, a := range apps {
			if err := s.CreateApplication(ctx, a); err != nil {
				t.Fatalf("CreateApplication %s: %v", a.ID, err)
			}
		}
		got, err := s.Applications(ctx)
		if err != nil {
			t.Fatalf("Applications: %v", err)
		}
		want := []identity.SealedApplication{apps[2], apps[0], apps[1]}
		if d := diff(want, got); d != "" {
			t.Errorf("Applications (-want +got):\n%s", d)
		}
	})
}

// ---------------------------------------------------------------------------
// Servers

func testServers(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	servers := []fleet.Server{
		{EntityID: "SRV-C-0001", Product: "SLF_PRODUCT_OFFICESCAN_CE", ADDomain: "corp", HostName: "ApexOne-C",
			IPAddresses: []string{"10.0.0.3", "2001:DB8:0:0:0:0:0:C"}, MACAddresses: []string{"00-0C-29-00-00-0C"},
			Capabilities: []fleet.Capability{fleet.CapDeployUpdateSources}},
		{EntityID: "SRV-A-0001", Product: "SLF_PRODUCT_OFFICESCAN_CE", HostName: "ApexOne-A",
			IPAddresses: []string{"10.0.0.1", "192.168.1.1"}, MACAddresses: []string{"00:0c:29:00:00:0a"},
			Capabilities: []fleet.Capability{}},
		{EntityID: "SRV-B-0001", Product: "SLF_PRODUCT_HEADLESS_DSM", HostName: "dsm01",
			IPAddresses: []string{"100.1.1.1"}, MACAddresses: []string{"00-50-56-A7-69-01"},
			Capabilities: []fleet.Capability{}},
	}
	seed := func(t *testing.T) Store {
		s := open(t)
		for _, srv := range servers {
			if err := s.InsertServer(ctx, srv); err != nil {
				t.Fatalf("InsertServer %s: %v", srv.EntityID, err)
			}
		}
		return s
	}

	t.Run("InsertGet", func(t *testing.T) {
		s := seed(t)
		for _, id := range []string{"SRV-A-0001", "srv-a-0001", "  Srv-A-0001 "} {
			got, err := s.Server(ctx, id)
			if err != nil {
				t.Fatalf("Server(%q): %v", id, err)
			}
			if d := diff(servers[1], got); d != "" {
				t.Errorf("Server(%q) (-want +got):\n%s", id, d)
			}
		}
		if _, err := s.Server(ctx, "no-such-server"); !errors.Is(err, fleet.ErrServerNotFound) {
			t.Errorf("Server of a missing ID: err = %v, want ErrServerNotFound", err)
		}
	})

	t.Run("InsertWithUpdateSources", func(t *testing.T) {
		s := open(t)
		srv := servers[0]
		settings := sampleSettings()
		srv.UpdateSources = &settings
		if err := s.InsertServer(ctx, srv); err != nil {
			t.Fatalf("InsertServer: %v", err)
		}
		got, err := s.Server(ctx, srv.EntityID)
		if err != nil {
			t.Fatalf("Server: %v", err)
		}
		if d := diff(srv, got); d != "" {
			t.Errorf("Server (-want +got):\n%s", d)
		}
	})

	t.Run("DuplicateEntityID", func(t *testing.T) {
		s := seed(t)
		dup := servers[1]
		dup.EntityID, dup.HostName, dup.IPAddresses = "srv-a-0001", "other", []string{"172.16.0.9"}
		if err := s.InsertServer(ctx, dup); err == nil {
			t.Fatal("InsertServer of a taken entity ID (other case) succeeded")
		}
		got, err := s.Servers(ctx, fleet.ServerFilter{IPAddress: "172.16.0.9"}.Normalize())
		if err != nil {
			t.Fatalf("Servers: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("the refused server's address matches %d servers, want none", len(got))
		}
	})

	t.Run("List", func(t *testing.T) {
		s := seed(t)
		tests := []struct {
			name   string
			filter fleet.ServerFilter
			want   []string
		}{
			{"all, insertion order", fleet.ServerFilter{}, []string{"SRV-C-0001", "SRV-A-0001", "SRV-B-0001"}},
			{"entity id any case", fleet.ServerFilter{EntityID: "srv-b-0001"}, []string{"SRV-B-0001"}},
			{"host any case", fleet.ServerFilter{HostName: "APEXONE-A"}, []string{"SRV-A-0001"}},
			{"product any case", fleet.ServerFilter{Product: "slf_product_officescan_ce"}, []string{"SRV-C-0001", "SRV-A-0001"}},
			{"ip first of list", fleet.ServerFilter{IPAddress: "10.0.0.1"}, []string{"SRV-A-0001"}},
			{"ip second of list", fleet.ServerFilter{IPAddress: "192.168.1.1"}, []string{"SRV-A-0001"}},
			{"ipv6 compressed matches expanded", fleet.ServerFilter{IPAddress: "2001:db8::c"}, []string{"SRV-C-0001"}},
			{"ipv6 expanded upper case", fleet.ServerFilter{IPAddress: "2001:0DB8:0000::000C"}, []string{"SRV-C-0001"}},
			{"ip prefix of another does not match", fleet.ServerFilter{IPAddress: "10.0.0"}, nil},
			{"malformed ip matches nothing", fleet.ServerFilter{IPAddress: "not-an-ip"}, nil},
			{"mac dashes", fleet.ServerFilter{MACAddress: "00-0C-29-00-00-0A"}, []string{"SRV-A-0001"}},
			{"mac colons lower (stored with colons)", fleet.ServerFilter{MACAddress: "00:0c:29:00:00:0a"}, []string{"SRV-A-0001"}},
			{"mac bare hex", fleet.ServerFilter{MACAddress: "000c2900000c"}, []string{"SRV-C-0001"}},
			{"mac dotted", fleet.ServerFilter{MACAddress: "0050.56a7.6901"}, []string{"SRV-B-0001"}},
			{"product and ip", fleet.ServerFilter{Product: "SLF_PRODUCT_OFFICESCAN_CE", IPAddress: "10.0.0.3"}, []string{"SRV-C-0001"}},
			{"product and other server's ip", fleet.ServerFilter{Product: "SLF_PRODUCT_HEADLESS_DSM", IPAddress: "10.0.0.3"}, nil},
			{"host and mac", fleet.ServerFilter{HostName: "dsm01", MACAddress: "00-50-56-a7-69-01"}, []string{"SRV-B-0001"}},
			{"no match", fleet.ServerFilter{EntityID: "nobody"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Servers(ctx, tt.filter.Normalize())
				if err != nil {
					t.Fatalf("Servers: %v", err)
				}
				if d := diff(tt.want, serverIDs(got)); d != "" {
					t.Errorf("Servers(%+v) (-want +got):\n%s", tt.filter, d)
				}
			})
		}
	})

	t.Run("SetUpdateSources", func(t *testing.T) {
		s := seed(t)
		got, err := s.Server(ctx, "SRV-A-0001")
		if err != nil {
			t.Fatalf("Server: %v", err)
		}
		if got.UpdateSources != nil {
			t.Errorf("UpdateSources of a new server = %+v, want nil", got.UpdateSources)
		}

		first := sampleSettings()
		second := fleet.UpdateSourceSettings{UpdateProgramFromServerIfOUSFailed: true}
		for _, settings := range []fleet.UpdateSourceSettings{first, second} {
			if err := s.SetServerUpdateSources(ctx, "srv-a-0001", settings); err != nil {
				t.Fatalf("SetServerUpdateSources: %v", err)
			}
			got, err := s.Server(ctx, "SRV-A-0001")
			if err != nil {
				t.Fatalf("Server: %v", err)
			}
			if got.UpdateSources == nil {
				t.Fatal("UpdateSources = nil after SetServerUpdateSources")
			}
			if d := diff(settings, *got.UpdateSources); d != "" {
				t.Errorf("UpdateSources (-want +got):\n%s", d)
			}
		}
		// The other servers are untouched.
		other, err := s.Server(ctx, "SRV-C-0001")
		if err != nil {
			t.Fatalf("Server: %v", err)
		}
		if other.UpdateSources != nil {
			t.Errorf("another server's UpdateSources = %+v, want nil", other.UpdateSources)
		}

		if err := s.SetServerUpdateSources(ctx, "no-such-server", first); !errors.Is(err, fleet.ErrServerNotFound) {
			t.Errorf("SetServerUpdateSources of a missing server: err = %v, want ErrServerNotFound", err)
		}
	})
}

// sampleSettings has an IPv4 range and an IPv6 prefix, and every flag set.
func sampleSettings() fleet.UpdateSourceSettings {
	prefix := netip.MustParsePrefix("2001:db8:1::/48")
	return fleet.UpdateSourceSettings{
		AllowUpdateFromOtherAU:               true,
		UpdateComponentFromServerIfOUSFailed: true,
		UpdateSettingFromServerIfOUSFailed:   true,
		UpdateProgramFromServerIfOUSFailed:   true,
		Sources: []fleet.UpdateSource{
			{Range: &fleet.AddrRange{From: netip.MustParseAddr("10.1.1.1"), To: netip.MustParseAddr("10.1.1.254")},
				OUS: "http://ua01.example.com:8080/update"},
			{Prefix: &prefix, OUS: "https://[2001:db8::5]/au"},
		},
	}
}

func serverIDs(servers []fleet.Server) []string {
	var ids []string
	for _, s := range servers {
		ids = append(ids, s.EntityID)
	}
	return ids
}

// ---------------------------------------------------------------------------
// Agents

func testAgents(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	allCaps := []fleet.Capability{fleet.CapIsolate, fleet.CapRestore, fleet.CapRelocate, fleet.CapUninstall}
	agents := []fleet.Agent{
		{EntityID: "AGENT-C", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1", ADDomain: "corp",
			FolderPath: "Workgroup", IPAddresses: []string{"10.1.1.3", "FE80:0:0:0:0:0:0:3"}, MACAddresses: []string{"00-60-59-A4-70-03"},
			HostName: "client03", Isolation: fleet.StatusNormal, Capabilities: allCaps, LastCheckIn: base},
		{EntityID: "AGENT-A", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1",
			FolderPath: "Workgroup", IPAddresses: []string{"10.1.1.1", "192.168.0.1"}, MACAddresses: []string{"00-60-59-A4-70-01", "00-60-59-A4-70-11"},
			HostName: "client01", Isolation: fleet.StatusIsolated, Capabilities: allCaps, UpdateSource: "http://ua.example.com/"},
		{EntityID: "AGENT-B", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "srv-2",
			FolderPath: "Other", IPAddresses: []string{"10.1.1.2"}, MACAddresses: []string{"00-60-59-A4-70-02"},
			HostName: "client02", Isolation: fleet.StatusIsolationPending, Capabilities: []fleet.Capability{fleet.CapIsolate}},
		{EntityID: "AGENT-D", Product: "SLF_PRODUCT_HEADLESS_DSM", ManagingServerID: "SRV-3",
			FolderPath: "iptlab", IPAddresses: []string{"100.1.1.10"}, MACAddresses: []string{"00-50-56-A7-69-10"},
			HostName: "host8", Isolation: fleet.StatusIsolationNotSupport, Capabilities: []fleet.Capability{}, Uninstalling: true},
		{EntityID: "AGENT-E", Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1",
			FolderPath: "Workgroup", IPAddresses: []string{"10.1.1.5"}, MACAddresses: []string{"00-60-59-A4-70-05"},
			HostName: "Client01", Isolation: fleet.StatusRestorationPending, Capabilities: allCaps},
	}
	seed := func(t *testing.T) Store {
		s := open(t)
		for _, a := range agents {
			if err := s.InsertAgent(ctx, a); err != nil {
				t.Fatalf("InsertAgent %s: %v", a.EntityID, err)
			}
		}
		return s
	}
	list := func(t *testing.T, s fleet.Store, f fleet.AgentFilter) []string {
		t.Helper()
		got, err := s.Agents(ctx, f.Normalize())
		if err != nil {
			t.Fatalf("Agents(%+v): %v", f, err)
		}
		return agentIDs(got)
	}

	t.Run("InsertGet", func(t *testing.T) {
		s := seed(t)
		for _, a := range agents {
			got, err := s.Agent(ctx, a.EntityID)
			if err != nil {
				t.Fatalf("Agent(%s): %v", a.EntityID, err)
			}
			if d := diff(a, got); d != "" {
				t.Errorf("Agent(%s) (-want +got):\n%s", a.EntityID, d)
			}
		}
		got, err := s.Agent(ctx, " agent-c ")
		if err != nil {
			t.Fatalf("Agent in lower case: %v", err)
		}
		if d := diff(agents[0], got); d != "" {
			t.Errorf("Agent in lower case (-want +got):\n%s", d)
		}
		if _, err := s.Agent(ctx, "no-such-agent"); !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Errorf("Agent of a missing ID: err = %v, want ErrAgentNotFound", err)
		}
	})

	t.Run("DuplicateEntityID", func(t *testing.T) {
		s := seed(t)
		dup := agents[1]
		dup.EntityID, dup.HostName, dup.IPAddresses, dup.MACAddresses = "agent-a", "intruder", []string{"172.16.9.9"}, []string{"00-11-22-33-44-55"}
		if err := s.InsertAgent(ctx, dup); err == nil {
			t.Fatal("InsertAgent of a taken entity ID (other case) succeeded")
		}
		got, err := s.Agent(ctx, "AGENT-A")
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		if d := diff(agents[1], got); d != "" {
			t.Errorf("the first agent changed (-want +got):\n%s", d)
		}
		if ids := list(t, s, fleet.AgentFilter{IPAddress: "172.16.9.9"}); len(ids) != 0 {
			t.Errorf("the refused agent's IP matches %v, want nothing", ids)
		}
		if ids := list(t, s, fleet.AgentFilter{MACAddress: "00-11-22-33-44-55"}); len(ids) != 0 {
			t.Errorf("the refused agent's MAC matches %v, want nothing", ids)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := seed(t)
		tests := []struct {
			name   string
			filter fleet.AgentFilter
			want   []string
		}{
			{"all, insertion order", fleet.AgentFilter{}, []string{"AGENT-C", "AGENT-A", "AGENT-B", "AGENT-D", "AGENT-E"}},
			{"entity id any case", fleet.AgentFilter{EntityID: "agent-b"}, []string{"AGENT-B"}},
			{"host any case matches two", fleet.AgentFilter{HostName: "CLIENT01"}, []string{"AGENT-A", "AGENT-E"}},
			{"product any case", fleet.AgentFilter{Product: "slf_product_headless_dsm"}, []string{"AGENT-D"}},
			{"managing server any case", fleet.AgentFilter{ManagingServerID: "srv-1"}, []string{"AGENT-C", "AGENT-A", "AGENT-E"}},
			{"managing server stored lower case", fleet.AgentFilter{ManagingServerID: "SRV-2"}, []string{"AGENT-B"}},
			{"ip first of list", fleet.AgentFilter{IPAddress: "10.1.1.1"}, []string{"AGENT-A"}},
			{"ip second of list", fleet.AgentFilter{IPAddress: "192.168.0.1"}, []string{"AGENT-A"}},
			{"ip with spaces", fleet.AgentFilter{IPAddress: " 10.1.1.2 "}, []string{"AGENT-B"}},
			{"ipv6 compressed matches expanded", fleet.AgentFilter{IPAddress: "fe80::3"}, []string{"AGENT-C"}},
			{"ip not of a whole address", fleet.AgentFilter{IPAddress: "10.1.1"}, nil},
			{"malformed ip matches nothing", fleet.AgentFilter{IPAddress: "10.1.1.300"}, nil},
			{"mac dashes", fleet.AgentFilter{MACAddress: "00-60-59-A4-70-02"}, []string{"AGENT-B"}},
			{"mac second of list, colons lower", fleet.AgentFilter{MACAddress: "00:60:59:a4:70:11"}, []string{"AGENT-A"}},
			{"mac bare hex", fleet.AgentFilter{MACAddress: "005056a76910"}, []string{"AGENT-D"}},
			{"product and server", fleet.AgentFilter{Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-2"}, []string{"AGENT-B"}},
			{"host and ip", fleet.AgentFilter{HostName: "client01", IPAddress: "10.1.1.5"}, []string{"AGENT-E"}},
			{"host and other agent's ip", fleet.AgentFilter{HostName: "client01", IPAddress: "10.1.1.2"}, nil},
			{"ip and mac of the same agent", fleet.AgentFilter{IPAddress: "192.168.0.1", MACAddress: "00-60-59-A4-70-01"}, []string{"AGENT-A"}},
			{"ip and mac of different agents", fleet.AgentFilter{IPAddress: "192.168.0.1", MACAddress: "00-60-59-A4-70-02"}, nil},
			{"every field", fleet.AgentFilter{EntityID: "Agent-C", IPAddress: "10.1.1.3", MACAddress: "00-60-59-a4-70-03",
				HostName: "CLIENT03", Product: "slf_product_officescan_ce", ManagingServerID: "srv-1"}, []string{"AGENT-C"}},
			{"no match", fleet.AgentFilter{EntityID: "nobody"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if d := diff(tt.want, list(t, s, tt.filter)); d != "" {
					t.Errorf("Agents(%+v) (-want +got):\n%s", tt.filter, d)
				}
			})
		}
	})

	t.Run("OrderStable", func(t *testing.T) {
		s := open(t)
		// Entity IDs out of alphabetical order: the list keeps insertion order.
		var want []string
		for i := range 12 {
			a := fleet.Agent{EntityID: fmt.Sprintf("%02d-agent", (i*7)%12), HostName: "h", Product: "p",
				ManagingServerID: "srv", Isolation: fleet.StatusNormal}
			if err := s.InsertAgent(ctx, a); err != nil {
				t.Fatalf("InsertAgent: %v", err)
			}
			want = append(want, a.EntityID)
		}
		// An update does not move an agent in the list.
		a, err := s.Agent(ctx, want[0])
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		a.Isolation = fleet.StatusIsolated
		if err := s.UpdateAgent(ctx, a); err != nil {
			t.Fatalf("UpdateAgent: %v", err)
		}
		if err := s.TouchAgent(ctx, want[1], base); err != nil {
			t.Fatalf("TouchAgent: %v", err)
		}
		for range 3 {
			if d := diff(want, list(t, s, fleet.AgentFilter{})); d != "" {
				t.Fatalf("Agents (-want +got):\n%s", d)
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := seed(t)
		a, err := s.Agent(ctx, "AGENT-C")
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		a.ManagingServerID, a.FolderPath = "SRV-9", "Moved/Here"
		a.Isolation, a.UpdateSource, a.Uninstalling = fleet.StatusRestorationPending, "https://ua9.example.com/", true
		if err := s.UpdateAgent(ctx, a); err != nil {
			t.Fatalf("UpdateAgent: %v", err)
		}
		got, err := s.Agent(ctx, "agent-c")
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("Agent after update (-want +got):\n%s", d)
		}
		// Filters by managing server follow the update.
		if d := diff([]string{"AGENT-A", "AGENT-E"}, list(t, s, fleet.AgentFilter{ManagingServerID: "SRV-1"})); d != "" {
			t.Errorf("agents of the old server (-want +got):\n%s", d)
		}
		if d := diff([]string{"AGENT-C"}, list(t, s, fleet.AgentFilter{ManagingServerID: "srv-9"})); d != "" {
			t.Errorf("agents of the new server (-want +got):\n%s", d)
		}
		// Addresses still match.
		if d := diff([]string{"AGENT-C"}, list(t, s, fleet.AgentFilter{IPAddress: "fe80::3"})); d != "" {
			t.Errorf("agents by ip after update (-want +got):\n%s", d)
		}
		// Back again, clearing every flag.
		a.ManagingServerID, a.FolderPath, a.Isolation, a.UpdateSource, a.Uninstalling = "SRV-1", "Workgroup", fleet.StatusNormal, "", false
		if err := s.UpdateAgent(ctx, a); err != nil {
			t.Fatalf("UpdateAgent: %v", err)
		}
		got, err = s.Agent(ctx, "AGENT-C")
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		if d := diff(a, got); d != "" {
			t.Errorf("Agent after second update (-want +got):\n%s", d)
		}

		missing := agents[0]
		missing.EntityID = "no-such-agent"
		if err := s.UpdateAgent(ctx, missing); !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Errorf("UpdateAgent of a missing agent: err = %v, want ErrAgentNotFound", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := seed(t)
		if err := s.DeleteAgent(ctx, "agent-a"); err != nil {
			t.Fatalf("DeleteAgent: %v", err)
		}
		if _, err := s.Agent(ctx, "AGENT-A"); !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Errorf("Agent after delete: err = %v, want ErrAgentNotFound", err)
		}
		for _, f := range []fleet.AgentFilter{{IPAddress: "10.1.1.1"}, {IPAddress: "192.168.0.1"}, {MACAddress: "00-60-59-A4-70-11"}, {EntityID: "AGENT-A"}} {
			if ids := list(t, s, f); len(ids) != 0 {
				t.Errorf("Agents(%+v) after delete = %v, want none", f, ids)
			}
		}
		if d := diff([]string{"AGENT-C", "AGENT-B", "AGENT-D", "AGENT-E"}, list(t, s, fleet.AgentFilter{})); d != "" {
			t.Errorf("Agents after delete (-want +got):\n%s", d)
		}
		if err := s.DeleteAgent(ctx, "AGENT-A"); !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Errorf("second DeleteAgent: err = %v, want ErrAgentNotFound", err)
		}
		// The same agent can register again, with other addresses.
		again := agents[1]
		again.IPAddresses = []string{"10.9.9.9"}
		if err := s.InsertAgent(ctx, again); err != nil {
			t.Fatalf("InsertAgent after delete: %v", err)
		}
		if ids := list(t, s, fleet.AgentFilter{IPAddress: "10.1.1.1"}); len(ids) != 0 {
			t.Errorf("the deleted agent's old IP matches %v, want none", ids)
		}
		if d := diff([]string{"AGENT-A"}, list(t, s, fleet.AgentFilter{IPAddress: "10.9.9.9"})); d != "" {
			t.Errorf("re-registered agent by its new IP (-want +got):\n%s", d)
		}
	})

	t.Run("Touch", func(t *testing.T) {
		s := seed(t)
		at := base.Add(90 * time.Minute)
		if err := s.TouchAgent(ctx, "agent-b", at); err != nil {
			t.Fatalf("TouchAgent: %v", err)
		}
		got, err := s.Agent(ctx, "AGENT-B")
		if err != nil {
			t.Fatalf("Agent: %v", err)
		}
		want := agents[2]
		want.LastCheckIn = at
		if d := diff(want, got); d != "" {
			t.Errorf("Agent after touch (-want +got):\n%s", d)
		}
		if !got.LastCheckIn.Equal(at) {
			t.Errorf("LastCheckIn = %v, want %v", got.LastCheckIn, at)
		}
		if err := s.TouchAgent(ctx, "no-such-agent", at); !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Errorf("TouchAgent of a missing agent: err = %v, want ErrAgentNotFound", err)
		}
	})
}

func agentIDs(agents []fleet.Agent) []string {
	var ids []string
	for _, a := range agents {
		ids = append(ids, a.EntityID)
	}
	return ids
}

// ---------------------------------------------------------------------------
// Commands

func testCommands(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	cmd := func(id, agent string, kind fleet.CommandKind, state fleet.CommandState, created time.Time) fleet.Command {
		return fleet.Command{ID: id, AgentID: agent, Kind: kind, State: state, CreatedAt: created}
	}

	t.Run("InsertGet", func(t *testing.T) {
		s := open(t)
		cmds := []fleet.Command{
			{ID: "cmd-1", AgentID: "AGENT-1", Kind: fleet.CommandRelocate, State: fleet.CommandQueued, CreatedAt: base,
				Params: map[string]string{"server_id": "SRV-2", "folder_path": "New Folder/Ü"}},
			{ID: "cmd-2", AgentID: "AGENT-1", Kind: fleet.CommandUpdateSource, State: fleet.CommandDone, Message: "applied, \"ok\"",
				Params: map[string]string{"ous": ""}, CreatedAt: base, DeliveredAt: base.Add(time.Second), FinishedAt: base.Add(2 * time.Second)},
			{ID: "cmd-3", AgentID: "AGENT-2", Kind: fleet.CommandIsolate, State: fleet.CommandQueued, CreatedAt: base},
		}
		for _, c := range cmds {
			if err := s.InsertCommand(ctx, c); err != nil {
				t.Fatalf("InsertCommand %s: %v", c.ID, err)
			}
		}
		for _, c := range cmds {
			got, err := s.Command(ctx, c.ID)
			if err != nil {
				t.Fatalf("Command %s: %v", c.ID, err)
			}
			if d := diff(c, got); d != "" {
				t.Errorf("Command %s (-want +got):\n%s", c.ID, d)
			}
		}
		if _, err := s.Command(ctx, "no-such-command"); !errors.Is(err, fleet.ErrCommandNotFound) {
			t.Errorf("Command of a missing ID: err = %v, want ErrCommandNotFound", err)
		}
		if err := s.InsertCommand(ctx, cmd("cmd-1", "AGENT-9", fleet.CommandIsolate, fleet.CommandQueued, base)); err == nil {
			t.Error("InsertCommand with a taken ID succeeded")
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		// Inserted out of creation order.
		cmds := []fleet.Command{
			cmd("c-late", "AGENT-1", fleet.CommandRestore, fleet.CommandQueued, base.Add(3*time.Second)),
			cmd("c-early", "AGENT-1", fleet.CommandIsolate, fleet.CommandDone, base.Add(1*time.Second)),
			cmd("c-mid", "AGENT-1", fleet.CommandIsolate, fleet.CommandDelivered, base.Add(2*time.Second)),
			cmd("c-other", "AGENT-2", fleet.CommandIsolate, fleet.CommandQueued, base),
			cmd("c-last", "agent-1", fleet.CommandUninstall, fleet.CommandCancelled, base.Add(4*time.Second)),
		}
		for _, c := range cmds {
			if err := s.InsertCommand(ctx, c); err != nil {
				t.Fatalf("InsertCommand %s: %v", c.ID, err)
			}
		}
		tests := []struct {
			name   string
			agent  string
			states []fleet.CommandState
			want   []string
		}{
			{"all states, oldest first", "AGENT-1", nil, []string{"c-early", "c-mid", "c-late", "c-last"}},
			{"agent id any case", "Agent-1", nil, []string{"c-early", "c-mid", "c-late", "c-last"}},
			{"one state", "AGENT-1", []fleet.CommandState{fleet.CommandQueued}, []string{"c-late"}},
			{"two states", "AGENT-1", []fleet.CommandState{fleet.CommandCancelled, fleet.CommandDelivered}, []string{"c-mid", "c-last"}},
			{"state with no command", "AGENT-1", []fleet.CommandState{fleet.CommandFailed}, nil},
			{"other agent", "AGENT-2", nil, []string{"c-other"}},
			{"agent without commands", "AGENT-3", nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Commands(ctx, tt.agent, tt.states...)
				if err != nil {
					t.Fatalf("Commands: %v", err)
				}
				if d := diff(tt.want, commandIDs(got)); d != "" {
					t.Errorf("Commands(%s, %v) (-want +got):\n%s", tt.agent, tt.states, d)
				}
			})
		}
	})

	t.Run("SetStateCAS", func(t *testing.T) {
		s := open(t)
		c := cmd("cmd-1", "AGENT-1", fleet.CommandIsolate, fleet.CommandQueued, base)
		if err := s.InsertCommand(ctx, c); err != nil {
			t.Fatalf("InsertCommand: %v", err)
		}

		delivered := c
		delivered.State, delivered.DeliveredAt = fleet.CommandDelivered, base.Add(time.Second)
		ok, err := s.SetCommandState(ctx, delivered, fleet.CommandQueued)
		if err != nil || !ok {
			t.Fatalf("SetCommandState queued→delivered = %v, %v; want true, nil", ok, err)
		}
		got, err := s.Command(ctx, c.ID)
		if err != nil {
			t.Fatalf("Command: %v", err)
		}
		if d := diff(delivered, got); d != "" {
			t.Errorf("Command after CAS (-want +got):\n%s", d)
		}

		// A second move from queued loses: the row is left as it was.
		cancelled := c
		cancelled.State, cancelled.Message, cancelled.FinishedAt = fleet.CommandCancelled, "too late", base.Add(5*time.Second)
		ok, err = s.SetCommandState(ctx, cancelled, fleet.CommandQueued)
		if err != nil || ok {
			t.Fatalf("SetCommandState from a stale state = %v, %v; want false, nil", ok, err)
		}
		got, err = s.Command(ctx, c.ID)
		if err != nil {
			t.Fatalf("Command: %v", err)
		}
		if d := diff(delivered, got); d != "" {
			t.Errorf("Command after a lost CAS (-want +got):\n%s", d)
		}

		done := delivered
		done.State, done.Message, done.FinishedAt = fleet.CommandDone, "isolated", base.Add(3*time.Second)
		ok, err = s.SetCommandState(ctx, done, fleet.CommandDelivered)
		if err != nil || !ok {
			t.Fatalf("SetCommandState delivered→done = %v, %v; want true, nil", ok, err)
		}
		got, err = s.Command(ctx, c.ID)
		if err != nil {
			t.Fatalf("Command: %v", err)
		}
		if d := diff(done, got); d != "" {
			t.Errorf("Command after done (-want +got):\n%s", d)
		}

		missing := c
		missing.ID = "no-such-command"
		if ok, err := s.SetCommandState(ctx, missing, fleet.CommandQueued); ok || err != nil {
			t.Errorf("SetCommandState of a missing command = %v, %v; want false, nil", ok, err)
		}
	})
}

func commandIDs(cmds []fleet.Command) []string {
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.ID)
	}
	return ids
}

// ---------------------------------------------------------------------------
// Transactions

var errAbort = errors.New("storetest: abort the transaction")

func testInTx(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	agent := func(id, ip string) fleet.Agent {
		return fleet.Agent{EntityID: id, HostName: "host-" + id, Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1",
			IPAddresses: []string{ip}, MACAddresses: []string{}, Isolation: fleet.StatusNormal, Capabilities: []fleet.Capability{fleet.CapIsolate}}
	}
	command := func(id, agentID string) fleet.Command {
		return fleet.Command{ID: id, AgentID: agentID, Kind: fleet.CommandIsolate, State: fleet.CommandQueued, CreatedAt: base}
	}
	// exists reports whether the agent and the command are in s.
	exists := func(t *testing.T, s fleet.Store, agentID, cmdID string) (agentThere, cmdThere bool) {
		t.Helper()
		_, err := s.Agent(ctx, agentID)
		if err != nil && !errors.Is(err, fleet.ErrAgentNotFound) {
			t.Fatalf("Agent: %v", err)
		}
		agentThere = err == nil
		_, err = s.Command(ctx, cmdID)
		if err != nil && !errors.Is(err, fleet.ErrCommandNotFound) {
			t.Fatalf("Command: %v", err)
		}
		return agentThere, err == nil
	}

	t.Run("CommitsOnNil", func(t *testing.T) {
		s := open(t)
		err := s.InTx(ctx, func(tx fleet.Store) error {
			if err := tx.InsertAgent(ctx, agent("AG-1", "10.0.0.1")); err != nil {
				return err
			}
			if err := tx.InsertCommand(ctx, command("cmd-1", "AG-1")); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if _, err := tx.Agent(ctx, "AG-1"); err != nil {
				return fmt.Errorf("reading own agent: %w", err)
			}
			got, err := tx.Agents(ctx, fleet.AgentFilter{IPAddress: "10.0.0.1"}.Normalize())
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("own agent by ip: %d agents, want 1", len(got))
			}
			if cmds, err := tx.Commands(ctx, "AG-1", fleet.CommandQueued); err != nil || len(cmds) != 1 {
				return fmt.Errorf("own commands: %d, %v; want 1", len(cmds), err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		if a, c := exists(t, s, "AG-1", "cmd-1"); !a || !c {
			t.Errorf("after commit: agent there %v, command there %v; want both", a, c)
		}
	})

	t.Run("RollsBackOnError", func(t *testing.T) {
		s := open(t)
		if err := s.InsertAgent(ctx, agent("AG-0", "10.0.0.99")); err != nil {
			t.Fatalf("InsertAgent: %v", err)
		}
		if err := s.InsertCommand(ctx, command("cmd-0", "AG-0")); err != nil {
			t.Fatalf("InsertCommand: %v", err)
		}
		err := s.InTx(ctx, func(tx fleet.Store) error {
			if err := tx.InsertAgent(ctx, agent("AG-1", "10.0.0.1")); err != nil {
				return err
			}
			if err := tx.InsertCommand(ctx, command("cmd-1", "AG-1")); err != nil {
				return err
			}
			// Changes to rows that existed before roll back too.
			a, err := tx.Agent(ctx, "AG-0")
			if err != nil {
				return err
			}
			a.Isolation = fleet.StatusIsolated
			if err := tx.UpdateAgent(ctx, a); err != nil {
				return err
			}
			c, err := tx.Command(ctx, "cmd-0")
			if err != nil {
				return err
			}
			c.State = fleet.CommandDelivered
			if ok, err := tx.SetCommandState(ctx, c, fleet.CommandQueued); err != nil || !ok {
				return fmt.Errorf("CAS in tx = %v, %w", ok, err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx: err = %v, want the function's error", err)
		}
		if a, c := exists(t, s, "AG-1", "cmd-1"); a || c {
			t.Errorf("after rollback: agent there %v, command there %v; want neither", a, c)
		}
		if ids, err := s.Agents(ctx, fleet.AgentFilter{IPAddress: "10.0.0.1"}.Normalize()); err != nil || len(ids) != 0 {
			t.Errorf("rolled-back agent by ip = %d agents, %v; want none", len(ids), err)
		}
		if a, err := s.Agent(ctx, "AG-0"); err != nil || a.Isolation != fleet.StatusNormal {
			t.Errorf("existing agent after rollback: isolation %q, %v; want normal", a.Isolation, err)
		}
		if c, err := s.Command(ctx, "cmd-0"); err != nil || c.State != fleet.CommandQueued {
			t.Errorf("existing command after rollback: state %q, %v; want queued", c.State, err)
		}
		// The store is still usable.
		if err := s.InsertAgent(ctx, agent("AG-1", "10.0.0.1")); err != nil {
			t.Errorf("InsertAgent after rollback: %v", err)
		}
	})

	t.Run("NestedJoins", func(t *testing.T) {
		tests := []struct {
			name               string
			inner, outer       error
			wantErr            error
			wantAgent, wantCmd bool
		}{
			{"both commit", nil, nil, nil, true, true},
			{"outer fails after inner succeeded", nil, errAbort, errAbort, false, false},
			{"inner fails", errAbort, nil, errAbort, false, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				err := s.InTx(ctx, func(tx fleet.Store) error {
					if err := tx.InsertAgent(ctx, agent("AG-1", "10.0.0.1")); err != nil {
						return err
					}
					err := tx.InTx(ctx, func(inner fleet.Store) error {
						// The inner transaction sees the outer one's work.
						if _, err := inner.Agent(ctx, "AG-1"); err != nil {
							return fmt.Errorf("inner read of outer agent: %w", err)
						}
						if err := inner.InsertCommand(ctx, command("cmd-1", "AG-1")); err != nil {
							return err
						}
						return tt.inner
					})
					if err != nil {
						return err
					}
					// And the outer one sees the inner one's.
					if _, err := tx.Command(ctx, "cmd-1"); err != nil {
						return fmt.Errorf("outer read of inner command: %w", err)
					}
					return tt.outer
				})
				if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("InTx: err = %v, want %v", err, tt.wantErr)
				}
				if a, c := exists(t, s, "AG-1", "cmd-1"); a != tt.wantAgent || c != tt.wantCmd {
					t.Errorf("agent there %v, command there %v; want %v, %v", a, c, tt.wantAgent, tt.wantCmd)
				}
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Concurrency

const (
	writers   = 8
	perWriter = 50
	// maxTries bounds the retries of one increment whose compare-and-swap
	// lost to another writer (possible on engines that run transactions
	// concurrently); a correct engine needs far fewer.
	maxTries = 1000
)

var errLostCAS = errors.New("storetest: compare-and-swap lost")

func testConcurrency(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("CASIncrements", func(t *testing.T) {
		s := open(t)
		// The command's state doubles as a counter: each increment reads it
		// and moves it from n to n+1 by compare-and-swap in a transaction.
		if err := s.InsertCommand(ctx, fleet.Command{ID: "counter", AgentID: "AG-1", Kind: fleet.CommandIsolate, State: "0", CreatedAt: base}); err != nil {
			t.Fatalf("InsertCommand: %v", err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					if err := increment(ctx, s); err != nil {
						errs <- fmt.Errorf("writer %d, increment %d: %w", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		c, err := s.Command(ctx, "counter")
		if err != nil {
			t.Fatalf("Command: %v", err)
		}
		if want := strconv.Itoa(writers * perWriter); string(c.State) != want {
			t.Errorf("counter = %s, want %s (lost writes)", c.State, want)
		}
	})

	t.Run("MixedWriters", func(t *testing.T) { testMixedWriters(t, open) })

	t.Run("Inserts", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					id := fmt.Sprintf("AG-%d-%03d", w, i)
					a := fleet.Agent{EntityID: id, HostName: "host-" + id, Product: "SLF_PRODUCT_OFFICESCAN_CE",
						ManagingServerID: fmt.Sprintf("SRV-%d", w), IPAddresses: []string{fmt.Sprintf("10.%d.%d.1", w, i)},
						MACAddresses: []string{fmt.Sprintf("00-00-00-00-%02X-%02X", w, i)}, Isolation: fleet.StatusNormal}
					if err := s.InsertAgent(ctx, a); err != nil {
						errs <- fmt.Errorf("InsertAgent %s: %w", id, err)
						return
					}
					// A committed write is visible to the next read at once.
					if _, err := s.Agent(ctx, id); err != nil {
						errs <- fmt.Errorf("reading back %s: %w", id, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		all, err := s.Agents(ctx, fleet.AgentFilter{})
		if err != nil {
			t.Fatalf("Agents: %v", err)
		}
		if len(all) != writers*perWriter {
			t.Errorf("Agents = %d, want %d", len(all), writers*perWriter)
		}
		seen := map[string]bool{}
		for _, a := range all {
			if seen[a.EntityID] {
				t.Errorf("agent %s listed twice", a.EntityID)
			}
			seen[a.EntityID] = true
		}
		// Each writer's agents are listed in the order that writer inserted them.
		for w := range writers {
			got, err := s.Agents(ctx, fleet.AgentFilter{ManagingServerID: fmt.Sprintf("srv-%d", w)}.Normalize())
			if err != nil {
				t.Fatalf("Agents: %v", err)
			}
			var want []string
			for i := range perWriter {
				want = append(want, fmt.Sprintf("AG-%d-%03d", w, i))
			}
			if d := diff(want, agentIDs(got)); d != "" {
				t.Errorf("agents of writer %d (-want +got):\n%s", w, d)
			}
		}
		got, err := s.Agents(ctx, fleet.AgentFilter{IPAddress: "10.7.49.1"}.Normalize())
		if err != nil {
			t.Fatalf("Agents: %v", err)
		}
		if d := diff([]string{"AG-7-049"}, agentIDs(got)); d != "" {
			t.Errorf("agent by ip (-want +got):\n%s", d)
		}
	})
}

// testMixedWriters runs transactions beside plain (non-transactional)
// writes and reads of every kind, each for the first time on a fresh store,
// as a server does when its first requests arrive together. An engine that
// makes a plain write wait for something a transaction needs deadlocks here;
// the deadline turns that into errors instead of a hung test.
func testMixedWriters(t *testing.T, open func(t *testing.T) Store) {
	s := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range writers {
		id := fmt.Sprintf("AG-%d", i)
		if err := s.InsertAgent(ctx, fleet.Agent{EntityID: id, HostName: id, ManagingServerID: "SRV-1", Isolation: fleet.StatusNormal}); err != nil {
			t.Fatalf("InsertAgent: %v", err)
		}
	}
	if err := s.InsertCommand(ctx, fleet.Command{ID: "counter", AgentID: "AG-0", Kind: fleet.CommandIsolate, State: "0", CreatedAt: base}); err != nil {
		t.Fatalf("InsertCommand: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		// A transaction writer: increments and inserts.
		wg.Go(func() {
			for i := range perWriter / 5 {
				if err := increment(ctx, s); err != nil {
					errs <- fmt.Errorf("tx writer %d: %w", w, err)
					return
				}
				err := s.InTx(ctx, func(tx fleet.Store) error {
					return tx.InsertCommand(ctx, fleet.Command{ID: fmt.Sprintf("c-%d-%d", w, i), AgentID: fmt.Sprintf("AG-%d", w),
						Kind: fleet.CommandRestore, State: fleet.CommandQueued, CreatedAt: base})
				})
				if err != nil {
					errs <- fmt.Errorf("tx writer %d: %w", w, err)
					return
				}
			}
		})
		// A plain writer: every kind of write and read outside a transaction.
		wg.Go(func() {
			id := fmt.Sprintf("AG-%d", w)
			for i := range perWriter / 5 {
				appID := fmt.Sprintf("APP-%d-%d", w, i)
				app := identity.SealedApplication{ID: appID, Name: appID, SealedKey: []byte{1}, Timeout: time.Minute, CreatedAt: base}
				steps := []func() error{
					func() error { return s.CreateApplication(ctx, app) },
					func() error { app.Enabled = true; return s.UpdateApplication(ctx, app) },
					func() error { _, err := s.Application(ctx, appID); return err },
					func() error { _, err := s.Applications(ctx); return err },
					func() error { return s.TouchAgent(ctx, id, base.Add(time.Duration(i)*time.Second)) },
					func() error {
						a, err := s.Agent(ctx, id)
						if err != nil {
							return err
						}
						a.FolderPath = fmt.Sprintf("F%d", i)
						return s.UpdateAgent(ctx, a)
					},
					func() error { _, err := s.Agents(ctx, fleet.AgentFilter{ManagingServerID: "srv-1"}); return err },
					func() error { _, err := s.Commands(ctx, id, fleet.CommandQueued); return err },
					func() error { return s.DeleteApplication(ctx, appID) },
				}
				for j, step := range steps {
					if err := step(); err != nil {
						errs <- fmt.Errorf("plain writer %d, step %d: %w", w, j, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c, err := s.Command(ctx, "counter")
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	if want := strconv.Itoa(writers * perWriter / 5); string(c.State) != want {
		t.Errorf("counter = %s, want %s (lost writes)", c.State, want)
	}
}

// increment adds one to the counter command's state, retrying (a bounded
// number of times) when another writer moved it first.
func increment(ctx context.Context, s fleet.Store) error {
	for range maxTries {
		err := s.InTx(ctx, func(tx fleet.Store) error {
			c, err := tx.Command(ctx, "counter")
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(string(c.State))
			if err != nil {
				return fmt.Errorf("counter state %q: %w", c.State, err)
			}
			from := c.State
			c.State = fleet.CommandState(strconv.Itoa(n + 1))
			ok, err := tx.SetCommandState(ctx, c, from)
			if err != nil {
				return err
			}
			if !ok {
				return errLostCAS
			}
			return nil
		})
		if errors.Is(err, errLostCAS) {
			continue
		}
		return err
	}
	return fmt.Errorf("no increment after %d tries", maxTries)
}
