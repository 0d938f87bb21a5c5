package netsec

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-sec/rampart/client/internal/poll"
)

// WaitOptions configure the migration poller.
type WaitOptions struct {
	// Interval is the wait between two polls; 2 s when zero.
	Interval time.Duration
	// Progress, when set, is called with the status after each poll.
	Progress func(MigrationStatus)
}

// WaitMigration polls the latest migration of appliance id until it
// finishes (result no longer ""), and returns its final status. A
// migration that ends other than in success returns its status and a
// *MigrationFailedError. The context bounds the wait: when it ends first,
// the error wraps its error and the status is the last one seen.
func (c *Client) WaitMigration(ctx context.Context, id int64, opts WaitOptions) (MigrationStatus, error) {
	var last MigrationStatus
	err := poll.Until(ctx, opts.Interval, c.tr.Sleep, func(ctx context.Context) (bool, error) {
		ss, err := c.MigrationStatuses(ctx, id)
		if err != nil {
			return false, err
		}
		found := false
		for _, s := range ss {
			if s.ApplianceID == id {
				last, found = s, true
			}
		}
		if !found {
			return false, fmt.Errorf("%w: appliance %d", ErrNoMigration, id)
		}
		if opts.Progress != nil {
			opts.Progress(last)
		}
		return last.Done(), nil
	})
	if err != nil {
		return last, fmt.Errorf("network security: waiting for the migration of appliance %d: %w", id, err)
	}
	if !last.Succeeded() {
		return last, &MigrationFailedError{Status: last}
	}
	return last, nil
}
