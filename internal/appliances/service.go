package appliances

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rampart-sec/rampart/internal/search"
)

// Store is what appliances need from storage. Missing rows are
// ErrNotFound / ErrNoMigration (possibly wrapped).
type Store interface {
	InsertAppliance(ctx context.Context, a Appliance) error
	Appliance(ctx context.Context, id int64) (Appliance, error)
	Appliances(ctx context.Context) ([]Appliance, error)
	// SearchAppliances returns the appliances matching f's criteria in ID
	// order, at most f.MaxItems of them; CountAppliances counts all that
	// match criteria.
	SearchAppliances(ctx context.Context, f search.Filter) ([]Appliance, error)
	CountAppliances(ctx context.Context, criteria []search.Criterion) (int, error)
	UpdateAppliance(ctx context.Context, a Appliance) error
	// SetFailure sets only the appliance's failure injection.
	SetFailure(ctx context.Context, id int64, step int, message string) error
	// ApplianceCheckIn marks the appliance as having an agent and records
	// when it last checked in.
	ApplianceCheckIn(ctx context.Context, id int64, at time.Time) error
	// ApplianceCheckIns records many check-ins in one transaction; IDs the
	// store no longer knows are skipped.
	ApplianceCheckIns(ctx context.Context, at map[int64]time.Time) error
	// StartMigration inserts m unless the appliance has an unfinished
	// migration (ErrBusy); it clears the appliance's failure injection,
	// which m carries, in the same transaction.
	StartMigration(ctx context.Context, m Migration) (int64, error)
	LatestMigration(ctx context.Context, applianceID int64) (Migration, error)
	// DueMigrations lists unfinished migrations whose step began at or
	// before due, and whose lease is free, expired or owner's.
	DueMigrations(ctx context.Context, due, now time.Time, owner string, limit int) ([]Migration, error)
	// AdvanceMigrations applies steps in one transaction. Each step stores
	// Next if the migration is still at From.Step and its lease is free,
	// expired or Next's owner's; when Next finishes with success,
	// SetVersion is applied to the appliance too. A step someone else took
	// first is skipped; the count of steps applied is returned.
	AdvanceMigrations(ctx context.Context, steps []Advance) (int, error)
}

// Advance is one step of one migration.
type Advance struct {
	From, Next Migration
	SetVersion *Appliance
}

// Catalogue is the ordered list of software versions, oldest first.
type Catalogue []string

// UpgradeFor returns the newest catalogue version newer than v.
func (c Catalogue) UpgradeFor(v string) string {
	at := -1
	for i, x := range c {
		if x == v {
			at = i
		}
	}
	if at < 0 || at == len(c)-1 {
		return ""
	}
	return c[len(c)-1]
}

// Service makes the appliance decisions and runs migrations.
type Service struct {
	store     Store
	catalogue Catalogue
	stepTime  time.Duration
	now       func() time.Time

	// seen holds check-ins not yet written: they are written in batches
	// by FlushCheckIns (the runner calls it every tick).
	mu   sync.Mutex
	seen map[int64]time.Time
}

// NewService returns a Service; stepTime is how long each migration step
// takes.
func NewService(store Store, catalogue Catalogue, stepTime time.Duration, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, catalogue: catalogue, stepTime: stepTime, now: now, seen: map[int64]time.Time{}}
}

// StepTime is how long each migration step takes.
func (s *Service) StepTime() time.Duration { return s.stepTime }

// Add registers an appliance.
func (s *Service) Add(ctx context.Context, a Appliance) error {
	if a.ID <= 0 || a.InstanceID == "" || a.Version == "" {
		return fmt.Errorf("%w: an appliance needs an ID, an instance ID and a version", ErrInvalid)
	}
	return s.store.InsertAppliance(ctx, a)
}

// List returns every appliance by ID.
func (s *Service) List(ctx context.Context) ([]Appliance, error) { return s.store.Appliances(ctx) }

// Get returns one appliance.
func (s *Service) Get(ctx context.Context, id int64) (Appliance, error) {
	return s.store.Appliance(ctx, id)
}

// Versions tells what an appliance runs and may move to.
type Versions struct {
	Base, Upgrade, Rollback string
}

