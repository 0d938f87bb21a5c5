// Package identity owns who may call Rampart: the Apex Central Automation
// API applications (application ID, API key, enabled flag, communication
// time-out) and the sealing of their keys at rest.
//
// It imports neither net/http nor any SQL driver: it states what it needs
// from storage as the Store interface, which the store engines implement.
package identity
