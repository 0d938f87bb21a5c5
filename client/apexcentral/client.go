package apexcentral

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rampart-sec/rampart/client/transport"
)

// DefaultPathPrefix is where the API lives under the base URL.
const DefaultPathPrefix = "/WebApp/API"

// The resources under the path prefix.
const (
	serversResource = "/ServerResource/ProductServers"
	agentsResource  = "/AgentResource/ProductAgents"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the server, e.g. "https://apexcentral.example.com" or
	// "https://127.0.0.1:8443". A trailing slash or doubled slashes do no
	// harm.
	BaseURL string
	// ApplicationID and APIKey are the Automation API application's
	// credentials (Administration > Settings > Automation API Access
	// Settings, or `rampart apps add`).
	ApplicationID string
	APIKey        string
	// Algorithm signs the tokens; HS256 when empty.
	Algorithm Algorithm
	// PathPrefix is the API's path, DefaultPathPrefix when empty (public
	// clients also use "/WebApp/api"; the server matches it either way).
	// When BaseURL already ends with it, it is not added again.
	PathPrefix string
	// ActionMethod is the method of the agent actions; POST (what the
	// seeds and Rampart use) when empty. Whatever it is, an action is
	// never retried once the server may have seen it.
	ActionMethod string
	// Transport configures TLS, retries, the clock and the sleeper. Its
	// Now also sets the tokens' iat.
	Transport transport.Options
}

// Client calls one Apex Central server. It is safe for concurrent use.
type Client struct {
	tr           *transport.Client
	signer       Signer
	prefix       string
	actionMethod string
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.ApplicationID == "" || cfg.APIKey == "" {
		return nil, fmt.Errorf("apex central: the application ID and API key are required")
	}
	if _, err := cfg.Algorithm.hash(); err != nil {
		return nil, fmt.Errorf("apex central: %w", err)
	}
	tr, err := transport.New(cfg.BaseURL, cfg.Transport)
	if err != nil {
		return nil, fmt.Errorf("apex central: %w", err)
	}
	prefix := cfg.PathPrefix
	if prefix == "" {
		prefix = DefaultPathPrefix
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if strings.HasSuffix(strings.ToLower(tr.BasePath()), strings.ToLower(prefix)) {
		prefix = ""
	}
	method := strings.ToUpper(cfg.ActionMethod)
	if method == "" {
		method = http.MethodPost
	}
	if method != http.MethodPost && method != http.MethodPut {
		return nil, fmt.Errorf("apex central: action method %q is neither POST nor PUT", cfg.ActionMethod)
	}
	return &Client{tr: tr, prefix: prefix, actionMethod: method,
		signer: Signer{ApplicationID: cfg.ApplicationID, APIKey: cfg.APIKey, Algorithm: cfg.Algorithm, Now: tr.Now}}, nil
}

// Warnings are the configuration's warnings (an insecure TLS setting).
func (c *Client) Warnings() []string { return c.tr.Warnings() }

// envelope is the APIResponseObject every answer is wrapped in.
type envelope struct {
	ResultCode        *ResultCode     `json:"result_code"`
	ResultDescription string          `json:"result_description"`
	ResultContent     json.RawMessage `json:"result_content"`
}

// call sends one signed request and decodes result_content into out.
func (c *Client) call(ctx context.Context, method, resource string, query url.Values, body []byte, idem transport.Idempotency, out any) error {
	req := &transport.Request{
		Method: method, Path: c.prefix + resource, Query: query, Body: body, Idempotency: idem,
		Header:    http.Header{"Content-Type": {"application/json;charset=utf-8"}, "Accept": {"application/json"}},
		Authorize: c.signer.Authorize,
	}
	resp, err := c.tr.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("apex central: %w", err)
	}
	fail := &Error{Method: method, Path: req.Path, StatusCode: resp.StatusCode, Attempts: resp.Attempts,
		AuthDetail: resp.Header.Get("X-Rampart-Auth-Detail")}
	var env envelope
	if err := json.Unmarshal(resp.Body, &env); err != nil || env.ResultCode == nil {
		fail.Description = snippet(resp.Body)
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			fail.Description = "the answer is not a result_code envelope: " + fail.Description
		}
		return fail
	}
	fail.ResultCode, fail.Description = *env.ResultCode, env.ResultDescription
	if *env.ResultCode != CodeSuccess || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail
	}
	if out == nil || len(env.ResultContent) == 0 || string(env.ResultContent) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.ResultContent, out); err != nil {
		return fmt.Errorf("apex central: %s %s: decoding result_content: %w", method, req.Path, err)
	}
	return nil
}

// encode marshals v as compact JSON without HTML escaping (a URL's & stays
// &), so that what is hashed is exactly what is read.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func queryOf(pairs [][2]string) url.Values {
	q := url.Values{}
	for _, p := range pairs {
		if p[1] != "" {
			q.Set(p[0], p[1])
		}
	}
	return q
}

// snippet is the start of a body that is not the expected JSON, for an
// error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
