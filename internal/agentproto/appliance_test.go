package agentproto_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// step drives the server's runner: the clock moves one step time on and
// a tick runs (the background runner may take the step first; either way
// the step is taken once).
func step(t *testing.T, env *servertest.Env) {
	t.Helper()
	env.Clock.Advance(env.Server.Appliances.StepTime())
	if _, err := env.Server.Appliances.Tick(context.Background(), "test", time.Minute); err != nil {
		t.Fatal(err)
	}
}

func latest(t *testing.T, env *servertest.Env) appliances.Migration {
	t.Helper()
	ms, err := env.Server.Appliances.Latest(context.Background(), []int64{8})
	if err != nil || len(ms) != 1 {
		t.Fatalf("latest migration: %v %v", ms, err)
	}
	return ms[0]
}

func migrate(t *testing.T, env *servertest.Env, action string) {
	t.Helper()
	r := env.WS("POST", "/api/appliancemigrations", `{"action": "`+action+`", "applianceId": 8}`, "Authorization", "ApiKey "+env.APISecret)
	if r.Status != 202 {
		t.Fatalf("%s: %d %s", action, r.Status, r.Body)
	}
}

// TestApplianceCarriesOutItsSteps checks that an appliance with an agent
// holds its migration at the steps that happen on the appliance until it
// reports them, and that its failure report ends the migration.
func TestApplianceCarriesOutItsSteps(t *testing.T) {
	env := servertest.Start(t)
	c := env.Agent()
	ctx := context.Background()
	if m, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 8}); err != nil || m != nil {
		t.Fatalf("first check-in: %+v %v", m, err)
	}
	// The check-in is written by the runner's next flush (the background
	// runner may flush first); only then does the appliance count as
	// having an agent.
	if err := env.Server.Appliances.FlushCheckIns(ctx); err != nil {
		t.Fatal(err)
	}
	if a, _ := env.Server.Appliances.Get(ctx, 8); !a.Agent || !a.LastCheckIn.Equal(env.Clock.Now()) {
		t.Fatalf("after the flush: agent %v, last check-in %v, want true and %v", a.Agent, a.LastCheckIn, env.Clock.Now())
	}
	migrate(t, env, "upgrade")

	// The server-side steps run by time up to the installation, which
	// then waits for the appliance however long the clock runs.
	for i := 0; i < 10 && !latest(t, env).Awaiting; i++ {
		step(t, env)
	}
	m := latest(t, env)
	if m.Step != 4 || !m.Awaiting || m.Message != "installing package" {
		t.Fatalf("want to be waiting at step 4 (installing package), got %+v", m)
	}
	for i := 0; i < 5; i++ {
		step(t, env)
	}
	if got := latest(t, env); got.Step != 4 || got.Result != "" {
		t.Fatalf("the migration moved without the appliance: %+v", got)
	}

	// The appliance learns the step at check-in and reports it; a second
	// report of the same step is stale.
	for want := 4; want <= 5; want++ {
		got, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 8})
		if err != nil || got == nil || !got.Awaiting || got.Step != want || got.ToVersion != "2021.4.1.10996" {
			t.Fatalf("check-in at step %d: %+v %v", want, got, err)
		}
		rep := agentproto.ApplianceReportRequest{ApplianceID: 8, MigrationID: got.ID, Step: got.Step, OK: true}
		if err := c.ApplianceReport(ctx, rep); err != nil {
			t.Fatalf("report step %d: %v", want, err)
		}
		if err := c.ApplianceReport(ctx, rep); err == nil || !strings.Contains(err.Error(), "409") {
			t.Fatalf("second report of step %d: %v, want 409", want, err)
		}
		step(t, env)
	}
	if m := latest(t, env); m.Result != "success" || m.Step != 6 {
		t.Fatalf("upgrade did not finish: %+v", m)
	}

	// A rollback whose software step the appliance reports as failed ends
	// in failure with the appliance's reason, on the version it runs.
	migrate(t, env, "rollback")
	for i := 0; i < 10 && !latest(t, env).Awaiting; i++ {
		step(t, env)
	}
	got, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 8})
	if err != nil || got == nil || got.Step != 3 || got.Action != "rollback" {
		t.Fatalf("rollback check-in: %+v %v", got, err)
	}
	if err := c.ApplianceReport(ctx, agentproto.ApplianceReportRequest{ApplianceID: 8, MigrationID: got.ID, Step: 3, OK: false, Message: "disk full"}); err != nil {
		t.Fatalf("failure report: %v", err)
	}
	m = latest(t, env)
	if m.Result != "fail" || !strings.Contains(m.Message, "disk full") {
		t.Fatalf("failed rollback: %+v", m)
	}
	r := env.WS("GET", "/api/migrationversions?applianceId=8", "", "Authorization", "ApiKey "+env.APISecret)
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil || v["baseVersion"] != "2021.4.1.10996" || v["rollback"] != "2021.3.0.10968" {
		t.Fatalf("versions after the failed rollback: %s", r.Body)
	}
	if got, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 8}); err != nil || got != nil {
		t.Fatalf("check-in after the end: %+v %v", got, err)
	}
}

// TestApplianceProtocolRefusals covers unknown appliances, stale reports,
// bad bodies and a wrong token.
func TestApplianceProtocolRefusals(t *testing.T) {
	env := servertest.Start(t)
	c := env.Agent()
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown appliance", func() error {
			_, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 99})
			return err
		}, "404"},
		{"no appliance id", func() error {
			_, err := c.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{})
			return err
		}, "400"},
		{"report without a migration", func() error {
			return c.ApplianceReport(ctx, agentproto.ApplianceReportRequest{ApplianceID: 8, MigrationID: 1, Step: 4, OK: true})
		}, "409"},
		{"wrong token", func() error {
			bad := *c
			bad.Token = "nope"
			_, err := bad.ApplianceCheckIn(ctx, agentproto.ApplianceCheckInRequest{ApplianceID: 8})
			return err
		}, "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}
