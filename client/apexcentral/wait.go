package apexcentral

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/client/internal/poll"
)

// WaitOptions configure the isolation poller.
type WaitOptions struct {
	// Interval is the wait between two polls; 2 s when zero (Rampart's
	// virtual agents check in every 2 s).
	Interval time.Duration
	// Progress, when set, is called with every agent waited for after each
	// poll, so that a caller can show the state as it goes.
	Progress func(Agent)
	// Want, when set, is the state the agents must settle in; settling in
	// another one is an *UnexpectedStatusError.
	Want IsolationStatus
}

// UnexpectedStatusError is an agent that settled in a state other than the
// one waited for (e.g. an isolation the agent reported as failed goes back
// to normal).
type UnexpectedStatusError struct {
	Agent Agent
	Want  IsolationStatus
}

func (e *UnexpectedStatusError) Error() string {
	return fmt.Sprintf("apex central: agent %s (%s) settled as %s, want %s", e.Agent.HostName, e.Agent.EntityID, e.Agent.IsolationStatus, e.Want)
}

// WaitSettled polls the agent entityID until its isolation_status is no
// longer pending (endpoint_isolation_pending, connection_restoration_pending),
// and returns it as last seen. The context bounds the wait: when it ends
// first, the error wraps its error and the agent is the last one seen.
func (c *Client) WaitSettled(ctx context.Context, entityID string, opts WaitOptions) (Agent, error) {
	agents, err := c.WaitAllSettled(ctx, []string{entityID}, opts)
	if len(agents) == 0 {
		return Agent{}, err
	}
	return agents[0], err
}

// WaitAllSettled is WaitSettled for several agents (an action with
// allow_multiple_match): it returns when none of them is pending, the
// agents in the order of entityIDs.
func (c *Client) WaitAllSettled(ctx context.Context, entityIDs []string, opts WaitOptions) ([]Agent, error) {
	if len(entityIDs) == 0 {
		return nil, nil
	}
	last := make([]Agent, len(entityIDs))
	err := poll.Until(ctx, opts.Interval, c.tr.Sleep, func(ctx context.Context) (bool, error) {
		byID, err := c.agentsByID(ctx, entityIDs)
		if err != nil {
			return false, err
		}
		done := true
		for i, id := range entityIDs {
			a, ok := byID[strings.ToUpper(id)]
			if !ok {
				return false, fmt.Errorf("%w: %s", ErrAgentNotFound, id)
			}
			last[i] = a
			if opts.Progress != nil {
				opts.Progress(a)
			}
			done = done && !a.IsolationStatus.Pending()
		}
		return done, nil
	})
	if err != nil {
		return last, fmt.Errorf("apex central: waiting for the isolation state to settle: %w", err)
	}
	if opts.Want != "" {
		for _, a := range last {
			if a.IsolationStatus != opts.Want {
				return last, &UnexpectedStatusError{Agent: a, Want: opts.Want}
			}
		}
	}
	return last, nil
}

// agentsByID reads the agents, by upper-cased entity ID: one filtered call
// for one agent, the whole list for several.
func (c *Client) agentsByID(ctx context.Context, ids []string) (map[string]Agent, error) {
	var f AgentFilter
	if len(ids) == 1 {
		f.EntityID = ids[0]
	}
	list, err := c.ListAgents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Agent, len(list))
	for _, a := range list {
		out[strings.ToUpper(a.EntityID)] = a
	}
	return out, nil
}
