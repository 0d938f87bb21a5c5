package apexcentral

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
)

// ListServers serves GET /WebApp/API/ServerResource/ProductServers.
func (api *API) ListServers(w http.ResponseWriter, r *http.Request) {
	q := query(r)
	servers, err := api.Fleet.Servers(r.Context(), fleet.ServerFilter{
		EntityID: q.Get("entity_id"), IPAddress: q.Get("ip_address"), MACAddress: q.Get("mac_address"),
		HostName: q.Get("host_name"), Product: q.Get("product"),
	})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeOK(w, toProductServers(servers))
}

// DeployUpdateSources serves POST /WebApp/API/ServerResource/ProductServers
// with act cmd_deploy_update_sources.
func (api *API) DeployUpdateSources(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(fromContext(r.Context()).body)
	if err != nil {
		writeError(w, CodeInvalidParameter, err.Error())
		return
	}
	if act, err := body.str("act"); err != nil || act != string(fleet.CapDeployUpdateSources) {
		writeError(w, CodeInvalidOperation, fmt.Sprintf("act %s is not cmd_deploy_update_sources", rawText(body.raw("act"))))
		return
	}
	entityID, err := body.str("entity_id")
	if err != nil || entityID == "" {
		writeError(w, CodeInvalidParameter, "entity_id (the Apex One server's GUID) is required and must be a string")
		return
	}
	audit.SetTarget(r.Context(), entityID)
	raw, ok := body.field("setting_data_JSON_string")
	var text string
	if !ok || json.Unmarshal(raw, &text) != nil {
		writeError(w, CodeInvalidParameter, fmt.Sprintf("setting_data_JSON_string must be a string holding an object, got %s", rawText(raw)))
		return
	}
	settings, err := parseSettings(text)
	if err != nil {
		writeError(w, CodeInvalidParameter, "setting_data_JSON_string: "+err.Error())
		return
	}
	srv, deployed, err := api.Fleet.DeployUpdateSources(r.Context(), entityID, settings)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if !deployed {
		writeOK(w, []productServer{})
		return
	}
	api.Log.InfoContext(r.Context(), "update sources deployed", "server", srv.EntityID,
		"app", fromContext(r.Context()).app.ID, "sources", len(settings.Sources))
	writeOK(w, toProductServers([]fleet.Server{srv}))
}
