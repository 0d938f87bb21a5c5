package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/search"
)

// The engine implements the appliances store.
var _ appliances.Store = (*Store)(nil)

const applianceColumns = `id, instance_id, host_name, provider, version, previous, dv_version, fail_step, fail_message, last_check_in, agent`

// InsertAppliance implements appliances.Store.
func (s *Store) InsertAppliance(ctx context.Context, a appliances.Appliance) error {
	_, err := s.w().ExecContext(ctx, `INSERT INTO appliances (`+applianceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.InstanceID, a.HostName, a.Provider, a.Version, a.Previous, a.DVVersion, a.FailStep, a.FailMessage, millis(a.LastCheckIn), boolInt(a.Agent))
	if err != nil {
		return fmt.Errorf("inserting appliance: %w", err)
	}
	return nil
}

// Appliance implements appliances.Store.
func (s *Store) Appliance(ctx context.Context, id int64) (appliances.Appliance, error) {
	return scanAppliance(s.r().QueryRowContext(ctx, `SELECT `+applianceColumns+` FROM appliances WHERE id = $1`, id))
}

// Appliances implements appliances.Store.
func (s *Store) Appliances(ctx context.Context) ([]appliances.Appliance, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+applianceColumns+` FROM appliances ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("querying appliances: %w", err)
	}
	defer rows.Close()
	out := []appliances.Appliance{}
	for rows.Next() {
		a, err := scanAppliance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// applianceTable maps appliances.Schema onto the appliances table.
var applianceTable = searchTable{Name: "appliances", IDColumn: "id", Columns: map[string]string{
	"ID": "id", "instanceId": "instance_id", "tosVersion": "version", "dvVersion": "dv_version",
	"provider": "provider", "hostName": "host_name",
}}

// SearchAppliances implements appliances.Store, running the filter as SQL.
func (s *Store) SearchAppliances(ctx context.Context, f search.Filter) ([]appliances.Appliance, error) {
	where, args, tail := compileSearch(f, applianceTable, 1)
	rows, err := s.r().QueryContext(ctx, `SELECT `+applianceColumns+` FROM appliances`+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("searching appliances: %w", err)
	}
	defer rows.Close()
	out := []appliances.Appliance{}
	for rows.Next() {
		a, err := scanAppliance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountAppliances implements appliances.Store.
func (s *Store) CountAppliances(ctx context.Context, criteria []search.Criterion) (int, error) {
	where, args, _ := compileSearch(search.Filter{Criteria: criteria}, applianceTable, 1)
	var n int
	if err := s.r().QueryRowContext(ctx, `SELECT COUNT(*) FROM appliances`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting appliances: %w", err)
	}
	return n, nil
}

// UpdateAppliance implements appliances.Store.
func (s *Store) UpdateAppliance(ctx context.Context, a appliances.Appliance) error {
	res, err := s.w().ExecContext(ctx, `UPDATE appliances SET host_name = $2, provider = $3, version = $4, previous = $5, dv_version = $6,
		fail_step = $7, fail_message = $8, last_check_in = $9 WHERE id = $1`,
		a.ID, a.HostName, a.Provider, a.Version, a.Previous, a.DVVersion, a.FailStep, a.FailMessage, millis(a.LastCheckIn))
	return oneRow(res, err, appliances.ErrNotFound)
}

// ApplianceCheckIn implements appliances.Store.
func (s *Store) ApplianceCheckIn(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w().ExecContext(ctx, `UPDATE appliances SET agent = 1, last_check_in = $2 WHERE id = $1`, id, at.UnixMilli())
	return oneRow(res, err, appliances.ErrNotFound)
}

// ApplianceCheckIns implements appliances.Store.
func (s *Store) ApplianceCheckIns(ctx context.Context, at map[int64]time.Time) error {
	return s.inTx(ctx, func(tx *Store) error {
		for id, t := range at {
			err := tx.ApplianceCheckIn(ctx, id, t)
			if err != nil && !errors.Is(err, appliances.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

// SetFailure implements appliances.Store.
func (s *Store) SetFailure(ctx context.Context, id int64, step int, message string) error {
	res, err := s.w().ExecContext(ctx, `UPDATE appliances SET fail_step = $2, fail_message = $3 WHERE id = $1`, id, step, message)
	return oneRow(res, err, appliances.ErrNotFound)
}

func scanAppliance(row scanner) (appliances.Appliance, error) {
	var a appliances.Appliance
	var checkIn, agent int64
	err := row.Scan(&a.ID, &a.InstanceID, &a.HostName, &a.Provider, &a.Version, &a.Previous, &a.DVVersion, &a.FailStep, &a.FailMessage, &checkIn, &agent)
	if errors.Is(err, sql.ErrNoRows) {
		return a, appliances.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("scanning appliance: %w", err)
	}
	a.LastCheckIn, a.Agent = fromMillis(checkIn), agent != 0
	return a, nil
}

const migrationColumns = `id, appliance_id, action, from_version, to_version, step, total_steps, state, result, message,
	fail_step, fail_message, step_at, finished, lease_owner, lease_until, managed, awaiting`

// StartMigration implements appliances.Store.
func (s *Store) StartMigration(ctx context.Context, m appliances.Migration) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *Store) error {
		// The appliance's row is written first: a missing appliance is
		// ErrNotFound (not a foreign-key failure), and on an engine with
		// row locks a second start on the same appliance waits here until
		// the first commits, so the check below sees its migration.
		res, err := tx.w().ExecContext(ctx, `UPDATE appliances SET fail_step = 0, fail_message = '' WHERE id = $1`, m.ApplianceID)
		if err := oneRow(res, err, appliances.ErrNotFound); err != nil {
			return err
		}
		var running int64
		if err := tx.w().QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE appliance_id = $1 AND result = ''`, m.ApplianceID).Scan(&running); err != nil {
			return fmt.Errorf("checking running migrations: %w", err)
		}
		if running > 0 {
			return appliances.ErrBusy
		}
		err = tx.w().QueryRowContext(ctx, `INSERT INTO migrations (appliance_id, action, from_version, to_version, step, total_steps, state,
			result, message, fail_step, fail_message, step_at, finished, lease_owner, lease_until, managed, awaiting)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', 0, $14, $15) RETURNING id`,
			m.ApplianceID, string(m.Action), m.From, m.To, m.Step, m.TotalSteps, m.State, m.Result, m.Message,
			m.FailStep, m.FailMessage, millis(m.StepAt), millis(m.Finished), boolInt(m.Managed), boolInt(m.Awaiting)).Scan(&id)
		if err != nil {
			return fmt.Errorf("inserting migration: %w", err)
		}
		return nil
	})
	return id, err
}

