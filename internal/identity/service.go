package identity

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Sealer encrypts secrets that Rampart must read back (API keys used as
// HMAC keys) before they reach the store.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// SealedApplication is an Application as the store keeps it: the API key
// only in sealed form.
type SealedApplication struct {
	ID        string
	Name      string
	SealedKey []byte
	Enabled   bool
	Timeout   time.Duration
	CreatedAt time.Time
}

// Store is what identity needs from storage. Every method returns
// ErrNotFound (wrapped or not) when the application does not exist.
type Store interface {
	CreateApplication(ctx context.Context, app SealedApplication) error
	Application(ctx context.Context, id string) (SealedApplication, error)
	Applications(ctx context.Context) ([]SealedApplication, error)
	UpdateApplication(ctx context.Context, app SealedApplication) error
	DeleteApplication(ctx context.Context, id string) error
}

// Service manages applications. Its zero value is not usable: build it with
// NewService.
type Service struct {
	store  Store
	sealer Sealer
	now    func() time.Time
	newID  func() string
	cache  appCache
}

// NewService returns a Service over store that seals keys with sealer.
// now and newID may be nil for the real clock and random GUIDs.
func NewService(store Store, sealer Sealer, now func() time.Time, newID func() string) *Service {
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = func() string { return strings.ToUpper(uuid.NewString()) }
	}
	return &Service{store: store, sealer: sealer, now: now, newID: newID}
}

// Add creates an application with a fresh ID and API key and returns it
// with the key in plaintext: the only time a caller sees it.
func (s *Service) Add(ctx context.Context, name string, timeout time.Duration, enabled bool) (Application, error) {
	return s.create(ctx, s.newID(), newAPIKey(), name, timeout, enabled)
}

// create validates, seals and stores a new application with the given
// credentials; Add and AddWithCredentials differ only in where those come
// from.
func (s *Service) create(ctx context.Context, id, apiKey, name string, timeout time.Duration, enabled bool) (Application, error) {
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if err := validate(name, timeout); err != nil {
		return Application{}, err
	}
	app := Application{
		ID: id, Name: strings.TrimSpace(name), APIKey: apiKey,
		Enabled: enabled, Timeout: timeout, CreatedAt: s.now().UTC().Truncate(time.Millisecond),
	}
	sealed, err := s.seal(app)
	if err != nil {
		return Application{}, err
	}
	if err := s.store.CreateApplication(ctx, sealed); err != nil {
		return Application{}, fmt.Errorf("creating application: %w", err)
	}
	return app, nil
}

// Get returns the application with its API key opened, for verifying a
// request's signature. It may answer from a cache (see CacheTTL).
func (s *Service) Get(ctx context.Context, id string) (Application, error) {
	id = normID(id)
	now := time.Now()
	if app, ok := s.cache.get(id, now); ok {
		return app, nil
	}
	sealed, err := s.store.Application(ctx, id)
	if err != nil {
		return Application{}, fmt.Errorf("reading application %s: %w", id, err)
	}
	app, err := s.open(sealed)
	if err != nil {
		return Application{}, err
	}
	s.cache.put(app, now)
	return app, nil
}

// List returns every application without its API key, oldest first.
func (s *Service) List(ctx context.Context) ([]Application, error) {
	sealed, err := s.store.Applications(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	apps := make([]Application, len(sealed))
	for i, a := range sealed {
		apps[i] = Application{ID: a.ID, Name: a.Name, Enabled: a.Enabled, Timeout: a.Timeout, CreatedAt: a.CreatedAt}
	}
	return apps, nil
}

// SetEnabled turns the application's access on or off.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool) error {
	id = normID(id)
	sealed, err := s.store.Application(ctx, id)
	if err != nil {
		return fmt.Errorf("reading application %s: %w", id, err)
	}
	sealed.Enabled = enabled
	defer s.cache.drop(id)
	if err := s.store.UpdateApplication(ctx, sealed); err != nil {
		return fmt.Errorf("updating application %s: %w", id, err)
	}
	return nil
}

// Update changes the application's name and time-out.
func (s *Service) Update(ctx context.Context, id, name string, timeout time.Duration) error {
	id = normID(id)
	if err := validate(name, timeout); err != nil {
		return err
	}
	sealed, err := s.store.Application(ctx, id)
	if err != nil {
		return fmt.Errorf("reading application %s: %w", id, err)
	}
	sealed.Name, sealed.Timeout = strings.TrimSpace(name), timeout
	defer s.cache.drop(id)
	if err := s.store.UpdateApplication(ctx, sealed); err != nil {
		return fmt.Errorf("updating application %s: %w", id, err)
	}
	return nil
}

// RotateKey gives the application a new API key; the old one stops working
// at once. The new key is returned in plaintext, once.
func (s *Service) RotateKey(ctx context.Context, id string) (Application, error) {
	id = normID(id)
	// Read the store, not the cache: a copy cached before another process
	// (the CLI) changed the application would be written back over it.
	current, err := s.store.Application(ctx, id)
	if err != nil {
		return Application{}, fmt.Errorf("reading application %s: %w", id, err)
	}
	app, err := s.open(current)
	if err != nil {
		return Application{}, err
	}
	app.APIKey = newAPIKey()
	sealed, err := s.seal(app)
	if err != nil {
		return Application{}, err
	}
	defer s.cache.drop(app.ID)
	if err := s.store.UpdateApplication(ctx, sealed); err != nil {
		return Application{}, fmt.Errorf("updating application %s: %w", id, err)
	}
	return app, nil
}

// Remove deletes the application.
func (s *Service) Remove(ctx context.Context, id string) error {
	id = normID(id)
	defer s.cache.drop(id)
	if err := s.store.DeleteApplication(ctx, id); err != nil {
		return fmt.Errorf("removing application %s: %w", id, err)
	}
	return nil
}

func (s *Service) seal(app Application) (SealedApplication, error) {
	key, err := s.sealer.Seal([]byte(app.APIKey))
	if err != nil {
		return SealedApplication{}, fmt.Errorf("sealing API key: %w", err)
	}
	return SealedApplication{ID: app.ID, Name: app.Name, SealedKey: key, Enabled: app.Enabled, Timeout: app.Timeout, CreatedAt: app.CreatedAt}, nil
}

func (s *Service) open(a SealedApplication) (Application, error) {
	key, err := s.sealer.Open(a.SealedKey)
	if err != nil {
		return Application{}, fmt.Errorf("opening API key of application %s: %w", a.ID, err)
	}
	return Application{ID: a.ID, Name: a.Name, APIKey: string(key), Enabled: a.Enabled, Timeout: a.Timeout, CreatedAt: a.CreatedAt}, nil
}

// newAPIKey returns a key in the console's format: an upper-case GUID made
// of 122 random bits.
func newAPIKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err)) // crypto/rand never fails on Linux
	}
	u, _ := uuid.FromBytes(b[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return strings.ToUpper(u.String())
}

// normID puts an application ID in its stored form. IDs are upper-case
// GUIDs; the vendor's database compares them case-insensitively, so a
// client's (or an operator's) lower-case copy still names the application.
func normID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }
