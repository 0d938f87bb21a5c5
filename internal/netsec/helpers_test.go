package netsec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The demo's appliances (seed 004) and the versions of its catalogue.
const (
	oldVersion = "2021.3.0.10968"
	newVersion = "2021.4.1.10996"
	stepTime   = 3 * time.Second // the server's default migration step

	conflictText = "The request to migrate the appliance was rejected because of a conflict. For example, the appliance could be scheduled for a reboot or could be completing a different TOS migration."
)

// start runs a server for one test.
func start(t *testing.T) *servertest.Env {
	t.Helper()
	return servertest.Start(t)
}

// apiKey is the header pair that authenticates with secret as the seed does.
func apiKey(secret string) []string { return []string{"Authorization", "ApiKey " + secret} }

// call sends a Network Security call with api-version: v1 and the key.
func call(t *testing.T, env *servertest.Env, method, path, body, secret string, header ...string) servertest.WSResponse {
	t.Helper()
	return env.WS(method, path, body, append(apiKey(secret), header...)...)
}

// get is call with GET and the Full Access key.
func get(t *testing.T, env *servertest.Env, path string) servertest.WSResponse {
	t.Helper()
	return call(t, env, http.MethodGet, path, "", env.APISecret)
}

// into decodes a JSON answer strictly into v after checking the status.
func into(t *testing.T, r servertest.WSResponse, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json: %s", ct, r.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// wantMessage checks a refusal: the status and a JSON {"message": "..."}
// with a non-empty message and nothing else. It returns the message.
func wantMessage(t *testing.T, r servertest.WSResponse, status int) string {
	t.Helper()
	var m map[string]any
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json: %s", ct, r.Body)
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("refusal is not a JSON object: %s", r.Body)
	}
	msg, ok := m["message"].(string)
	if !ok || msg == "" || len(m) != 1 {
		t.Fatalf(`refusal is not {"message": "..."}: %s`, r.Body)
	}
	return msg
}

// auditorKey creates a read-only (Auditor) key and returns its secret.
func auditorKey(t *testing.T, env *servertest.Env) string {
	t.Helper()
	r := env.WS(http.MethodPost, "/api/apikeys", `{"keyName": "ro", "roleID": 2}`, "api-secret-key", env.APISecret)
	if r.Status != http.StatusOK {
		t.Fatalf("creating an Auditor key: status %d: %s", r.Status, r.Body)
	}
	var k struct {
		SecretKey string `json:"secretKey"`
	}
	if err := json.Unmarshal(r.Body, &k); err != nil || k.SecretKey == "" {
		t.Fatalf("creating an Auditor key: no secretKey in %s (%v)", r.Body, err)
	}
	return k.SecretKey
}

// versions is the answer of GET /api/migrationversions.
type versions struct {
	BaseVersion string  `json:"baseVersion"`
	State       string  `json:"state"`
	Permission  string  `json:"permission"`
	Upgrade     *string `json:"upgrade"`
	Rollback    *string `json:"rollback"`
}

func (v versions) String() string {
	s := func(p *string) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprintf("%q", *p)
	}
	return fmt.Sprintf("{base %q state %q permission %q upgrade %s rollback %s}", v.BaseVersion, v.State, v.Permission, s(v.Upgrade), s(v.Rollback))
}

func str(s string) *string { return &s }

func sameVersions(a, b versions) bool { return a.String() == b.String() }

// versionsOf reads GET /api/migrationversions?applianceId=id with secret.
func versionsOf(t *testing.T, env *servertest.Env, id int64, secret string) versions {
	t.Helper()
	var v versions
	into(t, call(t, env, http.MethodGet, fmt.Sprintf("/api/migrationversions?applianceId=%d", id), "", secret), http.StatusOK, &v)
	return v
}

// status is one entry of GET /api/appliancemigrations.
type status struct {
	ApplianceID int64  `json:"applianceId"`
	Action      string `json:"action"`
	CurrentStep int    `json:"currentStep"`
	TotalSteps  int    `json:"totalSteps"`
	State       string `json:"state"`
	Result      string `json:"result"`
	Message     string `json:"message"`
	Time        int64  `json:"time"`
}

