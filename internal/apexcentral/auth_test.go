package apexcentral_test

// This file holds the token tests and the helpers the other HTTP-level test
// files of the package share (request builders, envelope checks, the demo
// fleet's identifiers).

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The two resources, spelled as the vendor's tutorials spell them.
const (
	agentsPath  = "/WebApp/API/AgentResource/ProductAgents"
	serversPath = "/WebApp/API/ServerResource/ProductServers"
)

// The demo fleet (internal/demo), by role.
const (
	osceServer = "026332F39EBC-41C19604-02DD-2C5F-EDE5" // OSCESERVER, can deploy update sources
	apexOne01  = "33111111-1111-AAAA-AAAA-111100000001" // ApexOne01, can deploy update sources
	dsmServer  = "80180123-1059-694D-BF9D-44CC80320001" // dsm01, SLF_PRODUCT_HEADLESS_DSM
	apexOne02  = "11111111-1111-AAAA-AAAA-111100000002" // ApexOne02, no capabilities

	client01   = "492E8584-0114-694D-BF9D-44CC20141501" // 10.1.1.1 under ApexOne01
	client02   = "492E8584-0114-694D-BF9D-44CC20141502" // 10.1.1.2 under OSCESERVER
	client03   = "492E8584-0114-694D-BF9D-44CC20141503" // 10.1.1.3 under OSCESERVER
	osceClient = "8a1a84550462-40bc9afc-3770-16ac-cd6c" // 192.168.121.132 under OSCESERVER
	host8      = "80180123-1059-CCCC-CCCC-111100000010" // DSM agent, no capabilities
)

// allAgentIDs lists the demo agents in list order.
var allAgentIDs = []string{client01, client02, client03, osceClient, host8}

// statusFor is the HTTP status the spec's table gives each result code.
var statusFor = map[int]int{
	1: 200, -2: 401, -3: 401, -4: 401, -5: 401, -6: 401, -7: 401, -8: 401, -9: 401,
	-21: 400, -22: 400, -50: 405, -99: 500, -102: 400, -105: 400, -107: 400,
}

// wantCode checks that r is a well-formed envelope carrying code with the
// HTTP status the spec gives it; an error envelope must carry
// "result_content": "" (a JSON string).
func wantCode(t testing.TB, r servertest.Response, code int) {
	t.Helper()
	wantEnvelope(t, r, statusFor[code], code)
}

func wantEnvelope(t testing.TB, r servertest.Response, status, code int) {
	t.Helper()
	if r.Status != status || r.ResultCode != code {
		t.Fatalf("got HTTP %d result_code %d, want HTTP %d result_code %d; body %s", r.Status, r.ResultCode, status, code, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(r.Raw, &keys); err != nil {
		t.Fatalf("body is not a JSON object: %s", r.Raw)
	}
	for _, k := range []string{"result_code", "result_description", "result_content"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("envelope lacks %s: %s", k, r.Raw)
		}
	}
	if len(keys) != 3 {
		t.Errorf("envelope has %d keys, want 3: %s", len(keys), r.Raw)
	}
	if r.Description == "" {
		t.Errorf("empty result_description: %s", r.Raw)
	}
	if code != 1 && string(r.Content) != `""` {
		t.Errorf(`error envelope result_content = %s, want ""`, r.Content)
	}
}

// wantDescription checks that the result_description holds every part.
func wantDescription(t testing.TB, r servertest.Response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Description, p) {
			t.Errorf("result_description %q does not contain %q", r.Description, p)
		}
	}
}

// b64 is the JWT segment encoding: base64url without padding.
func b64(data []byte) string { return base64.RawURLEncoding.EncodeToString(data) }

