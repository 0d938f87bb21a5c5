package appliances_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

func TestCatalogueUpgradeFor(t *testing.T) {
	three := appliances.Catalogue{"1.0", "1.1", "2.0"}
	for _, c := range []struct {
		name string
		cat  appliances.Catalogue
		from string
		want string
	}{
		{"oldest moves to the newest", three, "1.0", "2.0"},
		{"middle moves to the newest", three, "1.1", "2.0"},
		{"newest has none", three, "2.0", ""},
		{"unknown version has none", three, "0.9", ""},
		{"empty version has none", three, "", ""},
		{"demo 8", catalogue, v1, v2},
		{"demo 2", catalogue, v2, ""},
		{"single version", appliances.Catalogue{"1.0"}, "1.0", ""},
		{"empty catalogue", nil, "1.0", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.cat.UpgradeFor(c.from); got != c.want {
				t.Errorf("%v.UpgradeFor(%q) = %q, want %q", c.cat, c.from, got, c.want)
			}
		})
	}
}

func TestAddRefusals(t *testing.T) {
	f := newFixture(t)
	for _, a := range []appliances.Appliance{
		{ID: 0, InstanceID: "i-1", Version: v1},
		{ID: -1, InstanceID: "i-1", Version: v1},
		{ID: 1, Version: v1},
		{ID: 1, InstanceID: "i-1"},
	} {
		if err := f.svc.Add(f.ctx, a); !errors.Is(err, appliances.ErrInvalid) {
			t.Errorf("Add(%+v) = %v, want ErrInvalid", a, err)
		}
	}
	if all, err := f.svc.List(f.ctx); err != nil || len(all) != 0 {
		t.Errorf("refused adds left %v (%v)", all, err)
	}
}

func TestVersionsOf(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")
	f.add(2, v2, "")
	f.add(3, v2, v1)
	f.add(4, "1999.1.0.1", "")
	for _, c := range []struct {
		id   int64
		want appliances.Versions
	}{
		{1, appliances.Versions{Base: v1, Upgrade: v2}},
		{2, appliances.Versions{Base: v2}},
		{3, appliances.Versions{Base: v2, Rollback: v1}},
		{4, appliances.Versions{Base: "1999.1.0.1"}},
	} {
		if got, err := f.svc.VersionsOf(f.ctx, c.id); err != nil || got != c.want {
			t.Errorf("VersionsOf(%d) = %+v, %v; want %+v", c.id, got, err, c.want)
		}
	}
	if _, err := f.svc.VersionsOf(f.ctx, 99); !errors.Is(err, appliances.ErrNotFound) {
		t.Errorf("VersionsOf(99) = %v, want ErrNotFound", err)
	}
}

func TestStartRecordsMigration(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")
	f.add(3, v2, v1)
	if err := f.svc.InjectFailure(f.ctx, 1, 3, "boom"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(1234 * time.Millisecond)
	f.start(1, appliances.Upgrade)
	m := f.migration(1)
	want := appliances.Migration{ID: m.ID, ApplianceID: 1, Action: appliances.Upgrade, From: v1, To: v2, Step: 1, TotalSteps: 6,
		State: "start", Message: "starting migration", FailStep: 3, FailMessage: "boom", StepAt: f.clock.Now()}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("upgrade recorded as\n%+v\nwant\n%+v", m, want)
	}
	if a := f.appliance(1); a.FailStep != 0 || a.FailMessage != "" || a.Version != v1 {
		t.Errorf("after the start, appliance 1 = %+v: the injection moves to the migration, the version stays", a)
	}
	f.start(3, appliances.Rollback)
	m = f.migration(3)
	want = appliances.Migration{ID: m.ID, ApplianceID: 3, Action: appliances.Rollback, From: v2, To: v1, Step: 1, TotalSteps: 4,
		State: "start", Message: "starting rollback", StepAt: f.clock.Now()}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("rollback recorded as\n%+v\nwant\n%+v", m, want)
	}
}

