package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/sealing"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

// openDir is an opened data directory: its store and its sealing key. The
// operator commands work on it directly, beside a running server.
type openDir struct {
	store *sqlstore.Store
	box   *sealing.Box
}

// onDataDir makes a cobra RunE that opens the data directory *dir, runs
// run on it, records it in the audit trail when it is a change (see
// operatorChanges), closes it, and turns run's error into an exit code.
func onDataDir(dir *string, run func(ctx context.Context, d openDir, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		st, err := sqlite.Open(ctx, *dir)
		if err != nil {
			return fail(fmt.Errorf("opening store: %w", err))
		}
		defer st.Close()
		box, err := sealing.LoadOrCreate(filepath.Join(*dir, "secret.key"))
		if err != nil {
			return fail(fmt.Errorf("loading sealing key: %w", err))
		}
		ctx, slot := audit.WithActorSlot(ctx)
		err = run(ctx, openDir{store: st, box: box}, args)
		recordChange(ctx, cmd, st, slot, args, err)
		return exitFor(err)
	}
}

// exitFor maps the domains' "not found" and "invalid" errors to the exit
// codes scripts rely on.
func exitFor(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, identity.ErrNotFound), errors.Is(err, appliances.ErrNotFound),
		errors.Is(err, fleet.ErrAgentNotFound), errors.Is(err, fleet.ErrServerNotFound):
		return &exitError{ExitNotFound, err}
	case errors.Is(err, identity.ErrInvalid), errors.Is(err, appliances.ErrInvalid), errors.Is(err, fleet.ErrInvalid):
		return &exitError{ExitUsage, err}
	default:
		return fail(err)
	}
}
