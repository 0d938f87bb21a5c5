package apexcentral_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

var ctx = context.Background()

// TestSigningAgainstServer lists the servers with every algorithm, path
// spelling and base URL form a client may use: the server must accept
// each signature.
func TestSigningAgainstServer(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		name string
		edit func(*apexcentral.Config)
	}{
		{"defaults", func(*apexcentral.Config) {}},
		{"HS256", func(c *apexcentral.Config) { c.Algorithm = apexcentral.HS256 }},
		{"HS384", func(c *apexcentral.Config) { c.Algorithm = apexcentral.HS384 }},
		{"HS512", func(c *apexcentral.Config) { c.Algorithm = apexcentral.HS512 }},
		{"path /WebApp/api", func(c *apexcentral.Config) { c.PathPrefix = "/WebApp/api" }},
		{"path webapp/API/", func(c *apexcentral.Config) { c.PathPrefix = "webapp/API/" }},
		{"base URL with a trailing slash", func(c *apexcentral.Config) { c.BaseURL += "/" }},
		{"base URL with a doubled slash", func(c *apexcentral.Config) { c.BaseURL += "//" }},
		{"base URL holding the prefix", func(c *apexcentral.Config) { c.BaseURL += "/WebApp/API/" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servers, err := newClient(t, env, tc.edit).ListServers(ctx, apexcentral.ServerFilter{})
			if err != nil {
				t.Fatalf("ListServers: %v", err)
			}
			if diff := cmp.Diff(allServerHosts, serverHosts(servers)); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFilters checks that the query the checksum covers is the query sent,
// escaped characters included.
func TestFilters(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := newClient(t, env)
	agentCases := []struct {
		name string
		f    apexcentral.AgentFilter
		want []string
	}{
		{"all", apexcentral.AgentFilter{}, allAgentHosts},
		{"host name", apexcentral.AgentFilter{HostName: "client01"}, []string{"client01"}},
		{"MAC with colons (escaped in the query)", apexcentral.AgentFilter{MACAddress: "00:60:59:A4:70:2D"}, []string{"client01"}},
		{"IP", apexcentral.AgentFilter{IPAddress: "192.168.121.132"}, []string{"OSCECLIENT"}},
		{"entity ID lower case", apexcentral.AgentFilter{EntityID: strings.ToLower(client01)}, []string{"client01"}},
		{"managing server", apexcentral.AgentFilter{ManagingServerID: osceServer}, []string{"client02", "client03", "OSCECLIENT"}},
		{"product and server", apexcentral.AgentFilter{Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: apexOne01}, []string{"client01"}},
		{"characters that need escaping", apexcentral.AgentFilter{HostName: "a b&c=d/é?#%"}, []string{}},
	}
	for _, tc := range agentCases {
		t.Run("agents "+tc.name, func(t *testing.T) {
			got, err := c.ListAgents(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListAgents: %v", err)
			}
			if diff := cmp.Diff(tc.want, agentHosts(got)); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
		})
	}
	serverCases := []struct {
		name string
		f    apexcentral.ServerFilter
		want []string
	}{
		{"IPv6 address of the list", apexcentral.ServerFilter{IPAddress: "fe80::8846:d1ac:8ee1:85ce"}, []string{"OSCESERVER"}},
		{"product", apexcentral.ServerFilter{Product: "SLF_PRODUCT_HEADLESS_DSM"}, []string{"dsm01"}},
		{"entity ID", apexcentral.ServerFilter{EntityID: apexOne02}, []string{"ApexOne02"}},
		{"no match", apexcentral.ServerFilter{HostName: "nobody"}, []string{}},
	}
	for _, tc := range serverCases {
		t.Run("servers "+tc.name, func(t *testing.T) {
			got, err := c.ListServers(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListServers: %v", err)
			}
			if diff := cmp.Diff(tc.want, serverHosts(got)); diff != "" {
				t.Errorf("servers (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the wire form", func(t *testing.T) {
		got, err := c.ListServers(ctx, apexcentral.ServerFilter{HostName: "OSCESERVER"})
		if err != nil {
			t.Fatal(err)
		}
		want := []apexcentral.Server{{EntityID: osceServer, Product: "SLF_PRODUCT_OFFICESCAN_CE", IPAddressList: "192.168.121.131,fe80::8846:d1ac:8ee1:85ce",
			HostName: "OSCESERVER", Capabilities: []apexcentral.Capability{apexcentral.CapDeployUpdateSources}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("OSCESERVER (-want +got):\n%s", diff)
		}
		if ips := got[0].IPAddresses(); len(ips) != 2 || !got[0].Can(apexcentral.CapDeployUpdateSources) {
			t.Errorf("IPAddresses %v, Can %v", ips, got[0].Can(apexcentral.CapDeployUpdateSources))
		}
	})
}

// TestAuthErrors checks that a refusal is an *Error with the result code,
// the HTTP status and Rampart's auth detail, and that each request gets a
// fresh iat.
func TestAuthErrors(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	frozen := env.Clock.Now()
	cases := []struct {
		name   string
		edit   func(*apexcentral.Config)
		code   apexcentral.ResultCode
		detail string
	}{
		{"wrong key", func(c *apexcentral.Config) { c.APIKey = "not-the-key" }, apexcentral.CodeInvalidSignature, "does not verify"},
		{"unknown application", func(c *apexcentral.Config) { c.ApplicationID = "00000000-0000-0000-0000-000000000000" }, apexcentral.CodeInvalidAppID, "no application"},
		{"a clock an hour behind", func(c *apexcentral.Config) {
			c.Transport.Now = func() time.Time { return frozen.Add(-time.Hour) }
		}, apexcentral.CodeTokenExpired, "communication time-out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newClient(t, env, tc.edit).ListAgents(ctx, apexcentral.AgentFilter{})
			var e *apexcentral.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.ResultCode != tc.code || e.StatusCode != http.StatusUnauthorized || !strings.Contains(e.AuthDetail, tc.detail) || e.Description == "" {
				t.Errorf("error %+v, want code %d, HTTP 401, detail with %q", e, tc.code, tc.detail)
			}
			if !apexcentral.IsResultCode(err, tc.code) || !strings.Contains(err.Error(), "result_code") {
				t.Errorf("IsResultCode / Error(): %v", err)
			}
			if strings.Contains(err.Error(), env.APIKey) {
				t.Error("the error shows the API key")
			}
		})
	}
	t.Run("fresh iat on every request", func(t *testing.T) {
		c := newClient(t, env)
		for i := 0; i < 3; i++ {
			if _, err := c.ListServers(ctx, apexcentral.ServerFilter{}); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			env.Clock.Advance(time.Hour) // far past any communication time-out
		}
	})
}

// TestRetrySignsAgain puts a proxy in front of the server that refuses the
// first attempt with 503; the client's sleeper moves the server's clock
// past the application's time-out, so the retry only succeeds if it was
// signed anew.
func TestRetrySignsAgain(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var seen atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			w.Header().Set("Retry-After", "600")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	var waited time.Duration
	c := newClient(t, env, func(c *apexcentral.Config) {
		c.BaseURL = front.URL
		c.Transport.Retry.MaxRetryAfter = time.Hour
		c.Transport.Sleep = func(_ context.Context, d time.Duration) error {
			waited += d
			env.Clock.Advance(d)
			return nil
		}
	})
	servers, err := c.ListServers(ctx, apexcentral.ServerFilter{})
	if err != nil {
		t.Fatalf("ListServers: %v", err)
	}
	if len(servers) != len(allServerHosts) || seen.Load() != 2 || waited != 10*time.Minute {
		t.Errorf("%d servers after %d attempts and a wait of %v; want all after 2 and 10m", len(servers), seen.Load(), waited)
	}

	// A POST refused with 503 is not retried: the action may have been
	// applied.
	seen.Store(0)
	_, err = c.Isolate(ctx, apexcentral.AgentTarget{HostName: "client01"}, false)
	var e *apexcentral.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusServiceUnavailable || e.ResultCode != 0 || seen.Load() != 1 {
		t.Errorf("isolate through a 503: error %v after %d attempts; want the 503 after 1", err, seen.Load())
	}
}

func TestNewRefusals(t *testing.T) {
	t.Parallel()
	for _, cfg := range []apexcentral.Config{
		{BaseURL: "https://h", APIKey: "k"},
		{BaseURL: "https://h", ApplicationID: "a"},
		{BaseURL: "https://h", ApplicationID: "a", APIKey: "k", Algorithm: "none"},
		{BaseURL: "https://h", ApplicationID: "a", APIKey: "k", ActionMethod: "DELETE"},
		{BaseURL: "h", ApplicationID: "a", APIKey: "k"},
		{BaseURL: "https://h", ApplicationID: "a", APIKey: "k", Transport: transport.Options{TLS: transport.TLSOptions{PinnedSHA256: []string{"xx"}}}},
	} {
		if _, err := apexcentral.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