// statuses reads GET /api/appliancemigrations with query (may be "").
func statuses(t *testing.T, env *servertest.Env, query string) []status {
	t.Helper()
	path := "/api/appliancemigrations"
	if query != "" {
		path += "?" + query
	}
	var out struct {
		Statuses []status `json:"statuses"`
	}
	into(t, get(t, env, path), http.StatusOK, &out)
	if out.Statuses == nil {
		t.Fatalf("GET %s: statuses is null or missing", path)
	}
	return out.Statuses
}

// latest returns the status of appliance id (ok false when it has none).
func latest(t *testing.T, env *servertest.Env, id int64) (status, bool) {
	t.Helper()
	ss := statuses(t, env, fmt.Sprintf("applianceIds=%d", id))
	switch len(ss) {
	case 0:
		return status{}, false
	case 1:
		if ss[0].ApplianceID != id {
			t.Fatalf("asked for appliance %d, got %+v", id, ss[0])
		}
		return ss[0], true
	}
	t.Fatalf("asked for appliance %d, got %d statuses: %+v", id, len(ss), ss)
	return status{}, false
}

// migrate posts a migration with the Full Access key and wants 202 with
// an empty body.
func migrate(t *testing.T, env *servertest.Env, action string, id int64) {
	t.Helper()
	r := call(t, env, http.MethodPost, "/api/appliancemigrations", fmt.Sprintf(`{"action": %q, "applianceId": %d}`, action, id), env.APISecret)
	if r.Status != http.StatusAccepted {
		t.Fatalf("%s %d: status %d, want 202: %s", action, id, r.Status, r.Body)
	}
	if len(r.Body) != 0 {
		t.Fatalf("%s %d: 202 with a body: %q", action, id, r.Body)
	}
}

// step moves every unfinished migration of ids one step: it advances the
// server's clock by one step time, ticks once as "test-runner", and waits
// (bounded) until each has moved, since the server's own runner may hold
// the lease and take the step instead. Each clock advance makes exactly one
// step due, so no step is skipped whoever takes it. It returns the new
// statuses by appliance.
func step(t *testing.T, env *servertest.Env, ids ...int64) map[int64]status {
	t.Helper()
	before := map[int64]status{}
	for _, id := range ids {
		s, ok := latest(t, env, id)
		if !ok || s.Result != "" {
			t.Fatalf("appliance %d has no running migration: %+v", id, s)
		}
		before[id] = s
	}
	env.Clock.Advance(stepTime)
	if _, err := env.Server.Appliances.Tick(context.Background(), "test-runner", time.Minute); err != nil {
		t.Fatalf("tick: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		after := map[int64]status{}
		for _, id := range ids {
			s, _ := latest(t, env, id)
			if s.CurrentStep != before[id].CurrentStep {
				after[id] = s
			}
		}
		if len(after) == len(ids) {
			for id, s := range after {
				if s.CurrentStep != before[id].CurrentStep+1 {
					t.Fatalf("appliance %d went from step %d to %d in one step time", id, before[id].CurrentStep, s.CurrentStep)
				}
			}
			return after
		}
		if time.Now().After(deadline) {
			t.Fatalf("migrations of %v did not move within 5 s of a step time: before %+v, moved %+v", ids, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finish steps the migration of id until it ends and returns every status
// seen, the first being the one right after the start.
func finish(t *testing.T, env *servertest.Env, id int64) []status {
	t.Helper()
	s, ok := latest(t, env, id)
	if !ok {
		t.Fatalf("appliance %d has no migration", id)
	}
	seen := []status{s}
	for i := 0; s.Result == ""; i++ {
		if i > 10 {
			t.Fatalf("migration of %d did not end in 10 steps: %+v", id, seen)
		}
		s = step(t, env, id)[id]
		seen = append(seen, s)
	}
	return seen
}