// VersionsOf reports an appliance's versions.
func (s *Service) VersionsOf(ctx context.Context, id int64) (Versions, error) {
	a, err := s.store.Appliance(ctx, id)
	if err != nil {
		return Versions{}, err
	}
	return Versions{Base: a.Version, Upgrade: s.catalogue.UpgradeFor(a.Version), Rollback: a.Previous}, nil
}

// Start begins a migration; it is then driven by Run.
func (s *Service) Start(ctx context.Context, id int64, action Action) error {
	steps, ok := Steps[action]
	if !ok {
		return fmt.Errorf("%w: action must be upgrade or rollback", ErrInvalid)
	}
	a, err := s.store.Appliance(ctx, id)
	if err != nil {
		return err
	}
	m := Migration{ApplianceID: id, Action: action, From: a.Version, Step: 1, TotalSteps: len(steps), Managed: a.Agent,
		State: steps[0].State, Message: steps[0].Message, FailStep: a.FailStep, FailMessage: a.FailMessage, StepAt: s.now().UTC()}
	switch action {
	case Upgrade:
		if m.To = s.catalogue.UpgradeFor(a.Version); m.To == "" {
			return ErrNoUpgrade
		}
	case Rollback:
		if m.To = a.Previous; m.To == "" {
			return ErrNoRollback
		}
	}
	if _, err := s.store.StartMigration(ctx, m); err != nil {
		return err
	}
	return nil
}

// InjectFailure makes the next migration of an appliance fail at step
// with message (step 0 clears it). Step 1 is reached when the migration
// starts and the last step is the successful finish, so neither can fail:
// the step is 2 to the last but one.
func (s *Service) InjectFailure(ctx context.Context, id int64, step int, message string) error {
	a, err := s.store.Appliance(ctx, id)
	if err != nil {
		return err
	}
	if last := len(Steps[Upgrade]) - 1; step != 0 && (step < 2 || step > last) {
		return fmt.Errorf("%w: step must be 0 (no failure) or 2 to %d", ErrInvalid, last)
	}
	// A narrow write: rewriting the whole row could undo a version change
	// a runner committed since the read (the CLI runs beside the server).
	return s.store.SetFailure(ctx, a.ID, step, message)
}

