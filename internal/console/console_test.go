package console_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// pages are every console page, with a text each must show to the demo's
// Full Access administrator.
var pages = []struct{ path, want string }{
	{"/console", "Security Agents"},
	{appsPath, "Rampart demo"},
	{appsPath + "/add", "Enable application integration using Apex Central Automation APIs"},
	{"/console/fleet/servers", "OSCESERVER"},
	{"/console/fleet/servers?host_name=apexone01", "ApexOne01"},
	{"/console/fleet/servers/" + osceServer, "Update-source settings"},
	{"/console/fleet/agents", "client01"},
	{"/console/fleet/agents?ip_address=10.1.1.2", "client02"},
	{"/console/fleet/agents?mac_address=00:60:59:a4:70:2d", "client01"},
	{"/console/fleet/agents?managing_server_id=" + osceServer + "&product=SLF_PRODUCT_OFFICESCAN_CE", "OSCECLIENT"},
	{"/console/fleet/agents/act?act=cmd_isolate_agent&entity_id=" + client01, "Isolate the Security Agent client01?"},
	{"/console/fleet/agents/act?act=cmd_relocate_agent&entity_id=" + osceClient, "Move to server"},
	{"/console/appliances", "2021.3.0.10968"},
	{"/console/appliances/8", "Upgrade to"},
	{keysPath, "Rampart demo"},
	{keysPath + "/1/rotate", "Rotate API key"},
	{keysPath + "/1/delete", "Delete this API key?"},
	{"/console/administration/roles", "Auditor"},
	// The sign-in of the session reading it is the newest change.
	{auditPath, "POST /console/signin"},
	{auditPath + "?actor_kind=administrator&family=console&since=24h", "POST /console/signin"},
}

// jsonEndpoints are what the pages poll.
var jsonEndpoints = []struct{ path, want string }{
	{"/console/fleet/agents.json", `"isolation_status":"normal"`},
	{"/console/appliances.json", `"migrations"`},
	{"/console/appliances/8/migration.json", `"upgrade":"2021.4.1.10996"`},
}

