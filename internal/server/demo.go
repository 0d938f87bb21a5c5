package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
)

// PrepareDemo loads the demo fleet into an empty store and, the first time,
// creates an application and writes credentials.json (mode 0600). On a
// data directory that already holds state it only refreshes the URL in
// credentials.json. It returns the credentials file's path.
func (s *Server) PrepareDemo(ctx context.Context) (string, error) {
	servers, err := s.Fleet.Servers(ctx, fleet.ServerFilter{})
	if err != nil {
		return "", err
	}
	if len(servers) == 0 {
		if err := demo.Load(ctx, s.Fleet); err != nil {
			return "", err
		}
	}
	if all, err := s.Appliances.List(ctx); err != nil {
		return "", err
	} else if len(all) == 0 {
		for _, a := range demo.Appliances() {
			if err := s.Appliances.Add(ctx, a); err != nil {
				return "", fmt.Errorf("loading demo appliances: %w", err)
			}
		}
	}
	path := filepath.Join(s.cfg.DataDir, credentialsFile)
	creds := map[string]any{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		app, err := s.Apps.Add(ctx, "Rampart demo", 0, true)
		if err != nil {
			return "", fmt.Errorf("creating demo application: %w", err)
		}
		creds["apex_application_id"], creds["apex_api_key"] = app.ID, app.APIKey
		if err := s.demoIdentity(ctx, creds); err != nil {
			return "", err
		}
	case err != nil:
		return "", fmt.Errorf("reading %s: %w", path, err)
	default:
		if err := json.Unmarshal(data, &creds); err != nil {
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
	}
	creds["url"] = s.URL()
	if s.tlsCert != nil {
		creds["tls_sha256_fingerprint"] = Fingerprint(s.tlsCert.Certificate[0])
	}
	out, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding credentials: %w", err)
	}
	if err := writeFile(path, append(out, '\n'), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// demoIdentity creates the demo administrator and a Full Access API key
// and records their secrets in creds.
func (s *Server) demoIdentity(ctx context.Context, creds map[string]any) error {
	password := randomPassword()
	if _, err := s.Access.AddAdmin(ctx, "administrator", password, identity.FullAccessRoleID); err != nil {
		return fmt.Errorf("creating demo administrator: %w", err)
	}
	full := identity.Principal{Role: identity.BuiltinRoles()[0]}
	_, secret, err := s.Access.CreateKey(ctx, full, identity.APIKey{KeyName: "Rampart demo", Description: "Created by rampart serve --demo",
		Active: true, RoleID: identity.FullAccessRoleID})
	if err != nil {
		return fmt.Errorf("creating demo API key: %w", err)
	}
	creds["admin_username"], creds["admin_password"], creds["api_secret_key"] = "administrator", password, secret
	return nil
}

// randomPassword returns 20 random characters from an unambiguous alphabet.
func randomPassword() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
