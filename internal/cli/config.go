package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/client/workload"
	"go.yaml.in/yaml/v3"
)

// fileConfig is the client's config file: named contexts, like kubectl's,
// and the one in use.
//
//	current-context: demo
//	contexts:
//	  - name: demo
//	    url: https://127.0.0.1:8443        # all three APIs
//	    apex-application-id: 6C8A...
//	    apex-api-key: {command: "pass show rampart/apex"}
//	    api-key: {env: RAMPART_DEMO_KEY}   # Workload and Network Security
//	    user: administrator                # for rampart login / keys bootstrap
//	    pin: AB:CD:...                     # the certificate's SHA-256
type fileConfig struct {
	CurrentContext string    `yaml:"current-context,omitempty" json:"current-context,omitempty"`
	Contexts       []Context `yaml:"contexts" json:"contexts"`
}

// Context is one named server and how to reach it.
type Context struct {
	Name string `yaml:"name" json:"name"`
	// URL is the base URL of all three APIs (Rampart serves them on one
	// port); ApexURL, WorkloadURL and NetsecURL override it per family
	// (the vendors' consoles live on different hosts).
	URL         string `yaml:"url,omitempty" json:"url,omitempty"`
	ApexURL     string `yaml:"apex-url,omitempty" json:"apex-url,omitempty"`
	WorkloadURL string `yaml:"workload-url,omitempty" json:"workload-url,omitempty"`
	NetsecURL   string `yaml:"netsec-url,omitempty" json:"netsec-url,omitempty"`
	// ApexApplicationID and ApexAPIKey are the Automation API
	// application's credentials.
	ApexApplicationID string `yaml:"apex-application-id,omitempty" json:"apex-application-id,omitempty"`
	ApexAPIKey        Secret `yaml:"apex-api-key,omitempty" json:"apex-api-key,omitzero"`
	// APIKey is the Workload Security API key, used for Network Security
	// too unless NetsecAPIKey is set.
	APIKey       Secret `yaml:"api-key,omitempty" json:"api-key,omitzero"`
	NetsecAPIKey Secret `yaml:"netsec-api-key,omitempty" json:"netsec-api-key,omitzero"`
	// User is the administrator `rampart login` and `rampart keys
	// bootstrap` sign in as.
	User string `yaml:"user,omitempty" json:"user,omitempty"`
	// CAFile, Pin and Insecure say how the server's certificate is checked.
	CAFile   string `yaml:"ca-file,omitempty" json:"ca-file,omitempty"`
	Pin      string `yaml:"pin,omitempty" json:"pin,omitempty"`
	Insecure bool   `yaml:"insecure,omitempty" json:"insecure,omitempty"`

	// password is the administrator's password of a credentials file; a
	// context never stores one.
	password Secret
}

// Secret is where a secret comes from: its value, an environment
// variable, a command that prints it, or a file. In the config file a
// plain string is a value: `api-key: 3:abc...` or `api-key: {env: NAME}`,
// `{command: "pass show x"}`, `{file: /run/secrets/x}`.
type Secret struct {
	Value   string `yaml:"value,omitempty" json:"value,omitempty"`
	Env     string `yaml:"env,omitempty" json:"env,omitempty"`
	Command string `yaml:"command,omitempty" json:"command,omitempty"`
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
}

// redacted is what `config view` shows in place of a secret's value.
const redacted = "REDACTED"

// IsZero reports whether s names no source (yaml's omitempty asks it).
func (s Secret) IsZero() bool { return s == Secret{} }

// UnmarshalYAML reads a plain string as a value, a mapping as the source.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = Secret{Value: n.Value}
		return nil
	}
	type plain Secret
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Secret(p)
	return s.check()
}

func (s Secret) check() error {
	n := 0
	for _, v := range []string{s.Value, s.Env, s.Command, s.File} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("a secret takes one of value, env, command or file")
	}
	return nil
}

// redact returns s with its value hidden.
func (s Secret) redact() Secret {
	if s.Value != "" {
		s.Value = redacted
	}
	return s
}

// describe says where s comes from, without the secret.
func (s Secret) describe() string {
	switch {
	case s.Value != "":
		return "value (" + redacted + ")"
	case s.Env != "":
		return "env " + s.Env
	case s.Command != "":
		return "command " + s.Command
	case s.File != "":
		return "file " + s.File
	}
	return ""
}

// resolve reads the secret. A command runs in the shell, its standard
// output (trimmed) being the secret.
func (s Secret) resolve(ctx context.Context, sys system) (string, error) {
	var v string
	switch {
	case s.Value != "":
		v = s.Value
	case s.Env != "":
		v = sys.Getenv(s.Env)
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("the environment variable %s is empty", s.Env)
		}
	case s.File != "":
		data, err := os.ReadFile(s.File)
		if err != nil {
			return "", err
		}
		v = string(data)
	case s.Command != "":
		var cmd *exec.Cmd
		if runtime.GOOS == "windows" {
			cmd = exec.CommandContext(ctx, "cmd", "/C", s.Command)
		} else {
			cmd = exec.CommandContext(ctx, "sh", "-c", s.Command)
		}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			// Its standard error may explain; its output is the secret and
			// is never shown.
			msg := strings.TrimSpace(errOut.String())
			if len(msg) > 200 {
				msg = msg[:200] + "..."
			}
			if msg != "" {
				return "", fmt.Errorf("the command %q failed: %w: %s", s.Command, err, msg)
			}
			return "", fmt.Errorf("the command %q failed: %w", s.Command, err)
		}
		v = out.String()
	default:
		return "", errors.New("no secret is configured")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("the secret is empty")
	}
	return v, nil
}

func (c *fileConfig) context(name string) *Context {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			return &c.Contexts[i]
		}
	}
	return nil
}