func TestPagesNeedASession(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	s := newSession(t, env)
	paths := []string{"/console/no/such/page", appsPath + "/SOME-ID/delete", appsPath + "/SOME-ID/rotate-key"}
	for _, p := range pages {
		paths = append(paths, p.path)
	}
	for _, p := range paths {
		t.Run("GET "+p, func(t *testing.T) {
			a := s.get(p)
			if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.location(), "/console/signin?next=") {
				t.Fatalf("answered %d to %q, want 303 to the sign-in page", a.Status, a.location())
			}
			next, _ := url.Parse(a.location())
			if got := next.Query().Get("next"); got != p {
				t.Errorf("next = %q, want %q", got, p)
			}
			if strings.Contains(a.Body, "client01") || strings.Contains(a.Body, env.AppID) {
				t.Errorf("the redirect shows console data: %s", a.Body)
			}
		})
	}
	for _, j := range jsonEndpoints {
		t.Run("GET "+j.path, func(t *testing.T) {
			a := s.get(j.path)
			if a.Status != http.StatusUnauthorized || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("answered %d (%s), want 401 in JSON", a.Status, a.Header.Get("Content-Type"))
			}
		})
	}
	before := snapshot(t, env)
	for _, f := range forms {
		t.Run("POST "+f.name, func(t *testing.T) {
			a := s.post(f.path, f.fields(t, s))
			if a.Status != http.StatusSeeOther || !strings.HasPrefix(a.location(), "/console/signin") {
				t.Errorf("answered %d to %q, want 303 to the sign-in page", a.Status, a.location())
			}
		})
	}
	if after := snapshot(t, env); after != before {
		t.Errorf("forms posted without a session changed the state")
	}
	// The root leads to the console; the stylesheet and script are public.
	if a := s.get("/"); a.Status != http.StatusSeeOther || a.location() != "/console" {
		t.Errorf("GET / answered %d to %q", a.Status, a.location())
	}
	for path, ctype := range map[string]string{"/console/static/console.css": "text/css", "/console/static/console.js": "javascript"} {
		if a := s.get(path); a.Status != http.StatusOK || !strings.Contains(a.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s answered %d (%s)", path, a.Status, a.Header.Get("Content-Type"))
		}
	}
	// A sign-in page's own redirect target never leaves the console.
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/api/apikeys", "/console/../api"} {
		s := newSession(t, env)
		s.get("/console/signin?next=" + url.QueryEscape(next))
		a := s.post("/console/signin", url.Values{"csrf": {s.csrf}, "username": {env.AdminUser}, "password": {env.AdminPassword}, "next": {next}})
		if a.Status != http.StatusSeeOther || a.location() != "/console" {
			t.Errorf("next=%q: answered %d to %q, want /console", next, a.Status, a.location())
		}
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	mfaPassword := addAdmin(t, env, "mfa-admin", identity.FullAccessRoleID)
	secret, err := env.Server.Access.EnableTOTP(ctx, "mfa-admin")
	if err != nil {
		t.Fatal(err)
	}
	role, err := env.Server.Access.CreateRole(ctx, full, identity.Role{Name: "API only", AllowWebService: true, Rights: identity.ReadOnlyRights()})
	if err != nil {
		t.Fatal(err)
	}
	apiOnlyPassword := addAdmin(t, env, "api-only", role.ID)
	code := func() string {
		c, err := totp.GenerateCode(secret, env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name, user, password string
		code                 func() string
		want                 int
		text                 string
	}{
		{"wrong password", env.AdminUser, "not the password", nil, http.StatusUnauthorized, "Invalid username or password"},
		{"unknown user", "nobody", "whatever-password", nil, http.StatusUnauthorized, "Invalid username or password"},
		{"empty password", env.AdminUser, "", nil, http.StatusBadRequest, "Enter your username and password"},
		{"MFA code missing", "mfa-admin", mfaPassword, nil, http.StatusUnauthorized, "MFA code"},
		{"MFA code wrong", "mfa-admin", mfaPassword, func() string { return "000000" }, http.StatusUnauthorized, "MFA code"},
		{"MFA code right", "mfa-admin", mfaPassword, code, http.StatusSeeOther, ""},
		{"role without the user interface", "api-only", apiOnlyPassword, nil, http.StatusForbidden, "does not allow the user interface"},
		{"right password", env.AdminUser, env.AdminPassword, nil, http.StatusSeeOther, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, env)
			c := ""
			if tc.code != nil {
				c = tc.code()
			}
			a := s.signIn(tc.user, tc.password, c)
			if a.Status != tc.want || !strings.Contains(a.Body, tc.text) {
				t.Fatalf("answered %d, want %d with %q: %s", a.Status, tc.want, tc.text, a.Body)
			}
			page := s.get("/console")
			if signedIn := page.Status == http.StatusOK; signedIn != (tc.want == http.StatusSeeOther) {
				t.Errorf("after the sign-in GET /console answered %d", page.Status)
			}
		})
	}

	t.Run("the sign-in form needs its token", func(t *testing.T) {
		s := newSession(t, env)
		s.get("/console/signin")
		for _, token := range []string{"", "forged-token-forged-token-forged-token-xyz"} {
			a := s.post("/console/signin", url.Values{"csrf": {token}, "username": {env.AdminUser}, "password": {env.AdminPassword}})
			if a.Status != http.StatusForbidden {
				t.Errorf("token %q: answered %d, want 403", token, a.Status)
			}
		}
		if a := s.get("/console"); a.Status != http.StatusSeeOther {
			t.Errorf("a refused sign-in opened a session")
		}
	})

	t.Run("cookie attributes", func(t *testing.T) {
		for _, overTLS := range []bool{false, true} {
			rec := httptest.NewRecorder()
			get := httptest.NewRequest(http.MethodGet, "/console/signin", nil)
			if overTLS {
				get.TLS = &tls.ConnectionState{}
			}
			env.Server.Handler().ServeHTTP(rec, get)
			var token *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == "rampart_console_signin" {
					token = c
				}
			}
			if token == nil {
				t.Fatal("no sign-in token cookie")
			}
			form := url.Values{"csrf": {token.Value}, "username": {env.AdminUser}, "password": {env.AdminPassword}}
			post := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader(form.Encode()))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.AddCookie(token)
			if overTLS {
				post.TLS = &tls.ConnectionState{}
			}
			rec = httptest.NewRecorder()
			env.Server.Handler().ServeHTTP(rec, post)
			var sess *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == "rampart_console" {
					sess = c
				}
			}
			if rec.Code != http.StatusSeeOther || sess == nil {
				t.Fatalf("TLS %v: sign-in answered %d without a session cookie", overTLS, rec.Code)
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/console" || sess.Secure != overTLS {
				t.Errorf("TLS %v: session cookie %+v, want HttpOnly, SameSite=Strict, Path=/console, Secure only over TLS", overTLS, sess)
			}
		}
	})

	t.Run("the API's session cookie is not the console's", func(t *testing.T) {
		r := env.WS(http.MethodPost, "/api/sessions", fmt.Sprintf(`{"userName": %q, "password": %q}`, env.AdminUser, env.AdminPassword))
		var sid string
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == "sID" {
				sid = c.Value
			}
		}
		req := httptest.NewRequest(http.MethodGet, "/console", nil)
		req.AddCookie(&http.Cookie{Name: "sID", Value: sid})
		rec := httptest.NewRecorder()
		env.Server.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			t.Errorf("the API session cookie opened the console: %d", rec.Code)
		}
	})

	t.Run("sign-out", func(t *testing.T) {
		s := signedIn(t, env, env.AdminUser, env.AdminPassword)
		if a := s.post("/console/signout", url.Values{}); a.Status != http.StatusForbidden {
			t.Errorf("sign-out without the token answered %d, want 403", a.Status)
		}
		if a := s.get("/console"); a.Status != http.StatusOK {
			t.Fatalf("a refused sign-out ended the session: %d", a.Status)
		}
		cookie := s.http.Jar.Cookies(mustURL(t, env.URL+"/console"))
		if a := s.submit("/console/signout", nil); a.Status != http.StatusSeeOther || a.location() != "/console/signin" {
			t.Fatalf("sign-out answered %d to %q", a.Status, a.location())
		}
		if a := s.get("/console/signin"); !strings.Contains(a.Body, "You are signed out") {
			t.Errorf("the sign-in page does not say so")
		}
		if a := s.get("/console"); a.Status != http.StatusSeeOther {
			t.Errorf("GET /console after sign-out answered %d", a.Status)
		}
		// The old cookie, replayed, opens nothing: the session is gone.
		replay := newSession(t, env)
		replay.http.Jar.SetCookies(mustURL(t, env.URL+"/console"), cookie)
		if a := replay.get("/console"); a.Status != http.StatusSeeOther {
			t.Errorf("a replayed cookie opened the console: %d", a.Status)
		}
	})
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLockout(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	password := addAdmin(t, env, "alice", identity.AuditorRoleID)
	s := newSession(t, env)
	for i := range 5 {
		if a := s.signIn("alice", "wrong password", ""); a.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d answered %d", i+1, a.Status)
		}
	}
	a := s.signIn("alice", password, "")
	if a.Status != http.StatusUnauthorized || !strings.Contains(a.Body, "locked") {
		t.Fatalf("the right password after five failures answered %d: %s", a.Status, a.Body)
	}
	env.Clock.Advance(31 * time.Minute)
	if a := s.signIn("alice", password, ""); a.Status != http.StatusSeeOther {
		t.Errorf("after the lockout the sign-in answered %d", a.Status)
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	s := signedIn(t, env, env.AdminUser, env.AdminPassword)
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			a := s.get(p.path)
			if a.Status != http.StatusOK || !strings.Contains(a.Body, p.want) {
				t.Fatalf("answered %d, want 200 with %q:\n%s", a.Status, p.want, a.Body)
			}
			if !strings.Contains(a.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || a.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v lack the CSP or no-store", a.Header)
			}
			if !strings.Contains(a.Body, `<html lang="en">`) || !strings.Contains(a.Body, "Sign out") {
				t.Errorf("the page lacks the layout")
			}
			// Every input, select and textarea has a label.
			if missing := unlabelled(a.Body); len(missing) > 0 {
				t.Errorf("inputs without a label: %v", missing)
			}
		})
	}
	for _, j := range jsonEndpoints {
		t.Run(j.path, func(t *testing.T) {
			a := s.get(j.path)
			if a.Status != http.StatusOK || !strings.Contains(a.Body, j.want) {
				t.Fatalf("answered %d, want 200 with %s: %s", a.Status, j.want, a.Body)
			}
		})
	}
	for _, p := range []string{appsPath + "/" + env.AppID + "/rotate-key", appsPath + "/" + strings.ToLower(env.AppID) + "/delete"} {
		if a := s.get(p); a.Status != http.StatusOK || !strings.Contains(a.Body, env.AppID) || !strings.Contains(a.Body, `id="confirm"`) {
			t.Errorf("GET %s answered %d without the confirmation", p, a.Status)
		}
	}
	for _, p := range []string{"/console/no/such/page", "/console/fleet/servers/nope", "/console/appliances/99", keysPath + "/99/delete", appsPath + "/nope/delete"} {
		if a := s.get(p); a.Status != http.StatusNotFound {
			t.Errorf("GET %s answered %d, want 404", p, a.Status)
		}
	}
	// The API key never reaches a page after Add: the list shows the ID only.
	if a := s.get(appsPath); strings.Contains(a.Body, env.APIKey) {
		t.Errorf("the applications table shows an API key")
	}
}