func TestStartRefusals(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")           // may upgrade
	f.add(2, v2, "")           // up to date, nothing to roll back to
	f.add(3, v2, v1)           // may roll back
	f.add(4, "1999.1.0.1", "") // not in the catalogue
	f.add(5, v1, "")           // busy with an upgrade
	f.add(6, v2, v1)           // busy with a rollback
	f.start(5, appliances.Upgrade)
	f.start(6, appliances.Rollback)
	for _, id := range []int64{1, 2, 3, 4, 5, 6} {
		if err := f.svc.InjectFailure(f.ctx, id, 4, "kept"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		id     int64
		action appliances.Action
		want   error
	}{
		{"unknown appliance upgrade", 99, appliances.Upgrade, appliances.ErrNotFound},
		{"unknown appliance rollback", 99, appliances.Rollback, appliances.ErrNotFound},
		{"bad action", 1, "sideways", appliances.ErrInvalid},
		{"empty action", 1, "", appliances.ErrInvalid},
		{"upper-case action", 1, "UPGRADE", appliances.ErrInvalid},
		{"up to date", 2, appliances.Upgrade, appliances.ErrNoUpgrade},
		{"nothing to roll back to", 2, appliances.Rollback, appliances.ErrNoRollback},
		{"never upgraded", 1, appliances.Rollback, appliances.ErrNoRollback},
		{"upgraded, no newer", 3, appliances.Upgrade, appliances.ErrNoUpgrade},
		{"version not in the catalogue", 4, appliances.Upgrade, appliances.ErrNoUpgrade},
		{"busy upgrading", 5, appliances.Upgrade, appliances.ErrBusy},
		{"busy rolling back", 6, appliances.Rollback, appliances.ErrBusy},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, beforeErr := f.store.LatestMigration(f.ctx, c.id)
			beforeA, _ := f.store.Appliance(f.ctx, c.id)
			err := f.svc.Start(f.ctx, c.id, c.action)
			if !errors.Is(err, c.want) {
				t.Fatalf("Start(%d, %q) = %v, want %v", c.id, c.action, err, c.want)
			}
			after, afterErr := f.store.LatestMigration(f.ctx, c.id)
			if !reflect.DeepEqual(before, after) || !errors.Is(afterErr, beforeErr) {
				t.Errorf("a refused start changed the latest migration: %+v (%v) -> %+v (%v)", before, beforeErr, after, afterErr)
			}
			if afterA, _ := f.store.Appliance(f.ctx, c.id); !reflect.DeepEqual(beforeA, afterA) {
				t.Errorf("a refused start changed the appliance (the injection must stay): %+v -> %+v", beforeA, afterA)
			}
		})
	}
	for _, id := range []int64{1, 2, 3, 4} {
		f.noMigration(id)
	}
}

func TestInjectFailureValidation(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")
	for _, c := range []struct {
		step int
		want error
	}{
		{-1, appliances.ErrInvalid},
		{1, appliances.ErrInvalid}, // reached at the start: cannot fail
		{2, nil},
		{5, nil},
		{6, appliances.ErrInvalid}, // the successful finish: cannot fail
		{7, appliances.ErrInvalid},
		{0, nil},
	} {
		err := f.svc.InjectFailure(f.ctx, 1, c.step, "why")
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("InjectFailure(step %d) = %v, want %v", c.step, err, c.want)
		}
	}
	if a := f.appliance(1); a.FailStep != 0 {
		t.Errorf("step 0 did not clear the injection: %+v", a)
	}
	if err := f.svc.InjectFailure(f.ctx, 99, 3, "x"); !errors.Is(err, appliances.ErrNotFound) {
		t.Errorf("InjectFailure(99) = %v, want ErrNotFound", err)
	}
}

