package apexcentral_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// rawExchange writes one HTTP/1.1 request byte for byte on a fresh TCP
// connection (Go's client turns a request target starting with "//" into
// an absolute URL) and decodes the answer's envelope.
func rawExchange(t testing.TB, env *servertest.Env, method, target, body string, header ...string) servertest.Response {
	t.Helper()
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatalf("dialling %s: %v", u.Host, err)
	}
	defer conn.Close()
	// A guard against a hung server, not a wait: the exchange is local.
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: application/json;charset=utf-8\r\nContent-Length: %d\r\n",
		method, target, u.Host, len(body))
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&req, "%s: %s\r\n", header[i], header[i+1])
	}
	req.WriteString("\r\n")
	req.WriteString(body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatalf("writing request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading answer body: %v", err)
	}
	out := servertest.Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not JSON (HTTP %d): %s", resp.StatusCode, raw)
	}
	return out
}

// signedRaw is rawExchange with a Python-style token whose checksum is over
// target as sent.
func signedRaw(t testing.TB, env *servertest.Env, method, target, body string) servertest.Response {
	t.Helper()
	tok := env.Sign(servertest.Token{Method: method, RawURL: target, Body: body})
	return rawExchange(t, env, method, target, body, "Authorization", "Bearer "+tok)
}

