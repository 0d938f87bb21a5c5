package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

// testAccess covers identity.AccessStore: administrators, sessions, roles,
// API keys and the search filters over roles and keys.
func testAccess(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Admins", func(t *testing.T) { testAdmins(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Roles", func(t *testing.T) { testRoles(t, open) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open) })
	t.Run("RoleSearch", func(t *testing.T) { testRoleSearch(t, open) })
	t.Run("APIKeySearch", func(t *testing.T) { testAPIKeySearch(t, open) })
}

// withBuiltinRoles creates the built-in roles, which administrators and API
// keys refer to.
func withBuiltinRoles(t *testing.T, s Store) {
	t.Helper()
	if err := s.EnsureRoles(context.Background(), identity.BuiltinRoles()); err != nil {
		t.Fatalf("EnsureRoles: %v", err)
	}
}

// allFilter is a search with no criteria and the default maxItems.
func allFilter(t *testing.T, schema search.Schema) search.Filter {
	t.Helper()
	f, err := search.Parse(nil, schema)
	if err != nil {
		t.Fatalf("search.Parse(empty): %v", err)
	}
	return f
}

// wantNotFound fails t unless err is (or wraps) identity.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

// ---------------------------------------------------------------------------
// Administrators

func testAdmins(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	admin := func(name string, role int64) identity.Administrator {
		return identity.Administrator{Username: name, PasswordHash: "$2a$10$hash-of-" + name, RoleID: role, Created: base}
	}

	t.Run("InsertGetList", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		// Inserted out of name order; listed in ID (insertion) order.
		admins := []identity.Administrator{admin("zed", identity.FullAccessRoleID), admin("adam", identity.AuditorRoleID), admin("mike", identity.FullAccessRoleID)}
		admins[1].Failed, admins[1].LockedUntil, admins[1].TOTPSecret = 4, base.Add(30*time.Minute+456*time.Millisecond), "sealed-totp\x00\xff"
		admins[2].Created = base.Add(time.Hour + 7*time.Millisecond)
		var last int64
		for i := range admins {
			id, err := s.InsertAdmin(ctx, admins[i])
			if err != nil {
				t.Fatalf("InsertAdmin %s: %v", admins[i].Username, err)
			}
			if id <= last {
				t.Errorf("InsertAdmin %s = ID %d, want more than %d", admins[i].Username, id, last)
			}
			admins[i].ID, last = id, id
		}
		for _, a := range admins {
			got, err := s.Admin(ctx, a.ID)
			if err != nil {
				t.Fatalf("Admin(%d): %v", a.ID, err)
			}
			if d := diff(a, got); d != "" {
				t.Errorf("Admin(%d) (-want +got):\n%s", a.ID, d)
			}
			got, err = s.AdminByName(ctx, a.Username)
			if err != nil {
				t.Fatalf("AdminByName(%s): %v", a.Username, err)
			}
			if d := diff(a, got); d != "" {
				t.Errorf("AdminByName(%s) (-want +got):\n%s", a.Username, d)
			}
		}
		got, err := s.Admins(ctx)
		if err != nil {
			t.Fatalf("Admins: %v", err)
		}
		if d := diff(admins, got); d != "" {
			t.Errorf("Admins (-want +got):\n%s", d)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		a := admin("alice", identity.AuditorRoleID)
		id, err := s.InsertAdmin(ctx, a)
		if err != nil {
			t.Fatalf("InsertAdmin: %v", err)
		}
		a.ID = id
		other := admin("bob", identity.AuditorRoleID)
		if other.ID, err = s.InsertAdmin(ctx, other); err != nil {
			t.Fatalf("InsertAdmin bob: %v", err)
		}

		u := a
		u.PasswordHash, u.RoleID, u.Failed = "$2a$10$another-hash", identity.FullAccessRoleID, 5
		u.LockedUntil, u.TOTPSecret = base.Add(30*time.Minute+999*time.Millisecond), "sealed-secret"
		if err := s.UpdateAdmin(ctx, u); err != nil {
			t.Fatalf("UpdateAdmin: %v", err)
		}
		got, err := s.AdminByName(ctx, "alice")
		if err != nil {
			t.Fatalf("AdminByName after update: %v", err)
		}
		if d := diff(u, got); d != "" {
			t.Errorf("after update (-want +got):\n%s", d)
		}

		// Unlock: the lock and the TOTP secret go back to unset.
		u.Failed, u.LockedUntil, u.TOTPSecret = 0, time.Time{}, ""
		if err := s.UpdateAdmin(ctx, u); err != nil {
			t.Fatalf("UpdateAdmin (unlock): %v", err)
		}
		got, err = s.Admin(ctx, a.ID)
		if err != nil {
			t.Fatalf("Admin after unlock: %v", err)
		}
		if d := diff(u, got); d != "" {
			t.Errorf("after unlock (-want +got):\n%s", d)
		}
		if !got.LockedUntil.IsZero() {
			t.Errorf("LockedUntil after unlock = %v, want the zero time", got.LockedUntil)
		}

		// The other administrator is untouched.
		gotOther, err := s.Admin(ctx, other.ID)
		if err != nil {
			t.Fatalf("Admin(other): %v", err)
		}
		if d := diff(other, gotOther); d != "" {
			t.Errorf("other administrator changed (-want +got):\n%s", d)
		}
	})

	t.Run("DuplicateUsername", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		a := admin("alice", identity.FullAccessRoleID)
		id, err := s.InsertAdmin(ctx, a)
		if err != nil {
			t.Fatalf("InsertAdmin: %v", err)
		}
		a.ID = id
		dup := admin("alice", identity.AuditorRoleID)
		dup.PasswordHash = "someone else's"
		if _, err := s.InsertAdmin(ctx, dup); err == nil {
			t.Fatal("InsertAdmin with a taken username succeeded")
		}
		got, err := s.Admins(ctx)
		if err != nil {
			t.Fatalf("Admins: %v", err)
		}
		if d := diff([]identity.Administrator{a}, got); d != "" {
			t.Errorf("Admins after the refused insert (-want +got):\n%s", d)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		got, err := s.Admins(ctx)
		if err != nil {
			t.Errorf("Admins of an empty store: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("Admins of an empty store = %d administrators, want none", len(got))
		}
		id, err := s.InsertAdmin(ctx, admin("alice", identity.FullAccessRoleID))
		if err != nil {
			t.Fatalf("InsertAdmin: %v", err)
		}
		_, err = s.Admin(ctx, id+1000)
		wantNotFound(t, "Admin of a missing ID", err)
		_, err = s.AdminByName(ctx, "nobody")
		wantNotFound(t, "AdminByName of a missing name", err)
		missing := admin("nobody", identity.FullAccessRoleID)
		missing.ID = id + 1000
		wantNotFound(t, "UpdateAdmin of a missing ID", s.UpdateAdmin(ctx, missing))
	})
}

// ---------------------------------------------------------------------------
// Sessions

func testSessions(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	setup := func(t *testing.T) (Store, int64) {
		s := open(t)
		withBuiltinRoles(t, s)
		id, err := s.InsertAdmin(ctx, identity.Administrator{Username: "alice", PasswordHash: "h", RoleID: identity.FullAccessRoleID, Created: base})
		if err != nil {
			t.Fatalf("InsertAdmin: %v", err)
		}
		return s, id
	}
	session := func(hash string, admin int64) identity.Session {
		return identity.Session{IDHash: hash, RID: "rid-" + hash, AdminID: admin, Created: base, LastActivity: base.Add(time.Second)}
	}
	const h1 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const h2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

	t.Run("Lifecycle", func(t *testing.T) {
		s, admin := setup(t)
		s1, s2 := session(h1, admin), session(h2, admin)
		s2.Created, s2.LastActivity = base.Add(time.Minute), base.Add(time.Minute)
		for _, se := range []identity.Session{s1, s2} {
			if err := s.InsertSession(ctx, se); err != nil {
				t.Fatalf("InsertSession %s: %v", se.IDHash, err)
			}
		}
		got, err := s.Session(ctx, h1)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if d := diff(s1, got); d != "" {
			t.Errorf("Session after insert (-want +got):\n%s", d)
		}

		at := base.Add(5*time.Minute + 7*time.Millisecond)
		if err := s.TouchSession(ctx, h1, at); err != nil {
			t.Fatalf("TouchSession: %v", err)
		}
		s1.LastActivity = at
		if got, err = s.Session(ctx, h1); err != nil {
			t.Fatalf("Session after touch: %v", err)
		}
		if d := diff(s1, got); d != "" {
			t.Errorf("Session after touch (-want +got):\n%s", d)
		}

		if err := s.DeleteSession(ctx, h1); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		_, err = s.Session(ctx, h1)
		wantNotFound(t, "Session after delete", err)
		wantNotFound(t, "TouchSession after delete", s.TouchSession(ctx, h1, at))
		wantNotFound(t, "DeleteSession after delete", s.DeleteSession(ctx, h1))

		// The administrator's other session is untouched.
		if got, err = s.Session(ctx, h2); err != nil {
			t.Fatalf("Session(other): %v", err)
		}
		if d := diff(s2, got); d != "" {
			t.Errorf("other session (-want +got):\n%s", d)
		}
	})

	t.Run("DuplicateIDHash", func(t *testing.T) {
		s, admin := setup(t)
		s1 := session(h1, admin)
		if err := s.InsertSession(ctx, s1); err != nil {
			t.Fatalf("InsertSession: %v", err)
		}
		dup := session(h1, admin)
		dup.RID = "another"
		if err := s.InsertSession(ctx, dup); err == nil {
			t.Fatal("InsertSession with a taken ID hash succeeded")
		}
		got, err := s.Session(ctx, h1)
		if err != nil {
			t.Fatalf("Session: %v", err)
		}
		if d := diff(s1, got); d != "" {
			t.Errorf("the first session changed (-want +got):\n%s", d)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s, _ := setup(t)
		_, err := s.Session(ctx, h1)
		wantNotFound(t, "Session", err)
		wantNotFound(t, "TouchSession", s.TouchSession(ctx, h1, base))
		wantNotFound(t, "DeleteSession", s.DeleteSession(ctx, h1))
	})
}

// ---------------------------------------------------------------------------
// Roles

// customRole is a role with every field set to something other than its
// zero value.
func customRole(name string) identity.Role {
	return identity.Role{Name: name, Description: "the " + name + " role", CanOnlyManipulateUsersWithEqualOrLesser: true,
		AllComputers: false, AllPolicies: true, AllowUserInterface: false, AllowWebService: true,
		ComputerIDs: []int64{3, 17, 1 << 40}, ComputerGroupIDs: []int64{5}, PolicyIDs: []int64{2, 9},
		Rights:  identity.Rights{CanViewAPIKeys: true, CanEditAPIKeys: true, CanViewRoles: true, CanDeleteRoles: true},
		Created: base.Add(2*time.Hour + 345*time.Millisecond)}
}

func testRoles(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("EnsureRolesIdempotent", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		withBuiltinRoles(t, s)
		got, err := s.Roles(ctx, allFilter(t, identity.RoleSchema))
		if err != nil {
			t.Fatalf("Roles: %v", err)
		}
		if d := diff(identity.BuiltinRoles(), got); d != "" {
			t.Errorf("Roles after EnsureRoles twice (-want +got):\n%s", d)
		}

		// A built-in the administrators changed is kept as it is.
		auditor := identity.BuiltinRoles()[1]
		auditor.Name, auditor.Description, auditor.AllComputers, auditor.ComputerIDs = "Read Only", "changed", false, []int64{42}
		auditor.Rights.CanViewRoles = false
		if err := s.UpdateRole(ctx, auditor); err != nil {
			t.Fatalf("UpdateRole: %v", err)
		}
		withBuiltinRoles(t, s)
		gotAuditor, err := s.Role(ctx, identity.AuditorRoleID)
		if err != nil {
			t.Fatalf("Role(Auditor): %v", err)
		}
		if d := diff(auditor, gotAuditor); d != "" {
			t.Errorf("modified built-in after EnsureRoles (-want +got):\n%s", d)
		}
		if got, err = s.Roles(ctx, allFilter(t, identity.RoleSchema)); err != nil {
			t.Fatalf("Roles: %v", err)
		}
		if len(got) != 2 {
			t.Errorf("Roles after a third EnsureRoles = %d roles, want 2", len(got))
		}
	})

	t.Run("EnsureRolesKeepsCustomRoles", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		r := customRole("ops")
		id, err := s.InsertRole(ctx, r)
		if err != nil {
			t.Fatalf("InsertRole: %v", err)
		}
		r.ID = id
		withBuiltinRoles(t, s)
		got, err := s.Roles(ctx, allFilter(t, identity.RoleSchema))
		if err != nil {
			t.Fatalf("Roles: %v", err)
		}
		if d := diff(append(identity.BuiltinRoles(), r), got); d != "" {
			t.Errorf("Roles (-want +got):\n%s", d)
		}
	})

	t.Run("InsertGet", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		for _, want := range identity.BuiltinRoles() {
			got, err := s.Role(ctx, want.ID)
			if err != nil {
				t.Fatalf("Role(%d): %v", want.ID, err)
			}
			if d := diff(want, got); d != "" {
				t.Errorf("built-in role %d (-want +got):\n%s", want.ID, d)
			}
		}

		full := customRole("everything")
		full.Rights = identity.FullRights()
		full.AllComputers, full.AllowUserInterface = true, true
		empty := identity.Role{Name: "nothing", Created: base} // every flag false, no IDs, no rights
		var last int64 = identity.AuditorRoleID
		for _, r := range []identity.Role{customRole("ops"), full, empty} {
			id, err := s.InsertRole(ctx, r)
			if err != nil {
				t.Fatalf("InsertRole %s: %v", r.Name, err)
			}
			if id <= last {
				t.Errorf("InsertRole %s = ID %d, want more than %d", r.Name, id, last)
			}
			last, r.ID = id, id
			got, err := s.Role(ctx, id)
			if err != nil {
				t.Fatalf("Role(%d): %v", id, err)
			}
			if d := diff(r, got); d != "" {
				t.Errorf("Role(%d) %s (-want +got):\n%s", id, r.Name, d)
			}
		}
	})

	t.Run("UpdateDelete", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		r := customRole("ops")
		id, err := s.InsertRole(ctx, r)
		if err != nil {
			t.Fatalf("InsertRole: %v", err)
		}
		r.ID = id
		other := customRole("dev")
		if other.ID, err = s.InsertRole(ctx, other); err != nil {
			t.Fatalf("InsertRole dev: %v", err)
		}

		// Every field the service edits changes; ID, Immutable and Created
		// stay.
		u := r
		u.Name, u.Description = "operations", "renamed"
		u.CanOnlyManipulateUsersWithEqualOrLesser, u.AllComputers, u.AllPolicies = false, true, false
		u.AllowUserInterface, u.AllowWebService = true, false
		u.ComputerIDs, u.ComputerGroupIDs, u.PolicyIDs = nil, []int64{6, 7}, []int64{1 << 35}
		u.Rights = identity.Rights{CanCreateAPIKeys: true, CanDeleteAPIKeys: true, CanCreateRoles: true, CanEditRoles: true}
		if err := s.UpdateRole(ctx, u); err != nil {
			t.Fatalf("UpdateRole: %v", err)
		}
		got, err := s.Role(ctx, id)
		if err != nil {
			t.Fatalf("Role after update: %v", err)
		}
		if d := diff(u, got); d != "" {
			t.Errorf("Role after update (-want +got):\n%s", d)
		}
		if gotOther, err := s.Role(ctx, other.ID); err != nil {
			t.Fatalf("Role(other): %v", err)
		} else if d := diff(other, gotOther); d != "" {
			t.Errorf("other role changed (-want +got):\n%s", d)
		}

		if err := s.DeleteRole(ctx, id); err != nil {
			t.Fatalf("DeleteRole: %v", err)
		}
		_, err = s.Role(ctx, id)
		wantNotFound(t, "Role after delete", err)
		wantNotFound(t, "DeleteRole after delete", s.DeleteRole(ctx, id))
		wantNotFound(t, "UpdateRole after delete", s.UpdateRole(ctx, u))
		all, err := s.Roles(ctx, allFilter(t, identity.RoleSchema))
		if err != nil {
			t.Fatalf("Roles: %v", err)
		}
		if d := diff([]int64{identity.FullAccessRoleID, identity.AuditorRoleID, other.ID}, roleIDs(all)); d != "" {
			t.Errorf("Roles after delete (-want +got):\n%s", d)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		got, err := s.Roles(ctx, allFilter(t, identity.RoleSchema))
		if err != nil {
			t.Errorf("Roles of an empty store: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("Roles of an empty store = %d roles, want none", len(got))
		}
		withBuiltinRoles(t, s)
		_, err = s.Role(ctx, 99)
		wantNotFound(t, "Role", err)
		r := customRole("ghost")
		r.ID = 99
		wantNotFound(t, "UpdateRole", s.UpdateRole(ctx, r))
		wantNotFound(t, "DeleteRole", s.DeleteRole(ctx, 99))
	})

	t.Run("InUse", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		ids := make([]int64, 3)
		for i, name := range []string{"by-admin", "by-key", "unused"} {
			id, err := s.InsertRole(ctx, customRole(name))
			if err != nil {
				t.Fatalf("InsertRole %s: %v", name, err)
			}
			ids[i] = id
		}
		byAdmin, byKey, unused := ids[0], ids[1], ids[2]
		inUse := func(id int64) bool {
			t.Helper()
			used, err := s.RoleInUse(ctx, id)
			if err != nil {
				t.Fatalf("RoleInUse(%d): %v", id, err)
			}
			return used
		}
		for _, id := range []int64{identity.FullAccessRoleID, byAdmin, byKey, unused} {
			if inUse(id) {
				t.Errorf("RoleInUse(%d) = true before anyone uses it", id)
			}
		}
		if _, err := s.InsertAdmin(ctx, identity.Administrator{Username: "alice", PasswordHash: "h", RoleID: byAdmin, Created: base}); err != nil {
			t.Fatalf("InsertAdmin: %v", err)
		}
		keyID, err := s.InsertAPIKey(ctx, identity.APIKey{KeyName: "k", Locale: "en-US", RoleID: byKey, TimeZone: "UTC", Active: true, Created: base},
			func(int64) (string, error) { return "hash", nil })
		if err != nil {
			t.Fatalf("InsertAPIKey: %v", err)
		}
		for id, want := range map[int64]bool{identity.FullAccessRoleID: false, byAdmin: true, byKey: true, unused: false} {
			if got := inUse(id); got != want {
				t.Errorf("RoleInUse(%d) = %v, want %v", id, got, want)
			}
		}
		// Once the key is gone, its role is free again.
		if err := s.DeleteAPIKey(ctx, keyID); err != nil {
			t.Fatalf("DeleteAPIKey: %v", err)
		}
		if inUse(byKey) {
			t.Errorf("RoleInUse(%d) = true after its only key was deleted", byKey)
		}
	})
}

