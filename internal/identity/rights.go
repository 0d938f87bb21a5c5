package identity

// Right is one permission a role may grant.
type Right int

// The rights Rampart enforces today: those over API keys and roles.
const (
	ViewAPIKeys Right = iota
	CreateAPIKeys
	EditAPIKeys
	DeleteAPIKeys
	ViewRoles
	CreateRoles
	EditRoles
	DeleteRoles
	ManageAppliances
)

// Rights is a role's rights tree, as flags.
type Rights struct {
	CanViewAPIKeys, CanCreateAPIKeys, CanEditAPIKeys, CanDeleteAPIKeys bool
	CanViewRoles, CanCreateRoles, CanEditRoles, CanDeleteRoles         bool
	// CanManageAppliances lets a key start appliance migrations
	// (Network Security "permission": "write").
	CanManageAppliances bool
}

// Has reports whether the rights grant r.
func (rs Rights) Has(r Right) bool {
	switch r {
	case ViewAPIKeys:
		return rs.CanViewAPIKeys
	case CreateAPIKeys:
		return rs.CanCreateAPIKeys
	case EditAPIKeys:
		return rs.CanEditAPIKeys
	case DeleteAPIKeys:
		return rs.CanDeleteAPIKeys
	case ViewRoles:
		return rs.CanViewRoles
	case CreateRoles:
		return rs.CanCreateRoles
	case EditRoles:
		return rs.CanEditRoles
	case DeleteRoles:
		return rs.CanDeleteRoles
	case ManageAppliances:
		return rs.CanManageAppliances
	}
	return false
}

// Action and Resource name a right in the vendor's refusal message
// ("Not authorized to <action> <resource>").
func (r Right) Action() (action, resource string) {
	switch r {
	case ViewAPIKeys:
		return "view", "API keys"
	case CreateAPIKeys:
		return "create", "API keys"
	case EditAPIKeys:
		return "modify", "API keys"
	case DeleteAPIKeys:
		return "delete", "API keys"
	case ViewRoles:
		return "view", "roles"
	case CreateRoles:
		return "create", "roles"
	case EditRoles:
		return "modify", "roles"
	case ManageAppliances:
		return "migrate", "appliances"
	default:
		return "delete", "roles"
	}
}

// FullRights grants everything.
func FullRights() Rights {
	return Rights{true, true, true, true, true, true, true, true, true}
}

// ReadOnlyRights grants viewing only.
func ReadOnlyRights() Rights {
	return Rights{CanViewAPIKeys: true, CanViewRoles: true}
}
