package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
)

// Operator is the signed-in administrator a console request is made by.
type Operator struct {
	Principal identity.Principal
	// Name is the administrator's username, RoleName the role's name.
	Name, RoleName string
	// CSRF is the session's anti-forgery token, put in every form.
	CSRF string
	sid  string
}

// rightNames are the rights templates may ask about with "may".
var rightNames = map[string]identity.Right{
	"CreateAPIKeys": identity.CreateAPIKeys, "EditAPIKeys": identity.EditAPIKeys, "DeleteAPIKeys": identity.DeleteAPIKeys,
	"ViewAPIKeys": identity.ViewAPIKeys, "ViewRoles": identity.ViewRoles, "ManageAppliances": identity.ManageAppliances,
}

// May reports whether the operator's role grants the named right. Pages
// use it only to leave out the buttons of changes that would be refused;
// the refusal itself is Form's.
func (o *Operator) May(right string) bool {
	r, ok := rightNames[right]
	return ok && o.Principal.Authorize(r) == nil
}

// ReadOnly reports whether the role may change nothing the console shows.
func (o *Operator) ReadOnly() bool {
	for _, r := range []identity.Right{identity.CreateAPIKeys, identity.EditAPIKeys, identity.DeleteAPIKeys, identity.ManageAppliances,
		identity.CreateRoles, identity.EditRoles, identity.DeleteRoles} {
		if o.Principal.Authorize(r) == nil {
			return false
		}
	}
	return true
}

// Handler is a console handler that runs for a signed-in operator.
type Handler func(w http.ResponseWriter, r *http.Request, op *Operator)

// Page serves a page to a signed-in operator; without a session it
// redirects to the sign-in page, which comes back here afterwards.
func (c *Console) Page(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		op, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		h(w, r, op)
	})
}

// Form serves a POST form: it needs a session (else the sign-in page),
// the session's CSRF token (else 403, and nothing changes) and every one
// of rights (else 403, and nothing changes).
func (c *Console) Form(h Handler, rights ...identity.Right) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			c.refuse(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		op, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		// The audit trail names the administrator, refusals included.
		audit.SetActor(r.Context(), audit.AdministratorActor(op.Principal.AdminID, op.Principal.Name))
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(op.CSRF)) {
			c.refuse(w, r, op, http.StatusForbidden, "Form refused",
				"This form did not come from this console session (its security token is missing or wrong), so nothing was changed. Reload the page and try again.")
			return
		}
		for _, right := range rights {
			if err := op.Principal.Authorize(right); err != nil {
				c.refuse(w, r, op, http.StatusForbidden, "Not allowed",
					"Your role ("+op.RoleName+") does not allow this change, so nothing was changed.")
				return
			}
		}
		h(w, r, op)
	})
}

// JSON serves a console JSON endpoint (what the pages poll); without a
// session it answers 401.
func (c *Console) JSON(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		op, err := c.operator(r)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		if op == nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in to the console first"})
			return
		}
		h(w, r, op)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// signedIn returns the request's operator, or redirects to the sign-in
// page (a stale cookie is dropped on the way) and returns false.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) (*Operator, bool) {
	op, err := c.operator(r)
	if err != nil {
		c.internal(w, r, err)
		return nil, false
	}
	if op != nil {
		return op, true
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		clearSession(w, r)
	}
	next := r.URL.Path
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		next = Base // a form cannot be replayed; land on the overview
	} else if r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, Base+"/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
	return nil, false
}

