// Package agentproto is the protocol agents speak with Rampart (see
// docs/agent-protocol.md): an agent checks in, receives the commands queued
// for it, carries them out and reports each result. It holds the wire types,
// the server-side handlers (which call the fleet domain) and a client that
// virtual and real agents can use.
//
// Appliances speak its second half: they check in, learn the migration they
// take part in, carry out the steps that happen on the appliance and report
// them.
//
// It imports net/http and the fleet and appliances domains; never a store
// engine nor an API family adapter.
package agentproto
