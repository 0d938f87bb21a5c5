// Package netsec is a typed client for the Cloud One Network Security API
// (/api): the appliances (cursor-paged, with an iterator that follows
// next), the software versions an appliance can move to
// (migrationversions), starting an upgrade or a rollback
// (appliancemigrations, 202 with no body) and reading the migrations'
// progress, with a poller that waits for a migration to finish, and the
// appliance search (a SearchFilter from package search, with paging).
//
// Every call carries "Authorization: ApiKey <secret>" and api-version: v1.
// A refusal is an *Error carrying the HTTP status and the server's
// message.
//
// It imports the standard library and the SDK's transport, search and poll
// packages.
package netsec
