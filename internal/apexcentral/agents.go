package apexcentral

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
)

// ListAgents serves GET /WebApp/API/AgentResource/ProductAgents.
func (api *API) ListAgents(w http.ResponseWriter, r *http.Request) {
	q := query(r)
	agents, err := api.Fleet.Agents(r.Context(), fleet.AgentFilter{
		EntityID: q.Get("entity_id"), IPAddress: q.Get("ip_address"), MACAddress: q.Get("mac_address"),
		HostName: q.Get("host_name"), Product: q.Get("product"), ManagingServerID: q.Get("managing_server_id"),
	})
	if err != nil {
		api.fail(w, r, err)
		return
	}
	writeOK(w, toProductAgents(agents))
}

// agentActionBody is the body of a POST, by lower-cased key: the vendor
// binds body fields case-insensitively, as it does query parameters.
// Values are decoded by hand so that a wrong type is a precise -21.
type agentActionBody map[string]json.RawMessage

// decodeBody decodes a POST body into an agentActionBody.
func decodeBody(raw []byte) (agentActionBody, error) {
	var body map[string]json.RawMessage
	if err := decodeObject(raw, &body); err != nil {
		return nil, err
	}
	folded := make(agentActionBody, len(body))
	for k, v := range body {
		folded[strings.ToLower(k)] = v
	}
	return folded, nil
}

// field returns the raw value of the named field.
func (b agentActionBody) field(name string) (json.RawMessage, bool) {
	v, ok := b[strings.ToLower(name)]
	return v, ok
}

// ActOnAgents serves POST /WebApp/API/AgentResource/ProductAgents:
// isolate, restore, relocate or uninstall the matching agents.
func (api *API) ActOnAgents(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(fromContext(r.Context()).body)
	if err != nil {
		writeError(w, CodeInvalidParameter, err.Error())
		return
	}
	req, code, err := body.request()
	if err != nil {
		writeError(w, code, err.Error())
		return
	}
	audit.Qualify(r.Context(), string(req.Action))
	agents, err := api.Fleet.Act(r.Context(), req)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	audit.SetTarget(r.Context(), entityIDs(agents))
	api.Log.InfoContext(r.Context(), "agent action accepted", "act", string(req.Action),
		"app", fromContext(r.Context()).app.ID, "agents", len(agents))
	writeOK(w, toProductAgents(agents))
}

func (b agentActionBody) request() (fleet.ActRequest, ResultCode, error) {
	act, err := b.str("act")
	if err != nil || !fleet.Action(act).Valid() {
		return fleet.ActRequest{}, CodeInvalidOperation, fmt.Errorf("act %s is not one of cmd_isolate_agent, cmd_restore_isolated_agent, cmd_relocate_agent, cmd_uninstall_agent", rawText(b.raw("act")))
	}
	req := fleet.ActRequest{Action: fleet.Action(act)}
	if req.AllowMultiple, err = b.flag("allow_multiple_match"); err != nil {
		return req, CodeInvalidParameter, err
	}
	fields := []struct {
		name string
		dst  *string
	}{
		{"entity_id", &req.Filter.EntityID}, {"ip_address", &req.Filter.IPAddress}, {"mac_address", &req.Filter.MACAddress},
		{"host_name", &req.Filter.HostName}, {"product", &req.Filter.Product},
		{"relocate_to_server_id", &req.RelocateServerID}, {"relocate_to_folder_path", &req.RelocateFolderPath},
	}
	for _, f := range fields {
		if *f.dst, err = b.str(f.name); err != nil {
			return req, CodeInvalidParameter, err
		}
	}
	if req.Filter.Empty() {
		return req, CodeInvalidParameter, errors.New("give at least one of entity_id, ip_address, mac_address, host_name, product")
	}
	if req.Action == fleet.ActRelocate {
		if strings.TrimSpace(req.RelocateServerID) == "" {
			return req, CodeInvalidParameter, errors.New("relocate_to_server_id is required for cmd_relocate_agent")
		}
		if strings.TrimSpace(req.RelocateFolderPath) == "" {
			return req, CodeInvalidParameter, errors.New("relocate_to_folder_path is required for cmd_relocate_agent")
		}
	}
	return req, CodeSuccess, nil
}

// str reads an optional string field; absent and null read as "".
func (b agentActionBody) str(name string) (string, error) {
	raw, ok := b.field(name)
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s must be a string, got %s", name, rawText(raw))
	}
	return strings.TrimSpace(s), nil
}

// flag reads a required boolean documented as "String True/False" and sent
// as a JSON boolean by every example: both are accepted.
func (b agentActionBody) flag(name string) (bool, error) {
	raw, ok := b.field(name)
	if !ok || string(raw) == "null" {
		return false, fmt.Errorf("%s is required (true or false)", name)
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err == nil {
		return v, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("%s must be true or false (boolean or string), got %s", name, rawText(raw))
}

// decodeObject decodes a JSON object body, refusing trailing data.
func decodeObject(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) == 0 || string(t) == "null" {
		return errors.New("the request body is empty or null; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the request body is not a JSON object: %v", err)
	}
	if dec.More() {
		return errors.New("the request body has data after the JSON object")
	}
	return nil
}

// raw returns the named field's raw value, nil when absent.
func (b agentActionBody) raw(name string) json.RawMessage {
	v, _ := b.field(name)
	return v
}

func rawText(raw json.RawMessage) string {
	if raw == nil {
		return "(missing)"
	}
	return clip(string(raw), 200)
}

// fail maps a domain error to its result code; internal errors are logged
// and never shown to the client.
func (api *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fleet.ErrInvalid):
		writeError(w, CodeInvalidParameter, strings.TrimPrefix(err.Error(), fleet.ErrInvalid.Error()+": "))
	case errors.Is(err, fleet.ErrMultipleMatch):
		writeError(w, CodeMultipleMatch, strings.TrimPrefix(err.Error(), fleet.ErrMultipleMatch.Error()+": "))
	case errors.Is(err, fleet.ErrTargetNotFound), errors.Is(err, fleet.ErrServerNotFound):
		writeError(w, CodeTargetNotFound, "")
	case errors.Is(err, fleet.ErrTargetIncapable):
		writeError(w, CodeTargetNotSupported, strings.TrimPrefix(err.Error(), fleet.ErrTargetIncapable.Error()+": "))
	default:
		api.Log.ErrorContext(r.Context(), "apex central request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, CodeInternalError, "")
	}
}

// entityIDs lists the agents' entity IDs for the audit trail, the first
// ten of a larger match followed by how many more there were.
func entityIDs(agents []fleet.Agent) string {
	ids := make([]string, 0, min(len(agents), 11))
	for i, a := range agents {
		if i == 10 {
			ids = append(ids, fmt.Sprintf("and %d more", len(agents)-10))
			break
		}
		ids = append(ids, a.EntityID)
	}
	return strings.Join(ids, ",")
}