// segment encodes a JWT header or payload: a string is taken as the raw
// segment text, anything else is marshalled to JSON.
func segment(v any) string {
	if s, ok := v.(string); ok {
		return b64([]byte(s))
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b64(data)
}

// hmacSig signs input as alg names; for any other alg it returns an
// HMAC-SHA256 signature, which is what a client that made the alg up
// would plausibly send.
func hmacSig(alg, key, input string) string {
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	mac := hmac.New(h, []byte(key))
	mac.Write([]byte(input))
	return b64(mac.Sum(nil))
}

// rawJWT assembles a token by hand from a header and a payload of any
// shape, HMAC-signed with key under the header's alg.
func rawJWT(header, payload any, key string) string {
	input := segment(header) + "." + segment(payload)
	alg := ""
	if h, ok := header.(map[string]any); ok {
		alg, _ = h["alg"].(string)
	}
	return input + "." + hmacSig(alg, key, input)
}

// claims is the payload a Python client sends for one request, signed now.
func claims(env *servertest.Env, method, rawURL, body string) map[string]any {
	return map[string]any{
		"appid": env.AppID, "iat": env.Clock.Now().Unix(), "version": "V1",
		"checksum": servertest.Checksum(method, rawURL, "", body),
	}
}

func hs256() map[string]any { return map[string]any{"alg": "HS256", "typ": "JWT"} }

// with returns a copy of m with the given key set, or deleted when v is
// the deleteKey marker.
func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for key, val := range m {
		out[key] = val
	}
	if v == deleteKey {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

type deleteMarker struct{}

var deleteKey = deleteMarker{}

// ctx is the context of direct calls into the server's services.
var ctx = context.Background()

// authTarget is the request the token tests sign: read-only, so that a
// wrongly accepted token changes nothing.
const authTarget = agentsPath + "?host_name=client01"

// harmlessBody is a POST that changes nothing even if accepted: host8 has no
// capabilities.
const harmlessBody = `{"act": "cmd_isolate_agent", "allow_multiple_match": false, "host_name": "host8"}`

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	now := env.Clock.Now().Unix()
	get := func(c map[string]any) string { return "Bearer " + rawJWT(hs256(), c, env.APIKey) }
	std := claims(env, "GET", authTarget, "")
	stdPost := claims(env, "POST", agentsPath, harmlessBody)

	cases := []struct {
		name     string
		method   string // GET authTarget when empty; POST agentsPath with harmlessBody otherwise
		noHeader bool
		authz    string
		code     int
		detail   string // a part of X-Rampart-Auth-Detail
	}{
		// -2: no token.
		{name: "no Authorization header", noHeader: true, code: -2, detail: "no Authorization header"},
		{name: "empty Authorization header", authz: "", code: -2},
		{name: "blank Authorization header", authz: "   ", code: -2},
		{name: "Basic scheme", authz: "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")), code: -2, detail: "Bearer"},
		{name: "bare token without scheme", authz: rawJWT(hs256(), std, env.APIKey), code: -2},
		{name: "Bearer without token", authz: "Bearer", code: -2},
		{name: "Bearer and spaces", authz: "Bearer    ", code: -2},
		{name: "Token scheme", authz: "Token " + rawJWT(hs256(), std, env.APIKey), code: -2},

		// -3: not a JWT.
		{name: "one part", authz: "Bearer abc", code: -3, detail: "has 1"},
		{name: "two parts", authz: "Bearer " + segment(hs256()) + "." + segment(std), code: -3, detail: "has 2"},
		{name: "four parts", authz: get(std) + ".x", code: -3, detail: "has 4"},
		{name: "header not base64", authz: "Bearer !!!." + segment(std) + ".sig", code: -3, detail: "header"},
		{name: "header not JSON", authz: "Bearer " + rawJWT("alg=HS256", std, env.APIKey), code: -3, detail: "header"},
		{name: "payload not base64", authz: "Bearer " + segment(hs256()) + ".@@@." + "sig", code: -3, detail: "payload"},
		{name: "payload not JSON", authz: "Bearer " + rawJWT(hs256(), "appid=x", env.APIKey), code: -3, detail: "payload"},
		{name: "payload a JSON list", authz: "Bearer " + rawJWT(hs256(), []any{"V1"}, env.APIKey), code: -3, detail: "payload"},
		{name: "iat a string", authz: get(with(std, "iat", "1795521600")), code: -3, detail: "iat"},
		{name: "iat missing", authz: get(with(std, "iat", deleteKey)), code: -3, detail: "iat"},
		{name: "iat null", authz: get(with(std, "iat", nil)), code: -3, detail: "iat"},

		// -4: version.
		{name: "version V2", authz: get(with(std, "version", "V2")), code: -4, detail: `"V2"`},
		{name: "version missing", authz: get(with(std, "version", deleteKey)), code: -4},
		{name: "version lower-case v1", authz: get(with(std, "version", "v1")), code: -4},
		{name: "version a number", authz: get(with(std, "version", 1)), code: -4},

		// -5: application.
		{name: "unknown appid", authz: get(with(std, "appid", "00000000-0000-0000-0000-000000000000")), code: -5, detail: "00000000-0000-0000-0000-000000000000"},
		{name: "missing appid", authz: get(with(std, "appid", deleteKey)), code: -5, detail: "appid"},
		{name: "empty appid", authz: get(with(std, "appid", "")), code: -5},
		{name: "appid a number", authz: get(with(std, "appid", 42)), code: -5},

		// -6: iat outside the 60 s time-out of the demo application.
		{name: "iat 61 s old", authz: get(with(std, "iat", now-61)), code: -6, detail: "60s"},
		{name: "iat 61 s ahead", authz: get(with(std, "iat", now+61)), code: -6, detail: "after"},
		{name: "iat an hour old", authz: get(with(std, "iat", now-3600)), code: -6},
		{name: "float iat 60.5 s old", authz: get(with(std, "iat", float64(now)-60.5)), code: -6},
		{name: "float iat 60.001 s ahead", authz: get(with(std, "iat", float64(now)+60.001)), code: -6},
		{name: "iat zero", authz: get(with(std, "iat", 0)), code: -6},
		{name: "iat milliseconds", authz: get(with(std, "iat", now*1000)), code: -6},

		// -7: signature.
		{name: "wrong key", authz: "Bearer " + rawJWT(hs256(), std, "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0"), code: -7, detail: env.AppID},
		{name: "key in lower case", authz: "Bearer " + rawJWT(hs256(), std, strings.ToLower(env.APIKey)), code: -7},
		{name: "empty signature", authz: "Bearer " + segment(hs256()) + "." + segment(std) + ".", code: -7},
		{name: "signature not base64", authz: "Bearer " + segment(hs256()) + "." + segment(std) + ".***", code: -7},
		{name: "HS384 header, HS256 signature", authz: "Bearer " + segment(map[string]any{"alg": "HS384", "typ": "JWT"}) + "." + segment(std) + "." +
			hmacSig("HS256", env.APIKey, segment(map[string]any{"alg": "HS384", "typ": "JWT"})+"."+segment(std)), code: -7},
		{name: "payload changed after signing", authz: func() string {
			tok := strings.Split(get(std), ".")
			return tok[0] + "." + segment(with(std, "iat", now-1)) + "." + tok[2]
		}(), code: -7},

		// -8: checksum.
		{name: "checksum over another path", authz: get(with(std, "checksum", servertest.Checksum("GET", serversPath, "", ""))), code: -8,
			detail: `GET|/webapp/api/agentresource/productagents?host_name=client01||`},
		{name: "checksum without the query", authz: get(with(std, "checksum", servertest.Checksum("GET", agentsPath, "", ""))), code: -8},
		{name: "checksum over another query", authz: get(with(std, "checksum", servertest.Checksum("GET", agentsPath+"?host_name=client02", "", ""))), code: -8},
		{name: "checksum over another method", authz: get(with(std, "checksum", servertest.Checksum("POST", authTarget, "", ""))), code: -8},
		{name: "checksum over a body on a GET", authz: get(with(std, "checksum", servertest.Checksum("GET", authTarget, "", "{}"))), code: -8},
		{name: "checksum missing", authz: get(with(std, "checksum", deleteKey)), code: -8},
		{name: "checksum empty", authz: get(with(std, "checksum", "")), code: -8},
		{name: "checksum a number", authz: get(with(std, "checksum", 5)), code: -8},
		{name: "checksum unpadded", authz: get(with(std, "checksum", strings.TrimRight(std["checksum"].(string), "="))), code: -8},
		{name: "checksum over the raw URL not lower-cased", authz: func() string {
			sum := sha256.Sum256([]byte("GET|" + agentsPath + "?host_name=client01||"))
			return get(with(std, "checksum", base64.StdEncoding.EncodeToString(sum[:])))
		}(), code: -8},
		{name: "checksum with canonical headers that were not sent", authz: get(with(std, "checksum", servertest.Checksum("GET", authTarget, "api-version:1", ""))), code: -8},
		{name: "POST checksum over another body", method: "POST",
			authz: get(with(stdPost, "checksum", servertest.Checksum("POST", agentsPath, "", `{"act": "cmd_isolate_agent"}`))), code: -8, detail: `POST|/webapp/api/agentresource/productagents||{`},
		{name: "POST checksum over an empty body", method: "POST",
			authz: get(with(stdPost, "checksum", servertest.Checksum("POST", agentsPath, "", ""))), code: -8},
		{name: "POST checksum as a GET", method: "POST",
			authz: get(with(stdPost, "checksum", servertest.Checksum("GET", agentsPath, "", harmlessBody))), code: -8},

		// -9: algorithm.
		{name: "alg none without signature", authz: "Bearer " + segment(map[string]any{"alg": "none", "typ": "JWT"}) + "." + segment(std) + ".", code: -9, detail: `"none"`},
		{name: "alg none with signature", authz: "Bearer " + rawJWT(map[string]any{"alg": "none"}, std, env.APIKey), code: -9},
		{name: "alg RS256 with any signature", authz: "Bearer " + segment(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + segment(std) + "." + b64([]byte("not an RSA signature")), code: -9, detail: "RS256"},
		{name: "alg HS257", authz: "Bearer " + rawJWT(map[string]any{"alg": "HS257", "typ": "JWT"}, std, env.APIKey), code: -9, detail: "HS257"},
		{name: "alg missing", authz: "Bearer " + rawJWT(map[string]any{"typ": "JWT"}, std, env.APIKey), code: -9},
		{name: "alg ES256", authz: "Bearer " + rawJWT(map[string]any{"alg": "ES256"}, std, env.APIKey), code: -9},
		// The algorithm is judged before the payload is read.
		{name: "alg none and payload garbage", authz: "Bearer " + segment(map[string]any{"alg": "none"}) + ".@@@.", code: -9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, target, body := "GET", authTarget, ""
			if tc.method == "POST" {
				method, target, body = "POST", agentsPath, harmlessBody
			}
			var r servertest.Response
			if tc.noHeader {
				r = env.Send(method, target, body)
			} else {
				r = env.Send(method, target, body, "Authorization", tc.authz)
			}
			wantCode(t, r, tc.code)
			detail := r.Header.Get("X-Rampart-Auth-Detail")
			if detail == "" {
				t.Errorf("no X-Rampart-Auth-Detail on a refused request")
			}
			if strings.Contains(detail, env.APIKey) || strings.Contains(strings.ToLower(detail), strings.ToLower(env.APIKey)) {
				t.Errorf("X-Rampart-Auth-Detail reveals the API key: %q", detail)
			}
			if strings.Contains(r.Description, env.APIKey) || strings.Contains(string(r.Raw), env.APIKey) {
				t.Errorf("the body reveals the API key: %s", r.Raw)
			}
			if tc.detail != "" && !strings.Contains(detail, tc.detail) {
				t.Errorf("X-Rampart-Auth-Detail %q does not contain %q", detail, tc.detail)
			}
		})
	}
}

