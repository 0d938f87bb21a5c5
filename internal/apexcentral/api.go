package apexcentral

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
)

// API serves the Apex Central Automation API. Fill every field; the server
// package builds it and mounts its handlers.
type API struct {
	Apps  Applications
	Fleet *fleet.Service
	Now   func() time.Time
	Log   *slog.Logger
	// AuthDetail turns on the X-Rampart-Auth-Detail header on refused
	// requests.
	AuthDetail bool
}

// MethodNotAllowed answers -50 for a known resource asked with a method it
// does not serve.
func (api *API) MethodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, CodeMethodUnsupported, r.Method+" is not supported here; use "+allow)
	})
}

// NotFound answers a path under /WebApp/API/ that names no resource.
func (api *API) NotFound(w http.ResponseWriter, r *http.Request) {
	info := codeInfo[CodeInvalidOperation]
	write(w, http.StatusNotFound, envelope{CodeInvalidOperation, info.text + ": no API at " + r.URL.Path, ""})
}
