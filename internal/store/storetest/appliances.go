package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/search"
)

// The two software versions of the suite's appliances: an upgrade moves
// from tosOld to tosNew.
const (
	tosOld = "2021.3.0.10968"
	tosNew = "2021.4.1.10996"
)

// testAppliances covers the appliance rows of appliances.Store: insert,
// read, list, update, the narrow writes (failure injection, check-in) and
// the search filter with its count.
func testAppliances(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("InsertGetList", func(t *testing.T) {
		s := open(t)
		// Inserted out of ID order; listed in ID order. Every field is set
		// on one of them, times to the millisecond.
		list := []appliances.Appliance{sampleAppliance(8), sampleAppliance(2), sampleAppliance(1001)}
		list[0].Previous, list[0].FailStep, list[0].FailMessage = tosOld, 3, "package signature verification failed"
		list[0].Agent, list[0].LastCheckIn = true, base.Add(1500*time.Millisecond)
		list[2].Provider, list[2].HostName = "Azure", ""
		putAppliances(t, s, list...)
		for _, a := range list {
			got, err := s.Appliance(ctx, a.ID)
			if err != nil {
				t.Fatalf("Appliance(%d): %v", a.ID, err)
			}
			if d := diff(a, got); d != "" {
				t.Errorf("Appliance(%d) (-want +got):\n%s", a.ID, d)
			}
		}
		got, err := s.Appliances(ctx)
		if err != nil {
			t.Fatalf("Appliances: %v", err)
		}
		want := []appliances.Appliance{list[1], list[0], list[2]}
		if d := diff(want, got); d != "" {
			t.Errorf("Appliances (-want +got):\n%s", d)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		if got, err := s.Appliances(ctx); err != nil || len(got) != 0 {
			t.Errorf("Appliances of an empty store = %d appliances, %v; want none", len(got), err)
		}
		putAppliances(t, s, sampleAppliance(8))
		const id = 9
		missing := []struct {
			name string
			call func() error
		}{
			{"Appliance", func() error { _, err := s.Appliance(ctx, id); return err }},
			{"UpdateAppliance", func() error { return s.UpdateAppliance(ctx, sampleAppliance(id)) }},
			{"SetFailure", func() error { return s.SetFailure(ctx, id, 3, "boom") }},
			{"ApplianceCheckIn", func() error { return s.ApplianceCheckIn(ctx, id, base) }},
		}
		for _, tt := range missing {
			if err := tt.call(); !errors.Is(err, appliances.ErrNotFound) {
				t.Errorf("%s of a missing appliance: err = %v, want ErrNotFound", tt.name, err)
			}
		}
		// None of them created the appliance.
		got, err := s.Appliances(ctx)
		if err != nil {
			t.Fatalf("Appliances: %v", err)
		}
		if d := diff([]int64{8}, applianceIDs(got)); d != "" {
			t.Errorf("Appliances after writes to a missing one (-want +got):\n%s", d)
		}
	})

	t.Run("DuplicateID", func(t *testing.T) {
		s := open(t)
		a := sampleAppliance(8)
		putAppliances(t, s, a)
		dup := sampleAppliance(8)
		dup.InstanceID, dup.HostName, dup.Version = "i-other", "other", tosNew
		if err := s.InsertAppliance(ctx, dup); err == nil {
			t.Fatal("InsertAppliance with a taken ID succeeded")
		}
		if got := appliance(t, s, 8); diff(a, got) != "" {
			t.Errorf("the first appliance changed (-want +got):\n%s", diff(a, got))
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		a, other := sampleAppliance(8), sampleAppliance(2)
		putAppliances(t, s, a, other)
		// Every field UpdateAppliance writes changes; the instance ID and
		// the agent flag, which it is not asked to change, stay as they are.
		u := a
		u.HostName, u.Provider, u.Version, u.Previous, u.DVVersion = "ips-renamed", "Azure", tosNew, tosOld, "4.0.0.9999"
		u.FailStep, u.FailMessage, u.LastCheckIn = 4, "disk full", base.Add(time.Hour+7*time.Millisecond)
		if err := s.UpdateAppliance(ctx, u); err != nil {
			t.Fatalf("UpdateAppliance: %v", err)
		}
		if got := appliance(t, s, 8); diff(u, got) != "" {
			t.Errorf("after UpdateAppliance (-want +got):\n%s", diff(u, got))
		}
		// And back: empty strings and zero values are values too.
		u.Previous, u.FailStep, u.FailMessage, u.LastCheckIn = "", 0, "", time.Time{}
		if err := s.UpdateAppliance(ctx, u); err != nil {
			t.Fatalf("UpdateAppliance (clearing): %v", err)
		}
		if got := appliance(t, s, 8); diff(u, got) != "" {
			t.Errorf("after clearing UpdateAppliance (-want +got):\n%s", diff(u, got))
		}
		if got := appliance(t, s, 2); diff(other, got) != "" {
			t.Errorf("another appliance changed (-want +got):\n%s", diff(other, got))
		}
	})

	t.Run("SetFailure", func(t *testing.T) {
		s := open(t)
		a, other := sampleAppliance(8), sampleAppliance(2)
		a.Agent, a.LastCheckIn = true, base
		putAppliances(t, s, a, other)
		// A runner moves the appliance to the new version after the
		// operator's tool read it: the failure injection must not undo that.
		a.Version, a.Previous = tosNew, tosOld
		if err := s.UpdateAppliance(ctx, a); err != nil {
			t.Fatalf("UpdateAppliance: %v", err)
		}
		tests := []struct {
			name    string
			step    int
			message string
		}{
			{"set", 3, "package signature verification failed"},
			{"replace", 5, "restart timed out"},
			{"clear", 0, ""},
		}
		for _, tt := range tests {
			if err := s.SetFailure(ctx, 8, tt.step, tt.message); err != nil {
				t.Fatalf("SetFailure %s: %v", tt.name, err)
			}
			want := a
			want.FailStep, want.FailMessage = tt.step, tt.message
			if got := appliance(t, s, 8); diff(want, got) != "" {
				t.Errorf("after SetFailure %s (-want +got):\n%s", tt.name, diff(want, got))
			}
		}
		if got := appliance(t, s, 2); diff(other, got) != "" {
			t.Errorf("another appliance changed (-want +got):\n%s", diff(other, got))
		}
	})

	t.Run("CheckIn", func(t *testing.T) {
		s := open(t)
		a, other := sampleAppliance(8), sampleAppliance(2)
		a.FailStep, a.FailMessage = 4, "disk full"
		putAppliances(t, s, a, other)
		jst := time.FixedZone("JST", 9*60*60)
		tests := []struct {
			name string
			at   time.Time
		}{
			// Sub-millisecond digits are dropped: stores keep milliseconds.
			{"first", base.Add(2*time.Second + 345_678_901*time.Nanosecond)},
			{"later", base.Add(time.Minute + 999_999*time.Nanosecond)},
			{"another zone", base.Add(2 * time.Minute).In(jst)},
		}
		for _, tt := range tests {
			if err := s.ApplianceCheckIn(ctx, 8, tt.at); err != nil {
				t.Fatalf("ApplianceCheckIn %s: %v", tt.name, err)
			}
			want := a
			want.Agent, want.LastCheckIn = true, tt.at.Truncate(time.Millisecond)
			if got := appliance(t, s, 8); diff(want, got) != "" {
				t.Errorf("after ApplianceCheckIn %s (-want +got):\n%s", tt.name, diff(want, got))
			}
		}
		if got := appliance(t, s, 2); diff(other, got) != "" {
			t.Errorf("another appliance changed (-want +got):\n%s", diff(other, got))
		}
	})

	t.Run("CheckIns", func(t *testing.T) {
		s := open(t)
		a8, a2, a5 := sampleAppliance(8), sampleAppliance(2), sampleAppliance(5)
		a2.Agent, a2.LastCheckIn = true, base
		putAppliances(t, s, a8, a2, a5)
		at := map[int64]time.Time{
			8:   base.Add(time.Second + 234_567*time.Nanosecond),
			2:   base.Add(time.Minute),
			999: base.Add(time.Hour), // unknown: skipped, not an error
		}
		if err := s.ApplianceCheckIns(ctx, at); err != nil {
			t.Fatalf("ApplianceCheckIns: %v", err)
		}
		if err := s.ApplianceCheckIns(ctx, map[int64]time.Time{}); err != nil {
			t.Errorf("ApplianceCheckIns of none: %v", err)
		}
		a8.Agent, a8.LastCheckIn = true, at[8].Truncate(time.Millisecond)
		a2.LastCheckIn = at[2]
		got, err := s.Appliances(ctx)
		if err != nil {
			t.Fatalf("Appliances: %v", err)
		}
		if d := diff([]appliances.Appliance{a2, a5, a8}, got); d != "" {
			t.Errorf("Appliances after ApplianceCheckIns (-want +got):\n%s", d)
		}
	})

	t.Run("Search", func(t *testing.T) { testApplianceSearch(t, open) })
}

// testApplianceSearch runs appliances.Schema filters through
// SearchAppliances and CountAppliances.
func testApplianceSearch(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	s := open(t)
	list := []appliances.Appliance{
		{ID: 2, InstanceID: "i-053cced65fea28c18", HostName: "ips-tokyo-01", Provider: "AWS", Version: tosNew, Previous: tosOld, DVVersion: "4.0.0.9170"},
		{ID: 8, InstanceID: "i-0e7b568dd0f88d0c1", HostName: "ips-tokyo-02", Provider: "AWS", Version: tosOld, DVVersion: "4.0.0.9170"},
		{ID: 15, InstanceID: "vm-azure-0015", HostName: "IPS_OSAKA", Provider: "Azure", Version: tosOld, DVVersion: "4.0.0.9171"},
		{ID: 100, InstanceID: "i-00000000000000100", HostName: "ipsXosaka", Provider: "aws", Version: tosNew, DVVersion: "4.0.0.9171"},
		{ID: 1001, InstanceID: "vm-azure-1001", HostName: "edge%01", Provider: "Azure", Version: "2020.1.0.1", DVVersion: "4.0.0.9100"},
	}
	// Inserted out of ID order: results come in ID order all the same.
	putAppliances(t, s, list[3], list[0], list[4], list[1], list[2])

	all, err := s.SearchAppliances(ctx, allFilter(t, appliances.Schema))
	if err != nil {
		t.Fatalf("SearchAppliances: %v", err)
	}
	if d := diff(list, all); d != "" {
		t.Errorf("SearchAppliances with no criteria (-want +got):\n%s", d)
	}

	str := func(field, test, value string) string {
		return fmt.Sprintf(`{"fieldName": %q, "stringTest": %q, "stringValue": %q}`, field, test, value)
	}
	literal := func(field, value string) string {
		return fmt.Sprintf(`{"fieldName": %q, "stringValue": %q, "stringWildcards": false}`, field, value)
	}
	id := func(test string, value int64) string {
		return fmt.Sprintf(`{"idTest": %q, "idValue": %d}`, test, value)
	}
	tests := []struct {
		name   string
		filter string
		want   []int // indexes into list, in order
		total  int   // what CountAppliances reports, whatever maxItems says
	}{
		{"NoCriteria", ``, []int{0, 1, 2, 3, 4}, 5},
		{"Null", `null`, []int{0, 1, 2, 3, 4}, 5},
		{"EmptyCriteria", crit(), []int{0, 1, 2, 3, 4}, 5},
		{"SortByObjectIDFalse", `{"sortByObjectID": false}`, []int{0, 1, 2, 3, 4}, 5},
		{"InstanceIDEqual", crit(str("instanceId", "equal", "i-0e7b568dd0f88d0c1")), []int{1}, 1},
		{"InstanceIDIgnoresCase", crit(str("instanceId", "equal", "I-0E7B568DD0F88D0C1")), []int{1}, 1},
		{"ProviderIgnoresCase", crit(str("provider", "equal", "aws")), []int{0, 1, 3}, 3},
		{"ProviderNotEqual", crit(str("provider", "not-equal", "AWS")), []int{2, 4}, 2},
		{"HostWildcardPrefix", crit(str("hostName", "equal", "ips-tokyo%")), []int{0, 1}, 2},
		{"HostWildcardSuffix", crit(str("hostName", "equal", "%01")), []int{0, 4}, 2},
		{"HostUnderscoreIsWildcard", crit(str("hostName", "equal", "ips_osaka")), []int{2, 3}, 2},
		{"HostUnderscoreLiteral", crit(literal("hostName", "ips_osaka")), []int{2}, 1},
		{"HostPercentLiteral", crit(literal("hostName", "edge%01")), []int{4}, 1},
		{"HostPercentLiteralNoMatch", crit(literal("hostName", "edge%")), nil, 0},
		{"HostNotWildcard", crit(str("hostName", "not-equal", "ips%")), []int{4}, 1},
		{"HostNoMatch", crit(str("hostName", "equal", "nothing")), nil, 0},
		{"TOSVersionEqual", crit(str("tosVersion", "equal", tosOld)), []int{1, 2}, 2},
		{"TOSVersionNotEqual", crit(str("tosVersion", "not-equal", tosOld)), []int{0, 3, 4}, 3},
		{"DVVersionWildcard", crit(str("dvVersion", "equal", "4.0.0.917_")), []int{0, 1, 2, 3}, 4},
		{"IDEqual", crit(`{"idValue": 15}`), []int{2}, 1},
		{"IDFieldEqual", crit(`{"fieldName": "ID", "idValue": 100}`), []int{3}, 1},
		{"IDEqualMissing", crit(`{"idValue": 9}`), nil, 0},
		{"IDNotEqual", crit(id("not-equal", 2)), []int{1, 2, 3, 4}, 4},
		{"IDGreaterThan", crit(`{"fieldName": "ID", "idTest": "greater-than", "idValue": 8}`), []int{2, 3, 4}, 3},
		{"IDLessThan", crit(id("less-than", 15)), []int{0, 1}, 2},
		{"IDLessOrEqual", crit(id("less-than-or-equal", 100)), []int{0, 1, 2, 3}, 4},
		{"IDRange", crit(id("greater-than-or-equal", 8), id("less-than", 1001)), []int{1, 2, 3}, 3},
		{"IDEmptyRange", crit(id("greater-than", 15), id("less-than", 100)), nil, 0},
		{"MaxItems", `{"maxItems": 2}`, []int{0, 1}, 5},
		{"MaxItemsZero", `{"maxItems": 0}`, nil, 5},
		{"MaxItemsAboveMatches", `{"maxItems": 10, "searchCriteria": [` + str("provider", "equal", "azure") + `]}`, []int{2, 4}, 2},
		{"PageAfter", `{"maxItems": 2, "searchCriteria": [` + id("greater-than", 8) + `]}`, []int{2, 3}, 3},
		{"PageLast", `{"maxItems": 2, "searchCriteria": [` + id("greater-than", 15) + `]}`, []int{3, 4}, 2},
		{"PageBeyond", `{"maxItems": 2, "searchCriteria": [` + id("greater-than", 1001) + `]}`, nil, 0},
		{"Combined", crit(str("provider", "equal", "AWS"), str("tosVersion", "equal", tosNew)), []int{0, 3}, 2},
		{"CombinedPaged", `{"maxItems": 1, "searchCriteria": [` + str("provider", "equal", "azure") + `, ` + id("greater-than", 2) + `]}`, []int{2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := search.Parse([]byte(tt.filter), appliances.Schema)
			if err != nil {
				t.Fatalf("search.Parse(%s): %v", tt.filter, err)
			}
			got, err := s.SearchAppliances(ctx, f)
			if err != nil {
				t.Fatalf("SearchAppliances(%s): %v", tt.filter, err)
			}
			var want []appliances.Appliance
			for _, i := range tt.want {
				want = append(want, list[i])
			}
			if d := diff(want, got); d != "" {
				t.Errorf("SearchAppliances(%s) (-want +got):\n%s", tt.filter, d)
			}
			n, err := s.CountAppliances(ctx, f.Criteria)
			if err != nil {
				t.Fatalf("CountAppliances(%s): %v", tt.filter, err)
			}
			if n != tt.total {
				t.Errorf("CountAppliances(%s) = %d, want %d", tt.filter, n, tt.total)
			}
		})
	}
}

// testMigrations covers the migration rows of appliances.Store: starting
// one (with its refusal while another runs and its clearing of the failure
// injection), reading the latest, and advancing steps by compare-and-swap.
func testMigrations(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("StartAndLatest", func(t *testing.T) {
		s := open(t)
		a8, a2 := sampleAppliance(8), sampleAppliance(2)
		a8.Agent = true
		putAppliances(t, s, a8, a2)
		for _, id := range []int64{8, 2, 999} {
			if m, err := s.LatestMigration(ctx, id); !errors.Is(err, appliances.ErrNoMigration) {
				t.Errorf("LatestMigration(%d) before any = %+v, %v; want ErrNoMigration", id, m, err)
			}
		}

		// Every field a starting migration carries is set (it has no lease
		// yet); the step time has sub-millisecond digits, which the store
		// drops.
		first := upgradeOf(a8, base.Add(345_678_901*time.Nanosecond))
		first.FailStep, first.FailMessage, first.Managed = 3, "package signature verification failed", true
		first.ID = startMigration(t, s, first)
		if first.ID <= 0 {
			t.Errorf("StartMigration = ID %d, want a positive one", first.ID)
		}
		if got := latestMigration(t, s, 8); diff(inMillis(first), got) != "" {
			t.Errorf("LatestMigration(8) (-want +got):\n%s", diff(inMillis(first), got))
		}
		if m, err := s.LatestMigration(ctx, 2); !errors.Is(err, appliances.ErrNoMigration) {
			t.Errorf("LatestMigration(2) of an appliance without one = %+v, %v; want ErrNoMigration", m, err)
		}

		// A rollback, waiting for its appliance at the third step: the
		// action, the versions and the flags round-trip too.
		second := appliances.Migration{ApplianceID: 2, Action: appliances.Rollback, From: tosNew, To: tosOld, Step: 3, TotalSteps: 4,
			State: "rollback", Message: "rollback software", StepAt: base.Add(time.Hour), Managed: true, Awaiting: true}
		second.ID = startMigration(t, s, second)
		if second.ID <= first.ID {
			t.Errorf("second StartMigration = ID %d, want more than %d", second.ID, first.ID)
		}
		if got := latestMigration(t, s, 2); diff(second, got) != "" {
			t.Errorf("LatestMigration(2) (-want +got):\n%s", diff(second, got))
		}

		// The first one fails; a new one on the same appliance is then the
		// latest, and the other appliance's is untouched.
		failed := mustStep(t, s, stepOn(latestMigration(t, s, 8), base.Add(3*time.Second), "runner", base.Add(time.Minute)), failAt)
		third := upgradeOf(a8, base.Add(2*time.Hour))
		third.ID = startMigration(t, s, third)
		if third.ID <= second.ID {
			t.Errorf("third StartMigration = ID %d, want more than %d", third.ID, second.ID)
		}
		if got := latestMigration(t, s, 8); diff(third, got) != "" {
			t.Errorf("LatestMigration(8) after a new start (-want +got):\n%s", diff(third, got))
		}
		if got := latestMigration(t, s, 2); diff(second, got) != "" {
			t.Errorf("LatestMigration(2) after another appliance's start (-want +got):\n%s", diff(second, got))
		}
		if failed.Step != 2 || failed.Result != "fail" {
			t.Errorf("the failed migration is at step %d with result %q, want 2 and fail", failed.Step, failed.Result)
		}
	})

	t.Run("Busy", func(t *testing.T) {
		// What the appliance's previous migration did decides whether a new
		// one may start.
		tests := []struct {
			name     string
			previous func(t *testing.T, s Store, m appliances.Migration)
			busy     bool
		}{
			{"running", func(*testing.T, Store, appliances.Migration) {}, true},
			{"leased by a runner", func(t *testing.T, s Store, m appliances.Migration) {
				mustStep(t, s, stepOn(m, base.Add(3*time.Second), "runner", base.Add(time.Hour)))
			}, true},
			{"awaiting the appliance", func(t *testing.T, s Store, m appliances.Migration) {
				mustStep(t, s, appliances.Advance{From: m, Next: withStep(m, 4, base.Add(9*time.Second), func(n *appliances.Migration) { n.Awaiting = true })})
			}, true},
			{"failed", func(t *testing.T, s Store, m appliances.Migration) {
				mustStep(t, s, stepOn(m, base.Add(3*time.Second), "runner", base.Add(time.Hour)), failAt)
			}, false},
			{"succeeded", func(t *testing.T, s Store, m appliances.Migration) {
				finishMigration(t, s, m, "runner")
			}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := open(t)
				putAppliances(t, s, sampleAppliance(8), sampleAppliance(2))
				m := upgradeOf(sampleAppliance(8), base)
				m.ID = startMigration(t, s, m)
				tt.previous(t, s, m)
				// The operator injects a failure for the next migration.
				if err := s.SetFailure(ctx, 8, 4, "restart timed out"); err != nil {
					t.Fatalf("SetFailure: %v", err)
				}
				before, prev := appliance(t, s, 8), latestMigration(t, s, 8)

				next := upgradeOf(before, base.Add(time.Hour))
				next.FailStep, next.FailMessage = 4, "restart timed out"
				id, err := s.StartMigration(ctx, next)
				if tt.busy {
					if !errors.Is(err, appliances.ErrBusy) {
						t.Fatalf("StartMigration beside a %s migration = %d, %v; want ErrBusy", tt.name, id, err)
					}
					// Nothing changed: the failure injection waits for the
					// next migration, and the latest is still the old one.
					if got := appliance(t, s, 8); diff(before, got) != "" {
						t.Errorf("the refused start changed the appliance (-want +got):\n%s", diff(before, got))
					}
					if got := latestMigration(t, s, 8); diff(prev, got) != "" {
						t.Errorf("the refused start changed the latest migration (-want +got):\n%s", diff(prev, got))
					}
				} else {
					if err != nil {
						t.Fatalf("StartMigration after a %s migration: %v", tt.name, err)
					}
					if id <= prev.ID {
						t.Errorf("StartMigration = ID %d, want more than %d", id, prev.ID)
					}
					next.ID = id
					if got := latestMigration(t, s, 8); diff(next, got) != "" {
						t.Errorf("LatestMigration (-want +got):\n%s", diff(next, got))
					}
					// The new migration took the failure injection along.
					want := before
					want.FailStep, want.FailMessage = 0, ""
					if got := appliance(t, s, 8); diff(want, got) != "" {
						t.Errorf("appliance after the start (-want +got):\n%s", diff(want, got))
					}
				}
				// A migration on another appliance is never held up.
				if _, err := s.StartMigration(ctx, upgradeOf(sampleAppliance(2), base)); err != nil {
					t.Errorf("StartMigration on another appliance: %v", err)
				}
			})
		}
	})

	t.Run("StartClearsFailure", func(t *testing.T) {
		s := open(t)
		a8, a2 := sampleAppliance(8), sampleAppliance(2)
		a8.FailStep, a8.FailMessage, a8.Agent, a8.LastCheckIn = 3, "package signature verification failed", true, base
		a2.FailStep, a2.FailMessage = 2, "download refused"
		putAppliances(t, s, a8, a2)
		// The migration carries the injection; the appliance loses it in
		// the same transaction, so the one after runs clean.
		m := upgradeOf(a8, base.Add(time.Second))
		m.FailStep, m.FailMessage = a8.FailStep, a8.FailMessage
		m.ID = startMigration(t, s, m)
		want := a8
		want.FailStep, want.FailMessage = 0, ""
		if got := appliance(t, s, 8); diff(want, got) != "" {
			t.Errorf("appliance after StartMigration (-want +got):\n%s", diff(want, got))
		}
		if got := latestMigration(t, s, 8); diff(m, got) != "" {
			t.Errorf("LatestMigration (-want +got):\n%s", diff(m, got))
		}
		if got := appliance(t, s, 2); diff(a2, got) != "" {
			t.Errorf("another appliance's injection changed (-want +got):\n%s", diff(a2, got))
		}
	})

	t.Run("StartUnknownAppliance", func(t *testing.T) {
		s := open(t)
		putAppliances(t, s, sampleAppliance(8))
		m := upgradeOf(sampleAppliance(999), base)
		if id, err := s.StartMigration(ctx, m); !errors.Is(err, appliances.ErrNotFound) {
			t.Errorf("StartMigration of a missing appliance = %d, %v; want ErrNotFound", id, err)
		}
		if got, err := s.LatestMigration(ctx, 999); !errors.Is(err, appliances.ErrNoMigration) {
			t.Errorf("LatestMigration after the refused start = %+v, %v; want ErrNoMigration", got, err)
		}
		// The store is still usable.
		startMigration(t, s, upgradeOf(sampleAppliance(8), base))
	})

	t.Run("ConcurrentStarts", func(t *testing.T) {
		s := open(t)
		putAppliances(t, s, sampleAppliance(8))
		ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		type result struct {
			id  int64
			err error
		}
		results := make(chan result, writers)
		ready := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-ready
				m := upgradeOf(sampleAppliance(8), base.Add(time.Duration(w)*time.Millisecond))
				id, err := s.StartMigration(ctx, m)
				results <- result{id, err}
			})
		}
		close(ready)
		wg.Wait()
		close(results)
		var started []int64
		for r := range results {
			switch {
			case r.err == nil:
				started = append(started, r.id)
			case !errors.Is(r.err, appliances.ErrBusy):
				t.Errorf("StartMigration: %v, want success or ErrBusy", r.err)
			}
		}
		if len(started) != 1 {
			t.Fatalf("%d of %d concurrent StartMigration calls succeeded (IDs %v), want exactly 1", len(started), writers, started)
		}
		if got := latestMigration(t, s, 8); got.ID != started[0] {
			t.Errorf("LatestMigration = ID %d, want the one started, %d", got.ID, started[0])
		}
	})

	t.Run("Advance", func(t *testing.T) { testAdvance(t, open) })
}