func (c *fileConfig) names() []string {
	out := make([]string, len(c.Contexts))
	for i, x := range c.Contexts {
		out[i] = x.Name
	}
	return out
}

// redact returns a copy of c without any secret value.
func (c *fileConfig) redact() *fileConfig {
	out := &fileConfig{CurrentContext: c.CurrentContext, Contexts: slices.Clone(c.Contexts)}
	if out.Contexts == nil {
		out.Contexts = []Context{}
	}
	for i := range out.Contexts {
		x := &out.Contexts[i]
		x.ApexAPIKey, x.APIKey, x.NetsecAPIKey = x.ApexAPIKey.redact(), x.APIKey.redact(), x.NetsecAPIKey.redact()
	}
	return out
}

// configPath is --config, else RAMPART_CONFIG, else
// $XDG_CONFIG_HOME/rampart/config.yaml, else ~/.config/rampart/config.yaml.
func configPath(flag string, sys system) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if p := sys.Getenv("RAMPART_CONFIG"); p != "" {
		return p, nil
	}
	if x := sys.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "rampart", "config.yaml"), nil
	}
	home := sys.Getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = sys.Getenv("USERPROFILE")
	}
	if home == "" {
		return "", usageErr("no config file: HOME is not set; give --config or RAMPART_CONFIG")
	}
	return filepath.Join(home, ".config", "rampart", "config.yaml"), nil
}

// loadConfig reads the config file; a missing one is an empty config.
func loadConfig(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &fileConfig{}, nil
	}
	if err != nil {
		return nil, usageErr("reading the config file: %w", err)
	}
	var c fileConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, usageErr("reading the config file %s: %w", path, err)
	}
	seen := map[string]bool{}
	for _, x := range c.Contexts {
		if x.Name == "" {
			return nil, usageErr("config file %s: a context has no name", path)
		}
		if seen[x.Name] {
			return nil, usageErr("config file %s: context %q appears twice", path, x.Name)
		}
		seen[x.Name] = true
	}
	return &c, nil
}

// save writes the config file with owner-only permissions (it may hold
// secrets), through a temporary file so that a crash never leaves half a
// file.
func (c *fileConfig) save(path string) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("encoding the config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding the config: %w", err)
	}
	return writePrivate(path, buf.Bytes())
}

// writePrivate writes data to path, mode 0600, in a directory it creates
// with mode 0700.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// demoCredentials is the credentials.json `rampart serve --demo` writes.
type demoCredentials struct {
	URL         string `json:"url"`
	AppID       string `json:"apex_application_id"`
	AppKey      string `json:"apex_api_key"`
	APISecret   string `json:"api_secret_key"`
	AdminUser   string `json:"admin_username"`
	AdminPass   string `json:"admin_password"`
	Fingerprint string `json:"tls_sha256_fingerprint"`
}

// readCredentialsFile reads a credentials.json as a context: its URL, the
// Apex application, the API key, the administrator and the certificate's
// fingerprint as the pin.
func readCredentialsFile(path string) (Context, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Context{}, notFound("reading the credentials file: %w", err)
		}
		return Context{}, usageErr("reading the credentials file: %w", err)
	}
	var c demoCredentials
	if err := json.Unmarshal(data, &c); err != nil {
		return Context{}, usageErr("reading the credentials file %s: %w", path, err)
	}
	x := Context{URL: c.URL, ApexApplicationID: c.AppID, User: c.AdminUser, Pin: c.Fingerprint}
	if c.AppKey != "" {
		x.ApexAPIKey = Secret{Value: c.AppKey}
	}
	if c.APISecret != "" {
		x.APIKey = Secret{Value: c.APISecret}
	}
	if c.AdminPass != "" {
		x.password = Secret{Value: c.AdminPass}
	}
	return x, nil
}

// storedSession is a Workload Security session `rampart login` saved. SID
// and RID authenticate as the administrator: the file is owner-only.
type storedSession struct {
	URL             string `json:"url"`
	User            string `json:"user,omitempty"`
	AdministratorID int64  `json:"administratorID"`
	Created         int64  `json:"created"`
	SID             string `json:"sID"`
	RID             string `json:"rID"`
}

// sessionsPath is sessions.json beside the config file.
func (cn *conn) sessionsPath() string {
	return filepath.Join(filepath.Dir(cn.configPath), "sessions.json")
}

// sessionKey names the saved session of this connection: its context, or
// its URL when no context is in use.
func (cn *conn) sessionKey() string {
	if cn.contextName != "" {
		return cn.contextName
	}
	return "url:" + cn.workloadURL.Value
}

func (cn *conn) loadSessions() (map[string]storedSession, error) {
	data, err := os.ReadFile(cn.sessionsPath())
	if errors.Is(err, os.ErrNotExist) {
		return map[string]storedSession{}, nil
	}
	if err != nil {
		return nil, failure("reading the saved sessions: %w", err)
	}
	out := map[string]storedSession{}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, failure("reading the saved sessions %s: %w", cn.sessionsPath(), err)
	}
	return out, nil
}

func (cn *conn) saveSessions(all map[string]storedSession) error {
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return writePrivate(cn.sessionsPath(), append(data, '\n'))
}

// session returns the session saved for this connection, if any (and if
// it was opened on the same URL).
func (cn *conn) session() (workload.Session, bool, error) {
	all, err := cn.loadSessions()
	if err != nil {
		return workload.Session{}, false, err
	}
	s, ok := all[cn.sessionKey()]
	if !ok || s.URL != cn.workloadURL.Value || s.SID == "" || s.RID == "" {
		return workload.Session{}, false, nil
	}
	return workload.Session{AdministratorID: s.AdministratorID, Created: s.Created, RID: s.RID, SID: s.SID}, true, nil
}
