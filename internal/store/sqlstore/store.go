package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
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
	opts   Options
	group  *groupCommit // nil unless opts.GroupCommit
}

// Options are what an engine tells the shared code about its transactions.
type Options struct {
	// Isolation is the level write transactions run at. SQLite runs one
	// writer at a time, so its transactions are serial whatever the level;
	// an engine with concurrent writers asks for sql.LevelSerializable so
	// that check-then-write transactions (a migration refused while one
	// runs, a unique name) behave exactly as they do on SQLite.
	Isolation sql.IsolationLevel
	// Retryable says whether a transaction failed only because a
	// concurrent one won (a serialization failure or a deadlock): such a
	// transaction is run again, up to MaxAttempts times in all.
	Retryable   func(error) bool
	MaxAttempts int
	// GroupCommit commits the write transactions that queue up while one
	// commits together, one fsync for all (see groupCommit). For an engine
	// with a single writer connection.
	GroupCommit bool
}

// New returns a Store that writes through writer and reads through reader
// (the same *sql.DB is fine when the engine needs no split).
func New(writer, reader *sql.DB) *Store {
	return NewWith(writer, reader, Options{})
}

// NewWith is New with an engine's transaction options.
func NewWith(writer, reader *sql.DB, opts Options) *Store {
	if opts.MaxAttempts < 1 {
		opts.MaxAttempts = 1
	}
	s := &Store{writer: newCachedDB(writer), reader: newCachedDB(reader), opts: opts}
	if opts.GroupCommit {
		s.group = &groupCommit{}
	}
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
// current one when s is already inside a transaction. A transaction the
// engine calls retryable is run again from the start, so fn must do
// nothing but its work on tx (or be safe to repeat).
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	if s.group != nil {
		return s.group.do(ctx, s, fn)
	}
	var err error
	for attempt := 1; attempt <= s.opts.MaxAttempts; attempt++ {
		err = s.runTx(ctx, fn)
		if err == nil || s.opts.Retryable == nil || !s.opts.Retryable(err) || ctx.Err() != nil {
			return err
		}
		// Back off for a random while, growing with each attempt, so that
		// transactions that collided do not collide again in lockstep.
		backoff := time.Duration(rand.Int64N(int64(min(time.Millisecond<<attempt, 100*time.Millisecond))))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
	}
	return fmt.Errorf("transaction lost to concurrent ones %d times: %w", s.opts.MaxAttempts, err)
}

func (s *Store) runTx(ctx context.Context, fn func(tx *Store) error) error {
	tx, err := s.writer.db.BeginTx(ctx, &sql.TxOptions{Isolation: s.opts.Isolation})
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(&Store{writer: s.writer, reader: s.reader, tx: &txQuerier{tx: tx, cache: s.writer}, opts: s.opts}); err != nil {
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