// testAdvance covers AdvanceMigrations: the compare-and-swap on the step
// and the lease, the appliance's version on a successful finish, and the
// batch as one transaction.
func testAdvance(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	t1 := base.Add(3 * time.Second)

	// Each case starts an upgrade of appliance 8 at base (step 1, no
	// lease) and lets prior, someone else, write first. Then runner owner
	// advances it by one step at at, holding the lease for a minute, from
	// the migration as it is now or, when stale, as it was before prior;
	// edit changes that step.
	tests := []struct {
		name    string
		prior   func(t *testing.T, s Store, m appliances.Migration)
		stale   bool
		owner   string
		at      time.Time
		edit    func(*appliances.Advance)
		applied bool
	}{
		{name: "free lease", owner: "a", at: t1, applied: true},
		{name: "without a lease", owner: "", at: t1, applied: true},
		{name: "own lease", prior: leaseTo("a", t1, t1.Add(time.Minute)), owner: "a", at: t1.Add(3 * time.Second), applied: true},
		{name: "own lease, lapsed", prior: leaseTo("a", t1, t1.Add(time.Second)), owner: "a", at: t1.Add(time.Hour), applied: true},
		{name: "another's lease", prior: leaseTo("b", t1, t1.Add(time.Minute)), owner: "a", at: t1.Add(3 * time.Second)},
		{name: "another's lease, lapsed", prior: leaseTo("b", t1, t1.Add(time.Minute)), owner: "a", at: t1.Add(2 * time.Minute), applied: true},
		// b's lease has lapsed: only the step stops a.
		{name: "stale step", prior: leaseTo("b", t1, t1), stale: true, owner: "a", at: t1.Add(time.Hour)},
		{name: "failed at the same step", prior: failedAt(t1), stale: true, owner: "a", at: t1.Add(time.Hour)},
		{name: "to a failure", owner: "a", at: t1.Add(123_456 * time.Nanosecond), edit: failAt, applied: true},
		{name: "to an awaited step", owner: "a", at: t1, edit: func(adv *appliances.Advance) {
			adv.Next = withStep(adv.Next, 4, adv.Next.StepAt, func(n *appliances.Migration) { n.Awaiting = true })
		}, applied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			a := sampleAppliance(8)
			putAppliances(t, s, a)
			m := upgradeOf(a, base)
			m.ID = startMigration(t, s, m)
			if tt.prior != nil {
				tt.prior(t, s, m)
			}
			now := latestMigration(t, s, 8)
			from := now
			if tt.stale {
				from = m
			}
			var until time.Time
			if tt.owner != "" {
				until = tt.at.Add(time.Minute)
			}
			adv := stepOn(from, tt.at, tt.owner, until)
			if tt.edit != nil {
				tt.edit(&adv)
			}
			n, err := s.AdvanceMigrations(ctx, []appliances.Advance{adv})
			if err != nil {
				t.Fatalf("AdvanceMigrations: %v", err)
			}
			want, wantN := now, 0
			if tt.applied {
				want, wantN = inMillis(adv.Next), 1
			}
			if n != wantN {
				t.Errorf("AdvanceMigrations = %d applied, want %d", n, wantN)
			}
			if got := latestMigration(t, s, 8); diff(want, got) != "" {
				t.Errorf("migration after AdvanceMigrations (-want +got):\n%s", diff(want, got))
			}
			if got := appliance(t, s, 8); diff(a, got) != "" {
				t.Errorf("a step that does not finish changed the appliance (-want +got):\n%s", diff(a, got))
			}
		})
	}

	t.Run("FinishSetsVersion", func(t *testing.T) {
		s := open(t)
		a, other := sampleAppliance(8), sampleAppliance(2)
		a.Agent, a.LastCheckIn = true, base
		putAppliances(t, s, a, other)
		m := upgradeOf(a, base)
		m.ID = startMigration(t, s, m)
		// A failure injected for the next migration meanwhile stays.
		a.FailStep, a.FailMessage = 4, "injected since"
		if err := s.SetFailure(ctx, 8, a.FailStep, a.FailMessage); err != nil {
			t.Fatalf("SetFailure: %v", err)
		}
		// The runner reaches the last but one step; the appliance has not
		// moved yet.
		for range len(appliances.Steps[appliances.Upgrade]) - 2 {
			m = mustStep(t, s, stepOn(m, m.StepAt.Add(3*time.Second), "runner", m.StepAt.Add(time.Minute)))
		}
		if got := appliance(t, s, 8); got.Version != tosOld {
			t.Fatalf("appliance version before the finish = %s, want %s", got.Version, tosOld)
		}
		finish := stepOn(m, m.StepAt.Add(3*time.Second), "runner", m.StepAt.Add(time.Minute))
		if finish.SetVersion == nil || !finish.Next.Done() {
			t.Fatalf("the suite's last step %+v is not a finish", finish)
		}
		// The same finish from a stale step is skipped, version and all.
		stale := finish
		stale.From.Step--
		if n, err := s.AdvanceMigrations(ctx, []appliances.Advance{stale}); err != nil || n != 0 {
			t.Errorf("AdvanceMigrations of a finish from a stale step = %d, %v; want 0 applied", n, err)
		}
		if got := appliance(t, s, 8); diff(a, got) != "" {
			t.Errorf("the skipped finish changed the appliance (-want +got):\n%s", diff(a, got))
		}
		if got := latestMigration(t, s, 8); diff(m, got) != "" {
			t.Errorf("the skipped finish changed the migration (-want +got):\n%s", diff(m, got))
		}
		if n, err := s.AdvanceMigrations(ctx, []appliances.Advance{finish}); err != nil || n != 1 {
			t.Fatalf("AdvanceMigrations of the finish = %d, %v; want 1 applied", n, err)
		}
		// Only the version and the rollback target change.
		want := a
		want.Version, want.Previous = tosNew, tosOld
		if got := appliance(t, s, 8); diff(want, got) != "" {
			t.Errorf("appliance after the finish (-want +got):\n%s", diff(want, got))
		}
		if got := latestMigration(t, s, 8); diff(inMillis(finish.Next), got) != "" {
			t.Errorf("migration after the finish (-want +got):\n%s", diff(inMillis(finish.Next), got))
		}
		if got := appliance(t, s, 2); diff(other, got) != "" {
			t.Errorf("another appliance changed (-want +got):\n%s", diff(other, got))
		}
		// Replaying the finish changes nothing.
		if n, err := s.AdvanceMigrations(ctx, []appliances.Advance{finish}); err != nil || n != 0 {
			t.Errorf("AdvanceMigrations of the finish again = %d, %v; want 0 applied", n, err)
		}
	})

	t.Run("ReportAppliesOnce", func(t *testing.T) {
		// An appliance's report moves an awaited step on without changing
		// the step number: a second, identical report is stale.
		s := open(t)
		putAppliances(t, s, sampleAppliance(8))
		m := upgradeOf(sampleAppliance(8), base)
		m.Managed, m.Step, m.State, m.Message, m.Awaiting = true, 4, "upgrading", "installing package", true
		m.ID = startMigration(t, s, m)
		done := m
		done.Awaiting, done.StepAt = false, base.Add(time.Minute)
		report := appliances.Advance{From: m, Next: done}
		for i, want := range []int{1, 0} {
			if n, err := s.AdvanceMigrations(ctx, []appliances.Advance{report}); err != nil || n != want {
				t.Errorf("report %d: AdvanceMigrations = %d, %v; want %d applied", i+1, n, err, want)
			}
		}
		if got := latestMigration(t, s, 8); diff(done, got) != "" {
			t.Errorf("migration after the reports (-want +got):\n%s", diff(done, got))
		}
	})

	t.Run("Batch", func(t *testing.T) {
		s := open(t)
		var ms []appliances.Migration
		for id := int64(1); id <= 4; id++ {
			a := sampleAppliance(id)
			putAppliances(t, s, a)
			m := upgradeOf(a, base)
			m.ID = startMigration(t, s, m)
			ms = append(ms, m)
		}
		// Migration 3 reaches its last but one step, so that the batch
		// finishes it.
		for range len(appliances.Steps[appliances.Upgrade]) - 2 {
			ms[2] = mustStep(t, s, stepOn(ms[2], base, "a", base.Add(time.Hour)))
		}
		// Someone else moves migration 2 on, and leases migration 4.
		taken := mustStep(t, s, stepOn(ms[1], base, "b", base.Add(time.Hour)))
		leased := mustStep(t, s, appliances.Advance{From: ms[3], Next: withStep(ms[3], 1, base, func(n *appliances.Migration) {
			n.LeaseOwner, n.LeaseUntil = "b", base.Add(time.Hour)
		})})

		at := base.Add(3 * time.Second)
		batch := []appliances.Advance{
			stepOn(ms[0], at, "a", at.Add(time.Minute)),
			stepOn(ms[1], at, "a", at.Add(time.Minute)), // stale: b took it
			stepOn(ms[2], at, "a", at.Add(time.Minute)), // the finish
			stepOn(ms[3], at, "a", at.Add(time.Minute)), // b's lease
		}
		n, err := s.AdvanceMigrations(ctx, batch)
		if err != nil {
			t.Fatalf("AdvanceMigrations: %v", err)
		}
		if n != 2 {
			t.Errorf("AdvanceMigrations = %d applied, want 2", n)
		}
		want := []appliances.Migration{inMillis(batch[0].Next), taken, inMillis(batch[2].Next), leased}
		for i, w := range want {
			if got := latestMigration(t, s, w.ApplianceID); diff(w, got) != "" {
				t.Errorf("migration %d after the batch (-want +got):\n%s", i+1, diff(w, got))
			}
		}
		for id := int64(1); id <= 4; id++ {
			wantVersion := tosOld
			if id == 3 {
				wantVersion = tosNew
			}
			if got := appliance(t, s, id); got.Version != wantVersion {
				t.Errorf("appliance %d runs %s after the batch, want %s", id, got.Version, wantVersion)
			}
		}

		if n, err := s.AdvanceMigrations(ctx, nil); err != nil || n != 0 {
			t.Errorf("AdvanceMigrations of no steps = %d, %v; want 0", n, err)
		}
	})

	t.Run("BatchIsOneTransaction", func(t *testing.T) {
		s := open(t)
		putAppliances(t, s, sampleAppliance(1), sampleAppliance(2))
		m1 := upgradeOf(sampleAppliance(1), base)
		m1.ID = startMigration(t, s, m1)
		m2 := upgradeOf(sampleAppliance(2), base)
		m2.ID = startMigration(t, s, m2)
		for range len(appliances.Steps[appliances.Upgrade]) - 2 {
			m2 = mustStep(t, s, stepOn(m2, base, "a", base.Add(time.Hour)))
		}
		// The second step is a finish whose version change names a missing
		// appliance: the batch fails, and the first step, already written
		// in the same transaction, is undone with it.
		bad := stepOn(m2, base.Add(3*time.Second), "a", base.Add(time.Hour))
		bad.SetVersion.ID = 999
		batch := []appliances.Advance{stepOn(m1, base.Add(3*time.Second), "a", base.Add(time.Hour)), bad}
		if n, err := s.AdvanceMigrations(ctx, batch); !errors.Is(err, appliances.ErrNotFound) {
			t.Errorf("AdvanceMigrations with a missing appliance = %d, %v; want ErrNotFound", n, err)
		}
		for _, m := range []appliances.Migration{m1, m2} {
			if got := latestMigration(t, s, m.ApplianceID); diff(m, got) != "" {
				t.Errorf("migration of appliance %d after the failed batch (-want +got):\n%s", m.ApplianceID, diff(m, got))
			}
		}
		// The store is still usable, and the same steps apply on their own.
		if n, err := s.AdvanceMigrations(ctx, batch[:1]); err != nil || n != 1 {
			t.Errorf("AdvanceMigrations after the failed batch = %d, %v; want 1 applied", n, err)
		}
	})
}

