package workload_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// TestCommon checks the rules every call follows, on one server.
func TestCommon(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	t.Run("api-version", func(t *testing.T) { testAPIVersion(t, env) })
	t.Run("every answer", func(t *testing.T) { testEveryAnswerFollowsTheRules(t, env) })
	t.Run("unknown paths", func(t *testing.T) { testUnknownPathsUnderAPI(t, env) })
	t.Run("unknown IDs", func(t *testing.T) { testUnknownIDs(t, env) })
	t.Run("wrong method", func(t *testing.T) { testWrongMethod(t, env) })
}

// testAPIVersion checks that every call, signed in or not, needs
// api-version: v1 and is refused with 400 and a message otherwise.
func testAPIVersion(t *testing.T, env *servertest.Env) {
	key := env.APISecret
	calls := []struct {
		method, path, body string
		auth               []string
		okStatus           int
	}{
		{"GET", "/api/apikeys", "", withKey(key), 200},
		{"GET", "/api/apikeys/current", "", []string{"Authorization", "ApiKey " + key}, 200},
		{"POST", "/api/apikeys/search", "{}", withKey(key), 200},
		{"GET", "/api/roles", "", withKey(key), 200},
		{"GET", "/api/roles/1", "", withKey(key), 200},
		{"POST", "/api/roles/search", "{}", withKey(key), 200},
		// No password: refused after the version check, without the cost of
		// a password check.
		{"POST", "/api/sessions", `{"userName": "administrator"}`, nil, 400},
		// Without a key: the version is checked first.
		{"GET", "/api/apikeys", "", nil, 401},
		{"DELETE", "/api/sessions/current", "", nil, 401},
	}
	versions := []struct {
		name    string
		version string // "" sends no header
		want    int    // 0: the call's own status
	}{
		{"v1", "v1", 0},
		{"missing", "", http.StatusBadRequest},
		{"v2", "v2", http.StatusBadRequest},
		{"v0", "v0", http.StatusBadRequest},
		{"garbage", "latest", http.StatusBadRequest},
	}
	for _, v := range versions {
		for _, c := range calls {
			t.Run(v.name+" "+c.method+" "+c.path, func(t *testing.T) {
				h := append([]string{"api-version", v.version}, c.auth...)
				r := send(t, env, c.method, c.path, c.body, h...)
				want := v.want
				if want == 0 {
					want = c.okStatus
				}
				wantStatus(t, r, want)
				if v.want == http.StatusBadRequest {
					msg, _ := r.object(t)["message"].(string)
					if !strings.Contains(msg, "api-version") {
						t.Errorf("message %q does not name api-version", msg)
					}
				}
			})
		}
	}
}

// testEveryAnswerFollowsTheRules sends one call of each kind of answer;
// send checks X-DSM-Version, JSON, no null and {"message"} on errors.
func testEveryAnswerFollowsTheRules(t *testing.T, env *servertest.Env) {
	auditor := createKey(t, env, env.APISecret, `{"keyName": "auditor", "roleID": 2}`)
	tests := []struct {
		name, method, path, body string
		header                   []string
		want                     int
	}{
		{"list keys", "GET", "/api/apikeys", "", withKey(env.APISecret), 200},
		{"describe key", "GET", "/api/apikeys/1", "", withKey(env.APISecret), 200},
		{"current key", "POST", "/api/apikeys/current", "", withKey(env.APISecret), 200},
		{"list roles", "GET", "/api/roles", "", withKey(env.APISecret), 200},
		{"describe role", "GET", "/api/roles/2", "", withKey(env.APISecret), 200},
		{"create key", "POST", "/api/apikeys", `{"keyName": "x"}`, withKey(env.APISecret), 200},
		{"missing version", "GET", "/api/apikeys", "", []string{"api-version", ""}, 400},
		{"bad body", "POST", "/api/apikeys", `{"keyName": `, withKey(env.APISecret), 400},
		{"no key", "GET", "/api/apikeys", "", nil, 401},
		{"forbidden", "POST", "/api/apikeys", `{"keyName": "x"}`, withKey(auditor.SecretKey), 403},
		{"unknown key ID", "GET", "/api/apikeys/999999", "", withKey(env.APISecret), 404},
		{"unknown role ID", "GET", "/api/roles/999999", "", withKey(env.APISecret), 404},
		{"unknown path", "GET", "/api/computers", "", withKey(env.APISecret), 404},
		{"unknown path without version", "GET", "/api/nothing", "", []string{"api-version", ""}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, tt.method, tt.path, tt.body, tt.header...)
			wantStatus(t, r, tt.want)
		})
	}
}

