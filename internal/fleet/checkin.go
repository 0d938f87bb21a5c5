package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckIn records that an agent is alive and hands it the commands queued
// for it, marking them delivered. An unknown agent (one uninstalled, say)
// gets ErrAgentNotFound.
//
// A command delivered more than RedeliverAfter ago and never reported is
// delivered again: the agent (or the replica it talked to) may have died
// with it. Every command the agents carry out is idempotent, and only the
// first report of a delivery settles the agent, so a late report of the
// earlier delivery changes nothing twice.
func (s *Service) CheckIn(ctx context.Context, agentID string) ([]Command, error) {
	var out []Command
	err := s.store.InTx(ctx, func(tx Store) error {
		out = nil // a transaction the store retries starts afresh
		now := s.now().UTC()
		if err := tx.TouchAgent(ctx, agentID, now); err != nil {
			return fmt.Errorf("checking in agent %s: %w", agentID, err)
		}
		queued, err := tx.Commands(ctx, agentID, CommandQueued)
		if err != nil {
			return fmt.Errorf("reading commands of agent %s: %w", agentID, err)
		}
		delivered, err := tx.Commands(ctx, agentID, CommandDelivered)
		if err != nil {
			return fmt.Errorf("reading commands of agent %s: %w", agentID, err)
		}
		for _, c := range queued {
			if err := s.deliver(ctx, tx, c, CommandQueued, now, &out); err != nil {
				return err
			}
		}
		for _, c := range delivered {
			if now.Sub(c.DeliveredAt) < s.RedeliverAfter {
				continue
			}
			if err := s.deliver(ctx, tx, c, CommandDelivered, now, &out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deliver marks c delivered at now if it is still in state from (CheckIn's
// transaction makes reading and delivering one step, so two check-ins
// never both take a command).
func (s *Service) deliver(ctx context.Context, tx Store, c Command, from CommandState, now time.Time, out *[]Command) error {
	c.State, c.DeliveredAt = CommandDelivered, now
	ok, err := tx.SetCommandState(ctx, c, from)
	if err != nil {
		return fmt.Errorf("delivering command %s: %w", c.ID, err)
	}
	if ok {
		*out = append(*out, c)
	}
	return nil
}

// Report applies an agent's results: each delivered command becomes done or
// failed and the agent's state settles accordingly. A result for a command
// that is not the agent's, or not delivered, is refused and nothing of the
// report is applied.
func (s *Service) Report(ctx context.Context, agentID string, results []Result) error {
	return s.store.InTx(ctx, func(tx Store) error {
		for _, r := range results {
			c, err := tx.Command(ctx, r.CommandID)
			if errors.Is(err, ErrCommandNotFound) || (err == nil && Key(c.AgentID) != Key(agentID)) {
				return fmt.Errorf("%w: %s", ErrCommandNotFound, r.CommandID)
			}
			if err != nil {
				return fmt.Errorf("reading command %s: %w", r.CommandID, err)
			}
			if c.State != CommandDelivered {
				return fmt.Errorf("%w: command %s is %s", ErrCommandNotDelivered, c.ID, c.State)
			}
			c.State, c.Message, c.FinishedAt = CommandFailed, r.Message, s.now().UTC()
			if r.OK {
				c.State = CommandDone
			}
			if ok, err := tx.SetCommandState(ctx, c, CommandDelivered); err != nil || !ok {
				return fmt.Errorf("finishing command %s (moved: %v): %w", c.ID, ok, err)
			}
			if err := s.settle(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// settle moves the agent to where a finished command leaves it.
func (s *Service) settle(ctx context.Context, tx Store, c Command) error {
	a, err := tx.Agent(ctx, c.AgentID)
	if errors.Is(err, ErrAgentNotFound) {
		return nil // uninstalled meanwhile
	}
	if err != nil {
		return fmt.Errorf("reading agent %s: %w", c.AgentID, err)
	}
	done := c.State == CommandDone
	switch c.Kind {
	case CommandIsolate:
		if a.Isolation != StatusIsolationPending {
			return nil
		}
		a.Isolation = StatusNormal
		if done {
			a.Isolation = StatusIsolated
		}
	case CommandRestore:
		if a.Isolation != StatusRestorationPending {
			return nil
		}
		a.Isolation = StatusIsolated
		if done {
			a.Isolation = StatusNormal
		}
	case CommandUninstall:
		if done {
			if err := tx.DeleteAgent(ctx, a.EntityID); err != nil {
				return fmt.Errorf("removing uninstalled agent %s: %w", a.EntityID, err)
			}
			return nil
		}
		a.Uninstalling = false
	case CommandUpdateSource:
		if !done {
			return nil
		}
		a.UpdateSource = c.Params["ous"]
	default: // CommandRelocate: the record moved when the command was accepted.
		return nil
	}
	if err := tx.UpdateAgent(ctx, a); err != nil {
		return fmt.Errorf("settling agent %s after %s: %w", a.EntityID, c.Kind, err)
	}
	return nil
}