// testMigrationLeases covers DueMigrations (what is due, for which runner,
// in which order) and runners sharing migrations through leases and the
// step compare-and-swap.
func testMigrationLeases(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("Due", func(t *testing.T) {
		s := open(t)
		now := base.Add(time.Hour)
		due := now.Add(-3 * time.Second)
		// Migration i belongs to appliance i+1. Their steps began out of
		// ID order, so that the order by step time shows.
		specs := []struct {
			name     string
			stepAt   time.Time
			owner    string
			until    time.Time
			result   string
			awaiting bool
		}{
			{name: "0 free", stepAt: base.Add(40 * time.Second)},
			{name: "1 finished", stepAt: base, owner: "a", until: now.Add(time.Hour), result: "success"},
			{name: "2 failed", stepAt: base, result: "fail"},
			{name: "3 awaiting", stepAt: base, awaiting: true},
			{name: "4 at due", stepAt: due},
			{name: "5 after due", stepAt: due.Add(time.Millisecond)},
			{name: "6 held by b", stepAt: base.Add(10 * time.Second), owner: "b", until: now.Add(time.Minute)},
			{name: "7 b's lapsed", stepAt: base.Add(20 * time.Second), owner: "b", until: now.Add(-time.Second)},
			{name: "8 held by a", stepAt: base.Add(30 * time.Second), owner: "a", until: now.Add(time.Minute)},
			{name: "9 free, tied", stepAt: base.Add(40 * time.Second)},
			{name: "10 free, earliest", stepAt: base.Add(-time.Hour)},
		}
		ms := make([]appliances.Migration, len(specs))
		for i, sp := range specs {
			a := sampleAppliance(int64(i + 1))
			putAppliances(t, s, a)
			m := upgradeOf(a, sp.stepAt)
			m.ID = startMigration(t, s, m)
			if sp.owner != "" || sp.result != "" || sp.awaiting {
				m = mustStep(t, s, appliances.Advance{From: m, Next: withStep(m, 2, sp.stepAt, func(n *appliances.Migration) {
					n.LeaseOwner, n.LeaseUntil, n.Result, n.Awaiting = sp.owner, sp.until, sp.result, sp.awaiting
					if sp.result != "" {
						n.Finished = sp.stepAt
					}
				})})
			}
			ms[i] = m
		}

		tests := []struct {
			name     string
			due, now time.Time
			owner    string
			limit    int
			want     []int
		}{
			{"runner a", due, now, "a", 100, []int{10, 7, 8, 0, 9, 4}},
			{"runner b", due, now, "b", 100, []int{10, 6, 7, 0, 9, 4}},
			{"another runner", due, now, "c", 100, []int{10, 7, 0, 9, 4}},
			{"limit", due, now, "a", 3, []int{10, 7, 8}},
			{"limit one", due, now, "c", 1, []int{10}},
			{"earlier due", base.Add(20 * time.Second), now, "b", 100, []int{10, 6, 7}},
			{"before anything", base.Add(-2 * time.Hour), now, "a", 100, nil},
			{"leases lapse later", now, now.Add(2 * time.Minute), "c", 100, []int{10, 6, 7, 8, 0, 9, 4, 5}},
			{"lease not yet lapsed earlier", due, now.Add(-2 * time.Second), "c", 100, []int{10, 0, 9, 4}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.DueMigrations(ctx, tt.due, tt.now, tt.owner, tt.limit)
				if err != nil {
					t.Fatalf("DueMigrations: %v", err)
				}
				var want []appliances.Migration
				for _, i := range tt.want {
					want = append(want, ms[i])
				}
				if d := diff(want, got); d != "" {
					t.Errorf("DueMigrations(due %v, now %v, %q, %d) (-want +got):\n%s", tt.due, tt.now, tt.owner, tt.limit, d)
				}
			})
		}
	})

	t.Run("Runners", func(t *testing.T) {
		tests := []struct {
			name string
			// lease is how long a runner's lease lasts past its step: a
			// negative one has lapsed as it is written, so every runner may
			// take every step and only the compare-and-swap decides.
			lease time.Duration
			batch int
		}{
			{"leases held", time.Hour, 5},
			{"leases lapsed", -time.Millisecond, 5},
			{"leases lapsed, one step a batch", -time.Millisecond, 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { testRunners(t, open, tt.lease, tt.batch) })
		}
	})
}

