package fleet

import "errors"

// The errors fleet decisions end in; adapters map them to their wire codes.
var (
	ErrInvalid             = errors.New("invalid request")
	ErrAgentNotFound       = errors.New("agent not found")
	ErrServerNotFound      = errors.New("server not found")
	ErrMultipleMatch       = errors.New("several agents match and multiple match is not allowed")
	ErrTargetNotFound      = errors.New("target server not found")
	ErrTargetIncapable     = errors.New("target server does not support the command")
	ErrCommandNotFound     = errors.New("command not found")
	ErrCommandNotDelivered = errors.New("command was not delivered to this agent")
)
