package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/rampart-sec/rampart/internal/search"
	"golang.org/x/crypto/bcrypt"
)

// Policy is the Workload Security identity's configuration.
type Policy struct {
	MaxFailedSignIns int           // failures before an account locks (default 5)
	LockoutDuration  time.Duration // how long it stays locked (default 30 min)
	SessionIdle      time.Duration // a session ends after this long unused (default 30 min)
}

// DefaultPolicy is the vendor's behaviour as the spec chooses it.
func DefaultPolicy() Policy {
	return Policy{MaxFailedSignIns: 5, LockoutDuration: 30 * time.Minute, SessionIdle: 30 * time.Minute}
}

// Access is the Workload Security identity: administrators, sessions,
// roles and API keys, and who may do what.
type Access struct {
	store  AccessStore
	sealer Sealer
	policy Policy
	now    func() time.Time
}

// NewAccess returns the service; now may be nil for the real clock.
func NewAccess(store AccessStore, sealer Sealer, policy Policy, now func() time.Time) *Access {
	if now == nil {
		now = time.Now
	}
	return &Access{store: store, sealer: sealer, policy: policy, now: now}
}

// Principal is who a call is made as: an API key or a signed-in
// administrator, with the role that decides what it may do.
type Principal struct {
	KeyID   int64 // 0 for an administrator's session
	AdminID int64
	Name    string // the key's name or the administrator's username, for the audit trail
	Role    Role
}

// Authorize refuses with ErrForbidden (wrapped with the vendor's message)
// when p's role lacks r.
func (p Principal) Authorize(r Right) error {
	if p.Role.Rights.Has(r) {
		return nil
	}
	action, resource := r.Action()
	return fmt.Errorf("%w: Not authorized to %s %s", ErrForbidden, action, resource)
}

// Init creates the built-in roles when they are missing.
func (s *Access) Init(ctx context.Context) error {
	if err := s.store.EnsureRoles(ctx, BuiltinRoles()); err != nil {
		return fmt.Errorf("creating built-in roles: %w", err)
	}
	return nil
}