func roleIDs(roles []identity.Role) []int64 {
	ids := make([]int64, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	return ids
}

// ---------------------------------------------------------------------------
// API keys

func testAPIKeys(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	// key has every nullable time unset.
	key := func(name string) identity.APIKey {
		return identity.APIKey{KeyName: name, Description: "key " + name, Locale: "en-US", RoleID: identity.FullAccessRoleID,
			TimeZone: "UTC", Active: true, Created: base}
	}
	// fullKey has every field set.
	fullKey := func(name string) identity.APIKey {
		k := key(name)
		k.Locale, k.RoleID, k.TimeZone, k.Active, k.ServiceAccount = "ja-JP", identity.AuditorRoleID, "Asia/Tokyo", false, true
		k.Created = base.Add(3 * time.Millisecond)
		k.LastSignIn, k.UnlockTime = base.Add(time.Hour+11*time.Millisecond), base.Add(2*time.Hour+22*time.Millisecond)
		k.ExpiryDate, k.UnsuccessfulSignInAttempts = base.Add(90*24*time.Hour+33*time.Millisecond), 3
		return k
	}
	hashOf := func(id int64) string { return fmt.Sprintf("sha256-of-secret-%d", id) }

	t.Run("InsertGet", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		var last int64
		for _, k := range []identity.APIKey{key("plain"), fullKey("full")} {
			k.SecretHash = "ignored: the store keeps secretFor's hash"
			var calls []int64
			id, err := s.InsertAPIKey(ctx, k, func(id int64) (string, error) {
				calls = append(calls, id)
				return hashOf(id), nil
			})
			if err != nil {
				t.Fatalf("InsertAPIKey %s: %v", k.KeyName, err)
			}
			if id <= last {
				t.Errorf("InsertAPIKey %s = ID %d, want more than %d", k.KeyName, id, last)
			}
			last = id
			if d := diff([]int64{id}, calls); d != "" {
				t.Errorf("secretFor calls (-want +got):\n%s", d)
			}
			k.ID, k.SecretHash = id, hashOf(id)
			got, err := s.APIKey(ctx, id)
			if err != nil {
				t.Fatalf("APIKey(%d): %v", id, err)
			}
			if d := diff(k, got); d != "" {
				t.Errorf("APIKey(%d) %s (-want +got):\n%s", id, k.KeyName, d)
			}
		}
	})

	t.Run("SecretForError", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		errSecret := errors.New("storetest: no entropy")
		var seen int64
		_, err := s.InsertAPIKey(ctx, fullKey("doomed"), func(id int64) (string, error) {
			seen = id
			return "", errSecret
		})
		if !errors.Is(err, errSecret) {
			t.Fatalf("InsertAPIKey: err = %v, want secretFor's error", err)
		}
		if seen == 0 {
			t.Error("secretFor was not called with the new ID")
		}
		_, err = s.APIKey(ctx, seen)
		wantNotFound(t, "APIKey after secretFor failed", err)
		all, err := s.APIKeys(ctx, allFilter(t, identity.APIKeySchema))
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		if len(all) != 0 {
			t.Errorf("APIKeys after secretFor failed = %d keys, want none", len(all))
		}
		// The store still works, and the next key is whole.
		id, err := s.InsertAPIKey(ctx, key("next"), func(id int64) (string, error) { return hashOf(id), nil })
		if err != nil {
			t.Fatalf("InsertAPIKey after the failure: %v", err)
		}
		if got, err := s.APIKey(ctx, id); err != nil {
			t.Fatalf("APIKey(%d): %v", id, err)
		} else if got.SecretHash != hashOf(id) {
			t.Errorf("SecretHash = %q, want %q", got.SecretHash, hashOf(id))
		}
	})

	t.Run("UpdateDelete", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		insert := func(k identity.APIKey) identity.APIKey {
			t.Helper()
			id, err := s.InsertAPIKey(ctx, k, func(id int64) (string, error) { return hashOf(id), nil })
			if err != nil {
				t.Fatalf("InsertAPIKey %s: %v", k.KeyName, err)
			}
			k.ID, k.SecretHash = id, hashOf(id)
			return k
		}
		plain, full, other := insert(key("plain")), insert(fullKey("full")), insert(key("other"))

		// Every field but ID and Created changes; unset times become set
		// and set ones unset.
		up := full
		up.ID, up.Created, up.SecretHash = plain.ID, plain.Created, "rotated-hash"
		up.KeyName = "plain renamed"
		unset := plain
		unset.ID, unset.Created, unset.SecretHash = full.ID, full.Created, "other-rotated-hash"
		unset.KeyName, unset.Description = "full renamed", ""
		for _, u := range []identity.APIKey{up, unset} {
			if err := s.UpdateAPIKey(ctx, u); err != nil {
				t.Fatalf("UpdateAPIKey(%d): %v", u.ID, err)
			}
			got, err := s.APIKey(ctx, u.ID)
			if err != nil {
				t.Fatalf("APIKey(%d) after update: %v", u.ID, err)
			}
			if d := diff(u, got); d != "" {
				t.Errorf("APIKey(%d) after update (-want +got):\n%s", u.ID, d)
			}
		}
		if got, err := s.APIKey(ctx, other.ID); err != nil {
			t.Fatalf("APIKey(other): %v", err)
		} else if d := diff(other, got); d != "" {
			t.Errorf("other key changed (-want +got):\n%s", d)
		}

		if err := s.DeleteAPIKey(ctx, plain.ID); err != nil {
			t.Fatalf("DeleteAPIKey: %v", err)
		}
		_, err := s.APIKey(ctx, plain.ID)
		wantNotFound(t, "APIKey after delete", err)
		wantNotFound(t, "DeleteAPIKey after delete", s.DeleteAPIKey(ctx, plain.ID))
		wantNotFound(t, "UpdateAPIKey after delete", s.UpdateAPIKey(ctx, up))
		all, err := s.APIKeys(ctx, allFilter(t, identity.APIKeySchema))
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		if d := diff([]int64{full.ID, other.ID}, keyIDs(all)); d != "" {
			t.Errorf("APIKeys after delete (-want +got):\n%s", d)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		all, err := s.APIKeys(ctx, allFilter(t, identity.APIKeySchema))
		if err != nil {
			t.Errorf("APIKeys of an empty store: %v", err)
		}
		if len(all) != 0 {
			t.Errorf("APIKeys of an empty store = %d keys, want none", len(all))
		}
		_, err = s.APIKey(ctx, 77)
		wantNotFound(t, "APIKey", err)
		k := key("ghost")
		k.ID = 77
		wantNotFound(t, "UpdateAPIKey", s.UpdateAPIKey(ctx, k))
		wantNotFound(t, "DeleteAPIKey", s.DeleteAPIKey(ctx, 77))
	})

	t.Run("ConcurrentInserts", func(t *testing.T) {
		s := open(t)
		withBuiltinRoles(t, s)
		const writers, perWriter = 8, 10
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			ids  = map[int64]string{}
			errs = make(chan error, 2*writers*perWriter)
		)
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					name := fmt.Sprintf("key-%d-%d", w, i)
					var called int64
					id, err := s.InsertAPIKey(ctx, key(name), func(id int64) (string, error) {
						called = id
						return hashOf(id), nil
					})
					if err != nil {
						errs <- fmt.Errorf("InsertAPIKey %s: %w", name, err)
						return
					}
					if called != id {
						errs <- fmt.Errorf("InsertAPIKey %s = ID %d, but secretFor got %d", name, id, called)
					}
					mu.Lock()
					if prev, dup := ids[id]; dup {
						errs <- fmt.Errorf("ID %d given to both %s and %s", id, prev, name)
					}
					ids[id] = name
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		all, err := s.APIKeys(ctx, allFilter(t, identity.APIKeySchema))
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		if len(all) != writers*perWriter {
			t.Errorf("APIKeys = %d keys, want %d", len(all), writers*perWriter)
		}
		for _, k := range all {
			if ids[k.ID] != k.KeyName || k.SecretHash != hashOf(k.ID) {
				t.Errorf("key %d = %s with hash %q, want %s with hash %q", k.ID, k.KeyName, k.SecretHash, ids[k.ID], hashOf(k.ID))
			}
		}
	})
}

