package identity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/sealing"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
)

// guid is the console's format for application IDs and API keys: an
// upper-case, version-4 GUID.
var guid = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

var t0 = time.Date(2024, 3, 4, 10, 0, 0, 123_456_789, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ids hands out upper-case GUIDs ...0001, ...0002, in order.
type ids struct {
	mu sync.Mutex
	n  int
}

func (s *ids) Next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("5A2B1C3D-0000-4000-8000-%012d", s.n)
}

type env struct {
	svc   *identity.Service
	store identity.Store
	box   *sealing.Box
	clock *clock
	dir   string
}

func newBox(t *testing.T, b byte) *sealing.Box {
	t.Helper()
	box, err := sealing.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatalf("sealing.New: %v", err)
	}
	return box
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: t0}
	box := newBox(t, 7)
	return &env{svc: identity.NewService(st, box, clk.Now, (&ids{}).Next), store: st, box: box, clock: clk, dir: dir}
}

func (e *env) add(t *testing.T, name string) identity.Application {
	t.Helper()
	app, err := e.svc.Add(context.Background(), name, 0, true)
	if err != nil {
		t.Fatalf("Add(%q): %v", name, err)
	}
	return app
}

func TestAddValidates(t *testing.T) {
	tests := []struct {
		name    string
		appName string
		timeout time.Duration
		wantErr bool
		wantTO  time.Duration
	}{
		{"default time-out", "app", 0, false, identity.DefaultTimeout},
		{"empty name", "", 0, true, 0},
		{"blank name", " \t ", 0, true, 0},
		{"128 characters", strings.Repeat("a", 128), 0, false, identity.DefaultTimeout},
		{"129 characters", strings.Repeat("a", 129), 0, true, 0},
		{"128 characters of two bytes", strings.Repeat("é", 128), 0, false, identity.DefaultTimeout},
		{"128 characters between blanks", "  " + strings.Repeat("a", 128) + "  ", 0, false, identity.DefaultTimeout},
		{"time-out not offered", "app", 7 * time.Second, true, 0},
		{"time-out 61s", "app", 61 * time.Second, true, 0},
		{"negative time-out", "app", -60 * time.Second, true, 0},
		{"time-out in milliseconds", "app", 60*time.Second + time.Millisecond, true, 0},
		{"time-out above the largest", "app", 7200 * time.Second, true, 0},
	}
	for _, c := range identity.TimeoutChoices {
		tests = append(tests, struct {
			name    string
			appName string
			timeout time.Duration
			wantErr bool
			wantTO  time.Duration
		}{fmt.Sprintf("time-out %s", c), "app", c, false, c})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			app, err := e.svc.Add(ctx, tt.appName, tt.timeout, true)
			if tt.wantErr {
				if !errors.Is(err, identity.ErrInvalid) {
					t.Fatalf("Add: err = %v, want ErrInvalid", err)
				}
				if apps, err := e.svc.List(ctx); err != nil || len(apps) != 0 {
					t.Errorf("after a refused Add: %d applications, %v; want none", len(apps), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if app.Timeout != tt.wantTO {
				t.Errorf("Timeout = %s, want %s", app.Timeout, tt.wantTO)
			}
			if app.Name != strings.TrimSpace(tt.appName) {
				t.Errorf("Name = %q, want %q", app.Name, strings.TrimSpace(tt.appName))
			}
		})
	}
}

func TestAdd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app, err := e.svc.Add(ctx, "  SOAR connector ", 300*time.Second, false)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if !guid.MatchString(app.APIKey) {
		t.Errorf("APIKey %q is not an upper-case GUID", app.APIKey)
	}
	want := identity.Application{ID: "5A2B1C3D-0000-4000-8000-000000000001", Name: "SOAR connector", APIKey: app.APIKey,
		Enabled: false, Timeout: 300 * time.Second, CreatedAt: t0.Truncate(time.Millisecond)}
	if d := cmp.Diff(want, app); d != "" {
		t.Errorf("Add (-want +got):\n%s", d)
	}
	got, err := e.svc.Get(ctx, app.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Get (-want +got):\n%s", d)
	}

	// Every application gets its own key.
	keys := map[string]bool{app.APIKey: true}
	for i := range 20 {
		a := e.add(t, fmt.Sprintf("app %d", i))
		if !guid.MatchString(a.APIKey) {
			t.Errorf("APIKey %q is not an upper-case GUID", a.APIKey)
		}
		if keys[a.APIKey] {
			t.Errorf("APIKey %s handed out twice", a.APIKey)
		}
		keys[a.APIKey] = true
	}
}

