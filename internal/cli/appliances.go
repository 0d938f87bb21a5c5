package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/spf13/cobra"
)

// newAppliances holds the operator's appliance commands on the data
// directory: listing, and failure injection for testing playbooks.
func newAppliances(stdout io.Writer) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "appliances", Short: "Inspect Network Security appliances and inject migration failures"}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	with := func(run func(ctx context.Context, svc *appliances.Service, args []string) error) func(*cobra.Command, []string) error {
		return onDataDir(&dataDir, func(ctx context.Context, d openDir, args []string) error {
			return run(ctx, appliances.NewService(d.store, demo.Catalogue(), 0, nil), args)
		})
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List appliances with their versions and injected failures",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, svc *appliances.Service, _ []string) error {
			all, err := svc.List(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
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
		Use:   "fail-next ID --step N [--message TEXT]",
		Short: "Make the next migration of an appliance fail at step N (0 clears)",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, svc *appliances.Service, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q is not an appliance ID", appliances.ErrInvalid, args[0])
			}
			if err := svc.InjectFailure(ctx, id, step, message); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "The next migration of appliance %d will fail at step %d.\n", id, step)
			return nil
		}),
	}
	failNext.Flags().IntVar(&step, "step", 3, "the step to fail at, 2 to 5 (a rollback, which has 4 steps, fails at step 3 at the latest)")
	failNext.Flags().StringVar(&message, "message", "package signature verification failed", "why it fails, as the status reports it")
	cmd.AddCommand(list, failNext)
	return cmd
}