// LatestMigration implements appliances.Store.
func (s *Store) LatestMigration(ctx context.Context, applianceID int64) (appliances.Migration, error) {
	m, err := scanMigration(s.r().QueryRowContext(ctx, `SELECT `+migrationColumns+` FROM migrations WHERE appliance_id = $1 ORDER BY id DESC LIMIT 1`, applianceID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, appliances.ErrNoMigration
	}
	return m, err
}

// DueMigrations implements appliances.Store.
func (s *Store) DueMigrations(ctx context.Context, due, now time.Time, owner string, limit int) ([]appliances.Migration, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+migrationColumns+` FROM migrations
		WHERE result = '' AND awaiting = 0 AND step_at <= $1 AND (lease_owner = '' OR lease_owner = $2 OR lease_until < $3)
		ORDER BY step_at, id LIMIT $4`, due.UnixMilli(), owner, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("querying due migrations: %w", err)
	}
	defer rows.Close()
	var out []appliances.Migration
	for rows.Next() {
		m, err := scanMigration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AdvanceMigrations implements appliances.Store.
func (s *Store) AdvanceMigrations(ctx context.Context, steps []appliances.Advance) (int, error) {
	moved := 0
	err := s.inTx(ctx, func(tx *Store) error {
		moved = 0
		for _, st := range steps {
			ok, err := tx.AdvanceMigration(ctx, st.From, st.Next, st.SetVersion)
			if err != nil {
				return err
			}
			if ok {
				moved++
			}
		}
		return nil
	})
	return moved, err
}

// AdvanceMigration is one step of AdvanceMigrations: a compare-and-swap on
// the step and the lease, and the appliance's new version in the same
// transaction.
func (s *Store) AdvanceMigration(ctx context.Context, from, next appliances.Migration, setVersion *appliances.Appliance) (bool, error) {
	moved := false
	err := s.inTx(ctx, func(tx *Store) error {
		moved = false // a retried transaction starts afresh
		res, err := tx.w().ExecContext(ctx, `UPDATE migrations SET step = $3, state = $4, result = $5, message = $6, step_at = $7,
			finished = $8, lease_owner = $9, lease_until = $10, awaiting = $12
			WHERE id = $1 AND step = $2 AND result = '' AND awaiting = $13 AND (lease_owner = '' OR lease_owner = $9 OR lease_until < $11)`,
			from.ID, from.Step, next.Step, next.State, next.Result, next.Message, millis(next.StepAt), millis(next.Finished),
			next.LeaseOwner, millis(next.LeaseUntil), next.StepAt.UnixMilli(), boolInt(next.Awaiting), boolInt(from.Awaiting))
		if err != nil {
			return fmt.Errorf("advancing migration %d: %w", from.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		moved = true
		if setVersion != nil {
			res, err := tx.w().ExecContext(ctx, `UPDATE appliances SET version = $2, previous = $3 WHERE id = $1`,
				setVersion.ID, setVersion.Version, setVersion.Previous)
			return oneRow(res, err, appliances.ErrNotFound)
		}
		return nil
	})
	return moved, err
}

func scanMigration(row scanner) (appliances.Migration, error) {
	var m appliances.Migration
	var action string
	var stepAt, finished, leaseUntil, managed, awaiting int64
	err := row.Scan(&m.ID, &m.ApplianceID, &action, &m.From, &m.To, &m.Step, &m.TotalSteps, &m.State, &m.Result, &m.Message,
		&m.FailStep, &m.FailMessage, &stepAt, &finished, &m.LeaseOwner, &leaseUntil, &managed, &awaiting)
	if err != nil {
		return m, fmt.Errorf("scanning migration: %w", err)
	}
	m.Action, m.StepAt, m.Finished, m.LeaseUntil = appliances.Action(action), fromMillis(stepAt), fromMillis(finished), fromMillis(leaseUntil)
	m.Managed, m.Awaiting = managed != 0, awaiting != 0
	return m, nil
}
