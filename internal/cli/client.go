package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/client/workload"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes of the client commands, beside ExitOK, ExitFailure (the work
// failed: an isolation the agent refused, a migration that ended in
// "fail", a server error), ExitUsage and ExitNotFound.
const (
	// ExitAuth: the server refused the credentials (Apex result codes -2
	// to -9, HTTP 401 or 403).
	ExitAuth = 4
	// ExitConflict: the server refused because of the state of the thing
	// (HTTP 409: a migration already runs, nothing to upgrade to).
	ExitConflict = 5
	// ExitTimeout: --timeout ended a wait before the work settled.
	ExitTimeout = 6
)

// exitCodesHelp is the exit-code table of the client commands' help.
const exitCodesHelp = `Exit codes:
  0  success
  1  failure: the work failed (an agent refused an isolation, a migration ended
     in "fail", nothing matched could take the action), or the server or the
     network failed
  2  usage: a wrong flag or argument, a request the server found invalid
     (Apex -21/-22, HTTP 400), several agents matched without --all-matches,
     or missing configuration
  3  not found: no such agent, server, key, role, appliance, migration or context
  4  authentication: the server refused the credentials (Apex -2 to -9,
     HTTP 401/403)
  5  conflict: the server refused because of the current state (HTTP 409)
  6  timeout: --timeout ended a --wait before the work settled`

// system is what the client commands take from the process: the
// environment, the clock, the sleeper of the waits and which streams are
// terminals. Tests hand Main another one through the context
// (withSystem), so that Main stays the one entry point while the clock,
// the sleeper and the environment are theirs.
type system struct {
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// Now is the clock the SDK signs Apex Central tokens with; the real
	// one when nil.
	Now func() time.Time
	// Sleep is the wait between polls and retries; a real timer when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	// IsTerminal reports whether a stream (stdin, stdout, stderr) is a
	// terminal; when nil, an *os.File that is a terminal is one.
	IsTerminal func(stream any) bool
}

type systemKey struct{}

// withSystem returns ctx carrying s for the client commands.
func withSystem(ctx context.Context, s system) context.Context {
	return context.WithValue(ctx, systemKey{}, s)
}

// systemOf returns the system ctx carries, with the real process for
// every part left unset.
func systemOf(ctx context.Context) system {
	s, _ := ctx.Value(systemKey{}).(system)
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Sleep == nil {
		s.Sleep = transport.SleepContext
	}
	if s.IsTerminal == nil {
		s.IsTerminal = func(stream any) bool {
			f, ok := stream.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		}
	}
	return s
}

// usageErr, notFound and failure give an error its exit code.
func usageErr(format string, a ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &exitError{ExitNotFound, fmt.Errorf(format, a...)}
}

func failure(format string, a ...any) error {
	return &exitError{ExitFailure, fmt.Errorf(format, a...)}
}

// clientExit gives an error of the SDK the exit code scripts rely on.
func clientExit(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	code := ExitFailure
	var (
		apex       *apexcentral.Error
		ws         *workload.Error
		ns         *netsec.Error
		unexpected *apexcentral.UnexpectedStatusError
		migration  *netsec.MigrationFailedError
	)
	switch {
	case errors.As(err, &unexpected), errors.As(err, &migration):
		code = ExitFailure
	case errors.Is(err, context.DeadlineExceeded):
		code = ExitTimeout
	case errors.As(err, &apex):
		code = apexExit(apex)
	case errors.As(err, &ws):
		code = httpExit(ws.StatusCode)
	case errors.As(err, &ns):
		code = httpExit(ns.StatusCode)
	case errors.Is(err, apexcentral.ErrNoTarget):
		code = ExitUsage
	case errors.Is(err, apexcentral.ErrAgentNotFound), errors.Is(err, netsec.ErrNoMigration):
		code = ExitNotFound
	}
	return &exitError{code, err}
}