// form is one of the console's POST forms, as a Full Access administrator
// fills it on the demo.
type form struct {
	name   string
	path   string
	fields func(t *testing.T, s *session) url.Values
	want   int
	check  func(t *testing.T, env *servertest.Env, a answer)
}

func values(kv ...string) func(*testing.T, *session) url.Values {
	return func(*testing.T, *session) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
}

// addForm clicks Add and fills the Application Access Settings section.
func addForm(name, timeout string, enabled bool) func(*testing.T, *session) url.Values {
	return func(t *testing.T, s *session) url.Values {
		page := s.get(appsPath + "/add")
		if page.Status != http.StatusOK {
			return url.Values{"name": {name}, "timeout": {timeout}}
		}
		v := url.Values{"app_id": {field(t, page.Body, "app_id")}, "api_key": {field(t, page.Body, "api_key")},
			"draft": {field(t, page.Body, "draft")}, "name": {name}, "timeout": {timeout}}
		if enabled {
			v.Set("enabled", "on")
		}
		return v
	}
}

var forms = []form{
	{name: "add application", path: appsPath + "/add", fields: addForm("SOAR playbooks", "120", true), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			// The fake clock gives both the same creation time: find by name.
			apps, _ := env.Server.Apps.List(ctx)
			var added []identity.Application
			for _, app := range apps {
				if app.Name == "SOAR playbooks" && app.Enabled && app.Timeout == 120*time.Second {
					added = append(added, app)
				}
			}
			if len(apps) != 2 || len(added) != 1 {
				t.Errorf("applications %+v", apps)
			}
		}},
	{name: "add application with a time-out not offered", path: appsPath + "/add", fields: addForm("bad", "7", true), want: http.StatusBadRequest,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if !strings.Contains(a.Body, "is not one of") {
				t.Errorf("the page does not say why: %s", a.Body)
			}
		}},
	{name: "add application with a key of its own", path: appsPath + "/add", want: http.StatusBadRequest,
		fields: func(t *testing.T, s *session) url.Values {
			v := addForm("chosen key", "60", true)(t, s)
			v.Set("api_key", "00000000-0000-4000-8000-000000000000")
			return v
		}},
	{name: "disable application", path: appsPath + "/{app}/disable", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if demoApp(t, env).Enabled {
				t.Errorf("still enabled")
			}
		}},
	{name: "enable application", path: appsPath + "/{app}/enable", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if !demoApp(t, env).Enabled {
				t.Errorf("not enabled")
			}
		}},
	{name: "regenerate application key", path: appsPath + "/{app}/rotate-key", fields: values(), want: http.StatusOK,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			app := demoApp(t, env)
			if app.APIKey == env.APIKey || !strings.Contains(a.Body, app.APIKey) {
				t.Errorf("the new key is not the stored one, or not shown")
			}
		}},
	{name: "delete application", path: appsPath + "/{app}/delete", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if apps, _ := env.Server.Apps.List(ctx); len(apps) != 0 {
				t.Errorf("applications %+v", apps)
			}
		}},
	{name: "isolate agent", path: "/console/fleet/agents/act", want: http.StatusSeeOther,
		fields: values("act", "cmd_isolate_agent", "entity_id", client01, "back", "host_name=client01&evil=https://x"),
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if a.location() != "/console/fleet/agents?host_name=client01" {
				t.Errorf("the action returns to %q, want the list as it was filtered", a.location())
			}
			if got := agent(t, env, client01).Isolation; got != fleet.StatusIsolationPending {
				t.Errorf("client01 is %s", got)
			}
		}},
	{name: "relocate agent", path: "/console/fleet/agents/act", want: http.StatusSeeOther,
		fields: values("act", "cmd_relocate_agent", "entity_id", osceClient, "relocate_to_server_id", apexOne01, "relocate_to_folder_path", `\NewDomain\Néw Folder`),
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if got := agent(t, env, osceClient); got.ManagingServerID != apexOne01 || got.FolderPath != `\NewDomain\Néw Folder` {
				t.Errorf("OSCECLIENT is under %s in %q", got.ManagingServerID, got.FolderPath)
			}
		}},
	{name: "uninstall agent", path: "/console/fleet/agents/act", fields: values("act", "cmd_uninstall_agent", "entity_id", client01), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if !agent(t, env, client01).Uninstalling {
				t.Errorf("client01 is not being uninstalled")
			}
		}},
	{name: "deploy update sources", path: "/console/fleet/servers/" + osceServer + "/update-sources", want: http.StatusSeeOther,
		fields: values("allow_other_au", "on", "component_from_server", "on", "addresses_0", "10.1.1.2 - 100.1.1.10",
			"ous_0", "http://10.1.1.1:21112/activeupdate", "addresses_1", "fd96:7568:9882:6::/64", "ous_1", "https://ous6.example:443/au"),
		check: func(t *testing.T, env *servertest.Env, a answer) {
			list, _ := env.Server.Fleet.Servers(ctx, fleet.ServerFilter{EntityID: osceServer})
			us := list[0].UpdateSources
			if us == nil || !us.AllowUpdateFromOtherAU || !us.UpdateComponentFromServerIfOUSFailed || us.UpdateProgramFromServerIfOUSFailed ||
				len(us.Sources) != 2 || us.Sources[0].Range == nil || us.Sources[0].Range.To.String() != "100.1.1.10" || us.Sources[1].Prefix == nil {
				t.Fatalf("update sources %+v", us)
			}
			cmds, _ := env.Server.Fleet.Commands(ctx, "492E8584-0114-694D-BF9D-44CC20141502")
			if len(cmds) != 1 || cmds[0].Kind != fleet.CommandUpdateSource || cmds[0].Params["ous"] != "http://10.1.1.1:21112/activeupdate" {
				t.Errorf("client02's commands %+v", cmds)
			}
		}},
	{name: "deploy an update-source range backwards", path: "/console/fleet/servers/" + osceServer + "/update-sources", want: http.StatusBadRequest,
		fields: values("allow_other_au", "on", "addresses_0", "10.1.1.9 - 10.1.1.1", "ous_0", "http://10.1.1.1:21112/au")},
	{name: "deploy update sources to a server without the capability", path: "/console/fleet/servers/" + dsm01 + "/update-sources", want: http.StatusSeeOther,
		fields: values("component_from_server", "on")},
	{name: "upgrade appliance", path: "/console/appliances/8/migrate", fields: values("action", "upgrade"), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			ms, _ := env.Server.Appliances.Latest(ctx, []int64{8})
			if len(ms) != 1 || ms[0].Action != appliances.Upgrade || ms[0].Step != 1 {
				t.Errorf("migrations %+v", ms)
			}
		}},
	{name: "upgrade an appliance that is up to date", path: "/console/appliances/2/migrate", fields: values("action", "upgrade"), want: http.StatusSeeOther},
	{name: "create API key", path: keysPath, fields: values("name", "playbook key", "description", "made in a test", "role", "2", "active", "on"), want: http.StatusOK,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			secret := field(t, a.Body, "secret")
			p, k, err := env.Server.Access.KeyPrincipal(ctx, secret)
			if err != nil || k.KeyName != "playbook key" || p.Role.ID != identity.AuditorRoleID {
				t.Errorf("the secret shown does not authenticate the new key: %v %+v", err, k)
			}
		}},
	{name: "create API key without a name", path: keysPath, fields: values("name", " ", "role", "1"), want: http.StatusBadRequest},
	{name: "rotate API key", path: keysPath + "/1/rotate", fields: values(), want: http.StatusOK,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if _, _, err := env.Server.Access.KeyPrincipal(ctx, env.APISecret); err == nil {
				t.Errorf("the old secret still works")
			}
			if _, _, err := env.Server.Access.KeyPrincipal(ctx, field(t, a.Body, "secret")); err != nil {
				t.Errorf("the new secret does not work: %v", err)
			}
		}},
	{name: "deactivate API key", path: keysPath + "/1/deactivate", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if _, _, err := env.Server.Access.KeyPrincipal(ctx, env.APISecret); err == nil {
				t.Errorf("a deactivated key still works")
			}
		}},
	{name: "activate API key", path: keysPath + "/1/activate", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if _, _, err := env.Server.Access.KeyPrincipal(ctx, env.APISecret); err != nil {
				t.Errorf("an active key fails: %v", err)
			}
		}},
	{name: "delete API key", path: keysPath + "/1/delete", fields: values(), want: http.StatusSeeOther,
		check: func(t *testing.T, env *servertest.Env, a answer) {
			if keys, _ := env.Server.Access.Keys(ctx, full, search.Filter{}); len(keys) != 0 {
				t.Errorf("keys %+v", keys)
			}
		}},
}

