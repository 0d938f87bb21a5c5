// Package netsec is the wire adapter for the Cloud One Network Security
// API: appliances, migrationversions and appliancemigrations, with the
// family's ApiKey authentication (the Workload Security key store),
// api-version header and {"message": ...} errors.
//
// It imports net/http and the appliances, identity, ratelimit and audit
// packages (audit to name the authenticated key to the audit trail); never
// a store engine nor another adapter.
package netsec
