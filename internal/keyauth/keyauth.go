// Package keyauth holds what the API families that share the Workload
// Security key store (workload, netsec) do alike before a handler runs:
// find the API key secret a request carries and count the call against the
// rate limits. The adapters may not import each other, so the shared part
// lives here; each adapter still writes its own errors.
//
// It imports net/http and ratelimit.
package keyauth

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/ratelimit"
)

// Secret returns the API key secret a request carries, as
// "api-secret-key: S" or "Authorization: ApiKey S", or "" when none.
func Secret(r *http.Request) string {
	if s := strings.TrimSpace(r.Header.Get("api-secret-key")); s != "" {
		return s
	}
	if scheme, rest, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "ApiKey") {
		return strings.TrimSpace(rest)
	}
	return ""
}

// Gate counts calls against the rate limits of one node and tenant.
type Gate struct {
	Limiter *ratelimit.Limiter // nil: no limits
	Tenant  string
	Node    string
}

// Admit counts one call by caller (e.g. "key:8"). When the call is over a
// limit it sets Retry-After on w and returns false; an error means the
// limiter itself failed.
func (g Gate) Admit(ctx context.Context, w http.ResponseWriter, caller string) (bool, error) {
	if g.Limiter == nil {
		return true, nil
	}
	d, err := g.Limiter.Allow(ctx, caller, g.Tenant, g.Node)
	if err != nil {
		return false, err
	}
	if !d.Allowed {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.RetryAfter.Seconds()))))
	}
	return d.Allowed, nil
}

// KeyCaller names an API key for the per-key limit.
func KeyCaller(id int64) string { return "key:" + strconv.FormatInt(id, 10) }