func keyIDs(keys []identity.APIKey) []int64 {
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// ---------------------------------------------------------------------------
// Search filters

// searchCase is one search: filter is the wire JSON, where {idN} stands for
// the ID of the N-th object inserted; want are the indexes of the objects
// it must return, in order.
type searchCase struct {
	name   string
	filter string
	want   []int
}

// runSearches parses each case's filter against schema, runs it with
// search, and checks the IDs returned.
func runSearches(t *testing.T, schema search.Schema, ids []int64, cases []searchCase, run func(search.Filter) ([]int64, error)) {
	t.Helper()
	pairs := make([]string, 0, 2*len(ids))
	for i, id := range ids {
		pairs = append(pairs, "{id"+strconv.Itoa(i)+"}", strconv.FormatInt(id, 10))
	}
	expand := strings.NewReplacer(pairs...)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			body := expand.Replace(tt.filter)
			f, err := search.Parse([]byte(body), schema)
			if err != nil {
				t.Fatalf("search.Parse(%s): %v", body, err)
			}
			got, err := run(f)
			if err != nil {
				t.Fatalf("search %s: %v", body, err)
			}
			want := make([]int64, len(tt.want))
			for i, n := range tt.want {
				want[i] = ids[n]
			}
			if d := diff(want, got); d != "" {
				t.Errorf("search %s: IDs (-want +got):\n%s", body, d)
			}
		})
	}
}

