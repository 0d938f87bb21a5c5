package apexcentral

import (
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/internal/fleet"
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

// params holds query parameters by lower-cased name: the vendor's server
// (ASP.NET on IIS) binds parameter names case-insensitively, so
// ?Host_Name=client01 filters as ?host_name=client01 does instead of being
// ignored (which would return the whole fleet to a script that then acts on
// result_content[0]).
type params map[string]string

func query(r *http.Request) params {
	p := params{}
	for k, vs := range r.URL.Query() {
		k = strings.ToLower(k)
		if _, seen := p[k]; !seen && len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	return p
}

// Get returns the first value of the named parameter, or "".
func (p params) Get(name string) string { return p[name] }
