package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/spf13/cobra"
)

// newAppliances is `rampart appliances`: the Network Security API client
// commands (list, versions, upgrade, rollback, status), and two operator
// commands on the server's data directory: fail-next, which injects a
// migration failure for testing playbooks, and local-list, which shows the
// injected failures.
func (cl *clientCLI) newAppliances() *cobra.Command {
	cmd := cl.group("appliances", "Network Security appliances: list, versions, upgrade, rollback, status",
		`Network Security API calls (/api, api-version v1, Authorization: ApiKey), with the API key
from --api-key-file, RAMPART_API_KEY, or the context (netsec-api-key, else api-key).

fail-next and local-list are operator commands: they work on the server's data directory
(--data-dir), not through the API.

`+exitCodesHelp)
	cmd.AddCommand(cl.newAppliancesList(), cl.newAppliancesVersions(),
		cl.newMigrate(netsec.Upgrade), cl.newMigrate(netsec.Rollback), cl.newAppliancesStatus())
	cmd.AddCommand(newAppliancesOperator(cmd.OutOrStdout)...)
	return cmd
}

func appliancesTable(list []netsec.Appliance) table {
	t := table{header: []string{"ID", "INSTANCE ID", "TOS VERSION", "DV VERSION", "PROVIDER", "HOST"}}
	for _, a := range list {
		t.add(strconv.FormatInt(a.ID, 10), a.InstanceID, a.TOSVersion, a.DVVersion, a.Provider, a.HostName)
	}
	return t
}

func statusesTable(list []netsec.MigrationStatus) table {
	t := table{header: []string{"APPLIANCE", "ACTION", "STEP", "STATE", "RESULT", "MESSAGE", "TIME"}}
	for _, s := range list {
		step := strconv.Itoa(s.CurrentStep)
		if s.TotalSteps > 0 {
			step += "/" + strconv.Itoa(s.TotalSteps)
		}
		t.add(strconv.FormatInt(s.ApplianceID, 10), string(s.Action), step, s.State, orNone(s.Result, "running"), s.Message, millis(s.Time))
	}
	return t
}

var sortFields = []string{"ID", "instanceId", "dvVersion", "tosVersion", "provider", "hostName"}

func (cl *clientCLI) newAppliancesList() *cobra.Command {
	var o netsec.ListOptions
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "list [--query Q] [--sort-by FIELD] [--sort-direction asc|desc]",
		Short: "List the appliances, every page",
		Long: `List the appliances (GET /api/appliances), following the cursor from page to page.
--query is a substring of the ID, instance ID, provider, TOS version, DV version or host name.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, _ []string) error {
			c, err := cn.netsec(ctx)
			if err != nil {
				return err
			}
			all, err := c.AllAppliances(ctx, o)
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), nonNil(all), func() table { return appliancesTable(all) })
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.Query, "query", "", "substring to look for")
	f.StringVar(&o.SortBy, "sort-by", "", "ID, instanceId, dvVersion, tosVersion, provider or hostName")
	f.StringVar(&o.SortDirection, "sort-direction", "", "asc or desc")
	f.IntVar(&o.Limit, "page-size", 0, "appliances per page fetched (server default 10)")
	_ = cmd.RegisterFlagCompletionFunc("sort-by", cobra.FixedCompletions(sortFields, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("sort-direction", cobra.FixedCompletions([]string{"asc", "desc"}, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd, &out)
	return cmd
}

func (cl *clientCLI) newAppliancesVersions() *cobra.Command {
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "versions ID",
		Short: "Show an appliance's version and what it can upgrade or roll back to",
		Long: `Show an appliance's base version, whether it is up to date, the calling key's permission, and
the upgrade and rollback versions on offer (GET /api/migrationversions?applianceId=ID).

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cl.completeAppliances,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			id, err := parseID("an appliance", args[0])
			if err != nil {
				return err
			}
			c, err := cn.netsec(ctx)
			if err != nil {
				return err
			}
			v, err := c.MigrationVersions(ctx, id)
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), v, func() table {
				t := table{header: []string{"APPLIANCE", "BASE VERSION", "STATE", "PERMISSION", "UPGRADE", "ROLLBACK"}}
				deref := func(s *string) string {
					if s == nil {
						return "none"
					}
					return *s
				}
				t.add(args[0], v.BaseVersion, v.State, v.Permission, deref(v.Upgrade), deref(v.Rollback))
				return t
			})
		}),
	}
	addOutputFlag(cmd, &out)
	return cmd
}