// testRunners runs several runners, each under its own owner name, over
// the same migrations: each reads what is due to it and advances it by one
// step, until nothing is due. Every step of every migration must be
// applied exactly once: the counts the runners were told add up to the
// steps there are, and every migration ends at its finish. With leases
// held, a migration stays with the runner that took its first step.
func testRunners(t *testing.T, open func(t *testing.T) Store, lease time.Duration, batch int) {
	const (
		migrations = 24
		runners    = 4
	)
	s := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for id := int64(1); id <= migrations; id++ {
		a := sampleAppliance(id)
		putAppliances(t, s, a)
		startMigration(t, s, upgradeOf(a, base))
	}
	perMigration := len(appliances.Steps[appliances.Upgrade]) - 1
	total := migrations * perMigration
	// A round that applies nothing lost every step to a step another
	// runner applied after this one's read, so a correct store needs at
	// most twice as many rounds as there are steps; the bound is generous.
	maxRounds := 4*total + 10
	// The clock stands still: every step is due at once again, so the
	// runners keep meeting on the same rows.
	now := base.Add(time.Hour)

	applied := make([]int, runners)
	errs := make(chan error, runners)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for r := range runners {
		owner := fmt.Sprintf("runner-%d", r)
		wg.Go(func() {
			<-ready
			for round := range maxRounds + 1 {
				if round == maxRounds {
					errs <- fmt.Errorf("%s: migrations still due after %d rounds", owner, maxRounds)
					return
				}
				due, err := s.DueMigrations(ctx, now, now, owner, batch)
				if err != nil {
					errs <- fmt.Errorf("%s: DueMigrations: %w", owner, err)
					return
				}
				if len(due) == 0 {
					return
				}
				steps := make([]appliances.Advance, len(due))
				for i, m := range due {
					steps[i] = stepOn(m, now, owner, now.Add(lease))
				}
				n, err := s.AdvanceMigrations(ctx, steps)
				if err != nil {
					errs <- fmt.Errorf("%s: AdvanceMigrations: %w", owner, err)
					return
				}
				if n < 0 || n > len(steps) {
					errs <- fmt.Errorf("%s: AdvanceMigrations of %d steps = %d applied", owner, len(steps), n)
					return
				}
				applied[r] += n
			}
		})
	}
	close(ready)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	sum := 0
	for _, n := range applied {
		sum += n
	}
	if sum != total {
		t.Errorf("the runners applied %d steps in all (%v by runner), want %d: each of %d migrations has %d", sum, applied, total, migrations, perMigration)
	}
	owned := map[string]int{}
	for id := int64(1); id <= migrations; id++ {
		m := latestMigration(t, s, id)
		if m.Step != m.TotalSteps || m.Result != "success" || !m.Finished.Equal(now) {
			t.Errorf("migration of appliance %d ended at step %d of %d, result %q, finished %v; want the finish at %v",
				id, m.Step, m.TotalSteps, m.Result, m.Finished, now)
		}
		owned[m.LeaseOwner]++
		if a := appliance(t, s, id); a.Version != tosNew || a.Previous != tosOld {
			t.Errorf("appliance %d runs %q (previous %q), want %q (previous %q)", id, a.Version, a.Previous, tosNew, tosOld)
		}
	}
	if lease > 0 {
		// Nobody took a step of a migration another runner held, so each
		// runner applied every step of the migrations it ended up with.
		for r, n := range applied {
			owner := fmt.Sprintf("runner-%d", r)
			if want := owned[owner] * perMigration; n != want {
				t.Errorf("%s applied %d steps, want %d: all %d steps of the %d migrations it holds", owner, n, want, perMigration, owned[owner])
			}
		}
	}
}

