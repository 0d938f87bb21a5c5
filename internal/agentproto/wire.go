package agentproto

// The paths of the protocol, version 1.
const (
	CheckInPath = "/agent/v1/checkin"
	ResultsPath = "/agent/v1/results"
)

// CheckInRequest is what an agent sends to ask for work.
type CheckInRequest struct {
	AgentID string `json:"agent_id"`
	// ServerID is the managing server the agent believes it reports to.
	ServerID string `json:"server_id,omitempty"`
}

// CheckInResponse hands the agent its commands.
type CheckInResponse struct {
	Commands []Command `json:"commands"`
}

// Command is one thing to carry out.
type Command struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"`
	Params map[string]string `json:"params,omitempty"`
}

// ResultsRequest reports what became of delivered commands.
type ResultsRequest struct {
	AgentID string   `json:"agent_id"`
	Results []Result `json:"results"`
}

// Result is the outcome of one command.
type Result struct {
	CommandID string `json:"command_id"`
	OK        bool   `json:"ok"`
	Message   string `json:"message,omitempty"`
}

// Error is the body of every refusal.
type Error struct {
	Error string `json:"error"`
}
