package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/spf13/cobra"
)

// newApps is the console's "Automation API Access Settings" on the command
// line. It works on the data directory, so it runs beside a live server.
func newApps(stdout io.Writer) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Manage Apex Central Automation API applications",
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	withApps := func(run func(ctx context.Context, apps *identity.Service, args []string) error) func(*cobra.Command, []string) error {
		return onDataDir(&dataDir, func(ctx context.Context, d openDir, args []string) error {
			return run(ctx, identity.NewService(d.store, d.box, nil, nil), args)
		})
	}

	var name string
	var timeout int
	var disabled bool
	add := &cobra.Command{
		Use:   "add --name NAME [--timeout SECONDS]",
		Short: "Add an application; prints its ID and API key (the key only this once)",
		Args:  cobra.NoArgs,
		RunE: withApps(func(ctx context.Context, apps *identity.Service, _ []string) error {
			app, err := apps.Add(ctx, name, time.Duration(timeout)*time.Second, !disabled)
			if err != nil {
				return err
			}
			audit.SetTarget(ctx, app.ID)
			fmt.Fprintf(stdout, "Application ID: %s\nAPI key:        %s\nAPI type:       Apex Central Automation API\nTime-out:       %ds\nEnabled:        %v\n",
				app.ID, app.APIKey, int(app.Timeout.Seconds()), app.Enabled)
			fmt.Fprintln(stdout, "The API key is shown only now; rotate it with `rampart apps rotate-key` if it is lost.")
			return nil
		}),
	}
	add.Flags().StringVar(&name, "name", "", "application name (required)")
	add.Flags().IntVar(&timeout, "timeout", int(identity.DefaultTimeout.Seconds()), "communication time-out in seconds (5, 10, 20, 30, 60, 120, 180, 300, 600, 1800 or 3600)")
	add.Flags().BoolVar(&disabled, "disabled", false, "add the application disabled")
	_ = add.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List applications (never their keys)",
		Args:  cobra.NoArgs,
		RunE: withApps(func(ctx context.Context, apps *identity.Service, _ []string) error {
			all, err := apps.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "APPLICATION ID\tNAME\tENABLED\tTIME-OUT\tCREATED")
			for _, a := range all {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%ds\t%s\n", a.ID, a.Name, a.Enabled, int(a.Timeout.Seconds()), a.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		}),
	}
	setEnabled := func(use string, enabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID",
			Short: use + " an application",
			Args:  cobra.ExactArgs(1),
			RunE: withApps(func(ctx context.Context, apps *identity.Service, args []string) error {
				if err := apps.SetEnabled(ctx, args[0], enabled); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "Application %s %sd.\n", args[0], use)
				return nil
			}),
		}
	}
	rotate := &cobra.Command{
		Use:   "rotate-key ID",
		Short: "Give an application a new API key (printed once); the old key stops working",
		Args:  cobra.ExactArgs(1),
		RunE: withApps(func(ctx context.Context, apps *identity.Service, args []string) error {
			app, err := apps.RotateKey(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Application ID: %s\nAPI key:        %s\n", app.ID, app.APIKey)
			return nil
		}),
	}
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove an application",
		Args:  cobra.ExactArgs(1),
		RunE: withApps(func(ctx context.Context, apps *identity.Service, args []string) error {
			if err := apps.Remove(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Application %s removed.\n", args[0])
			return nil
		}),
	}
	cmd.AddCommand(add, list, setEnabled("enable", true), setEnabled("disable", false), rotate, remove)
	return cmd
}
