package workload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rampart-sec/rampart/client/transport"
)

// Credentials sign an administrator in.
type Credentials struct {
	UserName string `json:"userName"`
	Password string `json:"password"`
	// TenantName is needed on a multi-tenant manager.
	TenantName string `json:"tenantName,omitempty"`
	// MFACode is the current TOTP code when the account requires one.
	MFACode string `json:"mfaCode,omitempty"`
}

// Session is a signed-in administrator's session. SID (the sID cookie)
// and RID together authenticate as the administrator: keep them as secret
// as a password.
type Session struct {
	AdministratorID int64  `json:"administratorID"`
	Created         int64  `json:"created"`      // Unix ms
	LastActivity    int64  `json:"lastActivity"` // Unix ms
	AccessType      string `json:"accessType"`
	RID             string `json:"RID"`
	// SID is the sID cookie's value.
	SID string `json:"-"`
}

// String describes the session without its secrets.
func (s Session) String() string {
	return fmt.Sprintf("session of administrator %d (%s)", s.AdministratorID, s.AccessType)
}

// SignIn opens a session (POST /api/sessions) and returns it; use it with
// WithSession. The client's own credentials are not sent. Wrong
// credentials are a 401 *Error; repeated failures lock the account.
func (c *Client) SignIn(ctx context.Context, cr Credentials) (Session, error) {
	if cr.UserName == "" || cr.Password == "" {
		return Session{}, errors.New("workload security: signing in needs a user name and a password")
	}
	var s Session
	resp, err := c.call(ctx, http.MethodPost, "/sessions", nil, cr, transport.NotIdempotent, &s, true)
	if err != nil {
		return Session{}, err
	}
	// The cookie is read from Set-Cookie directly: it is marked Secure,
	// and a cookie jar would not send it back over plain HTTP.
	for _, ck := range (&http.Response{Header: resp.Header}).Cookies() {
		if ck.Name == "sID" && ck.Value != "" {
			s.SID = ck.Value
		}
	}
	if s.SID == "" || s.RID == "" {
		return Session{}, errors.New("workload security: signing in: the answer has no sID cookie or no RID")
	}
	return s, nil
}

// SignOut ends the client's session (DELETE /api/sessions/current).
func (c *Client) SignOut(ctx context.Context) error {
	if c.session == nil {
		return errors.New("workload security: signing out needs a client with a session (WithSession)")
	}
	_, err := c.call(ctx, http.MethodDelete, "/sessions/current", nil, nil, transport.ByMethod, nil, false)
	return err
}

// BootstrapAPIKey creates an API key with an administrator's username and
// password, the way seed 003 creates the first key: it signs in, creates
// key with the session, and signs out (even when the creation fails). The
// answer holds the new SecretKey, shown only this once.
func (c *Client) BootstrapAPIKey(ctx context.Context, cr Credentials, key NewAPIKey) (APIKey, error) {
	s, err := c.SignIn(ctx, cr)
	if err != nil {
		return APIKey{}, fmt.Errorf("bootstrapping an API key: %w", err)
	}
	sc := c.WithSession(s)
	created, err := sc.CreateAPIKey(ctx, key)
	// Sign out with a context of its own, so that a cancelled one still
	// closes the session.
	outCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	outErr := sc.SignOut(outCtx)
	if err != nil {
		return APIKey{}, fmt.Errorf("bootstrapping an API key: %w", err)
	}
	if outErr != nil {
		return created, fmt.Errorf("bootstrapping an API key: the key was created (ID %d) but signing out failed: %w", created.ID, outErr)
	}
	return created, nil
}
