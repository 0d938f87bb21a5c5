// Package workload is the wire adapter for the Deep Security / Server &
// Workload Protection API (/api/...): the api-version header, the three
// ways to authenticate (api-secret-key, Authorization: ApiKey, the sID
// cookie with the rID header), rate limits, the {"message": ...} errors,
// and the JSON shapes of sessions, API keys and roles (unset fields
// omitted, times in milliseconds).
//
// It imports net/http, the identity domain, search, ratelimit and audit (to
// name the authenticated caller to the audit trail); never a store engine
// nor another adapter.
package workload
