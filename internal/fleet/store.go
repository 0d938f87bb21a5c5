package fleet

import (
	"context"
	"time"
)

// Store is what fleet needs from storage. Lookups of a missing row return
// ErrAgentNotFound, ErrServerNotFound or ErrCommandNotFound (possibly
// wrapped). Lists keep insertion order, so list output is stable.
type Store interface {
	// InTx runs fn in one write transaction; fn's Store sees and makes the
	// transaction's changes. An error from fn rolls everything back.
	InTx(ctx context.Context, fn func(tx Store) error) error

	InsertServer(ctx context.Context, s Server) error
	Server(ctx context.Context, entityID string) (Server, error)
	Servers(ctx context.Context, f ServerFilter) ([]Server, error)
	SetServerUpdateSources(ctx context.Context, entityID string, s UpdateSourceSettings) error

	InsertAgent(ctx context.Context, a Agent) error
	Agent(ctx context.Context, entityID string) (Agent, error)
	Agents(ctx context.Context, f AgentFilter) ([]Agent, error)
	UpdateAgent(ctx context.Context, a Agent) error
	DeleteAgent(ctx context.Context, entityID string) error
	TouchAgent(ctx context.Context, entityID string, at time.Time) error

	InsertCommand(ctx context.Context, c Command) error
	Command(ctx context.Context, id string) (Command, error)
	// Commands lists an agent's commands, oldest first, in the given states
	// (all states when none are given).
	Commands(ctx context.Context, agentID string, states ...CommandState) ([]Command, error)
	// SetCommandState moves a command from state from to c.State, recording
	// c's message and times; it reports false when the command was no longer
	// in state from (someone else moved it first).
	SetCommandState(ctx context.Context, c Command, from CommandState) (bool, error)
}