func TestAuthAccepted(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	now := env.Clock.Now().Unix()
	std := claims(env, "GET", authTarget, "")
	cases := []struct {
		name   string
		target string // authTarget when empty
		tok    servertest.Token
		authz  string // overrides tok when set
		header []string
	}{
		{name: "HS256", tok: servertest.Token{Alg: "HS256"}},
		{name: "HS384", tok: servertest.Token{Alg: "HS384"}},
		{name: "HS512", tok: servertest.Token{Alg: "HS512"}},
		{name: "checkSum key as public C# code writes it", tok: servertest.Token{ChecksumK: "checkSum"}},
		{name: "CHECKSUM key", tok: servertest.Token{ChecksumK: "CHECKSUM"}},
		{name: "other payload keys in other cases", authz: "Bearer " + rawJWT(hs256(), map[string]any{
			"AppID": env.AppID, "IAT": now, "Version": "V1", "CheckSum": std["checksum"]}, env.APIKey)},
		{name: "float iat as Python's time.time()", tok: servertest.Token{IAT: float64(now) + 0.4187651}},
		{name: "float iat slightly in the past", tok: servertest.Token{IAT: float64(now) - 12.75}},
		{name: "iat exactly 60 s old", tok: servertest.Token{IAT: now - 60}},
		{name: "iat exactly 60 s ahead", tok: servertest.Token{IAT: now + 60}},
		{name: "float iat exactly 60 s old", tok: servertest.Token{IAT: float64(now - 60)}},
		{name: "iat 59 s ahead", tok: servertest.Token{IAT: now + 59}},
		{name: "lower-case bearer", authz: "bearer " + rawJWT(hs256(), std, env.APIKey)},
		{name: "header without typ", authz: "Bearer " + rawJWT(map[string]any{"alg": "HS256"}, std, env.APIKey)},
		{name: "C# canonical headers", header: []string{"api-version", "1.0", "apikey", "x"},
			tok: servertest.Token{Headers: "api-version:1.0&apikey:x"}},
		{name: "C# canonical headers, values trimmed and names lower-cased", header: []string{"Api-Client", "  Rampart Test  ", "API-Version", "V1"},
			tok: servertest.Token{Headers: "api-client:Rampart Test&api-version:V1"}},
		{name: "C# canonical headers ignore other headers", header: []string{"apiKey", "k1", "X-Api-Other", "no", "Accept", "application/json"},
			tok: servertest.Token{Headers: "apikey:k1"}},
		{name: "Python form while api headers are sent", header: []string{"api-version", "1.0"}},
		{name: "mixed-case path hashed lower-cased", target: "/webapp/API/agentResource/PRODUCTAGENTS?host_name=client01"},
		{name: "upper-case query value hashed lower-cased", target: agentsPath + "?host_name=CLIENT01"},
		{name: "client lower-cases the URL before hashing as the vendor's code does",
			target: "/WEBAPP/API/AGENTRESOURCE/PRODUCTAGENTS?host_name=client01",
			tok:    servertest.Token{RawURL: "/webapp/api/agentresource/productagents?host_name=client01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = authTarget
			}
			var r servertest.Response
			if tc.authz != "" {
				r = env.Send("GET", target, "", append([]string{"Authorization", tc.authz}, tc.header...)...)
			} else {
				r = env.Call("GET", target, "", tc.tok, tc.header...)
			}
			wantCode(t, r, 1)
			if d := r.Header.Get("X-Rampart-Auth-Detail"); d != "" {
				t.Errorf("X-Rampart-Auth-Detail on an accepted request: %q", d)
			}
		})
	}
}

