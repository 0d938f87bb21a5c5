package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWorkloadListings checks `roles list`, `roles search` and `keys list`
// in every format against golden files.
func TestWorkloadListings(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	c.goldenFormats("roles-list", c.withCreds("roles", "list")...)
	c.goldenFormats("keys-list", c.withCreds("keys", "list")...)
	c.golden("roles-search-auditor.table", c.ok(c.withCreds("roles", "search", "--name", "Auditor")...).out)
	c.golden("roles-get-2.yaml", c.ok(c.withCreds("roles", "get", "2", "-o", "yaml")...).out)
	c.exit(ExitNotFound, c.withCreds("roles", "get", "99")...)
	c.exit(ExitUsage, c.withCreds("roles", "get", "two")...)
	c.exit(ExitUsage, c.withCreds("roles", "search", "--filter", `{"searchCriteria": [{"fieldName": "nope", "stringValue": "x"}]}`)...)
	r := c.ok(c.withCreds("roles", "search", "--filter", `{"searchCriteria": [{"fieldName": "immutable", "booleanTest": true}]}`, "-o", "json")...)
	if !strings.Contains(r.out, `"Full Access"`) || strings.Contains(r.out, `"Auditor"`) {
		t.Errorf("search on immutable: %s", r.out)
	}
	c.exit(ExitUsage, c.withCreds("keys", "list", "-o", "xml")...)
}

