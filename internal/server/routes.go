package server

import (
	"net/http"
	"path"
	"strings"

	"github.com/rampart-sec/rampart/internal/identity"
)

// routes is every route Rampart serves, in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})

	// Apex Central Automation API. Paths arrive lower-cased and cleaned
	// (see normalizePath); a known path asked with another method is -50.
	apex, auth := s.apex, s.apex.Authenticate
	mux.Handle("GET /webapp/api/agentresource/productagents", auth(http.HandlerFunc(apex.ListAgents)))
	mux.Handle("POST /webapp/api/agentresource/productagents", auth(http.HandlerFunc(apex.ActOnAgents)))
	mux.Handle("/webapp/api/agentresource/productagents", apex.MethodNotAllowed("GET, POST"))
	mux.Handle("GET /webapp/api/serverresource/productservers", auth(http.HandlerFunc(apex.ListServers)))
	mux.Handle("POST /webapp/api/serverresource/productservers", auth(http.HandlerFunc(apex.DeployUpdateSources)))
	mux.Handle("/webapp/api/serverresource/productservers", apex.MethodNotAllowed("GET, POST"))
	mux.HandleFunc("/webapp/api/", apex.NotFound)
	mux.HandleFunc("/webapp/api", apex.NotFound) // else the mux redirects to the folder

	// Workload Security API: every call needs api-version: v1; all but
	// sign-in need an API key or a session.
	ws, wsAuth := s.workload, func(h http.HandlerFunc) http.Handler { return s.workload.Authenticated(h) }
	mux.Handle("POST /api/sessions", ws.Versioned(http.HandlerFunc(ws.CreateSession)))
	mux.Handle("DELETE /api/sessions/current", ws.Versioned(http.HandlerFunc(ws.DeleteSession)))
	mux.Handle("GET /api/apikeys", wsAuth(ws.ListAPIKeys))
	mux.Handle("POST /api/apikeys", wsAuth(ws.CreateAPIKey))
	mux.Handle("POST /api/apikeys/search", wsAuth(ws.SearchAPIKeys))
	mux.Handle("GET /api/apikeys/current", wsAuth(ws.CurrentAPIKey))
	mux.Handle("POST /api/apikeys/current", wsAuth(ws.CurrentAPIKey))
	mux.Handle("POST /api/apikeys/current/secretkey", wsAuth(ws.RotateCurrentAPIKey))
	mux.Handle("GET /api/apikeys/{apiKeyID}", wsAuth(ws.DescribeAPIKey))
	mux.Handle("POST /api/apikeys/{apiKeyID}", wsAuth(ws.ModifyAPIKey))
	mux.Handle("DELETE /api/apikeys/{apiKeyID}", wsAuth(ws.DeleteAPIKey))
	mux.Handle("POST /api/apikeys/{apiKeyID}/secretkey", wsAuth(ws.RotateAPIKey))
	mux.Handle("GET /api/roles", wsAuth(ws.ListRoles))
	mux.Handle("POST /api/roles", wsAuth(ws.CreateRole))
	mux.Handle("POST /api/roles/search", wsAuth(ws.SearchRoles))
	mux.Handle("GET /api/roles/{roleID}", wsAuth(ws.DescribeRole))
	mux.Handle("POST /api/roles/{roleID}", wsAuth(ws.ModifyRole))
	mux.Handle("DELETE /api/roles/{roleID}", wsAuth(ws.DeleteRole))
	// Network Security API (same /api base, its own resources).
	ns := s.netsec
	mux.Handle("GET /api/appliances", ns.Authenticated(ns.ListAppliances))
	mux.Handle("GET /api/appliances/{applianceID}", ns.Authenticated(ns.DescribeAppliance))
	mux.Handle("POST /api/appliances/search", ns.Authenticated(ns.SearchAppliances))
	mux.Handle("GET /api/migrationversions", ns.Authenticated(ns.MigrationVersions))
	mux.Handle("POST /api/appliancemigrations", ns.Authenticated(ns.StartMigration))
	mux.Handle("GET /api/appliancemigrations", ns.Authenticated(ns.MigrationStatuses))

	// A known path asked with another method: 405 in JSON. The wildcard
	// paths also cover search and current.
	for _, path := range []string{"/api/sessions", "/api/sessions/current", "/api/apikeys", "/api/apikeys/{apiKeyID}",
		"/api/apikeys/{apiKeyID}/secretkey", "/api/roles", "/api/roles/{roleID}",
		"/api/appliances", "/api/appliances/{applianceID}", "/api/migrationversions", "/api/appliancemigrations"} {
		mux.HandleFunc(path, ws.MethodNotAllowed)
	}
	mux.HandleFunc("/api/", ws.NotFound)
	mux.HandleFunc("/api", ws.NotFound) // else the mux redirects to the folder

	// The agent protocol (docs/agent-protocol.md).
	mux.HandleFunc("POST /agent/v1/checkin", s.agents.CheckIn)
	mux.HandleFunc("POST /agent/v1/results", s.agents.Results)
	mux.HandleFunc("POST /agent/v1/appliances/checkin", s.agents.ApplianceCheckIn)
	mux.HandleFunc("POST /agent/v1/appliances/report", s.agents.ApplianceReport)

	// The web console (internal/console). Page: without a session, the
	// sign-in page. Form: also the session's CSRF token and the rights
	// listed (else 403, nothing changed). JSON: what pages poll; 401
	// without a session. Automation API applications are credentials, so
	// changing them takes the API-key rights; agents, update sources and
	// appliances are managed devices, which take ManageAppliances.
	// normalizePath drops trailing slashes: "/console/" arrives as "/console".
	c := s.console
	mux.HandleFunc("GET /{$}", c.Root)
	mux.HandleFunc("GET /console/static/{file...}", c.Static)
	mux.HandleFunc("GET /console/signin", c.SignInPage)
	mux.HandleFunc("POST /console/signin", c.SignIn)
	mux.Handle("POST /console/signout", c.Form(c.SignOut))
	mux.Handle("GET /console", c.Page(c.Home))
	const apps = "/console/administration/settings/automation-api"
	mux.Handle("GET "+apps, c.Page(c.Apps))
	mux.Handle("GET "+apps+"/add", c.Page(c.AddApp))
	mux.Handle("POST "+apps+"/add", c.Form(c.SaveApp, identity.CreateAPIKeys))
	mux.Handle("POST "+apps+"/{id}/enable", c.Form(c.SetAppEnabled(true), identity.EditAPIKeys))
	mux.Handle("POST "+apps+"/{id}/disable", c.Form(c.SetAppEnabled(false), identity.EditAPIKeys))
	mux.Handle("GET "+apps+"/{id}/rotate-key", c.Page(c.ConfirmApp("rotate-key")))
	mux.Handle("POST "+apps+"/{id}/rotate-key", c.Form(c.RotateAppKey, identity.EditAPIKeys))
	mux.Handle("GET "+apps+"/{id}/delete", c.Page(c.ConfirmApp("delete")))
	mux.Handle("POST "+apps+"/{id}/delete", c.Form(c.DeleteApp, identity.DeleteAPIKeys))
	mux.Handle("GET /console/fleet/servers", c.Page(c.Servers))
	mux.Handle("GET /console/fleet/servers/{id}", c.Page(c.Server))
	mux.Handle("POST /console/fleet/servers/{id}/update-sources", c.Form(c.DeployUpdateSources, identity.ManageAppliances))
	mux.Handle("GET /console/fleet/agents", c.Page(c.Agents))
	mux.Handle("GET /console/fleet/agents.json", c.JSON(c.AgentsJSON))
	mux.Handle("GET /console/fleet/agents/act", c.Page(c.ConfirmAgentAction))
	mux.Handle("POST /console/fleet/agents/act", c.Form(c.ActOnAgent, identity.ManageAppliances))
	mux.Handle("GET /console/appliances", c.Page(c.Appliances))
	mux.Handle("GET /console/appliances.json", c.JSON(c.AppliancesJSON))
	mux.Handle("GET /console/appliances/{id}", c.Page(c.Appliance))
	mux.Handle("GET /console/appliances/{id}/migration.json", c.JSON(c.ApplianceJSON))
	mux.Handle("POST /console/appliances/{id}/migrate", c.Form(c.Migrate, identity.ManageAppliances))
	const keys = "/console/administration/api-keys"
	mux.Handle("GET "+keys, c.Page(c.APIKeys))
	mux.Handle("POST "+keys, c.Form(c.CreateAPIKey, identity.CreateAPIKeys))
	mux.Handle("GET "+keys+"/{id}/rotate", c.Page(c.ConfirmAPIKey("rotate")))
	mux.Handle("POST "+keys+"/{id}/rotate", c.Form(c.RotateAPIKey, identity.EditAPIKeys))
	mux.Handle("POST "+keys+"/{id}/activate", c.Form(c.SetAPIKeyActive(true), identity.EditAPIKeys))
	mux.Handle("POST "+keys+"/{id}/deactivate", c.Form(c.SetAPIKeyActive(false), identity.EditAPIKeys))
	mux.Handle("GET "+keys+"/{id}/delete", c.Page(c.ConfirmAPIKey("delete")))
	mux.Handle("POST "+keys+"/{id}/delete", c.Form(c.DeleteAPIKey, identity.DeleteAPIKeys))
	mux.Handle("GET /console/administration/roles", c.Page(c.Roles))
	mux.Handle("GET /console/administration/audit-log", c.Page(c.AuditLog))
	mux.HandleFunc("/console/", c.NotFound)
	mux.HandleFunc("/console", c.NotFound) // else the mux redirects to the folder

	return normalizePath(s.audited(mux))
}

// normalizePath cleans the path before the mux sees it, so that ServeMux
// never answers a POST to ".../ProductAgents/" or "//WebApp/..." with a 301
// redirect (clients do not follow a redirected POST), and lower-cases the
// Apex Central paths, which the vendor's IIS matches case-insensitively.
// r.RequestURI is left as received: the checksum is computed over it.
func normalizePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "" {
			p = "/"
		}
		clean := path.Clean("/" + p)
		if lower := strings.ToLower(clean); strings.HasPrefix(lower, "/webapp/") || lower == "/webapp" {
			clean = lower
		}
		if clean != r.URL.Path {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path, u.RawPath = clean, ""
			r2.URL = &u
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}
