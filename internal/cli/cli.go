// Package cli is the `rampart` command tree (cobra), built by constructors
// with no package-level state, so tests can run it in-process. It wires the
// server for `serve`, opens the data directory for the operator commands
// (`apps`, `users`, `fleet`, `appliances fail-next`, `migrate-store`), and
// runs the client commands (`servers`, `agents`, `keys`, `appliances`, ...)
// on the public SDK (client/...) only, as a third-party program would.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes scripts can rely on.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitNotFound = 3
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the CLI with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "rampart:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitUsage // cobra's own errors are usage errors
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Rampart: a self-hosted security management control plane",
		Long:          "Rampart serves the Apex Central Automation API (and more to come) on an embedded store, with a virtual fleet behind it.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServe(stdout, stderr), newApps(stdout), newFleet(stdout), newUsers(stdin, stdout))
	// The client commands, on the SDK (client/...), against a server's API.
	cl := &clientCLI{}
	root.AddCommand(cl.newConfig(), cl.newLogin(), cl.newLogout(), cl.newServers(), cl.newAgents(), cl.newUpdateSources(),
		cl.newKeys(), cl.newRoles(), cl.newAppliances(), newExitCodesTopic())
	root.AddCommand(newMigrateStore(stdout, stderr))
	root.AddCommand(newAudit())
	return root
}

func fail(err error) error { return &exitError{ExitFailure, err} }

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
