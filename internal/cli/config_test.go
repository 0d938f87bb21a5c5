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
	"strings"
	"testing"
	"time"
)

// TestConfigContexts: set-context, use-context, get-contexts,
// current-context, delete-context and view, with every secret kept out of
// the output and the file owner-only.
func TestConfigContexts(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	path := filepath.Join(c.home, "xdg", "rampart", "config.yaml")

	c.exit(ExitNotFound, "config", "current-context")
	c.golden("config-set-context-demo.txt", c.ok("config", "set-context", "demo", "--from-credentials", c.creds, "--use").out)
	c.ok("servers", "list")
	c.ok("appliances", "list")
	c.ok("keys", "list")

	// A second context, its secrets from a command, an environment
	// variable and standard input.
	c.setenv("LAB_API_KEY", c.env.APISecret)
	keyFile := filepath.Join(c.home, "netsec.key")
	if err := os.WriteFile(keyFile, []byte(c.env.APISecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run(c.env.APIKey+"\n", "config", "set-context", "lab", "--url", "http://127.0.0.1:1", "--apex-url", c.env.URL,
		"--workload-url", c.env.URL, "--netsec-url", c.env.URL, "--app-id", c.env.AppID, "--app-key-stdin",
		"--api-key-env", "LAB_API_KEY", "--netsec-api-key-command", "cat "+keyFile, "--user", "administrator")
	if r.code != 0 {
		t.Fatalf("set-context lab: %d %s", r.code, r.errOut)
	}
	c.golden("config-get-contexts.table", c.ok("config", "get-contexts").out)
	c.golden("config-get-contexts.json", c.ok("config", "get-contexts", "-o", "json").out)
	c.golden("config-get-contexts.yaml", c.ok("config", "get-contexts", "-o", "yaml").out)

	// config view never shows a secret, in either format.
	for _, f := range []string{"yaml", "json"} {
		r := c.ok("config", "view", "-o", f)
		mustNotContain(t, r, c.env.APIKey, c.env.APISecret, c.env.AdminPassword)
		if !strings.Contains(r.out, redacted) || !strings.Contains(r.out, "LAB_API_KEY") {
			t.Errorf("config view -o %s:\n%s", f, r.out)
		}
		c.golden("config-view."+f, r.out)
		r = c.ok("config", "view", "--resolved", "-o", f, "--context", "lab")
		mustNotContain(t, r, c.env.APIKey, c.env.APISecret, c.env.AdminPassword)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v, want 0600", err, fi.Mode())
	}
	if data, _ := os.ReadFile(path); !bytes.Contains(data, []byte(c.env.APIKey)) {
		t.Errorf("the secret piped in is not stored:\n%s", data)
	}

	// The lab context works through its per-family URLs and its secret
	// sources; its own url is a dead port.
	c.ok("servers", "list", "--context", "lab")
	c.ok("keys", "list", "--context", "lab")
	c.ok("appliances", "list", "--context", "lab")
	c.setenv("RAMPART_CONTEXT", "lab")
	c.ok("appliances", "list")
	c.setenv("LAB_API_KEY", "")
	r = c.exit(ExitUsage, "keys", "list")
	if !strings.Contains(r.errOut, "LAB_API_KEY is empty") {
		t.Errorf("an empty variable: %s", r.errOut)
	}
	c.setenv("RAMPART_CONTEXT", "")

	c.exit(ExitNotFound, "config", "use-context", "nope")
	c.exit(ExitNotFound, "servers", "list", "--context", "nope")
	c.golden("config-use-context.txt", c.ok("config", "use-context", "lab").out)
	if r := c.ok("config", "current-context"); r.out != "lab\n" {
		t.Errorf("current-context: %q", r.out)
	}
	c.exit(ExitUsage, "config", "set-context", "bad", "--pin", "not-a-fingerprint")
	c.exit(ExitUsage, "config", "set-context", "bad", "--url", "ftp://x")
	c.exit(ExitUsage, "config", "set-context", "bad", "--api-key-env", "A", "--api-key-file", "/f")
	c.ok("config", "delete-context", "lab")
	c.exit(ExitNotFound, "config", "current-context")
	c.exit(ExitNotFound, "config", "delete-context", "lab")

	// A broken config file is a usage error, named.
	if err := os.WriteFile(path, []byte("contexts: [{name: a}, {name: a}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := c.exit(ExitUsage, "config", "get-contexts"); !strings.Contains(r.errOut, "appears twice") {
		t.Errorf("stderr: %s", r.errOut)
	}
}

// TestConfigPrecedence: a flag beats the environment, which beats the
// context; --config and RAMPART_CONFIG choose the file.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	const dead = "http://127.0.0.1:1"
	other := filepath.Join(c.home, "other.yaml")
	c.ok("config", "set-context", "ctx", "--config", other, "--url", dead, "--app-id", "ctx-app", "--pin", strings.Repeat("AB", 32), "--use")
	c.setenv("RAMPART_CONFIG", other)

	type view struct {
		ConfigFile string  `json:"config-file"`
		ApexURL    setting `json:"apex-url"`
		AppID      setting `json:"apex-application-id"`
		TLS        struct {
			Pin      []string `json:"pin"`
			Insecure bool     `json:"insecure"`
			From     string   `json:"from"`
		} `json:"tls"`
	}
	resolved := func(args ...string) view {
		t.Helper()
		r := c.ok(append([]string{"config", "view", "--resolved", "-o", "json"}, args...)...)
		var v view
		if err := json.Unmarshal([]byte(r.out), &v); err != nil {
			t.Fatalf("%v: %s", err, r.out)
		}
		return v
	}

	v := resolved()
	if v.ConfigFile != other || v.ApexURL != (setting{dead, `context "ctx"`}) || v.AppID.Value != "ctx-app" || v.TLS.From != `context "ctx"` {
		t.Errorf("from the context: %+v", v)
	}
	c.setenv("RAMPART_URL", c.env.URL)
	c.setenv("RAMPART_APP_ID", "env-app")
	c.setenv("RAMPART_INSECURE", "1")
	v = resolved()
	if v.ApexURL != (setting{c.env.URL, "env RAMPART_URL"}) || v.AppID != (setting{"env-app", "env RAMPART_APP_ID"}) ||
		!v.TLS.Insecure || len(v.TLS.Pin) != 0 || v.TLS.From != "environment" {
		t.Errorf("the environment over the context: %+v", v)
	}
	v = resolved("--url", dead, "--app-id", "flag-app", "--pin", strings.Repeat("CD", 32))
	if v.ApexURL != (setting{dead, "flag --url"}) || v.AppID != (setting{"flag-app", "flag --app-id"}) ||
		v.TLS.Insecure || len(v.TLS.Pin) != 1 || v.TLS.From != "flags" {
		t.Errorf("flags over the environment: %+v", v)
	}
	v = resolved("--apex-url", "http://apex.example")
	if v.ApexURL.Value != "http://apex.example" {
		t.Errorf("a family's flag: %+v", v)
	}
	c.setenv("RAMPART_INSECURE", "")

	// And for real: the environment's URL and credentials reach the
	// server although the context names a dead port; a flag's dead URL
	// wins over the environment's.
	c.setenv("RAMPART_APP_ID", c.env.AppID)
	c.setenv("RAMPART_APP_KEY", c.env.APIKey)
	c.setenv("RAMPART_PIN", "") // plain HTTP: no pin
	c.ok("servers", "list", "--insecure")
	c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() } // the retries of a refused connection
	r := c.exit(ExitFailure, "servers", "list", "--insecure", "--url", dead)
	if !strings.Contains(r.errOut, "127.0.0.1:1") {
		t.Errorf("stderr: %s", r.errOut)
	}
	if !strings.Contains(c.ok("servers", "list", "--insecure").errOut, "warning: TLS certificate verification is disabled") {
		t.Error("--insecure does not warn")
	}
	// A credentials file replaces the context; the environment still wins.
	c.setenv("RAMPART_APP_KEY", "wrong-key")
	c.exit(ExitAuth, c.withCreds("servers", "list")...)
	c.setenv("RAMPART_APP_KEY", "")
	c.ok(c.withCreds("servers", "list")...)
	// Contradicting TLS settings are a usage error.
	c.exit(ExitUsage, "servers", "list", "--insecure", "--pin", strings.Repeat("AB", 32))
	c.setenv("RAMPART_INSECURE", "maybe")
	c.exit(ExitUsage, "servers", "list")
}

// TestCompletion: cobra's completion scripts, and completions of contexts
// and flag values.
func TestCompletion(t *testing.T) {
	t.Parallel()
	c := newCLITest(t)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := c.ok("completion", sh); len(r.out) < 100 {
			t.Errorf("completion %s: %q", sh, r.out)
		}
	}
	c.ok("config", "set-context", "alpha", "--url", c.env.URL)
	c.ok("config", "set-context", "beta", "--url", c.env.URL)
	if r := c.ok("__complete", "config", "use-context", ""); !strings.Contains(r.out, "alpha\nbeta\n") {
		t.Errorf("contexts: %q", r.out)
	}
	if r := c.ok("__complete", "agents", "list", "--context", ""); !strings.Contains(r.out, "alpha\nbeta\n") {
		t.Errorf("--context: %q", r.out)
	}
	if r := c.ok("__complete", "keys", "list", "-o", ""); !strings.Contains(r.out, "table\njson\nyaml\n") {
		t.Errorf("-o: %q", r.out)
	}
	if r := c.ok("__complete", "appliances", "versions", "--credentials", c.creds, ""); !strings.Contains(r.out, "2\ti-053cced65fea28c18") {
		t.Errorf("appliance IDs: %q", r.out)
	}
	if r := c.ok("__complete", "update-sources", "deploy", "--credentials", c.creds, "--server", ""); !strings.Contains(r.out, osceServer+"\tOSCESERVER") {
		t.Errorf("server IDs: %q", r.out)
	}
}

