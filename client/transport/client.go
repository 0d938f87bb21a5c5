package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

// Client sends requests to one server. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	http     *http.Client
	opts     Options
	warnings []string
}

// Request is one API call.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the API path, starting with "/", appended to the base URL's
	// path (e.g. "/WebApp/API/AgentResource/ProductAgents").
	Path string
	// Query is encoded in key order (url.Values.Encode).
	Query url.Values
	// Body is sent as is, again on each attempt; nil sends no body.
	Body []byte
	// Header holds extra headers (Content-Type, api-version, ...).
	Header http.Header
	// Idempotency says whether the call may be repeated.
	Idempotency Idempotency
	// Authorize, when set, runs on each attempt's request after it is
	// built and before it is sent, with the exact body bytes; it signs or
	// adds credentials. Its error ends the call.
	Authorize func(req *http.Request, body []byte) error
}

// Response is the server's final answer, read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Attempts is how many times the call was sent.
	Attempts int
}

// New returns a Client for the server at baseURL (scheme, host and an
// optional path prefix; a trailing slash or doubled slashes are ignored).
func New(baseURL string, opts Options) (*Client, error) {
	u, err := ParseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	c := &Client{base: u, opts: opts, http: opts.HTTPClient}
	if c.http != nil && opts.TLS.set() {
		return nil, errors.New("TLS options and an HTTPClient were both given; configure TLS on the HTTPClient's transport")
	}
	if c.http == nil {
		tlsCfg, warnings, err := opts.TLS.Config()
		if err != nil {
			return nil, err
		}
		c.warnings = warnings
		for _, w := range warnings {
			opts.Logger.Warn(w, "url", u.Redacted())
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		c.http = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c, nil
}

// ParseBaseURL checks a base URL and cleans its path: "https://h:4119/",
// "https://h:4119//" and "https://h:4119" are the same base.
func ParseBaseURL(baseURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("base URL %q: the scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("base URL %q has no host", baseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %q: credentials in the URL are not used; give them as options", u.Redacted())
	}
	p := strings.TrimRight(path.Clean("/"+u.Path), "/")
	u.Path, u.RawPath, u.RawQuery, u.Fragment = p, "", "", ""
	return u, nil
}

// BasePath is the base URL's cleaned path ("" for none).
func (c *Client) BasePath() string { return c.base.Path }

// BaseURL is the cleaned base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Warnings are the warnings the configuration gave (InsecureWarning).
func (c *Client) Warnings() []string { return append([]string(nil), c.warnings...) }

// Now is the client's clock.
func (c *Client) Now() time.Time { return c.opts.Now() }

// Sleep waits d or until ctx ends, with the client's sleeper.
func (c *Client) Sleep(ctx context.Context, d time.Duration) error { return c.opts.Sleep(ctx, d) }

// URL is the full URL req is sent to.
func (c *Client) URL(req *Request) *url.URL {
	u := *c.base
	u.Path = c.base.Path + req.Path
	u.RawPath = ""
	u.RawQuery = req.Query.Encode()
	return &u
}

// Do sends req, retrying as the package documentation says, and returns
// the final answer whatever its status. An error means no answer was
// usable: the context ended, the connection failed, or Authorize failed.
// A retry that the context's deadline (on the real clock) would cut short
// is not attempted: the last answer, or error, is returned at once.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if ctx == nil {
		return nil, errors.New("transport: nil context")
	}
	idem := req.Idempotency.idempotent(req.Method)
	policy := c.opts.Retry
	for attempt := 1; ; attempt++ {
		resp, sent, err := c.once(ctx, req)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, ctx.Err())
		}
		var wait time.Duration
		switch {
		case err != nil:
			// A call the server cannot have seen may be sent again.
			if (!idem && sent) || permanent(err) || attempt >= policy.MaxAttempts {
				return nil, fmt.Errorf("%s %s (attempt %d): %w", req.Method, req.Path, attempt, err)
			}
			wait = policy.Backoff(attempt, c.opts.Rand())
		case retryableStatus(resp.StatusCode, idem) && attempt < policy.MaxAttempts:
			wait = policy.Backoff(attempt, c.opts.Rand())
			if ra, ok := retryAfter(resp.Header, c.opts.Now()); ok {
				if ra > policy.MaxRetryAfter {
					resp.Attempts = attempt
					return resp, nil
				}
				wait = ra
			}
		default:
			resp.Attempts = attempt
			return resp, nil
		}
		// Waiting past the deadline would only end in the deadline's
		// error: give back what there is now.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			if err != nil {
				return nil, fmt.Errorf("%s %s (attempt %d, no time left to retry): %w", req.Method, req.Path, attempt, err)
			}
			resp.Attempts = attempt
			return resp, nil
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.opts.Logger.InfoContext(ctx, "retrying API call", "method", req.Method, "path", req.Path,
			"attempt", attempt, "status", status, "error", errText(err), "wait", wait)
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: waiting to retry: %w", req.Method, req.Path, err)
		}
	}
}

// once sends req one time. sent reports whether the request's headers were
// written, i.e. whether the server may have seen the call.
func (c *Client) once(ctx context.Context, req *Request) (resp *Response, sent bool, err error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	// The trace runs on the transport's writing goroutine.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), req.Method, c.URL(req).String(), body)
	if err != nil {
		return nil, false, final{fmt.Errorf("building request: %w", err)}
	}
	for k, vs := range req.Header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Authorize != nil {
		if err := req.Authorize(hreq, req.Body); err != nil {
			return nil, false, final{fmt.Errorf("authorizing request: %w", err)}
		}
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, wrote.Load(), err
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, true, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, true, fmt.Errorf("the answer is larger than %d bytes", c.opts.MaxResponseBytes)
	}
	return &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: data}, true, nil
}

// final marks an error that happened before anything was sent and that a
// retry would only repeat.
type final struct{ error }

func (f final) Unwrap() error { return f.error }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Prefix returns the path to put between the base URL and a family's
// routes: prefix (def when empty), with one leading slash and none
// trailing, or "" when the base URL already ends with it, so a base URL
// given with or without the API's path works alike.
func (c *Client) Prefix(prefix, def string) string {
	if prefix == "" {
		prefix = def
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if strings.HasSuffix(c.BasePath(), prefix) {
		return ""
	}
	return prefix
}