// TestTickWalksEverySteps: each step time, one step, through the action's
// steps in order, then success and the appliance's new versions.
func TestTickWalksEverySteps(t *testing.T) {
	for _, c := range []struct {
		action                appliances.Action
		version, previous     string
		wantVersion, wantPrev string
	}{
		{appliances.Upgrade, v1, "", v2, v1},
		{appliances.Rollback, v2, v1, v1, ""},
	} {
		t.Run(string(c.action), func(t *testing.T) {
			f := newFixture(t)
			f.add(1, c.version, c.previous)
			f.start(1, c.action)
			steps := appliances.Steps[c.action]
			for i := 2; i <= len(steps); i++ {
				if a := f.appliance(1); a.Version != c.version {
					t.Fatalf("at step %d the appliance already runs %q", i-1, a.Version)
				}
				f.clock.Advance(stepTime)
				if n := f.tick("r", time.Minute); n != 1 {
					t.Fatalf("tick to step %d moved %d", i, n)
				}
				m := f.migration(1)
				want := appliances.Migration{ID: m.ID, ApplianceID: 1, Action: c.action, From: c.version, To: c.wantVersion, Step: i,
					TotalSteps: len(steps), State: steps[i-1].State, Message: steps[i-1].Message, StepAt: f.clock.Now(),
					LeaseOwner: "r", LeaseUntil: f.clock.Now().Add(time.Minute)}
				if i == len(steps) {
					want.Result, want.Finished = "success", f.clock.Now()
				}
				if !reflect.DeepEqual(m, want) {
					t.Fatalf("step %d:\n got %+v\nwant %+v", i, m, want)
				}
			}
			if a := f.appliance(1); a.Version != c.wantVersion || a.Previous != c.wantPrev {
				t.Errorf("after the %s: version %q previous %q, want %q %q", c.action, a.Version, a.Previous, c.wantVersion, c.wantPrev)
			}
			// A finished migration is never due again.
			f.clock.Advance(time.Hour)
			if n := f.tick("r", time.Minute); n != 0 {
				t.Errorf("a tick after the finish moved %d", n)
			}
		})
	}
}

