package apexcentral

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/client/transport"
)

// Action is an agent action's act.
type Action string

// The four agent actions.
const (
	ActIsolate   Action = "cmd_isolate_agent"
	ActRestore   Action = "cmd_restore_isolated_agent"
	ActRelocate  Action = "cmd_relocate_agent"
	ActUninstall Action = "cmd_uninstall_agent"
)

// ListAgents lists the Security Agents that match f (GET ProductAgents).
func (c *Client) ListAgents(ctx context.Context, f AgentFilter) ([]Agent, error) {
	var out []Agent
	if err := c.call(ctx, http.MethodGet, agentsResource, queryOf(f.pairs()), nil, transport.ByMethod, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ActionRequest is one agent action.
type ActionRequest struct {
	Action Action
	// Target selects the agents; at least one field is required.
	Target AgentTarget
	// AllowMultipleMatch lets the action apply to every agent Target
	// selects; without it, several matches fail with CodeMultipleMatch and
	// nothing changes.
	AllowMultipleMatch bool
	// RelocateToServerID and RelocateToFolderPath are required for
	// ActRelocate and must be empty otherwise.
	RelocateToServerID   string
	RelocateToFolderPath string
}

// actionBody is the wire body: the target fields, act, allow_multiple_match
// (always sent, as a JSON boolean as every example does) and the relocation
// fields when relocating.
type actionBody struct {
	AgentTarget
	Act                  Action `json:"act"`
	AllowMultipleMatch   bool   `json:"allow_multiple_match"`
	RelocateToServerID   string `json:"relocate_to_server_id,omitempty"`
	RelocateToFolderPath string `json:"relocate_to_folder_path,omitempty"`
}

// Act carries out an agent action (POST ProductAgents). It returns the
// agents acted on as the server holds them right after (pending states
// included). An empty list with no error means the selected agents cannot
// take the action through the API (they lack its capability).
//
// An action is never retried once the server may have seen it.
func (c *Client) Act(ctx context.Context, r ActionRequest) ([]Agent, error) {
	switch r.Action {
	case ActIsolate, ActRestore, ActUninstall:
		if r.RelocateToServerID != "" || r.RelocateToFolderPath != "" {
			return nil, fmt.Errorf("apex central: %s takes no relocation target", r.Action)
		}
	case ActRelocate:
		if strings.TrimSpace(r.RelocateToServerID) == "" || strings.TrimSpace(r.RelocateToFolderPath) == "" {
			return nil, errors.New("apex central: relocating needs the target server's entity_id and a folder path")
		}
	default:
		return nil, fmt.Errorf("apex central: action %q is not one of %s, %s, %s, %s", r.Action, ActIsolate, ActRestore, ActRelocate, ActUninstall)
	}
	if r.Target.Empty() {
		return nil, ErrNoTarget
	}
	body, err := encode(actionBody{AgentTarget: r.Target, Act: r.Action, AllowMultipleMatch: r.AllowMultipleMatch,
		RelocateToServerID: r.RelocateToServerID, RelocateToFolderPath: r.RelocateToFolderPath})
	if err != nil {
		return nil, fmt.Errorf("apex central: encoding %s: %w", r.Action, err)
	}
	out := []Agent{}
	if err := c.call(ctx, c.actionMethod, agentsResource, nil, body, transport.NotIdempotent, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Isolate isolates the agents t selects from the network.
func (c *Client) Isolate(ctx context.Context, t AgentTarget, allowMultipleMatch bool) ([]Agent, error) {
	return c.Act(ctx, ActionRequest{Action: ActIsolate, Target: t, AllowMultipleMatch: allowMultipleMatch})
}

// Restore reconnects the isolated agents t selects.
func (c *Client) Restore(ctx context.Context, t AgentTarget, allowMultipleMatch bool) ([]Agent, error) {
	return c.Act(ctx, ActionRequest{Action: ActRestore, Target: t, AllowMultipleMatch: allowMultipleMatch})
}

// Relocate moves the agents t selects to server serverID, in folderPath
// (e.g. `\NewDomain\NewFolder`).
func (c *Client) Relocate(ctx context.Context, t AgentTarget, allowMultipleMatch bool, serverID, folderPath string) ([]Agent, error) {
	return c.Act(ctx, ActionRequest{Action: ActRelocate, Target: t, AllowMultipleMatch: allowMultipleMatch,
		RelocateToServerID: serverID, RelocateToFolderPath: folderPath})
}

// Uninstall uninstalls the agents t selects.
func (c *Client) Uninstall(ctx context.Context, t AgentTarget, allowMultipleMatch bool) ([]Agent, error) {
	return c.Act(ctx, ActionRequest{Action: ActUninstall, Target: t, AllowMultipleMatch: allowMultipleMatch})
}
