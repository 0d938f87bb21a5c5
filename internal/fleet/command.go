package fleet

import "time"

// CommandKind is what a command asks an agent to do.
type CommandKind string

// The commands agents carry out.
const (
	CommandIsolate      CommandKind = "isolate"
	CommandRestore      CommandKind = "restore"
	CommandRelocate     CommandKind = "relocate"
	CommandUninstall    CommandKind = "uninstall"
	CommandUpdateSource CommandKind = "update_source"
)

// CommandState is where a command is in its life.
type CommandState string

// A command is queued, then delivered at the agent's next check-in, then
// done or failed by the agent's report; a queued command made moot by a
// later one is cancelled.
const (
	CommandQueued    CommandState = "queued"
	CommandDelivered CommandState = "delivered"
	CommandDone      CommandState = "done"
	CommandFailed    CommandState = "failed"
	CommandCancelled CommandState = "cancelled"
)

// Command is one durable instruction for one agent.
type Command struct {
	ID      string
	AgentID string
	Kind    CommandKind
	// Params are the command's arguments, by name: "server_id" and
	// "folder_path" for relocate, "ous" for update_source.
	Params      map[string]string
	State       CommandState
	Message     string // the agent's word on the result
	CreatedAt   time.Time
	DeliveredAt time.Time
	FinishedAt  time.Time
}

// Result is an agent's report on one command.
type Result struct {
	CommandID string
	OK        bool
	Message   string
}
