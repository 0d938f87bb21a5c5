package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/ratelimit"
	"github.com/rampart-sec/rampart/internal/server"
	"github.com/rampart-sec/rampart/internal/server/servertest"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// migratedDemoCreds is what credentials.json holds.
type migratedDemoCreds struct {
	AppID     string `json:"apex_application_id"`
	AppKey    string `json:"apex_api_key"`
	AdminUser string `json:"admin_username"`
	AdminPass string `json:"admin_password"`
	APISecret string `json:"api_secret_key"`
}

// embeddedDemoDir builds a stopped embedded installation in a new data
// directory: the demo, an isolation pending and an appliance migration in
// flight.
func embeddedDemoDir(t *testing.T) (string, migratedDemoCreds) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data dir") // a path the printed command must quote
	srv, err := server.Open(ctx, server.Config{DataDir: dir, Listen: "127.0.0.1:0", HTTP: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimits: ratelimit.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	credPath, err := srv.PrepareDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := srv.Run(stopped); err != nil { // closes the listener
		t.Fatal(err)
	}
	if err := srv.Appliances.Start(ctx, 8, appliances.Upgrade); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Fleet.Act(ctx, fleet.ActRequest{Action: fleet.ActIsolate, Filter: fleet.AgentFilter{HostName: "client01"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatal(err)
	}
	var creds migratedDemoCreds
	if err := json.Unmarshal(data, &creds); err != nil {
		t.Fatal(err)
	}
	return dir, creds
}

// TestMigrateStore moves a demo installation to PostgreSQL with the CLI,
// then starts a replica on PostgreSQL with the data directory's key: the
// demo's Apex Central key signs valid calls, its Workload Security API key
// and administrator password still work, the pending isolation is there
// and the appliance migration in flight runs to its end.
func TestMigrateStore(t *testing.T) {
	ctx := context.Background()
	dir, creds := embeddedDemoDir(t)
	const password = "pw-Zq9-s3cret"
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password) // the test cluster trusts; the password is only to be hidden
	dbURL := u.String()
	keyFile := filepath.Join(dir, "secret.key")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("RAMPART_DB", dbURL) // --to defaults to it
	code, out, errOut := run(t, "migrate-store", "--from", "sqlite:"+dir)
	if code != ExitOK {
		t.Fatalf("migrate-store: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("migrate-store printed:\n%s%s", errOut, out)
	tokenFile := filepath.Join(dir, "agent.token")
	for _, want := range []string{"agents", "applications", "migrations", "--secret-key-file '" + keyFile + "'", "--agent-token-file '" + tokenFile + "'"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{password, strings.TrimSpace(string(key)), creds.AppKey, creds.APISecret} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("output shows a secret (%.6s...):\n%s\n%s", secret, out, errOut)
		}
	}

	// A second run finds the database holding data and changes nothing.
	code, _, errOut = run(t, "migrate-store", "--from", dir, "--to", dbURL)
	if code != ExitFailure || !strings.Contains(errOut, "not empty") || strings.Contains(errOut, password) {
		t.Errorf("second copy: exit %d, want %d with the database refused:\n%s", code, ExitFailure, errOut)
	}

	// A replica on PostgreSQL, with the key of the data directory.
	replica, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), DB: dbURL, SecretKeyFile: keyFile, AgentTokenFile: tokenFile, Listen: "127.0.0.1:0", HTTP: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimits: ratelimit.DefaultLimits(), MigrationStep: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("opening a server on PostgreSQL: %v", err)
	}
	defer replica.Close()
	if err := replica.Listen(); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- replica.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("replica: %v", err)
		}
	}()
	env := &servertest.Env{T: t, URL: replica.URL(), AppID: creds.AppID, APIKey: creds.AppKey, HTTP: &http.Client{Timeout: 10 * time.Second}}

	r := env.Call("GET", "/WebApp/API/AgentResource/ProductAgents?host_name=client01", "", servertest.Token{IAT: time.Now().Unix()})
	if r.ResultCode != 1 {
		t.Fatalf("Apex Central call signed with the demo key: result_code %d %s", r.ResultCode, r.Raw)
	}
	agents := r.Agents(t)
	if len(agents) != 1 || agents[0]["isolation_status"] != string(fleet.StatusIsolationPending) {
		t.Fatalf("client01 after the copy: %v", agents)
	}
	client01, _ := agents[0]["entity_id"].(string)
	if got := env.WS("GET", "/api/apikeys", "", "api-secret-key", creds.APISecret); got.Status != http.StatusOK {
		t.Errorf("Workload Security API key after the copy: %d %s", got.Status, got.Body)
	}
	body, _ := json.Marshal(map[string]string{"userName": creds.AdminUser, "password": creds.AdminPass})
	if got := env.WS("POST", "/api/sessions", string(body)); got.Status != http.StatusOK {
		t.Errorf("administrator sign-in after the copy: %d %s", got.Status, got.Body)
	}

	// The isolation queued on SQLite is delivered to the agent, which
	// still holds the token of the embedded installation, and settles.
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	agent := &agentproto.Client{BaseURL: replica.URL(), Token: strings.TrimSpace(string(token)), HTTP: &http.Client{Timeout: 10 * time.Second}}
	cmds, err := agent.CheckIn(ctx, agentproto.CheckInRequest{AgentID: client01})
	if err != nil || len(cmds) != 1 || cmds[0].Kind != string(fleet.CommandIsolate) {
		t.Fatalf("client01's check-in with the old agent token: %v %v", cmds, err)
	}
	if err := agent.Report(ctx, agentproto.ResultsRequest{AgentID: client01, Results: []agentproto.Result{{CommandID: cmds[0].ID, OK: true}}}); err != nil {
		t.Fatal(err)
	}
	if a, err := replica.Fleet.Agent(ctx, client01); err != nil || a.Isolation != fleet.StatusIsolated {
		t.Errorf("client01 after its report: %q %v", a.Isolation, err)
	}

	// The migration started on SQLite is finished by the replica's runner.
	var m appliances.Migration
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		latest, err := replica.Appliances.Latest(ctx, []int64{8})
		if err != nil || len(latest) != 1 {
			t.Fatalf("latest migration of appliance 8: %v %v", latest, err)
		}
		if m = latest[0]; m.Done() {
			break
		}
	}
	if m.Result != "success" || m.Step != m.TotalSteps {
		t.Errorf("migration in flight after the copy: %+v", m)
	}
	if a, err := replica.Appliances.Get(ctx, 8); err != nil || a.Version != m.To {
		t.Errorf("appliance 8 after its migration: %+v %v", a, err)
	}
}

