package workload_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// testKeyAuthentication checks the two ways of sending a secret, and that
// every wrong secret is refused with 401 "Invalid API Key".
func testKeyAuthentication(t *testing.T, env *servertest.Env) {
	// Wrong secrets count against the key they name; give them a key of
	// their own so that the demo key never locks.
	victim := createKey(t, env, env.APISecret, `{"keyName": "victim"}`)
	id, rnd, _ := strings.Cut(victim.SecretKey, ":")
	tests := []struct {
		name   string
		header []string
		want   int
	}{
		{"api-secret-key", []string{"api-secret-key", victim.SecretKey}, 200},
		{"Authorization ApiKey", []string{"Authorization", "ApiKey " + victim.SecretKey}, 200},
		{"no credentials", nil, 401},
		{"wrong secret", []string{"api-secret-key", wrongSecret(victim.ID)}, 401},
		{"wrong secret as ApiKey", []string{"Authorization", "ApiKey " + wrongSecret(victim.ID)}, 401},
		{"unknown ID", []string{"api-secret-key", "999999:" + rnd}, 401},
		{"other key's ID", []string{"api-secret-key", "1:" + rnd}, 401},
		{"no ID", []string{"api-secret-key", rnd}, 401},
		{"no random part", []string{"api-secret-key", id + ":"}, 401},
		{"ID not a number", []string{"api-secret-key", "x" + id + ":" + rnd}, 401},
		{"garbage", []string{"api-secret-key", "not a secret"}, 401},
		{"colon", []string{"api-secret-key", ":"}, 401},
		{"truncated", []string{"api-secret-key", victim.SecretKey[:len(victim.SecretKey)-2]}, 401},
		{"Bearer scheme", []string{"Authorization", "Bearer " + victim.SecretKey}, 401},
		{"Basic scheme", []string{"Authorization", "Basic " + victim.SecretKey}, 401},
		{"ApiKey without secret", []string{"Authorization", "ApiKey"}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, "GET", "/api/apikeys/current", "", tt.header...)
			if tt.want == 200 {
				wantStatus(t, r, 200)
				var k apiKey
				r.into(t, &k)
				if k.ID != victim.ID {
					t.Errorf("authenticated as key %d, want %d", k.ID, victim.ID)
				}
				return
			}
			wantMessage(t, r, tt.want, invalidKey)
		})
	}
}

// testRefusedKeys checks that a deleted, inactive or expired key is refused
// with 401 "Invalid API Key", and that it worked before.
func testRefusedKeys(t *testing.T, env *servertest.Env) {
	tests := []struct {
		name string
		body string
		// refuse makes the key unusable.
		refuse func(t *testing.T, k apiKey)
		// restore, when set, makes it usable again.
		restore func(t *testing.T, k apiKey)
	}{
		{
			name: "deleted",
			body: `{"keyName": "deleted"}`,
			refuse: func(t *testing.T, k apiKey) {
				r := send(t, env, "DELETE", fmt.Sprintf("/api/apikeys/%d", k.ID), "", withKey(env.APISecret)...)
				wantStatus(t, r, http.StatusNoContent)
			},
		},
		{
			name: "inactive",
			body: `{"keyName": "inactive"}`,
			refuse: func(t *testing.T, k apiKey) {
				r := send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d", k.ID), `{"active": false}`, withKey(env.APISecret)...)
				wantStatus(t, r, http.StatusOK)
				var got apiKey
				r.into(t, &got)
				if got.Active {
					t.Fatalf("modify answered active true: %s", r.Body)
				}
			},
			restore: func(t *testing.T, k apiKey) {
				r := send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d", k.ID), `{"active": true}`, withKey(env.APISecret)...)
				wantStatus(t, r, http.StatusOK)
			},
		},
		{
			name: "created inactive",
			body: `{"keyName": "created inactive", "active": false}`,
		},
		{
			name: "expired",
			body: fmt.Sprintf(`{"keyName": "expired", "expiryDate": %d}`, nowMS(env)+1000),
			refuse: func(t *testing.T, k apiKey) {
				env.Clock.Advance(1001 * time.Millisecond)
			},
			restore: func(t *testing.T, k apiKey) {
				r := send(t, env, "POST", fmt.Sprintf("/api/apikeys/%d", k.ID),
					fmt.Sprintf(`{"expiryDate": %d}`, nowMS(env)+time.Hour.Milliseconds()), withKey(env.APISecret)...)
				wantStatus(t, r, http.StatusOK)
			},
		},
		{
			name: "expired at once",
			body: fmt.Sprintf(`{"keyName": "expired at once", "expiryDate": %d}`, nowMS(env)-1),
		},
	}
	// Not parallel: the expired case moves the shared clock.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := createKey(t, env, env.APISecret, tt.body)
			if tt.refuse != nil {
				wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusOK)
				tt.refuse(t, k)
			}
			for _, h := range [][]string{withKey(k.SecretKey), {"Authorization", "ApiKey " + k.SecretKey}} {
				for _, path := range []string{"/api/apikeys/current", "/api/apikeys", "/api/roles"} {
					wantMessage(t, send(t, env, "GET", path, "", h...), http.StatusUnauthorized, invalidKey)
				}
			}
			if tt.restore != nil {
				tt.restore(t, k)
				wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusOK)
			}
		})
	}
}

