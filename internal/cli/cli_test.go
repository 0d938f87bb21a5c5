package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

var (
	idLine  = regexp.MustCompile(`Application ID: ([0-9A-F-]{36})`)
	keyLine = regexp.MustCompile(`API key:\s+([0-9A-F-]{36})`)
)

// TestApps drives `rampart apps` against the data directory of a running
// server and checks each change through a signed Apex Central call.
func TestApps(t *testing.T) {
	env := servertest.Start(t)
	dir := env.DataDir
	call := func(id, key string) int {
		r := env.Call("GET", "/WebApp/API/ServerResource/ProductServers", "", servertest.Token{AppID: id, Key: key})
		return r.ResultCode
	}
	// eventually polls a call for at most 5 s: the server reuses an opened
	// application for up to identity.CacheTTL after another process changes it.
	eventually := func(want int, id, key string) {
		t.Helper()
		got := 0
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = call(id, key); got == want {
				return
			}
		}
		t.Fatalf("result_code %d, want %d", got, want)
	}

	code, out, errOut := run(t, "apps", "add", "--data-dir", dir, "--name", "SOAR", "--timeout", "30")
	if code != 0 {
		t.Fatalf("apps add: %d %s", code, errOut)
	}
	id, key := idLine.FindStringSubmatch(out), keyLine.FindStringSubmatch(out)
	if id == nil || key == nil {
		t.Fatalf("apps add printed no ID and key:\n%s", out)
	}
	if got := call(id[1], key[1]); got != 1 {
		t.Fatalf("new application: result_code %d", got)
	}

	code, out, _ = run(t, "apps", "list", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, id[1]) || !strings.Contains(out, "SOAR") || strings.Contains(out, key[1]) {
		t.Fatalf("apps list (%d) must show the app and never its key:\n%s", code, out)
	}

	if code, _, errOut := run(t, "apps", "disable", "--data-dir", dir, id[1]); code != 0 {
		t.Fatalf("apps disable: %d %s", code, errOut)
	}
	eventually(-5, id[1], key[1])
	if code, _, errOut := run(t, "apps", "enable", "--data-dir", dir, id[1]); code != 0 {
		t.Fatalf("apps enable: %d %s", code, errOut)
	}
	eventually(1, id[1], key[1])

	code, out, _ = run(t, "apps", "rotate-key", "--data-dir", dir, id[1])
	newKey := keyLine.FindStringSubmatch(out)
	if code != 0 || newKey == nil || newKey[1] == key[1] {
		t.Fatalf("apps rotate-key (%d):\n%s", code, out)
	}
	eventually(-7, id[1], key[1])
	eventually(1, id[1], newKey[1])

	if code, _, errOut := run(t, "apps", "remove", "--data-dir", dir, id[1]); code != 0 {
		t.Fatalf("apps remove: %d %s", code, errOut)
	}
	eventually(-5, id[1], newKey[1])

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unknown app", []string{"apps", "disable", "--data-dir", dir, "NO-SUCH-APP"}, ExitNotFound},
		{"bad time-out", []string{"apps", "add", "--data-dir", dir, "--name", "x", "--timeout", "7"}, ExitUsage},
		{"no name", []string{"apps", "add", "--data-dir", dir}, ExitUsage},
		{"unknown command", []string{"nope"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, errOut := run(t, tt.args...); code != tt.code {
				t.Fatalf("exit %d, want %d (%s)", code, tt.code, errOut)
			}
		})
	}
}

// TestServeDemoRestart runs `rampart serve --demo` twice on one data
// directory: the second start keeps the state and the credentials.
func TestServeDemoRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

	serve := func() (stop func() string) {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Main(ctx, []string{"serve", "--demo", "--data-dir", dir, "--listen", addr, "--agent-interval", "100ms"}, strings.NewReader(""), &out, &errOut)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := client.Get("https://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("not healthy: %v\n%s", err, errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return func() string {
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("serve exited %d: %s", code, errOut.String())
			}
			return out.String()
		}
	}

	stop := serve()
	out := stop()
	credPath := filepath.Join(dir, "credentials.json")
	if !strings.Contains(out, credPath) || !strings.Contains(out, "https://"+addr) {
		t.Fatalf("serve output lacks the credentials path or URL:\n%s", out)
	}
	info, err := os.Stat(credPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("credentials.json: %v %v", info, err)
	}
	first, _ := os.ReadFile(credPath)
	var creds map[string]string
	if err := json.Unmarshal(first, &creds); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "apex_application_id", "apex_api_key"} {
		if creds[k] == "" {
			t.Fatalf("credentials.json lacks %s: %s", k, first)
		}
	}
	if strings.Contains(out, creds["apex_api_key"]) {
		t.Fatal("serve printed the API key")
	}
	for _, f := range []string{"secret.key", "agent.token", "tls.key"} {
		if info, err := os.Stat(filepath.Join(dir, f)); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, info, err)
		}
	}

	stop = serve()
	stop()
	second, _ := os.ReadFile(credPath)
	if !bytes.Equal(first, second) {
		t.Fatalf("credentials changed on restart:\n%s\n%s", first, second)
	}
	code, listed, _ := run(t, "apps", "list", "--data-dir", dir)
	if code != 0 || strings.Count(listed, "Rampart demo") != 1 {
		t.Fatalf("want exactly one demo application after a restart:\n%s", listed)
	}
	code, agents, _ := run(t, "fleet", "agents", "--data-dir", dir)
	if code != 0 || strings.Count(agents, "client0") != 3 || !strings.Contains(agents, "host8") {
		t.Fatalf("fleet after restart:\n%s", agents)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