// crit wraps criteria in a search filter.
func crit(criteria ...string) string {
	return `{"searchCriteria": [` + strings.Join(criteria, ", ") + `]}`
}

func testRoleSearch(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	withBuiltinRoles(t, s)
	// Index 0 and 1 are the built-ins (Full Access, Auditor).
	ids := []int64{identity.FullAccessRoleID, identity.AuditorRoleID}
	ops := customRole("Ops")                // 2: allComputers false, allowUserInterface false
	limited := customRole("Limited_Access") // 3
	limited.AllComputers, limited.AllowWebService = true, false
	auditor2 := customRole("auditor") // 4: same name as a built-in, other case
	auditor2.AllPolicies = false
	for _, r := range []identity.Role{ops, limited, auditor2} {
		id, err := s.InsertRole(ctx, r)
		if err != nil {
			t.Fatalf("InsertRole %s: %v", r.Name, err)
		}
		ids = append(ids, id)
	}

	all, err := s.Roles(ctx, allFilter(t, identity.RoleSchema))
	if err != nil {
		t.Fatalf("Roles: %v", err)
	}
	for _, r := range all {
		want, err := s.Role(ctx, r.ID)
		if err != nil {
			t.Fatalf("Role(%d): %v", r.ID, err)
		}
		if d := diff(want, r); d != "" {
			t.Errorf("role %d from Roles differs from Role (-Role +Roles):\n%s", r.ID, d)
		}
	}

	runSearches(t, identity.RoleSchema, ids, []searchCase{
		{"NoCriteria", ``, []int{0, 1, 2, 3, 4}},
		{"EmptyCriteria", crit(), []int{0, 1, 2, 3, 4}},
		{"NameEqualIgnoresCase", crit(`{"fieldName": "name", "stringValue": "AUDITOR"}`), []int{1, 4}},
		{"NameWildcard", crit(`{"fieldName": "name", "stringValue": "%access"}`), []int{0, 3}},
		{"NameUnderscoreIsWildcard", crit(`{"fieldName": "name", "stringValue": "Full_Access"}`), []int{0}},
		{"NameNoWildcards", crit(`{"fieldName": "name", "stringValue": "Full_Access", "stringWildcards": false}`), nil},
		{"NameNotEqual", crit(`{"fieldName": "name", "stringTest": "not-equal", "stringValue": "auditor"}`), []int{0, 2, 3}},
		{"Immutable", crit(`{"fieldName": "immutable", "booleanTest": true}`), []int{0}},
		{"AllComputersFalse", crit(`{"fieldName": "allComputers", "booleanTest": false}`), []int{2, 4}},
		{"AllowWebServiceFalse", crit(`{"fieldName": "allowWebService", "booleanTest": false}`), []int{3}},
		{"IDGreaterThan", crit(`{"idTest": "greater-than", "idValue": {id1}}`), []int{2, 3, 4}},
		{"IDFieldEqual", crit(`{"fieldName": "ID", "idValue": {id3}}`), []int{3}},
		{"PageOfTwo", `{"maxItems": 2, "searchCriteria": [{"idTest": "greater-than", "idValue": {id0}}]}`, []int{1, 2}},
		{"Combined", crit(`{"fieldName": "allPolicies", "booleanTest": true}`, `{"fieldName": "allowUserInterface", "booleanTest": false}`), []int{2, 3}},
	}, func(f search.Filter) ([]int64, error) {
		roles, err := s.Roles(ctx, f)
		return roleIDs(roles), err
	})
}

