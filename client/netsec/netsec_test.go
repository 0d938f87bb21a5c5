package netsec_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-sec/rampart/client/netsec"
	"github.com/rampart-sec/rampart/client/search"
	"github.com/rampart-sec/rampart/client/workload"
	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func ids(list []netsec.Appliance) []int64 {
	out := []int64{}
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

func TestAppliances(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	ctx := context.Background()
	for _, id := range []int64{3, 4, 5} {
		if err := env.Server.Appliances.Add(ctx, appliances.Appliance{ID: id, InstanceID: "i-extra", HostName: "extra", Provider: "Azure", Version: oldVersion}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, env)

	t.Run("pages", func(t *testing.T) {
		cases := []struct {
			name  string
			opts  netsec.ListOptions
			ids   []int64
			next  string
			total int
		}{
			{"first page", netsec.ListOptions{}, []int64{2, 3, 4, 5, 8}, "", 5},
			{"limit 2", netsec.ListOptions{Limit: 2}, []int64{2, 3}, "2", 5},
			{"from a cursor", netsec.ListOptions{Limit: 2, Cursor: "4"}, []int64{8}, "", 5},
			{"query", netsec.ListOptions{Query: "i-0e7b"}, []int64{8}, "", 1},
			{"sorted descending", netsec.ListOptions{SortBy: "ID", SortDirection: "desc", Limit: 3}, []int64{8, 5, 4}, "3", 5},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := c.ListAppliances(ctx, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(p.Appliances), tc.ids) || p.Next != tc.next || p.TotalCount != tc.total {
					t.Errorf("page %v next %q total %d, want %v next %q total %d", ids(p.Appliances), p.Next, p.TotalCount, tc.ids, tc.next, tc.total)
				}
			})
		}
	})
	t.Run("iterator follows next", func(t *testing.T) {
		all, err := c.AllAppliances(ctx, netsec.ListOptions{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(all), []int64{2, 3, 4, 5, 8}) {
			t.Errorf("all %v", ids(all))
		}
		n := 0
		for _, err := range c.Appliances(ctx, netsec.ListOptions{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break // stopping early is allowed
			}
		}
		_, err = c.AllAppliances(ctx, netsec.ListOptions{SortBy: "colour"})
		if netsec.StatusCode(err) != http.StatusBadRequest {
			t.Errorf("a bad sortBy: %v, want 400", err)
		}
	})
	t.Run("search", func(t *testing.T) {
		cases := []struct {
			name  string
			f     netsec.SearchFilter
			ids   []int64
			next  string
			total int
		}{
			{"everything", netsec.SearchFilter{}, []int64{2, 3, 4, 5, 8}, "", 5},
			{"by provider", netsec.SearchFilter{Filter: search.Filter{SearchCriteria: []search.Criteria{search.StringEquals("provider", "Azure")}}},
				[]int64{3, 4, 5}, "", 3},
			{"by version, first page", netsec.SearchFilter{Limit: 2, Filter: search.Filter{SearchCriteria: []search.Criteria{search.StringEquals("tosVersion", oldVersion)}}},
				[]int64{3, 4}, "*", 4}, // the cursor is opaque: any non-empty one
			{"by ID", netsec.SearchFilter{Filter: search.Filter{SearchCriteria: []search.Criteria{search.IDTest(search.GreaterThanOrEqual, 5)}}},
				[]int64{5, 8}, "", 2},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := c.SearchAppliances(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				nextOK := p.Next == tc.next || (tc.next == "*" && p.Next != "")
				if !slices.Equal(ids(p.Appliances), tc.ids) || !nextOK || p.TotalCount != tc.total {
					t.Errorf("page %v next %q total %d, want %v next %q total %d", ids(p.Appliances), p.Next, p.TotalCount, tc.ids, tc.next, tc.total)
				}
			})
		}
		var all []netsec.Appliance
		for a, err := range c.SearchAllAppliances(ctx, netsec.SearchFilter{Limit: 1, Filter: search.Filter{
			SearchCriteria: []search.Criteria{search.StringEquals("tosVersion", oldVersion)}}}) {
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, a)
		}
		if !slices.Equal(ids(all), []int64{3, 4, 5, 8}) {
			t.Errorf("all old appliances %v", ids(all))
		}
		_, err := c.SearchAppliances(ctx, netsec.SearchFilter{Filter: search.Filter{SearchCriteria: []search.Criteria{search.StringEquals("colour", "red")}}})
		if netsec.StatusCode(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "colour") {
			t.Errorf("an unknown field: %v, want 400 naming it", err)
		}
	})
	t.Run("one", func(t *testing.T) {
		a, err := c.Appliance(ctx, 8)
		want := netsec.Appliance{ID: 8, InstanceID: "i-0e7b568dd0f88d0c1", TOSVersion: oldVersion, DVVersion: "4.0.0.9170", Provider: "AWS", HostName: "ips-appliance-08"}
		if err != nil || a != want {
			t.Errorf("Appliance(8) = %+v, %v; want %+v", a, err, want)
		}
		_, err = c.Appliance(ctx, 99)
		var e *netsec.Error
		if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound || e.Message != "The appliance is not found." || !netsec.IsNotFound(err) {
			t.Errorf("Appliance(99): %v", err)
		}
	})
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	drv := &migrationDriver{t: t, env: env}
	c := newClient(t, env, func(cfg *netsec.Config) { cfg.Transport.Sleep = drv.Sleep })
	str := func(s string) *string { return &s }
	wantVersions := func(t *testing.T, want netsec.MigrationVersions) {
		t.Helper()
		got, err := c.MigrationVersions(ctx, 8)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("versions (-want +got):\n%s", diff)
		}
	}
	before := netsec.MigrationVersions{BaseVersion: oldVersion, State: "outOfDate", Permission: "write", Upgrade: str(newVersion)}
	after := netsec.MigrationVersions{BaseVersion: newVersion, State: "upToDate", Permission: "write", Rollback: str(oldVersion)}

	// run starts a migration and waits for it, checking the progress.
	run := func(t *testing.T, action netsec.MigrationAction, steps int) (netsec.MigrationStatus, []netsec.MigrationStatus, error) {
		t.Helper()
		if err := c.StartMigration(ctx, action, 8); err != nil {
			t.Fatalf("StartMigration(%s): %v", action, err)
		}
		var seen []netsec.MigrationStatus
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		final, err := c.WaitMigration(wctx, 8, netsec.WaitOptions{Interval: 7 * time.Second, Progress: func(s netsec.MigrationStatus) { seen = append(seen, s) }})
		if final.TotalSteps != steps {
			t.Errorf("%s: %d steps, want %d", action, final.TotalSteps, steps)
		}
		if len(seen) == 0 || seen[0].CurrentStep != 1 || seen[len(seen)-1] != final {
			t.Errorf("progress %+v, final %+v", seen, final)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i].CurrentStep < seen[i-1].CurrentStep || seen[i].Action != action {
				t.Errorf("progress went %+v -> %+v", seen[i-1], seen[i])
			}
		}
		return final, seen, err
	}

	wantVersions(t, before)
	t.Run("upgrade", func(t *testing.T) {
		final, seen, err := run(t, netsec.Upgrade, 6)
		if err != nil {
			t.Fatalf("WaitMigration: %v", err)
		}
		if !final.Succeeded() || final.CurrentStep != 6 || final.TotalSteps != 6 || final.State != "finish" || final.Time == 0 {
			t.Errorf("final %+v", final)
		}
		states := []string{}
		for _, s := range seen {
			if len(states) == 0 || states[len(states)-1] != s.Message {
				states = append(states, s.Message)
			}
		}
		if !slices.Contains(states, "verifying package") || !slices.Contains(states, "installing package") {
			t.Errorf("the upgrade's steps %v lack the seed's", states)
		}
		wantVersions(t, after)
	})
	t.Run("conflicts", func(t *testing.T) {
		err := c.StartMigration(ctx, netsec.Upgrade, 8)
		if !netsec.IsConflict(err) {
			t.Errorf("upgrading an up-to-date appliance: %v, want 409", err)
		}
		if err := c.StartMigration(ctx, netsec.Rollback, 99); !netsec.IsNotFound(err) {
			t.Errorf("an unknown appliance: %v, want 404", err)
		}
		if err := c.StartMigration(ctx, "sideways", 8); err == nil {
			t.Error("an unknown action was sent")
		}
	})
	t.Run("rollback", func(t *testing.T) {
		final, _, err := run(t, netsec.Rollback, 4)
		if err != nil || final.CurrentStep != 4 || final.Message != "rollback complete" {
			t.Fatalf("WaitMigration = %+v, %v", final, err)
		}
		wantVersions(t, before)
	})
	t.Run("a failed upgrade", func(t *testing.T) {
		const reason = "package signature verification failed"
		if err := env.Server.Appliances.InjectFailure(ctx, 8, 3, reason); err != nil {
			t.Fatal(err)
		}
		final, _, err := run(t, netsec.Upgrade, 6)
		var failed *netsec.MigrationFailedError
		if !errors.As(err, &failed) || failed.Status != final || final.Result != "fail" || !strings.Contains(final.Message, reason) {
			t.Fatalf("WaitMigration = %+v, %v; want a MigrationFailedError saying why", final, err)
		}
		wantVersions(t, before)
	})
	t.Run("statuses", func(t *testing.T) {
		ss, err := c.MigrationStatuses(ctx, 2, 8)
		if err != nil || len(ss) != 1 || ss[0].ApplianceID != 8 || ss[0].Result != "fail" {
			t.Errorf("MigrationStatuses(2, 8) = %+v, %v", ss, err)
		}
		all, err := c.MigrationStatuses(ctx)
		if err != nil || len(all) != 1 {
			t.Errorf("MigrationStatuses() = %+v, %v", all, err)
		}
		if _, err := c.WaitMigration(ctx, 2, netsec.WaitOptions{}); !errors.Is(err, netsec.ErrNoMigration) {
			t.Errorf("waiting on an appliance without a migration: %v", err)
		}
	})
	for _, w := range drv.waits {
		if w != 7*time.Second {
			t.Errorf("the poller waited %v, want its 7 s interval", w)
		}
	}
}

