package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/server"
)

// TestOpenRefusesWithoutSharedKey: on PostgreSQL the server refuses to
// start without the secret key every replica shares (it must never invent
// one), and refuses a --db that is not a PostgreSQL URL, a key given twice
// and a key that is not hex; none of these opens a database.
func TestOpenRefusesWithoutSharedKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// No database listens here: every case must be refused before
	// connecting.
	const db = "postgres://rampart@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	for _, c := range []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"no key", server.Config{DB: db}, "PostgreSQL needs the secret key"},
		{"missing key file", server.Config{DB: db, SecretKeyFile: filepath.Join(dir, "nope.key")}, "secret key file"},
		{"key not hex", server.Config{DB: db, SecretKey: "not-hex"}, "not hex"},
		{"key twice", server.Config{DB: db, SecretKey: strings.Repeat("ab", 32), SecretKeyFile: keyFile}, "not both"},
		{"not a postgres URL", server.Config{DB: "mysql://x", SecretKeyFile: keyFile}, "postgres:// URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.DataDir = filepath.Join(t.TempDir(), "data")
			srv, err := server.Open(context.Background(), c.cfg)
			if err == nil {
				srv.Close()
				t.Fatalf("Open succeeded, want a refusal containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open: %v, want it to contain %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(c.cfg.DataDir, "secret.key")); !os.IsNotExist(err) {
				t.Errorf("a key file was created in the data directory: %v", err)
			}
		})
	}
}