// waitFlags are the flags of the commands that wait for migrations.
type waitFlags struct {
	wait              bool
	timeout, interval time.Duration
}

func (w *waitFlags) register(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.BoolVar(&w.wait, "wait", false, "wait until "+what+" finishes; exit 1 when it ends in fail")
	f.DurationVar(&w.timeout, "timeout", 30*time.Minute, "longest --wait (exit 6 when reached)")
	f.DurationVar(&w.interval, "interval", 2*time.Second, "time between two polls of --wait")
}

func (cl *clientCLI) newMigrate(action netsec.MigrationAction) *cobra.Command {
	var w waitFlags
	var out outputFormat
	short := map[netsec.MigrationAction]string{netsec.Upgrade: "Upgrade an appliance to the version on offer",
		netsec.Rollback: "Roll an appliance back to its previous version"}[action]
	cmd := &cobra.Command{
		Use:   string(action) + " ID [--wait]",
		Short: short,
		Long: short + ` (POST /api/appliancemigrations, action ` + string(action) + `). The migration runs in
the background; the command prints its status right after it starts, or with --wait, follows it
step by step (progress on standard error) and prints its final status, exiting 1 when it ends
in fail. A migration already running, or no version to move to, is a conflict (exit 5).

` + exitCodesHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cl.completeAppliances,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			id, err := parseID("an appliance", args[0])
			if err != nil {
				return err
			}
			c, err := cn.netsec(ctx)
			if err != nil {
				return err
			}
			if err := c.StartMigration(ctx, action, id); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s of appliance %d started\n", action, id)
			if w.wait {
				final, err := waitMigrations(ctx, cn, c, cmd, []int64{id}, w)
				if len(final) > 0 {
					if perr := out.print(cmd.OutOrStdout(), final, func() table { return statusesTable(final) }); perr != nil {
						return perr
					}
				}
				return err
			}
			ss, err := c.MigrationStatuses(ctx, id)
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), nonNil(ss), func() table { return statusesTable(ss) })
		}),
	}
	w.register(cmd, "the "+string(action))
	addOutputFlag(cmd, &out)
	return cmd
}

func (cl *clientCLI) newAppliancesStatus() *cobra.Command {
	var w waitFlags
	var out outputFormat
	cmd := &cobra.Command{
		Use:   "status [ID...] [--wait]",
		Short: "Show the latest migration of appliances, step by step",
		Long: `Show the latest migration of each appliance named, or of every appliance that has one (GET
/api/appliancemigrations?applianceIds=...). With --wait, follow the running ones until they
finish (progress on standard error) and exit 1 when one ends in fail.

` + exitCodesHelp,
		ValidArgsFunction: cl.completeAppliances,
		RunE: cl.run(func(ctx context.Context, cmd *cobra.Command, cn *conn, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				id, err := parseID("an appliance", a)
				if err != nil {
					return err
				}
				ids[i] = id
			}
			c, err := cn.netsec(ctx)
			if err != nil {
				return err
			}
			ss, err := c.MigrationStatuses(ctx, ids...)
			if err != nil {
				return err
			}
			for _, id := range ids {
				found := false
				for _, s := range ss {
					found = found || s.ApplianceID == id
				}
				if !found {
					return notFound("appliance %d has no migration", id)
				}
			}
			if w.wait {
				if len(ids) == 0 {
					for _, s := range ss {
						ids = append(ids, s.ApplianceID)
					}
				}
				final, err := waitMigrations(ctx, cn, c, cmd, ids, w)
				if len(final) > 0 {
					if perr := out.print(cmd.OutOrStdout(), final, func() table { return statusesTable(final) }); perr != nil {
						return perr
					}
				}
				return err
			}
			return out.print(cmd.OutOrStdout(), nonNil(ss), func() table { return statusesTable(ss) })
		}),
	}
	w.register(cmd, "every migration")
	addOutputFlag(cmd, &out)
	return cmd
}

