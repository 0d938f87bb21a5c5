package workload_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var hex32 = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)

// TestSessions checks signing in with a username and password, on one
// server. Password checks are slow under the race detector, so the parts
// share the server and each checks as few passwords as it can; they run in
// turn, as they move the clock and lock the account, and MFA comes last.
func TestSessions(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	t.Run("sign in", func(t *testing.T) { testSignIn(t, env) })
	t.Run("refused", func(t *testing.T) { testSignInRefused(t, env) })
	t.Run("lifetime", func(t *testing.T) { testSessionLifetime(t, env) })
	t.Run("lockout", func(t *testing.T) { testAccountLockout(t, env) })
	t.Run("MFA", func(t *testing.T) { testSignInMFA(t, env) })
}

// testSignIn checks POST /api/sessions: the answer's fields, the sID
// cookie, and that the cookie and rID together authenticate a call.
func testSignIn(t *testing.T, env *servertest.Env) {
	env.Clock.Advance(1234 * time.Millisecond)
	now := nowMS(env)
	r, s := signIn(t, env, credentials(env, env.AdminPassword))
	wantStatus(t, r, http.StatusOK)

	var got map[string]any
	got = r.object(t)
	want := map[string]any{"administratorID": float64(1), "created": float64(now), "lastActivity": float64(now),
		"accessType": "webService", "RID": s.RID}
	for k, v := range want {
		if k == "administratorID" {
			if id, _ := got[k].(float64); id < 1 {
				t.Errorf("administratorID %v, want a positive ID", got[k])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("answer has fields %v, want exactly %d", got, len(want))
	}
	if !hex32.MatchString(s.RID) {
		t.Errorf("RID %q is not 32 hex digits", s.RID)
	}

	var cookie *http.Cookie
	for _, c := range r.Cookies {
		if c.Name == "sID" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no sID cookie in Set-Cookie %q", r.Header.Values("Set-Cookie"))
	}
	if !hex32.MatchString(cookie.Value) {
		t.Errorf("sID %q is not 32 hex digits", cookie.Value)
	}
	// The test server speaks plain HTTP: the cookie is Secure only over
	// HTTPS (test/seeds checks it there), else clients would drop it.
	if cookie.Secure || !cookie.HttpOnly {
		t.Errorf("sID cookie over HTTP: Secure=%v HttpOnly=%v, want false and true", cookie.Secure, cookie.HttpOnly)
	}
	if cookie.Path != "/" {
		t.Errorf("sID cookie Path %q, want /", cookie.Path)
	}
	if cookie.Value == s.RID {
		t.Error("sID and RID are the same value")
	}

	tests := []struct {
		name   string
		header []string
		want   int
	}{
		{"cookie and rID", s.header(), 200},
		{"wrong rID", []string{"Cookie", "sID=" + s.SID, "rID", "00000000000000000000000000000000"}, 401},
		{"missing rID", []string{"Cookie", "sID=" + s.SID}, 401},
		{"wrong sID", []string{"Cookie", "sID=00000000000000000000000000000000", "rID", s.RID}, 401},
		{"rID without cookie", []string{"rID", s.RID}, 401},
		{"RID as the cookie", []string{"Cookie", "sID=" + s.RID, "rID", s.RID}, 401},
		{"again after refusals", s.header(), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, "GET", "/api/apikeys", "", tt.header...)
			wantStatus(t, r, tt.want)
			if tt.want == 200 {
				var l keyList
				r.into(t, &l)
				if len(l.APIKeys) == 0 || l.APIKeys[0].KeyName != "Rampart demo" {
					t.Errorf("apiKeys %+v, want the demo key first", l.APIKeys)
				}
			}
		})
	}
	// A session can create the first key: the bootstrap the spec is for.
	r = send(t, env, "POST", "/api/apikeys", `{"keyName": "first", "roleID": 1}`, s.header()...)
	wantStatus(t, r, http.StatusOK)
	var k apiKey
	r.into(t, &k)
	checkSecret(t, k.SecretKey, k.ID)
	wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(k.SecretKey)...), http.StatusOK)
}

// testSignInRefused checks the refusals of POST /api/sessions.
func testSignInRefused(t *testing.T, env *servertest.Env) {
	tests := []struct {
		name, body string
		want       int
	}{
		{"wrong password", credentials(env, "wrong-password"), 401},
		{"unknown user", fmt.Sprintf(`{"userName": "nobody", "password": %s}`, jsonString(env.AdminPassword)), 401},
		{"tenant Primary", fmt.Sprintf(`{"userName": %s, "password": %s, "tenantName": "Primary"}`,
			jsonString(env.AdminUser), jsonString(env.AdminPassword)), 200},
		{"tenant pRIMARy", fmt.Sprintf(`{"userName": %s, "password": %s, "tenantName": "pRIMARy"}`,
			jsonString(env.AdminUser), jsonString(env.AdminPassword)), 200},
		{"other tenant", fmt.Sprintf(`{"userName": %s, "password": %s, "tenantName": "Other"}`,
			jsonString(env.AdminUser), jsonString(env.AdminPassword)), 401},
		{"tenant Primary2", fmt.Sprintf(`{"userName": %s, "password": %s, "tenantName": "Primary2"}`,
			jsonString(env.AdminUser), jsonString(env.AdminPassword)), 401},
		{"not JSON", `{"userName": `, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := signIn(t, env, tt.body)
			wantStatus(t, r, tt.want)
			if tt.want == 200 {
				wantStatus(t, send(t, env, "GET", "/api/roles", "", s.header()...), 200)
				return
			}
			for _, c := range r.Cookies {
				if c.Name == "sID" {
					t.Errorf("refused sign-in set an sID cookie")
				}
			}
		})
	}
}

