package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/fleet"
)

const agentColumns = `entity_id, product, managing_server_id, ad_domain, folder_path, ip_address_list, mac_address_list,
	host_name, isolation_status, capabilities, update_source, uninstalling, last_check_in`

// InsertAgent implements fleet.Store.
func (s *Store) InsertAgent(ctx context.Context, a fleet.Agent) error {
	return s.inTx(ctx, func(tx *Store) error {
		key := fleet.Key(a.EntityID)
		_, err := tx.w().ExecContext(ctx, `INSERT INTO agents (entity_key, host_key, product_key, managing_server_key, `+agentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			key, fleet.Key(a.HostName), fleet.Key(a.Product), fleet.Key(a.ManagingServerID),
			a.EntityID, a.Product, a.ManagingServerID, a.ADDomain, a.FolderPath,
			strings.Join(a.IPAddresses, ","), strings.Join(a.MACAddresses, ","), a.HostName, string(a.Isolation),
			joinCaps(a.Capabilities), a.UpdateSource, boolInt(a.Uninstalling), millis(a.LastCheckIn))
		if err != nil {
			return fmt.Errorf("inserting agent: %w", err)
		}
		return tx.insertAddresses(ctx, "agent", key, a.IPAddresses, a.MACAddresses)
	})
}

// Agent implements fleet.Store.
func (s *Store) Agent(ctx context.Context, entityID string) (fleet.Agent, error) {
	row := s.r().QueryRowContext(ctx, `SELECT `+agentColumns+` FROM agents WHERE entity_key = $1`, fleet.Key(entityID))
	a, err := scanAgent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fleet.ErrAgentNotFound
	}
	return a, err
}

// Agents implements fleet.Store; f must be normalised.
func (s *Store) Agents(ctx context.Context, f fleet.AgentFilter) ([]fleet.Agent, error) {
	var w where
	w.eq("entity_key", f.EntityID)
	w.eq("host_key", f.HostName)
	w.eq("product_key", f.Product)
	w.eq("managing_server_key", f.ManagingServerID)
	w.address("agent", "agents", "ip", f.IPAddress)
	w.address("agent", "agents", "mac", f.MACAddress)
	rows, err := s.r().QueryContext(ctx, `SELECT `+agentColumns+` FROM agents`+w.sql()+` ORDER BY seq`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("querying agents: %w", err)
	}
	defer rows.Close()
	out := []fleet.Agent{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAgent implements fleet.Store. Addresses and identity do not change.
func (s *Store) UpdateAgent(ctx context.Context, a fleet.Agent) error {
	res, err := s.w().ExecContext(ctx, `UPDATE agents SET managing_server_id = $2, managing_server_key = $3, folder_path = $4,
		isolation_status = $5, update_source = $6, uninstalling = $7 WHERE entity_key = $1`,
		fleet.Key(a.EntityID), a.ManagingServerID, fleet.Key(a.ManagingServerID), a.FolderPath,
		string(a.Isolation), a.UpdateSource, boolInt(a.Uninstalling))
	return oneRow(res, err, fleet.ErrAgentNotFound)
}

// DeleteAgent implements fleet.Store; the agent's addresses go too, its
// commands stay as history.
func (s *Store) DeleteAgent(ctx context.Context, entityID string) error {
	key := fleet.Key(entityID)
	return s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM addresses WHERE owner_kind = 'agent' AND owner_key = $1`, key); err != nil {
			return fmt.Errorf("deleting addresses: %w", err)
		}
		res, err := tx.w().ExecContext(ctx, `DELETE FROM agents WHERE entity_key = $1`, key)
		return oneRow(res, err, fleet.ErrAgentNotFound)
	})
}

// TouchAgent implements fleet.Store.
func (s *Store) TouchAgent(ctx context.Context, entityID string, at time.Time) error {
	res, err := s.w().ExecContext(ctx, `UPDATE agents SET last_check_in = $2 WHERE entity_key = $1`, fleet.Key(entityID), at.UnixMilli())
	return oneRow(res, err, fleet.ErrAgentNotFound)
}

func (s *Store) insertAddresses(ctx context.Context, owner, key string, ips, macs []string) error {
	seen := map[[2]string]bool{}
	add := func(kind, value string) error {
		if value == "" || seen[[2]string{kind, value}] {
			return nil
		}
		seen[[2]string{kind, value}] = true
		_, err := s.w().ExecContext(ctx, `INSERT INTO addresses (owner_kind, owner_key, kind, value) VALUES ($1, $2, $3, $4)`, owner, key, kind, value)
		if err != nil {
			return fmt.Errorf("inserting %s address %s: %w", kind, value, err)
		}
		return nil
	}
	for _, ip := range ips {
		if err := add("ip", fleet.NormalizeIP(ip)); err != nil {
			return err
		}
	}
	for _, mac := range macs {
		if err := add("mac", fleet.NormalizeMAC(mac)); err != nil {
			return err
		}
	}
	return nil
}

func scanAgent(row scanner) (fleet.Agent, error) {
	var a fleet.Agent
	var ips, macs, caps, status string
	var uninstalling, checkIn int64
	if err := row.Scan(&a.EntityID, &a.Product, &a.ManagingServerID, &a.ADDomain, &a.FolderPath, &ips, &macs,
		&a.HostName, &status, &caps, &a.UpdateSource, &uninstalling, &checkIn); err != nil {
		return a, fmt.Errorf("scanning agent: %w", err)
	}
	a.IPAddresses, a.MACAddresses, a.Capabilities = splitList(ips), splitList(macs), splitCaps(caps)
	a.Isolation, a.Uninstalling, a.LastCheckIn = fleet.IsolationStatus(status), uninstalling != 0, fromMillis(checkIn)
	return a, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
