package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// TestAuditTrail drives every API family through a real server and reads
// the audit trail after each call: each change gives exactly one event
// with the right actor, action, target and outcome; reads, searches, the
// agent protocol and unknown routes give none; and no secret the calls
// carried (API key secrets, the Apex key and tokens, passwords, session
// IDs) is in any stored field.
func TestAuditTrail(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	demoKeyID, _, _ := strings.Cut(env.APISecret, ":")
	demoKey := audit.Actor{Kind: audit.KindAPIKey, ID: demoKeyID, Name: "Rampart demo"}
	app := audit.Actor{Kind: audit.KindApplication, ID: env.AppID, Name: "Rampart demo"}
	client01 := demo.Agents()[0]
	if client01.HostName != "client01" {
		t.Fatalf("demo agent 0 is %s, want client01", client01.HostName)
	}
	apiKey := func(secret string) []string { return []string{"api-secret-key", secret} }
	netsecKey := func(secret string) []string { return []string{"Authorization", "ApiKey " + secret} }
	const agentsPath = "/WebApp/API/AgentResource/ProductAgents"

	// secrets collects everything no event may contain; state is what
	// later steps learn from earlier ones.
	secrets := []string{env.APISecret, env.APIKey, env.AdminPassword}
	_, demoSecretPart, _ := strings.Cut(env.APISecret, ":")
	secrets = append(secrets, demoSecretPart)
	var roKeyID, roSecret, sid, rid string
	// consoleStatus is the console's answer to a form without a session,
	// whatever the console chooses it to be (a redirect or a refusal).
	var consoleStatus int

	// wsStatus fails the test unless r has status want, and returns the
	// decoded body.
	wsStatus := func(t *testing.T, r servertest.WSResponse, want int) map[string]any {
		t.Helper()
		if r.Status != want {
			t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
		}
		if len(r.Body) == 0 {
			return nil
		}
		return r.JSON(t)
	}

	steps := []struct {
		name string
		do   func(t *testing.T)
		want func() []audit.Event // newest first; ID and At are checked apart
	}{
		{"reads, searches, the agent protocol and unknown routes record nothing", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodGet, "/api/apikeys", "", apiKey(env.APISecret)...), http.StatusOK)
			wsStatus(t, env.WS(http.MethodPost, "/api/apikeys/search", `{}`, apiKey(env.APISecret)...), http.StatusOK)
			wsStatus(t, env.WS(http.MethodPost, "/api/apikeys/current", "", apiKey(env.APISecret)...), http.StatusOK)
			wsStatus(t, env.WS(http.MethodGet, "/api/roles", "", apiKey("999:not-a-key")...), http.StatusUnauthorized)
			wsStatus(t, env.WS(http.MethodGet, "/api/appliances", "", netsecKey(env.APISecret)...), http.StatusOK)
			wsStatus(t, env.WS(http.MethodPost, "/api/appliances/search", `{}`, netsecKey(env.APISecret)...), http.StatusOK)
			wsStatus(t, env.WS(http.MethodPost, "/api/no-such-thing", `{}`, apiKey(env.APISecret)...), http.StatusNotFound)
			wsStatus(t, env.WS(http.MethodPut, "/api/apikeys", `{}`, apiKey(env.APISecret)...), http.StatusMethodNotAllowed)
			if r := env.Call(http.MethodGet, agentsPath+"?host_name=client01", "", servertest.Token{}); r.Status != http.StatusOK {
				t.Fatalf("Apex GET: status %d: %s", r.Status, r.Raw)
			}
			if _, err := env.Agent().CheckIn(ctx, agentproto.CheckInRequest{AgentID: client01.EntityID}); err != nil {
				t.Fatalf("agent check-in: %v", err)
			}
		}, func() []audit.Event { return nil }},

		{"Workload Security key creation", func(t *testing.T) {
			body := wsStatus(t, env.WS(http.MethodPost, "/api/apikeys", `{"keyName": "auditor key", "roleID": 2}`, apiKey(env.APISecret)...), http.StatusOK)
			roKeyID, roSecret = fmt.Sprint(body["ID"]), fmt.Sprint(body["secretKey"])
			if roSecret == "" || roSecret == "<nil>" {
				t.Fatalf("no secretKey in %v", body)
			}
			_, part, _ := strings.Cut(roSecret, ":")
			secrets = append(secrets, roSecret, part)
		}, func() []audit.Event {
			return []audit.Event{{Actor: demoKey, Family: "workload", Action: "POST /api/apikeys", Target: roKeyID, Outcome: "ok", Status: 200}}
		}},

		{"read-only key refused", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodPost, "/api/apikeys", `{"keyName": "not allowed", "roleID": 1}`, apiKey(roSecret)...), http.StatusForbidden)
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Actor{Kind: "api-key", ID: roKeyID, Name: "auditor key"}, Family: "workload", Action: "POST /api/apikeys",
				Outcome: "refused 403: Not authorized to create API keys", Status: 403}}
		}},

		{"unknown key refused", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodPost, "/api/roles", `{"name": "x"}`, apiKey("999:bogus-secret-value")...), http.StatusUnauthorized)
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Anonymous(), Family: "workload", Action: "POST /api/roles", Outcome: "refused 401: Invalid API Key", Status: 401}}
		}},

		{"Apex Central isolate", func(t *testing.T) {
			r := env.Call(http.MethodPost, agentsPath, `{"host_name": "client01", "act": "cmd_isolate_agent", "allow_multiple_match": false}`, servertest.Token{})
			if r.Status != http.StatusOK || r.ResultCode != 1 {
				t.Fatalf("isolate: status %d: %s", r.Status, r.Raw)
			}
		}, func() []audit.Event {
			return []audit.Event{{Actor: app, Family: "apexcentral", Action: "POST /webapp/api/agentresource/productagents cmd_isolate_agent",
				Target: client01.EntityID, Outcome: "ok", Status: 200}}
		}},

		{"Apex Central wrong key", func(t *testing.T) {
			body := `{"host_name": "client02", "act": "cmd_isolate_agent", "allow_multiple_match": false}`
			tok := servertest.Token{Key: "not the application's key"}
			if r := env.Call(http.MethodPost, agentsPath, body, tok); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong key: status %d: %s", r.Status, r.Raw)
			}
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Anonymous(), Family: "apexcentral", Action: "POST /webapp/api/agentresource/productagents",
				Outcome: "refused 401: Authentication failed: invalid authorization token signature", Status: 401}}
		}},

		{"Network Security migration start", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodPost, "/api/appliancemigrations", `{"action": "upgrade", "applianceId": 8}`, netsecKey(env.APISecret)...), http.StatusAccepted)
		}, func() []audit.Event {
			return []audit.Event{{Actor: demoKey, Family: "netsec", Action: "POST /api/appliancemigrations upgrade", Target: "8", Outcome: "ok", Status: 202}}
		}},

		{"Network Security read-only key refused", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodPost, "/api/appliancemigrations", `{"action": "rollback", "applianceId": 2}`, netsecKey(roSecret)...), http.StatusForbidden)
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Actor{Kind: "api-key", ID: roKeyID, Name: "auditor key"}, Family: "netsec", Action: "POST /api/appliancemigrations",
				Outcome: "refused 403: Not authorized to migrate appliances: the API key's role is read-only", Status: 403}}
		}},

		{"failed sign-in", func(t *testing.T) {
			wsStatus(t, env.WS(http.MethodPost, "/api/sessions", `{"userName": "administrator", "password": "wrong-password-1234"}`), http.StatusUnauthorized)
			secrets = append(secrets, "wrong-password-1234")
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Anonymous(), Family: "workload", Action: "POST /api/sessions", Outcome: "refused 401: Invalid username or password", Status: 401}}
		}},

		{"sign-in, then a change in the session", func(t *testing.T) {
			r := env.WS(http.MethodPost, "/api/sessions", fmt.Sprintf(`{"userName": "administrator", "password": %q}`, env.AdminPassword))
			body := wsStatus(t, r, http.StatusOK)
			rid = fmt.Sprint(body["RID"])
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == "sID" {
					sid = c.Value
				}
			}
			if sid == "" || rid == "" {
				t.Fatalf("no session in %v / %s", r.Header, r.Body)
			}
			secrets = append(secrets, sid, rid)
			wsStatus(t, env.WS(http.MethodDelete, "/api/apikeys/"+roKeyID, "", "Cookie", "sID="+sid, "rID", rid), http.StatusNoContent)
		}, func() []audit.Event {
			admin := audit.Actor{Kind: "administrator", ID: "1", Name: "administrator"}
			return []audit.Event{
				{Actor: admin, Family: "workload", Action: "DELETE /api/apikeys/{apiKeyID}", Target: roKeyID, Outcome: "ok", Status: 204},
				{Actor: admin, Family: "workload", Action: "POST /api/sessions", Outcome: "ok", Status: 200},
			}
		}},

		{"a console form without a session", func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, env.URL+"/console/administration/api-keys/5/delete", strings.NewReader("csrf=x"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := env.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			consoleStatus = resp.StatusCode
		}, func() []audit.Event {
			return []audit.Event{{Actor: audit.Anonymous(), Family: "console", Action: "POST /console/administration/api-keys/{id}/delete", Target: "5",
				Outcome: audit.OutcomeOf(consoleStatus, http.StatusText(consoleStatus)), Status: consoleStatus}}
		}},
	}

	var last int64
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do(t)
			got, err := env.Server.Audit.List(ctx, audit.Filter{AfterID: last})
			if err != nil {
				t.Fatalf("listing the trail: %v", err)
			}
			if len(got) > 0 {
				last = got[0].ID
			}
			want := step.want()
			if d := cmp.Diff(want, got, cmpopts.IgnoreFields(audit.Event{}, "ID", "At"), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("events recorded (-want +got):\n%s", d)
			}
			now := env.Clock.Now().UTC().Truncate(time.Millisecond)
			for _, e := range got {
				if !e.At.Equal(now) {
					t.Errorf("event %d at %s, want the server's clock %s", e.ID, e.At, now)
				}
			}
		})
	}

	t.Run("no secret stored", func(t *testing.T) {
		all, err := env.Server.Audit.List(ctx, audit.Filter{Limit: audit.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 10 {
			t.Fatalf("%d events; the steps above record more", len(all))
		}
		for _, e := range all {
			fields, _ := json.Marshal(e)
			for _, s := range secrets {
				if len(s) >= 6 && strings.Contains(string(fields), s) {
					t.Errorf("event %d holds a secret %.4s…: %s", e.ID, s, fields)
				}
			}
		}
	})
}

// TestAuditRefusalOfUnknownResource: a change the domain refuses is
// recorded with its status and message, its target the route's path
// parameter.
func TestAuditRefusalOfUnknownResource(t *testing.T) {
	env := servertest.Start(t)
	r := env.WS(http.MethodDelete, "/api/roles/4242", "", "api-secret-key", env.APISecret)
	if r.Status != http.StatusNotFound {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	got, err := env.Server.Audit.List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ := strings.Cut(env.APISecret, ":")
	want := []audit.Event{{Actor: audit.Actor{Kind: "api-key", ID: id, Name: "Rampart demo"}, Family: "workload", Action: "DELETE /api/roles/{roleID}",
		Target: "4242", Outcome: "refused 404: The role does not exist.", Status: 404}}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(audit.Event{}, "ID", "At")); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}