// sampleAppliance returns an appliance on tosOld with every descriptive
// field set from its ID.
func sampleAppliance(id int64) appliances.Appliance {
	return appliances.Appliance{ID: id, InstanceID: fmt.Sprintf("i-%017x", id), HostName: fmt.Sprintf("ips-%d", id),
		Provider: "AWS", Version: tosOld, DVVersion: "4.0.0.9170"}
}

// upgradeOf is the first step of an upgrade of a to tosNew, begun at at, as
// appliances.Service starts one.
func upgradeOf(a appliances.Appliance, at time.Time) appliances.Migration {
	steps := appliances.Steps[appliances.Upgrade]
	return appliances.Migration{ApplianceID: a.ID, Action: appliances.Upgrade, From: a.Version, To: tosNew, Step: 1,
		TotalSteps: len(steps), State: steps[0].State, Message: steps[0].Message, StepAt: at, Managed: a.Agent}
}

// stepOn is the advance of m by one step, reached at at by owner holding
// its lease until until. The last step finishes m with success and moves
// the appliance to m.To, as a runner does.
func stepOn(m appliances.Migration, at time.Time, owner string, until time.Time) appliances.Advance {
	steps := appliances.Steps[m.Action]
	adv := appliances.Advance{From: m, Next: withStep(m, m.Step+1, at, func(n *appliances.Migration) {
		n.LeaseOwner, n.LeaseUntil = owner, until
	})}
	if adv.Next.Step == len(steps) {
		adv.Next.Result, adv.Next.Finished = "success", at
		adv.SetVersion = &appliances.Appliance{ID: m.ApplianceID, Version: m.To, Previous: m.From}
	}
	return adv
}

