// Package servertest starts real Rampart servers inside a test process: a
// temporary data directory, the demo fleet, an Apex Central application, a
// settable clock, plain HTTP on a loopback port. Any number can run at once
// (no package-level state). It also signs Apex Central requests the way the
// vendor's tutorials do, so tests speak to the server as clients do.
package servertest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server"
)

// Clock is a settable clock for the server under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Env is one running server and what a test needs to talk to it.
type Env struct {
	T       testing.TB
	URL     string
	DataDir string
	AppID   string
	APIKey  string
	// AdminUser, AdminPassword and APISecret are the demo's Workload
	// Security administrator and Full Access API key.
	AdminUser, AdminPassword, APISecret string
	Clock                               *Clock
	Server                              *server.Server
	HTTP                                *http.Client

	cfg server.Config
}

// run opens, listens and runs a server until the test ends (cancel stops
// it).
func run(t testing.TB, ctx context.Context, cancel context.CancelFunc, cfg server.Config) *server.Server {
	t.Helper()
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("opening server: %v", err)
	}
	if err := srv.Listen(); err != nil {
		cancel()
		srv.Close()
		t.Fatalf("listening: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server run: %v", err)
		}
		srv.Close()
	})
	return srv
}

// Replica starts another server on e's PostgreSQL database (Options.DB),
// with e's key and clock, and returns its base URL: a second replica
// behind the same credentials.
func (e *Env) Replica(t testing.TB) string {
	t.Helper()
	if e.cfg.DB == "" {
		t.Fatal("Replica needs a server started with Options.DB")
	}
	cfg := e.cfg
	cfg.DataDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	return run(t, ctx, cancel, cfg).URL()
}

// Options change how Start builds the server.
type Options struct {
	// NoAuthDetail turns X-Rampart-Auth-Detail off.
	NoAuthDetail bool
	// RateLimits, when set, replace the Workload Security limits.
	RateLimits *ratelimit.Limits
	// DB, when set, is a PostgreSQL URL to run on instead of SQLite, with
	// SecretKey (64 hex digits) the key every replica on it shares.
	DB, SecretKey string
}

// Start runs a server with the demo fleet until the test ends. Virtual
// agents are not started: tests drive agents through Env.Agent so that
// every state change happens when the test says.
func Start(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	clock := &Clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	limits := ratelimit.DefaultLimits()
	if o.RateLimits != nil {
		limits = *o.RateLimits
	}
	cfg := server.Config{
		DataDir: dir, Listen: "127.0.0.1:0", HTTP: true, AuthDetail: !o.NoAuthDetail,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now, RateLimits: limits,
		DB: o.DB, SecretKey: o.SecretKey,
	}
	srv := run(t, ctx, cancel, cfg)
	credPath, err := srv.PrepareDemo(ctx)
	if err != nil {
		t.Fatalf("preparing demo: %v", err)
	}
	var creds struct {
		URL       string `json:"url"`
		AppID     string `json:"apex_application_id"`
		Key       string `json:"apex_api_key"`
		AdminUser string `json:"admin_username"`
		AdminPass string `json:"admin_password"`
		Secret    string `json:"api_secret_key"`
	}
	data, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatalf("reading credentials: %v", err)
	}
	if err := json.Unmarshal(data, &creds); err != nil {
		t.Fatalf("decoding credentials: %v", err)
	}
	return &Env{T: t, URL: creds.URL, DataDir: dir, cfg: cfg, AppID: creds.AppID, APIKey: creds.Key, Clock: clock, Server: srv,
		AdminUser: creds.AdminUser, AdminPassword: creds.AdminPass, APISecret: creds.Secret,
		HTTP: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Agent returns an agent-protocol client authorised for this server.
func (e *Env) Agent() *agentproto.Client {
	token, err := os.ReadFile(filepath.Join(e.DataDir, "agent.token"))
	if err != nil {
		e.T.Fatalf("reading agent token: %v", err)
	}
	return &agentproto.Client{BaseURL: e.URL, Token: strings.TrimSpace(string(token)), HTTP: e.HTTP}
}

// Token describes one Apex Central JWT to sign.
type Token struct {
	AppID     string
	Key       string
	Alg       string // HS256 when empty
	IAT       any    // the server clock's now (int seconds) when nil
	Version   any    // "V1" when nil
	Method    string
	RawURL    string
	Headers   string // canonical headers hashed; "" as the Python clients do
	Body      string
	Checksum  *string // overrides the computed checksum when set
	ChecksumK string  // payload key for the checksum; "checksum" when empty
}

// Checksum computes the vendor's request checksum.
func Checksum(method, rawURL, headers, body string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(method) + "|" + strings.ToLower(rawURL) + "|" + headers + "|" + body))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Sign returns the signed JWT for tok, filling defaults from e.
func (e *Env) Sign(tok Token) string {
	if tok.AppID == "" {
		tok.AppID = e.AppID
	}
	if tok.Key == "" {
		tok.Key = e.APIKey
	}
	if tok.Alg == "" {
		tok.Alg = "HS256"
	}
	if tok.IAT == nil {
		tok.IAT = e.Clock.Now().Unix()
	}
	if tok.Version == nil {
		tok.Version = "V1"
	}
	if tok.ChecksumK == "" {
		tok.ChecksumK = "checksum"
	}
	sum := Checksum(tok.Method, tok.RawURL, tok.Headers, tok.Body)
	if tok.Checksum != nil {
		sum = *tok.Checksum
	}
	claims := jwt.MapClaims{"appid": tok.AppID, "iat": tok.IAT, "version": tok.Version, tok.ChecksumK: sum}
	s, err := jwt.NewWithClaims(jwt.GetSigningMethod(tok.Alg), claims).SignedString([]byte(tok.Key))
	if err != nil {
		e.T.Fatalf("signing token: %v", err)
	}
	return s
}

