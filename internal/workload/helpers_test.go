package workload_test

// This file holds the helpers the HTTP-level tests of the package share: a
// request function that checks the rules every answer must follow (the
// X-DSM-Version header, JSON bodies without null, error bodies that are
// {"message"} and nothing else), and builders for keys, roles and sessions.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// dsmVersion is the X-DSM-Version every answer carries.
const dsmVersion = "Deep Security/20.0.0"

// invalidKey is the message of every refused API key.
const invalidKey = "Invalid API Key"

// resp is one Workload Security answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	// Cookies are the cookies the answer set.
	Cookies []*http.Cookie
}

// object decodes the body as a JSON object.
func (r resp) object(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	return v
}

// into decodes the body into v.
func (r resp) into(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// send makes one call to env with api-version: v1 and the given header
// pairs; a pair whose value is "" removes that header (so "api-version", ""
// sends none). It fails t unless the answer follows the rules every answer
// follows, whatever its status.
func send(t testing.TB, env *servertest.Env, method, path, body string, header ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("building request: %v", err)
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
	res, err := env.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	r := resp{Status: res.StatusCode, Header: res.Header, Body: raw, Cookies: res.Cookies()}
	checkAnswer(t, method+" "+path, r)
	return r
}

// checkAnswer checks the rules of every answer.
func checkAnswer(t testing.TB, what string, r resp) {
	t.Helper()
	if got := r.Header.Get("X-DSM-Version"); got != dsmVersion {
		t.Errorf("%s: %d answer has X-DSM-Version %q, want %q", what, r.Status, got, dsmVersion)
	}
	if len(r.Body) == 0 {
		if r.Status != http.StatusNoContent {
			t.Errorf("%s: %d answer has no body", what, r.Status)
		}
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: %d answer has Content-Type %q, want application/json: %s", what, r.Status, ct, r.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s: %d answer is not JSON: %v: %s", what, r.Status, err, r.Body)
		return
	}
	if p := nullAt(v, "$"); p != "" {
		t.Errorf("%s: %d answer has null at %s (unset fields must be omitted): %s", what, r.Status, p, r.Body)
	}
	if r.Status >= 400 {
		obj, ok := v.(map[string]any)
		msg, isString := obj["message"].(string)
		if !ok || len(obj) != 1 || !isString || msg == "" {
			t.Errorf(`%s: %d answer is not {"message": "..."}: %s`, what, r.Status, r.Body)
		}
	}
}

