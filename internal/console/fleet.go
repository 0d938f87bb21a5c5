package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
)

const (
	serversPath = Base + "/fleet/servers"
	agentsPath  = Base + "/fleet/agents"
)

// pendingStatus reports whether an agent is waiting for a command's result.
func pendingStatus(s fleet.IsolationStatus) bool {
	return s == fleet.StatusIsolationPending || s == fleet.StatusRestorationPending
}

// actionLabels are the four agent actions as the console names them.
var actionLabels = map[fleet.Action]string{
	fleet.ActIsolate: "Isolate", fleet.ActRestore: "Restore", fleet.ActRelocate: "Relocate", fleet.ActUninstall: "Uninstall",
}

var actionOrder = []fleet.Action{fleet.ActIsolate, fleet.ActRestore, fleet.ActRelocate, fleet.ActUninstall}

type serverRow struct {
	fleet.Server
	Deploy bool
}

type serversPage struct {
	Filter  fleet.ServerFilter
	Servers []serverRow
}

// Servers serves the managed servers, with the API's filters.
func (c *Console) Servers(w http.ResponseWriter, r *http.Request, op *Operator) {
	q := r.URL.Query()
	f := fleet.ServerFilter{EntityID: q.Get("entity_id"), IPAddress: q.Get("ip_address"), MACAddress: q.Get("mac_address"),
		HostName: q.Get("host_name"), Product: q.Get("product")}
	servers, err := c.fleet.Servers(r.Context(), f)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	rows := make([]serverRow, len(servers))
	for i, s := range servers {
		rows[i] = serverRow{Server: s, Deploy: s.Has(fleet.CapDeployUpdateSources)}
	}
	c.render(w, r, http.StatusOK, "servers", view{Title: "Managed servers", Nav: "servers", Op: op, Data: serversPage{Filter: f, Servers: rows}})
}

// sourceRow is one line of the update-source table.
type sourceRow struct {
	Addresses, OUS string
}

type serverPage struct {
	Server     fleet.Server
	Deploy     bool
	Configured bool
	Settings   fleet.UpdateSourceSettings
	Rows       []sourceRow
	Agents     int
}

// server finds one server by entity ID.
func (c *Console) server(r *http.Request, id string) (fleet.Server, bool, error) {
	if strings.TrimSpace(id) == "" {
		return fleet.Server{}, false, nil
	}
	list, err := c.fleet.Servers(r.Context(), fleet.ServerFilter{EntityID: id})
	if err != nil || len(list) == 0 {
		return fleet.Server{}, false, err
	}
	return list[0], true, nil
}

func sourceText(src fleet.UpdateSource) string {
	switch {
	case src.Range != nil && src.Range.From == src.Range.To:
		return src.Range.From.String()
	case src.Range != nil:
		return src.Range.From.String() + " - " + src.Range.To.String()
	case src.Prefix != nil:
		return src.Prefix.String()
	}
	return ""
}

// blankRows is how many empty update-source lines the form offers.
const blankRows = 3

func (c *Console) serverPage(w http.ResponseWriter, r *http.Request, op *Operator, status int, srv fleet.Server, edited *fleet.UpdateSourceSettings, rows []sourceRow, problem string) {
	agents, err := c.fleet.Agents(r.Context(), fleet.AgentFilter{ManagingServerID: srv.EntityID})
	if err != nil {
		c.internal(w, r, err)
		return
	}
	p := serverPage{Server: srv, Deploy: srv.Has(fleet.CapDeployUpdateSources), Configured: srv.UpdateSources != nil, Agents: len(agents)}
	switch {
	case edited != nil:
		p.Settings, p.Rows = *edited, rows
	case srv.UpdateSources != nil:
		p.Settings = *srv.UpdateSources
		for _, src := range srv.UpdateSources.Sources {
			p.Rows = append(p.Rows, sourceRow{Addresses: sourceText(src), OUS: src.OUS})
		}
	}
	for range blankRows {
		p.Rows = append(p.Rows, sourceRow{})
	}
	c.render(w, r, status, "server", view{Title: "Server " + srv.HostName, Nav: "servers", Op: op, Error: problem, Data: p})
}

// Server serves one server: its details and update-source settings.
func (c *Console) Server(w http.ResponseWriter, r *http.Request, op *Operator) {
	srv, ok, err := c.server(r, r.PathValue("id"))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if !ok {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no managed server "+r.PathValue("id")+".")
		return
	}
	c.serverPage(w, r, op, http.StatusOK, srv, nil, nil, "")
}

