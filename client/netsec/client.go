package netsec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/rampart-sec/rampart/client/transport"
)

// DefaultPathPrefix is where the API lives under the base URL.
const DefaultPathPrefix = "/api"

// DefaultAPIVersion is the api-version header sent on every call.
const DefaultAPIVersion = "v1"

// Config configures a Client.
type Config struct {
	// BaseURL is the service, e.g.
	// "https://network.us-1.cloudone.trendmicro.com" or
	// "https://127.0.0.1:8443".
	BaseURL string
	// PathPrefix is the API's path, DefaultPathPrefix when empty. When
	// BaseURL already ends with it, it is not added again.
	PathPrefix string
	// APIKey is the secret sent as "Authorization: ApiKey <secret>".
	APIKey string
	// APIVersion is the api-version header; DefaultAPIVersion when empty.
	APIVersion string
	// Transport configures TLS, retries, the clock and the sleeper.
	Transport transport.Options
}

// Client calls one Network Security service. It is safe for concurrent
// use.
type Client struct {
	tr      *transport.Client
	prefix  string
	version string
	key     string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("network security: an API key is required")
	}
	tr, err := transport.New(cfg.BaseURL, cfg.Transport)
	if err != nil {
		return nil, fmt.Errorf("network security: %w", err)
	}
	prefix := tr.Prefix(cfg.PathPrefix, DefaultPathPrefix)
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	return &Client{tr: tr, prefix: prefix, version: version, key: cfg.APIKey}, nil
}

// Warnings are the configuration's warnings (an insecure TLS setting).
func (c *Client) Warnings() []string { return c.tr.Warnings() }

func (c *Client) authorize(req *http.Request, _ []byte) error {
	req.Header.Set("Authorization", "ApiKey "+c.key)
	return nil
}

// call sends one request with in as its JSON body (none when nil) and
// decodes a 2xx answer into out (when not nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in any, idem transport.Idempotency, out any) (*transport.Response, error) {
	req := &transport.Request{Method: method, Path: c.prefix + path, Query: query, Idempotency: idem, Authorize: c.authorize,
		Header: http.Header{"Api-Version": {c.version}, "Accept": {"application/json"}}}
	if in != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return nil, fmt.Errorf("network security: encoding %s %s: %w", method, req.Path, err)
		}
		req.Body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.tr.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("network security: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, errorOf(method, req.Path, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("network security: %s %s: decoding the answer: %w", method, req.Path, err)
		}
	}
	return resp, nil
}