// pathFor puts the demo application's ID in a form's path.
func pathFor(env *servertest.Env, path string) string {
	return strings.ReplaceAll(path, "{app}", env.AppID)
}

func TestForms(t *testing.T) {
	t.Parallel()
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t)
			s := signedIn(t, env, env.AdminUser, env.AdminPassword)
			before := snapshot(t, env)
			a := s.submit(pathFor(env, f.path), f.fields(t, s))
			if a.Status != f.want {
				t.Fatalf("answered %d, want %d: %s", a.Status, f.want, a.Body)
			}
			if f.want >= 400 {
				if snapshot(t, env) != before {
					t.Errorf("a refused form changed the state")
				}
				if !strings.Contains(a.Body, `role="alert"`) {
					t.Errorf("the refusal is not announced: %s", a.Body)
				}
			}
			if f.want == http.StatusSeeOther {
				// The page the form leads to shows its message once.
				next := s.get(a.location())
				if next.Status != http.StatusOK || !strings.Contains(next.Body, `<div class="flash flash-`) {
					t.Errorf("%s answered %d without a message", a.location(), next.Status)
				}
				if again := s.get(a.location()); strings.Contains(again.Body, `<div class="flash flash-`) {
					t.Errorf("the message shows twice")
				}
			}
			if f.check != nil {
				f.check(t, env, a)
			}
		})
	}
}