// maxSourceRows bounds the update-source lines one form may send.
const maxSourceRows = 200

// parseSources reads the update-source form into settings, as the vendor's
// setting_data_JSON_string would carry them.
func parseSources(form url.Values) (fleet.UpdateSourceSettings, []sourceRow, error) {
	s := fleet.UpdateSourceSettings{
		AllowUpdateFromOtherAU:               form.Get("allow_other_au") == "on",
		UpdateComponentFromServerIfOUSFailed: form.Get("component_from_server") == "on",
		UpdateSettingFromServerIfOUSFailed:   form.Get("setting_from_server") == "on",
		UpdateProgramFromServerIfOUSFailed:   form.Get("program_from_server") == "on",
	}
	var rows []sourceRow
	var problems []string
	for i := range maxSourceRows {
		n := strconv.Itoa(i)
		addrs, ous := strings.TrimSpace(form.Get("addresses_"+n)), strings.TrimSpace(form.Get("ous_"+n))
		if addrs == "" && ous == "" {
			continue
		}
		rows = append(rows, sourceRow{Addresses: addrs, OUS: ous})
		line := len(rows)
		if addrs == "" || ous == "" {
			problems = append(problems, fmt.Sprintf("line %d: give both the addresses and the Update Agent URL", line))
			continue
		}
		src := fleet.UpdateSource{OUS: ous}
		switch {
		case strings.Contains(addrs, "/"):
			p, err := netip.ParsePrefix(addrs)
			if err != nil {
				problems = append(problems, fmt.Sprintf("line %d: %q is not an IPv6 prefix (like 2001:db8::/64)", line, addrs))
				continue
			}
			src.Prefix = &p
		default:
			from, to, isRange := strings.Cut(addrs, "-")
			if !isRange {
				to = from
			}
			a, errA := netip.ParseAddr(strings.TrimSpace(from))
			b, errB := netip.ParseAddr(strings.TrimSpace(to))
			if errA != nil || errB != nil {
				problems = append(problems, fmt.Sprintf("line %d: %q is not an IPv4 range (like 10.1.1.1 - 10.1.1.50)", line, addrs))
				continue
			}
			src.Range = &fleet.AddrRange{From: a, To: b}
		}
		s.Sources = append(s.Sources, src)
	}
	if len(problems) == 0 && s.AllowUpdateFromOtherAU && len(s.Sources) == 0 {
		problems = append(problems, "updating from Update Agents needs at least one line")
	}
	if len(problems) > 0 {
		return s, rows, errors.New(strings.Join(problems, "; "))
	}
	if err := s.Validate(); err != nil {
		return s, rows, errors.New(strings.TrimPrefix(err.Error(), fleet.ErrInvalid.Error()+": "))
	}
	return s, rows, nil
}

// DeployUpdateSources serves the update-source form: the same call as the
// Apex Central API's cmd_deploy_update_sources.
func (c *Console) DeployUpdateSources(w http.ResponseWriter, r *http.Request, op *Operator) {
	srv, ok, err := c.server(r, r.PathValue("id"))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if !ok {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no managed server "+r.PathValue("id")+".")
		return
	}
	back := serversPath + "/" + url.PathEscape(srv.EntityID)
	settings, rows, err := parseSources(r.PostForm)
	if err != nil {
		c.serverPage(w, r, op, http.StatusBadRequest, srv, &settings, rows, "The settings were not saved: "+err.Error()+".")
		return
	}
	_, deployed, err := c.fleet.DeployUpdateSources(r.Context(), srv.EntityID, settings)
	switch {
	case errors.Is(err, fleet.ErrInvalid):
		c.serverPage(w, r, op, http.StatusBadRequest, srv, &settings, rows,
			"The settings were not saved: "+strings.TrimPrefix(err.Error(), fleet.ErrInvalid.Error()+": ")+".")
		return
	case errors.Is(err, fleet.ErrTargetNotFound):
		done(w, r, serversPath, "error", "The server "+srv.HostName+" is no longer managed.")
		return
	case err != nil:
		c.internal(w, r, err)
		return
	}
	if !deployed {
		done(w, r, back, "error", srv.HostName+" does not support cmd_deploy_update_sources: nothing was changed.")
		return
	}
	c.log.InfoContext(r.Context(), "console: update sources deployed", "server", srv.EntityID, "sources", len(settings.Sources), "admin", op.Principal.AdminID)
	done(w, r, back, "ok", fmt.Sprintf("Update-source settings deployed to %s (%d Update Agent lines); its agents get them at their next check-in.", srv.HostName, len(settings.Sources)))
}

