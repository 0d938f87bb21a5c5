package workload

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

// role is the vendor's Role object.
type role struct {
	Name                                          string  `json:"name"`
	Description                                   string  `json:"description,omitempty"`
	URN                                           string  `json:"urn"`
	Immutable                                     bool    `json:"immutable"`
	CanOnlyManipulateUsersWithEqualOrLesserRights bool    `json:"canOnlyManipulateUsersWithEqualOrLesserRights"`
	AllComputers                                  bool    `json:"allComputers"`
	AllPolicies                                   bool    `json:"allPolicies"`
	AllowUserInterface                            bool    `json:"allowUserInterface"`
	AllowWebService                               bool    `json:"allowWebService"`
	ComputerIDs                                   []int64 `json:"computerIDs,omitempty"`
	ComputerGroupIDs                              []int64 `json:"computerGroupIDs,omitempty"`
	PolicyIDs                                     []int64 `json:"policyIDs,omitempty"`
	Rights                                        rights  `json:"rights"`
	ID                                            int64   `json:"ID"`
}

type rights struct {
	PlatformRights platformRights `json:"platformRights"`
}

type platformRights struct {
	APIKeyRights apiKeyRights `json:"apikeyRights"`
	RoleRights   roleRights   `json:"roleRights"`
}

type apiKeyRights struct {
	CanCreateNewAPIKeys     bool `json:"canCreateNewApiKeys"`
	CanDeleteAPIKeys        bool `json:"canDeleteApiKeys"`
	CanEditAPIKeyProperties bool `json:"canEditApiKeyProperties"`
	CanViewAPIKeys          bool `json:"canViewApiKeys"`
}

type roleRights struct {
	CanCreateNewRoles     bool `json:"canCreateNewRoles"`
	CanDeleteRoles        bool `json:"canDeleteRoles"`
	CanEditRoleProperties bool `json:"canEditRoleProperties"`
	CanViewRoles          bool `json:"canViewRoles"`
}

// roleInput is what create and modify accept; nil means "not given".
type roleInput struct {
	Name                                          *string    `json:"name"`
	Description                                   *string    `json:"description"`
	CanOnlyManipulateUsersWithEqualOrLesserRights *bool      `json:"canOnlyManipulateUsersWithEqualOrLesserRights"`
	AllComputers                                  *bool      `json:"allComputers"`
	AllPolicies                                   *bool      `json:"allPolicies"`
	AllowUserInterface                            *bool      `json:"allowUserInterface"`
	AllowWebService                               *bool      `json:"allowWebService"`
	ComputerIDs                                   *[]int64   `json:"computerIDs"`
	ComputerGroupIDs                              *[]int64   `json:"computerGroupIDs"`
	PolicyIDs                                     *[]int64   `json:"policyIDs"`
	Rights                                        *rightsSet `json:"rights"`
}

