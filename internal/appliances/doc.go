// Package appliances owns the network appliances (Cloud One Network
// Security virtual appliances): what each runs, the catalogue of software
// versions it may move to, and migrations (upgrade, rollback) as durable
// state machines that a runner advances one persisted step at a time.
//
// It imports neither net/http nor any SQL driver: it states what it needs
// from storage as the Store interface.
package appliances