// waitMigrations follows the migrations of ids one after the other and
// returns their final statuses; the error is the first failure's.
func waitMigrations(ctx context.Context, cn *conn, c *netsec.Client, cmd *cobra.Command, ids []int64, w waitFlags) ([]netsec.MigrationStatus, error) {
	wctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	p := newProgress(cmd.ErrOrStderr(), cn.sys)
	defer p.done()
	var final []netsec.MigrationStatus
	var firstErr error
	for _, id := range ids {
		s, err := c.WaitMigration(wctx, id, netsec.WaitOptions{Interval: w.interval, Progress: func(s netsec.MigrationStatus) {
			step := strconv.Itoa(s.CurrentStep)
			if s.TotalSteps > 0 {
				step += "/" + strconv.Itoa(s.TotalSteps)
			}
			status := fmt.Sprintf("appliance %d %s: step %s %s: %s", s.ApplianceID, s.Action, step, s.State, s.Message)
			if s.Result != "" {
				status += " (" + s.Result + ")"
			}
			if p.tty {
				status = bar(s.CurrentStep, s.TotalSteps) + status
			}
			p.set(status)
		}})
		var failed *netsec.MigrationFailedError
		switch {
		case err == nil || errors.As(err, &failed):
			final = append(final, s)
		case s.ApplianceID != 0:
			final = append(final, s) // the last seen, when the wait was cut short
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err != nil && !errors.As(err, &failed) {
			break // a time-out or a refusal ends the other waits too
		}
	}
	return final, firstErr
}

// completeAppliances completes appliance IDs from the API.
func (cl *clientCLI) completeAppliances(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	ctx := cmd.Context()
	cn, err := cl.resolve(ctx, io.Discard)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	c, err := cn.netsec(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	all, err := c.AllAppliances(ctx, netsec.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, a := range all {
		out = append(out, strconv.FormatInt(a.ID, 10)+"\t"+a.InstanceID+" "+a.TOSVersion)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// newAppliancesOperator returns the operator's appliance commands on the
// data directory: failure injection for testing playbooks, and the list
// with the failures injected.
func newAppliancesOperator(stdout func() io.Writer) []*cobra.Command {
	var dataDir string
	with := func(run func(ctx context.Context, svc *appliances.Service, args []string) error) func(*cobra.Command, []string) error {
		return onDataDir(&dataDir, func(ctx context.Context, d openDir, args []string) error {
			return run(ctx, appliances.NewService(d.store, demo.Catalogue(), 0, nil), args)
		})
	}
	list := &cobra.Command{
		Use:   "local-list --data-dir DIR",
		Short: "List appliances from the data directory, with their versions and injected failures (operator)",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, svc *appliances.Service, _ []string) error {
			all, err := svc.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tINSTANCE\tVERSION\tROLLBACK TO\tFAIL NEXT AT STEP")
			for _, a := range all {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", a.ID, a.InstanceID, a.Version, a.Previous, a.FailStep)
			}
			return tw.Flush()
		}),
	}
	var step int
	var message string
	failNext := &cobra.Command{
		Use:   "fail-next ID --step N [--message TEXT] --data-dir DIR",
		Short: "Make the next migration of an appliance fail at step N, 0 clears (operator)",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, svc *appliances.Service, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q is not an appliance ID", appliances.ErrInvalid, args[0])
			}
			if err := svc.InjectFailure(ctx, id, step, message); err != nil {
				return err
			}
			fmt.Fprintf(stdout(), "The next migration of appliance %d will fail at step %d.\n", id, step)
			return nil
		}),
	}
	failNext.Flags().IntVar(&step, "step", 3, "the step to fail at, 2 to 5 (a rollback, which has 4 steps, fails at step 3 at the latest)")
	failNext.Flags().StringVar(&message, "message", "package signature verification failed", "why it fails, as the status reports it")
	for _, c := range []*cobra.Command{list, failNext} {
		c.Flags().StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	}
	return []*cobra.Command{list, failNext}
}
