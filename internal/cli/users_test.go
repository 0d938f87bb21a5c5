package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// runIn runs the CLI with stdin.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestUsers drives `rampart users` on the data directory of a running
// server and signs in through POST /api/sessions after each change.
func TestUsers(t *testing.T) {
	env := servertest.Start(t)
	dir := env.DataDir
	signIn := func(user, password string) int {
		body := `{"userName": "` + user + `", "password": "` + password + `"}`
		return env.WS("POST", "/api/sessions", body).Status
	}

	if code, out, errOut := runIn(t, "correct horse battery\n", "users", "add", "--data-dir", dir, "--role", "2", "auditor1"); code != 0 || !strings.Contains(out, "auditor1 added") {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}
	if got := signIn("auditor1", "correct horse battery"); got != 200 {
		t.Fatalf("sign-in after add: %d", got)
	}
	code, out, _ := runIn(t, "", "users", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "auditor1") || !strings.Contains(out, env.AdminUser) || strings.Contains(out, "correct horse") {
		t.Fatalf("users list (%d):\n%s", code, out)
	}

	// Five wrong passwords lock the account; the right one is then refused.
	for i := 0; i < 5; i++ {
		if got := signIn("auditor1", "wrong password"); got != 401 {
			t.Fatalf("wrong password %d: %d", i, got)
		}
	}
	if got := signIn("auditor1", "correct horse battery"); got != 401 {
		t.Fatalf("locked account signed in: %d", got)
	}
	if code, _, errOut := runIn(t, "", "users", "unlock", "--data-dir", dir, "auditor1"); code != 0 {
		t.Fatalf("users unlock: %d %s", code, errOut)
	}
	if got := signIn("auditor1", "correct horse battery"); got != 200 {
		t.Fatalf("sign-in after unlock: %d", got)
	}

	if code, _, errOut := runIn(t, "a new passphrase\n", "users", "passwd", "--data-dir", dir, "auditor1"); code != 0 {
		t.Fatalf("users passwd: %d %s", code, errOut)
	}
	if got := signIn("auditor1", "correct horse battery"); got != 401 {
		t.Fatalf("old password still works: %d", got)
	}
	if got := signIn("auditor1", "a new passphrase"); got != 200 {
		t.Fatalf("new password refused: %d", got)
	}

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"short password", "short\n", []string{"users", "add", "--data-dir", dir, "bob"}, ExitUsage},
		{"duplicate user", "long enough pw\n", []string{"users", "add", "--data-dir", dir, "auditor1"}, ExitFailure},
		{"unknown role", "long enough pw\n", []string{"users", "add", "--data-dir", dir, "--role", "99", "carol"}, ExitUsage},
		{"unknown user", "", []string{"users", "unlock", "--data-dir", dir, "nobody"}, ExitNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errOut := runIn(t, tt.stdin, tt.args...); code != tt.code {
				t.Fatalf("exit %d, want %d (%s)", code, tt.code, errOut)
			}
		})
	}
}