// testAccountLockout checks that five wrong passwords lock the account for
// 30 minutes (even the right password is refused), that a success resets
// the count, and that the lock ends when the clock passes it.
func testAccountLockout(t *testing.T, env *servertest.Env) {
	// Start from no failures, whatever the parts before did.
	if err := env.Server.Access.Unlock(context.Background(), env.AdminUser); err != nil {
		t.Fatal(err)
	}
	wrong, right := credentials(env, "wrong-password"), credentials(env, env.AdminPassword)
	steps := []struct {
		body    string
		advance time.Duration
		want    int
	}{
		// Five failures lock the account.
		{wrong, 0, 401}, {wrong, 0, 401}, {wrong, 0, 401}, {wrong, 0, 401}, {wrong, 0, 401},
		{right, 0, 401},
		{right, 29 * time.Minute, 401},
		{right, 59 * time.Second, 401},
		{right, 2 * time.Second, 200},
	}
	for i, s := range steps {
		env.Clock.Advance(s.advance)
		r, _ := signIn(t, env, s.body)
		if r.Status != s.want {
			t.Fatalf("step %d: status %d, want %d: %s", i, r.Status, s.want, r.Body)
		}
	}
}

// testSessionLifetime checks that a session lives while it is used, ends
// after 30 minutes idle, and ends at DELETE /api/sessions/current.
func testSessionLifetime(t *testing.T, env *servertest.Env) {
	t.Run("idle expiry", func(t *testing.T) {
		_, s := signIn(t, env, credentials(env, env.AdminPassword))
		steps := []struct {
			advance time.Duration
			want    int
		}{
			{29 * time.Minute, 200}, // each use restarts the idle time
			{29 * time.Minute, 200},
			{29 * time.Minute, 200},
			{31 * time.Minute, 401},
			{0, 401}, // stays ended
		}
		for i, st := range steps {
			env.Clock.Advance(st.advance)
			if r := send(t, env, "GET", "/api/apikeys", "", s.header()...); r.Status != st.want {
				t.Fatalf("step %d: status %d, want %d: %s", i, r.Status, st.want, r.Body)
			}
		}
	})
	t.Run("sign out", func(t *testing.T) {
		_, s := signIn(t, env, credentials(env, env.AdminPassword))
		_, other := signIn(t, env, credentials(env, env.AdminPassword))
		wantStatus(t, send(t, env, "GET", "/api/apikeys", "", s.header()...), 200)
		r := send(t, env, "DELETE", "/api/sessions/current", "", s.header()...)
		wantStatus(t, r, http.StatusNoContent)
		wantStatus(t, send(t, env, "GET", "/api/apikeys", "", s.header()...), 401)
		wantStatus(t, send(t, env, "DELETE", "/api/sessions/current", "", s.header()...), 401)
		// Only that session ended.
		wantStatus(t, send(t, env, "GET", "/api/apikeys", "", other.header()...), 200)
	})
	t.Run("sign out without a session", func(t *testing.T) {
		wantStatus(t, send(t, env, "DELETE", "/api/sessions/current", ""), 401)
		wantStatus(t, send(t, env, "DELETE", "/api/sessions/current", "", "Cookie", "sID=00000000000000000000000000000000"), 401)
	})
}

// testSignInMFA checks that an administrator with TOTP needs a valid code.
func testSignInMFA(t *testing.T, env *servertest.Env) {
	secret, err := env.Server.Access.EnableTOTP(context.Background(), env.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(secret, env.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "111111"
	}
	old, err := totp.GenerateCode(secret, env.Clock.Now().Add(-10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	body := func(mfa string) string {
		return fmt.Sprintf(`{"userName": %s, "password": %s, "mfaCode": %s}`,
			jsonString(env.AdminUser), jsonString(env.AdminPassword), jsonString(mfa))
	}
	tests := []struct {
		name, body string
		want       int
	}{
		{"no code", credentials(env, env.AdminPassword), 401},
		{"wrong code", body(wrongCode), 401},
		{"stale code", body(old), 401},
		{"right code", body(code), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := signIn(t, env, tt.body)
			wantStatus(t, r, tt.want)
			if tt.want == 200 {
				wantStatus(t, send(t, env, "GET", "/api/apikeys", "", s.header()...), 200)
			}
		})
	}
}