func TestFormsRefuseWithoutTheCSRFToken(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	s := signedIn(t, env, env.AdminUser, env.AdminPassword)
	other := signedIn(t, env, env.AdminUser, env.AdminPassword)
	all := append([]form{{name: "sign out", path: "/console/signout", fields: values()}}, forms...)
	for _, f := range all {
		for _, token := range []struct{ name, value string }{{"missing", ""}, {"wrong", "AAAA" + s.csrf[4:]}, {"another session's", other.csrf}} {
			t.Run(f.name+", token "+token.name, func(t *testing.T) {
				if token.value == s.csrf {
					t.Fatal("the tokens of two sessions are equal")
				}
				fields := f.fields(t, s)
				before := snapshot(t, env)
				if token.value != "" {
					fields.Set("csrf", token.value)
				}
				a := s.post(pathFor(env, f.path), fields)
				if a.Status != http.StatusForbidden || !strings.Contains(a.Body, "nothing was changed") {
					t.Fatalf("answered %d, want 403: %s", a.Status, a.Body)
				}
				if snapshot(t, env) != before {
					t.Errorf("a form without the right token changed the state")
				}
			})
		}
	}
	if a := s.get("/console"); a.Status != http.StatusOK {
		t.Errorf("the session ended: %d", a.Status)
	}
}

