package workload

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

// KeyHeader is how an API key is sent.
type KeyHeader int

// The two forms of API key authentication; the server accepts both.
const (
	// APISecretKeyHeader sends "api-secret-key: <secret>" (the legacy form
	// seed 003 names).
	APISecretKeyHeader KeyHeader = iota
	// AuthorizationHeader sends "Authorization: ApiKey <secret>" (the
	// Cloud One form).
	AuthorizationHeader
)

// Config configures a Client.
type Config struct {
	// BaseURL is the manager, e.g. "https://manager.example.com:4119". A
	// trailing slash does no harm.
	BaseURL string
	// PathPrefix is the API's path, DefaultPathPrefix when empty. When
	// BaseURL already ends with it, it is not added again.
	PathPrefix string
	// APIKey is the secret key to authenticate with. Leave it empty to
	// authenticate with Session, or to only sign in.
	APIKey string
	// KeyHeader is how APIKey is sent.
	KeyHeader KeyHeader
	// Session authenticates with a session from SignIn instead of a key.
	Session *Session
	// APIVersion is the api-version header; DefaultAPIVersion when empty.
	APIVersion string
	// Transport configures TLS, retries, the clock and the sleeper.
	Transport transport.Options
}

// Client calls one manager. It is safe for concurrent use; WithAPIKey and
// WithSession return new Clients that share the connection pool.
type Client struct {
	tr        *transport.Client
	prefix    string
	version   string
	key       string
	keyHeader KeyHeader
	session   *Session
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey != "" && cfg.Session != nil {
		return nil, errors.New("workload security: give an API key or a session, not both")
	}
	tr, err := transport.New(cfg.BaseURL, cfg.Transport)
	if err != nil {
		return nil, fmt.Errorf("workload security: %w", err)
	}
	prefix := tr.Prefix(cfg.PathPrefix, DefaultPathPrefix)
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	c := &Client{tr: tr, prefix: prefix, version: version, key: cfg.APIKey, keyHeader: cfg.KeyHeader}
	if cfg.Session != nil {
		s := *cfg.Session
		c.session = &s
	}
	return c, nil
}

// Warnings are the configuration's warnings (an insecure TLS setting).
func (c *Client) Warnings() []string { return c.tr.Warnings() }

// WithAPIKey returns a Client like c that authenticates with secret.
func (c *Client) WithAPIKey(secret string) *Client {
	d := *c
	d.key, d.session = secret, nil
	return &d
}

// WithSession returns a Client like c that authenticates with s.
func (c *Client) WithSession(s Session) *Client {
	d := *c
	d.key, d.session = "", &s
	return &d
}

// authorize adds the client's credentials to a request.
func (c *Client) authorize(req *http.Request, _ []byte) error {
	switch {
	case c.key != "":
		if c.keyHeader == AuthorizationHeader {
			req.Header.Set("Authorization", "ApiKey "+c.key)
		} else {
			req.Header.Set("api-secret-key", c.key)
		}
	case c.session != nil:
		req.AddCookie(&http.Cookie{Name: "sID", Value: c.session.SID})
		req.Header.Set("rID", c.session.RID)
	default:
		return errors.New("no API key or session to authenticate with")
	}
	return nil
}

// call sends one request with in as its JSON body (none when nil) and
// decodes a 2xx answer into out (when not nil). anonymous calls carry no
// credentials.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in any, idem transport.Idempotency, out any, anonymous bool) (*transport.Response, error) {
	req := &transport.Request{Method: method, Path: c.prefix + path, Query: query, Idempotency: idem,
		Header: http.Header{"Api-Version": {c.version}, "Accept": {"application/json"}}}
	if in != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(in); err != nil {
			return nil, fmt.Errorf("workload security: encoding %s %s: %w", method, req.Path, err)
		}
		req.Body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		req.Header.Set("Content-Type", "application/json")
	}
	if !anonymous {
		req.Authorize = c.authorize
	}
	resp, err := c.tr.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("workload security: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, errorOf(method, req.Path, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return resp, fmt.Errorf("workload security: %s %s: decoding the answer: %w", method, req.Path, err)
		}
	}
	return resp, nil
}
