package workload

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
)

type sessionRequest struct {
	UserName   string `json:"userName"`
	Password   string `json:"password"`
	TenantName string `json:"tenantName"`
	MFACode    string `json:"mfaCode"`
}

type sessionResponse struct {
	AdministratorID int64  `json:"administratorID"`
	Created         int64  `json:"created"`
	LastActivity    int64  `json:"lastActivity"`
	AccessType      string `json:"accessType"`
	RID             string `json:"RID"`
}

// CreateSession serves POST /api/sessions: sign in with a username and
// password, get the sID cookie and the RID.
func (api *API) CreateSession(w http.ResponseWriter, r *http.Request) {
	var req sessionRequest
	if err := decode(r, &req); err != nil {
		writeMessage(w, http.StatusBadRequest, "%s", err.Error())
		return
	}
	if strings.TrimSpace(req.UserName) == "" || req.Password == "" {
		writeMessage(w, http.StatusBadRequest, "userName and password are required")
		return
	}
	if req.TenantName != "" && !strings.EqualFold(req.TenantName, api.Tenant) {
		writeMessage(w, http.StatusUnauthorized, "Invalid tenant name, username or password")
		return
	}
	sess, sid, err := api.Access.SignIn(r.Context(), req.UserName, req.Password, req.MFACode)
	switch {
	case errors.Is(err, identity.ErrLocked):
		writeMessage(w, http.StatusUnauthorized, "The account is locked: too many failed sign-in attempts")
		return
	case errors.Is(err, identity.ErrMFARequired):
		writeMessage(w, http.StatusUnauthorized, "A valid MFA code is required")
		return
	case errors.Is(err, identity.ErrBadCredentials):
		writeMessage(w, http.StatusUnauthorized, "Invalid username or password")
		return
	case err != nil:
		api.fail(w, r, "session", err)
		return
	}
	audit.SetActor(r.Context(), audit.AdministratorActor(sess.AdminID, strings.TrimSpace(req.UserName)))
	// Secure over HTTPS, as the vendor sets it; not over `serve --http`,
	// where clients (curl, Go's cookie jar) would never send it back.
	http.SetCookie(w, &http.Cookie{Name: "sID", Value: sid, Path: "/", Secure: r.TLS != nil, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, sessionResponse{AdministratorID: sess.AdminID, Created: sess.Created.UnixMilli(),
		LastActivity: sess.LastActivity.UnixMilli(), AccessType: "webService", RID: sess.RID})
}

// DeleteSession serves DELETE /api/sessions/current: sign out.
func (api *API) DeleteSession(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("sID")
	if err != nil || api.Access.SignOut(r.Context(), c.Value) != nil {
		writeMessage(w, http.StatusUnauthorized, "Invalid session")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "sID", Value: "", Path: "/", Secure: r.TLS != nil, HttpOnly: true, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}