// TestMigrateStoreUsage: bad flags are usage errors; an unreachable
// database is a failure that never shows the password.
func TestMigrateStoreUsage(t *testing.T) {
	t.Setenv("RAMPART_DB", "")
	empty := t.TempDir()
	withDB := t.TempDir()
	if err := os.WriteFile(filepath.Join(withDB, "rampart.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --from", []string{"--to", "postgres://localhost/x"}, ExitUsage, "--from is required"},
		{"no --to", []string{"--from", withDB}, ExitUsage, "--to is required"},
		{"directory without a database", []string{"--from", "sqlite:" + empty, "--to", "postgres://localhost/x"}, ExitUsage, "holds no Rampart database"},
		{"source URL", []string{"--from", "postgres://localhost/x", "--to", "postgres://localhost/y"}, ExitUsage, "--from must be"},
		{"target not PostgreSQL", []string{"--from", withDB, "--to", "mysql://localhost/x"}, ExitUsage, "postgres:// URL"},
		{"argument", []string{"--from", withDB, "--to", "postgres://localhost/x", "extra"}, ExitUsage, "unknown command"},
		{"unreachable database", []string{"--from", withDB, "--to", "postgres://u:pw-Zq9-s3cret@127.0.0.1:1/x?connect_timeout=5"}, ExitFailure, "opening the target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"migrate-store"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, "pw-Zq9-s3cret") {
				t.Errorf("the password is shown:\n%s%s", out, errOut)
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused --from directory was written to: %v", entries)
	}
}