// nullAt returns the path of the first null in v, or "".
func nullAt(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p := nullAt(v[k], path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := nullAt(e, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// wantStatus fails t unless r has status.
func wantStatus(t testing.TB, r resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantMessage fails t unless r has status and the body {"message": msg}.
// An empty msg accepts any message.
func wantMessage(t testing.TB, r resp, status int, msg string) {
	t.Helper()
	wantStatus(t, r, status)
	got, _ := r.object(t)["message"].(string)
	if msg != "" && got != msg {
		t.Fatalf("message %q, want %q", got, msg)
	}
}

// withKey returns the header pairs that authenticate with secret.
func withKey(secret string) []string { return []string{"api-secret-key", secret} }

// apiKey is an ApiKey (or ApiKeyCurrent) as the wire has it.
type apiKey struct {
	ID                         int64  `json:"ID"`
	KeyName                    string `json:"keyName"`
	Description                string `json:"description"`
	Locale                     string `json:"locale"`
	RoleID                     int64  `json:"roleID"`
	TimeZone                   string `json:"timeZone"`
	Active                     bool   `json:"active"`
	Created                    *int64 `json:"created"`
	LastSignIn                 *int64 `json:"lastSignIn"`
	UnlockTime                 *int64 `json:"unlockTime"`
	UnsuccessfulSignInAttempts int    `json:"unsuccessfulSignInAttempts"`
	ExpiryDate                 *int64 `json:"expiryDate"`
	SecretKey                  string `json:"secretKey"`
	ServiceAccount             bool   `json:"serviceAccount"`
	RoleURN                    string `json:"roleURN"`
	TenantID                   *int64 `json:"tenantID"`
	TenantGUID                 string `json:"tenantGUID"`
}

// secretRE is the form of a secret: "<ID>:<base64 of 32 bytes>".
var secretRE = regexp.MustCompile(`^([0-9]+):([A-Za-z0-9+/]{43}=)$`)

// checkSecret fails t unless secret has the vendor's form for key id.
func checkSecret(t testing.TB, secret string, id int64) {
	t.Helper()
	m := secretRE.FindStringSubmatch(secret)
	if m == nil {
		t.Fatalf("secretKey %q is not <ID>:<base64 of 32 bytes>", secret)
	}
	if m[1] != strconv.FormatInt(id, 10) {
		t.Errorf("secretKey %q starts with %s, want the key's ID %d", secret, m[1], id)
	}
	if b, err := base64.StdEncoding.DecodeString(m[2]); err != nil || len(b) != 32 {
		t.Errorf("secretKey %q: random part decodes to %d bytes (%v), want 32", secret, len(b), err)
	}
}

// createKey creates a key with the Full Access secret admin and returns it
// with its secret.
func createKey(t testing.TB, env *servertest.Env, admin, body string) apiKey {
	t.Helper()
	r := send(t, env, "POST", "/api/apikeys", body, withKey(admin)...)
	if r.Status != http.StatusOK {
		t.Fatalf("creating key %s: status %d: %s", body, r.Status, r.Body)
	}
	var k apiKey
	r.into(t, &k)
	checkSecret(t, k.SecretKey, k.ID)
	return k
}

// getKey reads key id with the secret admin.
func getKey(t testing.TB, env *servertest.Env, admin string, id int64) apiKey {
	t.Helper()
	r := send(t, env, "GET", fmt.Sprintf("/api/apikeys/%d", id), "", withKey(admin)...)
	wantStatus(t, r, http.StatusOK)
	var k apiKey
	r.into(t, &k)
	return k
}

// getKeyMap reads key id with the secret admin as a generic object.
func getKeyMap(t testing.TB, env *servertest.Env, admin string, id int64) map[string]any {
	t.Helper()
	r := send(t, env, "GET", fmt.Sprintf("/api/apikeys/%d", id), "", withKey(admin)...)
	wantStatus(t, r, http.StatusOK)
	return r.object(t)
}

// keyList is the answer to list and search of API keys.
type keyList struct {
	APIKeys []apiKey `json:"apiKeys"`
}

// listKeys lists every key with the secret admin.
func listKeys(t testing.TB, env *servertest.Env, admin string) []apiKey {
	t.Helper()
	r := send(t, env, "GET", "/api/apikeys", "", withKey(admin)...)
	wantStatus(t, r, http.StatusOK)
	var l keyList
	r.into(t, &l)
	return l.APIKeys
}

// role is a Role as the wire has it.
type role struct {
	ID          int64  `json:"ID"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URN         string `json:"urn"`
	Immutable   bool   `json:"immutable"`
	Rights      struct {
		PlatformRights struct {
			APIKeyRights map[string]bool `json:"apikeyRights"`
			RoleRights   map[string]bool `json:"roleRights"`
		} `json:"platformRights"`
	} `json:"rights"`
}

// roleList is the answer to list and search of roles.
type roleList struct {
	Roles []role `json:"roles"`
}

// createRole creates a role with the Full Access secret admin.
func createRole(t testing.TB, env *servertest.Env, admin, body string) role {
	t.Helper()
	r := send(t, env, "POST", "/api/roles", body, withKey(admin)...)
	if r.Status != http.StatusOK {
		t.Fatalf("creating role %s: status %d: %s", body, r.Status, r.Body)
	}
	var ro role
	r.into(t, &ro)
	if ro.ID <= 0 {
		t.Fatalf("created role has ID %d: %s", ro.ID, r.Body)
	}
	return ro
}

// nowMS is the server clock in Unix milliseconds.
func nowMS(env *servertest.Env) int64 { return env.Clock.Now().UnixMilli() }

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// wrongSecret is a well-formed secret for key id that is not its secret.
func wrongSecret(id int64) string {
	return strconv.FormatInt(id, 10) + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
}

// session is a signed-in administrator's sID cookie and RID.
type session struct {
	SID, RID string
}

// header returns the header pairs that authenticate with the session.
func (s session) header() []string {
	return []string{"Cookie", "sID=" + s.SID, "rID", s.RID}
}

// signIn signs in with body and returns the answer and, on 200, the session.
func signIn(t testing.TB, env *servertest.Env, body string) (resp, session) {
	t.Helper()
	r := send(t, env, "POST", "/api/sessions", body)
	if r.Status != http.StatusOK {
		return r, session{}
	}
	var out struct {
		RID string `json:"RID"`
	}
	r.into(t, &out)
	s := session{RID: out.RID}
	for _, c := range r.Cookies {
		if c.Name == "sID" {
			s.SID = c.Value
		}
	}
	return r, s
}

// credentials is the sign-in body for the demo administrator with password.
func credentials(env *servertest.Env, password string) string {
	return fmt.Sprintf(`{"userName": %s, "password": %s}`, jsonString(env.AdminUser), jsonString(password))
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// ms is t in Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }
