// Package audit owns the audit trail: one Event for every change made to
// Rampart through any API family (Apex Central, Workload Security, Network
// Security), the web console or the operator CLI, saying who made it (an
// Automation API application, a Workload Security API key, an
// administrator, the operator at the command line), when, to what, and
// with what outcome.
//
// Reads are not audited, and neither are agent and appliance check-ins and
// reports: they are protocol traffic of the managed devices, not changes
// made by a person or an application (their effect is the state change an
// audited command asked for). Events never hold request bodies, secrets,
// tokens or passwords: only the actor's identity, the action (a method and
// route, or a CLI command), the resource's ID and the outcome.
//
// The HTTP middleware that records events lives in the server package, and
// each adapter names the actor once it has authenticated one, through the
// context helpers here (SetActor), so that this package stays free of
// net/http. It imports the standard library only, and states what it needs
// from storage as the Store interface.
package audit