// Response is an Apex Central answer.
type Response struct {
	Status      int
	Header      http.Header
	ResultCode  int             `json:"result_code"`
	Description string          `json:"result_description"`
	Content     json.RawMessage `json:"result_content"`
	Raw         []byte
}

// Call sends method to pathAndQuery (sent on the request line as given)
// with body, signed with a token built from tok (Method, RawURL and Body
// filled in when empty), and decodes the envelope.
func (e *Env) Call(method, pathAndQuery, body string, tok Token, header ...string) Response {
	e.T.Helper()
	if tok.Method == "" {
		tok.Method = method
	}
	if tok.RawURL == "" {
		tok.RawURL = pathAndQuery
	}
	if tok.Body == "" {
		tok.Body = body
	}
	h := append([]string{"Authorization", "Bearer " + e.Sign(tok)}, header...)
	return e.Send(method, pathAndQuery, body, h...)
}

// Send sends a request with the given header pairs and no signing.
func (e *Env) Send(method, pathAndQuery, body string, header ...string) Response {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+"/", strings.NewReader(body))
	if err != nil {
		e.T.Fatalf("building request: %v", err)
	}
	// Opaque keeps the path and query exactly as given on the request line.
	req.URL.Opaque = pathAndQuery
	req.URL.RawQuery = ""
	if i := strings.IndexByte(pathAndQuery, '?'); i >= 0 {
		req.URL.Opaque, req.URL.RawQuery = pathAndQuery[:i], pathAndQuery[i+1:]
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("reading answer: %v", err)
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.T.Fatalf("decoding %s: %v", raw, err)
		}
	}
	return out
}

// Agents decodes result_content as a list of agents (or servers) into maps.
func (r Response) Agents(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(r.Content, &out); err != nil {
		t.Fatalf("result_content is not a list: %s", r.Content)
	}
	return out
}

// WSResponse is a Workload Security answer.
type WSResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r WSResponse) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	return v
}

// WS sends a Workload Security call with api-version: v1 and the given
// header pairs (add "api-secret-key", S to authenticate).
func (e *Env) WS(method, path, body string, header ...string) WSResponse {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.T.Fatalf("building request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api-version", "v1")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatalf("reading answer: %v", err)
	}
	return WSResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
