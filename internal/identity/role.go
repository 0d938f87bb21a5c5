package identity

import "time"

// Role is a named set of rights that administrators and API keys carry.
type Role struct {
	ID          int64
	Name        string
	Description string
	// Immutable roles (the built-in Full Access) cannot be changed or deleted.
	Immutable                                bool
	CanOnlyManipulateUsersWithEqualOrLesser  bool
	AllComputers, AllPolicies                bool
	AllowUserInterface, AllowWebService      bool
	ComputerIDs, ComputerGroupIDs, PolicyIDs []int64
	Rights                                   Rights
	Created                                  time.Time
}

// The built-in roles, created with every store.
const (
	FullAccessRoleID int64 = 1
	AuditorRoleID    int64 = 2
)

// BuiltinRoles are the roles a new installation has.
func BuiltinRoles() []Role {
	return []Role{
		{ID: FullAccessRoleID, Name: "Full Access", Description: "Full access to every function", Immutable: true,
			AllComputers: true, AllPolicies: true, AllowUserInterface: true, AllowWebService: true, Rights: FullRights()},
		{ID: AuditorRoleID, Name: "Auditor", Description: "Read-only access to computers, policies, roles and API keys",
			AllComputers: true, AllPolicies: true, AllowUserInterface: true, AllowWebService: true, Rights: ReadOnlyRights()},
	}
}
