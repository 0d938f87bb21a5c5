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

const serverColumns = `entity_id, product, ad_domain, ip_address_list, mac_address_list, host_name, capabilities, update_sources`

// InsertServer implements fleet.Store.
func (s *Store) InsertServer(ctx context.Context, srv fleet.Server) error {
	// A server registered with update sources keeps them; NULL means none
	// were ever deployed.
	var sources sql.NullString
	if srv.UpdateSources != nil {
		data, err := json.Marshal(toStoredSettings(*srv.UpdateSources))
		if err != nil {
			return fmt.Errorf("encoding update sources: %w", err)
		}
		sources = sql.NullString{String: string(data), Valid: true}
	}
	return s.inTx(ctx, func(tx *Store) error {
		key := fleet.Key(srv.EntityID)
		_, err := tx.w().ExecContext(ctx, `INSERT INTO servers (entity_key, host_key, product_key, `+serverColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			key, fleet.Key(srv.HostName), fleet.Key(srv.Product), srv.EntityID, srv.Product, srv.ADDomain,
			strings.Join(srv.IPAddresses, ","), strings.Join(srv.MACAddresses, ","), srv.HostName, joinCaps(srv.Capabilities), sources)
		if err != nil {
			return fmt.Errorf("inserting server: %w", err)
		}
		return tx.insertAddresses(ctx, "server", key, srv.IPAddresses, srv.MACAddresses)
	})
}

// Server implements fleet.Store.
func (s *Store) Server(ctx context.Context, entityID string) (fleet.Server, error) {
	row := s.r().QueryRowContext(ctx, `SELECT `+serverColumns+` FROM servers WHERE entity_key = $1`, fleet.Key(entityID))
	srv, err := scanServer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return srv, fleet.ErrServerNotFound
	}
	return srv, err
}

// Servers implements fleet.Store; f must be normalised.
func (s *Store) Servers(ctx context.Context, f fleet.ServerFilter) ([]fleet.Server, error) {
	var w where
	w.eq("entity_key", f.EntityID)
	w.eq("host_key", f.HostName)
	w.eq("product_key", f.Product)
	w.address("server", "servers", "ip", f.IPAddress)
	w.address("server", "servers", "mac", f.MACAddress)
	rows, err := s.r().QueryContext(ctx, `SELECT `+serverColumns+` FROM servers`+w.sql()+` ORDER BY seq`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("querying servers: %w", err)
	}
	defer rows.Close()
	var out []fleet.Server
	for rows.Next() {
		srv, err := scanServer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, srv)
	}
	return out, rows.Err()
}

// SetServerUpdateSources implements fleet.Store.
func (s *Store) SetServerUpdateSources(ctx context.Context, entityID string, u fleet.UpdateSourceSettings) error {
	data, err := json.Marshal(toStoredSettings(u))
	if err != nil {
		return fmt.Errorf("encoding update sources: %w", err)
	}
	res, err := s.w().ExecContext(ctx, `UPDATE servers SET update_sources = $2 WHERE entity_key = $1`, fleet.Key(entityID), string(data))
	return oneRow(res, err, fleet.ErrServerNotFound)
}

func scanServer(row scanner) (fleet.Server, error) {
	var srv fleet.Server
	var ips, macs, caps string
	var sources sql.NullString
	if err := row.Scan(&srv.EntityID, &srv.Product, &srv.ADDomain, &ips, &macs, &srv.HostName, &caps, &sources); err != nil {
		return srv, fmt.Errorf("scanning server: %w", err)
	}
	srv.IPAddresses, srv.MACAddresses, srv.Capabilities = splitList(ips), splitList(macs), splitCaps(caps)
	if sources.Valid {
		var st storedSettings
		if err := json.Unmarshal([]byte(sources.String), &st); err != nil {
			return srv, fmt.Errorf("decoding update sources of server %s: %w", srv.EntityID, err)
		}
		u, err := st.settings()
		if err != nil {
			return srv, fmt.Errorf("decoding update sources of server %s: %w", srv.EntityID, err)
		}
		srv.UpdateSources = &u
	}
	return srv, nil
}

func joinCaps(caps []fleet.Capability) string {
	parts := make([]string, len(caps))
	for i, c := range caps {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

func splitCaps(s string) []fleet.Capability {
	caps := []fleet.Capability{}
	for _, p := range splitList(s) {
		caps = append(caps, fleet.Capability(p))
	}
	return caps
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
