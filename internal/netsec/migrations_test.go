package netsec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The steps the status reports, as the seed shows them (written out here,
// not taken from the appliances package, so a change there shows).
var (
	upgradeSteps = [][2]string{
		{"start", "starting migration"},
		{"downloading", "downloading package"},
		{"handling package", "verifying package"},
		{"upgrading", "installing package"},
		{"upgrading", "restarting services"},
		{"finish", "installation complete"},
	}
	rollbackSteps = [][2]string{
		{"start", "starting rollback"},
		{"rollback", "preparing rollback"},
		{"rollback", "rollback software"},
		{"finish", "rollback complete"},
	}
)

func testMigrationVersions(t *testing.T, env *servertest.Env) {
	raw := func(t *testing.T, id int64, secret string) map[string]any {
		t.Helper()
		r := call(t, env, http.MethodGet, fmt.Sprintf("/api/migrationversions?applianceId=%d", id), "", secret)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if id == 8 && !strings.Contains(strings.ReplaceAll(string(r.Body), " ", ""), `"rollback":null`) {
			t.Errorf(`appliance 8: no "rollback":null in %s`, r.Body)
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("decoding %s: %v", r.Body, err)
		}
		return m
	}
	ro := auditorKey(t, env)
	for _, c := range []struct {
		name   string
		id     int64
		secret string
		want   map[string]any
	}{
		{"8 full access", 8, env.APISecret, map[string]any{"baseVersion": oldVersion, "state": "outOfDate", "permission": "write", "upgrade": newVersion, "rollback": nil}},
		{"2 full access", 2, env.APISecret, map[string]any{"baseVersion": newVersion, "state": "upToDate", "permission": "write", "upgrade": nil, "rollback": nil}},
		{"8 auditor", 8, ro, map[string]any{"baseVersion": oldVersion, "state": "outOfDate", "permission": "read", "upgrade": newVersion, "rollback": nil}},
		{"2 auditor", 2, ro, map[string]any{"baseVersion": newVersion, "state": "upToDate", "permission": "read", "upgrade": nil, "rollback": nil}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := raw(t, c.id, c.secret); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want exactly %v", got, c.want)
			}
		})
	}
	t.Run("refusals", func(t *testing.T) {
		for _, q := range []string{"", "?applianceId=", "?applianceId=abc", "?applianceId=8x", "?applianceId=1.5", "?applianceIds=8"} {
			wantMessage(t, get(t, env, "/api/migrationversions"+q), http.StatusBadRequest)
		}
		for _, q := range []string{"?applianceId=99", "?applianceId=0", "?applianceId=-8"} {
			if msg := wantMessage(t, get(t, env, "/api/migrationversions"+q), http.StatusNotFound); msg != "The appliance is not found." {
				t.Errorf("%s: message %q", q, msg)
			}
		}
	})
}

// checkRun checks the statuses of one migration against its steps: every
// step once, in order, running until the last, then success with time set.
func checkRun(t *testing.T, env *servertest.Env, seen []status, action string, id int64, steps [][2]string) {
	t.Helper()
	if len(seen) != len(steps) {
		t.Fatalf("%s of %d: %d statuses, want %d: %+v", action, id, len(seen), len(steps), seen)
	}
	var last int64
	for i, s := range seen {
		want := status{ApplianceID: id, Action: action, CurrentStep: i + 1, TotalSteps: len(steps), State: steps[i][0], Message: steps[i][1], Time: s.Time}
		if i == len(steps)-1 {
			want.Result = "success"
		}
		if s != want {
			t.Errorf("%s of %d, status %d = %+v, want %+v", action, id, i+1, s, want)
		}
		if s.Time <= 0 || s.Time < last {
			t.Errorf("%s of %d, status %d: time %d (previous %d)", action, id, i+1, s.Time, last)
		}
		last = s.Time
	}
	if now := env.Clock.Now().UnixMilli(); last != now {
		t.Errorf("%s of %d: final time %d, want the clock's %d", action, id, last, now)
	}
}

