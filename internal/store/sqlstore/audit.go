package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-sec/rampart/internal/audit"
)

// The engine implements the audit store.
var _ audit.Store = (*Store)(nil)

const auditColumns = `at, actor_kind, actor_id, actor_name, family, action, target, outcome, status`

// InsertAuditEvent implements audit.Store. It runs as a write transaction
// so that, on SQLite, events recorded together share one commit (the group
// commit) instead of paying an fsync each.
func (s *Store) InsertAuditEvent(ctx context.Context, e audit.Event) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *Store) error {
		return tx.w().QueryRowContext(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			e.At.UnixMilli(), e.Actor.Kind, e.Actor.ID, e.Actor.Name, e.Family, e.Action, e.Target, e.Outcome, e.Status).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("inserting audit event: %w", err)
	}
	return id, nil
}

// AuditEvents implements audit.Store: newest first, by descending ID.
func (s *Store) AuditEvents(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	var w where
	if !f.Since.IsZero() {
		w.conds = append(w.conds, "at >= "+w.arg(f.Since.UnixMilli()))
	}
	if !f.Until.IsZero() {
		w.conds = append(w.conds, "at < "+w.arg(f.Until.UnixMilli()))
	}
	if f.AfterID > 0 {
		w.conds = append(w.conds, "id > "+w.arg(f.AfterID))
	}
	if f.BeforeID > 0 {
		w.conds = append(w.conds, "id < "+w.arg(f.BeforeID))
	}
	w.eq("actor_kind", f.ActorKind)
	w.eq("actor_id", f.ActorID)
	w.eq("family", f.Family)
	query := `SELECT id, ` + auditColumns + ` FROM audit_events` + w.sql() + ` ORDER BY id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ` + w.arg(int64(f.Limit)) // a placeholder: one prepared statement for every limit
	}
	rows, err := s.r().QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("querying audit events: %w", err)
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Family, &e.Action, &e.Target, &e.Outcome, &e.Status); err != nil {
			return nil, fmt.Errorf("scanning audit event: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
