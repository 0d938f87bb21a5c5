package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/internal/fleet"
)

const commandColumns = `id, agent_id, kind, params, state, message, created_at, delivered_at, finished_at`

// InsertCommand implements fleet.Store.
func (s *Store) InsertCommand(ctx context.Context, c fleet.Command) error {
	params, err := json.Marshal(c.Params)
	if err != nil {
		return fmt.Errorf("encoding command params: %w", err)
	}
	_, err = s.w().ExecContext(ctx, `INSERT INTO commands (agent_key, `+commandColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		fleet.Key(c.AgentID), c.ID, c.AgentID, string(c.Kind), string(params), string(c.State), c.Message,
		millis(c.CreatedAt), millis(c.DeliveredAt), millis(c.FinishedAt))
	if err != nil {
		return fmt.Errorf("inserting command: %w", err)
	}
	return nil
}

// Command implements fleet.Store.
func (s *Store) Command(ctx context.Context, id string) (fleet.Command, error) {
	c, err := scanCommand(s.r().QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fleet.ErrCommandNotFound
	}
	return c, err
}

// Commands implements fleet.Store.
func (s *Store) Commands(ctx context.Context, agentID string, states ...fleet.CommandState) ([]fleet.Command, error) {
	var w where
	w.eq("agent_key", fleet.Key(agentID))
	if len(states) > 0 {
		ph := make([]string, len(states))
		for i, st := range states {
			ph[i] = w.arg(string(st))
		}
		w.conds = append(w.conds, "state IN ("+strings.Join(ph, ", ")+")")
	}
	rows, err := s.r().QueryContext(ctx, `SELECT `+commandColumns+` FROM commands`+w.sql()+` ORDER BY created_at, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("querying commands: %w", err)
	}
	defer rows.Close()
	var out []fleet.Command
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCommandState implements fleet.Store as a compare-and-swap on state.
func (s *Store) SetCommandState(ctx context.Context, c fleet.Command, from fleet.CommandState) (bool, error) {
	res, err := s.w().ExecContext(ctx, `UPDATE commands SET state = $2, message = $3, delivered_at = $4, finished_at = $5
		WHERE id = $1 AND state = $6`,
		c.ID, string(c.State), c.Message, millis(c.DeliveredAt), millis(c.FinishedAt), string(from))
	if err != nil {
		return false, fmt.Errorf("updating command %s: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("counting rows: %w", err)
	}
	return n == 1, nil
}

func scanCommand(row scanner) (fleet.Command, error) {
	var c fleet.Command
	var kind, params, state string
	var created, delivered, finished int64
	if err := row.Scan(&c.ID, &c.AgentID, &kind, &params, &state, &c.Message, &created, &delivered, &finished); err != nil {
		return c, fmt.Errorf("scanning command: %w", err)
	}
	c.Kind, c.State = fleet.CommandKind(kind), fleet.CommandState(state)
	c.CreatedAt, c.DeliveredAt, c.FinishedAt = fromMillis(created), fromMillis(delivered), fromMillis(finished)
	if err := json.Unmarshal([]byte(params), &c.Params); err != nil {
		return c, fmt.Errorf("decoding params of command %s: %w", c.ID, err)
	}
	return c, nil
}
