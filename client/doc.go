// Package client is the root of Rampart's public Go SDK. It holds no code:
// each API family has its own package, and what they share lives in
// transport.
//
//   - client/apexcentral: the Apex Central Automation API (managed servers,
//     Security Agents, isolate / restore / relocate / uninstall, Update Agent
//     update sources), with the vendor's JWT and request-checksum signing.
//   - client/workload: the Deep Security / Workload Security API (sessions,
//     API keys, roles, SearchFilter).
//   - client/netsec: the Cloud One Network Security API (appliances,
//     migration versions, upgrade and rollback migrations).
//   - client/search: the SearchFilter that Workload Security's searches and
//     the Network Security appliance search take.
//   - client/transport: HTTP for all three: retries with back-off, context
//     deadlines, TLS with a CA file, certificate pinning or an explicit
//     insecure switch.
//
// The SDK speaks the vendors' wire formats exactly, so it works against
// Rampart and against the vendors' own consoles. It imports only the
// standard library.
package client
