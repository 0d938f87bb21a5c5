package apexcentral

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"time"
)

// Algorithm is the JWT signing algorithm.
type Algorithm string

// The algorithms Apex Central accepts.
const (
	HS256 Algorithm = "HS256"
	HS384 Algorithm = "HS384"
	HS512 Algorithm = "HS512"
)

func (a Algorithm) hash() (func() hash.Hash, error) {
	switch a {
	case HS256, "":
		return sha256.New, nil
	case HS384:
		return sha512.New384, nil
	case HS512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("signing algorithm %q is not one of HS256, HS384, HS512", string(a))
}

// Checksum is the vendor's request checksum: standard padded base64 of
// SHA-256 over UPPER(method) + "|" + LOWER(rawURL) + "|" + headers + "|" +
// body. rawURL is the path and query exactly as on the request line (no
// "?" when the query is empty); headers is "" as every Python client sends.
func Checksum(method, rawURL, headers string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(strings.ToUpper(method) + "|" + strings.ToLower(rawURL) + "|" + headers + "|"))
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Signer makes the Authorization tokens of one application.
type Signer struct {
	// ApplicationID is the application's ID (a GUID) from the console.
	ApplicationID string
	// APIKey is the application's API key; the HMAC key is its UTF-8
	// bytes.
	APIKey string
	// Algorithm is HS256 when empty.
	Algorithm Algorithm
	// Now is the clock that sets iat; time.Now when nil.
	Now func() time.Time
}

type jwtHeader struct {
	Alg Algorithm `json:"alg"`
	Typ string    `json:"typ"`
}

type jwtPayload struct {
	AppID    string `json:"appid"`
	IAT      int64  `json:"iat"`
	Version  string `json:"version"`
	Checksum string `json:"checksum"`
}

// Token returns a JWT for one request: iat is the signer's now, checksum
// covers method, rawURL, headers and body.
func (s Signer) Token(method, rawURL, headers string, body []byte) (string, error) {
	if s.ApplicationID == "" || s.APIKey == "" {
		return "", errors.New("signing: the application ID and API key are required")
	}
	alg := s.Algorithm
	if alg == "" {
		alg = HS256
	}
	newHash, err := alg.hash()
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	head, err := json.Marshal(jwtHeader{Alg: alg, Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("signing: encoding header: %w", err)
	}
	payload, err := json.Marshal(jwtPayload{AppID: s.ApplicationID, IAT: now().Unix(), Version: "V1",
		Checksum: Checksum(method, rawURL, headers, body)})
	if err != nil {
		return "", fmt.Errorf("signing: encoding payload: %w", err)
	}
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString(head) + "." + enc.EncodeToString(payload)
	mac := hmac.New(newHash, []byte(s.APIKey))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// Authorize signs req, whose body is body, and sets its Authorization
// header. The checksum covers req.URL.RequestURI(), which is what the
// request line carries, so a path or query that Go escapes is hashed as
// escaped.
func (s Signer) Authorize(req *http.Request, body []byte) error {
	tok, err := s.Token(req.Method, req.URL.RequestURI(), "", body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
