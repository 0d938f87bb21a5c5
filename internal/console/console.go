package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console is built from.
type Config struct {
	// Apps are the Apex Central Automation API applications, as
	// `rampart apps` manages them.
	Apps *identity.Service
	// Access is the Workload Security identity: the console's
	// administrators, their sessions (and lockout), roles and API keys.
	Access     *identity.Access
	Fleet      *fleet.Service
	Appliances *appliances.Service
	// Audit is the audit trail the console lists (the server records
	// the console's changes in it, not the console).
	Audit *audit.Service
	// Secret keys the console's CSRF tokens and the MAC that carries a
	// generated application's credentials through its form. Every replica
	// must hold the same one (the server derives it from the sealing key).
	Secret string
	Now    func() time.Time
	Log    *slog.Logger
}

// Console serves the web console. Build it with New; mount its handlers
// with Page, Form and JSON (see internal/server/routes.go).
type Console struct {
	apps       *identity.Service
	access     *identity.Access
	fleet      *fleet.Service
	appliances *appliances.Service
	audit      *audit.Service
	secret     []byte
	now        func() time.Time
	log        *slog.Logger
	pages      map[string]*template.Template
	static     http.Handler
}

// The console's cookies. The session cookie is the console's own: the
// Workload Security API's sID cookie is not accepted here, nor the other
// way round.
const (
	sessionCookie = "rampart_console"
	signInCookie  = "rampart_console_signin"
	flashCookie   = "rampart_console_flash"
	// Base is where the console lives.
	Base = "/console"
)

// New parses the templates and returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Apps == nil || cfg.Access == nil || cfg.Fleet == nil || cfg.Appliances == nil || cfg.Audit == nil {
		return nil, errors.New("console: every service is required")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("console: the secret is missing or too short")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{apps: cfg.Apps, access: cfg.Access, fleet: cfg.Fleet, appliances: cfg.Appliances,
		audit: cfg.Audit, secret: []byte(cfg.Secret), now: cfg.Now, log: cfg.Log}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("console: static files: %w", err)
	}
	c.static = http.StripPrefix(Base+"/static/", http.FileServerFS(sub))
	return c, nil
}

var funcs = template.FuncMap{
	"may": func(op *Operator, right string) bool { return op != nil && op.May(right) },
	"seconds": func(d time.Duration) int {
		return int(d / time.Second)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
	"yesno": func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	},
}

func (c *Console) parseTemplates() error {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("console: parsing the layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("console: listing templates: %w", err)
	}
	c.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("console: parsing %s: %w", n, err)
		}
		c.pages[name] = t
	}
	return nil
}

// view is what every page template receives.
type view struct {
	Title string
	// Nav names the navigation entry the page belongs to.
	Nav   string
	Op    *Operator
	Flash *flash
	// Error is a refusal shown at the top of the page.
	Error string
	Data  any
}

// render writes a page. The page is built in memory first, so that a
// template error is a clean 500 and never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := c.pages[name]
	if !ok {
		c.internal(w, r, fmt.Errorf("no template %q", name))
		return
	}
	if v.Flash == nil {
		v.Flash = c.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.internal(w, r, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// internal logs err (never a secret: errors here come from the domain
// and the store, which do not put keys in them) and answers a bare 500.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.log.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("The console could not answer this request; the server log says why.\n"))
}

// refuse answers a page that says why the request was refused.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, op *Operator, status int, title, message string) {
	c.render(w, r, status, "refused", view{Title: title, Op: op, Error: message})
}

// secureHeaders are set on every console answer: no framing, no inline
// script or style, no caching (pages show secrets once), no referrer.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// flash is a one-time message shown on the page a form redirects to.
type flash struct {
	Kind string // "ok" or "error"
	Text string
}

// setFlash leaves a message for the next page. It travels in a short-lived
// cookie, so that any replica can show it.
func setFlash(w http.ResponseWriter, r *http.Request, kind, text string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + text))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: Base, MaxAge: 60, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: Base, MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	kind, text, ok := strings.Cut(string(raw), "\x00")
	if !ok || (kind != "ok" && kind != "error") || len(text) > 1000 {
		return nil
	}
	return &flash{Kind: kind, Text: text}
}

// done redirects to a page after a form, with a message for it.
func done(w http.ResponseWriter, r *http.Request, to, kind, text string) {
	setFlash(w, r, kind, text)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// Root serves GET /: the console is the server's home page.
func (c *Console) Root(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Base, http.StatusSeeOther)
}

// Static serves the stylesheet and scripts. They hold no data, and the
// sign-in page needs them before there is a session.
func (c *Console) Static(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	w.Header().Set("Cache-Control", "no-cache")
	c.static.ServeHTTP(w, r)
}

// NotFound serves every other path under /console: the sign-in page
// without a session, else a 404 page.
func (c *Console) NotFound(w http.ResponseWriter, r *http.Request) {
	c.Page(func(w http.ResponseWriter, r *http.Request, op *Operator) {
		c.refuse(w, r, op, http.StatusNotFound, "Not found", "There is no console page at this address.")
	}).ServeHTTP(w, r)
}

// Home serves GET /console: an overview with a way to each screen.
func (c *Console) Home(w http.ResponseWriter, r *http.Request, op *Operator) {
	ctx := r.Context()
	apps, err := c.apps.List(ctx)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	servers, err := c.fleet.Servers(ctx, fleet.ServerFilter{})
	if err != nil {
		c.internal(w, r, err)
		return
	}
	agents, err := c.fleet.Agents(ctx, fleet.AgentFilter{})
	if err != nil {
		c.internal(w, r, err)
		return
	}
	all, err := c.appliances.List(ctx)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	isolated, pending := 0, 0
	for _, a := range agents {
		switch {
		case a.Isolation == fleet.StatusIsolated:
			isolated++
		case pendingStatus(a.Isolation) || a.Uninstalling:
			pending++
		}
	}
	c.render(w, r, http.StatusOK, "home", view{Title: "Overview", Nav: "home", Op: op, Data: map[string]int{
		"Apps": len(apps), "Servers": len(servers), "Agents": len(agents), "Isolated": isolated, "Pending": pending,
		"Appliances": len(all),
	}})
}
