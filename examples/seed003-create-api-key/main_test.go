package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/workload"
	"github.com/rampart-sec/rampart/examples/internal/exampletest"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		name      string
		p         params
		noKey     bool // run without the API key (bootstrap by session)
		roleID    string
		signedOut bool
	}{
		{"with an API key, as the SDK example", params{role: "Auditor", name: "auditing", locale: "en-US", timeZone: "Asia/Tokyo", expiresIn: 14 * 24 * time.Hour}, false, "2", false},
		{"first key with a session, as the curl example", params{role: "Full Access", name: "First Key", bootstrap: true}, false, "1", true},
		{"no key at all bootstraps", params{role: "Auditor", name: "ci"}, true, "2", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := exampletest.Config(env)
			if tc.noKey {
				cfg.SecretKey = ""
			}
			tc.p.secretOut = filepath.Join(t.TempDir(), "key")
			var out bytes.Buffer
			if err := run(context.Background(), cfg, tc.p, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			data, err := os.ReadFile(tc.p.secretOut)
			if err != nil {
				t.Fatal(err)
			}
			secret := strings.TrimSpace(string(data))
			if !regexp.MustCompile(`^[0-9]+:[A-Za-z0-9+/]+=*$`).MatchString(secret) {
				t.Fatal("the secret file does not hold a secret of the form <ID>:<base64>")
			}
			if fi, err := os.Stat(tc.p.secretOut); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("secret file mode %v, %v; want 0600", fi.Mode(), err)
			}
			if strings.Contains(out.String(), secret) || strings.Contains(out.String(), env.AdminPassword) {
				t.Errorf("the output shows a secret:\n%s", out.String())
			}
			if !strings.Contains(out.String(), `"roleID": `+tc.roleID) || strings.Contains(out.String(), "secretKey") {
				t.Errorf("output:\n%s", out.String())
			}
			if got := strings.Contains(out.String(), "signed out"); got != tc.signedOut {
				t.Errorf("signed out %v, want %v:\n%s", got, tc.signedOut, out.String())
			}
			// The key works.
			c, err := workload.New(workload.Config{BaseURL: env.URL, APIKey: secret})
			if err != nil {
				t.Fatal(err)
			}
			if cur, err := c.CurrentAPIKey(context.Background()); err != nil || cur.KeyName != tc.p.name {
				t.Errorf("the new key: %+v, %v", cur, err)
			}
		})
	}
	if err := run(context.Background(), exampletest.Config(env), params{role: "Auditor", name: "x"}, &bytes.Buffer{}); err == nil {
		t.Error("run without -secret-out succeeded")
	}
}