func TestTickAdvancesOnlyDueMigrations(t *testing.T) {
	type tick struct {
		advance   time.Duration
		wantMoved int
		wantSteps []int // of appliances 1, 2, 3
	}
	for _, c := range []struct {
		name    string
		startAt []time.Duration // when each of appliances 1, 2, 3 starts, from the clock's origin
		ticks   []tick
	}{
		{"staggered starts", []time.Duration{0, time.Second, 2 * time.Second}, []tick{
			{0, 0, []int{1, 1, 1}},
			{time.Second - time.Millisecond, 0, []int{1, 1, 1}}, // 2.999 s after the first start
			{time.Millisecond, 1, []int{2, 1, 1}},               // exactly one step time
			{0, 0, []int{2, 1, 1}},                              // once per step time
			{time.Second, 1, []int{2, 2, 1}},
			{time.Second, 1, []int{2, 2, 2}},
			{time.Second, 1, []int{3, 2, 2}},
		}},
		{"a long pause moves one step only", []time.Duration{0, 0, time.Second}, []tick{
			{time.Hour, 3, []int{2, 2, 2}},
			{0, 0, []int{2, 2, 2}},
			{time.Hour, 3, []int{3, 3, 3}},
			{stepTime - time.Millisecond, 0, []int{3, 3, 3}},
			{time.Millisecond, 3, []int{4, 4, 4}},
		}},
		{"started later not due", []time.Duration{0, 5 * time.Second, 5 * time.Second}, []tick{
			{0, 1, []int{2, 1, 1}},
			{stepTime, 3, []int{3, 2, 2}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			origin := f.clock.Now()
			for i := range c.startAt {
				f.add(int64(i+1), v1, "")
			}
			for i, at := range c.startAt {
				f.clock.Advance(origin.Add(at).Sub(f.clock.Now()))
				f.start(int64(i+1), appliances.Upgrade)
			}
			for i, tk := range c.ticks {
				f.clock.Advance(tk.advance)
				if n := f.tick("r", time.Minute); n != tk.wantMoved {
					t.Errorf("tick %d: moved %d, want %d", i, n, tk.wantMoved)
				}
				var steps []int
				for id := range c.startAt {
					steps = append(steps, f.migration(int64(id+1)).Step)
				}
				if !reflect.DeepEqual(steps, tk.wantSteps) {
					t.Fatalf("tick %d: steps %v, want %v", i, steps, tk.wantSteps)
				}
			}
		})
	}
}

func TestTickFailure(t *testing.T) {
	for _, c := range []struct {
		name          string
		action        appliances.Action
		failStep      int
		message       string
		wantMessage   []string
		wantTotal     int
		version, prev string
	}{
		{"upgrade at 2", appliances.Upgrade, 2, "mirror unreachable", []string{"mirror unreachable", "step 2", "downloading package", v1}, 6, v1, ""},
		{"upgrade at 3", appliances.Upgrade, 3, "package signature verification failed",
			[]string{"package signature verification failed", "step 3", "verifying package", v1}, 6, v1, ""},
		{"upgrade at 5", appliances.Upgrade, 5, "services did not come back", []string{"services did not come back", "step 5"}, 6, v1, ""},
		{"upgrade without a message", appliances.Upgrade, 4, "", []string{"injected failure", "step 4"}, 6, v1, ""},
		{"rollback at 2", appliances.Rollback, 2, "disk full", []string{"disk full", "step 2", v2}, 4, v2, v1},
		{"rollback at 3", appliances.Rollback, 3, "disk full", []string{"disk full", "step 3", "rollback software"}, 4, v2, v1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.add(1, c.version, c.prev)
			if err := f.svc.InjectFailure(f.ctx, 1, c.failStep, c.message); err != nil {
				t.Fatal(err)
			}
			f.start(1, c.action)
			m := f.run(1)
			if m.Result != "fail" || m.State != "finish" || m.Step != c.failStep || m.TotalSteps != c.wantTotal || !m.Finished.Equal(f.clock.Now()) {
				t.Errorf("failed %s ended as %+v", c.action, m)
			}
			for _, w := range c.wantMessage {
				if !strings.Contains(m.Message, w) {
					t.Errorf("message %q does not mention %q", m.Message, w)
				}
			}
			if a := f.appliance(1); a.Version != c.version || a.Previous != c.prev || a.FailStep != 0 {
				t.Errorf("after a failed %s the appliance is %+v, want still on %q (previous %q), injection consumed", c.action, a, c.version, c.prev)
			}
			// The injection was consumed: the same action now succeeds.
			f.start(1, c.action)
			if m := f.run(1); m.Result != "success" {
				t.Errorf("the retried %s ended as %+v", c.action, m)
			}
		})
	}
}