// operator resolves the session cookie; nil (and no error) when there is
// no valid session, or when the administrator's role does not allow the
// user interface.
func (c *Console) operator(r *http.Request) (*Operator, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	sid, rid, ok := strings.Cut(ck.Value, ".")
	if !ok || sid == "" || rid == "" {
		return nil, nil
	}
	p, err := c.access.SessionPrincipal(r.Context(), sid, rid)
	if errors.Is(err, identity.ErrBadSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !p.Role.AllowUserInterface {
		return nil, nil
	}
	op := &Operator{Principal: p, RoleName: p.Role.Name, CSRF: c.csrfToken(sid), sid: sid}
	admins, err := c.access.Admins(r.Context())
	if err != nil {
		return nil, err
	}
	for _, a := range admins {
		if a.ID == p.AdminID {
			op.Name = a.Username
		}
	}
	return op, nil
}

// csrfToken is the session's anti-forgery token: an HMAC of the session
// ID under the console's secret, so that every replica computes the same
// one and nothing needs storing.
func (c *Console) csrfToken(sid string) string {
	return c.mac("csrf", sid)
}

// mac is HMAC-SHA256 under the console's secret over purpose and parts.
func (c *Console) mac(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte("rampart console v1|" + purpose))
	for _, p := range parts {
		m.Write([]byte("|" + p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func setSession(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: Base, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Base, MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "//") || (u.Path != Base && !strings.HasPrefix(u.Path, Base+"/")) ||
		strings.HasPrefix(u.Path, Base+"/signin") || strings.Contains(u.Path, "..") {
		return Base
	}
	return u.RequestURI()
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	Username, Next, Token string
	MFA                   bool
}

// SignInPage serves GET /console/signin. The form carries a token that
// must match a cookie of its own (there is no session yet to bind it to),
// so that another site cannot sign a browser in behind its back.
func (c *Console) SignInPage(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if op, err := c.operator(r); err == nil && op != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.signInPage(w, r, http.StatusOK, signInForm{Next: safeNext(r.URL.Query().Get("next"))}, "")
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request, status int, f signInForm, problem string) {
	token := ""
	if ck, err := r.Cookie(signInCookie); err == nil && len(ck.Value) == 43 {
		token = ck.Value
	} else {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			c.internal(w, r, err)
			return
		}
		token = base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: token, Path: Base + "/signin", MaxAge: 3600, HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	}
	f.Token = token
	c.render(w, r, status, "signin", view{Title: "Sign in", Error: problem, Data: f})
}

// SignIn serves POST /console/signin: the Workload Security identity's
// sign-in (same administrators, same lockout, same TOTP), then the
// console's own session cookie.
func (c *Console) SignIn(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		c.refuse(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	ck, err := r.Cookie(signInCookie)
	if err != nil || !hmac.Equal([]byte(ck.Value), []byte(r.PostForm.Get("csrf"))) {
		c.refuse(w, r, nil, http.StatusForbidden, "Form refused",
			"This sign-in form did not come from this browser's sign-in page (its security token is missing or wrong). Reload the sign-in page and try again.")
		return
	}
	f := signInForm{Username: strings.TrimSpace(r.PostForm.Get("username")), Next: safeNext(r.PostForm.Get("next"))}
	password, code := r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("mfa"))
	if f.Username == "" || password == "" {
		c.signInPage(w, r, http.StatusBadRequest, f, "Enter your username and password.")
		return
	}
	sess, sid, err := c.access.SignIn(r.Context(), f.Username, password, code)
	switch {
	case errors.Is(err, identity.ErrLocked):
		c.signInPage(w, r, http.StatusUnauthorized, f, "This account is locked after too many failed sign-in attempts. Try again later, or have it unlocked with `rampart users unlock`.")
		return
	case errors.Is(err, identity.ErrMFARequired):
		f.MFA = true
		c.signInPage(w, r, http.StatusUnauthorized, f, "This account needs a valid MFA code from its authenticator app.")
		return
	case errors.Is(err, identity.ErrBadCredentials):
		c.signInPage(w, r, http.StatusUnauthorized, f, "Invalid username or password.")
		return
	case err != nil:
		c.internal(w, r, err)
		return
	}
	p, err := c.access.SessionPrincipal(r.Context(), sid, sess.RID)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	audit.SetActor(r.Context(), audit.AdministratorActor(p.AdminID, p.Name))
	if !p.Role.AllowUserInterface {
		_ = c.access.SignOut(r.Context(), sid)
		c.signInPage(w, r, http.StatusForbidden, f, "The role of this account ("+p.Role.Name+") does not allow the user interface.")
		return
	}
	setSession(w, r, sid+"."+sess.RID)
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: "", Path: Base + "/signin", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	c.log.InfoContext(r.Context(), "console sign-in", "admin", p.AdminID)
	http.Redirect(w, r, f.Next, http.StatusSeeOther)
}

// SignOut serves POST /console/signout: the session ends in the store,
// so the cookie is worthless even if kept.
func (c *Console) SignOut(w http.ResponseWriter, r *http.Request, op *Operator) {
	if err := c.access.SignOut(r.Context(), op.sid); err != nil {
		c.internal(w, r, err)
		return
	}
	clearSession(w, r)
	done(w, r, Base+"/signin", "ok", "You are signed out.")
}

// sessionKey is a stable, non-secret name of the session for binding
// values to it (the SHA-256 of the session ID, as the store keys it).
func (o *Operator) sessionKey() string {
	sum := sha256.Sum256([]byte(o.sid))
	return hex.EncodeToString(sum[:])
}
