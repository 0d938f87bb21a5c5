package workload_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rampart-sec/rampart/client/search"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/client/workload"
	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var secretForm = regexp.MustCompile(`^([0-9]+):[A-Za-z0-9+/]+=*$`)

// checkSecret checks a new key's secret has the vendor's form and names
// the key.
func checkSecret(t *testing.T, k workload.APIKey) {
	t.Helper()
	m := secretForm.FindStringSubmatch(k.SecretKey)
	if m == nil || m[1] != strconv.FormatInt(k.ID, 10) {
		t.Errorf("key %d: the secret is not of the form <ID>:<base64>", k.ID)
	}
}

// TestSessions is seed 003's bootstrap: sign in with a username and
// password, create the first key with the session, sign out.
func TestSessions(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	anon := newClient(t, env)
	creds := workload.Credentials{UserName: env.AdminUser, Password: env.AdminPassword}

	t.Run("wrong password", func(t *testing.T) {
		_, err := anon.SignIn(ctx, workload.Credentials{UserName: env.AdminUser, Password: "not-the-password"})
		var e *workload.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized || e.Message != "Invalid username or password" {
			t.Fatalf("error %v, want 401 Invalid username or password", err)
		}
		if strings.Contains(err.Error(), "not-the-password") {
			t.Error("the error shows the password")
		}
	})
	t.Run("sign in, create a key, sign out", func(t *testing.T) {
		s, err := anon.SignIn(ctx, creds)
		if err != nil {
			t.Fatalf("SignIn: %v", err)
		}
		if s.AdministratorID < 1 || s.AccessType != "webService" || len(s.RID) != 32 || len(s.SID) != 32 || s.Created == 0 {
			t.Errorf("session %+v", s)
		}
		if strings.Contains(s.String(), s.SID) || strings.Contains(s.String(), s.RID) {
			t.Error("Session.String shows its secrets")
		}
		sc := anon.WithSession(s)
		k, err := sc.CreateAPIKey(ctx, workload.NewAPIKey{KeyName: "First Key", Description: "Created using a request ID", RoleID: workload.FullAccessRoleID})
		if err != nil {
			t.Fatalf("CreateAPIKey with the session: %v", err)
		}
		checkSecret(t, k)
		if k.KeyName != "First Key" || k.RoleID != 1 || !k.Active || k.Locale != "en-US" || k.Created == 0 {
			t.Errorf("created %+v", k)
		}
		if err := sc.SignOut(ctx); err != nil {
			t.Fatalf("SignOut: %v", err)
		}
		if _, err := sc.ListRoles(ctx); !workload.IsUnauthorized(err) {
			t.Errorf("a call after signing out: %v, want 401", err)
		}
		// The key made with the session works, in both header forms.
		for _, h := range []workload.KeyHeader{workload.APISecretKeyHeader, workload.AuthorizationHeader} {
			kc := newClient(t, env, func(c *workload.Config) { c.APIKey, c.KeyHeader = k.SecretKey, h })
			cur, err := kc.CurrentAPIKey(ctx)
			if err != nil || cur.ID != k.ID || cur.SecretKey != "" || cur.RoleURN == "" {
				t.Errorf("header form %d: current key %+v, %v", h, cur, err)
			}
		}
	})
	t.Run("BootstrapAPIKey", func(t *testing.T) {
		k, err := anon.BootstrapAPIKey(ctx, creds, workload.NewAPIKey{KeyName: "ci", RoleID: workload.AuditorRoleID})
		if err != nil {
			t.Fatalf("BootstrapAPIKey: %v", err)
		}
		checkSecret(t, k)
		if k.RoleID != workload.AuditorRoleID {
			t.Errorf("role %d", k.RoleID)
		}
		if _, err := anon.BootstrapAPIKey(ctx, workload.Credentials{UserName: env.AdminUser, Password: "wrong-password"},
			workload.NewAPIKey{KeyName: "x"}); !workload.IsUnauthorized(err) {
			t.Errorf("bootstrap with a wrong password: %v", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		if _, err := anon.ListRoles(ctx); err == nil || !strings.Contains(err.Error(), "no API key or session") {
			t.Errorf("a call without credentials: %v", err)
		}
		if err := anon.SignOut(ctx); err == nil {
			t.Error("SignOut without a session succeeded")
		}
		if _, err := workload.New(workload.Config{BaseURL: env.URL, APIKey: "k", Session: &workload.Session{}}); err == nil {
			t.Error("a key and a session accepted together")
		}
	})
	t.Run("MFA", func(t *testing.T) {
		secret, err := env.Server.Access.EnableTOTP(ctx, env.AdminUser)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := anon.SignIn(ctx, creds); !workload.IsUnauthorized(err) || !strings.Contains(err.Error(), "MFA") {
			t.Errorf("sign-in without a code: %v", err)
		}
		code, err := totp.GenerateCode(secret, env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		withCode := creds
		withCode.MFACode = code
		if _, err := anon.SignIn(ctx, withCode); err != nil {
			t.Errorf("sign-in with a code: %v", err)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := keyClient(t, env)

	// Seed 003's SDK example: find the Auditor role, create a key that
	// expires in two weeks.
	auditor, err := c.RoleByName(ctx, "Auditor")
	if err != nil || auditor.ID != workload.AuditorRoleID {
		t.Fatalf("RoleByName(Auditor) = %+v, %v", auditor, err)
	}
	expiry := env.Clock.Now().Add(14 * 24 * time.Hour).UnixMilli()
	k, err := c.CreateAPIKey(ctx, workload.NewAPIKey{KeyName: "auditing", Description: "Read-only access", RoleID: auditor.ID,
		Locale: "ja-JP", TimeZone: "Asia/Tokyo", ExpiryDate: expiry})
	if err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	checkSecret(t, k)
	if k.RoleID != 2 || k.Locale != "ja-JP" || k.TimeZone != "Asia/Tokyo" || k.ExpiryDate != expiry || k.Description != "Read-only access" {
		t.Errorf("created %+v", k)
	}

	t.Run("list and describe", func(t *testing.T) {
		list, err := c.ListAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list, func(x workload.APIKey) bool { return x.ID == k.ID && x.SecretKey == "" }) {
			t.Errorf("list %+v lacks key %d (or shows a secret)", list, k.ID)
		}
		got, err := c.DescribeAPIKey(ctx, k.ID)
		if err != nil || got.KeyName != "auditing" || got.SecretKey != "" {
			t.Errorf("DescribeAPIKey = %+v, %v", got, err)
		}
	})
	t.Run("search", func(t *testing.T) {
		cases := []struct {
			name string
			f    workload.SearchFilter
			want []int64
		}{
			{"by name", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.StringEquals("keyName", "auditing")}}, []int64{k.ID}},
			{"by wildcard", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.StringEquals("keyName", "audit%")}}, []int64{k.ID}},
			{"by locale", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.ChoiceEquals("locale", "ja-JP")}}, []int64{k.ID}},
			{"by role", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.NumberTest("roleID", search.Equal, 2)}}, []int64{k.ID}},
			{"paging by ID", workload.SearchFilter{SortByObjectID: true, MaxItems: 1,
				SearchCriteria: []workload.SearchCriteria{search.IDTest(search.GreaterThan, k.ID-1)}}, []int64{k.ID}},
			{"expiry set", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.IsNull("expiryDate", false)}}, []int64{k.ID}},
			{"nothing", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.BoolIs("active", false)}}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, err := c.SearchAPIKeys(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, x := range list {
					got = append(got, x.ID)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("IDs %v, want %v", got, tc.want)
				}
			})
		}
		_, err := c.SearchAPIKeys(ctx, workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.StringEquals("nope", "x")}})
		if workload.StatusCode(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "nope") {
			t.Errorf("an unknown field: %v, want 400 naming it", err)
		}
	})
	t.Run("modify", func(t *testing.T) {
		desc, inactive := "changed", false
		got, err := c.ModifyAPIKey(ctx, k.ID, workload.APIKeyChanges{Description: &desc, Active: &inactive})
		if err != nil || got.Description != "changed" || got.Active || got.KeyName != "auditing" {
			t.Fatalf("ModifyAPIKey = %+v, %v", got, err)
		}
		if _, err := c.WithAPIKey(k.SecretKey).CurrentAPIKey(ctx); !workload.IsUnauthorized(err) {
			t.Errorf("an inactive key: %v, want 401", err)
		}
		active := true
		if _, err := c.ModifyAPIKey(ctx, k.ID, workload.APIKeyChanges{Active: &active}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an Auditor key may not create keys", func(t *testing.T) {
		_, err := c.WithAPIKey(k.SecretKey).CreateAPIKey(ctx, workload.NewAPIKey{KeyName: "x"})
		var e *workload.Error
		if !errors.As(err, &e) || !workload.IsForbidden(err) || !strings.Contains(e.Message, "Not authorized") {
			t.Errorf("error %v, want 403 Not authorized", err)
		}
	})
	t.Run("rotate", func(t *testing.T) {
		rotated, err := c.RotateAPIKeySecret(ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkSecret(t, rotated)
		if rotated.SecretKey == k.SecretKey {
			t.Fatal("the secret did not change")
		}
		if _, err := c.WithAPIKey(k.SecretKey).CurrentAPIKey(ctx); !workload.IsUnauthorized(err) {
			t.Errorf("the old secret: %v, want 401", err)
		}
		self := c.WithAPIKey(rotated.SecretKey)
		again, err := self.RotateCurrentAPIKeySecret(ctx)
		if err != nil || again.ID != k.ID {
			t.Fatalf("RotateCurrentAPIKeySecret = %+v, %v", again, err)
		}
		checkSecret(t, again)
		if _, err := self.CurrentAPIKey(ctx); !workload.IsUnauthorized(err) {
			t.Errorf("the secret rotated away: %v, want 401", err)
		}
		if cur, err := self.WithAPIKey(again.SecretKey).CurrentAPIKey(ctx); err != nil || cur.ID != k.ID {
			t.Errorf("the new secret: %+v, %v", cur, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := c.DeleteAPIKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		_, err := c.DescribeAPIKey(ctx, k.ID)
		if !workload.IsNotFound(err) {
			t.Errorf("a deleted key: %v, want 404", err)
		}
		if err := c.DeleteAPIKey(ctx, k.ID); !workload.IsNotFound(err) {
			t.Errorf("deleting again: %v, want 404", err)
		}
	})
	t.Run("local refusals", func(t *testing.T) {
		if _, err := c.CreateAPIKey(ctx, workload.NewAPIKey{}); err == nil {
			t.Error("a key without a name accepted")
		}
	})
}

func TestRoles(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := keyClient(t, env)
	roles, err := c.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) < 2 || roles[0].Name != "Full Access" || !roles[0].Immutable || roles[1].Name != "Auditor" {
		t.Fatalf("roles %+v", roles)
	}
	full := roles[0].Rights.PlatformRights.APIKeyRights
	audit := roles[1].Rights.PlatformRights.APIKeyRights
	if !full.CanCreateNewAPIKeys || !audit.CanViewAPIKeys || audit.CanCreateNewAPIKeys {
		t.Errorf("rights: full %+v, auditor %+v", full, audit)
	}
	cases := []struct {
		name string
		f    workload.SearchFilter
		want []string
	}{
		{"name equal", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.StringEquals("name", "Auditor")}}, []string{"Auditor"}},
		{"ID greater than 1", workload.SearchFilter{SortByObjectID: true, SearchCriteria: []workload.SearchCriteria{search.IDTest(search.GreaterThan, 1)}}, []string{"Auditor"}},
		{"immutable", workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.BoolIs("immutable", true)}}, []string{"Full Access"}},
		{"no criteria", workload.SearchFilter{}, []string{"Full Access", "Auditor"}},
		{"maxItems", workload.SearchFilter{MaxItems: 1}, []string{"Full Access"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, err := c.SearchRoles(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range list {
				got = append(got, r.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("roles %v, want %v", got, tc.want)
			}
		})
	}
	r, err := c.DescribeRole(ctx, workload.AuditorRoleID)
	if err != nil || r.Name != "Auditor" || r.URN == "" {
		t.Errorf("DescribeRole(2) = %+v, %v", r, err)
	}
	if _, err := c.DescribeRole(ctx, 99); !workload.IsNotFound(err) {
		t.Errorf("DescribeRole(99): %v, want 404", err)
	}
	if _, err := c.RoleByName(ctx, "Nobody"); err == nil {
		t.Error("RoleByName found a role that does not exist")
	}
	bad := newClient(t, env, func(cfg *workload.Config) { cfg.APIKey, cfg.APIVersion = env.APISecret, "v2" })
	if _, err := bad.ListRoles(ctx); workload.StatusCode(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "api-version") {
		t.Errorf("api-version v2: %v, want 400 about api-version", err)
	}
}

// TestRateLimit checks a 429 against the real server: the client waits
// the Retry-After the server sends (on the server's clock) and the retry
// succeeds; without retries the 429 is an *Error.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{RateLimits: &ratelimit.Limits{Window: time.Minute, PerKey: 2}})
	sl := &clockSleeper{env: env}
	c := newClient(t, env, func(cfg *workload.Config) { cfg.APIKey, cfg.Transport.Sleep = env.APISecret, sl.Sleep })
	for i := 0; i < 3; i++ {
		if _, err := c.ListRoles(ctx); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if len(sl.waits) != 1 || sl.waits[0] <= 0 || sl.waits[0] > time.Minute || sl.waits[0]%time.Second != 0 {
		t.Errorf("waits %v, want one whole-second Retry-After within the window", sl.waits)
	}
	once := newClient(t, env, func(cfg *workload.Config) { cfg.APIKey, cfg.Transport.Retry = env.APISecret, transport.NoRetry })
	for i := 0; i < 2; i++ {
		_, _ = once.ListRoles(ctx)
	}
	_, err := once.ListRoles(ctx)
	var e *workload.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusTooManyRequests || e.Message != "Too many API requests" || e.Attempts != 1 {
		t.Errorf("over the limit without retries: %v", err)
	}
}
