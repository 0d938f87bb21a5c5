// Package sqlite is Rampart's embedded storage engine: one SQLite file in
// the data directory, configured here and only here, migrated with goose
// from the embedded migrations/ folder, and served by the shared sqlstore
// code. It imports the modernc.org/sqlite driver (pure Go, no cgo).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"

	"github.com/pressly/goose/v3"
	"github.com/rampart-sec/rampart/internal/store/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file's name inside the data directory.
const FileName = "rampart.db"

// The pragmas every connection gets, and why:
//   - journal_mode(WAL): readers never block the writer nor the writer them.
//   - synchronous(FULL): a commit is on disk before we answer 200, so an
//     acknowledged change survives a power cut, not only a crash.
//   - busy_timeout(10000): the CLI (`rampart apps ...`) writes to the same
//     file while the server runs; wait for the lock instead of failing.
//   - foreign_keys(1): enforce what the schema declares.
//   - mmap_size(256 MiB): readers map the file instead of pread()ing each
//     page, which the ProductAgents read benchmark showed as a hot spot.
//   - cache_size(-16384): 16 MiB of page cache per connection.
var pragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)",
	"mmap_size(268435456)", "cache_size(-16384)"}

// Open opens (creating if needed) the database in dir, applies pending
// migrations and returns the store. Writes go through a single connection
// whose transactions start IMMEDIATE (SQLite allows one writer at a time;
// taking the lock up front avoids deadlocking upgrades from read to write);
// reads use a bounded pool of read-only connections.
func Open(ctx context.Context, dir string) (*sqlstore.Store, error) {
	path := filepath.Join(dir, FileName)
	writer, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	if err := migrate(ctx, writer); err != nil {
		writer.Close()
		return nil, err
	}
	reader, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	// SQLite has one writer: transactions that queue behind a commit are
	// committed together, one fsync for all (sqlstore's group commit).
	return sqlstore.NewWith(writer, reader, sqlstore.Options{GroupCommit: true}), nil
}

func dsn(path string, extra string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	// The path is escaped: a '#', '?' or '%' in the data directory's name
	// must not cut the URI short.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode() + "&" + extra
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("preparing migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	return nil
}