// TestKeys is seed 003 with the CLI: the first key from a username and
// password, then keys made, searched, rotated and deleted with it.
func TestKeys(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	keys := func(args ...string) []string { return c.withCreds(append([]string{"keys"}, args...)...) }

	// keys bootstrap: the password on standard input, the secret printed
	// once.
	r := c.run(c.env.AdminPassword+"\n", "keys", "bootstrap", "--url", c.env.URL, "--user", c.env.AdminUser, "--password-stdin", "-o", "json")
	if r.code != 0 {
		t.Fatalf("bootstrap: exit %d: %s", r.code, r.errOut)
	}
	var first struct {
		ID        int64  `json:"ID"`
		KeyName   string `json:"keyName"`
		RoleID    int64  `json:"roleID"`
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal([]byte(r.out), &first); err != nil || first.SecretKey == "" || first.KeyName != "First Key" || first.RoleID != 1 {
		t.Fatalf("bootstrap printed %s (%v)", r.out, err)
	}
	mustNotContain(t, r, c.env.AdminPassword)
	r = c.run(c.env.AdminPassword+"\n", "keys", "bootstrap", "--url", c.env.URL, "--user", c.env.AdminUser, "--password-stdin", "--name", "CI key")
	if r.code != 0 || !strings.Contains(r.out, "Secret key (shown only this once; store it now): ") || !secretRE.MatchString(r.out) {
		t.Fatalf("bootstrap (table): exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	c.golden("keys-bootstrap.table", r.out)
	// The password from the credentials file, the user from it too.
	c.ok(keys("bootstrap", "--name", "from the credentials file")...)
	if r := c.run("wrong\n", "keys", "bootstrap", "--url", c.env.URL, "--user", c.env.AdminUser, "--password-stdin"); r.code != ExitAuth {
		t.Errorf("a wrong password: exit %d, want %d (%s)", r.code, ExitAuth, r.errOut)
	}
	c.exit(ExitUsage, "keys", "bootstrap", "--url", c.env.URL, "--user", c.env.AdminUser) // no terminal to prompt on

	// The new key works, from the environment, without the credentials
	// file.
	c.setenv("RAMPART_URL", c.env.URL)
	c.setenv("RAMPART_API_KEY", first.SecretKey)
	r = c.ok("keys", "get", "current", "-o", "json")
	if !strings.Contains(r.out, `"keyName": "First Key"`) {
		t.Errorf("keys get current: %s", r.out)
	}
	c.setenv("RAMPART_API_KEY", "")

	// keys create with a role by name, expiring in two weeks (the seed's
	// key).
	r = c.ok(keys("create", "--name", "auditing", "--description", "Read-only access", "--role", "Auditor",
		"--locale", "en-US", "--time-zone", "Asia/Tokyo", "--expires-in", "14d", "-o", "yaml")...)
	c.golden("keys-create.yaml", r.out)
	c.exit(ExitNotFound, keys("create", "--name", "x", "--role", "No Such Role")...)
	c.exit(ExitUsage, keys("create", "--role", "2")...)
	c.exit(ExitUsage, keys("create", "--name", "x", "--expires-in", "soon")...)

	c.golden("keys-search.table", c.ok(keys("search", "--name", "audit%")...).out)
	r = c.ok(keys("search", "--role", "1", "--active", "true", "-o", "json")...)
	var found []map[string]any
	if err := json.Unmarshal([]byte(r.out), &found); err != nil || len(found) != 4 {
		t.Errorf("search on role 1: %d keys (%v), want 4:\n%s", len(found), err, r.out)
	}

	// rotate: a new secret, printed once; the old one fails with exit 4.
	id := strconv.FormatInt(first.ID, 10)
	r = c.ok(keys("rotate", id, "-o", "json")...)
	var rotated struct {
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal([]byte(r.out), &rotated); err != nil || rotated.SecretKey == "" || rotated.SecretKey == first.SecretKey {
		t.Fatalf("rotate printed %s", r.out)
	}
	c.setenv("RAMPART_API_KEY", first.SecretKey)
	r = c.exit(ExitAuth, "keys", "list")
	mustNotContain(t, r, first.SecretKey)
	c.setenv("RAMPART_API_KEY", rotated.SecretKey)
	c.ok("keys", "list")
	// rotate current: the calling key's own secret.
	r = c.ok("keys", "rotate", "current", "-o", "json")
	var own struct {
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal([]byte(r.out), &own); err != nil || own.SecretKey == "" || own.SecretKey == rotated.SecretKey {
		t.Fatalf("rotate current printed %s", r.out)
	}
	c.exit(ExitAuth, "keys", "list")
	c.setenv("RAMPART_API_KEY", own.SecretKey)
	c.ok("keys", "list")
	c.setenv("RAMPART_API_KEY", "")

	// delete, then it is not found.
	c.golden("keys-delete.txt", c.ok(keys("delete", id)...).out)
	c.exit(ExitNotFound, keys("get", id)...)
	c.exit(ExitNotFound, keys("delete", id)...)
	c.exit(ExitUsage, keys("delete", "nine")...)

	// An Auditor key may read but not create: 403 is exit 4.
	r = c.ok(keys("create", "--name", "reader", "--role", "2", "-o", "json")...)
	var reader struct {
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal([]byte(r.out), &reader); err != nil {
		t.Fatal(err)
	}
	c.setenv("RAMPART_API_KEY", reader.SecretKey)
	c.ok("keys", "list")
	c.exit(ExitAuth, "keys", "create", "--name", "nope")
}

// TestLoginLogout: `rampart login` saves the session owner-only, the keys
// and roles commands use it, `rampart logout` ends it.
func TestLoginLogout(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	c.ok("config", "set-context", "lab", "--url", c.env.URL, "--user", c.env.AdminUser, "--use")
	c.exit(ExitUsage, "keys", "list") // no credentials yet
	if r := c.run("wrong\n", "login", "--password-stdin"); r.code != ExitAuth {
		t.Fatalf("login with a wrong password: exit %d (%s)", r.code, r.errOut)
	}
	r := c.run(c.env.AdminPassword+"\n", "login", "--password-stdin")
	if r.code != 0 {
		t.Fatalf("login: exit %d: %s", r.code, r.errOut)
	}
	c.golden("login.txt", r.out)
	path := filepath.Join(c.home, "xdg", "rampart", "sessions.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json: %v, mode %v; want 0600", err, fi.Mode())
	}
	data, _ := os.ReadFile(path)
	var saved map[string]storedSession
	if err := json.Unmarshal(data, &saved); err != nil || saved["lab"].SID == "" || saved["lab"].RID == "" {
		t.Fatalf("sessions.json holds %s (%v)", data, err)
	}
	c.ok("keys", "list")
	c.ok("roles", "list")
	r = c.ok("config", "view", "--resolved")
	if !strings.Contains(r.out, "session:") {
		t.Errorf("config view --resolved does not show the session:\n%s", r.out)
	}
	mustNotContain(t, r, saved["lab"].SID, saved["lab"].RID)
	// Network Security takes no session.
	c.exit(ExitUsage, "appliances", "list")

	c.golden("logout.txt", c.ok("logout").out)
	c.exit(ExitUsage, "keys", "list")
	// The session is signed out on the server too.
	resp := c.env.WS("GET", "/api/apikeys", "", "Cookie", "sID="+saved["lab"].SID, "rID", saved["lab"].RID)
	if resp.Status != 401 {
		t.Errorf("the session still works after logout: %d", resp.Status)
	}
	if r := c.ok("logout"); !strings.Contains(r.out, "No session") {
		t.Errorf("a second logout: %s", r.out)
	}
}