// withStep is m at step, reached at at, with that step's state and
// message, then changed by edit.
func withStep(m appliances.Migration, step int, at time.Time, edit func(n *appliances.Migration)) appliances.Migration {
	n := m
	n.Step, n.StepAt = step, at
	if steps := appliances.Steps[m.Action]; step >= 1 && step <= len(steps) {
		n.State, n.Message = steps[step-1].State, steps[step-1].Message
	}
	edit(&n)
	return n
}

// failAt turns an advance into a failure at the step it reaches, as the
// failure injection does: the migration finishes with "fail" and the
// appliance keeps its version.
func failAt(adv *appliances.Advance) {
	adv.Next.State, adv.Next.Result, adv.Next.Finished = "finish", "fail", adv.Next.StepAt
	adv.Next.Message = fmt.Sprintf("upgrade failed at step %d: injected failure; the appliance stays on %s", adv.Next.Step, adv.From.From)
	adv.SetVersion = nil
}

// leaseTo returns a prior write in which owner advances a migration by one
// step at at, holding its lease until until.
func leaseTo(owner string, at, until time.Time) func(t *testing.T, s Store, m appliances.Migration) {
	return func(t *testing.T, s Store, m appliances.Migration) {
		t.Helper()
		mustStep(t, s, stepOn(m, at, owner, until))
	}
}

