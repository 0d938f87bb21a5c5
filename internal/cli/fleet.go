package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/spf13/cobra"
)

// newFleet shows the operator what the Apex API does not: each agent's
// update source and command queue, read from the data directory.
func newFleet(stdout io.Writer) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "fleet", Short: "Inspect the fleet held in a data directory"}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	agents := &cobra.Command{
		Use:   "agents",
		Short: "List agents with their isolation state, managing server, update source and pending commands",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := sqlite.Open(ctx, dataDir)
			if err != nil {
				return fail(fmt.Errorf("opening store: %w", err))
			}
			defer st.Close()
			svc := fleet.NewService(st, nil, nil)
			all, err := svc.Agents(ctx, fleet.AgentFilter{})
			if err != nil {
				return fail(err)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HOST\tENTITY ID\tSERVER\tFOLDER\tISOLATION\tUPDATE SOURCE\tPENDING")
			for _, a := range all {
				cmds, err := svc.Commands(ctx, a.EntityID)
				if err != nil {
					return fail(err)
				}
				var pending []string
				for _, c := range cmds {
					if c.State == fleet.CommandQueued || c.State == fleet.CommandDelivered {
						pending = append(pending, string(c.Kind)+"("+string(c.State)+")")
					}
				}
				src := a.UpdateSource
				if src == "" {
					src = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.HostName, a.EntityID, a.ManagingServerID, a.FolderPath,
					a.Isolation, src, strings.Join(pending, ","))
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(agents)
	return cmd
}
