// Package netsec is the wire adapter for the Cloud One Network Security
// API: appliances, migrationversions and appliancemigrations, with the
// family's ApiKey authentication (the Workload Security key store),
// api-version header and {"message": ...} errors.
//
// It imports net/http and the appliances, identity and ratelimit packages;
// never a store engine nor another adapter.
package netsec