// failedAt returns a prior write in which the appliance reports, at at,
// that the step the migration is at failed: the step stays, the
// migration finishes with "fail".
func failedAt(at time.Time) func(t *testing.T, s Store, m appliances.Migration) {
	return func(t *testing.T, s Store, m appliances.Migration) {
		t.Helper()
		mustStep(t, s, appliances.Advance{From: m, Next: withStep(m, m.Step, at, func(n *appliances.Migration) {
			n.State, n.Result, n.Message, n.Finished = "finish", "fail", "the appliance reported a failure", at
		})})
	}
}

// finishMigration advances m to its successful finish as owner.
func finishMigration(t *testing.T, s Store, m appliances.Migration, owner string) appliances.Migration {
	t.Helper()
	for !m.Done() {
		m = mustStep(t, s, stepOn(m, m.StepAt.Add(3*time.Second), owner, m.StepAt.Add(time.Minute)))
	}
	return m
}

// mustStep applies adv, changed by each edit, and fails t unless it is
// applied; it returns the migration as the store now holds it.
func mustStep(t *testing.T, s Store, adv appliances.Advance, edits ...func(*appliances.Advance)) appliances.Migration {
	t.Helper()
	for _, edit := range edits {
		edit(&adv)
	}
	n, err := s.AdvanceMigrations(context.Background(), []appliances.Advance{adv})
	if err != nil {
		t.Fatalf("AdvanceMigrations(%d: step %d to %d): %v", adv.From.ID, adv.From.Step, adv.Next.Step, err)
	}
	if n != 1 {
		t.Fatalf("AdvanceMigrations(%d: step %d to %d) = %d applied, want 1", adv.From.ID, adv.From.Step, adv.Next.Step, n)
	}
	got := latestMigration(t, s, adv.From.ApplianceID)
	if d := diff(inMillis(adv.Next), got); d != "" {
		t.Fatalf("migration after AdvanceMigrations (-want +got):\n%s", d)
	}
	return got
}

