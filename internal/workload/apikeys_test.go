package workload_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// TestAPIKeys checks the API key calls and authentication by key, on one
// server; the parts run in turn, as several move the clock.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	for _, part := range []struct {
		name string
		run  func(*testing.T, *servertest.Env)
	}{
		{"authentication", testKeyAuthentication},
		{"refused keys", testRefusedKeys},
		{"expiry boundary", testExpiryBoundary},
		{"sign-in attempts", testSignInAttempts},
		{"lockout", testKeyLockout},
		{"create", testCreateAPIKey},
		{"list", testListAPIKeys},
		{"describe", testDescribeAPIKey},
		{"modify", testModifyAPIKey},
		{"clear expiry", testClearExpiry},
		{"delete", testDeleteAPIKey},
		{"rotate", testRotateAPIKey},
		{"current", testCurrentAPIKey},
	} {
		t.Run(part.name, func(t *testing.T) { part.run(t, env) })
	}
}

// testCreateAPIKey checks POST /api/apikeys: defaults, every field, the
// secret's form, and the refusals (which create nothing).
func testCreateAPIKey(t *testing.T, env *servertest.Env) {
	env.Clock.Advance(2500 * time.Millisecond)
	now := nowMS(env)
	expiry := now + 24*time.Hour.Milliseconds()
	custom := createRole(t, env, env.APISecret, `{"name": "custom"}`)
	defaults := apiKey{Locale: "en-US", RoleID: 1, TimeZone: "UTC", Active: true, Created: &now}
	with := func(change func(*apiKey)) apiKey {
		k := defaults
		change(&k)
		return k
	}
	tests := []struct {
		name string
		body string
		want apiKey // ID and SecretKey aside
	}{
		{"name only", `{"keyName": "ci"}`, with(func(k *apiKey) { k.KeyName = "ci" })},
		{"name trimmed", `{"keyName": "  padded  "}`, with(func(k *apiKey) { k.KeyName = "padded" })},
		{"roleID number", `{"keyName": "auditor", "roleID": 2}`, with(func(k *apiKey) { k.KeyName, k.RoleID = "auditor", 2 })},
		{"roleID string", `{"keyName": "auditor s", "roleID": "2"}`, with(func(k *apiKey) { k.KeyName, k.RoleID = "auditor s", 2 })},
		{"custom role", fmt.Sprintf(`{"keyName": "custom", "roleID": %d}`, custom.ID),
			with(func(k *apiKey) { k.KeyName, k.RoleID = "custom", custom.ID })},
		{"en-US", `{"keyName": "en", "locale": "en-US"}`, with(func(k *apiKey) { k.KeyName = "en" })},
		{"ja-JP", `{"keyName": "ja", "locale": "ja-JP"}`, with(func(k *apiKey) { k.KeyName, k.Locale = "ja", "ja-JP" })},
		{"time zone", `{"keyName": "tokyo", "timeZone": "Asia/Tokyo"}`, with(func(k *apiKey) { k.KeyName, k.TimeZone = "tokyo", "Asia/Tokyo" })},
		{"every field", fmt.Sprintf(`{"keyName": "full", "description": "all of it", "locale": "ja-JP", "roleID": 2,
			"timeZone": "America/New_York", "active": false, "expiryDate": %d, "serviceAccount": true}`, expiry),
			with(func(k *apiKey) {
				k.KeyName, k.Description, k.Locale, k.RoleID, k.TimeZone = "full", "all of it", "ja-JP", 2, "America/New_York"
				k.Active, k.ExpiryDate, k.ServiceAccount = false, &expiry, true
			})},
		{"read-only fields ignored", fmt.Sprintf(`{"keyName": "ro", "ID": 77, "created": 5, "lastSignIn": 5, "unlockTime": %d,
			"unsuccessfulSignInAttempts": 4, "secretKey": "77:abc"}`, expiry),
			with(func(k *apiKey) { k.KeyName = "ro" })},
	}
	ids := map[int64]bool{1: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, "POST", "/api/apikeys", tt.body, withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusOK)
			var got apiKey
			r.into(t, &got)
			checkSecret(t, got.SecretKey, got.ID)
			if ids[got.ID] {
				t.Errorf("ID %d given twice", got.ID)
			}
			ids[got.ID] = true
			secret := got.SecretKey
			got.ID, got.SecretKey = 0, ""
			if !equalKeys(got, tt.want) {
				t.Errorf("created\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
			// The key is stored as answered, without its secret.
			m := getKeyMap(t, env, env.APISecret, mustID(t, secret))
			if _, ok := m["secretKey"]; ok {
				t.Errorf("GET answers a secretKey: %v", m)
			}
			if tt.want.Active {
				wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(secret)...), http.StatusOK)
			}
		})
	}

	before := listKeys(t, env, env.APISecret)
	refusals := []struct{ name, body string }{
		{"no keyName", `{"description": "nameless"}`},
		{"empty keyName", `{"keyName": ""}`},
		{"blank keyName", `{"keyName": "   "}`},
		{"empty body", ``},
		{"empty object", `{}`},
		{"bad locale", `{"keyName": "x", "locale": "fr-FR"}`},
		{"made-up locale", `{"keyName": "x", "locale": "xx"}`},
		{"bad time zone", `{"keyName": "x", "timeZone": "Mars/Olympus_Mons"}`},
		{"unknown roleID", `{"keyName": "x", "roleID": 99}`},
		{"unknown roleID string", `{"keyName": "x", "roleID": "99"}`},
		{"negative roleID", `{"keyName": "x", "roleID": -1}`},
		{"roleID not a number", `{"keyName": "x", "roleID": "auditor"}`},
		{"keyName not a string", `{"keyName": 5}`},
		{"active not a boolean", `{"keyName": "x", "active": "yes"}`},
		{"not JSON", `{"keyName": "x"`},
		{"an array", `[{"keyName": "x"}]`},
	}
	for _, tt := range refusals {
		t.Run("refused "+tt.name, func(t *testing.T) {
			r := send(t, env, "POST", "/api/apikeys", tt.body, withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusBadRequest)
		})
	}
	if after := listKeys(t, env, env.APISecret); len(after) != len(before) {
		t.Errorf("%d keys after the refusals, want %d", len(after), len(before))
	}
}

