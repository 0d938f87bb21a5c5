package apexcentral_test

import (
	"context"
	"testing"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/transport"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The demo fleet (the seeds' examples).
const (
	osceServer = "026332F39EBC-41C19604-02DD-2C5F-EDE5"
	apexOne01  = "33111111-1111-AAAA-AAAA-111100000001"
	apexOne02  = "11111111-1111-AAAA-AAAA-111100000002"
	client01   = "492E8584-0114-694D-BF9D-44CC20141501"
	osceClient = "8a1a84550462-40bc9afc-3770-16ac-cd6c"
)

var (
	allServerHosts = []string{"OSCESERVER", "ApexOne01", "dsm01", "ApexOne02"}
	allAgentHosts  = []string{"client01", "client02", "client03", "OSCECLIENT", "host8"}
)

// newClient returns a client of env's server signing with the server's
// clock, changed by edit.
func newClient(t *testing.T, env *servertest.Env, edit ...func(*apexcentral.Config)) *apexcentral.Client {
	t.Helper()
	cfg := apexcentral.Config{BaseURL: env.URL, ApplicationID: env.AppID, APIKey: env.APIKey,
		Transport: transport.Options{Now: env.Clock.Now}}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := apexcentral.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func serverHosts(list []apexcentral.Server) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.HostName)
	}
	return out
}

func agentHosts(list []apexcentral.Agent) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.HostName)
	}
	return out
}

// settle plays agent id's part: it checks in, collects its commands and
// reports them carried out, as a virtual agent would.
func settle(t *testing.T, env *servertest.Env, id string) int {
	t.Helper()
	return settleWith(t, env, id, true)
}

// settleWith is settle with every command reported ok or failed.
func settleWith(t *testing.T, env *servertest.Env, id string, ok bool) int {
	t.Helper()
	ctx := context.Background()
	agent := env.Agent()
	cmds, err := agent.CheckIn(ctx, agentproto.CheckInRequest{AgentID: id})
	if err != nil {
		t.Errorf("check-in of %s: %v", id, err)
		return 0
	}
	if len(cmds) == 0 {
		return 0
	}
	res := make([]agentproto.Result, len(cmds))
	for i, c := range cmds {
		res[i] = agentproto.Result{CommandID: c.ID, OK: ok, Message: "reported by the test"}
	}
	if err := agent.Report(ctx, agentproto.ResultsRequest{AgentID: id, Results: res}); err != nil {
		t.Errorf("report of %s: %v", id, err)
	}
	return len(cmds)
}