// AddAdmin creates an administrator with a bcrypt password hash.
func (s *Access) AddAdmin(ctx context.Context, username, password string, roleID int64) (Administrator, error) {
	username = strings.TrimSpace(username)
	if username == "" || len(password) < 8 {
		return Administrator{}, fmt.Errorf("%w: a username and a password of at least 8 characters are required", ErrInvalid)
	}
	if _, err := s.store.Role(ctx, roleID); err != nil {
		return Administrator{}, fmt.Errorf("%w: role %d: %v", ErrInvalid, roleID, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Administrator{}, fmt.Errorf("hashing password: %w", err)
	}
	a := Administrator{Username: username, PasswordHash: string(hash), RoleID: roleID, Created: s.now().UTC()}
	if a.ID, err = s.store.InsertAdmin(ctx, a); err != nil {
		return Administrator{}, fmt.Errorf("adding administrator %s: %w", username, err)
	}
	return a, nil
}

// Admins lists administrators.
func (s *Access) Admins(ctx context.Context) ([]Administrator, error) { return s.store.Admins(ctx) }

// SetPassword replaces an administrator's password and unlocks the account.
func (s *Access) SetPassword(ctx context.Context, username, password string) error {
	if len(password) < 8 {
		return fmt.Errorf("%w: the password must have at least 8 characters", ErrInvalid)
	}
	a, err := s.store.AdminByName(ctx, username)
	if err != nil {
		return fmt.Errorf("reading administrator %s: %w", username, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hashing password: %w", err)
	}
	a.PasswordHash, a.Failed, a.LockedUntil = string(hash), 0, time.Time{}
	return s.store.UpdateAdmin(ctx, a)
}

// Unlock clears an administrator's failed sign-ins and lock.
func (s *Access) Unlock(ctx context.Context, username string) error {
	a, err := s.store.AdminByName(ctx, username)
	if err != nil {
		return fmt.Errorf("reading administrator %s: %w", username, err)
	}
	a.Failed, a.LockedUntil = 0, time.Time{}
	return s.store.UpdateAdmin(ctx, a)
}

// EnableTOTP gives an administrator a new TOTP secret (sealed at rest) and
// returns it, once, for the authenticator app.
func (s *Access) EnableTOTP(ctx context.Context, username string) (string, error) {
	a, err := s.store.AdminByName(ctx, username)
	if err != nil {
		return "", fmt.Errorf("reading administrator %s: %w", username, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Rampart", AccountName: a.Username})
	if err != nil {
		return "", fmt.Errorf("generating TOTP secret: %w", err)
	}
	sealed, err := s.sealer.Seal([]byte(key.Secret()))
	if err != nil {
		return "", fmt.Errorf("sealing TOTP secret: %w", err)
	}
	a.TOTPSecret = base64.StdEncoding.EncodeToString(sealed)
	if err := s.store.UpdateAdmin(ctx, a); err != nil {
		return "", err
	}
	return key.Secret(), nil
}

// SignIn checks an administrator's credentials and opens a session. It
// returns the session and the sID cookie value (shown only here).
func (s *Access) SignIn(ctx context.Context, username, password, mfaCode string) (Session, string, error) {
	now := s.now().UTC()
	a, err := s.store.AdminByName(ctx, strings.TrimSpace(username))
	if errors.Is(err, ErrNotFound) {
		// Spend the time a real check would, so a caller cannot tell
		// unknown users from wrong passwords.
		_ = bcrypt.CompareHashAndPassword([]byte("$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z8Zqf1bYkY3.d1n8n8VQv1a2"), []byte(password))
		return Session{}, "", ErrBadCredentials
	}
	if err != nil {
		return Session{}, "", fmt.Errorf("reading administrator: %w", err)
	}
	if now.Before(a.LockedUntil) {
		return Session{}, "", fmt.Errorf("%w until %s", ErrLocked, a.LockedUntil.Format(time.RFC3339))
	}
	ok := bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) == nil
	if ok && a.TOTPSecret != "" && !s.validTOTP(a, mfaCode, now) {
		if err := s.failSignIn(ctx, a, now); err != nil {
			return Session{}, "", err
		}
		return Session{}, "", ErrMFARequired
	}
	if !ok {
		if err := s.failSignIn(ctx, a, now); err != nil {
			return Session{}, "", err
		}
		return Session{}, "", ErrBadCredentials
	}
	a.Failed, a.LockedUntil = 0, time.Time{}
	if err := s.store.UpdateAdmin(ctx, a); err != nil {
		return Session{}, "", err
	}
	sid, rid := randomHex(16), randomHex(16)
	sess := Session{IDHash: hashHex(sid), RID: rid, AdminID: a.ID, Created: now, LastActivity: now}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return Session{}, "", fmt.Errorf("opening session: %w", err)
	}
	return sess, sid, nil
}

func (s *Access) validTOTP(a Administrator, code string, now time.Time) bool {
	sealed, err := base64.StdEncoding.DecodeString(a.TOTPSecret)
	if err != nil {
		return false
	}
	secret, err := s.sealer.Open(sealed)
	if err != nil {
		return false
	}
	ok, err := totp.ValidateCustom(strings.TrimSpace(code), string(secret), now, totp.ValidateOpts{Period: 30, Skew: 1, Digits: 6})
	return err == nil && ok
}

func (s *Access) failSignIn(ctx context.Context, a Administrator, now time.Time) error {
	a.Failed++
	if a.Failed >= s.policy.MaxFailedSignIns {
		a.LockedUntil = now.Add(s.policy.LockoutDuration)
		a.Failed = 0
	}
	if err := s.store.UpdateAdmin(ctx, a); err != nil {
		return fmt.Errorf("counting failed sign-in: %w", err)
	}
	return nil
}

// SessionPrincipal resolves the sID cookie and rID header of a call.
func (s *Access) SessionPrincipal(ctx context.Context, sid, rid string) (Principal, error) {
	now := s.now().UTC()
	h := hashHex(sid)
	sess, err := s.store.Session(ctx, h)
	if err != nil || subtle.ConstantTimeCompare([]byte(sess.RID), []byte(rid)) != 1 {
		return Principal{}, ErrBadSession
	}
	if now.Sub(sess.LastActivity) > s.policy.SessionIdle {
		_ = s.store.DeleteSession(ctx, h)
		return Principal{}, ErrBadSession
	}
	a, err := s.store.Admin(ctx, sess.AdminID)
	if err != nil {
		return Principal{}, ErrBadSession
	}
	role, err := s.store.Role(ctx, a.RoleID)
	if err != nil {
		return Principal{}, fmt.Errorf("reading role %d: %w", a.RoleID, err)
	}
	role = effective(role)
	if err := s.store.TouchSession(ctx, h, now); err != nil {
		return Principal{}, fmt.Errorf("touching session: %w", err)
	}
	return Principal{AdminID: a.ID, Name: a.Username, Role: role}, nil
}

// SignOut ends the session the sID names.
func (s *Access) SignOut(ctx context.Context, sid string) error {
	return s.store.DeleteSession(ctx, hashHex(sid))
}

// KeyPrincipal authenticates an API key secret ("<ID>:<random>"). A wrong
// secret for an existing ID counts as a failed sign-in of that key.
func (s *Access) KeyPrincipal(ctx context.Context, secret string) (Principal, APIKey, error) {
	now := s.now().UTC()
	idText, _, ok := strings.Cut(strings.TrimSpace(secret), ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return Principal{}, APIKey{}, ErrBadKey
	}
	k, err := s.store.APIKey(ctx, id)
	if err != nil {
		return Principal{}, APIKey{}, ErrBadKey
	}
	if subtle.ConstantTimeCompare([]byte(k.SecretHash), []byte(hashHex(strings.TrimSpace(secret)))) != 1 {
		// One narrow write, counted in SQL: writing back the whole key as
		// read could undo a rotation or deactivation made meanwhile.
		_ = s.store.RecordKeyFailure(ctx, k.ID, now, s.policy.MaxFailedSignIns, now.Add(s.policy.LockoutDuration))
		return Principal{}, APIKey{}, ErrBadKey
	}
	if !k.Active || (!k.ExpiryDate.IsZero() && !now.Before(k.ExpiryDate)) || now.Before(k.UnlockTime) {
		return Principal{}, APIKey{}, ErrBadKey
	}
	role, err := s.store.Role(ctx, k.RoleID)
	if err != nil {
		return Principal{}, APIKey{}, ErrBadKey
	}
	role = effective(role)
	// lastSignIn is written at most once a second per key: a busy key
	// would otherwise turn every read into a synchronous write.
	// The write only touches the sign-in fields, and only while the secret
	// is still the one verified, so it never undoes a concurrent change.
	if k.UnsuccessfulSignInAttempts != 0 || !k.UnlockTime.IsZero() || now.Sub(k.LastSignIn) >= time.Second {
		k.LastSignIn, k.UnsuccessfulSignInAttempts, k.UnlockTime = now, 0, time.Time{}
		if err := s.store.RecordKeySignIn(ctx, k.ID, k.SecretHash, now); err != nil {
			return Principal{}, APIKey{}, fmt.Errorf("recording sign-in of key %d: %w", k.ID, err)
		}
	}
	return Principal{KeyID: k.ID, Name: k.KeyName, Role: role}, k, nil
}

// CreateKey makes a new API key and returns it with its secret (shown only
// now).
func (s *Access) CreateKey(ctx context.Context, p Principal, k APIKey) (APIKey, string, error) {
	if err := p.Authorize(CreateAPIKeys); err != nil {
		return APIKey{}, "", err
	}
	if k.RoleID == 0 {
		// A new key without a role gets Full Access. Only here: in
		// ModifyKey a roleID of 0 names no role, and must not raise the
		// key's rights to Full Access.
		k.RoleID = FullAccessRoleID
	}
	if err := s.validateKey(ctx, &k); err != nil {
		return APIKey{}, "", err
	}
	k.Created = s.now().UTC().Truncate(time.Millisecond)
	var secret string
	id, err := s.store.InsertAPIKey(ctx, k, func(id int64) (string, error) {
		secret = newSecret(id)
		return hashHex(secret), nil
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("creating API key: %w", err)
	}
	k, err = s.store.APIKey(ctx, id)
	return k, secret, err
}

func (s *Access) validateKey(ctx context.Context, k *APIKey) error {
	k.KeyName = strings.TrimSpace(k.KeyName)
	if k.KeyName == "" {
		return fmt.Errorf("%w: keyName is required", ErrInvalid)
	}
	if k.Locale == "" {
		k.Locale = "en-US"
	}
	if k.Locale != "en-US" && k.Locale != "ja-JP" {
		return fmt.Errorf("%w: locale must be en-US or ja-JP", ErrInvalid)
	}
	if k.TimeZone == "" {
		k.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(k.TimeZone); err != nil {
		return fmt.Errorf("%w: timeZone %q is not an IANA time zone", ErrInvalid, k.TimeZone)
	}
	if _, err := s.store.Role(ctx, k.RoleID); err != nil {
		return fmt.Errorf("%w: roleID %d does not exist", ErrInvalid, k.RoleID)
	}
	return nil
}

// Key returns one API key.
func (s *Access) Key(ctx context.Context, p Principal, id int64) (APIKey, error) {
	if err := p.Authorize(ViewAPIKeys); err != nil {
		return APIKey{}, err
	}
	return s.store.APIKey(ctx, id)
}

// Keys lists the API keys a filter selects.
func (s *Access) Keys(ctx context.Context, p Principal, f search.Filter) ([]APIKey, error) {
	if err := p.Authorize(ViewAPIKeys); err != nil {
		return nil, err
	}
	return s.store.APIKeys(ctx, f)
}

// ModifyKey applies change to an API key and stores the result.
func (s *Access) ModifyKey(ctx context.Context, p Principal, id int64, change func(*APIKey)) (APIKey, error) {
	if err := p.Authorize(EditAPIKeys); err != nil {
		return APIKey{}, err
	}
	k, err := s.store.APIKey(ctx, id)
	if err != nil {
		return APIKey{}, err
	}
	change(&k)
	if err := s.validateKey(ctx, &k); err != nil {
		return APIKey{}, err
	}
	if err := s.store.UpdateAPIKey(ctx, k); err != nil {
		return APIKey{}, err
	}
	return k, nil
}

// CurrentKey returns the calling key itself; any key may read itself.
func (s *Access) CurrentKey(ctx context.Context, p Principal) (APIKey, error) {
	return s.store.APIKey(ctx, p.KeyID)
}

// DeleteKey removes an API key.
func (s *Access) DeleteKey(ctx context.Context, p Principal, id int64) error {
	if err := p.Authorize(DeleteAPIKeys); err != nil {
		return err
	}
	return s.store.DeleteAPIKey(ctx, id)
}

// RotateKey gives a key a new secret; the old one fails at once. A key may
// always rotate its own secret (the "current" calls).
func (s *Access) RotateKey(ctx context.Context, p Principal, id int64) (APIKey, string, error) {
	if p.KeyID != id {
		if err := p.Authorize(EditAPIKeys); err != nil {
			return APIKey{}, "", err
		}
	}
	k, err := s.store.APIKey(ctx, id)
	if err != nil {
		return APIKey{}, "", err
	}
	secret := newSecret(k.ID)
	k.SecretHash = hashHex(secret)
	if err := s.store.UpdateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

// Roles lists the roles a filter selects.
func (s *Access) Roles(ctx context.Context, p Principal, f search.Filter) ([]Role, error) {
	if err := p.Authorize(ViewRoles); err != nil {
		return nil, err
	}
	return s.store.Roles(ctx, f)
}

// Role returns one role.
func (s *Access) Role(ctx context.Context, p Principal, id int64) (Role, error) {
	if err := p.Authorize(ViewRoles); err != nil {
		return Role{}, err
	}
	return s.store.Role(ctx, id)
}

// CreateRole adds a custom role.
func (s *Access) CreateRole(ctx context.Context, p Principal, r Role) (Role, error) {
	if err := p.Authorize(CreateRoles); err != nil {
		return Role{}, err
	}
	if strings.TrimSpace(r.Name) == "" {
		return Role{}, fmt.Errorf("%w: name is required", ErrInvalid)
	}
	r.Immutable, r.Created = false, s.now().UTC()
	id, err := s.store.InsertRole(ctx, r)
	if err != nil {
		return Role{}, fmt.Errorf("creating role: %w", err)
	}
	return s.store.Role(ctx, id)
}

// ModifyRole applies change to a mutable role.
func (s *Access) ModifyRole(ctx context.Context, p Principal, id int64, change func(*Role)) (Role, error) {
	if err := p.Authorize(EditRoles); err != nil {
		return Role{}, err
	}
	r, err := s.store.Role(ctx, id)
	if err != nil {
		return Role{}, err
	}
	if r.Immutable {
		return Role{}, ErrImmutable
	}
	change(&r)
	r.ID, r.Immutable = id, false
	if strings.TrimSpace(r.Name) == "" {
		return Role{}, fmt.Errorf("%w: name is required", ErrInvalid)
	}
	if err := s.store.UpdateRole(ctx, r); err != nil {
		return Role{}, err
	}
	return r, nil
}

// DeleteRole removes a mutable role no key or administrator uses.
func (s *Access) DeleteRole(ctx context.Context, p Principal, id int64) error {
	if err := p.Authorize(DeleteRoles); err != nil {
		return err
	}
	r, err := s.store.Role(ctx, id)
	if err != nil {
		return err
	}
	if r.Immutable {
		return ErrImmutable
	}
	inUse, err := s.store.RoleInUse(ctx, id)
	if err != nil {
		return err
	}
	if inUse {
		return ErrRoleInUse
	}
	return s.store.DeleteRole(ctx, id)
}

// newSecret makes "<ID>:<base64 of 32 random bytes>".
func newSecret(id int64) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return strconv.FormatInt(id, 10) + ":" + base64.StdEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// effective is the role as enforced: an immutable role (Full Access) holds
// every right, including rights added after it was stored.
func effective(r Role) Role {
	if r.Immutable {
		r.Rights = FullRights()
	}
	return r
}