// mustID reads the ID out of a secret.
func mustID(t testing.TB, secret string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(strings.SplitN(secret, ":", 2)[0], "%d", &id); err != nil {
		t.Fatalf("secret %q has no ID: %v", secret, err)
	}
	return id
}

func equalKeys(a, b apiKey) bool { return dump(a) == dump(b) }

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// testListAPIKeys checks GET /api/apikeys: every key, in ID order, never a
// secret, always the apiKeys array.
func testListAPIKeys(t *testing.T, env *servertest.Env) {
	var want []int64
	for _, k := range listKeys(t, env, env.APISecret) {
		want = append(want, k.ID)
	}
	for i := range 4 {
		k := createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "k%d", "roleID": %d}`, i, 1+i%2))
		want = append(want, k.ID)
	}
	r := send(t, env, "GET", "/api/apikeys", "", withKey(env.APISecret)...)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), "secretKey") {
		t.Errorf("list answers secrets: %s", r.Body)
	}
	obj := r.object(t)
	if len(obj) != 1 {
		t.Errorf("list answer has keys %v, want apiKeys alone", slices.Collect(maps.Keys(obj)))
	}
	var l keyList
	r.into(t, &l)
	var got []int64
	for _, k := range l.APIKeys {
		got = append(got, k.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed IDs %v, want %v", got, want)
	}
	// Each listed key is the same as its own GET.
	for _, k := range l.APIKeys {
		if one := getKey(t, env, env.APISecret, k.ID); !equalKeys(one, k) {
			t.Errorf("GET %d = %s, listed %s", k.ID, dump(one), dump(k))
		}
	}
}

// testDescribeAPIKey checks GET /api/apikeys/{id}.
func testDescribeAPIKey(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, `{"keyName": "described", "description": "d", "roleID": 2, "locale": "ja-JP"}`)
	r := send(t, env, "GET", fmt.Sprintf("/api/apikeys/%d", k.ID), "", withKey(env.APISecret)...)
	wantStatus(t, r, http.StatusOK)
	m := r.object(t)
	for _, absent := range []string{"secretKey", "lastSignIn", "unlockTime", "expiryDate", "roleURN", "tenantID", "tenantGUID"} {
		if _, ok := m[absent]; ok {
			t.Errorf("GET answers %s: %s", absent, r.Body)
		}
	}
	var got apiKey
	r.into(t, &got)
	k.SecretKey = ""
	if !equalKeys(got, k) {
		t.Errorf("GET = %s, created %s", dump(got), dump(k))
	}
}

// testModifyAPIKey checks POST /api/apikeys/{id}: only the fields given
// change, the refusals change nothing, and the secret keeps working.
func testModifyAPIKey(t *testing.T, env *servertest.Env) {
	custom := createRole(t, env, env.APISecret, `{"name": "custom"}`)
	expiry := nowMS(env) + 48*time.Hour.Milliseconds()
	k := createKey(t, env, env.APISecret, `{"keyName": "target", "description": "first", "roleID": 1,
		"locale": "en-US", "timeZone": "UTC", "serviceAccount": false}`)
	path := fmt.Sprintf("/api/apikeys/%d", k.ID)
	tests := []struct {
		name   string
		body   string
		change map[string]any // the fields that change, as the wire has them
	}{
		{"keyName", `{"keyName": "renamed"}`, map[string]any{"keyName": "renamed"}},
		{"description", `{"description": "second"}`, map[string]any{"description": "second"}},
		{"locale", `{"locale": "ja-JP"}`, map[string]any{"locale": "ja-JP"}},
		{"timeZone", `{"timeZone": "Europe/Paris"}`, map[string]any{"timeZone": "Europe/Paris"}},
		{"roleID number", `{"roleID": 2}`, map[string]any{"roleID": float64(2)}},
		{"roleID string", fmt.Sprintf(`{"roleID": "%d"}`, custom.ID), map[string]any{"roleID": float64(custom.ID)}},
		{"serviceAccount", `{"serviceAccount": true}`, map[string]any{"serviceAccount": true}},
		{"expiryDate", fmt.Sprintf(`{"expiryDate": %d}`, expiry), map[string]any{"expiryDate": float64(expiry)}},
		{"active", `{"active": false}`, map[string]any{"active": false}},
		{"active again", `{"active": true}`, map[string]any{"active": true}},
		{"two fields", `{"keyName": "both", "description": "third"}`, map[string]any{"keyName": "both", "description": "third"}},
		{"nothing", `{}`, nil},
		{"empty body", ``, nil},
		{"read-only fields ignored", `{"ID": 99, "created": 5, "unsuccessfulSignInAttempts": 3, "secretKey": "x"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := getKeyMap(t, env, env.APISecret, k.ID)
			want := maps.Clone(before)
			maps.Copy(want, tt.change)
			r := send(t, env, "POST", path, tt.body, withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusOK)
			if got := r.object(t); !maps.Equal(got, want) {
				t.Errorf("modify answered\n%v\nwant\n%v", got, want)
			}
			if got := getKeyMap(t, env, env.APISecret, k.ID); !maps.Equal(got, want) {
				t.Errorf("stored\n%v\nwant\n%v", got, want)
			}
		})
	}
	// The secret survived every change.
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusOK)

	refusals := []struct {
		name, body string
		want       int
	}{
		{"empty keyName", `{"keyName": ""}`, 400},
		{"blank keyName", `{"keyName": "  "}`, 400},
		{"bad locale", `{"locale": "de-DE"}`, 400},
		{"bad time zone", `{"timeZone": "Nowhere/Special"}`, 400},
		{"unknown roleID", `{"roleID": 42}`, 400},
		// 0 names no role; it must not turn into the Full Access default
		// of create, which would raise the key's rights.
		{"roleID 0", `{"roleID": 0}`, 400},
		{"roleID string 0", `{"roleID": "0"}`, 400},
		{"bad locale with good name", `{"keyName": "would change", "locale": "xx"}`, 400},
		{"not JSON", `{"keyName": `, 400},
	}
	for _, tt := range refusals {
		t.Run("refused "+tt.name, func(t *testing.T) {
			before := getKeyMap(t, env, env.APISecret, k.ID)
			wantStatus(t, send(t, env, "POST", path, tt.body, withKey(env.APISecret)...), tt.want)
			if after := getKeyMap(t, env, env.APISecret, k.ID); !maps.Equal(after, before) {
				t.Errorf("refused modify changed the key:\n%v\nwas\n%v", after, before)
			}
		})
	}
}