func apexExit(e *apexcentral.Error) int {
	switch {
	case e.ResultCode <= apexcentral.CodeTokenNotSet && e.ResultCode >= apexcentral.CodeUnsupportedAlg:
		return ExitAuth
	case e.ResultCode == apexcentral.CodeInvalidParameter, e.ResultCode == apexcentral.CodeInvalidOperation,
		e.ResultCode == apexcentral.CodeMultipleMatch:
		return ExitUsage
	case e.ResultCode == apexcentral.CodeTargetNotFound:
		return ExitNotFound
	case e.ResultCode == 0:
		return httpExit(e.StatusCode)
	}
	return ExitFailure
}

func httpExit(status int) int {
	switch status {
	case 400:
		return ExitUsage
	case 401, 403:
		return ExitAuth
	case 404:
		return ExitNotFound
	case 409:
		return ExitConflict
	}
	return ExitFailure
}

// clientCLI holds the connection flags the client command groups share:
// each group registers them as persistent flags, so they go before or
// after the subcommand (`rampart agents --context lab list`).
type clientCLI struct {
	opts connFlags
}

// connFlags are the connection flags. Secrets have no flag (process lists
// show flags): they come from the environment, a file, the context or the
// credentials file.
type connFlags struct {
	config, context, credentials          string
	url, apexURL, workloadURL, netsecURL  string
	appID, appKeyFile, apiKeyFile, caFile string
	pin                                   string
	insecure, verbose                     bool
}

// group returns a command group with the connection flags.
func (cl *clientCLI) group(use, short, long string) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long}
	f := cmd.PersistentFlags()
	o := &cl.opts
	f.StringVar(&o.config, "config", "", "config file (env RAMPART_CONFIG; default $XDG_CONFIG_HOME/rampart/config.yaml, else ~/.config/rampart/config.yaml)")
	f.StringVar(&o.context, "context", "", "context of the config file to use (env RAMPART_CONTEXT; default its current-context)")
	f.StringVar(&o.credentials, "credentials", "", "the credentials.json that rampart serve --demo writes, to use instead of a context (env RAMPART_CREDENTIALS)")
	f.StringVar(&o.url, "url", "", "base URL of all three APIs, e.g. https://127.0.0.1:8443 (env RAMPART_URL)")
	f.StringVar(&o.apexURL, "apex-url", "", "base URL of Apex Central when it differs (env RAMPART_APEX_URL)")
	f.StringVar(&o.workloadURL, "workload-url", "", "base URL of Workload Security when it differs (env RAMPART_WORKLOAD_URL)")
	f.StringVar(&o.netsecURL, "netsec-url", "", "base URL of Network Security when it differs (env RAMPART_NETSEC_URL)")
	f.StringVar(&o.appID, "app-id", "", "Apex Central application ID (env RAMPART_APP_ID)")
	f.StringVar(&o.appKeyFile, "app-key-file", "", "file holding the Apex Central application's API key (else env RAMPART_APP_KEY)")
	f.StringVar(&o.apiKeyFile, "api-key-file", "", "file holding the Workload / Network Security API key (else env RAMPART_API_KEY)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of the CA certificates to trust (env RAMPART_CA_FILE)")
	f.StringVar(&o.pin, "pin", "", "SHA-256 fingerprint of the server's certificate to accept (env RAMPART_PIN)")
	f.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate; warns (env RAMPART_INSECURE=1; prefer --pin)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log retries to standard error")
	_ = cmd.RegisterFlagCompletionFunc("context", completeContexts(cl))
	return cmd
}

// run makes a cobra RunE that resolves the connection and runs fn, and
// gives fn's error its exit code.
func (cl *clientCLI) run(fn func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		cn, err := cl.resolve(ctx, cmd.ErrOrStderr())
		if err != nil {
			return clientExit(err)
		}
		return clientExit(fn(ctx, cmd, cn, args))
	}
}