// TestAuthPostBodies checks that the checksum is over the exact body bytes
// for every algorithm.
func TestAuthPostBodies(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			r := env.Call("POST", agentsPath, harmlessBody, servertest.Token{Alg: alg})
			wantCode(t, r, 1)
			if string(r.Content) != "[]" {
				t.Errorf("result_content %s, want []", r.Content)
			}
			// Same JSON, other bytes: the checksum no longer matches.
			r = env.Call("POST", agentsPath, harmlessBody+" ", servertest.Token{Alg: alg, Body: harmlessBody})
			wantCode(t, r, -8)
		})
	}
}

func TestAuthExpiryFollowsClock(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	tok := env.Sign(servertest.Token{Method: "GET", RawURL: authTarget})
	send := func() servertest.Response { return env.Send("GET", authTarget, "", "Authorization", "Bearer "+tok) }

	wantCode(t, send(), 1)
	env.Clock.Advance(30 * time.Second)
	wantCode(t, send(), 1)
	env.Clock.Advance(30 * time.Second) // exactly the 60 s time-out
	wantCode(t, send(), 1)
	env.Clock.Advance(time.Millisecond) // 1 ms past it
	r := send()
	wantCode(t, r, -6)
	if d := r.Header.Get("X-Rampart-Auth-Detail"); !strings.Contains(d, "60.001s before") || !strings.Contains(d, "time-out is 60s") {
		t.Errorf("X-Rampart-Auth-Detail %q should say how far iat is and what the time-out is", d)
	}
	// A token made now is fine again: the key did not change.
	wantCode(t, env.Call("GET", authTarget, "", servertest.Token{}), 1)
}

