package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/client/search"
	"github.com/rampart-sec/rampart/client/workload"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

const workloadHelp = `Workload Security API calls (/api, api-version v1), authenticated with, in this
order: an API key from --api-key-file or RAMPART_API_KEY, the session of ` + "`rampart login`" + `,
or the API key of the context (or of --credentials).`

// password reads an administrator's password: the first line of standard
// input with --password-stdin, else RAMPART_PASSWORD or the credentials
// file's, else a prompt on the terminal (not echoed).
func (cn *conn) readPassword(ctx context.Context, cmd *cobra.Command, fromStdin bool, user string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", failure("reading the password from standard input: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", usageErr("--password-stdin: standard input holds no password")
		}
		return pw, nil
	}
	if cn.password.set() {
		return cn.secret(ctx, cn.password, "password")
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !cn.sys.IsTerminal(in) {
		return "", usageErr("no password: standard input is not a terminal to prompt on; give --password-stdin or RAMPART_PASSWORD")
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Password for %s at %s: ", user, cn.workloadURL.Value)
	pw, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", failure("reading the password: %w", err)
	}
	if len(pw) == 0 {
		return "", usageErr("no password given")
	}
	return string(pw), nil
}

// signInFlags are the flags of the commands that sign in.
type signInFlags struct {
	user, tenant, mfa string
	passwordStdin     bool
}

func (s *signInFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.user, "user", "", "administrator to sign in as (env RAMPART_USER, or the context's user)")
	f.BoolVar(&s.passwordStdin, "password-stdin", false, "read the password from the first line of standard input (else RAMPART_PASSWORD, else a prompt)")
	f.StringVar(&s.tenant, "tenant", "", "tenant name, on a multi-tenant manager")
	f.StringVar(&s.mfa, "mfa-code", "", "current TOTP code, when the account requires one")
}

// signIn opens a session with the flags' credentials.
func (s signInFlags) signIn(ctx context.Context, cmd *cobra.Command, cn *conn) (*workload.Client, workload.Session, string, error) {
	user := first(setting{s.user, "flag --user"}, cn.user).Value
	if user == "" {
		return nil, workload.Session{}, "", usageErr("give --user (or RAMPART_USER, or a user in the context)")
	}
	c, err := cn.workloadAnon()
	if err != nil {
		return nil, workload.Session{}, "", err
	}
	pw, err := cn.readPassword(ctx, cmd, s.passwordStdin, user)
	if err != nil {
		return nil, workload.Session{}, "", err
	}
	sess, err := c.SignIn(ctx, workload.Credentials{UserName: user, Password: pw, TenantName: s.tenant, MFACode: s.mfa})
	if err != nil {
		return nil, workload.Session{}, "", fmt.Errorf("signing in as %s: %w", user, err)
	}
	return c, sess, user, nil
}

// newLogin is `rampart login`.
func (cl *clientCLI) newLogin() *cobra.Command {
	var s signInFlags
	cmd := cl.group("login", "Sign in to Workload Security and keep the session for the keys and roles commands",
		`Sign in to Workload Security (POST /api/sessions) and save the session (its sID cookie and
rID) in sessions.json beside the config file, mode 0600, for the context in use (or for the URL
when no context is). The keys and roles commands then use it, unless an API key is given by
--api-key-file or RAMPART_API_KEY. The session ends after inactivity, or with `+"`rampart logout`"+`.

The password is read from standard input with --password-stdin, else from RAMPART_PASSWORD or
the --credentials file, else prompted for on the terminal.

`+exitCodesHelp)
	cmd.Args = cobra.NoArgs
	s.register(cmd)
	cmd.RunE = cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
		_, sess, user, err := s.signIn(ctx, cmd, cn)
		if err != nil {
			return err
		}
		all, err := cn.loadSessions()
		if err != nil {
			return err
		}
		all[cn.sessionKey()] = storedSession{URL: cn.workloadURL.Value, User: user, AdministratorID: sess.AdministratorID,
			Created: sess.Created, SID: sess.SID, RID: sess.RID}
		if err := cn.saveSessions(all); err != nil {
			return failure("saving the session: %w", err)
		}
		where := "context " + strconv.Quote(cn.contextName)
		if cn.contextName == "" {
			where = cn.workloadURL.Value
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Signed in as %s (administrator %d); the session is saved for %s.\n", user, sess.AdministratorID, where)
		return nil
	})
	return cmd
}