// testExpiryBoundary checks that a key works until its expiryDate and is
// refused from that millisecond on.
func testExpiryBoundary(t *testing.T, env *servertest.Env) {
	expiry := nowMS(env) + 1000
	k := createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "short", "expiryDate": %d}`, expiry))
	if k.ExpiryDate == nil || *k.ExpiryDate != expiry {
		t.Fatalf("expiryDate %v, want %d", k.ExpiryDate, expiry)
	}
	env.Clock.Advance(999 * time.Millisecond)
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusOK)
	env.Clock.Advance(time.Millisecond)
	wantMessage(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusUnauthorized, invalidKey)
}

// testSignInAttempts checks that a wrong secret for an existing key counts
// as a failed sign-in of that key, and that a right one resets the count
// and records lastSignIn at the clock's millisecond.
func testSignInAttempts(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, `{"keyName": "counted"}`)
	if k.LastSignIn != nil || k.UnlockTime != nil || k.UnsuccessfulSignInAttempts != 0 {
		t.Fatalf("new key: lastSignIn %v, unlockTime %v, attempts %d; want unset, unset, 0",
			k.LastSignIn, k.UnlockTime, k.UnsuccessfulSignInAttempts)
	}
	steps := []struct {
		secret       string
		want         int
		wantAttempts int
		wantSignedIn bool
	}{
		{wrongSecret(k.ID), 401, 1, false},
		{wrongSecret(k.ID), 401, 2, false},
		{"999999:" + strings.SplitN(k.SecretKey, ":", 2)[1], 401, 2, false}, // another ID: not this key's failure
		{"no-colon", 401, 2, false},                                         // not a secret at all
		{wrongSecret(k.ID), 401, 3, false},
		{k.SecretKey, 200, 0, true},
		{wrongSecret(k.ID), 401, 1, true},
		{k.SecretKey, 200, 0, true},
	}
	var lastSignIn int64
	for i, s := range steps {
		env.Clock.Advance(1500 * time.Millisecond)
		r := send(t, env, "GET", "/api/roles", "", withKey(s.secret)...)
		if r.Status != s.want {
			t.Fatalf("step %d: status %d, want %d: %s", i, r.Status, s.want, r.Body)
		}
		if s.want == 200 {
			lastSignIn = nowMS(env)
		}
		got := getKey(t, env, env.APISecret, k.ID)
		if got.UnsuccessfulSignInAttempts != s.wantAttempts {
			t.Errorf("step %d: unsuccessfulSignInAttempts %d, want %d", i, got.UnsuccessfulSignInAttempts, s.wantAttempts)
		}
		switch {
		case !s.wantSignedIn && got.LastSignIn != nil:
			t.Errorf("step %d: lastSignIn %d, want unset", i, *got.LastSignIn)
		case s.wantSignedIn && (got.LastSignIn == nil || *got.LastSignIn != lastSignIn):
			t.Errorf("step %d: lastSignIn %v, want %d", i, got.LastSignIn, lastSignIn)
		}
		if got.UnlockTime != nil {
			t.Errorf("step %d: unlockTime %d, want unset below the threshold", i, *got.UnlockTime)
		}
	}
}

// testKeyLockout checks that five wrong secrets lock a key until its
// unlockTime: even the right secret is refused until the clock passes it.
func testKeyLockout(t *testing.T, env *servertest.Env) {
	k := createKey(t, env, env.APISecret, `{"keyName": "locked"}`)
	other := createKey(t, env, env.APISecret, `{"keyName": "bystander"}`)
	for i := 1; i <= 4; i++ {
		wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(wrongSecret(k.ID))...), 401, invalidKey)
	}
	// Four failures: not locked yet.
	if got := getKey(t, env, env.APISecret, k.ID); got.UnlockTime != nil || got.UnsuccessfulSignInAttempts != 4 {
		t.Fatalf("after 4 failures: unlockTime %v, attempts %d; want unset, 4", got.UnlockTime, got.UnsuccessfulSignInAttempts)
	}
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(wrongSecret(k.ID))...), 401, invalidKey)
	lockedAt := env.Clock.Now()
	got := getKey(t, env, env.APISecret, k.ID)
	if got.UnsuccessfulSignInAttempts != 5 {
		t.Errorf("after 5 failures: attempts %d, want 5", got.UnsuccessfulSignInAttempts)
	}
	if got.UnlockTime == nil || *got.UnlockTime <= ms(lockedAt) {
		t.Fatalf("after 5 failures: unlockTime %v, want a time after %d", got.UnlockTime, ms(lockedAt))
	}
	unlock := time.UnixMilli(*got.UnlockTime)
	if want := lockedAt.Add(30 * time.Minute); !unlock.Equal(want) {
		t.Errorf("unlockTime %v, want %v (30 minutes, the default lockout)", unlock, want)
	}
	// Locked: the right secret is refused, in both header forms.
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(k.SecretKey)...), 401, invalidKey)
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", "Authorization", "ApiKey "+k.SecretKey), 401, invalidKey)
	// Another key is not affected.
	wantStatus(t, send(t, env, "GET", "/api/apikeys", "", withKey(other.SecretKey)...), 200)

	env.Clock.Advance(unlock.Sub(env.Clock.Now()) - time.Second)
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(k.SecretKey)...), 401, invalidKey)
	env.Clock.Advance(time.Second)
	r := send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...)
	wantStatus(t, r, 200)
	got = getKey(t, env, env.APISecret, k.ID)
	if got.UnsuccessfulSignInAttempts != 0 || got.UnlockTime != nil {
		t.Errorf("after unlocking: attempts %d, unlockTime %v; want 0, unset", got.UnsuccessfulSignInAttempts, got.UnlockTime)
	}
	if got.LastSignIn == nil || *got.LastSignIn != nowMS(env) {
		t.Errorf("after unlocking: lastSignIn %v, want %d", got.LastSignIn, nowMS(env))
	}

	// Once a lock is over, the count starts again: one wrong secret after
	// it does not lock the key for another 30 minutes. Lock it again, and
	// this time let the first call after the lock be a wrong one.
	for range 5 {
		wantStatus(t, send(t, env, "GET", "/api/apikeys", "", withKey(wrongSecret(k.ID))...), 401)
	}
	env.Clock.Advance(30*time.Minute + time.Second)
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(wrongSecret(k.ID))...), 401, invalidKey)
	got = getKey(t, env, env.APISecret, k.ID)
	if got.UnsuccessfulSignInAttempts != 1 || got.UnlockTime != nil {
		t.Errorf("one failure after the lock ended: attempts %d, unlockTime %v; want 1, unset",
			got.UnsuccessfulSignInAttempts, got.UnlockTime)
	}
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), 200)
}