func TestAuthDisabledApplication(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	if err := env.Server.Apps.SetEnabled(ctx, env.AppID, false); err != nil {
		t.Fatal(err)
	}
	r := env.Call("GET", authTarget, "", servertest.Token{})
	wantCode(t, r, -5)
	if d := r.Header.Get("X-Rampart-Auth-Detail"); !strings.Contains(d, "disabled") {
		t.Errorf("X-Rampart-Auth-Detail %q should say the application is disabled", d)
	}
	// Disabled wins over a wrong key: the key is never tried.
	wantCode(t, env.Call("GET", authTarget, "", servertest.Token{Key: "wrong"}), -5)
	if err := env.Server.Apps.SetEnabled(ctx, env.AppID, true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, env.Call("GET", authTarget, "", servertest.Token{}), 1)
}

func TestAuthRotatedKey(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	oldKey := env.APIKey
	app, err := env.Server.Apps.RotateKey(ctx, env.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if app.APIKey == oldKey || app.APIKey == "" {
		t.Fatalf("RotateKey returned key %q, old %q", app.APIKey, oldKey)
	}
	r := env.Call("GET", authTarget, "", servertest.Token{Key: oldKey})
	wantCode(t, r, -7)
	for _, k := range []string{oldKey, app.APIKey} {
		if strings.Contains(r.Header.Get("X-Rampart-Auth-Detail"), k) || strings.Contains(string(r.Raw), k) {
			t.Errorf("refusal reveals a key: %q %s", r.Header.Get("X-Rampart-Auth-Detail"), r.Raw)
		}
	}
	wantCode(t, env.Call("GET", authTarget, "", servertest.Token{Key: app.APIKey}), 1)
	wantCode(t, env.Call("POST", agentsPath, harmlessBody, servertest.Token{Key: app.APIKey, Alg: "HS512"}), 1)
}

func TestAuthDetailOff(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{NoAuthDetail: true})
	now := env.Clock.Now().Unix()
	cases := []struct {
		name string
		r    func() servertest.Response
		code int
	}{
		{"no header", func() servertest.Response { return env.Send("GET", authTarget, "") }, -2},
		{"malformed", func() servertest.Response { return env.Send("GET", authTarget, "", "Authorization", "Bearer x") }, -3},
		{"version", func() servertest.Response { return env.Call("GET", authTarget, "", servertest.Token{Version: "V2"}) }, -4},
		{"appid", func() servertest.Response { return env.Call("GET", authTarget, "", servertest.Token{AppID: "nope"}) }, -5},
		{"expired", func() servertest.Response { return env.Call("GET", authTarget, "", servertest.Token{IAT: now - 120}) }, -6},
		{"key", func() servertest.Response { return env.Call("GET", authTarget, "", servertest.Token{Key: "wrong"}) }, -7},
		{"checksum", func() servertest.Response {
			return env.Call("GET", authTarget, "", servertest.Token{RawURL: agentsPath})
		}, -8},
		{"alg", func() servertest.Response {
			return env.Send("GET", authTarget, "", "Authorization", "Bearer "+rawJWT(map[string]any{"alg": "none"}, claims(env, "GET", authTarget, ""), ""))
		}, -9},
		{"accepted", func() servertest.Response { return env.Call("GET", authTarget, "", servertest.Token{}) }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r()
			wantCode(t, r, tc.code)
			if _, ok := r.Header["X-Rampart-Auth-Detail"]; ok {
				t.Errorf("X-Rampart-Auth-Detail sent with NoAuthDetail: %q", r.Header.Get("X-Rampart-Auth-Detail"))
			}
		})
	}
}

// checkIn checks agent id in over the agent protocol and returns its
// commands.
func checkIn(t testing.TB, env *servertest.Env, id string) []agentproto.Command {
	t.Helper()
	cmds, err := env.Agent().CheckIn(ctx, agentproto.CheckInRequest{AgentID: id})
	if err != nil {
		t.Fatalf("check-in of %s: %v", id, err)
	}
	return cmds
}