// newLogout is `rampart logout`.
func (cl *clientCLI) newLogout() *cobra.Command {
	cmd := cl.group("logout", "End the saved Workload Security session",
		"Sign the saved session out (DELETE /api/sessions/current) and forget it. A session the server\nhas already ended is forgotten all the same.\n\n"+exitCodesHelp)
	cmd.Args = cobra.NoArgs
	cmd.RunE = cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
		sess, ok, err := cn.session()
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(cmd.OutOrStdout(), "No session is saved for this context.")
			return nil
		}
		c, err := cn.workloadAnon()
		if err != nil {
			return err
		}
		outErr := c.WithSession(sess).SignOut(ctx)
		all, err := cn.loadSessions()
		if err != nil {
			return err
		}
		delete(all, cn.sessionKey())
		if err := cn.saveSessions(all); err != nil {
			return failure("forgetting the session: %w", err)
		}
		if outErr != nil && !workload.IsUnauthorized(outErr) {
			return fmt.Errorf("the session is forgotten, but signing out failed: %w", outErr)
		}
		fmt.Fprintln(cmd.OutOrStdout(), "Signed out.")
		return nil
	})
	return cmd
}

func keysTable(keys []workload.APIKey) table {
	t := table{header: []string{"ID", "NAME", "ROLE", "ACTIVE", "CREATED", "EXPIRES", "LAST SIGN-IN", "DESCRIPTION"}}
	for _, k := range keys {
		t.add(strconv.FormatInt(k.ID, 10), k.KeyName, strconv.FormatInt(k.RoleID, 10), strconv.FormatBool(k.Active),
			millis(k.Created), orNone(millis(k.ExpiryDate), "never"), orNone(millis(k.LastSignIn), "never"), k.Description)
	}
	return t
}

func rolesTable(roles []workload.Role) table {
	t := table{header: []string{"ID", "NAME", "IMMUTABLE", "API KEYS", "DESCRIPTION"}}
	for _, r := range roles {
		k := r.Rights.PlatformRights.APIKeyRights
		rights := "none"
		switch {
		case k.CanCreateNewAPIKeys && k.CanDeleteAPIKeys && k.CanEditAPIKeyProperties:
			rights = "full"
		case k.CanViewAPIKeys:
			rights = "view"
		}
		t.add(strconv.FormatInt(r.ID, 10), r.Name, strconv.FormatBool(r.Immutable), rights, r.Description)
	}
	return t
}

// printNewKey prints a key with its secret, which the server shows this
// once.
func printNewKey(w io.Writer, out outputFormat, k workload.APIKey) error {
	if out != formatTable {
		return out.print(w, k, nil)
	}
	if err := out.print(w, nil, func() table { return keysTable([]workload.APIKey{k}) }); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nSecret key (shown only this once; store it now): %s\n", k.SecretKey)
	return err
}

// newKeyFlags are the properties of a new key.
type newKeyFlags struct {
	name, description, role, locale, timeZone string
	expiresIn                                 string
}

func (k *newKeyFlags) register(cmd *cobra.Command, defName, defRole string) {
	f := cmd.Flags()
	f.StringVar(&k.name, "name", defName, "the key's name")
	f.StringVar(&k.description, "description", "", "the key's description")
	f.StringVar(&k.role, "role", defRole, `role, by ID or name (1 "Full Access", 2 "Auditor", ...)`)
	f.StringVar(&k.locale, "locale", "", "en-US or ja-JP (server default en-US)")
	f.StringVar(&k.timeZone, "time-zone", "", "IANA time zone, e.g. Asia/Tokyo")
	f.StringVar(&k.expiresIn, "expires-in", "", "the key expires after this long, e.g. 14d or 36h (default never)")
	_ = cmd.RegisterFlagCompletionFunc("locale", cobra.FixedCompletions([]string{"en-US", "ja-JP"}, cobra.ShellCompDirectiveNoFileComp))
}