// Latest returns the latest migration of each appliance in ids (of every
// appliance when ids is empty) that has one.
func (s *Service) Latest(ctx context.Context, ids []int64) ([]Migration, error) {
	if len(ids) == 0 {
		all, err := s.store.Appliances(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range all {
			ids = append(ids, a.ID)
		}
	}
	var out []Migration
	for _, id := range ids {
		m, err := s.store.LatestMigration(ctx, id)
		if errors.Is(err, ErrNoMigration) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Tick advances every due migration by one step, as runner owner holding
// leases of leaseFor. It returns how many steps it took.
func (s *Service) Tick(ctx context.Context, owner string, leaseFor time.Duration) (int, error) {
	now := s.now().UTC()
	due, err := s.store.DueMigrations(ctx, now.Add(-s.stepTime), now, owner, 500)
	if err != nil {
		return 0, fmt.Errorf("finding due migrations: %w", err)
	}
	if len(due) == 0 {
		return 0, nil
	}
	steps := make([]Advance, len(due))
	for i, m := range due {
		next, version := s.next(m, now)
		next.LeaseOwner, next.LeaseUntil = owner, now.Add(leaseFor)
		steps[i] = Advance{From: m, Next: next, SetVersion: version}
	}
	// One transaction for the whole batch: a commit is one fsync, and
	// thousands of appliances migrating at once need thousands of steps a
	// second.
	moved, err := s.store.AdvanceMigrations(ctx, steps)
	if err != nil {
		return 0, fmt.Errorf("advancing migrations: %w", err)
	}
	return moved, nil
}

// next is the migration one step on, and the appliance change a
// successful finish makes.
func (s *Service) next(m Migration, now time.Time) (Migration, *Appliance) {
	steps := Steps[m.Action]
	n := m
	n.Step++
	n.StepAt = now
	// A failure injected past a rollback's last working step fails at
	// that step, so an injection never goes unused.
	if m.FailStep > 0 && n.Step >= min(m.FailStep, len(steps)-1) && n.Step < len(steps) {
		n.State, n.Result, n.Finished = "finish", "fail", now
		msg := m.FailMessage
		if msg == "" {
			msg = "injected failure"
		}
		n.Message = fmt.Sprintf("%s failed at step %d (%s): %s; the appliance stays on %s", m.Action, n.Step, steps[n.Step-1].Message, msg, m.From)
		return n, nil
	}
	st := steps[n.Step-1]
	n.State, n.Message = st.State, st.Message
	if n.Step < len(steps) {
		// A step the appliance carries out waits for its report.
		n.Awaiting = m.Managed && st.OnAppliance
		return n, nil
	}
	n.Result, n.Finished = "success", now
	a := &Appliance{ID: m.ApplianceID, Version: m.To, Previous: m.From}
	if m.Action == Rollback {
		a.Previous = ""
	}
	return n, a
}

// checkInWrite is how stale a recorded check-in time may get.
const checkInWrite = 5 * time.Second

// ErrStale means an appliance reported on a step that is no longer the one
// awaiting its report.
var ErrStale = errors.New("the migration is not awaiting this step")

// CheckIn notes that an appliance's agent is alive and returns the
// migration it is in, if one is running.
//
// The check-in itself is not written here: it is kept in memory and
// written with every other one by the next FlushCheckIns, in one
// transaction, and at most every checkInWrite per appliance. A fleet of
// thousands checking in every few seconds would otherwise make each
// check-in a durable write of its own. Nothing a client was told depends
// on it: a crash loses at most one flush interval of check-in times, and an
// appliance counts as having an agent (its migrations wait for its
// reports) from the flush after its first check-in.
func (s *Service) CheckIn(ctx context.Context, id int64) (Migration, bool, error) {
	now := s.now().UTC()
	a, err := s.store.Appliance(ctx, id)
	if err != nil {
		return Migration{}, false, err
	}
	if !a.Agent || now.Sub(a.LastCheckIn) >= checkInWrite {
		s.mu.Lock()
		s.seen[id] = now
		s.mu.Unlock()
	}
	m, err := s.store.LatestMigration(ctx, id)
	if errors.Is(err, ErrNoMigration) || (err == nil && m.Done()) {
		return Migration{}, false, nil
	}
	if err != nil {
		return Migration{}, false, err
	}
	return m, true, nil
}

// FlushCheckIns writes the check-ins noted since the last flush in one
// transaction. On failure they are kept for the next flush (unless a
// newer check-in of the same appliance replaced them).
func (s *Service) FlushCheckIns(ctx context.Context) error {
	s.mu.Lock()
	batch := s.seen
	if len(batch) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.seen = make(map[int64]time.Time, len(batch))
	s.mu.Unlock()
	if err := s.store.ApplianceCheckIns(ctx, batch); err != nil {
		s.mu.Lock()
		for id, at := range batch {
			if _, newer := s.seen[id]; !newer {
				s.seen[id] = at
			}
		}
		s.mu.Unlock()
		return fmt.Errorf("writing %d appliance check-ins: %w", len(batch), err)
	}
	return nil
}

// ReportStep applies an appliance's report on the step it carried out:
// done lets the runner go on (the next step is due a step time later); a
// failure ends the migration with the appliance's message, on the version
// the appliance runs.
func (s *Service) ReportStep(ctx context.Context, id, migrationID int64, step int, ok bool, message string) error {
	m, err := s.store.LatestMigration(ctx, id)
	if errors.Is(err, ErrNoMigration) {
		return ErrStale
	}
	if err != nil {
		return err
	}
	if m.ID != migrationID || m.Step != step || !m.Awaiting || m.Done() {
		return ErrStale
	}
	now := s.now().UTC()
	next := m
	next.Awaiting, next.StepAt = false, now
	if !ok {
		if message == "" {
			message = "the appliance reported a failure"
		}
		next.State, next.Result, next.Finished = "finish", "fail", now
		next.Message = fmt.Sprintf("%s failed at step %d (%s): %s; the appliance stays on %s", m.Action, m.Step, m.Message, message, m.From)
	}
	moved, err := s.store.AdvanceMigrations(ctx, []Advance{{From: m, Next: next}})
	if err != nil {
		return err
	}
	if moved == 0 {
		return ErrStale
	}
	return nil
}
