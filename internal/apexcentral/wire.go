package apexcentral

import (
	"github.com/rampart-sec/rampart/internal/fleet"
	"strings"
)

// productServer is one entry of GET ProductServers.
type productServer struct {
	EntityID      string   `json:"entity_id"`
	Product       string   `json:"product"`
	ADDomain      string   `json:"ad_domain"`
	IPAddressList string   `json:"ip_address_list"`
	HostName      string   `json:"host_name"`
	Capabilities  []string `json:"capabilities"`
}

// productAgent is one entry of GET ProductAgents.
type productAgent struct {
	EntityID         string   `json:"entity_id"`
	Product          string   `json:"product"`
	ManagingServerID string   `json:"managing_server_id"`
	ADDomain         string   `json:"ad_domain"`
	FolderPath       string   `json:"folder_path"`
	IPAddressList    string   `json:"ip_address_list"`
	MACAddressList   string   `json:"mac_address_list"`
	HostName         string   `json:"host_name"`
	IsolationStatus  string   `json:"isolation_status"`
	Capabilities     []string `json:"capabilities"`
}

func toProductServers(servers []fleet.Server) []productServer {
	out := make([]productServer, len(servers))
	for i, s := range servers {
		out[i] = productServer{s.EntityID, s.Product, s.ADDomain, strings.Join(s.IPAddresses, ","), s.HostName, capStrings(s.Capabilities)}
	}
	return out
}

func toProductAgents(agents []fleet.Agent) []productAgent {
	out := make([]productAgent, len(agents))
	for i, a := range agents {
		out[i] = productAgent{a.EntityID, a.Product, a.ManagingServerID, a.ADDomain, a.FolderPath,
			strings.Join(a.IPAddresses, ","), strings.Join(a.MACAddresses, ","), a.HostName, string(a.Isolation), capStrings(a.Capabilities)}
	}
	return out
}

func capStrings(caps []fleet.Capability) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = string(c)
	}
	return out
}
