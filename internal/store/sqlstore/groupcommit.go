package sqlstore

import (
	"context"
	"fmt"
	"sync"
)

// groupCommit runs the write transactions that arrive while one is being
// committed together, in one database transaction: one commit, so one
// fsync, for all of them. It is for an engine with a single writer
// (SQLite), where transactions run one at a time anyway and the commit's
// fsync is what limits how many a second the writer takes.
//
// Each transaction of a group runs inside a savepoint: one that fails is
// rolled back to its savepoint and gets its own error, and the others go
// on. Transactions run in arrival order, each seeing what the earlier ones
// wrote, exactly as if they had committed one by one; none is answered
// before the group's commit, so an acknowledged change is on disk. A
// failed commit fails every transaction of the group.
//
// There is no background goroutine: the first caller to find nothing
// running becomes the leader and commits groups until the queue is empty,
// while later callers wait for their result.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupTx
	running bool
}

type groupTx struct {
	ctx  context.Context
	fn   func(tx *Store) error
	done chan error
}

func (g *groupCommit) do(ctx context.Context, s *Store, fn func(tx *Store) error) error {
	t := &groupTx{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, t)
	if g.running {
		g.mu.Unlock()
		// Waiting goes on past ctx's end: once queued, the transaction may
		// already be running, and its outcome must be the one reported.
		return <-t.done
	}
	g.running = true
	for len(g.queue) > 0 {
		batch := g.queue
		g.queue = nil
		g.mu.Unlock()
		s.commitGroup(batch)
		g.mu.Lock()
	}
	g.running = false
	g.mu.Unlock()
	return <-t.done
}

// commitGroup runs batch in one transaction and answers each member.
func (s *Store) commitGroup(batch []*groupTx) {
	results := make([]error, len(batch))
	answer := func() {
		for i, t := range batch {
			t.done <- results[i]
		}
	}
	// The transaction lives as long as its longest member may; a member
	// whose context has ended before its turn is refused without running.
	tx, err := s.writer.db.BeginTx(context.WithoutCancel(batch[0].ctx), nil)
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("beginning transaction: %w", err)
		}
		answer()
		return
	}
	in := &Store{writer: s.writer, reader: s.reader, tx: &txQuerier{tx: tx, cache: s.writer}, opts: s.opts}
	for i, t := range batch {
		if err := t.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.ExecContext(t.ctx, "SAVEPOINT grouped"); err != nil {
			results[i] = fmt.Errorf("opening savepoint: %w", err)
			continue
		}
		results[i] = t.fn(in)
		if results[i] != nil {
			if _, err := tx.ExecContext(context.WithoutCancel(t.ctx), "ROLLBACK TO grouped"); err != nil {
				// The transaction is in an unknown state: fail the group.
				_ = tx.Rollback()
				for j := range results {
					if results[j] == nil || j == i {
						results[j] = fmt.Errorf("rolling back to savepoint: %w (after: %v)", err, results[i])
					}
				}
				answer()
				return
			}
		}
		if _, err := tx.ExecContext(context.WithoutCancel(t.ctx), "RELEASE grouped"); err != nil {
			results[i] = fmt.Errorf("releasing savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = fmt.Errorf("committing transaction: %w", err)
			}
		}
	}
	answer()
}
