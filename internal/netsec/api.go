package netsec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/keyauth"
	"github.com/rampart-sec/rampart/internal/ratelimit"
)

// API serves the Network Security API. The server package fills it.
type API struct {
	Appliances *appliances.Service
	Access     *identity.Access
	Limiter    *ratelimit.Limiter
	Tenant     string
	Node       string
	Log        *slog.Logger
}

type principalKey struct{}

type message struct {
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"message":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeMessage(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, message{fmt.Sprintf(format, args...)})
}

// Authenticated checks api-version and the ApiKey, applies the rate
// limits, and runs next with the caller in its context.
func (api *API) Authenticated(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := strings.TrimSpace(r.Header.Get("api-version")); v != "v1" {
			writeMessage(w, http.StatusBadRequest, "Missing or unsupported api-version header: send api-version: v1")
			return
		}
		p, _, err := api.Access.KeyPrincipal(r.Context(), keyauth.Secret(r))
		if errors.Is(err, identity.ErrBadKey) {
			writeMessage(w, http.StatusUnauthorized, "Invalid API Key")
			return
		}
		if err != nil {
			api.Log.ErrorContext(r.Context(), "authenticating network security call", "err", err)
			writeMessage(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		audit.SetActor(r.Context(), audit.KeyActor(p.KeyID, p.Name))
		ok, err := keyauth.Gate{Limiter: api.Limiter, Tenant: api.Tenant, Node: api.Node}.Admit(r.Context(), w, keyauth.KeyCaller(p.KeyID))
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
	})
}

func principalFrom(ctx context.Context) identity.Principal {
	p, _ := ctx.Value(principalKey{}).(identity.Principal)
	return p
}

// NotFound answers an unknown path of the family.
func (api *API) NotFound(w http.ResponseWriter, r *http.Request) {
	writeMessage(w, http.StatusNotFound, "No such resource: %s %s", r.Method, r.URL.Path)
}