// testClearExpiry checks that modify with expiryDate 0 removes the expiry
// (the field is then omitted) and revives an expired key.
func testClearExpiry(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "expiring", "expiryDate": %d}`, nowMS(env)+1000))
	env.Clock.Advance(2 * time.Second)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(k.SecretKey)...), http.StatusUnauthorized)
	r := send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d", k.ID), `{"expiryDate": 0}`, withKey(env.APISecret)...)
	wantStatus(t, r, http.StatusOK)
	if _, ok := r.object(t)["expiryDate"]; ok {
		t.Errorf("expiryDate still answered: %s", r.Body)
	}
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(k.SecretKey)...), http.StatusOK)
}

// testDeleteAPIKey checks DELETE /api/apikeys/{id}.
func testDeleteAPIKey(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, `{"keyName": "doomed"}`)
	keep := createKey(t, env, env.APISecret, `{"keyName": "kept"}`)
	path := fmt.Sprintf("/api/apikeys/%d", k.ID)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(k.SecretKey)...), http.StatusOK)
	var before []int64
	for _, l := range listKeys(t, env, env.APISecret) {
		before = append(before, l.ID)
	}
	if !slices.Contains(before, k.ID) || !slices.Contains(before, keep.ID) {
		t.Fatalf("keys %v lack %d or %d", before, k.ID, keep.ID)
	}

	r := send(t, env, "DELETE", path, "", withKey(env.APISecret)...)
	wantStatus(t, r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("DELETE answered a body: %s", r.Body)
	}
	wantStatus(t, send(t, env, "GET", path, "", withKey(env.APISecret)...), http.StatusNotFound)
	wantStatus(t, send(t, env, "DELETE", path, "", withKey(env.APISecret)...), http.StatusNotFound)
	wantStatus(t, send(t, env, "POST", path, `{"description": "x"}`, withKey(env.APISecret)...), http.StatusNotFound)
	wantStatus(t, send(t, env, "POST", path+"/secretkey", "", withKey(env.APISecret)...), http.StatusNotFound)
	wantMessage(t, send(t, env, "GET", "/api/roles", "", withKey(k.SecretKey)...), http.StatusUnauthorized, invalidKey)

	var ids []int64
	for _, l := range listKeys(t, env, env.APISecret) {
		ids = append(ids, l.ID)
	}
	if want := slices.DeleteFunc(slices.Clone(before), func(id int64) bool { return id == k.ID }); !slices.Equal(ids, want) {
		t.Errorf("keys %v after the delete, want %v", ids, want)
	}
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(keep.SecretKey)...), http.StatusOK)
	// A new key does not take the deleted one's ID.
	if n := createKey(t, env, env.APISecret, `{"keyName": "new"}`); n.ID == k.ID {
		t.Errorf("new key reuses deleted ID %d", k.ID)
	}

	// Nor the ID of the newest key, deleted: the ID is the first part of
	// every secret, so a client still sending the deleted key's secret
	// would count failed sign-ins against (and lock out) the new key.
	last := createKey(t, env, env.APISecret, `{"keyName": "newest"}`)
	wantStatus(t, send(t, env, "DELETE", fmt.Sprintf("/api/apikeys/%d", last.ID), "", withKey(env.APISecret)...), http.StatusNoContent)
	next := createKey(t, env, env.APISecret, `{"keyName": "after the newest"}`)
	if next.ID == last.ID {
		t.Errorf("new key reuses ID %d of the key deleted just before", last.ID)
	}
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(last.SecretKey)...), http.StatusUnauthorized)
	if got := getKey(t, env, env.APISecret, next.ID); got.UnsuccessfulSignInAttempts != 0 {
		t.Errorf("the deleted key's secret counted %d failed sign-ins against key %d", got.UnsuccessfulSignInAttempts, next.ID)
	}
}

// testRotateAPIKey checks POST /api/apikeys/{id}/secretkey: a new secret
// that works, the old one refused at once, nothing else changed.
func testRotateAPIKey(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, `{"keyName": "rotated", "roleID": 2, "description": "r"}`)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(k.SecretKey)...), http.StatusOK)
	before := getKeyMap(t, env, env.APISecret, k.ID)

	seen := map[string]bool{k.SecretKey: true}
	secret := k.SecretKey
	for i := range 3 {
		r := send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d/secretkey", k.ID), "", withKey(env.APISecret)...)
		wantStatus(t, r, http.StatusOK)
		var got apiKey
		r.into(t, &got)
		if got.ID != k.ID {
			t.Fatalf("rotation %d answered key %d, want %d", i, got.ID, k.ID)
		}
		checkSecret(t, got.SecretKey, k.ID)
		if seen[got.SecretKey] {
			t.Fatalf("rotation %d gave a secret seen before", i)
		}
		seen[got.SecretKey] = true
		m := r.object(t)
		delete(m, "secretKey")
		if !maps.Equal(m, before) {
			t.Errorf("rotation %d changed the key:\n%v\nwas\n%v", i, m, before)
		}
		wantMessage(t, send(t, env, "GET", "/api/roles", "", withKey(secret)...), http.StatusUnauthorized, invalidKey)
		secret = got.SecretKey
		wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(secret)...), http.StatusOK)
		// The old secret's refusal counted; the new one's success reset it.
		before = getKeyMap(t, env, env.APISecret, k.ID)
	}
}

// testCurrentAPIKey checks GET and POST /api/apikeys/current and the
// rotation of the caller's own secret, which even an Auditor key may do.
func testCurrentAPIKey(t *testing.T, env *servertest.Env) {
	env.Clock.Advance(3 * time.Second)
	k := createKey(t, env, env.APISecret, `{"keyName": "me", "roleID": 2, "locale": "ja-JP"}`)
	for _, method := range []string{"GET", "POST"} {
		for _, h := range [][]string{withKey(k.SecretKey), {"Authorization", "ApiKey " + k.SecretKey}} {
			t.Run(method+" "+h[0], func(t *testing.T) {
				env.Clock.Advance(time.Second)
				r := send(t, env, method, "/api/apikeys/current", "", h...)
				wantStatus(t, r, http.StatusOK)
				var got apiKey
				r.into(t, &got)
				if got.ID != k.ID || got.KeyName != "me" || got.RoleID != 2 || got.Locale != "ja-JP" || !got.Active {
					t.Errorf("current = %s, want key %d", r.Body, k.ID)
				}
				if got.SecretKey != "" {
					t.Errorf("current answers the secret")
				}
				if !strings.HasPrefix(got.RoleURN, "urn:tmds:identity:") || !strings.Contains(got.RoleURN, ":role/") {
					t.Errorf("roleURN %q, want urn:tmds:identity:<region>:<tenant>:role/<name>", got.RoleURN)
				}
				if got.TenantID == nil {
					t.Errorf("tenantID missing: %s", r.Body)
				}
				if got.TenantGUID == "" {
					t.Errorf("tenantGUID missing: %s", r.Body)
				}
				// This call is the key's latest sign-in.
				if got.LastSignIn == nil || *got.LastSignIn != nowMS(env) {
					t.Errorf("lastSignIn %v, want %d", got.LastSignIn, nowMS(env))
				}
			})
		}
	}
	// The demo key is Full Access: its roleURN differs from the Auditor's.
	var demo, me apiKey
	send(t, env, "GET", "/api/apikeys/current", "", withKey(env.APISecret)...).into(t, &demo)
	send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...).into(t, &me)
	if demo.ID != 1 || demo.RoleURN == me.RoleURN {
		t.Errorf("demo current %d with roleURN %q, Auditor's %q", demo.ID, demo.RoleURN, me.RoleURN)
	}

	t.Run("rotate own secret", func(t *testing.T) {
		before := getKeyMap(t, env, env.APISecret, k.ID)
		r := send(t, env, "POST", "/api/apikeys/current/secretkey", "", withKey(k.SecretKey)...)
		wantStatus(t, r, http.StatusOK)
		var got apiKey
		r.into(t, &got)
		if got.ID != k.ID {
			t.Fatalf("rotated key %d, want %d", got.ID, k.ID)
		}
		checkSecret(t, got.SecretKey, k.ID)
		if got.SecretKey == k.SecretKey {
			t.Fatal("rotation kept the secret")
		}
		wantMessage(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusUnauthorized, invalidKey)
		r = send(t, env, "GET", "/api/apikeys/current", "", withKey(got.SecretKey)...)
		wantStatus(t, r, http.StatusOK)
		var cur apiKey
		r.into(t, &cur)
		if cur.ID != k.ID {
			t.Errorf("new secret authenticates key %d, want %d", cur.ID, k.ID)
		}
		after := getKeyMap(t, env, env.APISecret, k.ID)
		for _, f := range []string{"keyName", "roleID", "locale", "active", "created", "timeZone"} {
			if after[f] != before[f] {
				t.Errorf("rotation changed %s: %v, was %v", f, after[f], before[f])
			}
		}
		// Via Authorization: ApiKey, too.
		r = send(t, env, "POST", "/api/apikeys/current/secretkey", "", "Authorization", "ApiKey "+got.SecretKey)
		wantStatus(t, r, http.StatusOK)
		var again apiKey
		r.into(t, &again)
		checkSecret(t, again.SecretKey, k.ID)
		wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(got.SecretKey)...), http.StatusUnauthorized)
		wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(again.SecretKey)...), http.StatusOK)
	})
}
