// Package agentproto is the protocol agents speak with Rampart (see
// docs/agent-protocol.md): an agent checks in, receives the commands queued
// for it, carries them out and reports each result. It holds the wire types,
// the server-side handlers (which call the fleet domain) and a client that
// virtual and real agents can use.
//
// It imports net/http and the fleet domain; never a store engine nor an API
// family adapter.
package agentproto