// agentRow is one agent as the table shows it.
type agentRow struct {
	fleet.Agent
	ServerName string
	Pending    bool
	Actions    []agentAction
}

type agentAction struct {
	Act, Label string
}

type agentsPage struct {
	Filter  fleet.AgentFilter
	Query   string
	Servers []fleet.Server
	Agents  []agentRow
	Pending bool
}

func agentFilter(q url.Values) fleet.AgentFilter {
	return fleet.AgentFilter{EntityID: q.Get("entity_id"), IPAddress: q.Get("ip_address"), MACAddress: q.Get("mac_address"),
		HostName: q.Get("host_name"), Product: q.Get("product"), ManagingServerID: q.Get("managing_server_id")}
}

func filterQuery(f fleet.AgentFilter) string {
	v := url.Values{}
	for k, s := range map[string]string{"entity_id": f.EntityID, "ip_address": f.IPAddress, "mac_address": f.MACAddress,
		"host_name": f.HostName, "product": f.Product, "managing_server_id": f.ManagingServerID} {
		if strings.TrimSpace(s) != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

func (c *Console) agentRows(r *http.Request, f fleet.AgentFilter) ([]agentRow, []fleet.Server, error) {
	agents, err := c.fleet.Agents(r.Context(), f)
	if err != nil {
		return nil, nil, err
	}
	servers, err := c.fleet.Servers(r.Context(), fleet.ServerFilter{})
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, s := range servers {
		names[fleet.Key(s.EntityID)] = s.HostName
	}
	rows := make([]agentRow, len(agents))
	for i, a := range agents {
		row := agentRow{Agent: a, ServerName: names[fleet.Key(a.ManagingServerID)], Pending: pendingStatus(a.Isolation) || a.Uninstalling}
		for _, act := range actionOrder {
			if a.Has(fleet.Capability(act)) && !a.Uninstalling {
				row.Actions = append(row.Actions, agentAction{Act: string(act), Label: actionLabels[act]})
			}
		}
		rows[i] = row
	}
	return rows, servers, nil
}

// Agents serves the Security Agents, with the API's filters; the page
// polls AgentsJSON while a command is pending.
func (c *Console) Agents(w http.ResponseWriter, r *http.Request, op *Operator) {
	f := agentFilter(r.URL.Query())
	rows, servers, err := c.agentRows(r, f)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	p := agentsPage{Filter: f, Query: filterQuery(f), Servers: servers, Agents: rows}
	for _, a := range rows {
		p.Pending = p.Pending || a.Pending
	}
	c.render(w, r, http.StatusOK, "agents", view{Title: "Security Agents", Nav: "agents", Op: op, Data: p})
}

// agentState is what the agents page polls.
type agentState struct {
	EntityID        string `json:"entity_id"`
	HostName        string `json:"host_name"`
	IsolationStatus string `json:"isolation_status"`
	Uninstalling    bool   `json:"uninstalling"`
	Pending         bool   `json:"pending"`
	ManagingServer  string `json:"managing_server"`
	FolderPath      string `json:"folder_path"`
}

// AgentsJSON serves the agents' states for the page's polling.
func (c *Console) AgentsJSON(w http.ResponseWriter, r *http.Request, op *Operator) {
	rows, _, err := c.agentRows(r, agentFilter(r.URL.Query()))
	if err != nil {
		c.internal(w, r, err)
		return
	}
	out := make([]agentState, len(rows))
	for i, a := range rows {
		out[i] = agentState{EntityID: a.EntityID, HostName: a.HostName, IsolationStatus: string(a.Isolation), Uninstalling: a.Uninstalling,
			Pending: a.Pending, ManagingServer: a.ServerName, FolderPath: a.FolderPath}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

type actPage struct {
	Agent   agentRow
	Act     string
	Label   string
	Targets []fleet.Server
	// Back is the agents list's filter as a query, BackURL the list.
	Back, BackURL string
	Folder        string
}

// backQuery keeps only the agents list's filters of a query, so that an
// action returns to the list as it was filtered and nowhere else.
func backQuery(q string) string {
	v, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	return filterQuery(agentFilter(v))
}

// agentsBack is the agents list with the filter of query q.
func agentsBack(q string) string {
	if enc := backQuery(q); enc != "" {
		return agentsPath + "?" + enc
	}
	return agentsPath
}

// ConfirmAgentAction serves the confirmation before an agent action (and,
// for relocate, the choice of server and folder).
func (c *Console) ConfirmAgentAction(w http.ResponseWriter, r *http.Request, op *Operator) {
	q := r.URL.Query()
	act := fleet.Action(q.Get("act"))
	if !act.Valid() {
		c.refuse(w, r, op, http.StatusBadRequest, "Unknown action", "The action must be one of isolate, restore, relocate or uninstall.")
		return
	}
	if !op.May("ManageAppliances") {
		c.refuse(w, r, op, http.StatusForbidden, "Not allowed", "Your role ("+op.RoleName+") may not act on agents.")
		return
	}
	id := q.Get("entity_id")
	rows, servers, err := c.agentRows(r, fleet.AgentFilter{EntityID: id})
	if err != nil {
		c.internal(w, r, err)
		return
	}
	if strings.TrimSpace(id) == "" || len(rows) != 1 {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no Security Agent "+id+".")
		return
	}
	p := actPage{Agent: rows[0], Act: string(act), Label: actionLabels[act], Back: backQuery(q.Get("back")), BackURL: agentsBack(q.Get("back"))}
	if act == fleet.ActRelocate {
		for _, s := range servers {
			if strings.EqualFold(s.Product, rows[0].Product) && !strings.EqualFold(s.EntityID, rows[0].ManagingServerID) {
				p.Targets = append(p.Targets, s)
			}
		}
		p.Folder = rows[0].FolderPath
	}
	c.render(w, r, http.StatusOK, "act", view{Title: p.Label + " " + rows[0].HostName, Nav: "agents", Op: op, Data: p})
}

// ActOnAgent serves an agent action once confirmed: the same call as the
// Apex Central API's ProductAgents POST, on one agent.
func (c *Console) ActOnAgent(w http.ResponseWriter, r *http.Request, op *Operator) {
	f := r.PostForm
	act, id := fleet.Action(f.Get("act")), strings.TrimSpace(f.Get("entity_id"))
	audit.SetTarget(r.Context(), id)
	audit.Qualify(r.Context(), string(act))
	back := agentsBack(f.Get("back"))
	if !act.Valid() || id == "" {
		c.refuse(w, r, op, http.StatusBadRequest, "Bad request", "The action or the agent is missing.")
		return
	}
	acted, err := c.fleet.Act(r.Context(), fleet.ActRequest{Action: act, Filter: fleet.AgentFilter{EntityID: id},
		RelocateServerID: f.Get("relocate_to_server_id"), RelocateFolderPath: f.Get("relocate_to_folder_path")})
	switch {
	case errors.Is(err, fleet.ErrInvalid), errors.Is(err, fleet.ErrTargetNotFound), errors.Is(err, fleet.ErrTargetIncapable), errors.Is(err, fleet.ErrMultipleMatch):
		done(w, r, back, "error", actionLabels[act]+" refused: "+strings.TrimPrefix(err.Error(), fleet.ErrInvalid.Error()+": ")+".")
		return
	case err != nil:
		c.internal(w, r, err)
		return
	}
	if len(acted) == 0 {
		done(w, r, back, "error", actionLabels[act]+": no agent was acted on (the agent is gone, does not support it, or is being uninstalled).")
		return
	}
	a := acted[0]
	c.log.InfoContext(r.Context(), "console: agent action accepted", "act", string(act), "agent", a.EntityID, "admin", op.Principal.AdminID)
	msg := fmt.Sprintf("%s of %s accepted: the agent is %s.", actionLabels[act], a.HostName, a.Isolation)
	switch act {
	case fleet.ActRelocate:
		msg = fmt.Sprintf("%s is relocated; the agent gets the command at its next check-in.", a.HostName)
	case fleet.ActUninstall:
		msg = fmt.Sprintf("Uninstall of %s accepted; the agent leaves the fleet when it reports it done.", a.HostName)
	}
	done(w, r, back, "ok", msg)
}