func TestLatest(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")
	f.add(2, v2, "")
	f.add(3, v2, v1)
	if ms, err := f.svc.Latest(f.ctx, nil); err != nil || len(ms) != 0 {
		t.Fatalf("Latest before any migration = %+v, %v", ms, err)
	}
	f.start(1, appliances.Upgrade)
	f.start(3, appliances.Rollback)
	f.run(1)
	f.start(1, appliances.Rollback)
	for _, c := range []struct {
		ids  []int64
		want []int64
	}{
		{nil, []int64{1, 3}},
		{[]int64{}, []int64{1, 3}},
		{[]int64{3, 1}, []int64{3, 1}},
		{[]int64{2}, nil},
		{[]int64{2, 99, 3}, []int64{3}},
	} {
		ms, err := f.svc.Latest(f.ctx, c.ids)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range ms {
			got = append(got, m.ApplianceID)
			if m.ApplianceID == 1 && (m.Action != appliances.Rollback || m.Step != 1) {
				t.Errorf("latest of 1 is %+v, want the rollback just started", m)
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Latest(%v) appliances %v, want %v", c.ids, got, c.want)
		}
	}
}

// TestLease: a runner's unexpired lease keeps other runners off the
// migration; an expired one lets them take over.
func TestLease(t *testing.T) {
	const lease = time.Minute
	for _, c := range []struct {
		name      string
		after     time.Duration // from a's step
		who       string
		wantMoved int
	}{
		{"b blocked while a's lease runs", stepTime, "b", 0},
		{"b blocked at the lease's last instant", lease, "b", 0},
		{"b takes over an expired lease", lease + time.Millisecond, "b", 1},
		{"a continues under its lease", stepTime, "a", 1},
		{"a continues after its lease expired", 2 * lease, "a", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.add(1, v1, "")
			f.start(1, appliances.Upgrade)
			f.clock.Advance(stepTime)
			if n := f.tick("a", lease); n != 1 {
				t.Fatalf("a's first tick moved %d", n)
			}
			held := f.migration(1)
			if held.LeaseOwner != "a" || !held.LeaseUntil.Equal(f.clock.Now().Add(lease)) {
				t.Fatalf("after a's step the lease is %q until %v", held.LeaseOwner, held.LeaseUntil)
			}
			f.clock.Advance(c.after)
			if n := f.tick(c.who, lease); n != c.wantMoved {
				t.Fatalf("%s's tick moved %d, want %d", c.who, n, c.wantMoved)
			}
			m := f.migration(1)
			if c.wantMoved == 0 {
				if !reflect.DeepEqual(m, held) {
					t.Fatalf("a blocked tick changed the migration: %+v -> %+v", held, m)
				}
				return
			}
			if m.Step != 3 || m.LeaseOwner != c.who || !m.LeaseUntil.Equal(f.clock.Now().Add(lease)) {
				t.Fatalf("after %s's step: %+v", c.who, m)
			}
			// Now the lease is c.who's: the other one is blocked until it expires.
			other := map[string]string{"a": "b", "b": "a"}[c.who]
			f.clock.Advance(stepTime)
			if n := f.tick(other, lease); n != 0 {
				t.Errorf("%s moved a migration %s holds", other, c.who)
			}
			if n := f.tick(c.who, lease); n != 1 {
				t.Errorf("%s could not continue its own migration", c.who)
			}
		})
	}
}

