package workload_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// snapshot is every key and role, read with the Full Access key, to check
// that a refused call changed nothing. The clock does not move while it is
// compared, so lastSignIn values hold still.
func snapshot(t testing.TB, env *servertest.Env) []byte {
	t.Helper()
	keys := send(t, env, "GET", "/api/apikeys", "", withKey(env.APISecret)...)
	wantStatus(t, keys, http.StatusOK)
	roles := send(t, env, "GET", "/api/roles", "", withKey(env.APISecret)...)
	wantStatus(t, roles, http.StatusOK)
	return append(append(keys.Body, '\n'), roles.Body...)
}

// TestRights checks roles and their enforcement, on one server.
func TestRights(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	t.Run("roles", func(t *testing.T) { testRoles(t, env) })
	t.Run("Auditor", func(t *testing.T) { testAuditorRights(t, env) })
	t.Run("custom role", func(t *testing.T) { testCustomRoleRights(t, env) })
}

// testAuditorRights checks that the built-in Auditor role (ID 2) may read
// keys and roles and nothing else: every change is refused with 403 and the
// vendor's message, and changes nothing.
func testAuditorRights(t *testing.T, env *servertest.Env) {
	auditor := createKey(t, env, env.APISecret, `{"keyName": "auditor", "roleID": 2}`)
	victim := createKey(t, env, env.APISecret, `{"keyName": "victim", "roleID": 1}`)
	custom := createRole(t, env, env.APISecret, `{"name": "spare"}`)
	// Use both keys once, so that their lastSignIn is set before the
	// baseline (the clock never moves in this test).
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(victim.SecretKey)...), http.StatusOK)
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(auditor.SecretKey)...), http.StatusOK)
	baseline := snapshot(t, env)

	v := fmt.Sprintf("/api/apikeys/%d", victim.ID)
	self := fmt.Sprintf("/api/apikeys/%d", auditor.ID)
	r := fmt.Sprintf("/api/roles/%d", custom.ID)
	tests := []struct {
		name, method, path, body string
		want                     int
		message                  string
	}{
		{"list keys", "GET", "/api/apikeys", "", 200, ""},
		{"describe key", "GET", v, "", 200, ""},
		{"describe own key", "GET", self, "", 200, ""},
		{"search keys", "POST", "/api/apikeys/search", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "victim"}]}`, 200, ""},
		{"current key", "GET", "/api/apikeys/current", "", 200, ""},
		{"list roles", "GET", "/api/roles", "", 200, ""},
		{"describe role", "GET", "/api/roles/2", "", 200, ""},
		{"search roles", "POST", "/api/roles/search", `{"searchCriteria": [{"fieldName": "name", "stringValue": "Auditor"}]}`, 200, ""},

		{"create key", "POST", "/api/apikeys", `{"keyName": "escalated", "roleID": 1}`, 403, "Not authorized to create API keys"},
		{"create key with bad body", "POST", "/api/apikeys", `{"keyName": ""}`, 403, "Not authorized to create API keys"},
		{"modify key", "POST", v, `{"description": "changed"}`, 403, "Not authorized to modify API keys"},
		{"modify own key", "POST", self, `{"roleID": 1}`, 403, "Not authorized to modify API keys"},
		{"deactivate key", "POST", v, `{"active": false}`, 403, "Not authorized to modify API keys"},
		{"rotate other key", "POST", v + "/secretkey", "", 403, "Not authorized to modify API keys"},
		{"rotate demo key", "POST", "/api/apikeys/1/secretkey", "", 403, "Not authorized to modify API keys"},
		{"delete key", "DELETE", v, "", 403, "Not authorized to delete API keys"},
		{"delete own key", "DELETE", self, "", 403, "Not authorized to delete API keys"},
		{"create role", "POST", "/api/roles", `{"name": "mine", "rights": {"platformRights": {"apikeyRights": {"canCreateNewApiKeys": true}}}}`,
			403, "Not authorized to create roles"},
		{"modify role", "POST", r, `{"description": "changed"}`, 403, "Not authorized to modify roles"},
		{"grant Auditor rights", "POST", "/api/roles/2", `{"rights": {"platformRights": {"apikeyRights": {"canCreateNewApiKeys": true}}}}`,
			403, "Not authorized to modify roles"},
		{"delete role", "DELETE", r, "", 403, "Not authorized to delete roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, env, tt.method, tt.path, tt.body, withKey(auditor.SecretKey)...)
			wantMessage(t, got, tt.want, tt.message)
			if now := snapshot(t, env); !bytes.Equal(now, baseline) {
				t.Errorf("keys and roles changed:\n%s\nwas\n%s", now, baseline)
			}
		})
	}
	// No secret was rotated.
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(victim.SecretKey)...), http.StatusOK)
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(env.APISecret)...), http.StatusOK)

	// What the Auditor key may not do, a Full Access session may.
	t.Run("Full Access session", func(t *testing.T) {
		_, s := signIn(t, env, credentials(env, env.AdminPassword))
		wantStatus(t, send(t, env, "POST", v, `{"description": "by session"}`, s.header()...), http.StatusOK)
		wantStatus(t, send(t, env, "DELETE", r, "", s.header()...), http.StatusNoContent)
	})
}

// testCustomRoleRights checks that a role's rights tree is enforced: a key
// of a role that may only view keys can view them and do nothing else, and
// gains a right as soon as its role does.
func testCustomRoleRights(t *testing.T, env *servertest.Env) {
	ro := createRole(t, env, env.APISecret, `{"name": "Key viewers", "description": "view keys only",
		"rights": {"platformRights": {"apikeyRights": {"canViewApiKeys": true}}}}`)
	wantRights := map[string]bool{"canViewApiKeys": true, "canCreateNewApiKeys": false, "canDeleteApiKeys": false, "canEditApiKeyProperties": false}
	for name, want := range wantRights {
		if got, ok := ro.Rights.PlatformRights.APIKeyRights[name]; !ok || got != want {
			t.Errorf("created role: apikeyRights.%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	for name, got := range ro.Rights.PlatformRights.RoleRights {
		if got {
			t.Errorf("created role: roleRights.%s = true, want false", name)
		}
	}
	if ro.Immutable {
		t.Error("a custom role is immutable")
	}
	if ro.URN == "" {
		t.Error("a custom role has no urn")
	}
	viewer := createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "viewer", "roleID": %d}`, ro.ID))
	keysBefore := len(listKeys(t, env, env.APISecret))
	h := withKey(viewer.SecretKey)
	tests := []struct {
		name, method, path, body string
		want                     int
		message                  string
	}{
		{"list keys", "GET", "/api/apikeys", "", 200, ""},
		{"describe key", "GET", "/api/apikeys/1", "", 200, ""},
		{"search keys", "POST", "/api/apikeys/search", `{}`, 200, ""},
		{"current key", "GET", "/api/apikeys/current", "", 200, ""},
		{"create key", "POST", "/api/apikeys", `{"keyName": "no"}`, 403, "Not authorized to create API keys"},
		{"modify key", "POST", "/api/apikeys/1", `{"description": "no"}`, 403, "Not authorized to modify API keys"},
		{"delete key", "DELETE", "/api/apikeys/1", "", 403, "Not authorized to delete API keys"},
		{"list roles", "GET", "/api/roles", "", 403, "Not authorized to view roles"},
		{"describe role", "GET", "/api/roles/1", "", 403, "Not authorized to view roles"},
		{"search roles", "POST", "/api/roles/search", `{}`, 403, "Not authorized to view roles"},
		{"create role", "POST", "/api/roles", `{"name": "no"}`, 403, "Not authorized to create roles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantMessage(t, send(t, env, tt.method, tt.path, tt.body, h...), tt.want, tt.message)
		})
	}
	if n := len(listKeys(t, env, env.APISecret)); n != keysBefore {
		t.Errorf("%d keys, want %d: a refused create created one", n, keysBefore)
	}

	// Granting the right takes effect on the next call.
	r := send(t, env, "POST", fmt.Sprintf("/api/roles/%d", ro.ID),
		`{"rights": {"platformRights": {"apikeyRights": {"canCreateNewApiKeys": true}}}}`, withKey(env.APISecret)...)
	wantStatus(t, r, http.StatusOK)
	var modified role
	r.into(t, &modified)
	if !modified.Rights.PlatformRights.APIKeyRights["canCreateNewApiKeys"] || !modified.Rights.PlatformRights.APIKeyRights["canViewApiKeys"] {
		t.Errorf("modified rights %v, want view and create", modified.Rights.PlatformRights.APIKeyRights)
	}
	wantStatus(t, send(t, env, "POST", "/api/apikeys", `{"keyName": "now allowed", "roleID": 2}`, h...), http.StatusOK)
	// And revoking it, too.
	wantStatus(t, send(t, env, "POST", fmt.Sprintf("/api/roles/%d", ro.ID),
		`{"rights": {"platformRights": {"apikeyRights": {"canCreateNewApiKeys": false, "canViewApiKeys": false}}}}`, withKey(env.APISecret)...), http.StatusOK)
	wantMessage(t, send(t, env, "POST", "/api/apikeys", `{"keyName": "again"}`, h...), 403, "Not authorized to create API keys")
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", h...), 403, "Not authorized to view API keys")
	// A key may always read itself.
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", h...), http.StatusOK)
}