// conn is a resolved connection: for each setting, its value and where it
// came from (a flag, the environment, the context, the credentials file).
type conn struct {
	sys        system
	stderr     io.Writer
	configPath string
	cfg        *fileConfig
	// contextName is the context in use, "" when none (flags, the
	// environment or a credentials file only).
	contextName string
	// base is the lowest layer: the context, or the credentials file.
	base                            Context
	baseFrom                        string
	apexURL, workloadURL, netsecURL setting
	appID                           setting
	appKey, apiKey, netsecKey       secretSetting
	user                            setting
	password                        secretSetting
	tls                             transport.TLSOptions
	tlsFrom                         string
	logger                          *slog.Logger
}

// setting is a resolved value and where it came from.
type setting struct {
	Value string `json:"value,omitempty"`
	From  string `json:"from,omitempty"`
}

// secretSetting is a secret's source (never its value) and where the
// source was found.
type secretSetting struct {
	secret Secret
	from   string
}

func (s secretSetting) set() bool { return !s.secret.IsZero() }

// first returns the first non-empty candidate.
func first(cands ...setting) setting {
	for _, c := range cands {
		if c.Value != "" {
			return c
		}
	}
	return setting{}
}

// resolve applies the precedence flag > environment > context (or the
// credentials file) to every setting.
func (cl *clientCLI) resolve(ctx context.Context, stderr io.Writer) (*conn, error) {
	sys := systemOf(ctx)
	o := cl.opts
	env := func(name string) string { return strings.TrimSpace(sys.Getenv(name)) }
	cn := &conn{sys: sys, stderr: stderr}

	path, err := configPath(o.config, sys)
	if err != nil {
		return nil, err
	}
	cn.configPath = path
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	cn.cfg = cfg

	credFile := first(setting{o.credentials, "flag --credentials"}, setting{env("RAMPART_CREDENTIALS"), "env RAMPART_CREDENTIALS"})
	if credFile.Value != "" {
		c, err := readCredentialsFile(credFile.Value)
		if err != nil {
			return nil, err
		}
		cn.base, cn.baseFrom = c, "credentials file "+credFile.Value
	} else {
		name := first(setting{o.context, "flag --context"}, setting{env("RAMPART_CONTEXT"), "env RAMPART_CONTEXT"},
			setting{cfg.CurrentContext, "current-context"})
		if name.Value != "" {
			c := cfg.context(name.Value)
			if c == nil {
				return nil, notFound("context %q (%s) is not in %s; see `rampart config get-contexts`", name.Value, name.From, path)
			}
			cn.base, cn.baseFrom, cn.contextName = *c, fmt.Sprintf("context %q", c.Name), c.Name
		}
	}
	b := cn.base
	from := cn.baseFrom
	url := func(flagV, flagName, envName, ctxV string) setting {
		return first(setting{flagV, "flag --" + flagName}, setting{o.url, "flag --url"},
			setting{env(envName), "env " + envName}, setting{env("RAMPART_URL"), "env RAMPART_URL"},
			setting{ctxV, from}, setting{b.URL, from})
	}
	cn.apexURL = url(o.apexURL, "apex-url", "RAMPART_APEX_URL", b.ApexURL)
	cn.workloadURL = url(o.workloadURL, "workload-url", "RAMPART_WORKLOAD_URL", b.WorkloadURL)
	cn.netsecURL = url(o.netsecURL, "netsec-url", "RAMPART_NETSEC_URL", b.NetsecURL)
	cn.appID = first(setting{o.appID, "flag --app-id"}, setting{env("RAMPART_APP_ID"), "env RAMPART_APP_ID"}, setting{b.ApexApplicationID, from})
	cn.user = first(setting{env("RAMPART_USER"), "env RAMPART_USER"}, setting{b.User, from})

	pick := func(flagFile, flagName, envName string, ctxSecret ...Secret) secretSetting {
		switch {
		case flagFile != "":
			return secretSetting{Secret{File: flagFile}, "flag --" + flagName}
		case env(envName) != "":
			return secretSetting{Secret{Env: envName}, "env " + envName}
		}
		for _, s := range ctxSecret {
			if !s.IsZero() {
				return secretSetting{s, from}
			}
		}
		return secretSetting{}
	}
	cn.appKey = pick(o.appKeyFile, "app-key-file", "RAMPART_APP_KEY", b.ApexAPIKey)
	cn.apiKey = pick(o.apiKeyFile, "api-key-file", "RAMPART_API_KEY", b.APIKey)
	cn.netsecKey = pick(o.apiKeyFile, "api-key-file", "RAMPART_API_KEY", b.NetsecAPIKey, b.APIKey)
	if env("RAMPART_PASSWORD") != "" {
		cn.password = secretSetting{Secret{Env: "RAMPART_PASSWORD"}, "env RAMPART_PASSWORD"}
	} else if !b.password.IsZero() {
		cn.password = secretSetting{b.password, from}
	}

	// TLS settings are taken together from the first layer that gives any,
	// so that a --insecure or a --ca-file never mixes with a context's pin.
	insecureEnv := env("RAMPART_INSECURE")
	switch {
	case o.caFile != "" || o.pin != "" || o.insecure:
		cn.tls, cn.tlsFrom = tlsOptions(o.caFile, o.pin, o.insecure), "flags"
	case env("RAMPART_CA_FILE") != "" || env("RAMPART_PIN") != "" || truthy(insecureEnv):
		cn.tls, cn.tlsFrom = tlsOptions(env("RAMPART_CA_FILE"), env("RAMPART_PIN"), truthy(insecureEnv)), "environment"
	case b.CAFile != "" || b.Pin != "" || b.Insecure:
		cn.tls, cn.tlsFrom = tlsOptions(b.CAFile, b.Pin, b.Insecure), from
	}
	if insecureEnv != "" && !truthy(insecureEnv) && !falsy(insecureEnv) {
		return nil, usageErr("RAMPART_INSECURE=%q: give 1/true or 0/false", insecureEnv)
	}
	if cn.tls.Insecure && len(cn.tls.PinnedSHA256) > 0 {
		return nil, usageErr("TLS settings from the %s: --insecure and a pinned fingerprint contradict each other; keep the pin", cn.tlsFrom)
	}
	cn.logger = slog.New(slog.DiscardHandler)
	if o.verbose {
		cn.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return cn, nil
}

func tlsOptions(caFile, pin string, insecure bool) transport.TLSOptions {
	t := transport.TLSOptions{CAFile: caFile, Insecure: insecure}
	if pin != "" {
		t.PinnedSHA256 = []string{pin}
	}
	return t
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func falsy(v string) bool {
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}

// transport returns the SDK's transport options: the TLS settings, the
// system's clock and sleeper, the logger.
func (cn *conn) transport() transport.Options {
	return transport.Options{TLS: cn.tls, Now: cn.sys.Now, Sleep: cn.sys.Sleep, Logger: cn.logger,
		UserAgent: "rampart-cli/1 " + transport.DefaultUserAgent}
}

func (cn *conn) warn(ws []string) {
	for _, w := range ws {
		fmt.Fprintln(cn.stderr, "warning:", w)
	}
}

// where names the configuration in force, for error messages.
func (cn *conn) where() string {
	if cn.baseFrom == "" {
		return "no context (see `rampart config set-context`)"
	}
	return cn.baseFrom
}

// secret reads a secret's value from its source.
func (cn *conn) secret(ctx context.Context, s secretSetting, what string) (string, error) {
	v, err := s.secret.resolve(ctx, cn.sys)
	if err != nil {
		return "", usageErr("reading the %s (%s): %w", what, s.from, err)
	}
	return v, nil
}

// apex returns an Apex Central client.
func (cn *conn) apex(ctx context.Context) (*apexcentral.Client, error) {
	if cn.apexURL.Value == "" {
		return nil, usageErr("no Apex Central URL: give --url, RAMPART_URL, --credentials or a context with a url (%s)", cn.where())
	}
	if cn.appID.Value == "" || !cn.appKey.set() {
		return nil, usageErr("no Apex Central application: give --app-id (RAMPART_APP_ID) and RAMPART_APP_KEY, --credentials, or a context with apex-application-id and apex-api-key (%s)", cn.where())
	}
	key, err := cn.secret(ctx, cn.appKey, "Apex Central API key")
	if err != nil {
		return nil, err
	}
	c, err := apexcentral.New(apexcentral.Config{BaseURL: cn.apexURL.Value, ApplicationID: cn.appID.Value, APIKey: key, Transport: cn.transport()})
	if err != nil {
		return nil, usageErr("%w", err)
	}
	cn.warn(c.Warnings())
	return c, nil
}

// workloadAnon returns a Workload Security client without credentials, to
// sign in with.
func (cn *conn) workloadAnon() (*workload.Client, error) {
	if cn.workloadURL.Value == "" {
		return nil, usageErr("no Workload Security URL: give --url, RAMPART_URL, --credentials or a context with a url (%s)", cn.where())
	}
	c, err := workload.New(workload.Config{BaseURL: cn.workloadURL.Value, Transport: cn.transport()})
	if err != nil {
		return nil, usageErr("%w", err)
	}
	cn.warn(c.Warnings())
	return c, nil
}

// workload returns a Workload Security client authenticated, in this
// order, with an API key from --api-key-file or RAMPART_API_KEY, the
// session `rampart login` saved, or the API key of the context (or the
// credentials file).
func (cn *conn) workload(ctx context.Context) (*workload.Client, error) {
	c, err := cn.workloadAnon()
	if err != nil {
		return nil, err
	}
	if cn.apiKey.set() && (strings.HasPrefix(cn.apiKey.from, "flag") || strings.HasPrefix(cn.apiKey.from, "env")) {
		key, err := cn.secret(ctx, cn.apiKey, "API key")
		if err != nil {
			return nil, err
		}
		return c.WithAPIKey(key), nil
	}
	if s, ok, err := cn.session(); err != nil {
		return nil, err
	} else if ok {
		return c.WithSession(s), nil
	}
	if !cn.apiKey.set() {
		return nil, usageErr("no Workload Security credentials: set RAMPART_API_KEY, give --api-key-file, run `rampart login`, or use a context with an api-key (%s)", cn.where())
	}
	key, err := cn.secret(ctx, cn.apiKey, "API key")
	if err != nil {
		return nil, err
	}
	return c.WithAPIKey(key), nil
}

// netsec returns a Network Security client (an API key only: the service
// has no sessions).
func (cn *conn) netsec(ctx context.Context) (*netsec.Client, error) {
	if cn.netsecURL.Value == "" {
		return nil, usageErr("no Network Security URL: give --url, RAMPART_URL, --credentials or a context with a url (%s)", cn.where())
	}
	if !cn.netsecKey.set() {
		return nil, usageErr("no Network Security API key: set RAMPART_API_KEY, give --api-key-file, or use a context with an api-key (%s); it takes no session", cn.where())
	}
	key, err := cn.secret(ctx, cn.netsecKey, "API key")
	if err != nil {
		return nil, err
	}
	c, err := netsec.New(netsec.Config{BaseURL: cn.netsecURL.Value, APIKey: key, Transport: cn.transport()})
	if err != nil {
		return nil, usageErr("%w", err)
	}
	cn.warn(c.Warnings())
	return c, nil
}

// newExitCodesTopic is `rampart help exit-codes`.
func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{Use: "exit-codes", Short: "The exit codes of the client commands, for scripts", Long: exitCodesHelp}
}
