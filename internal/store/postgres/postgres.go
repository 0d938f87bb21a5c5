// Package postgres is Rampart's scale-out storage engine: a PostgreSQL
// database (or a PostgreSQL-compatible one) shared by any number of
// replicas, configured here and only here, migrated with goose from the
// embedded migrations/ folder (kept in step with the SQLite engine's), and
// served by the shared sqlstore code. It imports the pgx driver through
// database/sql (pgx/v5/stdlib).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// The pool's limits, and why:
//   - maxConns 16: a replica's requests are short; more connections than
//     this per replica only queue inside PostgreSQL (whose default
//     max_connections is 100, shared by every replica).
//   - connLifetime 30 min: connections are recycled, so a replica follows
//     a fail-over or a DNS change of the database host.
const (
	maxConns     = 16
	connLifetime = 30 * time.Minute
)

// maxAttempts is how often a write transaction that lost a serialization
// conflict to another replica is tried in all.
const maxAttempts = 20

// Open connects to the database at url (postgres://... or a key=value
// connection string), applies pending migrations under an advisory lock
// (replicas starting together migrate once) and returns the store.
//
// Write transactions run SERIALIZABLE and are retried when PostgreSQL
// aborts one for a conflict with a concurrent transaction, so every
// transaction behaves as on SQLite, where writes are serial. Single
// statements (the compare-and-swap steps of migrations, the counters of
// failed sign-ins) are atomic on their own.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxLifetime(connLifetime)
	pingCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", describe(cfg), err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.NewWith(db, db, sqlstore.Options{
		Isolation: sql.LevelSerializable, Retryable: Retryable, MaxAttempts: maxAttempts,
	}), nil
}

// Retryable reports whether err is PostgreSQL aborting a transaction only
// because a concurrent one won: a serialization failure (40001) or a
// deadlock (40P01). Running the transaction again is then correct.
func Retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// describe names the database for messages without its password.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s as %s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("preparing the migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	return nil
}
