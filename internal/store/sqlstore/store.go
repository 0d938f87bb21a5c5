package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the shared engine. Outside a transaction, reads go to the read
// pool and writes to the writer; inside one, everything goes to the
// transaction.
type Store struct {
	writer *cachedDB
	reader *cachedDB
	tx     *txQuerier
}

// New returns a Store that writes through writer and reads through reader
// (the same *sql.DB is fine when the engine needs no split).
func New(writer, reader *sql.DB) *Store {
	s := &Store{writer: newCachedDB(writer), reader: newCachedDB(reader)}
	if reader == writer {
		s.reader = s.writer
	}
	return s
}

// Close closes both pools.
func (s *Store) Close() error {
	err := s.writer.close()
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.close())
	}
	return err
}

func (s *Store) r() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.reader
}

func (s *Store) w() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.writer
}

// inTx runs fn with a Store bound to one write transaction, or to the
// current one when s is already inside a transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.writer.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(&Store{writer: s.writer, reader: s.reader, tx: &txQuerier{tx: tx, cache: s.writer}}); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil {
			return errors.Join(err, fmt.Errorf("rolling back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// DB returns the writer pool, for engines' housekeeping and tests.
func (s *Store) DB() *sql.DB { return s.writer.db }
