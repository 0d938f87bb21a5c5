package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Service makes the fleet's decisions. Build it with NewService.
type Service struct {
	store Store
	now   func() time.Time
	newID func() string
	// RedeliverAfter is how long a delivered command may go unreported
	// before the agent's next check-in gets it again.
	RedeliverAfter time.Duration
}

// NewService returns a Service over store. now and newID may be nil for the
// real clock and time-ordered UUIDs.
func NewService(store Store, now func() time.Time, newID func() string) *Service {
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	return &Service{store: store, now: now, newID: newID, RedeliverAfter: DefaultRedeliverAfter}
}

// DefaultRedeliverAfter is how long a delivered command may go unreported
// before it is delivered again.
const DefaultRedeliverAfter = 30 * time.Second

// Servers lists the managed servers that match f, in registration order.
func (s *Service) Servers(ctx context.Context, f ServerFilter) ([]Server, error) {
	servers, err := s.store.Servers(ctx, f.Normalize())
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	return servers, nil
}

// Agents lists the agents that match f, in registration order.
func (s *Service) Agents(ctx context.Context, f AgentFilter) ([]Agent, error) {
	agents, err := s.store.Agents(ctx, f.Normalize())
	if err != nil {
		return nil, fmt.Errorf("listing agents: %w", err)
	}
	return agents, nil
}

// Agent returns one agent.
func (s *Service) Agent(ctx context.Context, entityID string) (Agent, error) {
	a, err := s.store.Agent(ctx, entityID)
	if err != nil {
		return Agent{}, fmt.Errorf("reading agent %s: %w", entityID, err)
	}
	return a, nil
}

// Commands lists an agent's commands, oldest first.
func (s *Service) Commands(ctx context.Context, agentID string) ([]Command, error) {
	cmds, err := s.store.Commands(ctx, agentID)
	if err != nil {
		return nil, fmt.Errorf("listing commands of agent %s: %w", agentID, err)
	}
	return cmds, nil
}

// AddServer registers a managed server.
func (s *Service) AddServer(ctx context.Context, srv Server) error {
	if srv.EntityID == "" || srv.HostName == "" {
		return fmt.Errorf("%w: a server needs an entity ID and a host name", ErrInvalid)
	}
	if err := s.store.InsertServer(ctx, srv); err != nil {
		return fmt.Errorf("adding server %s: %w", srv.EntityID, err)
	}
	return nil
}

// AddAgent registers an agent with its managing server.
func (s *Service) AddAgent(ctx context.Context, a Agent) error {
	return s.AddAgents(ctx, []Agent{a})
}

// AddAgents registers agents in one transaction: all of them or none.
func (s *Service) AddAgents(ctx context.Context, agents []Agent) error {
	for i := range agents {
		a := &agents[i]
		if a.EntityID == "" || a.HostName == "" {
			return fmt.Errorf("%w: an agent needs an entity ID and a host name", ErrInvalid)
		}
		if a.Isolation == "" {
			a.Isolation = StatusNormal
		}
		if !a.Isolation.Valid() {
			return fmt.Errorf("%w: unknown isolation status %q", ErrInvalid, a.Isolation)
		}
		macs := make([]string, len(a.MACAddresses))
		for j, m := range a.MACAddresses {
			macs[j] = NormalizeMAC(m)
		}
		a.MACAddresses = macs
	}
	return s.store.InTx(ctx, func(tx Store) error {
		for _, a := range agents {
			if err := tx.InsertAgent(ctx, a); err != nil {
				return fmt.Errorf("adding agent %s: %w", a.EntityID, err)
			}
		}
		return nil
	})
}

func (s *Service) enqueue(ctx context.Context, tx Store, agentID string, kind CommandKind, params map[string]string) error {
	c := Command{ID: s.newID(), AgentID: agentID, Kind: kind, Params: params, State: CommandQueued, CreatedAt: s.now().UTC()}
	if err := tx.InsertCommand(ctx, c); err != nil {
		return fmt.Errorf("queueing %s for agent %s: %w", kind, agentID, err)
	}
	return nil
}