// build makes the NewAPIKey, resolving a role name with c.
func (k newKeyFlags) build(ctx context.Context, cn *conn, c *workload.Client) (workload.NewAPIKey, error) {
	if k.name == "" {
		return workload.NewAPIKey{}, usageErr("give the key a --name")
	}
	nk := workload.NewAPIKey{KeyName: k.name, Description: k.description, Locale: k.locale, TimeZone: k.timeZone}
	if k.expiresIn != "" {
		d, err := parseDuration(k.expiresIn)
		if err != nil || d <= 0 {
			return nk, usageErr("--expires-in %q: give a positive duration such as 14d, 36h or 90m", k.expiresIn)
		}
		nk.ExpiryDate = cn.sys.Now().Add(d).UnixMilli()
	}
	if k.role != "" {
		id, err := roleID(ctx, c, k.role)
		if err != nil {
			return nk, err
		}
		nk.RoleID = id
	}
	return nk, nil
}

// parseDuration reads a Go duration, or a number of days ("14d").
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// roleID reads a role given by ID or by exact name.
func roleID(ctx context.Context, c *workload.Client, role string) (int64, error) {
	if id, err := strconv.ParseInt(role, 10, 64); err == nil {
		return id, nil
	}
	roles, err := c.SearchRoles(ctx, workload.SearchFilter{SearchCriteria: []workload.SearchCriteria{search.StringEquals("name", role).NoWildcards()}})
	if err != nil {
		return 0, fmt.Errorf("finding the role %q: %w", role, err)
	}
	if len(roles) == 0 {
		return 0, notFound("no role is named %q; see `rampart roles list`", role)
	}
	return roles[0].ID, nil
}

func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErr("%q is not %s ID (a positive number)", s, what)
	}
	return id, nil
}

