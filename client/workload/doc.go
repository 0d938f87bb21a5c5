// Package workload is a typed client for the Deep Security / Server &
// Workload Protection API (/api): sessions (sign in with a username and
// password, MFA included), API keys (create, list, search, describe,
// modify, delete, rotate the secret), roles (list, search, describe), and
// the SearchFilter those searches take.
//
// A Client authenticates with an API key (the legacy api-secret-key header
// or the Cloud One "Authorization: ApiKey" form) or with a session (the sID
// cookie and the rID header), and sends api-version: v1 on every call. A
// refusal is an *Error carrying the HTTP status and the server's message.
// BootstrapAPIKey does in one call what seed 003 does by hand: sign in,
// create the first API key, sign out.
//
// It imports the standard library and the SDK's transport and search
// packages.
package workload