// testUnknownPathsUnderAPI checks that paths naming no resource under /api
// answer 404 with a JSON message, not the mux's text or a redirect.
func testUnknownPathsUnderAPI(t *testing.T, env *servertest.Env) {
	tests := []struct{ method, path string }{
		{"GET", "/api/nothing"},
		{"GET", "/api/computers"},
		{"POST", "/api/policies/search"},
		{"GET", "/api/apikeys/1/nothing"},
		{"GET", "/api/roles/1/2"},
		{"GET", "/api/"},
		{"GET", "/api"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := send(t, env, tt.method, tt.path, "", withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusNotFound)
		})
	}
}

// testUnknownIDs checks 404 for IDs that name nothing, including ones that
// are not numbers, on every call that takes an ID.
func testUnknownIDs(t *testing.T, env *servertest.Env) {
	before := len(listKeys(t, env, env.APISecret))
	ids := []string{"999999", "0", "-1", "abc", "1.5", "1e3", "9223372036854775808"}
	calls := []struct{ method, path, body string }{
		{"GET", "/api/apikeys/", ""},
		{"POST", "/api/apikeys/", `{"description": "x"}`},
		{"DELETE", "/api/apikeys/", ""},
		{"GET", "/api/roles/", ""},
		{"POST", "/api/roles/", `{"description": "x"}`},
		{"DELETE", "/api/roles/", ""},
	}
	for _, c := range calls {
		for _, id := range ids {
			t.Run(c.method+" "+c.path+id, func(t *testing.T) {
				r := send(t, env, c.method, c.path+id, c.body, withKey(env.APISecret)...)
				wantStatus(t, r, http.StatusNotFound)
			})
		}
	}
	for _, id := range ids {
		t.Run("rotate "+id, func(t *testing.T) {
			r := send(t, env, "POST", "/api/apikeys/"+id+"/secretkey", "", withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusNotFound)
		})
	}
	// Nothing was changed by any of them.
	if n := len(listKeys(t, env, env.APISecret)); n != before {
		t.Errorf("%d keys after the calls, want %d", n, before)
	}
}

// testWrongMethod checks that a known path asked with a method it does not
// serve is refused with a JSON message and changes nothing.
func testWrongMethod(t *testing.T, env *servertest.Env) {
	tests := []struct{ method, path string }{
		{"PUT", "/api/apikeys/1"}, // modify is POST, not PUT
		{"PATCH", "/api/roles/1"},
		{"PUT", "/api/apikeys"},
		{"GET", "/api/apikeys/search"},
		{"DELETE", "/api/sessions"},
		{"GET", "/api/sessions/current"},
		{"GET", "/api/apikeys/1/secretkey"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// The spec is silent on the status: 405 or 404 are both fair,
			// but it must be the family's JSON error (send checks).
			r := send(t, env, tt.method, tt.path, "", withKey(env.APISecret)...)
			if r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
				t.Fatalf("status %d, want 405 or 404: %s", r.Status, r.Body)
			}
		})
	}
	// None of them did anything.
	if k := getKey(t, env, env.APISecret, 1); k.KeyName != "Rampart demo" {
		t.Errorf("demo key changed: %+v", k)
	}
}