// inMillis is m as a store keeps it: times to the millisecond.
func inMillis(m appliances.Migration) appliances.Migration {
	m.StepAt, m.Finished, m.LeaseUntil = m.StepAt.Truncate(time.Millisecond), m.Finished.Truncate(time.Millisecond), m.LeaseUntil.Truncate(time.Millisecond)
	return m
}

// putAppliances inserts each appliance, failing t on an error.
func putAppliances(t *testing.T, s Store, list ...appliances.Appliance) {
	t.Helper()
	for _, a := range list {
		if err := s.InsertAppliance(context.Background(), a); err != nil {
			t.Fatalf("InsertAppliance(%d): %v", a.ID, err)
		}
	}
}

// appliance reads appliance id, failing t on an error.
func appliance(t *testing.T, s Store, id int64) appliances.Appliance {
	t.Helper()
	a, err := s.Appliance(context.Background(), id)
	if err != nil {
		t.Fatalf("Appliance(%d): %v", id, err)
	}
	return a
}

// startMigration starts m and returns its ID, failing t on an error.
func startMigration(t *testing.T, s Store, m appliances.Migration) int64 {
	t.Helper()
	id, err := s.StartMigration(context.Background(), m)
	if err != nil {
		t.Fatalf("StartMigration(appliance %d): %v", m.ApplianceID, err)
	}
	return id
}

// latestMigration reads the latest migration of an appliance, failing t on
// an error.
func latestMigration(t *testing.T, s Store, applianceID int64) appliances.Migration {
	t.Helper()
	m, err := s.LatestMigration(context.Background(), applianceID)
	if err != nil {
		t.Fatalf("LatestMigration(%d): %v", applianceID, err)
	}
	return m
}

// applianceIDs lists the IDs of appliances, in order.
func applianceIDs(list []appliances.Appliance) []int64 {
	var ids []int64
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return ids
}