func TestDefaultIDsAreGUIDs(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	svc := identity.NewService(st, newBox(t, 1), nil, nil)
	seen := map[string]bool{}
	for range 5 {
		app, err := svc.Add(ctx, "app", 0, true)
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		if !guid.MatchString(app.ID) {
			t.Errorf("ID %q is not an upper-case GUID", app.ID)
		}
		if seen[app.ID] {
			t.Errorf("ID %s handed out twice", app.ID)
		}
		seen[app.ID] = true
		if time.Since(app.CreatedAt) > time.Hour || app.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want about now in UTC", app.CreatedAt)
		}
	}
}

// TestKeysSealedAtRest: the store never holds an API key in plaintext.
func TestKeysSealedAtRest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	check := func(key string) {
		t.Helper()
		sealed, err := e.store.Application(ctx, app.ID)
		if err != nil {
			t.Fatalf("store.Application: %v", err)
		}
		for _, form := range []string{key, strings.ToLower(key), strings.ReplaceAll(key, "-", "")} {
			if bytes.Contains(sealed.SealedKey, []byte(form)) {
				t.Errorf("the sealed key holds the plaintext key %q", form)
			}
		}
		if len(sealed.SealedKey) <= len(key) {
			t.Errorf("sealed key is %d bytes, no longer than the %d-byte key", len(sealed.SealedKey), len(key))
		}
		opened, err := e.box.Open(sealed.SealedKey)
		if err != nil || string(opened) != key {
			t.Errorf("opening the sealed key = %q, %v; want %q", opened, err, key)
		}
	}
	check(app.APIKey)
	rotated, err := e.svc.RotateKey(ctx, app.ID)
	if err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	check(rotated.APIKey)
}

func TestGetWithAnotherSealingKeyFails(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	other := identity.NewService(e.store, newBox(t, 8), e.clock.Now, nil)
	_, err := other.Get(ctx, app.ID)
	if err == nil {
		t.Fatal("Get with another sealing key succeeded")
	}
	if errors.Is(err, identity.ErrNotFound) {
		t.Errorf("Get with another sealing key: err = %v, want an error that is not ErrNotFound", err)
	}
}

func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	e.add(t, "bystander")
	before, err := e.svc.Get(ctx, "5A2B1C3D-0000-4000-8000-000000000002")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if _, err := e.svc.Get(ctx, app.ID); err != nil { // cached now, with the old key
		t.Fatalf("Get: %v", err)
	}

	rotated, err := e.svc.RotateKey(ctx, app.ID)
	if err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	if rotated.APIKey == app.APIKey || !guid.MatchString(rotated.APIKey) {
		t.Errorf("rotated key = %q (was %q), want a new upper-case GUID", rotated.APIKey, app.APIKey)
	}
	want := app
	want.APIKey = rotated.APIKey
	if d := cmp.Diff(want, rotated); d != "" {
		t.Errorf("RotateKey (-want +got):\n%s", d)
	}
	got, err := e.svc.Get(ctx, app.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Get after rotation (-want +got):\n%s", d)
	}
	// Other applications keep their keys.
	after, err := e.svc.Get(ctx, before.ID)
	if err != nil || after.APIKey != before.APIKey {
		t.Errorf("bystander's key changed: %q → %q, %v", before.APIKey, after.APIKey, err)
	}

	if _, err := e.svc.RotateKey(ctx, "5A2B1C3D-0000-4000-8000-00000000FFFF"); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("RotateKey of a missing application: err = %v, want ErrNotFound", err)
	}
}

