package workload

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rampart-sec/rampart/client/search"
	"github.com/rampart-sec/rampart/client/transport"
)

// The built-in roles.
const (
	FullAccessRoleID int64 = 1
	AuditorRoleID    int64 = 2
)

// Role is the vendor's Role object (the parts of the rights tree that
// Rampart models).
type Role struct {
	ID                                            int64   `json:"ID"`
	Name                                          string  `json:"name"`
	Description                                   string  `json:"description,omitempty"`
	URN                                           string  `json:"urn,omitempty"`
	Immutable                                     bool    `json:"immutable"`
	CanOnlyManipulateUsersWithEqualOrLesserRights bool    `json:"canOnlyManipulateUsersWithEqualOrLesserRights"`
	AllComputers                                  bool    `json:"allComputers"`
	AllPolicies                                   bool    `json:"allPolicies"`
	AllowUserInterface                            bool    `json:"allowUserInterface"`
	AllowWebService                               bool    `json:"allowWebService"`
	ComputerIDs                                   []int64 `json:"computerIDs,omitempty"`
	ComputerGroupIDs                              []int64 `json:"computerGroupIDs,omitempty"`
	PolicyIDs                                     []int64 `json:"policyIDs,omitempty"`
	Rights                                        Rights  `json:"rights"`
}

// Rights is a role's rights tree.
type Rights struct {
	PlatformRights PlatformRights `json:"platformRights"`
}

// PlatformRights are the rights on the manager itself.
type PlatformRights struct {
	APIKeyRights APIKeyRights `json:"apikeyRights"`
	RoleRights   RoleRights   `json:"roleRights"`
}

// APIKeyRights are the rights on API keys.
type APIKeyRights struct {
	CanCreateNewAPIKeys     bool `json:"canCreateNewApiKeys"`
	CanDeleteAPIKeys        bool `json:"canDeleteApiKeys"`
	CanEditAPIKeyProperties bool `json:"canEditApiKeyProperties"`
	CanViewAPIKeys          bool `json:"canViewApiKeys"`
}

// RoleRights are the rights on roles.
type RoleRights struct {
	CanCreateNewRoles     bool `json:"canCreateNewRoles"`
	CanDeleteRoles        bool `json:"canDeleteRoles"`
	CanEditRoleProperties bool `json:"canEditRoleProperties"`
	CanViewRoles          bool `json:"canViewRoles"`
}

type roleList struct {
	Roles []Role `json:"roles"`
}

// ListRoles lists the roles (GET /api/roles).
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	var out roleList
	if _, err := c.call(ctx, http.MethodGet, "/roles", nil, nil, transport.ByMethod, &out, false); err != nil {
		return nil, err
	}
	return out.Roles, nil
}

// SearchRoles lists the roles f selects (POST /api/roles/search; retried
// like a GET).
func (c *Client) SearchRoles(ctx context.Context, f SearchFilter) ([]Role, error) {
	var out roleList
	if _, err := c.call(ctx, http.MethodPost, "/roles/search", nil, f, transport.Idempotent, &out, false); err != nil {
		return nil, err
	}
	return out.Roles, nil
}

// DescribeRole reads one role (GET /api/roles/{id}).
func (c *Client) DescribeRole(ctx context.Context, id int64) (Role, error) {
	var out Role
	_, err := c.call(ctx, http.MethodGet, "/roles/"+strconv.FormatInt(id, 10), nil, nil, transport.ByMethod, &out, false)
	return out, err
}

// RoleByName finds the role called name, as seed 003 does: a search on
// name equal to name, with wildcards off so that "_" and "%" in a name
// match only themselves. It returns a 404-like error when there is none.
func (c *Client) RoleByName(ctx context.Context, name string) (Role, error) {
	roles, err := c.SearchRoles(ctx, SearchFilter{SearchCriteria: []SearchCriteria{search.StringEquals("name", name).NoWildcards()}})
	if err != nil {
		return Role{}, err
	}
	if len(roles) == 0 {
		return Role{}, fmt.Errorf("workload security: no role is named %q", name)
	}
	return roles[0], nil
}
