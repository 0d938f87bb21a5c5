// Package apexcentral is a typed client for the Apex Central Automation API
// (/WebApp/API/...): the managed servers (ProductServers), the Security
// Agents (ProductAgents) and the actions on them (isolate, restore,
// relocate, uninstall), and the deployment of Update Agent update sources.
//
// Every request is signed as the vendor specifies, with none of the classic
// mistakes: a fresh iat for each request (each retry included), the
// checksum computed over the exact path and query the request line carries
// and the exact body bytes sent, HS256 by default (HS384 and HS512 on
// request). A refusal is an *Error carrying the result_code, the
// description, the HTTP status and, from Rampart, the X-Rampart-Auth-Detail
// that says why a token was refused.
//
// It imports the standard library and the SDK's transport and poll
// packages.
package apexcentral
