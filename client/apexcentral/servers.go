package apexcentral

import (
	"context"
	"errors"
	"net/http"

	"github.com/rampart-sec/rampart/client/transport"
)

// ListServers lists the managed servers that match f (GET ProductServers).
func (c *Client) ListServers(ctx context.Context, f ServerFilter) ([]Server, error) {
	var out []Server
	if err := c.call(ctx, http.MethodGet, serversResource, queryOf(f.pairs()), nil, transport.ByMethod, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// deployBody is the body of POST ProductServers, in the seed's key order.
type deployBody struct {
	EntityID string `json:"entity_id"`
	Act      string `json:"act"`
	Settings string `json:"setting_data_JSON_string"`
}

// DeployUpdateSources deploys update-source settings to the Apex One
// server serverID (POST ProductServers, act cmd_deploy_update_sources). It
// returns the server as result_content lists it; an empty list means the
// call succeeded but the server cannot deploy update sources through the
// API (it lacks CapDeployUpdateSources).
func (c *Client) DeployUpdateSources(ctx context.Context, serverID string, s UpdateSettings) ([]Server, error) {
	if serverID == "" {
		return nil, errors.New("apex central: deploying update sources: the server's entity_id is required")
	}
	settings, err := s.SettingString()
	if err != nil {
		return nil, err
	}
	body, err := encode(deployBody{EntityID: serverID, Act: string(CapDeployUpdateSources), Settings: settings})
	if err != nil {
		return nil, err
	}
	out := []Server{}
	if err := c.call(ctx, http.MethodPost, serversResource, nil, body, transport.NotIdempotent, &out); err != nil {
		return nil, err
	}
	return out, nil
}