func TestReadOnlyRole(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	password := addAdmin(t, env, "auditor", identity.AuditorRoleID)
	s := signedIn(t, env, "auditor", password)
	// The auditor sees every screen, without the buttons that change.
	for _, p := range []struct{ path, want string }{
		{"/console", "read-only"}, {appsPath, "Rampart demo"}, {"/console/fleet/agents", "client01"},
		{"/console/fleet/servers/" + osceServer, "may read these settings but not change them"},
		{"/console/appliances/8", "2021.4.1.10996"}, {keysPath, "Rampart demo"}, {"/console/administration/roles", "Full Access"},
		{"/console/fleet/agents.json", "client01"}, {auditPath, "POST /console/signin"},
	} {
		a := s.get(p.path)
		if a.Status != http.StatusOK || !strings.Contains(a.Body, p.want) {
			t.Errorf("GET %s answered %d without %q", p.path, a.Status, p.want)
		}
		for _, button := range []string{`id="add"`, "/disable", "/rotate-key", "data-act=", `id="upgrade"`, `id="deploy"`, `id="create-key"`, "/deactivate"} {
			if strings.Contains(a.Body, button) {
				t.Errorf("GET %s shows %s to a read-only role", p.path, button)
			}
		}
	}
	for _, p := range []string{appsPath + "/add", "/console/fleet/agents/act?act=cmd_isolate_agent&entity_id=" + client01,
		appsPath + "/" + env.AppID + "/rotate-key", appsPath + "/" + env.AppID + "/delete", keysPath + "/1/rotate", keysPath + "/1/delete"} {
		if a := s.get(p); a.Status != http.StatusForbidden {
			t.Errorf("GET %s answered %d, want 403", p, a.Status)
		}
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			before := snapshot(t, env)
			a := s.submit(pathFor(env, f.path), f.fields(t, s))
			if a.Status != http.StatusForbidden || !strings.Contains(a.Body, "Auditor") {
				t.Fatalf("answered %d, want 403: %s", a.Status, a.Body)
			}
			if snapshot(t, env) != before {
				t.Errorf("a read-only role changed the state")
			}
		})
	}
}

