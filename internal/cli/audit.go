package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/spf13/cobra"
)

// operatorChanges are the operator commands (on the data directory) that
// change something: onDataDir records each run of them in the audit trail.
// Their listings (apps list, users list, appliances local-list) are not
// recorded.
var operatorChanges = map[string]bool{
	"apps add": true, "apps enable": true, "apps disable": true, "apps rotate-key": true, "apps remove": true,
	"users add": true, "users passwd": true, "users unlock": true, "users mfa": true,
	"appliances fail-next": true,
}

// recordChange records the run of an operator command that changes
// something: the operator (the operating-system user), the command, its
// target (what the command named with audit.SetTarget, else its first
// argument: an application ID, a username, an appliance ID) and its
// outcome. Standard input (passwords) and flags are never recorded. A
// failure to record is reported on standard error; the command's own
// result stands.
func recordChange(ctx context.Context, cmd *cobra.Command, store audit.Store, slot *audit.Slot, args []string, runErr error) {
	action := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	if !operatorChanges[action] {
		return
	}
	target := slot.Target()
	if target == "" && len(args) > 0 {
		target = args[0]
	}
	e := audit.Event{Actor: audit.OperatorActor(operatorName()), Family: audit.FamilyCLI, Action: action, Target: target, Outcome: "ok"}
	if runErr != nil {
		e.Outcome, e.Status = "failed: "+runErr.Error(), ExitFailure
		var ee *exitError
		if errors.As(exitFor(runErr), &ee) {
			e.Status = ee.code
		}
	}
	if _, err := audit.NewService(store, nil).Record(context.WithoutCancel(ctx), e); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "rampart: warning: the change was made but not recorded in the audit trail: %v\n", err)
	}
}

// operatorName is the operating-system user running the CLI.
func operatorName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// newAudit is `rampart audit`: the audit trail kept in the data
// directory's store, newest first.
func newAudit() *cobra.Command {
	var dataDir, since, actor, family string
	var limit int
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "audit [--since DURATION|RFC3339] [--actor KIND[:ID]] [--family FAMILY] [--limit N]",
		Short: "Show the audit trail: every change, who made it, when, and the outcome",
		Long: `Show the audit trail kept in the data directory's store, newest first: every change made
through the Apex Central, Workload Security and Network Security APIs, the web console and
the operator commands of this CLI, with who made it (an application, an API key, an
administrator, the operator), when, to what, and the outcome.

--since takes a duration back from now (24h, 90m) or an RFC 3339 time.
--actor takes a kind (` + strings.Join(audit.Kinds(), ", ") + `),
optionally with an ID: api-key:5, administrator:1, application:<Application ID>.
--family takes one of ` + strings.Join(audit.Families(), ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := audit.Filter{Family: family, Limit: limit}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return &exitError{ExitUsage, err}
				}
				f.Since = t
			}
			if actor != "" {
				f.ActorKind, f.ActorID, _ = strings.Cut(actor, ":")
			}
			ctx := cmd.Context()
			st, err := sqlite.Open(ctx, dataDir)
			if err != nil {
				return fail(fmt.Errorf("opening store: %w", err))
			}
			defer st.Close()
			events, err := audit.NewService(st, nil).List(ctx, f)
			if errors.Is(err, audit.ErrInvalid) {
				return &exitError{ExitUsage, err}
			}
			if err != nil {
				return fail(err)
			}
			return out.print(cmd.OutOrStdout(), events, func() table {
				t := table{header: []string{"ID", "TIME", "ACTOR", "FAMILY", "ACTION", "TARGET", "OUTCOME"}}
				for _, e := range events {
					t.add(strconv.FormatInt(e.ID, 10), e.At.Format("2006-01-02T15:04:05.000Z07:00"), e.Actor.String(), e.Family, e.Action, e.Target, e.Outcome)
				}
				return t
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	fl.StringVar(&since, "since", "", "only events since this long ago (24h) or this RFC 3339 time")
	fl.StringVar(&actor, "actor", "", "only events of this actor: KIND or KIND:ID")
	fl.StringVar(&family, "family", "", "only events of this family: "+strings.Join(audit.Families(), ", "))
	fl.IntVar(&limit, "limit", audit.DefaultLimit, fmt.Sprintf("at most this many events (1 to %d)", audit.MaxLimit))
	_ = cmd.RegisterFlagCompletionFunc("family", cobra.FixedCompletions(audit.Families(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("actor", cobra.FixedCompletions(audit.Kinds(), cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd, &out)
	return cmd
}

// parseSince reads --since: a positive duration back from now, or an RFC
// 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--since %s: give a positive duration (24h) or an RFC 3339 time", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q is neither a duration (24h, 90m) nor an RFC 3339 time (2026-11-24T12:00:00Z)", s)
	}
	return t, nil
}