func TestSetEnabled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	for _, enabled := range []bool{false, false, true} {
		if err := e.svc.SetEnabled(ctx, app.ID, enabled); err != nil {
			t.Fatalf("SetEnabled(%v): %v", enabled, err)
		}
		got, err := e.svc.Get(ctx, app.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := app
		want.Enabled = enabled
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after SetEnabled(%v) (-want +got):\n%s", enabled, d)
		}
	}
	if err := e.svc.SetEnabled(ctx, "5A2B1C3D-0000-4000-8000-00000000FFFF", true); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("SetEnabled of a missing application: err = %v, want ErrNotFound", err)
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	tests := []struct {
		name    string
		newName string
		timeout time.Duration
		wantErr error
	}{
		{"rename and time-out", "  renamed ", 1800 * time.Second, nil},
		{"empty name", "", 60 * time.Second, identity.ErrInvalid},
		{"time-out not offered", "renamed again", 42 * time.Second, identity.ErrInvalid},
		{"zero time-out is not the default here", "renamed again", 0, identity.ErrInvalid},
		{"name too long", strings.Repeat("x", 129), 60 * time.Second, identity.ErrInvalid},
	}
	want := app
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.svc.Update(ctx, app.ID, tt.newName, tt.timeout)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Update: err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				want.Name, want.Timeout = strings.TrimSpace(tt.newName), tt.timeout
			}
			got, err := e.svc.Get(ctx, app.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("after Update (-want +got):\n%s", d)
			}
		})
	}
	if err := e.svc.Update(ctx, "5A2B1C3D-0000-4000-8000-00000000FFFF", "x", 60*time.Second); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("Update of a missing application: err = %v, want ErrNotFound", err)
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	keep := e.add(t, "keep")
	if _, err := e.svc.Get(ctx, app.ID); err != nil { // may be cached now
		t.Fatalf("Get: %v", err)
	}
	if err := e.svc.Remove(ctx, app.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := e.svc.Get(ctx, app.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("Get after Remove: err = %v, want ErrNotFound", err)
	}
	if err := e.svc.Remove(ctx, app.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("second Remove: err = %v, want ErrNotFound", err)
	}
	apps, err := e.svc.List(ctx)
	if err != nil || len(apps) != 1 || apps[0].ID != keep.ID {
		t.Errorf("List after Remove = %+v, %v; want only %s", apps, err, keep.ID)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if apps, err := e.svc.List(ctx); err != nil || len(apps) != 0 {
		t.Fatalf("List of none = %+v, %v", apps, err)
	}
	var want []identity.Application
	for i, to := range []time.Duration{5 * time.Second, 3600 * time.Second, 0} {
		app, err := e.svc.Add(ctx, fmt.Sprintf("app %d", i), to, i%2 == 0)
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		app.APIKey = ""
		want = append(want, app)
		e.clock.Advance(time.Second)
	}
	got, err := e.svc.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
	for _, a := range got {
		if a.APIKey != "" {
			t.Errorf("List carries the key of %s", a.ID)
		}
	}
}

func TestNotFoundWraps(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const missing = "5A2B1C3D-0000-4000-8000-00000000FFFF"
	calls := map[string]func() error{
		"Get":        func() error { _, err := e.svc.Get(ctx, missing); return err },
		"SetEnabled": func() error { return e.svc.SetEnabled(ctx, missing, true) },
		"Update":     func() error { return e.svc.Update(ctx, missing, "x", time.Minute) },
		"RotateKey":  func() error { _, err := e.svc.RotateKey(ctx, missing); return err },
		"Remove":     func() error { return e.svc.Remove(ctx, missing) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			continue
		}
		if err == identity.ErrNotFound || !strings.Contains(err.Error(), missing) {
			t.Errorf("%s: err = %q, want ErrNotFound wrapped with the ID", name, err)
		}
	}
}

// TestTwoServicesOneStore is the CLI beside a running server: each has its
// own Service over the same data. A change made through one must not be
// undone by the other acting on what it read earlier.
func TestTwoServicesOneStore(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.add(t, "app")
	st, err := sqlite.Open(ctx, e.dir)
	if err != nil {
		t.Fatalf("opening a second store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	cli := identity.NewService(st, e.box, e.clock.Now, nil)

	if _, err := e.svc.Get(ctx, app.ID); err != nil { // the server verifies a request
		t.Fatalf("Get: %v", err)
	}
	if err := cli.SetEnabled(ctx, app.ID, false); err != nil { // the operator disables the application
		t.Fatalf("SetEnabled: %v", err)
	}
	if _, err := e.svc.RotateKey(ctx, app.ID); err != nil { // and the server rotates its key
		t.Fatalf("RotateKey: %v", err)
	}
	sealed, err := e.store.Application(ctx, app.ID)
	if err != nil {
		t.Fatalf("store.Application: %v", err)
	}
	if sealed.Enabled {
		t.Error("RotateKey re-enabled an application disabled by another process (it wrote back a cached copy)")
	}
}
