package console_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The demo fleet (the seeds' examples).
const (
	osceServer = "026332F39EBC-41C19604-02DD-2C5F-EDE5"
	apexOne01  = "33111111-1111-AAAA-AAAA-111100000001"
	dsm01      = "80180123-1059-694D-BF9D-44CC80320001"
	client01   = "492E8584-0114-694D-BF9D-44CC20141501"
	osceClient = "8a1a84550462-40bc9afc-3770-16ac-cd6c"
	appsPath   = "/console/administration/settings/automation-api"
	keysPath   = "/console/administration/api-keys"
	auditPath  = "/console/administration/audit-log"
)

var ctx = context.Background()

// session is a browser as far as the handlers can tell: a cookie jar, no
// redirect following, and the CSRF token of the last page read.
type session struct {
	t    *testing.T
	env  *servertest.Env
	http *http.Client
	csrf string
}

// answer is one response, body read.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

func (a answer) location() string { return a.Header.Get("Location") }

func newSession(t *testing.T, env *servertest.Env) *session {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &session{t: t, env: env, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *session) do(req *http.Request) answer {
	s.t.Helper()
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("reading %s: %v", req.URL.Path, err)
	}
	a := answer{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
	if m := csrfField.FindStringSubmatch(a.Body); m != nil {
		s.csrf = html.UnescapeString(m[1])
	}
	return a
}

func (s *session) get(path string) answer {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.env.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

// post sends a form as is (add "csrf" yourself, or use submit).
func (s *session) post(path string, form url.Values) answer {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

// submit posts a form with the session's CSRF token.
func (s *session) submit(path string, form url.Values) answer {
	s.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if s.csrf == "" {
		s.get("/console")
	}
	f.Set("csrf", s.csrf)
	return s.post(path, f)
}

// signIn signs in through the sign-in form and returns the answer of the
// POST.
func (s *session) signIn(user, password, code string) answer {
	s.t.Helper()
	s.get("/console/signin")
	return s.post("/console/signin", url.Values{"csrf": {s.csrf}, "username": {user}, "password": {password}, "mfa": {code}, "next": {"/console"}})
}

// signedIn returns a session signed in as user.
func signedIn(t *testing.T, env *servertest.Env, user, password string) *session {
	t.Helper()
	s := newSession(t, env)
	if a := s.signIn(user, password, ""); a.Status != http.StatusSeeOther || a.location() != "/console" {
		t.Fatalf("sign-in of %s answered %d to %q: %s", user, a.Status, a.location(), a.Body)
	}
	s.get("/console")
	return s
}

// addAdmin adds an administrator with a role and returns its password.
func addAdmin(t *testing.T, env *servertest.Env, name string, role int64) string {
	t.Helper()
	const password = "correct horse battery"
	if _, err := env.Server.Access.AddAdmin(ctx, name, password, role); err != nil {
		t.Fatalf("adding %s: %v", name, err)
	}
	return password
}

// full is a principal with every right, for reading state in tests.
var full = identity.Principal{Role: identity.BuiltinRoles()[0]}

// snapshot is everything the console's forms may change, as JSON: two
// equal snapshots mean nothing changed.
func snapshot(t *testing.T, env *servertest.Env) string {
	t.Helper()
	srv := env.Server
	apps, err := srv.Apps.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, a := range apps {
		full, err := srv.Apps.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, full.APIKey)
	}
	servers, err := srv.Fleet.Servers(ctx, fleet.ServerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	agents, err := srv.Fleet.Agents(ctx, fleet.AgentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	migrations, err := srv.Appliances.Latest(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	apiKeys, err := srv.Access.Keys(ctx, full, search.Filter{MaxItems: search.DefaultMaxItems})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := srv.Access.Roles(ctx, full, search.Filter{MaxItems: search.DefaultMaxItems})
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal([]any{apps, keys, servers, agents, migrations, apiKeys, roles})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// demoApp is the demo's Automation API application.
func demoApp(t *testing.T, env *servertest.Env) identity.Application {
	t.Helper()
	app, err := env.Server.Apps.Get(ctx, env.AppID)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func agent(t *testing.T, env *servertest.Env, id string) fleet.Agent {
	t.Helper()
	a, err := env.Server.Fleet.Agent(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// field reads the value of the input with the given id off a page.
func field(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<input\b[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*\svalue="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no input %s on the page", id)
	}
	return html.UnescapeString(m[1])
}

var (
	controlTag = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idAttr     = regexp.MustCompile(`\sid="([^"]+)"`)
)

// unlabelled lists the form controls of a page that no <label for> nor
// aria-label names (hidden inputs aside).
func unlabelled(body string) []string {
	var out []string
	for _, tag := range controlTag.FindAllString(body, -1) {
		if strings.Contains(tag, `type="hidden"`) || strings.Contains(tag, "aria-label=") {
			continue
		}
		m := idAttr.FindStringSubmatch(tag)
		if m == nil || !strings.Contains(body, `for="`+m[1]+`"`) {
			out = append(out, tag)
		}
	}
	return out
}