// newKeys is `rampart keys`.
func (cl *clientCLI) newKeys() *cobra.Command {
	cmd := cl.group("keys", "Workload Security API keys: bootstrap, create, list, search, rotate, delete", workloadHelp+"\n\n"+exitCodesHelp)

	var bs signInFlags
	var bk newKeyFlags
	var bout outputFormat
	bootstrap := &cobra.Command{
		Use:   "bootstrap --user U [--password-stdin] [--name N] [--role R]",
		Short: "Create the first API key from a username and password, in one step",
		Long: `Create an API key the way the first one is made (seed 003): sign in for a session, create the
key with it, sign out. The password is read from standard input with --password-stdin, else from
RAMPART_PASSWORD or the --credentials file, else prompted for on the terminal. The new key's
secret is printed once (-o json: its secretKey); the server never shows it again.

  KEY=$(rampart keys bootstrap --user administrator --password-stdin -o json < pw.txt | jq -r .secretKey)

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, sess, _, err := bs.signIn(ctx, cmd, cn)
			if err != nil {
				return err
			}
			sc := c.WithSession(sess)
			// Sign out whatever happens, with a context of its own so that
			// an interrupted run still closes the session.
			defer func() {
				octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if err := sc.SignOut(octx); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning: signing out:", err)
				}
			}()
			nk, err := bk.build(ctx, cn, sc)
			if err != nil {
				return err
			}
			k, err := sc.CreateAPIKey(ctx, nk)
			if err != nil {
				return fmt.Errorf("creating the key: %w", err)
			}
			return printNewKey(cmd.OutOrStdout(), bout, k)
		}),
	}
	bs.register(bootstrap)
	bk.register(bootstrap, "First Key", "1")
	addOutputFlag(bootstrap, &bout)

	var ck newKeyFlags
	var cout outputFormat
	create := &cobra.Command{
		Use:   "create --name N [--role R] [--description D] [--expires-in 14d]",
		Short: "Create an API key; its secret is printed once",
		Long:  "Create an API key (POST /api/apikeys). The secret is printed once (-o json: secretKey).\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			nk, err := ck.build(ctx, cn, c)
			if err != nil {
				return err
			}
			k, err := c.CreateAPIKey(ctx, nk)
			if err != nil {
				return err
			}
			return printNewKey(cmd.OutOrStdout(), cout, k)
		}),
	}
	ck.register(create, "", "")
	addOutputFlag(create, &cout)

	var lout outputFormat
	list := &cobra.Command{
		Use:   "list",
		Short: "List the API keys (never their secrets)",
		Long:  "List the API keys (GET /api/apikeys).\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			keys, err := c.ListAPIKeys(ctx)
			if err != nil {
				return err
			}
			return lout.print(cmd.OutOrStdout(), nonNil(keys), func() table { return keysTable(keys) })
		}),
	}
	addOutputFlag(list, &lout)

	var gout outputFormat
	get := &cobra.Command{
		Use:   "get ID|current",
		Short: "Describe one API key, or the calling one",
		Long:  "Describe an API key (GET /api/apikeys/{ID}), or with current the calling key.\n\n" + exitCodesHelp,
		Args:  cobra.ExactArgs(1),
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			var k workload.APIKey
			if args[0] == "current" {
				k, err = c.CurrentAPIKey(ctx)
			} else {
				id, perr := parseID("an API key", args[0])
				if perr != nil {
					return perr
				}
				k, err = c.DescribeAPIKey(ctx, id)
			}
			if err != nil {
				return err
			}
			return gout.print(cmd.OutOrStdout(), k, func() table { return keysTable([]workload.APIKey{k}) })
		}),
	}
	addOutputFlag(get, &gout)

	var sf searchFlags
	var sout outputFormat
	var sRole int64
	var sActive string
	searchCmd := &cobra.Command{
		Use:   "search [--name PATTERN] [--role ID] [--active true|false] [--filter JSON]",
		Short: "Search the API keys with a SearchFilter",
		Long: `Search the API keys (POST /api/apikeys/search). The flags are ANDed: --name tests keyName
(% matches any run, _ one character, unless --exact), --role the roleID, --active the active
flag. --filter takes a whole SearchFilter as JSON (or @FILE), to which the flags add criteria;
its fields are ID, keyName, description, locale, roleID, timeZone, active, created,
lastSignIn, unlockTime, unsuccessfulSignInAttempts, expiryDate, serviceAccount.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			f, err := sf.filter("keyName")
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("role") {
				f.SearchCriteria = append(f.SearchCriteria, search.NumberTest("roleID", search.Equal, float64(sRole)))
			}
			if sActive != "" {
				b, err := strconv.ParseBool(sActive)
				if err != nil {
					return usageErr("--active %q: give true or false", sActive)
				}
				f.SearchCriteria = append(f.SearchCriteria, search.BoolIs("active", b))
			}
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			keys, err := c.SearchAPIKeys(ctx, f)
			if err != nil {
				return err
			}
			return sout.print(cmd.OutOrStdout(), nonNil(keys), func() table { return keysTable(keys) })
		}),
	}
	sf.register(searchCmd)
	searchCmd.Flags().Int64Var(&sRole, "role", 0, "role ID")
	searchCmd.Flags().StringVar(&sActive, "active", "", "true or false")
	addOutputFlag(searchCmd, &sout)

	var rout outputFormat
	rotate := &cobra.Command{
		Use:   "rotate ID|current",
		Short: "Give an API key a new secret, printed once; the old one stops working at once",
		Long: `Give an API key a new secret (POST /api/apikeys/{ID}/secretkey, or with current the calling
key's own). The old secret stops working at once: update what uses it. The new secret is printed
once (-o json: secretKey).

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			var k workload.APIKey
			if args[0] == "current" {
				k, err = c.RotateCurrentAPIKeySecret(ctx)
			} else {
				id, perr := parseID("an API key", args[0])
				if perr != nil {
					return perr
				}
				k, err = c.RotateAPIKeySecret(ctx, id)
			}
			if err != nil {
				return err
			}
			return printNewKey(cmd.OutOrStdout(), rout, k)
		}),
	}
	addOutputFlag(rotate, &rout)

	del := &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete API keys",
		Long:  "Delete API keys (DELETE /api/apikeys/{ID}); their secrets stop working at once.\n\n" + exitCodesHelp,
		Args:  cobra.MinimumNArgs(1),
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				id, err := parseID("an API key", a)
				if err != nil {
					return err
				}
				ids[i] = id
			}
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := c.DeleteAPIKey(ctx, id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "API key %d deleted.\n", id)
			}
			return nil
		}),
	}
	cmd.AddCommand(bootstrap, create, list, get, searchCmd, rotate, del)
	return cmd
}

// searchFlags are what the search commands share.
type searchFlags struct {
	name, raw string
	exact     bool
	max       int
}

func (s *searchFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.name, "name", "", "name equal to this (% and _ are wildcards unless --exact)")
	f.BoolVar(&s.exact, "exact", false, "--name matches % and _ as themselves")
	f.StringVar(&s.raw, "filter", "", "a SearchFilter as JSON, or @FILE")
	f.IntVar(&s.max, "max", 0, "return at most this many (server default 5000)")
}

// filter builds the SearchFilter: --filter's, plus the name test on field.
func (s searchFlags) filter(field string) (workload.SearchFilter, error) {
	var f workload.SearchFilter
	if s.raw != "" {
		data := []byte(s.raw)
		if name, ok := strings.CutPrefix(s.raw, "@"); ok {
			var err error
			if data, err = os.ReadFile(name); err != nil {
				return f, usageErr("--filter: %w", err)
			}
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return f, usageErr("--filter is not a SearchFilter: %w", err)
		}
	}
	if s.name != "" {
		c := search.StringEquals(field, s.name)
		if s.exact {
			c = c.NoWildcards()
		}
		f.SearchCriteria = append(f.SearchCriteria, c)
	}
	if s.max > 0 {
		f.MaxItems = s.max
	}
	return f, nil
}

// newRoles is `rampart roles`.
func (cl *clientCLI) newRoles() *cobra.Command {
	cmd := cl.group("roles", "Workload Security roles: list, search, get", workloadHelp+"\n\n"+exitCodesHelp)
	var lout outputFormat
	list := &cobra.Command{
		Use:   "list",
		Short: "List the roles",
		Long:  "List the roles (GET /api/roles).\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			roles, err := c.ListRoles(ctx)
			if err != nil {
				return err
			}
			return lout.print(cmd.OutOrStdout(), nonNil(roles), func() table { return rolesTable(roles) })
		}),
	}
	addOutputFlag(list, &lout)

	var sf searchFlags
	var sout outputFormat
	searchCmd := &cobra.Command{
		Use:   "search [--name PATTERN] [--exact] [--filter JSON]",
		Short: "Search the roles with a SearchFilter (seed 003: --name Auditor)",
		Long: `Search the roles (POST /api/roles/search). --name tests the name (% matches any run, _ one
character, as the server does by default, unless --exact); --filter takes a whole SearchFilter as
JSON (or @FILE) on the fields ID, name, description, immutable, allComputers, allPolicies,
allowUserInterface, allowWebService.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			f, err := sf.filter("name")
			if err != nil {
				return err
			}
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			roles, err := c.SearchRoles(ctx, f)
			if err != nil {
				return err
			}
			return sout.print(cmd.OutOrStdout(), nonNil(roles), func() table { return rolesTable(roles) })
		}),
	}
	sf.register(searchCmd)
	addOutputFlag(searchCmd, &sout)

	var gout outputFormat
	get := &cobra.Command{
		Use:   "get ID",
		Short: "Describe one role with its rights",
		Long:  "Describe a role (GET /api/roles/{ID}).\n\n" + exitCodesHelp,
		Args:  cobra.ExactArgs(1),
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			id, err := parseID("a role", args[0])
			if err != nil {
				return err
			}
			c, err := cn.workload(ctx)
			if err != nil {
				return err
			}
			r, err := c.DescribeRole(ctx, id)
			if err != nil {
				return err
			}
			return gout.print(cmd.OutOrStdout(), r, func() table { return rolesTable([]workload.Role{r}) })
		}),
	}
	addOutputFlag(get, &gout)
	cmd.AddCommand(list, searchCmd, get)
	return cmd
}