func TestReadOnlyKey(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	admin, err := workload.New(workload.Config{BaseURL: env.URL, APIKey: env.APISecret})
	if err != nil {
		t.Fatal(err)
	}
	k, err := admin.CreateAPIKey(ctx, workload.NewAPIKey{KeyName: "read-only", RoleID: workload.AuditorRoleID})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, env, func(cfg *netsec.Config) { cfg.APIKey = k.SecretKey })
	v, err := c.MigrationVersions(ctx, 8)
	if err != nil || v.Permission != "read" {
		t.Errorf("versions for an Auditor key: %+v, %v", v, err)
	}
	if err := c.StartMigration(ctx, netsec.Upgrade, 8); netsec.StatusCode(err) != http.StatusForbidden {
		t.Errorf("an Auditor key upgrading: %v, want 403", err)
	}
	bad := newClient(t, env, func(cfg *netsec.Config) { cfg.APIKey = "8:not-a-key" })
	_, err = bad.ListAppliances(ctx, netsec.ListOptions{})
	if netsec.StatusCode(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "Invalid API Key") {
		t.Fatalf("a wrong key: %v, want 401 Invalid API Key", err)
	}
	if strings.Contains(err.Error(), "not-a-key") {
		t.Error("the error shows the key")
	}
}

func TestWaitBounded(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	c := newClient(t, env) // the real sleeper: the clock never moves, no step is ever due
	if err := c.StartMigration(ctx, netsec.Upgrade, 8); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	last, err := c.WaitMigration(wctx, 8, netsec.WaitOptions{Interval: 20 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the deadline", err)
	}
	if last.ApplianceID != 8 || last.CurrentStep != 1 || last.Done() {
		t.Errorf("last seen %+v", last)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the wait took %v past a 150 ms deadline", d)
	}
	if _, err := netsec.New(netsec.Config{BaseURL: env.URL}); err == nil {
		t.Error("a client without a key accepted")
	}
}
