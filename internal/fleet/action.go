package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Action is what an operator asks of a set of agents.
type Action string

// The four agent actions, in the vendor's words.
const (
	ActIsolate   Action = "cmd_isolate_agent"
	ActRestore   Action = "cmd_restore_isolated_agent"
	ActRelocate  Action = "cmd_relocate_agent"
	ActUninstall Action = "cmd_uninstall_agent"
)

// Valid reports whether a is one of the four actions.
func (a Action) Valid() bool {
	switch a {
	case ActIsolate, ActRestore, ActRelocate, ActUninstall:
		return true
	}
	return false
}

// ActRequest asks for one action on the agents that match Filter.
type ActRequest struct {
	Action        Action
	Filter        AgentFilter
	AllowMultiple bool
	// RelocateServerID and RelocateFolderPath are for ActRelocate only.
	RelocateServerID   string
	RelocateFolderPath string
}

// Act carries out req atomically: either every matching agent that has the
// action's capability gets its command queued and its state moved, or
// nothing changes. It returns the agents acted on as they are right after.
func (s *Service) Act(ctx context.Context, req ActRequest) ([]Agent, error) {
	if !req.Action.Valid() {
		return nil, fmt.Errorf("%w: unknown action %q", ErrInvalid, req.Action)
	}
	// A filter of blanks normalises to no filter at all: it would select
	// every agent.
	if req.Filter.Normalize().Empty() {
		return nil, fmt.Errorf("%w: give at least one of entity_id, ip_address, mac_address, host_name, product", ErrInvalid)
	}
	if req.Action == ActRelocate {
		if strings.TrimSpace(req.RelocateServerID) == "" {
			return nil, fmt.Errorf("%w: relocate_to_server_id is required", ErrInvalid)
		}
		if strings.TrimSpace(req.RelocateFolderPath) == "" {
			return nil, fmt.Errorf("%w: relocate_to_folder_path is required", ErrInvalid)
		}
	}
	var acted []Agent
	err := s.store.InTx(ctx, func(tx Store) error {
		acted = nil // a transaction the store retries starts afresh
		var target Server
		if req.Action == ActRelocate {
			var err error
			target, err = tx.Server(ctx, req.RelocateServerID)
			if errors.Is(err, ErrServerNotFound) {
				return fmt.Errorf("%w: %s", ErrTargetNotFound, req.RelocateServerID)
			}
			if err != nil {
				return fmt.Errorf("reading target server: %w", err)
			}
		}
		agents, err := tx.Agents(ctx, req.Filter.Normalize())
		if err != nil {
			return fmt.Errorf("finding agents: %w", err)
		}
		if len(agents) > 1 && !req.AllowMultiple {
			return fmt.Errorf("%w: %d agents match", ErrMultipleMatch, len(agents))
		}
		capability := Capability(req.Action)
		for _, a := range agents {
			if !a.Has(capability) || a.Uninstalling {
				continue
			}
			if req.Action == ActRelocate && !strings.EqualFold(target.Product, a.Product) {
				return fmt.Errorf("%w: server %s runs %s, agent %s is %s", ErrTargetIncapable, target.EntityID, target.Product, a.HostName, a.Product)
			}
			a, err := s.apply(ctx, tx, req, a, target)
			if err != nil {
				return err
			}
			acted = append(acted, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return acted, nil
}

// apply moves one agent for req and queues what it must carry out.
func (s *Service) apply(ctx context.Context, tx Store, req ActRequest, a Agent, target Server) (Agent, error) {
	switch req.Action {
	case ActIsolate:
		return s.toggle(ctx, tx, a, CommandIsolate, CommandRestore, StatusIsolationPending, StatusNormal, StatusIsolated, StatusRestorationPending)
	case ActRestore:
		return s.toggle(ctx, tx, a, CommandRestore, CommandIsolate, StatusRestorationPending, StatusIsolated, StatusNormal, StatusIsolationPending)
	case ActRelocate:
		a.ManagingServerID = target.EntityID
		a.FolderPath = req.RelocateFolderPath
		if err := tx.UpdateAgent(ctx, a); err != nil {
			return a, fmt.Errorf("relocating agent %s: %w", a.EntityID, err)
		}
		return a, s.enqueue(ctx, tx, a.EntityID, CommandRelocate, map[string]string{"server_id": target.EntityID, "folder_path": req.RelocateFolderPath})
	default: // ActUninstall
		a.Uninstalling = true
		if err := tx.UpdateAgent(ctx, a); err != nil {
			return a, fmt.Errorf("marking agent %s for uninstall: %w", a.EntityID, err)
		}
		return a, s.enqueue(ctx, tx, a.EntityID, CommandUninstall, nil)
	}
}

// toggle handles isolate and restore, which mirror each other. An agent
// already in (or on its way to) the wanted state is left alone. An agent on
// its way to the opposite state whose command the agent has not collected
// yet simply has that command cancelled and goes back to where it was.
// Otherwise the command is queued and the agent goes pending.
func (s *Service) toggle(ctx context.Context, tx Store, a Agent, kind, opposite CommandKind, pending, from, settled, oppositePending IsolationStatus) (Agent, error) {
	switch a.Isolation {
	case pending, settled, StatusIsolationNotSupport:
		return a, nil
	case oppositePending:
		queued, err := tx.Commands(ctx, a.EntityID, CommandQueued)
		if err != nil {
			return a, fmt.Errorf("reading queued commands of agent %s: %w", a.EntityID, err)
		}
		for _, c := range queued {
			if c.Kind != opposite {
				continue
			}
			c.State, c.Message, c.FinishedAt = CommandCancelled, "cancelled by a later "+string(kind), s.now().UTC()
			ok, err := tx.SetCommandState(ctx, c, CommandQueued)
			if err != nil {
				return a, fmt.Errorf("cancelling command %s: %w", c.ID, err)
			}
			if ok {
				a.Isolation = settled
				if err := tx.UpdateAgent(ctx, a); err != nil {
					return a, fmt.Errorf("updating agent %s: %w", a.EntityID, err)
				}
				return a, nil
			}
		}
	case from:
	}
	a.Isolation = pending
	if err := tx.UpdateAgent(ctx, a); err != nil {
		return a, fmt.Errorf("updating agent %s: %w", a.EntityID, err)
	}
	return a, s.enqueue(ctx, tx, a.EntityID, kind, nil)
}
