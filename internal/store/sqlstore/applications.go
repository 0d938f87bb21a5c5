package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-sec/rampart/internal/identity"
)

const appColumns = `id, name, sealed_key, enabled, timeout_seconds, created_at`

// CreateApplication implements identity.Store.
func (s *Store) CreateApplication(ctx context.Context, a identity.SealedApplication) error {
	_, err := s.w().ExecContext(ctx, `INSERT INTO applications (`+appColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, a.Name, a.SealedKey, boolInt(a.Enabled), int64(a.Timeout/time.Second), a.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("inserting application: %w", err)
	}
	return nil
}

// Application implements identity.Store.
func (s *Store) Application(ctx context.Context, id string) (identity.SealedApplication, error) {
	row := s.r().QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications WHERE id = $1`, id)
	a, err := scanApp(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, identity.ErrNotFound
	}
	return a, err
}

// Applications implements identity.Store.
func (s *Store) Applications(ctx context.Context) ([]identity.SealedApplication, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+appColumns+` FROM applications ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("querying applications: %w", err)
	}
	defer rows.Close()
	var out []identity.SealedApplication
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateApplication implements identity.Store.
func (s *Store) UpdateApplication(ctx context.Context, a identity.SealedApplication) error {
	res, err := s.w().ExecContext(ctx, `UPDATE applications SET name = $2, sealed_key = $3, enabled = $4, timeout_seconds = $5 WHERE id = $1`,
		a.ID, a.Name, a.SealedKey, boolInt(a.Enabled), int64(a.Timeout/time.Second))
	return oneRow(res, err, identity.ErrNotFound)
}

// DeleteApplication implements identity.Store.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM applications WHERE id = $1`, id)
	return oneRow(res, err, identity.ErrNotFound)
}

type scanner interface{ Scan(dest ...any) error }

func scanApp(row scanner) (identity.SealedApplication, error) {
	var a identity.SealedApplication
	var enabled, timeout, created int64
	if err := row.Scan(&a.ID, &a.Name, &a.SealedKey, &enabled, &timeout, &created); err != nil {
		return a, fmt.Errorf("scanning application: %w", err)
	}
	a.Enabled, a.Timeout, a.CreatedAt = enabled != 0, time.Duration(timeout)*time.Second, time.UnixMilli(created).UTC()
	return a, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// oneRow turns an UPDATE or DELETE that touched no row into notFound.
func oneRow(res sql.Result, err error, notFound error) error {
	if err != nil {
		return fmt.Errorf("writing row: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("counting rows: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