// hosts returns the host_name of each entry of a list answer, in order.
func hosts(t testing.TB, r servertest.Response) []string {
	t.Helper()
	var out []string
	for _, e := range r.Agents(t) {
		h, _ := e["host_name"].(string)
		out = append(out, h)
	}
	return out
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var (
	allAgentHosts  = []string{"client01", "client02", "client03", "OSCECLIENT", "host8"}
	allServerHosts = []string{"OSCESERVER", "ApexOne01", "dsm01", "ApexOne02"}
)

func TestPathsCaseInsensitive(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		target string
		want   []string
	}{
		{"/webapp/api/agentresource/productagents", allAgentHosts},
		{"/WEBAPP/API/AGENTRESOURCE/PRODUCTAGENTS", allAgentHosts},
		{"/WebApp/api/AgentResource/ProductAgents", allAgentHosts},
		{"/wEbApP/aPi/aGeNtReSoUrCe/pRoDuCtAgEnTs?host_name=client02", []string{"client02"}},
		{"/webapp/api/serverresource/productservers", allServerHosts},
		{"/WEBAPP/API/SERVERRESOURCE/PRODUCTSERVERS", allServerHosts},
		{"/WebApp/api/ServerResource/ProductServers?host_name=dsm01", []string{"dsm01"}},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			r := env.Call("GET", tc.target, "", servertest.Token{})
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPathsTrailingSlash: a trailing slash is served, never redirected
// (clients do not follow a redirected POST).
func TestPathsTrailingSlash(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		method, target, body string
		want                 []string
	}{
		{"GET", agentsPath + "/", "", allAgentHosts},
		{"GET", agentsPath + "/?host_name=client03", "", []string{"client03"}},
		{"GET", "/webapp/api/agentresource/productagents/", "", allAgentHosts},
		{"GET", serversPath + "/", "", allServerHosts},
		{"POST", agentsPath + "/", harmlessBody, nil},
		{"POST", serversPath + "/", `{"entity_id": "` + apexOne02 + `", "act": "cmd_deploy_update_sources", "setting_data_JSON_string": "{\"AllowUpdateFromOtherAU\": 0}"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := env.Call(tc.method, tc.target, tc.body, servertest.Token{})
			if r.Header.Get("Location") != "" {
				t.Errorf("redirected to %q", r.Header.Get("Location"))
			}
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
			if tc.want == nil && string(r.Content) != "[]" {
				t.Errorf("result_content %s, want []", r.Content)
			}
		})
	}
}

// TestPathsDoubleSlash: a base URL ending in "/" makes clients send
// "//WebApp/API/...". The checksum is over the path as sent.
func TestPathsDoubleSlash(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		method, target, body string
		want                 []string
	}{
		{"GET", "/" + agentsPath, "", allAgentHosts},
		{"GET", "/" + agentsPath + "?host_name=client01", "", []string{"client01"}},
		{"GET", "//WEBAPP/API/ServerResource/ProductServers", "", allServerHosts},
		{"GET", "/WebApp//API/AgentResource/ProductAgents/", "", allAgentHosts},
		{"POST", "/" + agentsPath, harmlessBody, nil},
		{"POST", "//webapp/api/agentresource/productagents/", harmlessBody, nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := signedRaw(t, env, tc.method, tc.target, tc.body)
			if r.Header.Get("Location") != "" {
				t.Errorf("redirected to %q", r.Header.Get("Location"))
			}
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("absolute-form request target hashed without scheme and host", func(t *testing.T) {
		u, _ := url.Parse(env.URL)
		tok := env.Sign(servertest.Token{Method: "GET", RawURL: agentsPath + "?host_name=client01"})
		r := rawExchange(t, env, "GET", "http://"+u.Host+agentsPath+"?host_name=client01", "", "Authorization", "Bearer "+tok)
		wantCode(t, r, 1)
		if got := hosts(t, r); !sameList(got, []string{"client01"}) {
			t.Errorf("hosts %v", got)
		}
	})
	t.Run("checksum over the path without the extra slash", func(t *testing.T) {
		tok := env.Sign(servertest.Token{Method: "GET", RawURL: agentsPath})
		r := rawExchange(t, env, "GET", "/"+agentsPath, "", "Authorization", "Bearer "+tok)
		wantCode(t, r, -8)
		if d := r.Header.Get("X-Rampart-Auth-Detail"); !strings.Contains(d, "GET|//webapp/api/agentresource/productagents||") {
			t.Errorf("X-Rampart-Auth-Detail %q should show the hashed path as received", d)
		}
	})
}

func TestPathsMethodNotAllowed(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	for _, target := range []string{agentsPath, serversPath, "/webapp/api/agentresource/productagents/", "/WEBAPP/API/SERVERRESOURCE/PRODUCTSERVERS/"} {
		for _, method := range []string{"PUT", "DELETE", "PATCH"} {
			t.Run(method+" "+target, func(t *testing.T) {
				// Signed or not, the method is refused.
				for _, r := range []servertest.Response{
					env.Call(method, target, harmlessBody, servertest.Token{}),
					env.Send(method, target, ""),
				} {
					wantCode(t, r, -50)
					if allow := r.Header.Get("Allow"); allow != "GET, POST" {
						t.Errorf("Allow %q, want %q", allow, "GET, POST")
					}
					if !strings.Contains(r.Description, method) {
						t.Errorf("result_description %q does not name %s", r.Description, method)
					}
				}
			})
		}
	}
	t.Run("the refused PUT changed nothing", func(t *testing.T) {
		r := env.Call("PUT", agentsPath, `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "client01"}`, servertest.Token{})
		wantCode(t, r, -50)
		if cmds := checkIn(t, env, client01); len(cmds) != 0 {
			t.Errorf("client01 got %v", cmds)
		}
	})
}

func TestPathsUnknown(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	for _, target := range []string{
		"/WebApp/API/AgentResource/ProductAgent",
		"/WebApp/API/AgentResource/ProductAgentsX",
		"/WebApp/API/AgentResource",
		"/WebApp/API/ServerResource/ProductServers/extra",
		"/WebApp/API/SuspiciousObjects/UserDefinedSO",
		"/webapp/api/",
	} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(method+" "+target, func(t *testing.T) {
				r := env.Call(method, target, "", servertest.Token{})
				if r.Status != http.StatusNotFound {
					t.Fatalf("HTTP %d, want 404; body %s", r.Status, r.Raw)
				}
				wantEnvelope(t, r, http.StatusNotFound, r.ResultCode)
				if r.ResultCode >= 0 {
					t.Errorf("result_code %d on an unknown path", r.ResultCode)
				}
				if string(r.Content) != `""` {
					t.Errorf(`result_content %s, want ""`, r.Content)
				}
			})
		}
	}
}

// TestPathsQueryHashedAsReceived: clients paste raw values, URL-encode, or
// encode & and = too; the checksum is over what arrived.
func TestPathsQueryHashedAsReceived(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cases := []struct {
		name, target string
		want         []string
	}{
		{"raw values", agentsPath + "?host_name=client01&product=SLF_PRODUCT_OFFICESCAN_CE", []string{"client01"}},
		{"percent-encoded value", agentsPath + "?host_name=client01&mac_address=00%3A60%3A59%3AA4%3A70%3A2D", []string{"client01"}},
		{"percent-encoded lower-case hex", agentsPath + "?product=SLF%5fPRODUCT%5fHEADLESS%5fDSM", []string{"host8"}},
		{"every byte of the value encoded", agentsPath + "?host_name=%63%6C%69%65%6E%74%30%32", []string{"client02"}},
		{"plus for a space matches nothing", agentsPath + "?host_name=client+01", nil},
		{"IPv6 colons encoded", serversPath + "?ip_address=fe80%3A%3A8846%3Ad1ac%3A8ee1%3A85ce", []string{"OSCESERVER"}},
		{"& and = encoded too: one odd key, no filter", agentsPath + "?host_name%3Dclient01%26product%3Dx", allAgentHosts},
		{"empty value means no filter", agentsPath + "?host_name=&product=", allAgentHosts},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Call("GET", tc.target, "", servertest.Token{})
			wantCode(t, r, 1)
			if got := hosts(t, r); !sameList(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("checksum over the decoded query is refused", func(t *testing.T) {
		target := agentsPath + "?host_name=client01&mac_address=00%3A60%3A59%3AA4%3A70%3A2D"
		decoded := agentsPath + "?host_name=client01&mac_address=00:60:59:A4:70:2D"
		r := env.Call("GET", target, "", servertest.Token{RawURL: decoded})
		wantCode(t, r, -8)
		if d := r.Header.Get("X-Rampart-Auth-Detail"); !strings.Contains(d, "%3a60%3a59") {
			t.Errorf("X-Rampart-Auth-Detail %q should show the query as received, lower-cased", d)
		}
	})
	t.Run("checksum over the query re-encoded is refused", func(t *testing.T) {
		target := agentsPath + "?host_name=client01&mac_address=00:60:59:A4:70:2D"
		r := env.Call("GET", target, "", servertest.Token{RawURL: agentsPath + "?host_name=client01&mac_address=00%3A60%3A59%3AA4%3A70%3A2D"})
		wantCode(t, r, -8)
	})
}