// TestLiveStatus checks what the pages poll: the agent's status moves
// from pending to isolated when the agent reports, and a migration's
// steps advance and its failure carries the message.
func TestLiveStatus(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	s := signedIn(t, env, env.AdminUser, env.AdminPassword)
	if a := s.submit("/console/fleet/agents/act", url.Values{"act": {"cmd_isolate_agent"}, "entity_id": {client01}}); a.Status != http.StatusSeeOther {
		t.Fatalf("isolate answered %d", a.Status)
	}
	page := s.get("/console/fleet/agents?host_name=client01")
	if !strings.Contains(page.Body, `data-pending="true"`) || !strings.Contains(page.Body, "endpoint_isolation_pending") {
		t.Fatalf("the agents page does not show the pending isolation")
	}
	agentc := env.Agent()
	cmds, err := agentc.CheckIn(ctx, agentproto.CheckInRequest{AgentID: client01})
	if err != nil || len(cmds) != 1 {
		t.Fatalf("check-in: %v %+v", err, cmds)
	}
	if err := agentc.Report(ctx, agentproto.ResultsRequest{AgentID: client01, Results: []agentproto.Result{{CommandID: cmds[0].ID, OK: true}}}); err != nil {
		t.Fatal(err)
	}
	if a := s.get("/console/fleet/agents.json?host_name=client01"); !strings.Contains(a.Body, `"isolation_status":"isolated","uninstalling":false,"pending":false`) {
		t.Errorf("agents.json: %s", a.Body)
	}

	if err := env.Server.Appliances.InjectFailure(ctx, 8, 3, "package signature verification failed"); err != nil {
		t.Fatal(err)
	}
	if a := s.submit("/console/appliances/8/migrate", url.Values{"action": {"upgrade"}}); a.Status != http.StatusSeeOther {
		t.Fatalf("upgrade answered %d", a.Status)
	}
	if _, err := env.Server.Appliances.Tick(ctx, "test", time.Minute); err != nil {
		t.Fatal(err)
	}
	for step := 2; step <= 3; step++ {
		env.Clock.Advance(env.Server.Appliances.StepTime())
		if _, err := env.Server.Appliances.Tick(ctx, "test", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	a := s.get("/console/appliances/8/migration.json")
	if !strings.Contains(a.Body, `"result":"fail"`) || !strings.Contains(a.Body, "package signature verification failed") {
		t.Errorf("migration.json: %s", a.Body)
	}
	page = s.get("/console/appliances/8")
	if !strings.Contains(page.Body, "package signature verification failed") || !strings.Contains(page.Body, `data-status="failed"`) {
		t.Errorf("the appliance page does not show the failure")
	}
}

// TestUpdateSourcesReadBack deploys update sources from the server page
// and reads them back on it, as the Apex Central API stored them.
func TestUpdateSourcesReadBack(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	s := signedIn(t, env, env.AdminUser, env.AdminPassword)
	page := "/console/fleet/servers/" + osceServer
	a := s.submit(page+"/update-sources", url.Values{"allow_other_au": {"on"}, "program_from_server": {"on"},
		"addresses_0": {"10.1.1.1-10.1.1.50"}, "ous_0": {"http://10.1.1.1:21112/activeupdate?a=1&b=<2>"},
		"addresses_1": {"2001:db8::/64"}, "ous_1": {"https://ous6:8443/au"}})
	if a.Status != http.StatusSeeOther || a.location() != page {
		t.Fatalf("deploy answered %d to %q: %s", a.Status, a.location(), a.Body)
	}
	body := s.get(page).Body
	for id, want := range map[string]string{"addresses_0": "10.1.1.1 - 10.1.1.50", "ous_0": "http://10.1.1.1:21112/activeupdate?a=1&b=<2>",
		"addresses_1": "2001:db8::/64", "ous_1": "https://ous6:8443/au", "addresses_2": ""} {
		if got := field(t, body, id); got != want {
			t.Errorf("%s reads %q, want %q", id, got, want)
		}
	}
	for id, checked := range map[string]bool{"allow_other_au": true, "component_from_server": false, "program_from_server": true} {
		tag := regexp.MustCompile(`<input type="checkbox" id="` + id + `"[^>]*>`).FindString(body)
		if strings.Contains(tag, "checked") != checked {
			t.Errorf("%s: %s, want checked=%v", id, tag, checked)
		}
	}
	if !strings.Contains(body, "Update-source settings deployed to OSCESERVER") {
		t.Errorf("the page does not confirm the deployment")
	}
}