func TestUpgradeThenRollback(t *testing.T) {
	t.Parallel()
	env := start(t)
	before := versions{BaseVersion: oldVersion, State: "outOfDate", Permission: "write", Upgrade: str(newVersion)}
	upgraded := versions{BaseVersion: newVersion, State: "upToDate", Permission: "write", Rollback: str(oldVersion)}

	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, before) {
		t.Fatalf("versions before = %v, want %v", got, before)
	}
	migrate(t, env, "upgrade", 8)
	s, _ := latest(t, env, 8)
	seen := []status{s}
	for s.Result == "" && len(seen) < 10 {
		if s.CurrentStep < 6 {
			// The appliance runs its base version until the finish.
			if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, before) {
				t.Errorf("versions at step %d = %v, want %v", s.CurrentStep, got, before)
			}
		}
		s = step(t, env, 8)[8]
		seen = append(seen, s)
	}
	checkRun(t, env, seen, "upgrade", 8, upgradeSteps)

	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, upgraded) {
		t.Fatalf("versions after the upgrade = %v, want %v", got, upgraded)
	}
	var a appliance
	into(t, get(t, env, "/api/appliances/8"), http.StatusOK, &a)
	if a.TOSVersion != newVersion {
		t.Errorf("appliance 8 runs %q after the upgrade", a.TOSVersion)
	}
	// A finished upgrade is no longer running: another upgrade is refused
	// for want of one, not as a conflict.
	r := call(t, env, http.MethodPost, "/api/appliancemigrations", `{"action": "upgrade", "applianceId": 8}`, env.APISecret)
	if msg := wantMessage(t, r, http.StatusConflict); msg == conflictText {
		t.Errorf("second upgrade refused with the busy text, want no-upgrade")
	}

	migrate(t, env, "rollback", 8)
	if s, _ := latest(t, env, 8); s.Action != "rollback" || s.CurrentStep != 1 || s.Result != "" {
		t.Errorf("latest status after starting the rollback = %+v", s)
	}
	checkRun(t, env, finish(t, env, 8), "rollback", 8, rollbackSteps)
	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, before) {
		t.Fatalf("versions after the rollback = %v, want %v", got, before)
	}
	// And round again: the upgrade is offered and works.
	migrate(t, env, "upgrade", 8)
	checkRun(t, env, finish(t, env, 8), "upgrade", 8, upgradeSteps)
	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, upgraded) {
		t.Fatalf("versions after the second upgrade = %v, want %v", got, upgraded)
	}
}

func TestMigrationStatusesSelection(t *testing.T) {
	t.Parallel()
	env := start(t)
	ctx := context.Background()
	if err := env.Server.Appliances.Add(ctx, appliances.Appliance{ID: 5, InstanceID: "i-05", HostName: "ips-appliance-05", Provider: "Azure", Version: oldVersion}); err != nil {
		t.Fatal(err)
	}
	appl := func(ss []status) []int64 {
		out := []int64{}
		for _, s := range ss {
			out = append(out, s.ApplianceID)
		}
		return out
	}
	for _, q := range []string{"", "applianceIds=8", "applianceIds=2,8", "applianceIds=99"} {
		if ss := statuses(t, env, q); len(ss) != 0 {
			t.Errorf("?%s before any migration: %+v", q, ss)
		}
	}
	migrate(t, env, "upgrade", 8)
	migrate(t, env, "upgrade", 5)
	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{5, 8}},
		{"applianceIds=8", []int64{8}},
		{"applianceIds=2,8", []int64{8}},
		{"applianceIds=2&applianceIds=8", []int64{8}},
		{"applianceIds=5,8", []int64{5, 8}},
		{"applianceIds=8,5", []int64{8, 5}},
		{"applianceIds=5&applianceIds=8", []int64{5, 8}},
		{"applianceIds=5,2&applianceIds=8", []int64{5, 8}},
		{"applianceIds=2", []int64{}},
		{"applianceIds=99", []int64{}},
	} {
		if got := appl(statuses(t, env, c.query)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("?%s: appliances %v, want %v", c.query, got, c.want)
		}
	}
	for _, q := range []string{"applianceIds=abc", "applianceIds=8,x"} {
		wantMessage(t, get(t, env, "/api/appliancemigrations?"+q), http.StatusBadRequest)
	}

	// Both move together, one step per step time.
	for i := 2; i <= 6; i++ {
		got := step(t, env, 5, 8)
		for _, id := range []int64{5, 8} {
			if got[id].CurrentStep != i || got[id].State != upgradeSteps[i-1][0] {
				t.Fatalf("appliance %d at step %d: %+v", id, i, got[id])
			}
		}
	}
	if ss := statuses(t, env, ""); len(ss) != 2 || ss[0].Result != "success" || ss[1].Result != "success" {
		t.Fatalf("after both upgrades: %+v", ss)
	}
	// The answer is the LATEST migration of each appliance.
	migrate(t, env, "rollback", 8)
	ss := statuses(t, env, "applianceIds=5,8")
	if len(ss) != 2 || ss[0].Action != "upgrade" || ss[0].Result != "success" || ss[1].Action != "rollback" || ss[1].CurrentStep != 1 || ss[1].Result != "" {
		t.Errorf("after starting the rollback of 8: %+v", ss)
	}
	// An Auditor key reads statuses too.
	if r := call(t, env, http.MethodGet, "/api/appliancemigrations?applianceIds=8", "", auditorKey(t, env)); r.Status != http.StatusOK {
		t.Errorf("Auditor reading statuses: status %d: %s", r.Status, r.Body)
	}
}

