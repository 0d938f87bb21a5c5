// Package demo holds the demo fleet that `rampart serve --demo` loads: the
// servers and agents of the vendor tutorials' examples, in the tutorials'
// order, so that the seeds' scripts (which pick result_content[0], [1] and
// [-1]) behave as the tutorials describe. It imports the fleet domain only.
package demo

import (
	"context"
	"fmt"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/fleet"
)

var allAgentCaps = []fleet.Capability{fleet.CapRestore, fleet.CapIsolate, fleet.CapRelocate, fleet.CapUninstall}

// Servers are the managed servers, OSCESERVER first and ApexOne02 last as
// seed 000 lists them.
func Servers() []fleet.Server {
	return []fleet.Server{
		{EntityID: "026332F39EBC-41C19604-02DD-2C5F-EDE5", Product: "SLF_PRODUCT_OFFICESCAN_CE", HostName: "OSCESERVER",
			IPAddresses: []string{"192.168.121.131", "fe80::8846:d1ac:8ee1:85ce"}, MACAddresses: []string{"00-0C-29-1E-4B-10"},
			Capabilities: []fleet.Capability{fleet.CapDeployUpdateSources}},
		{EntityID: "33111111-1111-AAAA-AAAA-111100000001", Product: "SLF_PRODUCT_OFFICESCAN_CE", HostName: "ApexOne01",
			IPAddresses: []string{"10.1.0.10"}, MACAddresses: []string{"00-0C-29-1E-4B-11"},
			Capabilities: []fleet.Capability{fleet.CapDeployUpdateSources}},
		{EntityID: "80180123-1059-694D-BF9D-44CC80320001", Product: "SLF_PRODUCT_HEADLESS_DSM", HostName: "dsm01",
			IPAddresses: []string{"100.1.1.1"}, MACAddresses: []string{"00-50-56-A7-69-01"}, Capabilities: []fleet.Capability{}},
		{EntityID: "11111111-1111-AAAA-AAAA-111100000002", Product: "SLF_PRODUCT_OFFICESCAN_CE", HostName: "ApexOne02",
			IPAddresses: []string{"fe80::593b:3e05:5967:1afa", "fe80::41c9:a0fa:2dc8:c14", "fe80::58da:3bd1:9347:a581", "10.1.173.66",
				"192.168.245.1", "192.168.31.1", "fd96:7568:9882:6:245c:df6c:8ec9:e527"},
			MACAddresses: []string{"00-0C-29-1E-4B-12"}, Capabilities: []fleet.Capability{}},
	}
}

// Agents are the Security Agents, client01 first and host8 last as the
// seeds list them; client02 and client03 sit between them on 10.1.1.x under
// OSCESERVER, so that seed 000's range (agent [1] to agent [-1]) holds
// agents of the server it deploys to.
func Agents() []fleet.Agent {
	return []fleet.Agent{
		{EntityID: "492E8584-0114-694D-BF9D-44CC20141501", Product: "SLF_PRODUCT_OFFICESCAN_CE",
			ManagingServerID: "33111111-1111-AAAA-AAAA-111100000001", FolderPath: "DOMAIN", IPAddresses: []string{"10.1.1.1"},
			MACAddresses: []string{"00-60-59-A4-70-2D"}, HostName: "client01", Isolation: fleet.StatusNormal, Capabilities: allAgentCaps},
		{EntityID: "492E8584-0114-694D-BF9D-44CC20141502", Product: "SLF_PRODUCT_OFFICESCAN_CE",
			ManagingServerID: "026332F39EBC-41C19604-02DD-2C5F-EDE5", FolderPath: "Workgroup", IPAddresses: []string{"10.1.1.2"},
			MACAddresses: []string{"00-60-59-A4-70-2E"}, HostName: "client02", Isolation: fleet.StatusNormal, Capabilities: allAgentCaps},
		{EntityID: "492E8584-0114-694D-BF9D-44CC20141503", Product: "SLF_PRODUCT_OFFICESCAN_CE",
			ManagingServerID: "026332F39EBC-41C19604-02DD-2C5F-EDE5", FolderPath: "Workgroup", IPAddresses: []string{"10.1.1.3"},
			MACAddresses: []string{"00-60-59-A4-70-2F"}, HostName: "client03", Isolation: fleet.StatusNormal, Capabilities: allAgentCaps},
		{EntityID: "8a1a84550462-40bc9afc-3770-16ac-cd6c", Product: "SLF_PRODUCT_OFFICESCAN_CE",
			ManagingServerID: "026332F39EBC-41C19604-02DD-2C5F-EDE5", FolderPath: "Workgroup", IPAddresses: []string{"192.168.121.132"},
			MACAddresses: []string{"00-0C-29-9B-AB-65"}, HostName: "OSCECLIENT", Isolation: fleet.StatusNormal,
			Capabilities: []fleet.Capability{fleet.CapUninstall, fleet.CapRelocate, fleet.CapIsolate, fleet.CapRestore}},
		{EntityID: "80180123-1059-CCCC-CCCC-111100000010", Product: "SLF_PRODUCT_HEADLESS_DSM",
			ManagingServerID: "80180123-1059-694D-BF9D-44CC80320001", FolderPath: "iptlab", IPAddresses: []string{"100.1.1.10"},
			MACAddresses: []string{"00-50-56-A7-69-10"}, HostName: "host8", Isolation: fleet.StatusIsolationNotSupport,
			Capabilities: []fleet.Capability{}},
	}
}

// Load adds the demo fleet through the fleet service.
func Load(ctx context.Context, f *fleet.Service) error {
	for _, s := range Servers() {
		if err := f.AddServer(ctx, s); err != nil {
			return fmt.Errorf("loading demo fleet: %w", err)
		}
	}
	if err := f.AddAgents(ctx, Agents()); err != nil {
		return fmt.Errorf("loading demo fleet: %w", err)
	}
	return nil
}

// Catalogue is the Network Security software versions, oldest first.
func Catalogue() []string { return []string{"2021.3.0.10968", "2021.4.1.10996"} }

// Appliances are seed 004's virtual appliances: 8 runs 2021.3.0.10968 with
// 2021.4.1.10996 available; 2 is up to date.
func Appliances() []appliances.Appliance {
	return []appliances.Appliance{
		{ID: 2, InstanceID: "i-053cced65fea28c18", HostName: "ips-appliance-02", Provider: "AWS", Version: "2021.4.1.10996", DVVersion: "4.0.0.9170"},
		{ID: 8, InstanceID: "i-0e7b568dd0f88d0c1", HostName: "ips-appliance-08", Provider: "AWS", Version: "2021.3.0.10968", DVVersion: "4.0.0.9170"},
	}
}
