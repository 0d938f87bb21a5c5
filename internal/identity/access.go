package identity

import (
	"context"
	"errors"
	"time"

	"github.com/rampart-sec/rampart/internal/search"
)

// The errors of the Workload Security identity; the adapter maps each to
// its status and message.
var (
	ErrBadCredentials = errors.New("invalid username or password")
	ErrLocked         = errors.New("account locked")
	ErrMFARequired    = errors.New("a valid MFA code is required")
	ErrBadKey         = errors.New("invalid API key")
	ErrBadSession     = errors.New("invalid or expired session")
	ErrForbidden      = errors.New("not authorized")
	ErrImmutable      = errors.New("the role is immutable")
	ErrRoleInUse      = errors.New("the role is in use")
)

// Administrator is a person who signs in with a username and password.
type Administrator struct {
	ID           int64
	Username     string
	PasswordHash string
	RoleID       int64
	Failed       int
	LockedUntil  time.Time
	// TOTPSecret, when set, requires an RFC 6238 code at sign-in. It is
	// kept sealed in the store.
	TOTPSecret string
	Created    time.Time
}

// Session is a signed-in administrator's web-service session.
type Session struct {
	// IDHash is the SHA-256 of the sID cookie value; the cookie itself is
	// never stored.
	IDHash       string
	RID          string
	AdminID      int64
	Created      time.Time
	LastActivity time.Time
}

// APIKey is a Workload Security API key.
type APIKey struct {
	ID                         int64
	KeyName                    string
	Description                string
	Locale                     string
	RoleID                     int64
	TimeZone                   string
	Active                     bool
	Created                    time.Time
	LastSignIn                 time.Time
	UnlockTime                 time.Time
	UnsuccessfulSignInAttempts int
	ExpiryDate                 time.Time
	ServiceAccount             bool
	// SecretHash is the SHA-256 of the secret: the secret is random enough
	// that a fast hash is a sound verifier, and it is never stored.
	SecretHash string
}

// AccessStore is what the Workload Security identity needs from storage.
// Lookups of a missing row return ErrNotFound (possibly wrapped).
type AccessStore interface {
	InsertAdmin(ctx context.Context, a Administrator) (int64, error)
	AdminByName(ctx context.Context, username string) (Administrator, error)
	Admin(ctx context.Context, id int64) (Administrator, error)
	Admins(ctx context.Context) ([]Administrator, error)
	UpdateAdmin(ctx context.Context, a Administrator) error

	InsertSession(ctx context.Context, s Session) error
	Session(ctx context.Context, idHash string) (Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error

	EnsureRoles(ctx context.Context, roles []Role) error
	InsertRole(ctx context.Context, r Role) (int64, error)
	Role(ctx context.Context, id int64) (Role, error)
	Roles(ctx context.Context, f search.Filter) ([]Role, error)
	UpdateRole(ctx context.Context, r Role) error
	DeleteRole(ctx context.Context, id int64) error
	RoleInUse(ctx context.Context, id int64) (bool, error)

	// InsertAPIKey stores k and returns its new ID; secretFor is called
	// with that ID inside the same transaction to make the secret (whose
	// text starts with the ID) and its hash.
	InsertAPIKey(ctx context.Context, k APIKey, secretFor func(id int64) (hash string, err error)) (int64, error)
	APIKey(ctx context.Context, id int64) (APIKey, error)
	APIKeys(ctx context.Context, f search.Filter) ([]APIKey, error)
	UpdateAPIKey(ctx context.Context, k APIKey) error
	// RecordKeySignIn sets lastSignIn to at and clears the failure count
	// and lock, if the key's secret hash is still secretHash.
	RecordKeySignIn(ctx context.Context, id int64, secretHash string, at time.Time) error
	// RecordKeyFailure counts one failed sign-in atomically: a lock that is
	// over starts the count afresh; reaching maxFailed locks the key until
	// lockUntil.
	RecordKeyFailure(ctx context.Context, id int64, now time.Time, maxFailed int, lockUntil time.Time) error
	DeleteAPIKey(ctx context.Context, id int64) error
}

// RoleSchema and APIKeySchema are the fields SearchFilter may name.
var (
	RoleSchema = search.Schema{Resource: "roles", Fields: []search.Field{
		{Name: "ID", Type: search.ID}, {Name: "name", Type: search.String}, {Name: "description", Type: search.String},
		{Name: "immutable", Type: search.Boolean}, {Name: "allComputers", Type: search.Boolean},
		{Name: "allPolicies", Type: search.Boolean}, {Name: "allowUserInterface", Type: search.Boolean},
		{Name: "allowWebService", Type: search.Boolean},
	}}
	APIKeySchema = search.Schema{Resource: "apiKeys", Fields: []search.Field{
		{Name: "ID", Type: search.ID}, {Name: "keyName", Type: search.String}, {Name: "description", Type: search.String},
		{Name: "locale", Type: search.Choice, Choices: []string{"en-US", "ja-JP"}}, {Name: "roleID", Type: search.Number},
		{Name: "timeZone", Type: search.String}, {Name: "active", Type: search.Boolean}, {Name: "created", Type: search.Date},
		{Name: "lastSignIn", Type: search.Date, Nullable: true}, {Name: "unlockTime", Type: search.Date, Nullable: true},
		{Name: "unsuccessfulSignInAttempts", Type: search.Number}, {Name: "expiryDate", Type: search.Date, Nullable: true},
		{Name: "serviceAccount", Type: search.Boolean},
	}}
)
