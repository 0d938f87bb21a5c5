// Package fleet owns the managed fleet: Apex One servers, the Security
// Agents they manage, the commands queued for those agents (isolate,
// restore, relocate, uninstall, update-source) and their lifecycle, and the
// update-source settings deployed to servers.
//
// A command changes an agent's visible state in two steps: accepting it
// moves the agent to a pending state and queues the command; the agent's
// report of the result settles the state. fleet imports neither net/http nor
// any SQL driver: it states what it needs from storage as the Store
// interface, which the store engines implement.
package fleet
