package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-sec/rampart/client/transport"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const configHelp = `The client's config file holds named contexts, like kubectl's: each one a server's URL (one
for all three APIs, or one per family), its credentials and its TLS settings. It lives at
--config, else $RAMPART_CONFIG, else $XDG_CONFIG_HOME/rampart/config.yaml, else
~/.config/rampart/config.yaml, and is written with mode 0600.

A secret in a context is a value, an environment variable, a command that prints it, or a file:

  contexts:
    - name: lab
      url: https://apex.lab.example:443
      workload-url: https://dsm.lab.example:4119
      apex-application-id: 6C8A3F1E-...
      apex-api-key: {command: "pass show lab/apex"}
      api-key: {env: LAB_API_KEY}
      pin: AB:CD:...

Every setting is taken from, in this order: a flag; the environment (RAMPART_URL,
RAMPART_APEX_URL, RAMPART_WORKLOAD_URL, RAMPART_NETSEC_URL, RAMPART_APP_ID, RAMPART_APP_KEY,
RAMPART_API_KEY, RAMPART_USER, RAMPART_PASSWORD, RAMPART_CA_FILE, RAMPART_PIN,
RAMPART_INSECURE); the context (--context, else RAMPART_CONTEXT, else current-context) or,
instead, the credentials.json of --credentials (RAMPART_CREDENTIALS). TLS settings (ca-file,
pin, insecure) are taken together from the first of those that gives any.`

// newConfig is `rampart config`.
func (cl *clientCLI) newConfig() *cobra.Command {
	cmd := cl.group("config", "Manage the client's contexts: servers, credentials, TLS settings", configHelp+"\n\n"+exitCodesHelp)

	var vout outputFormat
	var resolved bool
	view := &cobra.Command{
		Use:   "view [--resolved]",
		Short: "Show the config file, secrets hidden; --resolved shows what the flags, environment and context make",
		Long: `Show the config file with every secret value replaced by REDACTED (where a secret comes from an
environment variable, a command or a file, that is shown). With --resolved, show instead the
settings in force for the flags and environment given, each with where it came from; secrets
show only their source. Never prints a secret.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			w := cmd.OutOrStdout()
			if vout == formatTable {
				vout = formatYAML
			}
			if resolved {
				return vout.print(w, cn.resolvedView(), nil)
			}
			return vout.print(w, cn.cfg.redact(), nil)
		}),
	}
	view.Flags().BoolVar(&resolved, "resolved", false, "show the settings in force and where each comes from")
	vout = formatYAML
	view.Flags().VarP(formatValue{&vout}, "output", "o", "output format: yaml or json")
	_ = view.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"yaml", "json"}, cobra.ShellCompDirectiveNoFileComp))

	var gout outputFormat
	getContexts := &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts; * marks the current one",
		Args:  cobra.NoArgs,
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			type row struct {
				Name    string `json:"name"`
				Current bool   `json:"current"`
				URL     string `json:"url,omitempty"`
				AppID   string `json:"apex-application-id,omitempty"`
				User    string `json:"user,omitempty"`
			}
			rows := []row{}
			for _, x := range cn.cfg.Contexts {
				rows = append(rows, row{Name: x.Name, Current: x.Name == cn.cfg.CurrentContext, URL: contextURLs(x), AppID: x.ApexApplicationID, User: x.User})
			}
			return gout.print(cmd.OutOrStdout(), rows, func() table {
				t := table{header: []string{"CURRENT", "NAME", "URL", "APEX APPLICATION", "USER"}}
				for _, r := range rows {
					cur := ""
					if r.Current {
						cur = "*"
					}
					t.add(orNone(cur, " "), r.Name, r.URL, r.AppID, r.User)
				}
				return t
			})
		}),
	}
	addOutputFlag(getContexts, &gout)

	useContext := &cobra.Command{
		Use:               "use-context NAME",
		Short:             "Make a context the current one",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: firstArg(completeContexts(cl)),
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			if cn.cfg.context(args[0]) == nil {
				return notFound("context %q is not in %s; see `rampart config get-contexts`", args[0], cn.configPath)
			}
			cn.cfg.CurrentContext = args[0]
			if err := cn.cfg.save(cn.configPath); err != nil {
				return failure("%w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Switched to context %q.\n", args[0])
			return nil
		}),
	}

	currentContext := &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cobra.NoArgs,
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			if cn.cfg.CurrentContext == "" {
				return notFound("no current context is set; see `rampart config use-context`")
			}
			fmt.Fprintln(cmd.OutOrStdout(), cn.cfg.CurrentContext)
			return nil
		}),
	}

	deleteContext := &cobra.Command{
		Use:               "delete-context NAME",
		Short:             "Remove a context",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: firstArg(completeContexts(cl)),
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			kept := cn.cfg.Contexts[:0]
			found := false
			for _, x := range cn.cfg.Contexts {
				if x.Name == args[0] {
					found = true
					continue
				}
				kept = append(kept, x)
			}
			if !found {
				return notFound("context %q is not in %s", args[0], cn.configPath)
			}
			cn.cfg.Contexts = kept
			if cn.cfg.CurrentContext == args[0] {
				cn.cfg.CurrentContext = ""
			}
			if err := cn.cfg.save(cn.configPath); err != nil {
				return failure("%w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted context %q.\n", args[0])
			return nil
		}),
	}

	cmd.AddCommand(view, getContexts, useContext, currentContext, cl.newSetContext(), deleteContext)
	return cmd
}