// testRoles checks the role calls: the built-in roles, Full Access being
// immutable, partial modification, and deletion only of unused roles.
func testRoles(t *testing.T, env *servertest.Env) {
	admin := withKey(env.APISecret)

	var l roleList
	r := send(t, env, "GET", "/api/roles", "", admin...)
	wantStatus(t, r, http.StatusOK)
	r.into(t, &l)
	if len(l.Roles) < 2 || l.Roles[0].ID != 1 || l.Roles[0].Name != "Full Access" || !l.Roles[0].Immutable ||
		l.Roles[1].ID != 2 || l.Roles[1].Name != "Auditor" || l.Roles[1].Immutable {
		t.Fatalf("built-in roles %s, want Full Access (1, immutable) and Auditor (2)", r.Body)
	}
	if a := l.Roles[1].Rights.PlatformRights.APIKeyRights; !a["canViewApiKeys"] || a["canCreateNewApiKeys"] || a["canDeleteApiKeys"] || a["canEditApiKeyProperties"] {
		t.Errorf("Auditor apikeyRights %v, want view only", a)
	}

	t.Run("Full Access is immutable", func(t *testing.T) {
		before := send(t, env, "GET", "/api/roles/1", "", admin...).Body
		wantStatus(t, send(t, env, "POST", "/api/roles/1", `{"description": "changed"}`, admin...), http.StatusBadRequest)
		wantStatus(t, send(t, env, "POST", "/api/roles/1", `{"rights": {"platformRights": {"apikeyRights": {"canViewApiKeys": false}}}}`, admin...), http.StatusBadRequest)
		wantStatus(t, send(t, env, "DELETE", "/api/roles/1", "", admin...), http.StatusBadRequest)
		if after := send(t, env, "GET", "/api/roles/1", "", admin...).Body; !bytes.Equal(after, before) {
			t.Errorf("Full Access changed: %s, was %s", after, before)
		}
	})

	t.Run("create and modify", func(t *testing.T) {
		ro := createRole(t, env, env.APISecret, `{"name": "ops", "description": "first", "allComputers": true}`)
		path := fmt.Sprintf("/api/roles/%d", ro.ID)
		before := send(t, env, "GET", path, "", admin...).object(t)
		r := send(t, env, "POST", path, `{"description": "second"}`, admin...)
		wantStatus(t, r, http.StatusOK)
		after := r.object(t)
		for k, v := range before {
			if k == "description" {
				continue
			}
			if fmt.Sprint(after[k]) != fmt.Sprint(v) {
				t.Errorf("modify of description changed %s: %v, was %v", k, after[k], v)
			}
		}
		if after["description"] != "second" {
			t.Errorf("description %v, want second", after["description"])
		}
		wantStatus(t, send(t, env, "POST", path, `{"name": ""}`, admin...), http.StatusBadRequest)
		wantStatus(t, send(t, env, "POST", "/api/roles", `{"description": "nameless"}`, admin...), http.StatusBadRequest)
		wantStatus(t, send(t, env, "POST", "/api/roles", `{"name": `, admin...), http.StatusBadRequest)
	})

	t.Run("delete", func(t *testing.T) {
		used := createRole(t, env, env.APISecret, `{"name": "used"}`)
		k := createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "user", "roleID": %d}`, used.ID))
		path := fmt.Sprintf("/api/roles/%d", used.ID)
		wantStatus(t, send(t, env, "DELETE", path, "", admin...), http.StatusBadRequest)
		wantStatus(t, send(t, env, "GET", path, "", admin...), http.StatusOK)
		// Moving the key off the role frees it.
		wantStatus(t, send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d", k.ID), `{"roleID": 2}`, admin...), http.StatusOK)
		wantStatus(t, send(t, env, "DELETE", path, "", admin...), http.StatusNoContent)
		wantStatus(t, send(t, env, "GET", path, "", admin...), http.StatusNotFound)
		wantStatus(t, send(t, env, "DELETE", path, "", admin...), http.StatusNotFound)
		wantStatus(t, send(t, env, "POST", path, `{"description": "x"}`, admin...), http.StatusNotFound)
		// A key cannot be given the deleted role.
		wantStatus(t, send(t, env, "POST", "/api/apikeys", fmt.Sprintf(`{"keyName": "orphan", "roleID": %d}`, used.ID), admin...), http.StatusBadRequest)

		unused := createRole(t, env, env.APISecret, `{"name": "unused"}`)
		upath := fmt.Sprintf("/api/roles/%d", unused.ID)
		r := send(t, env, "DELETE", upath, "", admin...)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("DELETE answered a body: %s", r.Body)
		}
		wantStatus(t, send(t, env, "GET", upath, "", admin...), http.StatusNotFound)
		// Role IDs are not reused either, even the newest one's.
		if again := createRole(t, env, env.APISecret, `{"name": "after unused"}`); again.ID == unused.ID {
			t.Errorf("new role reuses ID %d of the role deleted just before", unused.ID)
		}
	})
}
