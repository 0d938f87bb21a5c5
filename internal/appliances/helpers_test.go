package appliances_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/store/sqlite"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

const (
	v1 = "2021.3.0.10968"
	v2 = "2021.4.1.10996"

	stepTime = 3 * time.Second
)

var catalogue = appliances.Catalogue{v1, v2}

// clock is a settable clock shared by goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore opens a SQLite store in dir, closed when the test ends.
func openStore(t testing.TB, dir string) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fixture is a service over a fresh SQLite store with an injected clock.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	store *sqlstore.Store
	clock *clock
	svc   *appliances.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st := openStore(t, t.TempDir())
	c := newClock()
	return &fixture{t: t, ctx: context.Background(), store: st, clock: c, svc: appliances.NewService(st, catalogue, stepTime, c.Now)}
}

// add registers appliance id on version, with previous as its rollback.
func (f *fixture) add(id int64, version, previous string) {
	f.t.Helper()
	a := appliances.Appliance{ID: id, InstanceID: fmt.Sprintf("i-%017x", id), HostName: fmt.Sprintf("ips-%d", id), Provider: "AWS",
		Version: version, Previous: previous, DVVersion: "4.0.0.9170"}
	if err := f.svc.Add(f.ctx, a); err != nil {
		f.t.Fatalf("adding appliance %d: %v", id, err)
	}
}

func (f *fixture) appliance(id int64) appliances.Appliance {
	f.t.Helper()
	a, err := f.svc.Get(f.ctx, id)
	if err != nil {
		f.t.Fatalf("appliance %d: %v", id, err)
	}
	return a
}

func (f *fixture) start(id int64, action appliances.Action) {
	f.t.Helper()
	if err := f.svc.Start(f.ctx, id, action); err != nil {
		f.t.Fatalf("starting %s of %d: %v", action, id, err)
	}
}

// migration is the latest migration of id.
func (f *fixture) migration(id int64) appliances.Migration {
	f.t.Helper()
	m, err := f.store.LatestMigration(f.ctx, id)
	if err != nil {
		f.t.Fatalf("latest migration of %d: %v", id, err)
	}
	return m
}

func (f *fixture) noMigration(id int64) {
	f.t.Helper()
	if m, err := f.store.LatestMigration(f.ctx, id); !errors.Is(err, appliances.ErrNoMigration) {
		f.t.Fatalf("appliance %d has a migration: %+v (%v)", id, m, err)
	}
}

func (f *fixture) tick(owner string, leaseFor time.Duration) int {
	f.t.Helper()
	n, err := f.svc.Tick(f.ctx, owner, leaseFor)
	if err != nil {
		f.t.Fatalf("tick as %s: %v", owner, err)
	}
	return n
}

// run steps the migration of id to its end, one step time per tick.
func (f *fixture) run(id int64) appliances.Migration {
	f.t.Helper()
	for i := 0; i < 10; i++ {
		if m := f.migration(id); m.Done() {
			return m
		}
		f.clock.Advance(stepTime)
		f.tick("r", time.Minute)
	}
	f.t.Fatalf("migration of %d did not end: %+v", id, f.migration(id))
	return appliances.Migration{}
}

// transition is one successful step of a migration.
type transition struct {
	migration int64
	from, to  int
	owner     string
	result    string
}

// countingStore records every step that AdvanceMigrations applied. It
// runs the batches one at a time (SQLite has one writer anyway) and reads
// each migration before and after, so it knows which steps of the batch
// moved their migration; DueMigrations stay concurrent, so runners still
// work from stale reads and race on the compare-and-swap.
type countingStore struct {
	*sqlstore.Store
	mu         sync.Mutex
	moves      []transition
	miscounted int // batches whose returned count was not what they applied
	lost       int // steps asked for that someone else had taken first
}

func (s *countingStore) AdvanceMigrations(ctx context.Context, steps []appliances.Advance) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := make([]appliances.Migration, len(steps))
	for i, st := range steps {
		m, err := s.Store.LatestMigration(ctx, st.From.ApplianceID)
		if err != nil {
			return 0, err
		}
		before[i] = m
	}
	n, err := s.Store.AdvanceMigrations(ctx, steps)
	if err != nil {
		return n, err
	}
	applied := 0
	for i, st := range steps {
		m, err := s.Store.LatestMigration(ctx, st.From.ApplianceID)
		if err != nil {
			return n, err
		}
		if m.Step != before[i].Step {
			applied++
			s.moves = append(s.moves, transition{m.ID, before[i].Step, m.Step, m.LeaseOwner, m.Result})
		} else {
			s.lost++
		}
	}
	if applied != n {
		s.miscounted++
	}
	return n, nil
}

func (s *countingStore) finished() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.moves {
		if m.result != "" {
			n++
		}
	}
	return n
}