type rightsSet struct {
	PlatformRights *struct {
		APIKeyRights *struct {
			CanCreateNewAPIKeys     *bool `json:"canCreateNewApiKeys"`
			CanDeleteAPIKeys        *bool `json:"canDeleteApiKeys"`
			CanEditAPIKeyProperties *bool `json:"canEditApiKeyProperties"`
			CanViewAPIKeys          *bool `json:"canViewApiKeys"`
		} `json:"apikeyRights"`
		RoleRights *struct {
			CanCreateNewRoles     *bool `json:"canCreateNewRoles"`
			CanDeleteRoles        *bool `json:"canDeleteRoles"`
			CanEditRoleProperties *bool `json:"canEditRoleProperties"`
			CanViewRoles          *bool `json:"canViewRoles"`
		} `json:"roleRights"`
	} `json:"platformRights"`
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (in roleInput) apply(r *identity.Role) {
	set(&r.Name, in.Name)
	set(&r.Description, in.Description)
	set(&r.CanOnlyManipulateUsersWithEqualOrLesser, in.CanOnlyManipulateUsersWithEqualOrLesserRights)
	set(&r.AllComputers, in.AllComputers)
	set(&r.AllPolicies, in.AllPolicies)
	set(&r.AllowUserInterface, in.AllowUserInterface)
	set(&r.AllowWebService, in.AllowWebService)
	set(&r.ComputerIDs, in.ComputerIDs)
	set(&r.ComputerGroupIDs, in.ComputerGroupIDs)
	set(&r.PolicyIDs, in.PolicyIDs)
	if in.Rights == nil || in.Rights.PlatformRights == nil {
		return
	}
	if k := in.Rights.PlatformRights.APIKeyRights; k != nil {
		set(&r.Rights.CanCreateAPIKeys, k.CanCreateNewAPIKeys)
		set(&r.Rights.CanDeleteAPIKeys, k.CanDeleteAPIKeys)
		set(&r.Rights.CanEditAPIKeys, k.CanEditAPIKeyProperties)
		set(&r.Rights.CanViewAPIKeys, k.CanViewAPIKeys)
	}
	if k := in.Rights.PlatformRights.RoleRights; k != nil {
		set(&r.Rights.CanCreateRoles, k.CanCreateNewRoles)
		set(&r.Rights.CanDeleteRoles, k.CanDeleteRoles)
		set(&r.Rights.CanEditRoles, k.CanEditRoleProperties)
		set(&r.Rights.CanViewRoles, k.CanViewRoles)
	}
}

func roleURN(r identity.Role) string {
	return "urn:tmds:identity:rampart:0:role/" + strings.ReplaceAll(strings.ToLower(r.Name), " ", "-")
}

func toRole(r identity.Role) role {
	rs := r.Rights
	return role{Name: r.Name, Description: r.Description, URN: roleURN(r), Immutable: r.Immutable,
		CanOnlyManipulateUsersWithEqualOrLesserRights: r.CanOnlyManipulateUsersWithEqualOrLesser,
		AllComputers: r.AllComputers, AllPolicies: r.AllPolicies, AllowUserInterface: r.AllowUserInterface,
		AllowWebService: r.AllowWebService, ComputerIDs: r.ComputerIDs, ComputerGroupIDs: r.ComputerGroupIDs, PolicyIDs: r.PolicyIDs,
		Rights: rights{PlatformRights: platformRights{
			APIKeyRights: apiKeyRights{rs.CanCreateAPIKeys, rs.CanDeleteAPIKeys, rs.CanEditAPIKeys, rs.CanViewAPIKeys},
			RoleRights:   roleRights{rs.CanCreateRoles, rs.CanDeleteRoles, rs.CanEditRoles, rs.CanViewRoles},
		}},
		ID: r.ID}
}

type roles struct {
	Roles []role `json:"roles"`
}

func toRoles(rs []identity.Role) roles {
	out := roles{Roles: make([]role, len(rs))}
	for i, r := range rs {
		out.Roles[i] = toRole(r)
	}
	return out
}

// ListRoles serves GET /api/roles.
func (api *API) ListRoles(w http.ResponseWriter, r *http.Request) {
	rs, err := api.Access.Roles(r.Context(), principalFrom(r.Context()), search.Filter{MaxItems: search.DefaultMaxItems})
	if err != nil {
		api.fail(w, r, "role", err)
		return
	}
	writeJSON(w, http.StatusOK, toRoles(rs))
}

// SearchRoles serves POST /api/roles/search.
func (api *API) SearchRoles(w http.ResponseWriter, r *http.Request) {
	f, ok := parseFilter(w, r, identity.RoleSchema)
	if !ok {
		return
	}
	rs, err := api.Access.Roles(r.Context(), principalFrom(r.Context()), f)
	if err != nil {
		api.fail(w, r, "role", err)
		return
	}
	writeJSON(w, http.StatusOK, toRoles(rs))
}

// CreateRole serves POST /api/roles.
func (api *API) CreateRole(w http.ResponseWriter, r *http.Request) {
	var in roleInput
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return
	}
	var ro identity.Role
	in.apply(&ro)
	created, err := api.Access.CreateRole(r.Context(), principalFrom(r.Context()), ro)
	if err != nil {
		api.fail(w, r, "role", err)
		return
	}
	audit.SetTarget(r.Context(), strconv.FormatInt(created.ID, 10))
	writeJSON(w, http.StatusOK, toRole(created))
}

// DescribeRole serves GET /api/roles/{roleID}.
func (api *API) DescribeRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "roleID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The role does not exist.")
		return
	}
	ro, err := api.Access.Role(r.Context(), principalFrom(r.Context()), id)
	if err != nil {
		api.fail(w, r, "role", err)
		return
	}
	writeJSON(w, http.StatusOK, toRole(ro))
}

// ModifyRole serves POST /api/roles/{roleID}.
func (api *API) ModifyRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "roleID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The role does not exist.")
		return
	}
	var in roleInput
	if err := decode(r, &in); err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return
	}
	ro, err := api.Access.ModifyRole(r.Context(), principalFrom(r.Context()), id, in.apply)
	if err != nil {
		api.fail(w, r, "role", err)
		return
	}
	writeJSON(w, http.StatusOK, toRole(ro))
}

// DeleteRole serves DELETE /api/roles/{roleID}.
func (api *API) DeleteRole(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "roleID")
	if !ok {
		writeMessage(w, http.StatusNotFound, "The role does not exist.")
		return
	}
	if err := api.Access.DeleteRole(r.Context(), principalFrom(r.Context()), id); err != nil {
		api.fail(w, r, "role", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