func testAPIKeySearch(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	withBuiltinRoles(t, s)
	custom, err := s.InsertRole(ctx, customRole("custom"))
	if err != nil {
		t.Fatalf("InsertRole: %v", err)
	}
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { return base.Add(d) }
	ms := func(d time.Duration) string { return strconv.FormatInt(at(d).UnixMilli(), 10) }
	keys := []identity.APIKey{
		{KeyName: "alpha", Description: "first", Locale: "en-US", RoleID: identity.FullAccessRoleID, TimeZone: "UTC", Active: true,
			Created: at(0), LastSignIn: at(time.Hour)},
		{KeyName: "Alpha_2", Description: "second", Locale: "ja-JP", RoleID: identity.AuditorRoleID, TimeZone: "Asia/Tokyo",
			Created: at(day), UnlockTime: at(day + 2*time.Hour), UnsuccessfulSignInAttempts: 3, ExpiryDate: at(30 * day), ServiceAccount: true},
		{KeyName: "beta", Description: "third", Locale: "en-US", RoleID: custom, TimeZone: "UTC", Active: true,
			Created: at(2 * day), LastSignIn: at(2*day + time.Hour), UnsuccessfulSignInAttempts: 1, ExpiryDate: at(10 * day)},
		{KeyName: "gamma%", Locale: "ja-JP", RoleID: identity.FullAccessRoleID, TimeZone: "Asia/Tokyo", Active: true,
			Created: at(3 * day), UnlockTime: at(3 * day), UnsuccessfulSignInAttempts: 5, ServiceAccount: true},
		{KeyName: "ALPHA", Description: "fifth", Locale: "en-US", RoleID: identity.AuditorRoleID, TimeZone: "UTC",
			Created: at(4 * day)},
		{KeyName: "delta", Description: "sixth", Locale: "en-US", RoleID: identity.FullAccessRoleID, TimeZone: "Europe/Paris", Active: true,
			Created: at(5 * day), LastSignIn: at(5 * day), ExpiryDate: at(5*day + time.Hour)},
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		id, err := s.InsertAPIKey(ctx, k, func(id int64) (string, error) { return "hash-" + strconv.FormatInt(id, 10), nil })
		if err != nil {
			t.Fatalf("InsertAPIKey %s: %v", k.KeyName, err)
		}
		ids[i] = id
	}

	all, err := s.APIKeys(ctx, allFilter(t, identity.APIKeySchema))
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if !slices.Equal(keyIDs(all), ids) {
		t.Fatalf("APIKeys = IDs %v, want %v", keyIDs(all), ids)
	}
	for i, k := range all {
		want := keys[i]
		want.ID, want.SecretHash = ids[i], "hash-"+strconv.FormatInt(ids[i], 10)
		if d := diff(want, k); d != "" {
			t.Errorf("key %d from APIKeys (-want +got):\n%s", k.ID, d)
		}
	}

	keyName := func(test, value string) string {
		return fmt.Sprintf(`{"fieldName": "keyName", "stringTest": %q, "stringValue": %q}`, test, value)
	}
	number := func(field, test, value string) string {
		return fmt.Sprintf(`{"fieldName": %q, "numericTest": %q, "numericValue": %s}`, field, test, value)
	}
	boolean := func(field string, v bool) string {
		return fmt.Sprintf(`{"fieldName": %q, "booleanTest": %t}`, field, v)
	}
	null := func(field string, v bool) string {
		return fmt.Sprintf(`{"fieldName": %q, "nullTest": %t}`, field, v)
	}
	runSearches(t, identity.APIKeySchema, ids, []searchCase{
		{"NoCriteria", ``, []int{0, 1, 2, 3, 4, 5}},
		{"Null", `null`, []int{0, 1, 2, 3, 4, 5}},
		{"SortByObjectIDFalse", `{"sortByObjectID": false}`, []int{0, 1, 2, 3, 4, 5}},
		{"NameEqualIgnoresCase", crit(keyName("equal", "alpha")), []int{0, 4}},
		{"NameNotEqual", crit(keyName("not-equal", "alpha")), []int{1, 2, 3, 5}},
		{"NameWildcardPrefix", crit(keyName("equal", "alpha%")), []int{0, 1, 4}},
		{"NameWildcardAnywhere", crit(keyName("equal", "%ta%")), []int{2, 5}},
		{"NameUnderscore", crit(keyName("equal", "a_pha")), []int{0, 4}},
		{"NameNotWildcard", crit(keyName("not-equal", "alpha%")), []int{2, 3, 5}},
		{"NameLiteralPercent", crit(`{"fieldName": "keyName", "stringValue": "gamma%", "stringWildcards": false}`), []int{3}},
		{"NameNoMatch", crit(keyName("equal", "omega")), nil},
		{"DescriptionEmpty", crit(`{"fieldName": "description", "stringValue": ""}`), []int{3}},
		{"MaxItems", `{"maxItems": 2}`, []int{0, 1}},
		{"MaxItemsZero", `{"maxItems": 0}`, nil},
		{"PageAfterSecond", `{"maxItems": 2, "searchCriteria": [{"idTest": "greater-than", "idValue": {id1}}]}`, []int{2, 3}},
		{"PageLast", `{"maxItems": 2, "searchCriteria": [{"idTest": "greater-than", "idValue": {id3}}]}`, []int{4, 5}},
		{"PageBeyond", `{"maxItems": 2, "searchCriteria": [{"idTest": "greater-than", "idValue": {id5}}]}`, nil},
		{"IDEqual", crit(`{"idValue": {id2}}`), []int{2}},
		{"IDLessOrEqual", crit(`{"fieldName": "ID", "idTest": "less-than-or-equal", "idValue": {id1}}`), []int{0, 1}},
		{"IDNotEqual", crit(`{"idTest": "not-equal", "idValue": {id0}}`), []int{1, 2, 3, 4, 5}},
		{"ActiveTrue", crit(boolean("active", true)), []int{0, 2, 3, 5}},
		{"ActiveFalse", crit(boolean("active", false)), []int{1, 4}},
		{"ServiceAccount", crit(boolean("serviceAccount", true)), []int{1, 3}},
		{"RoleIDEqual", crit(number("roleID", "equal", "1")), []int{0, 3, 5}},
		{"RoleIDCustom", crit(number("roleID", "equal", strconv.FormatInt(custom, 10))), []int{2}},
		{"AttemptsGreaterThan", crit(number("unsuccessfulSignInAttempts", "greater-than", "0")), []int{1, 2, 3}},
		{"AttemptsLessThanFraction", crit(number("unsuccessfulSignInAttempts", "less-than", "2.5")), []int{0, 2, 4, 5}},
		{"AttemptsGreaterOrEqualFraction", crit(number("unsuccessfulSignInAttempts", "greater-than-or-equal", "2.5")), []int{1, 3}},
		{"AttemptsNotEqual", crit(number("unsuccessfulSignInAttempts", "not-equal", "0")), []int{1, 2, 3}},
		{"AttemptsHuge", crit(number("unsuccessfulSignInAttempts", "less-than", "3000000000")), []int{0, 1, 2, 3, 4, 5}},
		{"LocaleChoice", crit(`{"fieldName": "locale", "choiceValue": "ja-JP"}`), []int{1, 3}},
		{"LocaleNotChoice", crit(`{"fieldName": "locale", "choiceTest": "not-equal", "choiceValue": "ja-JP"}`), []int{0, 2, 4, 5}},
		{"CreatedRangeHalfOpen", crit(`{"fieldName": "created", "firstDateValue": ` + ms(day) + `, "lastDateValue": ` + ms(3*day) + `, "lastDateInclusive": false}`), []int{1, 2}},
		{"CreatedRangeInclusive", crit(`{"fieldName": "created", "firstDateValue": ` + ms(day) + `, "lastDateValue": ` + ms(3*day) + `}`), []int{1, 2, 3}},
		{"CreatedUpTo", crit(`{"fieldName": "created", "lastDateValue": ` + ms(day) + `}`), []int{0, 1}},
		{"CreatedAfterExclusive", crit(`{"fieldName": "created", "firstDateValue": ` + ms(4*day) + `, "firstDateInclusive": false}`), []int{5}},
		{"CreatedMillisecondBound", crit(`{"fieldName": "created", "firstDateValue": ` + strconv.FormatInt(base.UnixMilli()+1, 10) + `, "lastDateValue": ` + ms(day) + `}`), []int{1}},
		{"LastSignInNull", crit(null("lastSignIn", true)), []int{1, 3, 4}},
		{"LastSignInNotNull", crit(null("lastSignIn", false)), []int{0, 2, 5}},
		{"UnlockTimeNotNull", crit(null("unlockTime", false)), []int{1, 3}},
		{"ExpiryDateNull", crit(null("expiryDate", true)), []int{0, 3, 4}},
		{"ExpiryAfterSkipsNull", crit(`{"fieldName": "expiryDate", "firstDateValue": ` + ms(7*day) + `}`), []int{1, 2}},
		{"LastSignInBeforeSkipsNull", crit(`{"fieldName": "lastSignIn", "lastDateValue": ` + ms(3*day) + `}`), []int{0, 2}},
		{"Combined", crit(boolean("active", true), `{"fieldName": "locale", "choiceValue": "en-US"}`, null("lastSignIn", false)), []int{0, 2, 5}},
		{"CombinedPaged", `{"maxItems": 1, "searchCriteria": [` + boolean("active", true) + `, {"idTest": "greater-than", "idValue": {id2}}]}`, []int{3}},
		{"TimeZone", crit(`{"fieldName": "timeZone", "stringValue": "asia/%"}`), []int{1, 3}},
	}, func(f search.Filter) ([]int64, error) {
		keys, err := s.APIKeys(ctx, f)
		return keyIDs(keys), err
	})
}
