// Package replicas_test runs two `rampart serve` processes on one
// PostgreSQL database, sends traffic to both, kills one with SIGKILL in
// the middle of appliance migrations and agent isolations, and checks that
// the other finishes every one of them, each step exactly once. Triggers
// the test adds to the database record every state change, so "exactly
// once" is read from the database, not inferred.
package replicas_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/client/apexcentral"
	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/internal/agentproto"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/demo"
	"github.com/rampart-sec/rampart/internal/sealing"
	"github.com/rampart-sec/rampart/internal/store/postgres"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// audit is SQL that records every change of a migration's step or result,
// of a command's state or delivery, and of an agent's isolation status.
const audit = `
CREATE TABLE audit_migrations (migration_id BIGINT, step BIGINT, result TEXT);
CREATE FUNCTION audit_migrations() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF NEW.step <> OLD.step OR NEW.result <> OLD.result THEN
    INSERT INTO audit_migrations VALUES (NEW.id, NEW.step, NEW.result);
  END IF; RETURN NEW; END $$;
CREATE TRIGGER audit_migrations AFTER UPDATE ON migrations FOR EACH ROW EXECUTE FUNCTION audit_migrations();
CREATE TABLE audit_commands (command_id TEXT, old_state TEXT, new_state TEXT);
CREATE FUNCTION audit_commands() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF NEW.state <> OLD.state OR NEW.delivered_at <> OLD.delivered_at THEN
    INSERT INTO audit_commands VALUES (NEW.id, OLD.state, NEW.state);
  END IF; RETURN NEW; END $$;
CREATE TRIGGER audit_commands AFTER UPDATE ON commands FOR EACH ROW EXECUTE FUNCTION audit_commands();
CREATE TABLE audit_agents (entity_id TEXT, old_status TEXT, new_status TEXT);
CREATE FUNCTION audit_agents() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  IF NEW.isolation_status <> OLD.isolation_status THEN
    INSERT INTO audit_agents VALUES (NEW.entity_id, OLD.isolation_status, NEW.isolation_status);
  END IF; RETURN NEW; END $$;
CREATE TRIGGER audit_agents AFTER UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION audit_agents();
`

// replica is one `rampart serve` process.
type replica struct {
	name, url string
	kill      func()
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rampart")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rampart-sec/rampart/cmd/rampart").CombinedOutput(); err != nil {
		t.Fatalf("building rampart: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// launch starts a replica on db and waits until it answers /healthz.
func launch(t *testing.T, bin, name, dataDir, db, keyFile string, extra ...string) *replica {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--http", "--listen", addr, "--data-dir", dataDir, "--db", db, "--secret-key-file", keyFile,
		"--migration-step", "1s", "--redeliver-after", "2s", "--virtual-fleet=false"}, extra...)
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "RAMPART_DB=", "RAMPART_SECRET_KEY=")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	var once sync.Once
	r := &replica{name: name, url: "http://" + addr}
	r.kill = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		})
	}
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, logs.String())
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := client.Get(r.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 60 s: %v\n%s", name, err, logs.String())
		}
	}
}

// eventually polls cond every 100 ms for at most limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(100 * time.Millisecond) {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, limit)
		}
	}
}

func TestTwoReplicasOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and a database")
	}
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	bin := build(t)
	dir := t.TempDir()
	keyHex := make([]byte, 32)
	_, _ = rand.Read(keyHex)
	keyFile := filepath.Join(dir, "secret.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(keyHex)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Replica A loads the demo (fleet, application, key); B shares it.
	a := launch(t, bin, "replica A", filepath.Join(dir, "a"), dbURL, keyFile, "--demo")
	b := launch(t, bin, "replica B", filepath.Join(dir, "b"), dbURL, keyFile)
	var creds struct {
		AppID  string `json:"apex_application_id"`
		AppKey string `json:"apex_api_key"`
		Secret string `json:"api_secret_key"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "a", "credentials.json"))
	if err == nil {
		err = json.Unmarshal(data, &creds)
	}
	if err != nil {
		t.Fatalf("reading A's credentials: %v", err)
	}

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, audit); err != nil {
		t.Fatalf("adding the audit triggers: %v", err)
	}
	// Twenty appliances more, driven by the replicas' runners alone.
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []int64
	for id := int64(100); id < 120; id++ {
		err := st.InsertAppliance(ctx, appliances.Appliance{ID: id, InstanceID: fmt.Sprintf("i-%017d", id), Provider: "AWS", Version: demo.Catalogue()[0]})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}

	apex := map[*replica]*apexcentral.Client{}
	ns := map[*replica]*netsec.Client{}
	for _, r := range []*replica{a, b} {
		if apex[r], err = apexcentral.New(apexcentral.Config{BaseURL: r.url, ApplicationID: creds.AppID, APIKey: creds.AppKey}); err != nil {
			t.Fatal(err)
		}
		if ns[r], err = netsec.New(netsec.Config{BaseURL: r.url, APIKey: creds.Secret}); err != nil {
			t.Fatal(err)
		}
	}

	// Traffic to both: upgrades started on A and on B alike.
	for i, id := range ids {
		r := []*replica{a, b}[i%2]
		if err := ns[r].StartMigration(ctx, netsec.Upgrade, id); err != nil {
			t.Fatalf("starting the upgrade of %d on %s: %v", id, r.name, err)
		}
	}
	// Isolations asked of both; the test plays the agents. Two agents
	// check in on A and get their commands, which A then dies holding.
	agents, err := apex[a].ListAgents(ctx, apexcentral.AgentFilter{})
	if err != nil || len(agents) < 4 {
		t.Fatalf("listing agents: %d %v", len(agents), err)
	}
	agents = agents[:4]
	for i, ag := range agents {
		r := []*replica{a, b}[i%2]
		if _, err := apex[r].Isolate(ctx, apexcentral.AgentTarget{EntityID: ag.EntityID}, false); err != nil {
			t.Fatalf("isolating %s on %s: %v", ag.HostName, r.name, err)
		}
	}
	box, err := sealing.Load(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	token := box.Derive("rampart agent token v1")
	proto := func(r *replica) *agentproto.Client {
		return &agentproto.Client{BaseURL: r.url, Token: token, HTTP: &http.Client{Timeout: 5 * time.Second}}
	}
	firstDelivery := map[string]string{}
	for _, ag := range agents[:2] {
		cmds, err := proto(a).CheckIn(ctx, agentproto.CheckInRequest{AgentID: ag.EntityID})
		if err != nil || len(cmds) != 1 || cmds[0].Kind != "isolate" {
			t.Fatalf("%s checking in on A: %+v %v", ag.HostName, cmds, err)
		}
		firstDelivery[ag.EntityID] = cmds[0].ID
	}

	// Kill A while the migrations are under way.
	eventually(t, 30*time.Second, "migrations under way on both replicas", func() (bool, error) {
		var moved, done int
		err := db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT migration_id), COUNT(*) FILTER (WHERE result <> '') FROM audit_migrations`).Scan(&moved, &done)
		return moved >= len(ids)/2, err
	})
	a.kill()
	var finishedBeforeKill int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE result <> ''`).Scan(&finishedBeforeKill); err != nil {
		t.Fatal(err)
	}

	// The agents now reach B only: check in, carry out, report.
	agentCtx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ag := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := proto(b)
			for agentCtx.Err() == nil {
				cmds, err := c.CheckIn(agentCtx, agentproto.CheckInRequest{AgentID: ag.EntityID})
				if err == nil && len(cmds) > 0 {
					res := make([]agentproto.Result, len(cmds))
					for i, cmd := range cmds {
						res[i] = agentproto.Result{CommandID: cmd.ID, OK: true}
					}
					if err := c.Report(agentCtx, agentproto.ResultsRequest{AgentID: ag.EntityID, Results: res}); err != nil && agentCtx.Err() == nil {
						t.Errorf("%s reporting on B: %v", ag.HostName, err)
					}
				}
				select {
				case <-agentCtx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
	eventually(t, 90*time.Second, "B finishes every migration and isolation", func() (bool, error) {
		var running, pending int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE result = ''`).Scan(&running); err != nil {
			return false, err
		}
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM agents WHERE isolation_status <> 'isolated' AND entity_id = ANY($1)`,
			[]string{agents[0].EntityID, agents[1].EntityID, agents[2].EntityID, agents[3].EntityID}).Scan(&pending)
		return running == 0 && pending == 0, err
	})
	stopAgents()
	wg.Wait()
	if finishedBeforeKill == len(ids) {
		t.Fatalf("every migration had finished before A was killed: the test proved nothing")
	}

	t.Run("every migration succeeded, each step once", func(t *testing.T) {
		for _, id := range ids {
			statuses, err := ns[b].MigrationStatuses(ctx, id)
			if err != nil || len(statuses) != 1 || statuses[0].Result != "success" {
				t.Errorf("appliance %d: %+v %v", id, statuses, err)
			}
			a, err := st.Appliance(ctx, id)
			if err != nil || a.Version != demo.Catalogue()[len(demo.Catalogue())-1] || a.Previous != demo.Catalogue()[0] {
				t.Errorf("appliance %d after the upgrade: %+v %v", id, a, err)
			}
		}
		rows, err := db.QueryContext(ctx, `SELECT m.appliance_id, string_agg(a.step::text, ',' ORDER BY a.step), COUNT(*) FILTER (WHERE a.result <> '')
			FROM migrations m JOIN audit_migrations a ON a.migration_id = m.id GROUP BY m.appliance_id ORDER BY m.appliance_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id int64
			var steps string
			var finishes int
			if err := rows.Scan(&id, &steps, &finishes); err != nil {
				t.Fatal(err)
			}
			n++
			if steps != "2,3,4,5,6" || finishes != 1 {
				t.Errorf("appliance %d: steps taken %s, finished %d times; want 2,3,4,5,6 and once", id, steps, finishes)
			}
		}
		if n != len(ids) {
			t.Errorf("%d migrations audited, want %d", n, len(ids))
		}
	})

	t.Run("every isolation settled once", func(t *testing.T) {
		for _, ag := range agents {
			var settled, done, redelivered int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_agents WHERE entity_id = $1 AND new_status = 'isolated'`, ag.EntityID).Scan(&settled)
			if err != nil {
				t.Fatal(err)
			}
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE a.new_state = 'done'), COUNT(*) FILTER (WHERE a.old_state = 'delivered' AND a.new_state = 'delivered')
				FROM audit_commands a JOIN commands c ON c.id = a.command_id WHERE c.agent_id = $1`, ag.EntityID).Scan(&done, &redelivered)
			if err != nil {
				t.Fatal(err)
			}
			if settled != 1 || done != 1 {
				t.Errorf("%s: isolated %d times, command done %d times; want once each", ag.HostName, settled, done)
			}
			if _, heldByA := firstDelivery[ag.EntityID]; heldByA && redelivered < 1 {
				t.Errorf("%s: the command A died holding was not delivered again", ag.HostName)
			}
		}
		// A late report of the delivery A died with changes nothing.
		for id, cmd := range firstDelivery {
			err := proto(b).Report(ctx, agentproto.ResultsRequest{AgentID: id, Results: []agentproto.Result{{CommandID: cmd, OK: false, Message: "late"}}})
			if err == nil || !strings.Contains(err.Error(), "409") && !strings.Contains(strings.ToLower(err.Error()), "not delivered") {
				t.Errorf("late report of %s: %v, want a refusal", cmd, err)
			}
		}
		var isolated int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM agents WHERE isolation_status = 'isolated'`).Scan(&isolated); err != nil || isolated < len(agents) {
			t.Errorf("after the late reports: %d isolated (%v)", isolated, err)
		}
	})
}
