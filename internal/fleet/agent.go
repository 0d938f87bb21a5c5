package fleet

import (
	"slices"
	"time"
)

// IsolationStatus is an agent's network isolation state, in the vendor's words.
type IsolationStatus string

// The isolation states an agent passes through.
const (
	StatusNormal              IsolationStatus = "normal"
	StatusIsolated            IsolationStatus = "isolated"
	StatusIsolationPending    IsolationStatus = "endpoint_isolation_pending"
	StatusRestorationPending  IsolationStatus = "connection_restoration_pending"
	StatusIsolationNotSupport IsolationStatus = "not_supported"
)

// Valid reports whether s is one of the five known states.
func (s IsolationStatus) Valid() bool {
	switch s {
	case StatusNormal, StatusIsolated, StatusIsolationPending, StatusRestorationPending, StatusIsolationNotSupport:
		return true
	}
	return false
}

// Capability names an action the product allows through the API.
type Capability string

// The capabilities agents and servers advertise.
const (
	CapIsolate             Capability = "cmd_isolate_agent"
	CapRestore             Capability = "cmd_restore_isolated_agent"
	CapRelocate            Capability = "cmd_relocate_agent"
	CapUninstall           Capability = "cmd_uninstall_agent"
	CapDeployUpdateSources Capability = "cmd_deploy_update_sources"
)

// Agent is a Security Agent as Apex Central holds it.
type Agent struct {
	EntityID         string
	Product          string
	ManagingServerID string
	ADDomain         string
	FolderPath       string
	IPAddresses      []string
	MACAddresses     []string
	HostName         string
	Isolation        IsolationStatus
	Capabilities     []Capability
	// UpdateSource is the update source the agent reported it applied: an
	// Update Agent's URL, or "" for its managing server.
	UpdateSource string
	// Uninstalling is set once an uninstall command is accepted; the agent
	// leaves the fleet when it reports the uninstall done.
	Uninstalling bool
	LastCheckIn  time.Time
}

// Has reports whether the agent advertises capability c.
func (a Agent) Has(c Capability) bool { return slices.Contains(a.Capabilities, c) }

// Server is a managed product server (an Apex One server, a Deep Security
// manager, ...).
type Server struct {
	EntityID     string
	Product      string
	ADDomain     string
	IPAddresses  []string
	MACAddresses []string
	HostName     string
	Capabilities []Capability
	// UpdateSources is the update-source configuration last deployed to the
	// server, nil when none was.
	UpdateSources *UpdateSourceSettings
}

// Has reports whether the server advertises capability c.
func (s Server) Has(c Capability) bool { return slices.Contains(s.Capabilities, c) }