// TestProgress: a live line on a terminal, plain changed lines otherwise.
func TestProgress(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sys := system{Now: func() time.Time { return now }}
	var plain bytes.Buffer
	sys.IsTerminal = func(any) bool { return false }
	p := newProgress(&plain, systemOf(withSystem(context.Background(), sys)))
	for _, s := range []string{"a", "a", "b", "b", "c"} {
		p.set(s)
	}
	p.done()
	if plain.String() != "a\nb\nc\n" {
		t.Errorf("plain progress %q", plain.String())
	}
	var tty bytes.Buffer
	sys.IsTerminal = func(any) bool { return true }
	p = newProgress(&tty, systemOf(withSystem(context.Background(), sys)))
	p.set("a")
	now = now.Add(3 * time.Second)
	p.set("b")
	p.done()
	if want := "\r\033[K| a (0s)\r\033[K/ b (3s)\n"; tty.String() != want {
		t.Errorf("terminal progress %q, want %q", tty.String(), want)
	}
	if got := bar(3, 6); got != "[######------] " {
		t.Errorf("bar(3, 6) = %q", got)
	}
	if bar(1, 0) != "" {
		t.Error("a bar without a total")
	}
}

// TestTLS runs a real `rampart serve --demo` over HTTPS with its
// self-signed certificate: the pin of its credentials.json works, a wrong
// pin fails saying so, its certificate as --ca-file works, --insecure
// works and warns.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serveErr syncBuffer
	go func() {
		done <- Main(ctx, []string{"serve", "--demo", "--data-dir", dir, "--listen", addr, "--agent-interval", "1h"},
			strings.NewReader(""), &syncBuffer{}, &serveErr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy: %v\n%s", err, serveErr.String())
		}
	}
	creds := filepath.Join(dir, "credentials.json")
	var cr demoCredentials
	if data, err := os.ReadFile(creds); err != nil || json.Unmarshal(data, &cr) != nil {
		t.Fatalf("reading credentials.json: %v", err)
	}
	vars := map[string]string{"HOME": t.TempDir()}
	sys := system{Getenv: func(k string) string { return vars[k] }}
	run := func(args ...string) result {
		var out, errOut bytes.Buffer
		code := Main(withSystem(context.Background(), sys), args, strings.NewReader(""), &out, &errOut)
		return result{code, out.String(), errOut.String()}
	}
	if r := run("servers", "list", "--credentials", creds); r.code != 0 || !strings.Contains(r.out, "OSCESERVER") {
		t.Fatalf("with the pin of credentials.json: %d %s %s", r.code, r.out, r.errOut)
	}
	if r := run("appliances", "list", "--credentials", creds); r.code != 0 {
		t.Fatalf("netsec with the pin: %d %s", r.code, r.errOut)
	}
	r := run("servers", "list", "--credentials", creds, "--pin", strings.Repeat("00", 32))
	if r.code != ExitFailure || !strings.Contains(r.errOut, "matches no pinned fingerprint") {
		t.Errorf("a wrong pin: %d %s", r.code, r.errOut)
	}
	if r := run("keys", "list", "--credentials", creds, "--ca-file", filepath.Join(dir, "tls.crt")); r.code != 0 {
		t.Errorf("with --ca-file: %d %s", r.code, r.errOut)
	}
	r = run("roles", "list", "--credentials", creds, "--insecure")
	if r.code != 0 || !strings.Contains(r.errOut, "warning: TLS certificate verification is disabled") {
		t.Errorf("--insecure: %d %s", r.code, r.errOut)
	}
	// Without any TLS setting the system's roots refuse the self-signed
	// certificate.
	vars["RAMPART_URL"], vars["RAMPART_APP_ID"], vars["RAMPART_APP_KEY"] = cr.URL, cr.AppID, cr.AppKey
	r = run("servers", "list")
	if r.code != ExitFailure || !strings.Contains(r.errOut, "certificate") {
		t.Errorf("no TLS setting: %d %s", r.code, r.errOut)
	}
	mustNotContain(t, r, cr.AppKey)
	vars["RAMPART_PIN"] = cr.Fingerprint
	if r := run("servers", "list"); r.code != 0 {
		t.Errorf("RAMPART_PIN: %d %s", r.code, r.errOut)
	}
}