// TestConcurrentRunners: two runners ticking the same store at once, as two
// replicas would, take every step of every migration exactly once.
func TestConcurrentRunners(t *testing.T) {
	const migrations = 20
	for _, c := range []struct {
		name  string
		lease time.Duration
	}{
		{"leases expire at once", 0},
		{"leases outlive a step", 2 * stepTime},
		{"long leases", time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			cs := &countingStore{Store: f.store}
			svc := appliances.NewService(cs, catalogue, stepTime, f.clock.Now)
			for id := int64(1); id <= migrations; id++ {
				f.add(id, v1, "")
				f.start(id, appliances.Upgrade)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			errs := make(chan error, 2)
			start := make(chan struct{})
			for _, owner := range []string{"a", "b"} {
				go func() {
					<-start
					for i := 0; i < 200 && ctx.Err() == nil && cs.finished() < migrations; i++ {
						f.clock.Advance(stepTime / 2)
						if _, err := svc.Tick(ctx, owner, c.lease); err != nil {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			close(start)
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("tick: %v", err)
				}
			}
			byMigration := map[int64][]transition{}
			owners := map[string]int{}
			for _, m := range cs.moves {
				byMigration[m.migration] = append(byMigration[m.migration], m)
				owners[m.owner]++
			}
			t.Logf("%d steps taken: %v; %d stale steps refused", len(cs.moves), owners, cs.lost)
			if cs.miscounted != 0 {
				t.Errorf("%d batches returned a count other than the steps they applied", cs.miscounted)
			}
			if len(byMigration) != migrations {
				t.Fatalf("%d migrations moved, want %d", len(byMigration), migrations)
			}
			for id, ms := range byMigration {
				reached := map[int]int{}
				for _, m := range ms {
					if m.to != m.from+1 {
						t.Errorf("migration %d jumped from step %d to %d", id, m.from, m.to)
					}
					reached[m.to]++
				}
				for s := 2; s <= 6; s++ {
					if reached[s] != 1 {
						t.Errorf("migration %d reached step %d %d times, want once (moves %+v)", id, s, reached[s], ms)
					}
				}
				if len(ms) != 5 {
					t.Errorf("migration %d took %d steps, want 5: %+v", id, len(ms), ms)
				}
			}
			for id := int64(1); id <= migrations; id++ {
				if m := f.migration(id); m.Result != "success" || m.Step != 6 {
					t.Errorf("migration of %d ended as %+v", id, m)
				}
				if a := f.appliance(id); a.Version != v2 || a.Previous != v1 {
					t.Errorf("appliance %d on %q (previous %q)", id, a.Version, a.Previous)
				}
			}
		})
	}
}

// TestResumeAfterRestart: a migration is durable; a new service on the
// reopened store continues it from the persisted step.
func TestResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	ctx := context.Background()
	first := openStore(t, dir)
	svc := appliances.NewService(first, catalogue, stepTime, c.Now)
	if err := svc.Add(ctx, appliances.Appliance{ID: 8, InstanceID: "i-8", Version: v1}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx, 8, appliances.Upgrade); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c.Advance(stepTime)
		if _, err := svc.Tick(ctx, "old", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	f := &fixture{t: t, ctx: ctx, store: openStore(t, dir), clock: c}
	f.svc = appliances.NewService(f.store, catalogue, stepTime, c.Now)
	if m := f.migration(8); m.Step != 3 || m.Done() || m.LeaseOwner != "old" {
		t.Fatalf("after the restart: %+v, want step 3 leased to the old runner", m)
	}
	// The old runner's lease keeps the new one off until it expires.
	c.Advance(stepTime)
	if n := f.tick("new", time.Minute); n != 0 {
		t.Errorf("the new runner took a step under the old runner's lease")
	}
	c.Advance(10 * time.Second)
	if m := f.run(8); m.Result != "success" || m.Step != 6 {
		t.Fatalf("resumed migration ended as %+v", m)
	}
	if a := f.appliance(8); a.Version != v2 || a.Previous != v1 {
		t.Errorf("after the resumed upgrade: %+v", a)
	}
}

// TestRunner: the background runner takes steps as the clock makes them
// due, and stops with its context.
func TestRunner(t *testing.T) {
	f := newFixture(t)
	f.add(1, v1, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	r := &appliances.Runner{Service: f.svc, Owner: "bg", Every: 5 * time.Millisecond, LeaseFor: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go func() { r.Run(ctx); close(done) }()
	f.start(1, appliances.Upgrade)
	for want := 2; want <= 6; want++ {
		f.clock.Advance(stepTime)
		deadline := time.Now().Add(5 * time.Second)
		for f.migration(1).Step != want {
			if time.Now().After(deadline) {
				t.Fatalf("the runner did not take step %d: %+v", want, f.migration(1))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if m := f.migration(1); m.Result != "success" || m.LeaseOwner != "bg" {
		t.Errorf("runner's migration ended as %+v", m)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the runner did not stop with its context")
	}
}

// hookStore runs afterRead once, right after the next Appliance read.
type hookStore struct {
	*sqlstore.Store
	afterRead func()
}

func (s *hookStore) Appliance(ctx context.Context, id int64) (appliances.Appliance, error) {
	a, err := s.Store.Appliance(ctx, id)
	if hook := s.afterRead; hook != nil {
		s.afterRead = nil
		hook()
	}
	return a, err
}

// TestInjectFailureDoesNotUndoAConcurrentFinish: the operator injects a
// failure (the CLI, another process) while the runner finishes an upgrade.
// InjectFailure reads the whole appliance and writes it all back, so the
// finish that lands in between is lost: the migration says success but
// the appliance is back on its old version with no rollback.
func TestInjectFailureDoesNotUndoAConcurrentFinish(t *testing.T) {
	f := newFixture(t)
	f.add(8, v1, "")
	f.start(8, appliances.Upgrade)
	for range 4 {
		f.clock.Advance(stepTime)
		f.tick("runner", time.Minute)
	}
	f.clock.Advance(stepTime) // the finish is due
	hs := &hookStore{Store: f.store, afterRead: func() {
		if n := f.tick("runner", time.Minute); n != 1 {
			t.Errorf("the runner's finishing tick moved %d", n)
		}
	}}
	operator := appliances.NewService(hs, catalogue, stepTime, f.clock.Now)
	if err := operator.InjectFailure(f.ctx, 8, 3, "next one fails"); err != nil {
		t.Fatal(err)
	}
	if m := f.migration(8); m.Result != "success" {
		t.Fatalf("the upgrade ended as %+v", m)
	}
	a := f.appliance(8)
	if a.Version != v2 || a.Previous != v1 {
		t.Errorf("the upgrade succeeded but the appliance runs %q with rollback %q: InjectFailure wrote back the version it read before the finish", a.Version, a.Previous)
	}
	if a.FailStep != 3 {
		t.Errorf("the injection was not stored: %+v", a)
	}
}

// dueHookStore runs afterDue once, right after the next DueMigrations.
type dueHookStore struct {
	*sqlstore.Store
	afterDue func()
}

func (s *dueHookStore) DueMigrations(ctx context.Context, due, now time.Time, owner string, limit int) ([]appliances.Migration, error) {
	ms, err := s.Store.DueMigrations(ctx, due, now, owner, limit)
	if hook := s.afterDue; hook != nil {
		s.afterDue = nil
		hook()
	}
	return ms, err
}

// TestStaleRunnerLosesTheRace: runner a lists two due migrations, then
// runner b steps one of them before a writes. a's batch skips that one
// (its step is gone) and applies the other: each step happens once.
func TestStaleRunnerLosesTheRace(t *testing.T) {
	for _, lease := range []time.Duration{0, time.Minute} {
		t.Run(lease.String(), func(t *testing.T) {
			f := newFixture(t)
			f.add(1, v1, "")
			f.add(2, v1, "")
			f.start(1, appliances.Upgrade)
			f.start(2, appliances.Upgrade)
			f.clock.Advance(stepTime)
			hs := &dueHookStore{Store: f.store}
			hs.afterDue = func() {
				m := f.migration(1)
				next := m
				next.Step, next.State, next.Message, next.StepAt = 2, "downloading", "downloading package", f.clock.Now()
				next.LeaseOwner, next.LeaseUntil = "b", f.clock.Now().Add(lease)
				n, err := f.store.AdvanceMigrations(f.ctx, []appliances.Advance{{From: m, Next: next}})
				if err != nil || n != 1 {
					t.Errorf("b's step: %d, %v", n, err)
				}
			}
			a := appliances.NewService(hs, catalogue, stepTime, f.clock.Now)
			n, err := a.Tick(f.ctx, "a", lease)
			if err != nil || n != 1 {
				t.Fatalf("a's stale tick moved %d (%v), want 1", n, err)
			}
			if m := f.migration(1); m.Step != 2 || m.LeaseOwner != "b" {
				t.Errorf("migration 1 is %+v, want step 2 by b", m)
			}
			if m := f.migration(2); m.Step != 2 || m.LeaseOwner != "a" {
				t.Errorf("migration 2 is %+v, want step 2 by a", m)
			}
		})
	}
}
