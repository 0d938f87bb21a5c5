package workload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rampart-sec/rampart/client/transport"
)

// APIKey is the vendor's ApiKey object. Times are Unix milliseconds, 0
// when unset. SecretKey is set only in the answers to create and rotate:
// it is shown once, so store it then (and never log it).
type APIKey struct {
	ID                         int64  `json:"ID"`
	KeyName                    string `json:"keyName"`
	Description                string `json:"description,omitempty"`
	Locale                     string `json:"locale,omitempty"`
	RoleID                     int64  `json:"roleID"`
	TimeZone                   string `json:"timeZone,omitempty"`
	Active                     bool   `json:"active"`
	Created                    int64  `json:"created,omitempty"`
	LastSignIn                 int64  `json:"lastSignIn,omitempty"`
	UnlockTime                 int64  `json:"unlockTime,omitempty"`
	UnsuccessfulSignInAttempts int    `json:"unsuccessfulSignInAttempts"`
	ExpiryDate                 int64  `json:"expiryDate,omitempty"`
	SecretKey                  string `json:"secretKey,omitempty"`
	ServiceAccount             bool   `json:"serviceAccount"`
	// RoleURN, TenantID and TenantGUID are set by CurrentAPIKey only.
	RoleURN    string `json:"roleURN,omitempty"`
	TenantID   int64  `json:"tenantID,omitempty"`
	TenantGUID string `json:"tenantGUID,omitempty"`
}

// NewAPIKey is what CreateAPIKey sends. KeyName is required; the rest is
// optional and omitted when zero (the server then applies its defaults:
// active, en-US, its time zone, no expiry).
type NewAPIKey struct {
	KeyName     string `json:"keyName"`
	Description string `json:"description,omitempty"`
	Locale      string `json:"locale,omitempty"`
	RoleID      int64  `json:"roleID,omitempty"`
	TimeZone    string `json:"timeZone,omitempty"`
	// ExpiryDate is when the key stops working, Unix ms.
	ExpiryDate     int64 `json:"expiryDate,omitempty"`
	Active         *bool `json:"active,omitempty"`
	ServiceAccount bool  `json:"serviceAccount,omitempty"`
}

// APIKeyChanges is what ModifyAPIKey sends: only the fields set are
// changed. ExpiryDate 0 (a pointer to 0) removes the expiry.
type APIKeyChanges struct {
	KeyName        *string `json:"keyName,omitempty"`
	Description    *string `json:"description,omitempty"`
	Locale         *string `json:"locale,omitempty"`
	RoleID         *int64  `json:"roleID,omitempty"`
	TimeZone       *string `json:"timeZone,omitempty"`
	Active         *bool   `json:"active,omitempty"`
	ExpiryDate     *int64  `json:"expiryDate,omitempty"`
	ServiceAccount *bool   `json:"serviceAccount,omitempty"`
}

type apiKeyList struct {
	APIKeys []APIKey `json:"apiKeys"`
}

func keyPath(id int64) string { return "/apikeys/" + strconv.FormatInt(id, 10) }

// CreateAPIKey creates an API key (POST /api/apikeys). The answer holds
// its SecretKey, shown only this once.
func (c *Client) CreateAPIKey(ctx context.Context, k NewAPIKey) (APIKey, error) {
	if k.KeyName == "" {
		return APIKey{}, errors.New("workload security: creating an API key: keyName is required")
	}
	var out APIKey
	_, err := c.call(ctx, http.MethodPost, "/apikeys", nil, k, transport.NotIdempotent, &out, false)
	return out, err
}

// ListAPIKeys lists the API keys (GET /api/apikeys).
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var out apiKeyList
	if _, err := c.call(ctx, http.MethodGet, "/apikeys", nil, nil, transport.ByMethod, &out, false); err != nil {
		return nil, err
	}
	return out.APIKeys, nil
}

// SearchAPIKeys lists the API keys f selects (POST /api/apikeys/search; a
// search changes nothing, so it is retried like a GET).
func (c *Client) SearchAPIKeys(ctx context.Context, f SearchFilter) ([]APIKey, error) {
	var out apiKeyList
	if _, err := c.call(ctx, http.MethodPost, "/apikeys/search", nil, f, transport.Idempotent, &out, false); err != nil {
		return nil, err
	}
	return out.APIKeys, nil
}

// DescribeAPIKey reads one API key (GET /api/apikeys/{id}).
func (c *Client) DescribeAPIKey(ctx context.Context, id int64) (APIKey, error) {
	var out APIKey
	_, err := c.call(ctx, http.MethodGet, keyPath(id), nil, nil, transport.ByMethod, &out, false)
	return out, err
}

// ModifyAPIKey changes the fields ch sets (POST /api/apikeys/{id}).
func (c *Client) ModifyAPIKey(ctx context.Context, id int64, ch APIKeyChanges) (APIKey, error) {
	var out APIKey
	// Setting the same fields twice gives the same key: safe to retry.
	_, err := c.call(ctx, http.MethodPost, keyPath(id), nil, ch, transport.Idempotent, &out, false)
	return out, err
}

// DeleteAPIKey deletes an API key (DELETE /api/apikeys/{id}).
func (c *Client) DeleteAPIKey(ctx context.Context, id int64) error {
	_, err := c.call(ctx, http.MethodDelete, keyPath(id), nil, nil, transport.ByMethod, nil, false)
	return err
}

// RotateAPIKeySecret gives the key a new secret (POST
// /api/apikeys/{id}/secretkey); the old one stops working at once. The
// answer holds the new SecretKey. It is never retried once the server may
// have seen it: a second rotation would lose the first secret.
func (c *Client) RotateAPIKeySecret(ctx context.Context, id int64) (APIKey, error) {
	var out APIKey
	_, err := c.call(ctx, http.MethodPost, keyPath(id)+"/secretkey", nil, nil, transport.NotIdempotent, &out, false)
	if err != nil {
		return APIKey{}, fmt.Errorf("rotating the secret of API key %d: %w", id, err)
	}
	return out, nil
}

// CurrentAPIKey describes the calling key (GET /api/apikeys/current), with
// its role's URN and the tenant.
func (c *Client) CurrentAPIKey(ctx context.Context) (APIKey, error) {
	var out APIKey
	_, err := c.call(ctx, http.MethodGet, "/apikeys/current", nil, nil, transport.ByMethod, &out, false)
	return out, err
}

// RotateCurrentAPIKeySecret gives the calling key a new secret (POST
// /api/apikeys/current/secretkey). The client keeps the old secret, which
// no longer works: continue with WithAPIKey(answer.SecretKey).
func (c *Client) RotateCurrentAPIKeySecret(ctx context.Context) (APIKey, error) {
	var out APIKey
	_, err := c.call(ctx, http.MethodPost, "/apikeys/current/secretkey", nil, nil, transport.NotIdempotent, &out, false)
	if err != nil {
		return APIKey{}, fmt.Errorf("rotating the calling key's secret: %w", err)
	}
	return out, nil
}
