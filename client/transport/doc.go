// Package transport is the HTTP layer the SDK's three API families share:
// it joins a base URL and an API path without doubled slashes, sends a
// request with a context, retries what is safe to retry with exponential
// back-off and jitter (honouring Retry-After), and builds the TLS
// configuration (system roots, a CA file, a pinned certificate fingerprint,
// or an explicit insecure switch that warns).
//
// It knows nothing of any family's wire format: a family hands it a method,
// a path, a query, body bytes and an Authorize hook, and decodes the
// Response itself. Authorize runs again for every attempt, so that a
// signature that depends on the time (Apex Central's iat) is fresh each
// time.
//
// What is retried:
//
//   - 429 Too Many Requests, whatever the method: the server refused the
//     call without carrying it out.
//   - 500, 502, 503, 504 and the other 5xx (but 501 and 505), and transport
//     failures, only for idempotent calls (GET, HEAD, OPTIONS, PUT, DELETE,
//     or a request marked Idempotent such as a search sent as POST).
//   - A transport failure of a non-idempotent call (POST) only when the
//     request's headers were never written, so that the server cannot have
//     seen it (e.g. the connection was refused).
//
// The clock, the sleeper and the source of jitter are injectable (Options),
// so tests check the back-off without waiting for it.
//
// It imports only the standard library.
package transport
