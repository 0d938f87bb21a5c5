package apexcentral

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/identity"
)

// maxBody bounds what a request may carry; the largest legitimate body (an
// update-source list) is a few kilobytes.
const maxBody = 1 << 20

// authFailure is why a request was refused: the code for the client, and a
// detail for the X-Rampart-Auth-Detail header that helps a developer fix
// their signing code without revealing the key.
type authFailure struct {
	code   ResultCode
	detail string
}

// Applications finds the application a token names.
type Applications interface {
	Get(ctx context.Context, id string) (identity.Application, error)
}

type ctxKey struct{}

// authenticated is what the auth step hands the handlers.
type authenticated struct {
	app  identity.Application
	body []byte
}

func fromContext(ctx context.Context) authenticated {
	a, _ := ctx.Value(ctxKey{}).(authenticated)
	return a
}

// Authenticate wraps next with the vendor's token check. On success next
// runs with the application and the exact body bytes in its context.
func (api *API) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, CodeInvalidParameter, fmt.Sprintf("request body unreadable or larger than %d bytes", maxBody))
			return
		}
		app, fail := api.verify(r, body)
		if fail != nil {
			if api.AuthDetail && fail.detail != "" {
				w.Header().Set("X-Rampart-Auth-Detail", fail.detail)
			}
			api.Log.InfoContext(r.Context(), "apex central authentication refused",
				"code", int(fail.code), "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			writeError(w, fail.code, "")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		audit.SetActor(r.Context(), audit.ApplicationActor(app.ID, app.Name))
		ctx := context.WithValue(r.Context(), ctxKey{}, authenticated{app: app, body: body})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var acceptedAlgs = map[string]bool{"HS256": true, "HS384": true, "HS512": true}

// verify checks the token in the order that tells each failure apart: form,
// algorithm, version, application, signature, freshness, checksum.
func (api *API) verify(r *http.Request, body []byte) (identity.Application, *authFailure) {
	received := api.Now()
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	if header == "" {
		return identity.Application{}, &authFailure{CodeTokenNotSet, "no Authorization header"}
	}
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return identity.Application{}, &authFailure{CodeTokenNotSet, `the Authorization header must be "Bearer <jwt>"`}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return identity.Application{}, &authFailure{CodeTokenMalformed, fmt.Sprintf("a JWT has 3 dot-separated parts, this one has %d", len(parts))}
	}
	var head struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &head); err != nil {
		return identity.Application{}, &authFailure{CodeTokenMalformed, "JWT header: " + err.Error()}
	}
	// golang-jwt reports a disallowed algorithm and a bad signature alike,
	// so the header's alg is read first to tell -9 from -7.
	if !acceptedAlgs[head.Alg] {
		return identity.Application{}, &authFailure{CodeUnsupportedAlg, fmt.Sprintf("alg %q seen; accepted: HS256, HS384, HS512", head.Alg)}
	}
	claims, err := decodeClaims(parts[1])
	if err != nil {
		return identity.Application{}, &authFailure{CodeTokenMalformed, "JWT payload: " + err.Error()}
	}
	if v, _ := claims["version"].(string); v != "V1" {
		return identity.Application{}, &authFailure{CodeTokenVersion, fmt.Sprintf("version %s seen; only \"V1\" is supported", jsonText(claims["version"]))}
	}
	appID, _ := claims["appid"].(string)
	if appID == "" {
		return identity.Application{}, &authFailure{CodeInvalidAppID, "the payload has no appid string"}
	}
	app, err := api.Apps.Get(r.Context(), appID)
	if errors.Is(err, identity.ErrNotFound) {
		return identity.Application{}, &authFailure{CodeInvalidAppID, fmt.Sprintf("no application has ID %q", appID)}
	}
	if err != nil {
		api.Log.ErrorContext(r.Context(), "reading application", "app", appID, "err", err)
		return identity.Application{}, &authFailure{CodeInternalError, ""}
	}
	if !app.Enabled {
		return identity.Application{}, &authFailure{CodeInvalidAppID, fmt.Sprintf("application %q is disabled", appID)}
	}
	method := jwt.GetSigningMethod(head.Alg)
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil || method.Verify(parts[0]+"."+parts[1], sig, []byte(app.APIKey)) != nil {
		return identity.Application{}, &authFailure{CodeInvalidSignature, fmt.Sprintf("the %s signature does not verify with the API key of application %q", head.Alg, appID)}
	}
	iat, ok := claims["iat"].(json.Number)
	iatSec, err := iat.Float64()
	if !ok || err != nil || math.IsNaN(iatSec) || math.IsInf(iatSec, 0) {
		return identity.Application{}, &authFailure{CodeTokenMalformed, fmt.Sprintf("iat %s is not a number of seconds", jsonText(claims["iat"]))}
	}
	age := received.Sub(time.Unix(0, int64(iatSec*1e9)))
	if age > app.Timeout || age < -app.Timeout {
		return identity.Application{}, &authFailure{CodeTokenExpired, fmt.Sprintf(
			"iat %s is %.3fs %s the server's time %d; the application's communication time-out is %ds (a Python default argument iat=time.time() is evaluated once)",
			iat.String(), math.Abs(age.Seconds()), map[bool]string{true: "before", false: "after"}[age >= 0], received.Unix(), int(app.Timeout.Seconds()))}
	}
	sum, _ := claims["checksum"].(string)
	raw := rawURL(r)
	if sum != checksum(r.Method, raw, "", body) {
		hdrs := canonicalHeaders(r.Header)
		if hdrs == "" || sum != checksum(r.Method, raw, hdrs, body) {
			return identity.Application{}, &authFailure{CodeInvalidChecksum, fmt.Sprintf(
				"server hashed %s (base64 SHA-256 %s); the token's checksum is %q",
				clip(strconv.QuoteToASCII(canonicalString(r.Method, raw, "", string(body))), 2048), checksum(r.Method, raw, "", body), sum)}
		}
	}
	return app, nil
}

func decodeSegment(seg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return fmt.Errorf("not base64url: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return nil
}

// decodeClaims reads the payload with its keys lower-cased: public C# code
// writes checkSum where Python writes checksum.
func decodeClaims(seg string) (map[string]any, error) {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	claims := make(map[string]any, len(raw))
	for k, v := range raw {
		claims[strings.ToLower(k)] = v
	}
	return claims, nil
}

func jsonText(v any) string {
	if v == nil {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// clip shortens s to at most n bytes, marking the cut, so that a large body
// cannot blow up a response header.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "...(clipped)"
}
