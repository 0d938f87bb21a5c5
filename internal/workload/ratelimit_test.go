package workload_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// retryAfter reads a 429's Retry-After, which must be whole seconds, at
// least one.
func retryAfter(t testing.TB, r resp) int {
	t.Helper()
	v := r.Header.Get("Retry-After")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want an integer number of seconds >= 1", v)
	}
	return n
}

// TestRateLimitPerKey checks the per-key limit: the call over it is
// refused with 429 and a Retry-After, refused calls do not count, other
// keys have their own count, and the window slides.
func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{RateLimits: &ratelimit.Limits{PerKey: 5, Window: time.Minute}})
	admin := withKey(env.APISecret)
	// Call 1 of the demo key: make a second key.
	other := createKey(t, env, env.APISecret, `{"keyName": "other"}`)
	// Calls 2 to 5, each kind of call counting alike.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/apikeys"}, {"GET", "/api/apikeys/current"}, {"GET", "/api/roles"}, {"POST", "/api/apikeys/search"},
	} {
		wantStatus(t, send(t, env, c.method, c.path, "", admin...), http.StatusOK)
	}
	r := send(t, env, "GET", "/api/apikeys", "", admin...)
	wantMessage(t, r, http.StatusTooManyRequests, "Too many API requests")
	if n := retryAfter(t, r); n > 60 {
		t.Errorf("Retry-After %d, more than the 60-second window", n)
	}
	// Every call is refused while over, whatever it is, in both header forms.
	wantMessage(t, send(t, env, "POST", "/api/apikeys", `{"keyName": "x"}`, admin...), http.StatusTooManyRequests, "Too many API requests")
	wantMessage(t, send(t, env, "GET", "/api/roles", "", "Authorization", "ApiKey "+env.APISecret), http.StatusTooManyRequests, "Too many API requests")

	// Half a window later, hammer the limit: refused calls must not count.
	env.Clock.Advance(30 * time.Second)
	for range 10 {
		r := send(t, env, "GET", "/api/apikeys/current", "", admin...)
		wantStatus(t, r, http.StatusTooManyRequests)
		if n := retryAfter(t, r); n > 30 {
			t.Errorf("Retry-After %d half a window later, want at most 30", n)
		}
	}
	// The other key counts alone.
	for i := 1; i <= 5; i++ {
		if r := send(t, env, "GET", "/api/apikeys/current", "", withKey(other.SecretKey)...); r.Status != http.StatusOK {
			t.Fatalf("other key's call %d: status %d: %s", i, r.Status, r.Body)
		}
	}
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(other.SecretKey)...), http.StatusTooManyRequests)

	// Past the window of the first five calls: five more, not one fewer.
	env.Clock.Advance(31 * time.Second)
	for i := 1; i <= 5; i++ {
		if r := send(t, env, "GET", "/api/apikeys/current", "", admin...); r.Status != http.StatusOK {
			t.Fatalf("after the window, call %d: status %d: %s", i, r.Status, r.Body)
		}
	}
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", admin...), http.StatusTooManyRequests)
	// The other key's calls, 31 seconds old, still count.
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(other.SecretKey)...), http.StatusTooManyRequests)

	// A refused key is refused for the key, not the limit: 401 comes
	// before counting.
	wantMessage(t, send(t, env, "GET", "/api/apikeys", "", withKey(wrongSecret(other.ID))...), http.StatusUnauthorized, invalidKey)

	// A session has a count of its own, apart from the keys'.
	_, s := signIn(t, env, credentials(env, env.AdminPassword))
	for i := 1; i <= 5; i++ {
		if r := send(t, env, "GET", "/api/apikeys", "", s.header()...); r.Status != http.StatusOK {
			t.Fatalf("session call %d: status %d: %s", i, r.Status, r.Body)
		}
	}
	r = send(t, env, "GET", "/api/apikeys", "", s.header()...)
	wantMessage(t, r, http.StatusTooManyRequests, "Too many API requests")
	retryAfter(t, r)
}

// TestRateLimitDisabled checks that a disabled limiter lets every call
// through, whatever the limits say.
func TestRateLimitDisabled(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{RateLimits: &ratelimit.Limits{Disabled: true, PerKey: 5, PerTenant: 5, PerNode: 5, Window: time.Minute}})
	for i := 1; i <= 20; i++ {
		if r := send(t, env, "GET", "/api/apikeys/current", "", withKey(env.APISecret)...); r.Status != http.StatusOK {
			t.Fatalf("call %d: status %d: %s", i, r.Status, r.Body)
		}
	}
}

// TestRateLimitPerTenant checks that the tenant limit spans keys.
func TestRateLimitPerTenant(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{RateLimits: &ratelimit.Limits{PerKey: 100, PerTenant: 4, Window: time.Minute}})
	other := createKey(t, env, env.APISecret, `{"keyName": "other"}`) // tenant call 1
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(env.APISecret)...), http.StatusOK)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(other.SecretKey)...), http.StatusOK)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(other.SecretKey)...), http.StatusOK)
	r := send(t, env, "GET", "/api/roles", "", withKey(env.APISecret)...)
	wantMessage(t, r, http.StatusTooManyRequests, "Too many API requests")
	retryAfter(t, r)
	env.Clock.Advance(time.Minute)
	wantStatus(t, send(t, env, "GET", "/api/roles", "", withKey(other.SecretKey)...), http.StatusOK)
}
