package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rampart-sec/rampart/internal/audit"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
)

// trail reads the audit trail of the data directory dir, newest first.
func trail(t *testing.T, dir string) []audit.Event {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := st.AuditEvents(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestOperatorChangesAudited: each operator command that changes
// something is one event (the operator, the command, its target, the
// outcome and exit code); listings are none; the password read from
// standard input is in none.
func TestOperatorChangesAudited(t *testing.T) {
	dir := t.TempDir()
	const password = "correct-horse-battery-77"
	runIn := func(stdin string, args ...string) (int, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append(args, "--data-dir", dir), strings.NewReader(stdin), &out, &errOut)
		return code, out.String() + errOut.String()
	}

	code, out := runIn("", "apps", "add", "--name", "SOAR")
	m := idLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("apps add: %d %s", code, out)
	}
	appID := m[1]
	steps := []struct {
		stdin    string
		args     []string
		wantCode int
	}{
		{"", []string{"apps", "list"}, 0},
		{"", []string{"apps", "disable", appID}, 0},
		{"", []string{"apps", "remove", "00000000-0000-0000-0000-000000000000"}, ExitNotFound},
		{password + "\n", []string{"users", "add", "alice", "--role", "2"}, 0},
		{"short\n", []string{"users", "passwd", "alice"}, ExitUsage},
		{"", []string{"users", "list"}, 0},
		{"", []string{"appliances", "local-list"}, 0},
	}
	for _, s := range steps {
		if code, out := runIn(s.stdin, s.args...); code != s.wantCode {
			t.Fatalf("%v: exit %d, want %d: %s", s.args, code, s.wantCode, out)
		}
	}

	op := audit.OperatorActor(operatorName())
	want := []audit.Event{
		{Actor: op, Family: "cli", Action: "users passwd", Target: "alice",
			Outcome: "failed: invalid application setting: the password must have at least 8 characters", Status: ExitUsage},
		{Actor: op, Family: "cli", Action: "users add", Target: "alice", Outcome: "ok"},
		{Actor: op, Family: "cli", Action: "apps remove", Target: "00000000-0000-0000-0000-000000000000",
			Outcome: "failed: removing application 00000000-0000-0000-0000-000000000000: application not found", Status: ExitNotFound},
		{Actor: op, Family: "cli", Action: "apps disable", Target: appID, Outcome: "ok"},
		{Actor: op, Family: "cli", Action: "apps add", Target: appID, Outcome: "ok"},
	}
	got := trail(t, dir)
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(audit.Event{}, "ID", "At")); d != "" {
		t.Errorf("audit trail (-want +got):\n%s", d)
	}
	for _, e := range got {
		if strings.Contains(e.Outcome+e.Target+e.Action, password) {
			t.Errorf("event %d holds the password: %+v", e.ID, e)
		}
		if time.Since(e.At) > time.Minute || e.At.After(time.Now()) {
			t.Errorf("event %d at %s, not now", e.ID, e.At)
		}
	}
	if op.ID == "" {
		t.Error("the operator has no name")
	}
}

// TestOperatorChangesExist: every command operatorChanges names exists,
// so that renaming one cannot silently stop its recording.
func TestOperatorChangesExist(t *testing.T) {
	root := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	for path := range operatorChanges {
		cmd, rest, err := root.Find(strings.Fields(path))
		if err != nil || len(rest) != 0 || strings.TrimPrefix(cmd.CommandPath(), "rampart ") != path {
			t.Errorf("operatorChanges names %q, which is no command (%v)", path, err)
		}
	}
}

// TestAuditCommand: `rampart audit` lists the trail newest first, as a
// table or JSON, filtered by time, actor, family and count; wrong
// filters are usage errors.
func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 12, 0, 0, 250_000_000, time.UTC)
	for _, e := range []audit.Event{
		{At: at, Actor: audit.ApplicationActor("5A2B1C3D-0000-4000-8000-000000000001", "SOAR playbooks"), Family: audit.FamilyApexCentral,
			Action: "POST /webapp/api/agentresource/productagents cmd_isolate_agent", Target: "492E8584-0114-694D-BF9D-44CC20141501", Outcome: "ok", Status: 200},
		{At: at.Add(time.Minute), Actor: audit.KeyActor(5, "auditor"), Family: audit.FamilyWorkload,
			Action: "POST /api/apikeys", Outcome: "refused 403: Not authorized to create API keys", Status: 403},
		{At: at.Add(2 * time.Minute), Actor: audit.OperatorActor("root"), Family: audit.FamilyCLI, Action: "apps disable",
			Target: "5A2B1C3D-0000-4000-8000-000000000001", Outcome: "ok"},
	} {
		if _, err := st.InsertAuditEvent(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string // testdata file the output must equal
		contains string // or what the output (or error) must contain
	}{
		{"table", nil, 0, "audit.table", ""},
		{"json", []string{"-o", "json"}, 0, "audit.json", ""},
		{"actor kind and ID", []string{"--actor", "api-key:5", "-o", "json"}, 0, "audit-actor.json", ""},
		{"family", []string{"--family", "cli"}, 0, "audit-family.table", ""},
		{"limit", []string{"--limit", "1"}, 0, "audit-family.table", ""},
		{"since a time", []string{"--since", "2026-11-24T12:01:00Z"}, 0, "audit-since.table", ""},
		{"since long ago", []string{"--since", "876000h"}, 0, "audit.table", ""},
		{"nothing matches", []string{"--actor", "administrator"}, 0, "", "ID  TIME  ACTOR"},
		{"unknown actor kind", []string{"--actor", "robot"}, ExitUsage, "", `actor kind "robot"`},
		{"unknown family", []string{"--family", "webapp"}, ExitUsage, "", `family "webapp"`},
		{"since not a time", []string{"--since", "yesterday"}, ExitUsage, "", "neither a duration"},
		{"negative since", []string{"--since", "-1h"}, ExitUsage, "", "positive duration"},
		{"negative limit", []string{"--limit", "-1"}, ExitUsage, "", "limit -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"audit", "--data-dir", dir}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.wantCode, out, errOut)
			}
			if tt.golden != "" {
				auditGolden(t, tt.golden, out)
			}
			if tt.contains != "" && !strings.Contains(out+errOut, tt.contains) {
				t.Errorf("output does not contain %q:\n%s%s", tt.contains, out, errOut)
			}
		})
	}
}

// auditGolden compares got with testdata/name (rewritten with -update).
func auditGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is right)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
