package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/spf13/cobra"
)

// newUsers manages Workload Security administrators on the data directory.
// Passwords are read from standard input (one line), never from flags, so
// they stay out of shell history and process lists.
func newUsers(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "users", Short: "Manage administrators (Workload Security sign-in)"}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "./rampart-data", "the server's data directory")
	with := func(run func(ctx context.Context, access *identity.Access, args []string) error) func(*cobra.Command, []string) error {
		return onDataDir(&dataDir, func(ctx context.Context, d openDir, args []string) error {
			access := identity.NewAccess(d.store, d.box, identity.DefaultPolicy(), nil)
			if err := access.Init(ctx); err != nil {
				return err
			}
			return run(ctx, access, args)
		})
	}
	readPassword := func() (string, error) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}

	var role int64
	add := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Add an administrator; the password is read from standard input",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, access *identity.Access, args []string) error {
			pw, err := readPassword()
			if err != nil {
				return err
			}
			a, err := access.AddAdmin(ctx, args[0], pw, role)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Administrator %s added (ID %d, role %d).\n", a.Username, a.ID, a.RoleID)
			return nil
		}),
	}
	add.Flags().Int64Var(&role, "role", identity.FullAccessRoleID, "role ID (1 Full Access, 2 Auditor, or a custom role)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List administrators",
		Args:  cobra.NoArgs,
		RunE: with(func(ctx context.Context, access *identity.Access, _ []string) error {
			admins, err := access.Admins(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tFAILED\tLOCKED UNTIL\tMFA")
			for _, a := range admins {
				locked := "-"
				if time.Now().Before(a.LockedUntil) {
					locked = a.LockedUntil.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%v\n", a.ID, a.Username, a.RoleID, a.Failed, locked, a.TOTPSecret != "")
			}
			return tw.Flush()
		}),
	}
	passwd := &cobra.Command{
		Use:   "passwd USERNAME",
		Short: "Set an administrator's password (read from standard input); also unlocks",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, access *identity.Access, args []string) error {
			pw, err := readPassword()
			if err != nil {
				return err
			}
			if err := access.SetPassword(ctx, args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Password of %s changed.\n", args[0])
			return nil
		}),
	}
	unlock := &cobra.Command{
		Use:   "unlock USERNAME",
		Short: "Clear an administrator's failed sign-ins and lock",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, access *identity.Access, args []string) error {
			if err := access.Unlock(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s unlocked.\n", args[0])
			return nil
		}),
	}
	mfa := &cobra.Command{
		Use:   "mfa USERNAME",
		Short: "Require a TOTP code at sign-in; prints the new secret once",
		Args:  cobra.ExactArgs(1),
		RunE: with(func(ctx context.Context, access *identity.Access, args []string) error {
			secret, err := access.EnableTOTP(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "TOTP secret (base32, shown only now): %s\n", secret)
			return nil
		}),
	}
	cmd.AddCommand(add, list, passwd, unlock, mfa)
	return cmd
}
