package apexcentral

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rampart-sec/rampart/internal/identity"
)

const (
	fuzzAppID = "E8C2B1A0-1111-4222-8333-944455556666"
	fuzzKey   = "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0"
)

var fuzzNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

type oneApp struct{}

func (oneApp) Get(_ context.Context, id string) (identity.Application, error) {
	if id != fuzzAppID {
		return identity.Application{}, identity.ErrNotFound
	}
	return identity.Application{ID: fuzzAppID, APIKey: fuzzKey, Enabled: true, Timeout: time.Minute}, nil
}

func fuzzAPI() *API {
	return &API{Apps: oneApp{}, Now: func() time.Time { return fuzzNow }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AuthDetail: true}
}

func fuzzRequest(method, rawURL, authz string) *http.Request {
	return &http.Request{Method: method, RequestURI: rawURL, URL: &url.URL{Path: "/"},
		Header: http.Header{"Authorization": {authz}}}
}

func signFor(t *testing.T, alg, method, rawURL string, body []byte, iat any) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(method) + "|" + strings.ToLower(rawURL) + "||" + string(body)))
	claims := jwt.MapClaims{"appid": fuzzAppID, "iat": iat, "version": "V1", "checksum": base64.StdEncoding.EncodeToString(sum[:])}
	tok, err := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims).SignedString([]byte(fuzzKey))
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return tok
}

// FuzzVerifyToken feeds arbitrary Authorization headers, methods, URLs and
// bodies to the token check. It must never panic, never put the key in the
// detail header, and accept only tokens that really are signed with the key
// over this very request.
func FuzzVerifyToken(f *testing.F) {
	valid := signFor(&testing.T{}, "HS256", "GET", "/WebApp/API/AgentResource/ProductAgents", nil, fuzzNow.Unix())
	f.Add("Bearer "+valid, "GET", "/WebApp/API/AgentResource/ProductAgents", []byte(""))
	f.Add("Bearer "+valid, "GET", "/webapp/api/agentresource/productagents", []byte(""))
	f.Add("Bearer "+valid, "POST", "/WebApp/API/AgentResource/ProductAgents", []byte("{}"))
	f.Add("Bearer a.b.c", "GET", "/", []byte(""))
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.", "GET", "/", []byte(""))
	f.Add("bearer  "+valid+" ", "GET", "/WebApp/API/AgentResource/ProductAgents", []byte(""))
	f.Add("", "GET", "/", []byte(""))
	f.Fuzz(func(t *testing.T, authz, method, rawURL string, body []byte) {
		api := fuzzAPI()
		req := fuzzRequest(method, rawURL, authz)
		app, fail := api.verify(req, body)
		if fail != nil {
			if strings.Contains(fail.detail, fuzzKey) {
				t.Fatalf("detail leaks the key: %s", fail.detail)
			}
			if _, ok := codeInfo[fail.code]; !ok {
				t.Fatalf("unknown result code %d", fail.code)
			}
			return
		}
		if app.ID != fuzzAppID {
			t.Fatalf("accepted for app %q", app.ID)
		}
		// Accepted: the token must verify independently, over this request.
		_, tok, _ := strings.Cut(strings.TrimSpace(authz), " ")
		tok = strings.TrimSpace(tok)
		parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(fuzzKey), nil },
			jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}), jwt.WithoutClaimsValidation())
		if err != nil || !parsed.Valid {
			t.Fatalf("accepted a token the library rejects: %v", err)
		}
		claims := parsed.Claims.(jwt.MapClaims)
		var sum string
		for k, v := range claims {
			if strings.EqualFold(k, "checksum") {
				sum, _ = v.(string)
			}
		}
		// The checksum covers the path and query as sent (an absolute-form
		// target's scheme and host are not part of it).
		target := requestTarget(req)
		if sum != checksum(method, target, "", body) && sum != checksum(method, target, canonicalHeaders(http.Header{"Authorization": {authz}}), body) {
			t.Fatalf("accepted a checksum that is not over this request")
		}
	})
}

// FuzzChecksumRoundTrip signs arbitrary requests the way the vendor's
// tutorial does and checks the server accepts them, and refuses them with
// -8 once the body changes.
func FuzzChecksumRoundTrip(f *testing.F) {
	f.Add("GET", "/WebApp/API/AgentResource/ProductAgents?host_name=client01", []byte(""), "HS256", 0.25)
	f.Add("POST", "/WebApp/API/AgentResource/ProductAgents", []byte(`{"act":"cmd_isolate_agent"}`), "HS384", -3.5)
	f.Add("post", "/WebApp/API/ServerResource/ProductServers/", []byte("{'a': 'é'}"), "HS512", 59.0)
	f.Fuzz(func(t *testing.T, method, rawURL string, body []byte, alg string, skew float64) {
		if alg != "HS256" && alg != "HS384" && alg != "HS512" {
			alg = "HS256"
		}
		// Requests read off the wire always carry an origin-form target.
		if !strings.HasPrefix(rawURL, "/") {
			rawURL = "/" + rawURL
		}
		if skew != skew || skew > 59 || skew < -59 { // NaN or outside the time-out
			skew = 0
		}
		iat := float64(fuzzNow.UnixNano())/1e9 + skew
		tok := signFor(t, alg, method, rawURL, body, iat)
		api := fuzzAPI()
		if _, fail := api.verify(fuzzRequest(method, rawURL, "Bearer "+tok), body); fail != nil {
			t.Fatalf("valid token refused: %d %s", fail.code, fail.detail)
		}
		changed := append(append([]byte{}, body...), 'x')
		if _, fail := api.verify(fuzzRequest(method, rawURL, "Bearer "+tok), changed); fail == nil || fail.code != CodeInvalidChecksum {
			t.Fatalf("changed body not refused with -8: %+v", fail)
		}
	})
}

// requestTarget is rawURL under a name the fuzz functions' rawURL
// parameters do not shadow.
var requestTarget = rawURL
