package apexcentral_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func TestChecksum(t *testing.T) {
	t.Parallel()
	isolate := `{"host_name": "client01", "act": "cmd_isolate_agent", "allow_multiple_match": true}`
	cases := []struct {
		method, rawURL, headers, body string
		want                          string // "" to compare with servertest's implementation only
	}{
		// Fixed vectors, computed with the tutorial's Python create_checksum.
		{"GET", "/WebApp/API/ServerResource/ProductServers", "", "", "UN6y2hyaFH3W29YDKanCrdWHZdmTFQTUgB2FSJBrrpU="},
		{"post", "/WebApp/API/AgentResource/ProductAgents?X=Y", "", isolate, "dcOC1A37VZbhf0MT34sMR8gkfopoVZK9ax96I02qUj8="},
		{"GET", "/webapp/api/agentresource/productagents?host_name=CLIENT01&mac_address=00%3A60", "", "", ""},
		{"POST", "/WebApp/API/AgentResource/ProductAgents", "api-version:v1", `{"relocate_to_folder_path": "\\Néw"}`, ""},
	}
	for _, tc := range cases {
		got := apexcentral.Checksum(tc.method, tc.rawURL, tc.headers, []byte(tc.body))
		oracle := servertest.Checksum(tc.method, tc.rawURL, tc.headers, tc.body)
		if got != oracle || (tc.want != "" && got != tc.want) {
			t.Errorf("Checksum(%s %s) = %s, want %s (oracle %s)", tc.method, tc.rawURL, got, tc.want, oracle)
		}
	}
	// The method is upper-cased and the URL lower-cased; the body is not
	// touched.
	base := apexcentral.Checksum("GET", "/a?b=C", "", []byte("Body"))
	if apexcentral.Checksum("get", "/A?B=c", "", []byte("Body")) != base {
		t.Error("method or URL case changes the checksum")
	}
	if apexcentral.Checksum("GET", "/a?b=C", "", []byte("body")) == base {
		t.Error("the body's case does not change the checksum")
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const appID, key = "9D2C7E8A-1111-2222-3333-444455556666", "the-api-key"
	body := []byte(`{"act":"cmd_isolate_agent"}`)
	for _, alg := range []apexcentral.Algorithm{"", apexcentral.HS256, apexcentral.HS384, apexcentral.HS512} {
		t.Run(string(alg), func(t *testing.T) {
			s := apexcentral.Signer{ApplicationID: appID, APIKey: key, Algorithm: alg, Now: func() time.Time { return now }}
			tok, err := s.Token("POST", "/WebApp/API/AgentResource/ProductAgents", "", body)
			if err != nil {
				t.Fatal(err)
			}
			want := string(alg)
			if want == "" {
				want = "HS256"
			}
			parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) { return []byte(key), nil },
				jwt.WithValidMethods([]string{want}), jwt.WithoutClaimsValidation())
			if err != nil {
				t.Fatalf("the token does not verify as %s: %v", want, err)
			}
			if typ := parsed.Header["typ"]; typ != "JWT" {
				t.Errorf("typ %v", typ)
			}
			claims := parsed.Claims.(jwt.MapClaims)
			if len(claims) != 4 || claims["appid"] != appID || claims["version"] != "V1" || claims["iat"] != float64(now.Unix()) ||
				claims["checksum"] != apexcentral.Checksum("POST", "/WebApp/API/AgentResource/ProductAgents", "", body) {
				t.Errorf("claims %v", claims)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		for _, s := range []apexcentral.Signer{
			{ApplicationID: appID, APIKey: key, Algorithm: "none"},
			{ApplicationID: appID, APIKey: key, Algorithm: "RS256"},
			{ApplicationID: appID},
			{APIKey: key},
		} {
			if tok, err := s.Token("GET", "/", "", nil); err == nil {
				t.Errorf("%+v signed %s", s.Algorithm, tok)
			}
		}
	})
	t.Run("Authorize hashes the request line's URI", func(t *testing.T) {
		s := apexcentral.Signer{ApplicationID: appID, APIKey: key, Now: func() time.Time { return now }}
		req, err := http.NewRequest("GET", "https://h:8443/WebApp/API/AgentResource/ProductAgents?host_name=a+b%26c", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Authorize(req, nil); err != nil {
			t.Fatal(err)
		}
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok {
			t.Fatalf("Authorization %q", req.Header.Get("Authorization"))
		}
		parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		want := servertest.Checksum("GET", "/WebApp/API/AgentResource/ProductAgents?host_name=a+b%26c", "", "")
		if got := parsed.Claims.(jwt.MapClaims)["checksum"]; got != want {
			t.Errorf("checksum %v, want %v", got, want)
		}
	})
}
