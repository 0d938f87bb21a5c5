package apexcentral

import (
	"slices"
	"strings"
)

// Capability is an action a server or agent can carry out through the API.
type Capability string

// The capabilities the API lists.
const (
	CapDeployUpdateSources Capability = "cmd_deploy_update_sources"
	CapIsolate             Capability = "cmd_isolate_agent"
	CapRestore             Capability = "cmd_restore_isolated_agent"
	CapRelocate            Capability = "cmd_relocate_agent"
	CapUninstall           Capability = "cmd_uninstall_agent"
)

// IsolationStatus is an agent's isolation_status.
type IsolationStatus string

// The isolation states. The two pending ones settle once the agent checks
// in and carries out its command.
const (
	StatusNormal             IsolationStatus = "normal"
	StatusIsolated           IsolationStatus = "isolated"
	StatusIsolationPending   IsolationStatus = "endpoint_isolation_pending"
	StatusRestorationPending IsolationStatus = "connection_restoration_pending"
	StatusNotSupported       IsolationStatus = "not_supported"
)

// Pending reports whether s is on its way to another state.
func (s IsolationStatus) Pending() bool {
	return s == StatusIsolationPending || s == StatusRestorationPending
}

// Server is one managed server (ProductServers).
type Server struct {
	EntityID string `json:"entity_id"`
	Product  string `json:"product"`
	ADDomain string `json:"ad_domain"`
	// IPAddressList is ONE comma-joined string, as the wire has it; see
	// IPAddresses.
	IPAddressList string       `json:"ip_address_list"`
	HostName      string       `json:"host_name"`
	Capabilities  []Capability `json:"capabilities"`
}

// IPAddresses splits IPAddressList.
func (s Server) IPAddresses() []string { return splitList(s.IPAddressList) }

// Can reports whether the server lists capability c.
func (s Server) Can(c Capability) bool { return slices.Contains(s.Capabilities, c) }

// Agent is one Security Agent (ProductAgents).
type Agent struct {
	EntityID         string `json:"entity_id"`
	Product          string `json:"product"`
	ManagingServerID string `json:"managing_server_id"`
	ADDomain         string `json:"ad_domain"`
	FolderPath       string `json:"folder_path"`
	// IPAddressList and MACAddressList are comma-joined strings, as the
	// wire has them; see IPAddresses and MACAddresses.
	IPAddressList   string          `json:"ip_address_list"`
	MACAddressList  string          `json:"mac_address_list"`
	HostName        string          `json:"host_name"`
	IsolationStatus IsolationStatus `json:"isolation_status"`
	Capabilities    []Capability    `json:"capabilities"`
}

// IPAddresses splits IPAddressList.
func (a Agent) IPAddresses() []string { return splitList(a.IPAddressList) }

// MACAddresses splits MACAddressList.
func (a Agent) MACAddresses() []string { return splitList(a.MACAddressList) }

// Can reports whether the agent lists capability c.
func (a Agent) Can(c Capability) bool { return slices.Contains(a.Capabilities, c) }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ServerFilter selects servers; every field given must match, empty
// fields are not sent.
type ServerFilter struct {
	EntityID   string
	IPAddress  string
	MACAddress string
	HostName   string
	Product    string
}

func (f ServerFilter) pairs() [][2]string {
	return [][2]string{{"entity_id", f.EntityID}, {"ip_address", f.IPAddress}, {"mac_address", f.MACAddress},
		{"host_name", f.HostName}, {"product", f.Product}}
}

// AgentFilter selects agents to list; every field given must match, empty
// fields are not sent.
type AgentFilter struct {
	EntityID         string
	IPAddress        string
	MACAddress       string
	HostName         string
	Product          string
	ManagingServerID string
}

func (f AgentFilter) pairs() [][2]string {
	return [][2]string{{"entity_id", f.EntityID}, {"ip_address", f.IPAddress}, {"mac_address", f.MACAddress},
		{"host_name", f.HostName}, {"product", f.Product}, {"managing_server_id", f.ManagingServerID}}
}

// AgentTarget selects the agents an action applies to: at least one field,
// every field given must match.
type AgentTarget struct {
	EntityID   string `json:"entity_id,omitempty"`
	IPAddress  string `json:"ip_address,omitempty"`
	MACAddress string `json:"mac_address,omitempty"`
	HostName   string `json:"host_name,omitempty"`
	Product    string `json:"product,omitempty"`
}

// Empty reports whether t selects nothing (all fields blank).
func (t AgentTarget) Empty() bool {
	for _, v := range []string{t.EntityID, t.IPAddress, t.MACAddress, t.HostName, t.Product} {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