// snapshot is everything a refused migration must leave as it was.
type snapshot struct {
	v2, v8   string
	statuses string
	latest   []appliances.Migration
}

func snap(t *testing.T, env *servertest.Env) snapshot {
	t.Helper()
	r := get(t, env, "/api/appliancemigrations")
	if r.Status != http.StatusOK {
		t.Fatalf("statuses: %d %s", r.Status, r.Body)
	}
	l, err := env.Server.Appliances.Latest(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{versionsOf(t, env, 2, env.APISecret).String(), versionsOf(t, env, 8, env.APISecret).String(), string(r.Body), l}
}

func TestMigrationRefusals(t *testing.T) {
	t.Parallel()
	env := start(t)
	ro := auditorKey(t, env)
	const path = "/api/appliancemigrations"
	type refusal struct {
		name   string
		body   string
		header []string // replaces the Full Access key when set
		status int
		msg    string // the exact message when set
	}
	check := func(t *testing.T, cases []refusal) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := snap(t, env)
				h := c.header
				if h == nil {
					h = apiKey(env.APISecret)
				}
				msg := wantMessage(t, env.WS(http.MethodPost, path, c.body, h...), c.status)
				if c.msg != "" && msg != c.msg {
					t.Errorf("message %q, want %q", msg, c.msg)
				}
				if after := snap(t, env); !reflect.DeepEqual(before, after) {
					t.Errorf("a refused migration changed state:\nbefore %+v\nafter  %+v", before, after)
				}
			})
		}
	}
	check(t, []refusal{
		{name: "read-only key upgrade", body: `{"action": "upgrade", "applianceId": 8}`, header: apiKey(ro), status: http.StatusForbidden},
		{name: "read-only key rollback", body: `{"action": "rollback", "applianceId": 8}`, header: apiKey(ro), status: http.StatusForbidden},
		{name: "read-only key api-secret-key", body: `{"action": "upgrade", "applianceId": 8}`, header: []string{"api-secret-key", ro}, status: http.StatusForbidden},
		{name: "unknown appliance", body: `{"action": "upgrade", "applianceId": 99}`, status: http.StatusNotFound, msg: "The appliance is not found."},
		{name: "unknown appliance rollback", body: `{"action": "rollback", "applianceId": 99}`, status: http.StatusNotFound, msg: "The appliance is not found."},
		{name: "action sideways", body: `{"action": "sideways", "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "action upper case", body: `{"action": "UPGRADE", "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "action missing", body: `{"applianceId": 8}`, status: http.StatusBadRequest},
		{name: "action empty", body: `{"action": "", "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "action null", body: `{"action": null, "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "action a number", body: `{"action": 1, "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "applianceId missing", body: `{"action": "upgrade"}`, status: http.StatusBadRequest},
		{name: "applianceId a string", body: `{"action": "upgrade", "applianceId": "8"}`, status: http.StatusBadRequest},
		{name: "applianceId a fraction", body: `{"action": "upgrade", "applianceId": 8.5}`, status: http.StatusBadRequest},
		{name: "bad JSON", body: `{"action": "upgrade", "applianceId": 8`, status: http.StatusBadRequest},
		{name: "not an object", body: `["upgrade", 8]`, status: http.StatusBadRequest},
		{name: "null", body: `null`, status: http.StatusBadRequest},
		{name: "data after the object", body: `{"action": "upgrade", "applianceId": 8} xyz`, status: http.StatusBadRequest},
		{name: "a second object", body: `{"action": "upgrade", "applianceId": 8}{"action": "upgrade", "applianceId": 8}`, status: http.StatusBadRequest},
		{name: "a stray brace", body: `{"action": "upgrade", "applianceId": 8}}`, status: http.StatusBadRequest},
		{name: "empty body", body: ``, status: http.StatusBadRequest},
		{name: "unknown field", body: `{"action": "upgrade", "applianceId": 8, "force": true}`, status: http.StatusBadRequest},
		{name: "no upgrade available", body: `{"action": "upgrade", "applianceId": 2}`, status: http.StatusConflict},
		{name: "no rollback available", body: `{"action": "rollback", "applianceId": 8}`, status: http.StatusConflict},
		{name: "no rollback available on 2", body: `{"action": "rollback", "applianceId": 2}`, status: http.StatusConflict},
		{name: "missing api-version", body: `{"action": "upgrade", "applianceId": 8}`, header: append(apiKey(env.APISecret), "api-version", ""), status: http.StatusBadRequest},
		{name: "bad key", body: `{"action": "upgrade", "applianceId": 8}`, header: apiKey("nope"), status: http.StatusUnauthorized},
		{name: "no key", body: `{"action": "upgrade", "applianceId": 8}`, header: []string{"X-None", "x"}, status: http.StatusUnauthorized},
	})
	if ss := statuses(t, env, ""); len(ss) != 0 {
		t.Fatalf("refusals left migrations: %+v", ss)
	}

	// While an upgrade of 8 runs, a second one is a conflict with the
	// vendor's text, and so is one at the next step.
	migrate(t, env, "upgrade", 8)
	busy := []refusal{
		{name: "busy upgrade", body: `{"action": "upgrade", "applianceId": 8}`, status: http.StatusConflict, msg: conflictText},
		{name: "busy read-only key", body: `{"action": "upgrade", "applianceId": 8}`, header: apiKey(ro), status: http.StatusForbidden},
		{name: "busy rollback", body: `{"action": "rollback", "applianceId": 8}`, status: http.StatusConflict},
	}
	check(t, busy)
	step(t, env, 8)
	check(t, busy[:1])
	if s, _ := latest(t, env, 8); s.CurrentStep != 2 || s.Action != "upgrade" {
		t.Errorf("the running upgrade was disturbed: %+v", s)
	}
}

func TestFailureInjection(t *testing.T) {
	t.Parallel()
	env := start(t)
	ctx := context.Background()
	const reason = "package signature verification failed"
	before := versionsOf(t, env, 8, env.APISecret)
	if err := env.Server.Appliances.InjectFailure(ctx, 8, 3, reason); err != nil {
		t.Fatalf("injecting a failure: %v", err)
	}
	migrate(t, env, "upgrade", 8)
	seen := finish(t, env, 8)
	end := seen[len(seen)-1]
	if end.Result != "fail" || end.State != "finish" || end.CurrentStep != 3 || end.TotalSteps != 6 || end.Time <= 0 {
		t.Errorf("failed upgrade ends as %+v, want step 3 of 6, finish, fail, time set", end)
	}
	if !strings.Contains(end.Message, reason) {
		t.Errorf("failure message %q does not say why (%q)", end.Message, reason)
	}
	for _, s := range seen {
		if s.Result == "success" {
			t.Errorf("a failed upgrade reported success: %+v", s)
		}
	}
	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, before) || got.BaseVersion != oldVersion || got.Upgrade == nil || *got.Upgrade != newVersion {
		t.Errorf("versions after the failed upgrade = %v, want %v", got, before)
	}
	var a appliance
	into(t, get(t, env, "/api/appliances/8"), http.StatusOK, &a)
	if a.TOSVersion != oldVersion {
		t.Errorf("appliance 8 runs %q after a failed upgrade", a.TOSVersion)
	}
	// The injection was consumed: the next upgrade succeeds.
	migrate(t, env, "upgrade", 8)
	checkRun(t, env, finish(t, env, 8), "upgrade", 8, upgradeSteps)
	if got := versionsOf(t, env, 8, env.APISecret); got.BaseVersion != newVersion || got.Rollback == nil || *got.Rollback != oldVersion {
		t.Errorf("versions after the retried upgrade = %v", got)
	}

	// A rollback can fail too, and leaves the appliance on the upgraded
	// version with the rollback still offered.
	upgraded := versionsOf(t, env, 8, env.APISecret)
	if err := env.Server.Appliances.InjectFailure(ctx, 8, 2, "disk full"); err != nil {
		t.Fatal(err)
	}
	migrate(t, env, "rollback", 8)
	seen = finish(t, env, 8)
	end = seen[len(seen)-1]
	if end.Action != "rollback" || end.Result != "fail" || end.CurrentStep != 2 || end.TotalSteps != 4 || !strings.Contains(end.Message, "disk full") {
		t.Errorf("failed rollback ends as %+v", end)
	}
	if got := versionsOf(t, env, 8, env.APISecret); !sameVersions(got, upgraded) {
		t.Errorf("versions after the failed rollback = %v, want %v", got, upgraded)
	}
}