func contextURLs(x Context) string {
	var parts []string
	if x.URL != "" {
		parts = append(parts, x.URL)
	}
	for _, p := range [][2]string{{"apex", x.ApexURL}, {"workload", x.WorkloadURL}, {"netsec", x.NetsecURL}} {
		if p[1] != "" {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	return strings.Join(parts, " ")
}

// setContextFlags are the flags of set-context; only those given change
// the context.
type setContextFlags struct {
	url, apexURL, workloadURL, netsecURL, appID, user, caFile, pin string
	insecure, use                                                  bool
	fromCredentials                                                string
	appKey, apiKey, netsecKey                                      secretFlags
}

// secretFlags are the ways to give one secret to set-context: never its
// value on the command line, which process lists show.
type secretFlags struct {
	env, command, file string
	stdin              bool
}

func (s *secretFlags) register(f *pflag.FlagSet, prefix, what string) {
	f.StringVar(&s.env, prefix+"-env", "", "environment variable holding the "+what)
	f.StringVar(&s.command, prefix+"-command", "", "shell command printing the "+what)
	f.StringVar(&s.file, prefix+"-file", "", "file holding the "+what)
	f.BoolVar(&s.stdin, prefix+"-stdin", false, "read the "+what+" from standard input and store it in the config file")
}

// secret returns the Secret the flags give, reading standard input for
// -stdin; ok is false when none is given.
func (s secretFlags) secret(prefix string, stdin io.Reader) (Secret, bool, error) {
	n := 0
	for _, set := range []bool{s.env != "", s.command != "", s.file != "", s.stdin} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return Secret{}, false, nil
	case n > 1:
		return Secret{}, false, usageErr("give one of --%[1]s-env, --%[1]s-command, --%[1]s-file, --%[1]s-stdin", prefix)
	case s.stdin:
		data, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
		if err != nil {
			return Secret{}, false, failure("reading standard input: %w", err)
		}
		v := strings.TrimSpace(string(data))
		if v == "" {
			return Secret{}, false, usageErr("--%s-stdin: standard input is empty", prefix)
		}
		return Secret{Value: v}, true, nil
	}
	return Secret{Env: s.env, Command: s.command, File: s.file}, true, nil
}

func (cl *clientCLI) newSetContext() *cobra.Command {
	var s setContextFlags
	cmd := &cobra.Command{
		Use:   "set-context NAME [--url URL] [--from-credentials FILE] [--use] [...]",
		Short: "Create a context or change the settings given",
		Long: `Create the context NAME, or change the settings the flags give (an empty value clears one).
--from-credentials copies a credentials.json (of ` + "`rampart serve --demo`" + `): its URL, Apex
application, API key, administrator and certificate fingerprint (as the pin); the flags given
beside it win. Secrets are never taken from the command line: name an environment variable
(--api-key-env), a command (--api-key-command), a file (--api-key-file), or pipe the secret in
(--api-key-stdin), which stores it in the config file (mode 0600).

  rampart config set-context demo --from-credentials rampart-data/credentials.json --use
  rampart config set-context lab --url https://apex.lab:443 --workload-url https://dsm.lab:4119 \
      --app-id 6C8A3F1E-... --app-key-command "pass show lab/apex" --api-key-env LAB_KEY

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: firstArg(completeContexts(cl)),
		RunE: cl.run(func(_ context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			return s.apply(cmd, cn, args[0])
		}),
	}
	f := cmd.Flags()
	f.StringVar(&s.url, "url", "", "base URL of all three APIs")
	f.StringVar(&s.apexURL, "apex-url", "", "base URL of Apex Central, when it differs")
	f.StringVar(&s.workloadURL, "workload-url", "", "base URL of Workload Security, when it differs")
	f.StringVar(&s.netsecURL, "netsec-url", "", "base URL of Network Security, when it differs")
	f.StringVar(&s.appID, "app-id", "", "Apex Central application ID")
	f.StringVar(&s.user, "user", "", "administrator for rampart login and rampart keys bootstrap")
	f.StringVar(&s.caFile, "ca-file", "", "PEM file of the CA certificates to trust")
	f.StringVar(&s.pin, "pin", "", "SHA-256 fingerprint of the server's certificate")
	f.BoolVar(&s.insecure, "insecure", false, "do not verify the server's certificate (warns on every call)")
	f.BoolVar(&s.use, "use", false, "make it the current context")
	f.StringVar(&s.fromCredentials, "from-credentials", "", "credentials.json to copy the settings from")
	s.appKey.register(f, "app-key", "Apex Central API key")
	s.apiKey.register(f, "api-key", "Workload / Network Security API key")
	s.netsecKey.register(f, "netsec-api-key", "Network Security API key, when it differs")
	// These flags share names with the connection flags of the group; set-
	// context's own win, and mean "store this in the context".
	return cmd
}

func (s setContextFlags) apply(cmd *cobra.Command, cn *conn, name string) error {
	if strings.TrimSpace(name) == "" {
		return usageErr("a context needs a name")
	}
	x := cn.cfg.context(name)
	created := x == nil
	if created {
		cn.cfg.Contexts = append(cn.cfg.Contexts, Context{Name: name})
		x = &cn.cfg.Contexts[len(cn.cfg.Contexts)-1]
	}
	if s.fromCredentials != "" {
		c, err := readCredentialsFile(s.fromCredentials)
		if err != nil {
			return err
		}
		x.URL, x.ApexURL, x.WorkloadURL, x.NetsecURL = c.URL, "", "", ""
		x.ApexApplicationID, x.ApexAPIKey, x.APIKey, x.User = c.ApexApplicationID, c.ApexAPIKey, c.APIKey, c.User
		x.CAFile, x.Pin, x.Insecure = "", c.Pin, false
	}
	changed := cmd.Flags().Changed
	for _, p := range []struct {
		flag string
		dst  *string
		v    string
	}{{"url", &x.URL, s.url}, {"apex-url", &x.ApexURL, s.apexURL}, {"workload-url", &x.WorkloadURL, s.workloadURL},
		{"netsec-url", &x.NetsecURL, s.netsecURL}, {"app-id", &x.ApexApplicationID, s.appID}, {"user", &x.User, s.user},
		{"ca-file", &x.CAFile, s.caFile}, {"pin", &x.Pin, s.pin}} {
		if changed(p.flag) {
			*p.dst = strings.TrimSpace(p.v)
		}
	}
	if changed("insecure") {
		x.Insecure = s.insecure
	}
	stdinUsed := 0
	for _, sf := range []struct {
		prefix string
		flags  secretFlags
		dst    *Secret
	}{{"app-key", s.appKey, &x.ApexAPIKey}, {"api-key", s.apiKey, &x.APIKey}, {"netsec-api-key", s.netsecKey, &x.NetsecAPIKey}} {
		if sf.flags.stdin {
			stdinUsed++
		}
		if stdinUsed > 1 {
			return usageErr("only one secret can be read from standard input at a time")
		}
		sec, ok, err := sf.flags.secret(sf.prefix, cmd.InOrStdin())
		if err != nil {
			return err
		}
		if ok {
			*sf.dst = sec
		}
	}
	for _, u := range []string{x.URL, x.ApexURL, x.WorkloadURL, x.NetsecURL} {
		if u == "" {
			continue
		}
		if _, err := transport.ParseBaseURL(u); err != nil {
			return usageErr("%w", err)
		}
	}
	if x.Pin != "" {
		if _, err := transport.ParseFingerprint(x.Pin); err != nil {
			return usageErr("%w", err)
		}
		if x.Insecure {
			return usageErr("context %q: insecure and a pinned fingerprint contradict each other; keep the pin", name)
		}
	}
	if s.use {
		cn.cfg.CurrentContext = name
	}
	if err := cn.cfg.save(cn.configPath); err != nil {
		return failure("%w", err)
	}
	verb := "Modified"
	if created {
		verb = "Created"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s context %q in %s.\n", verb, name, cn.configPath)
	if s.use {
		fmt.Fprintf(cmd.OutOrStdout(), "Switched to context %q.\n", name)
	}
	return nil
}

// resolvedView is `config view --resolved`: every setting in force and
// where it came from, secrets by source only.
func (cn *conn) resolvedView() any {
	type secretView struct {
		Source string `json:"source,omitempty"`
		From   string `json:"from,omitempty"`
	}
	sv := func(s secretSetting) *secretView {
		if !s.set() {
			return nil
		}
		return &secretView{Source: s.secret.describe(), From: s.from}
	}
	type tlsView struct {
		CAFile   string   `json:"ca-file,omitempty"`
		Pin      []string `json:"pin,omitempty"`
		Insecure bool     `json:"insecure,omitempty"`
		From     string   `json:"from,omitempty"`
	}
	type sessionView struct {
		User            string `json:"user,omitempty"`
		AdministratorID int64  `json:"administratorID"`
		Created         string `json:"created,omitempty"`
	}
	view := struct {
		ConfigFile  string       `json:"config-file"`
		Context     string       `json:"context,omitempty"`
		Base        string       `json:"base,omitempty"`
		ApexURL     setting      `json:"apex-url"`
		WorkloadURL setting      `json:"workload-url"`
		NetsecURL   setting      `json:"netsec-url"`
		AppID       setting      `json:"apex-application-id"`
		AppKey      *secretView  `json:"apex-api-key,omitempty"`
		APIKey      *secretView  `json:"api-key,omitempty"`
		NetsecKey   *secretView  `json:"netsec-api-key,omitempty"`
		User        setting      `json:"user"`
		Password    *secretView  `json:"password,omitempty"`
		TLS         tlsView      `json:"tls"`
		Session     *sessionView `json:"session,omitempty"`
	}{ConfigFile: cn.configPath, Context: cn.contextName, Base: cn.baseFrom, ApexURL: cn.apexURL, WorkloadURL: cn.workloadURL,
		NetsecURL: cn.netsecURL, AppID: cn.appID, AppKey: sv(cn.appKey), APIKey: sv(cn.apiKey), NetsecKey: sv(cn.netsecKey),
		User: cn.user, Password: sv(cn.password),
		TLS: tlsView{CAFile: cn.tls.CAFile, Pin: cn.tls.PinnedSHA256, Insecure: cn.tls.Insecure, From: cn.tlsFrom}}
	if all, err := cn.loadSessions(); err == nil {
		if s, ok := all[cn.sessionKey()]; ok && s.URL == cn.workloadURL.Value {
			view.Session = &sessionView{User: s.User, AdministratorID: s.AdministratorID, Created: millis(s.Created)}
		}
	}
	return view
}

// completeContexts completes the names of the config file's contexts, for
// the --context flag or a command's first argument.
func completeContexts(cl *clientCLI) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		path, err := configPath(cl.opts.config, systemOf(cmd.Context()))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := loadConfig(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cfg.names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// firstArg limits a completion to a command's first argument.
func firstArg(f func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}
