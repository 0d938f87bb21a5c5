package workload

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/keyauth"
	"github.com/rampart-sec/rampart/internal/ratelimit"
)

// API serves the Workload Security API. The server package fills it.
type API struct {
	Access  *identity.Access
	Limiter *ratelimit.Limiter
	Tenant  string // the single tenant's name, for rate limits
	Node    string // this node's name, for rate limits
	Now     func() time.Time
	Log     *slog.Logger
}

type principalKey struct{}

func principalFrom(ctx context.Context) identity.Principal {
	p, _ := ctx.Value(principalKey{}).(identity.Principal)
	return p
}

// Versioned checks the api-version header and stamps X-DSM-Version on
// every answer, authenticated or not.
func (api *API) Versioned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-DSM-Version", Version)
		switch v := strings.TrimSpace(r.Header.Get("api-version")); v {
		case "v1":
			next.ServeHTTP(w, r)
		case "":
			writeMessage(w, http.StatusBadRequest, "Missing api-version header: send api-version: v1")
		default:
			writeMessage(w, http.StatusBadRequest, "Unsupported api-version %q: send api-version: v1", v)
		}
	})
}

// Authenticated resolves the caller (API key or session), applies the rate
// limits and runs next with the principal in its context.
func (api *API) Authenticated(next http.Handler) http.Handler {
	return api.Versioned(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, limitKey, err := api.principal(r)
		if err != nil {
			if errors.Is(err, identity.ErrBadSession) {
				writeMessage(w, http.StatusUnauthorized, "Invalid session")
				return
			}
			if errors.Is(err, identity.ErrBadKey) {
				writeMessage(w, http.StatusUnauthorized, "Invalid API Key")
				return
			}
			api.Log.ErrorContext(r.Context(), "authenticating workload call", "err", err)
			writeMessage(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		audit.SetActor(r.Context(), actor(p))
		ok, err := keyauth.Gate{Limiter: api.Limiter, Tenant: api.Tenant, Node: api.Node}.Admit(r.Context(), w, limitKey)
		if err != nil {
			api.Log.ErrorContext(r.Context(), "rate limiter", "err", err)
			writeMessage(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		if !ok {
			writeMessage(w, http.StatusTooManyRequests, "Too many API requests")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}))
}

// actor is the principal as the audit trail names it.
func actor(p identity.Principal) audit.Actor {
	if p.KeyID != 0 {
		return audit.KeyActor(p.KeyID, p.Name)
	}
	return audit.AdministratorActor(p.AdminID, p.Name)
}

// principal finds who is calling; limitKey names the caller for the
// per-key rate limit.
func (api *API) principal(r *http.Request) (identity.Principal, string, error) {
	if secret := keyauth.Secret(r); secret != "" {
		p, _, err := api.Access.KeyPrincipal(r.Context(), secret)
		return p, keyauth.KeyCaller(p.KeyID), err
	}
	if c, err := r.Cookie("sID"); err == nil && c.Value != "" {
		p, err := api.Access.SessionPrincipal(r.Context(), c.Value, strings.TrimSpace(r.Header.Get("rID")))
		return p, "admin:" + strconv.FormatInt(p.AdminID, 10), err
	}
	return identity.Principal{}, "", identity.ErrBadKey
}

// fail maps a domain error to the vendor's status and message.
func (api *API) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, identity.ErrForbidden):
		writeMessage(w, http.StatusForbidden, "%s", strings.TrimPrefix(err.Error(), identity.ErrForbidden.Error()+": "))
	case errors.Is(err, identity.ErrNotFound):
		writeMessage(w, http.StatusNotFound, "The %s does not exist.", what)
	case errors.Is(err, identity.ErrInvalid):
		writeMessage(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), identity.ErrInvalid.Error()+": "))
	case errors.Is(err, identity.ErrImmutable):
		writeMessage(w, http.StatusBadRequest, "The %s is immutable and cannot be changed.", what)
	case errors.Is(err, identity.ErrRoleInUse):
		writeMessage(w, http.StatusBadRequest, "The role is assigned to API keys or administrators and cannot be deleted.")
	default:
		api.Log.ErrorContext(r.Context(), "workload request failed", "path", r.URL.Path, "err", err)
		writeMessage(w, http.StatusInternalServerError, "Internal server error")
	}
}

// MethodNotAllowed answers a known path asked with a method it does not
// serve, in the family's JSON error form rather than ServeMux's text.
func (api *API) MethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-DSM-Version", Version)
	writeMessage(w, http.StatusMethodNotAllowed, "Method %s is not supported on %s", r.Method, r.URL.Path)
}

// NotFound answers a path under /api that names no resource.
func (api *API) NotFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-DSM-Version", Version)
	writeMessage(w, http.StatusNotFound, "No such resource: %s %s", r.Method, r.URL.Path)
}

func ms(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMilli()
	return &v
}
