package postgres_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pquerna/otp/totp"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/fleet"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/sealing"
	"github.com/rampart-sec/rampart/internal/search"
	"github.com/rampart-sec/rampart/internal/store/postgres"
	"github.com/rampart-sec/rampart/internal/store/postgres/pgtest"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

// at is the fixture's clock: every time the stores keep, to the millisecond.
var at = time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)

func openLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPG is open for tests and benchmarks.
func openPG(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func testBox(t *testing.T) *sealing.Box {
	t.Helper()
	key := sha256.Sum256([]byte("migrate-store test key"))
	box, err := sealing.New(key[:])
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// fixture is what fill put in the source that only its caller knows: the
// secrets that must keep working after the copy.
type fixture struct {
	appID, appKey        string
	keySecret            string
	sid, rid             string
	mfaUser, mfaPassword string
	mfaSecret            string
	sessionHashes        []string
	agentIDs             []string
	applianceIDs         []int64
}

// fill puts every kind of row in s, through the domain services where
// they exist (so secrets are sealed and hashed as in production) and the
// store API otherwise.
func fill(t *testing.T, s *sqlstore.Store, box *sealing.Box) fixture {
	t.Helper()
	ctx := context.Background()
	var fx fixture
	now := func() time.Time { return at }

	// Automation API applications: one sealed by the service, one whose
	// sealed key holds every byte value (NUL and invalid UTF-8 included).
	apps := identity.NewService(s, box, now, nil)
	app, err := apps.Add(ctx, "SOAR playbooks", 120*time.Second, true)
	if err != nil {
		t.Fatal(err)
	}
	fx.appID, fx.appKey = app.ID, app.APIKey
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	if err := s.CreateApplication(ctx, identity.SealedApplication{ID: "00000000-0000-0000-0000-00000000BEEF", Name: "disabled",
		SealedKey: raw, Enabled: false, Timeout: 5 * time.Second, CreatedAt: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	// Servers (with and without update sources), agents with addresses,
	// commands in every state.
	prefix := netip.MustParsePrefix("2001:db8::/64")
	servers := []fleet.Server{
		{EntityID: "SRV-1", Product: "SLF_PRODUCT_OFFICESCAN_CE", ADDomain: "corp", IPAddresses: []string{"10.0.0.1", "fe80::1"},
			MACAddresses: []string{"00:11:22:33:44:55"}, HostName: "OSCESERVER", Capabilities: []fleet.Capability{fleet.CapDeployUpdateSources},
			UpdateSources: &fleet.UpdateSourceSettings{AllowUpdateFromOtherAU: true, Sources: []fleet.UpdateSource{
				{Range: &fleet.AddrRange{From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("10.0.0.50")}, OUS: "http://ua1:8080"},
				{Prefix: &prefix, OUS: "http://ua2:8080"},
			}}},
		{EntityID: "SRV-2", Product: "SLF_PRODUCT_OFFICESCAN_CE", HostName: "ApexOne02", Capabilities: []fleet.Capability{}},
	}
	for _, srv := range servers {
		if err := s.InsertServer(ctx, srv); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		a := fleet.Agent{EntityID: fmt.Sprintf("AGENT-%d", i), Product: "SLF_PRODUCT_OFFICESCAN_CE", ManagingServerID: "SRV-1",
			ADDomain: "corp", FolderPath: `Workgroup\Sales`, IPAddresses: []string{fmt.Sprintf("10.0.1.%d", i), "fe80::" + fmt.Sprint(i+1)},
			MACAddresses: []string{fmt.Sprintf("00:50:56:00:00:%02x", i)}, HostName: fmt.Sprintf("client%02d", i),
			Isolation: fleet.StatusIsolated, Capabilities: []fleet.Capability{fleet.CapIsolate, fleet.CapRestore},
			UpdateSource: "http://ua1:8080", Uninstalling: i == 4, LastCheckIn: at.Add(time.Duration(i) * time.Second)}
		if err := s.InsertAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
		fx.agentIDs = append(fx.agentIDs, a.EntityID)
	}
	commands := []fleet.Command{
		{ID: "cmd-queued", AgentID: "AGENT-0", Kind: fleet.CommandIsolate, Params: map[string]string{}, State: fleet.CommandQueued, CreatedAt: at},
		{ID: "cmd-delivered", AgentID: "AGENT-1", Kind: fleet.CommandRelocate, Params: map[string]string{"server_id": "SRV-2", "folder_path": "x"},
			State: fleet.CommandDelivered, CreatedAt: at, DeliveredAt: at.Add(time.Second)},
		{ID: "cmd-done", AgentID: "AGENT-1", Kind: fleet.CommandRestore, Params: map[string]string{}, State: fleet.CommandDone,
			Message: "restored", CreatedAt: at.Add(-time.Hour), DeliveredAt: at.Add(-time.Hour + time.Second), FinishedAt: at.Add(-time.Hour + 2*time.Second)},
	}
	for _, c := range commands {
		if err := s.InsertCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// Roles, administrators (one with TOTP), a session, API keys (one of
	// them deleted, so the ID counter runs ahead of the largest ID).
	access := identity.NewAccess(s, box, identity.DefaultPolicy(), now)
	if err := access.Init(ctx); err != nil {
		t.Fatal(err)
	}
	full := identity.Principal{Role: identity.BuiltinRoles()[0]}
	role, err := access.CreateRole(ctx, full, identity.Role{Name: "Operators", Description: "custom", AllPolicies: true,
		ComputerIDs: []int64{3, 1 << 40}, Rights: identity.Rights{CanViewAPIKeys: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := access.AddAdmin(ctx, "administrator", "correct horse battery", identity.FullAccessRoleID); err != nil {
		t.Fatal(err)
	}
	fx.mfaUser, fx.mfaPassword = "mfa-user", "another long password"
	if _, err := access.AddAdmin(ctx, fx.mfaUser, fx.mfaPassword, role.ID); err != nil {
		t.Fatal(err)
	}
	if fx.mfaSecret, err = access.EnableTOTP(ctx, fx.mfaUser); err != nil {
		t.Fatal(err)
	}
	sess, sid, err := access.SignIn(ctx, "administrator", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	fx.sid, fx.rid, fx.sessionHashes = sid, sess.RID, []string{sess.IDHash}
	if _, fx.keySecret, err = access.CreateKey(ctx, full, identity.APIKey{KeyName: "playbooks", Active: true,
		RoleID: identity.FullAccessRoleID, ExpiryDate: at.Add(365 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := access.CreateKey(ctx, full, identity.APIKey{KeyName: "auditor", Description: "read only", Active: false,
		RoleID: identity.AuditorRoleID, ServiceAccount: true}); err != nil {
		t.Fatal(err)
	}
	gone, _, err := access.CreateKey(ctx, full, identity.APIKey{KeyName: "deleted", Active: true, RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := access.DeleteKey(ctx, full, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := access.KeyPrincipal(ctx, fx.keySecret); err != nil { // sets last_sign_in
		t.Fatal(err)
	}

	// Appliances and migrations: one finished, one in flight with another
	// runner's lease, one waiting for its appliance's report.
	for _, a := range []appliances.Appliance{
		{ID: 2, InstanceID: "i-2", HostName: "ips-2", Provider: "AWS", Version: "2021.4.1.10996", DVVersion: "4.0.0.9"},
		{ID: 8, InstanceID: "i-8", HostName: "ips-8", Provider: "AWS", Version: "2021.3.0.10968", DVVersion: "4.0.0.9",
			FailStep: 3, FailMessage: "package signature verification failed"},
		{ID: 9, InstanceID: "i-9", HostName: "ips-9", Provider: "Azure", Version: "2021.3.0.10968", Agent: true, LastCheckIn: at},
	} {
		if err := s.InsertAppliance(ctx, a); err != nil {
			t.Fatal(err)
		}
		fx.applianceIDs = append(fx.applianceIDs, a.ID)
	}
	start := func(id int64, managed bool) appliances.Migration {
		t.Helper()
		m := appliances.Migration{ApplianceID: id, Action: appliances.Upgrade, From: "2021.3.0.10968", To: "2021.4.1.10996",
			Step: 1, TotalSteps: 6, State: "start", Message: "starting migration", StepAt: at, Managed: managed}
		mid, err := s.StartMigration(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		m.ID = mid
		return m
	}
	done := start(2, false)
	next := done
	next.Step, next.State, next.Result, next.Message, next.Finished = 6, "finish", "success", "installation complete", at.Add(time.Minute)
	if ok, err := s.AdvanceMigration(ctx, done, next, &appliances.Appliance{ID: 2, Version: "2021.4.1.10996", Previous: "2021.3.0.10968"}); err != nil || !ok {
		t.Fatalf("finishing migration: %v %v", ok, err)
	}
	leased := start(8, false)
	next = leased
	next.Step, next.State, next.Message, next.StepAt = 2, "downloading", "downloading package", at.Add(3*time.Second)
	next.LeaseOwner, next.LeaseUntil = "old-node/1234/abcd", at.Add(9*time.Second)
	if ok, err := s.AdvanceMigration(ctx, leased, next, nil); err != nil || !ok {
		t.Fatalf("leasing migration: %v %v", ok, err)
	}
	waiting := start(9, true)
	next = waiting
	next.Step, next.State, next.Message, next.Awaiting = 4, "upgrading", "installing package", true
	if ok, err := s.AdvanceMigration(ctx, waiting, next, nil); err != nil || !ok {
		t.Fatalf("awaiting migration: %v %v", ok, err)
	}

	// The audit trail: an API call and an operator command.
	events := audit.NewService(s, now)
	for _, e := range []audit.Event{
		{Actor: audit.KeyActor(1, "playbooks"), Family: audit.FamilyWorkload, Action: "POST /api/apikeys", Target: "2", Status: 200},
		{Actor: audit.OperatorActor("root"), Family: audit.FamilyCLI, Action: "apps add", Target: fx.appID, Outcome: "ok"},
	} {
		if _, err := events.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return fx
}

// state is everything the store API reads back.
type state struct {
	Apps       []identity.SealedApplication
	Servers    []fleet.Server
	Agents     []fleet.Agent
	Commands   map[string][]fleet.Command
	Roles      []identity.Role
	Admins     []identity.Administrator
	Sessions   []identity.Session
	Keys       []identity.APIKey
	Appliances []appliances.Appliance
	Migrations []appliances.Migration
	Audit      []audit.Event
}

func read(t *testing.T, s *sqlstore.Store, fx fixture) state {
	t.Helper()
	ctx := context.Background()
	var st state
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Apps, err = s.Applications(ctx)
	must(err)
	st.Servers, err = s.Servers(ctx, fleet.ServerFilter{})
	must(err)
	st.Agents, err = s.Agents(ctx, fleet.AgentFilter{})
	must(err)
	st.Commands = map[string][]fleet.Command{}
	for _, id := range fx.agentIDs {
		st.Commands[id], err = s.Commands(ctx, id)
		must(err)
	}
	st.Roles, err = s.Roles(ctx, search.Filter{MaxItems: 1000})
	must(err)
	st.Admins, err = s.Admins(ctx)
	must(err)
	for _, h := range fx.sessionHashes {
		se, err := s.Session(ctx, h)
		must(err)
		st.Sessions = append(st.Sessions, se)
	}
	st.Keys, err = s.APIKeys(ctx, search.Filter{MaxItems: 1000})
	must(err)
	st.Appliances, err = s.Appliances(ctx)
	must(err)
	for _, id := range fx.applianceIDs {
		m, err := s.LatestMigration(ctx, id)
		must(err)
		st.Migrations = append(st.Migrations, m)
	}
	st.Audit, err = s.AuditEvents(ctx, audit.Filter{})
	must(err)
	return st
}

var stateOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// dump reads every row of every table but goose's, each row as text, in
// a stable order: the engines' own comparison of everything stored.
func dump(t *testing.T, db *sql.DB, tablesQuery string) map[string][]string {
	t.Helper()
	tables := strings.Fields(queryStrings(t, db, tablesQuery))
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(cols))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = "bytes:" + hex.EncodeToString(b)
				} else if s, ok := v.(string); ok && cols[i] == "totp_secret" {
					v = "bytes:" + hex.EncodeToString([]byte(s)) // older SQLite rows hold it as TEXT
				}
				parts[i] = fmt.Sprintf("%s=%#v", cols[i], v)
			}
			out[table] = append(out[table], strings.Join(parts, " "))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}

func queryStrings(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

const (
	liteTables = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'goose_db_version' ORDER BY name`
	pgTables   = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
		AND table_name <> 'goose_db_version' ORDER BY table_name`
)

// TestCopy fills a SQLite store with every kind of row, copies it, and
// finds every row on PostgreSQL: through the store API, row by row, and
// through the secrets that must keep working (sealed application keys and
// TOTP secrets, hashed API key secrets and sessions).
func TestCopy(t *testing.T) {
	ctx := context.Background()
	box := testBox(t)
	lite := openLite(t)
	fx := fill(t, lite, box)
	// An administrator of an older installation, whose TOTP secret SQLite
	// holds as TEXT: it must arrive as the same bytes in BYTEA (sent as a
	// string, PostgreSQL would read `\x41` as the one byte 'A').
	if _, err := lite.DB().Exec(`INSERT INTO administrators (username, password_hash, role_id, failed, locked_until, totp_secret, created)
		VALUES ('old-text', 'x', 2, 1, 0, '\x41', $1)`, at.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	pg := openPG(t)

	var told []string
	counts, err := sqlstore.Copy(ctx, lite, pg, func(table string, rows int) { told = append(told, table) })
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}

	// Every table was copied, parents before children, with its row count.
	tables := strings.Fields(queryStrings(t, lite.DB(), liteTables))
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, tables) {
		t.Errorf("copied tables %v, want %v", got, tables)
	}
	if len(told) != len(tables) {
		t.Errorf("progress told %v, want every table once", told)
	}
	before := func(parent, child string) {
		if p, c := slices.Index(told, parent), slices.Index(told, child); p < 0 || c < 0 || p > c {
			t.Errorf("table order %v: %s must come before %s", told, parent, child)
		}
	}
	before("roles", "administrators")
	before("roles", "api_keys")
	before("administrators", "sessions")
	before("appliances", "migrations")
	for _, table := range tables {
		var n int
		if err := lite.DB().QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if counts[table] != n {
			t.Errorf("%s: copied %d rows, source has %d", table, counts[table], n)
		}
	}
	if counts["agents"] != 5 || counts["addresses"] == 0 || counts["migrations"] != 3 || counts["administrators"] != 3 || counts["audit_events"] != 2 {
		t.Errorf("counts %v do not cover the fixture", counts)
	}

	// Through the store API, everything reads back the same.
	if d := cmp.Diff(read(t, lite, fx), read(t, pg, fx), stateOpts); d != "" {
		t.Errorf("store API reads differ after the copy (-SQLite +PostgreSQL):\n%s", d)
	}
	// Row by row, every table holds the same values.
	if d := cmp.Diff(dump(t, lite.DB(), liteTables), dump(t, pg.DB(), pgTables)); d != "" {
		t.Errorf("rows differ after the copy (-SQLite +PostgreSQL):\n%s", d)
	}
	var bytea string
	if err := pg.DB().QueryRow(`SELECT string_agg(DISTINCT pg_typeof(totp_secret)::text, ',') FROM administrators`).Scan(&bytea); err != nil || bytea != "bytea" {
		t.Errorf("totp_secret type on PostgreSQL: %q %v", bytea, err)
	}

	// The secrets keep working with the same sealing key.
	apps := identity.NewService(pg, box, nil, nil)
	if app, err := apps.Get(ctx, fx.appID); err != nil || app.APIKey != fx.appKey {
		t.Errorf("application key after the copy: %v (same key: %v)", err, app.APIKey == fx.appKey)
	}
	access := identity.NewAccess(pg, box, identity.DefaultPolicy(), func() time.Time { return at.Add(10 * time.Minute) })
	if _, k, err := access.KeyPrincipal(ctx, fx.keySecret); err != nil || k.KeyName != "playbooks" {
		t.Errorf("API key after the copy: %v %q", err, k.KeyName)
	}
	if _, err := access.SessionPrincipal(ctx, fx.sid, fx.rid); err != nil {
		t.Errorf("session after the copy: %v", err)
	}
	code, err := totp.GenerateCode(fx.mfaSecret, at.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := access.SignIn(ctx, fx.mfaUser, fx.mfaPassword, code); err != nil {
		t.Errorf("sign-in with TOTP after the copy: %v", err)
	}

	// New rows get fresh IDs: the sequences and counters moved on.
	t.Run("FreshIDs", func(t *testing.T) {
		maxOf := func(query string) int64 {
			t.Helper()
			var n int64
			if err := pg.DB().QueryRow(query).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		maxAdmin, maxMigration := maxOf(`SELECT MAX(id) FROM administrators`), maxOf(`SELECT MAX(id) FROM migrations`)
		maxAgent, maxServer := maxOf(`SELECT MAX(seq) FROM agents`), maxOf(`SELECT MAX(seq) FROM servers`)
		keyCounter, roleCounter := maxOf(`SELECT last FROM id_counters WHERE name = 'api_keys'`), maxOf(`SELECT last FROM id_counters WHERE name = 'roles'`)
		if keyCounter <= maxOf(`SELECT MAX(id) FROM api_keys`) {
			t.Fatalf("fixture: the deleted key should leave the counter (%d) ahead of the IDs", keyCounter)
		}

		id, err := pg.InsertAdmin(ctx, identity.Administrator{Username: "new-admin", PasswordHash: "x", RoleID: 1, Created: at})
		if err != nil || id <= maxAdmin {
			t.Errorf("new administrator: ID %d (copied up to %d), %v", id, maxAdmin, err)
		}
		if err := pg.InsertAppliance(ctx, appliances.Appliance{ID: 77, InstanceID: "i-77", Version: "1"}); err != nil {
			t.Fatal(err)
		}
		mid, err := pg.StartMigration(ctx, appliances.Migration{ApplianceID: 77, Action: appliances.Upgrade, Step: 1, TotalSteps: 6, StepAt: at})
		if err != nil || mid <= maxMigration {
			t.Errorf("new migration: ID %d (copied up to %d), %v", mid, maxMigration, err)
		}
		if err := pg.InsertAgent(ctx, fleet.Agent{EntityID: "NEW-AGENT", HostName: "new", IPAddresses: []string{"10.9.9.9"}}); err != nil {
			t.Errorf("new agent: %v", err)
		} else if seq := maxOf(`SELECT seq FROM agents WHERE entity_key = 'new-agent'`); seq <= maxAgent {
			t.Errorf("new agent: seq %d (copied up to %d)", seq, maxAgent)
		}
		if err := pg.InsertServer(ctx, fleet.Server{EntityID: "NEW-SERVER", HostName: "new"}); err != nil {
			t.Errorf("new server: %v", err)
		} else if seq := maxOf(`SELECT seq FROM servers WHERE entity_key = 'new-server'`); seq <= maxServer {
			t.Errorf("new server: seq %d (copied up to %d)", seq, maxServer)
		}
		kid, err := pg.InsertAPIKey(ctx, identity.APIKey{KeyName: "new", RoleID: 1, Created: at}, func(int64) (string, error) { return "h", nil })
		if err != nil || kid <= keyCounter {
			t.Errorf("new API key: ID %d (counter was %d), %v", kid, keyCounter, err)
		}
		rid, err := pg.InsertRole(ctx, identity.Role{Name: "new", Created: at})
		if err != nil || rid <= roleCounter {
			t.Errorf("new role: ID %d (counter was %d), %v", rid, roleCounter, err)
		}
		maxEvent := maxOf(`SELECT MAX(id) FROM audit_events`)
		eid, err := pg.InsertAuditEvent(ctx, audit.Event{At: at, Actor: audit.Anonymous(), Family: audit.FamilyWorkload, Action: "POST /api/sessions", Outcome: "refused 401"})
		if err != nil || eid <= maxEvent {
			t.Errorf("new audit event: ID %d (copied up to %d), %v", eid, maxEvent, err)
		}
	})
}

// TestCopyRefuses: a target that holds any data, or whose schema version
// differs, is refused with nothing written.
func TestCopyRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, lite, pg *sqlstore.Store)
		notOK   error  // the error Copy must wrap, if a sentinel
		want    string // what the message must name
	}{
		{"roles of a replica that started", func(t *testing.T, _, pg *sqlstore.Store) {
			if err := pg.EnsureRoles(ctx, identity.BuiltinRoles()); err != nil {
				t.Fatal(err)
			}
		}, sqlstore.ErrTargetNotEmpty, "roles"},
		{"one agent", func(t *testing.T, _, pg *sqlstore.Store) {
			if err := pg.InsertAgent(ctx, fleet.Agent{EntityID: "X", IPAddresses: []string{"10.1.1.1"}}); err != nil {
				t.Fatal(err)
			}
		}, sqlstore.ErrTargetNotEmpty, "addresses, agents"},
		{"one appliance", func(t *testing.T, _, pg *sqlstore.Store) {
			if err := pg.InsertAppliance(ctx, appliances.Appliance{ID: 5}); err != nil {
				t.Fatal(err)
			}
		}, sqlstore.ErrTargetNotEmpty, "appliances"},
		{"source newer", func(t *testing.T, _, pg *sqlstore.Store) {
			if _, err := pg.DB().Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
				t.Fatal(err)
			}
		}, nil, "newer than the target"},
		{"source older", func(t *testing.T, lite, _ *sqlstore.Store) {
			if _, err := lite.DB().Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
				t.Fatal(err)
			}
		}, nil, "older than the target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lite := openLite(t)
			fill(t, lite, testBox(t))
			pg := openPG(t)
			tt.prepare(t, lite, pg)
			before := dump(t, pg.DB(), pgTables)
			counts, err := sqlstore.Copy(ctx, lite, pg, nil)
			if err == nil {
				t.Fatalf("Copy succeeded (%v)", counts)
			}
			if tt.notOK != nil && !errors.Is(err, tt.notOK) {
				t.Errorf("error %v, want %v", err, tt.notOK)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
			if d := cmp.Diff(before, dump(t, pg.DB(), pgTables)); d != "" {
				t.Errorf("a refused copy changed the target:\n%s", d)
			}
		})
	}
}

// BenchmarkCopy copies 100,000 agents with their addresses (run with
// -bench Copy -benchtime 1x).
func BenchmarkCopy(b *testing.B) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer lite.Close()
	err = lite.InTx(ctx, func(tx fleet.Store) error {
		for i := range 100_000 {
			err := tx.InsertAgent(ctx, fleet.Agent{EntityID: fmt.Sprintf("AGENT-%06d", i), HostName: fmt.Sprintf("host%06d", i),
				ManagingServerID: "SRV-1", Product: "SLF_PRODUCT_OFFICESCAN_CE", Isolation: fleet.StatusIsolated,
				IPAddresses: []string{fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)}, MACAddresses: []string{fmt.Sprintf("00:50:56:%02x:%02x:%02x", i>>16, (i>>8)&255, i&255)},
				Capabilities: []fleet.Capability{fleet.CapIsolate}, LastCheckIn: at})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		pg := openPG(b)
		b.StartTimer()
		counts, err := sqlstore.Copy(ctx, lite, pg, nil)
		if err != nil || counts["agents"] != 100_000 {
			b.Fatalf("Copy: %v %v", counts, err)
		}
	}
}
