package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rampart-sec/rampart/internal/fleet"
)

// TestGroupCommitIsolatesFailures: many write transactions at once (so
// they are committed in groups), a third of them failing after writing and
// some failing on a constraint: each failure leaves nothing behind and
// gets its own error; every other transaction is committed.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	if err := s.InsertAgent(ctx, fleet.Agent{EntityID: "TAKEN", HostName: "taken", Isolation: fleet.StatusNormal}); err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	const n = 90
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.InTx(ctx, func(tx fleet.Store) error {
				id := fmt.Sprintf("AG-%03d", i)
				if err := tx.InsertAgent(ctx, fleet.Agent{EntityID: id, HostName: id, Isolation: fleet.StatusNormal}); err != nil {
					return err
				}
				switch i % 3 {
				case 1:
					return errBoom // after a write: the write must go
				case 2:
					// A constraint failure inside the transaction.
					return tx.InsertAgent(ctx, fleet.Agent{EntityID: "TAKEN", HostName: "again", Isolation: fleet.StatusNormal})
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range results {
		_, getErr := s.Agent(ctx, fmt.Sprintf("AG-%03d", i))
		switch i % 3 {
		case 0:
			if err != nil || getErr != nil {
				t.Errorf("transaction %d: %v, agent read: %v; want committed", i, err, getErr)
			}
		case 1:
			if !errors.Is(err, errBoom) || !errors.Is(getErr, fleet.ErrAgentNotFound) {
				t.Errorf("transaction %d: %v, agent read: %v; want boom and nothing stored", i, err, getErr)
			}
		case 2:
			if err == nil || !errors.Is(getErr, fleet.ErrAgentNotFound) {
				t.Errorf("transaction %d: %v, agent read: %v; want a constraint error and nothing stored", i, err, getErr)
			}
		}
	}
	if a, err := s.Agent(ctx, "TAKEN"); err != nil || a.HostName != "taken" {
		t.Errorf("the agent the failures collided with: %+v %v", a, err)
	}
}

// TestGroupCommitCanceledContext: a transaction whose context has ended
// before its turn is refused and writes nothing; others go on.
func TestGroupCommitCanceledContext(t *testing.T) {
	s := open(t, t.TempDir())
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.InTx(canceled, func(tx fleet.Store) error {
		return tx.InsertAgent(canceled, fleet.Agent{EntityID: "NO", HostName: "no", Isolation: fleet.StatusNormal})
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled transaction: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Agent(ctx, "NO"); !errors.Is(err, fleet.ErrAgentNotFound) {
		t.Errorf("the canceled transaction wrote: %v", err)
	}
	if err := s.InTx(ctx, func(tx fleet.Store) error {
		return tx.InsertAgent(ctx, fleet.Agent{EntityID: "YES", HostName: "yes", Isolation: fleet.StatusNormal})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Agent(ctx, "YES"); err != nil {
		t.Errorf("after a canceled one, a transaction: %v", err)
	}
}
