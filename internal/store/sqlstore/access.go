package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

// The engine implements the Workload Security identity store too.
var _ identity.AccessStore = (*Store)(nil)

const adminColumns = `id, username, password_hash, role_id, failed, locked_until, totp_secret, created`

// InsertAdmin implements identity.AccessStore.
func (s *Store) InsertAdmin(ctx context.Context, a identity.Administrator) (int64, error) {
	var id int64
	err := s.w().QueryRowContext(ctx, `INSERT INTO administrators (username, password_hash, role_id, failed, locked_until, totp_secret, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.Username, a.PasswordHash, a.RoleID, a.Failed, millis(a.LockedUntil), []byte(a.TOTPSecret), millis(a.Created)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("inserting administrator: %w", err)
	}
	return id, nil
}

// AdminByName implements identity.AccessStore.
func (s *Store) AdminByName(ctx context.Context, username string) (identity.Administrator, error) {
	return scanAdmin(s.r().QueryRowContext(ctx, `SELECT `+adminColumns+` FROM administrators WHERE username = $1`, username))
}

// Admin implements identity.AccessStore.
func (s *Store) Admin(ctx context.Context, id int64) (identity.Administrator, error) {
	return scanAdmin(s.r().QueryRowContext(ctx, `SELECT `+adminColumns+` FROM administrators WHERE id = $1`, id))
}

// Admins implements identity.AccessStore.
func (s *Store) Admins(ctx context.Context) ([]identity.Administrator, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+adminColumns+` FROM administrators ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("querying administrators: %w", err)
	}
	defer rows.Close()
	var out []identity.Administrator
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAdmin implements identity.AccessStore.
func (s *Store) UpdateAdmin(ctx context.Context, a identity.Administrator) error {
	res, err := s.w().ExecContext(ctx, `UPDATE administrators SET password_hash = $2, role_id = $3, failed = $4, locked_until = $5, totp_secret = $6 WHERE id = $1`,
		a.ID, a.PasswordHash, a.RoleID, a.Failed, millis(a.LockedUntil), []byte(a.TOTPSecret))
	return oneRow(res, err, identity.ErrNotFound)
}

func scanAdmin(row scanner) (identity.Administrator, error) {
	var a identity.Administrator
	var locked, created int64
	var totp []byte // sealed bytes: a BLOB / BYTEA, never text
	err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.RoleID, &a.Failed, &locked, &totp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, identity.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("scanning administrator: %w", err)
	}
	a.LockedUntil, a.Created, a.TOTPSecret = fromMillis(locked), fromMillis(created), string(totp)
	return a, nil
}

// InsertSession implements identity.AccessStore.
func (s *Store) InsertSession(ctx context.Context, se identity.Session) error {
	_, err := s.w().ExecContext(ctx, `INSERT INTO sessions (id_hash, rid, admin_id, created, last_activity) VALUES ($1, $2, $3, $4, $5)`,
		se.IDHash, se.RID, se.AdminID, millis(se.Created), millis(se.LastActivity))
	if err != nil {
		return fmt.Errorf("inserting session: %w", err)
	}
	return nil
}

// Session implements identity.AccessStore.
func (s *Store) Session(ctx context.Context, idHash string) (identity.Session, error) {
	var se identity.Session
	var created, last int64
	err := s.r().QueryRowContext(ctx, `SELECT id_hash, rid, admin_id, created, last_activity FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&se.IDHash, &se.RID, &se.AdminID, &created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return se, identity.ErrNotFound
	}
	if err != nil {
		return se, fmt.Errorf("reading session: %w", err)
	}
	se.Created, se.LastActivity = fromMillis(created), fromMillis(last)
	return se, nil
}

// TouchSession implements identity.AccessStore.
func (s *Store) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	res, err := s.w().ExecContext(ctx, `UPDATE sessions SET last_activity = $2 WHERE id_hash = $1`, idHash, at.UnixMilli())
	return oneRow(res, err, identity.ErrNotFound)
}

// DeleteSession implements identity.AccessStore.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return oneRow(res, err, identity.ErrNotFound)
}

const roleColumns = `id, name, description, immutable, equal_or_lesser, all_computers, all_policies, allow_ui, allow_ws,
	computer_ids, computer_group_ids, policy_ids, rights, created`

var roleTable = searchTable{Name: "roles", IDColumn: "id", Columns: map[string]string{
	"ID": "id", "name": "name", "description": "description", "immutable": "immutable", "allComputers": "all_computers",
	"allPolicies": "all_policies", "allowUserInterface": "allow_ui", "allowWebService": "allow_ws",
}}

// EnsureRoles implements identity.AccessStore: it inserts the roles whose
// IDs are missing, keeping any that exist.
func (s *Store) EnsureRoles(ctx context.Context, roles []identity.Role) error {
	return s.inTx(ctx, func(tx *Store) error {
		for _, r := range roles {
			if _, err := tx.Role(ctx, r.ID); err == nil {
				continue
			} else if !errors.Is(err, identity.ErrNotFound) {
				return err
			}
			if _, err := tx.insertRole(ctx, r, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// InsertRole implements identity.AccessStore.
func (s *Store) InsertRole(ctx context.Context, r identity.Role) (int64, error) {
	return s.insertRole(ctx, r, false)
}

func (s *Store) insertRole(ctx context.Context, r identity.Role, withID bool) (int64, error) {
	rights, err := json.Marshal(r.Rights)
	if err != nil {
		return 0, fmt.Errorf("encoding rights: %w", err)
	}
	cols := `name, description, immutable, equal_or_lesser, all_computers, all_policies, allow_ui, allow_ws, computer_ids, computer_group_ids, policy_ids, rights, created`
	args := []any{r.Name, r.Description, boolInt(r.Immutable), boolInt(r.CanOnlyManipulateUsersWithEqualOrLesser), boolInt(r.AllComputers),
		boolInt(r.AllPolicies), boolInt(r.AllowUserInterface), boolInt(r.AllowWebService), joinIDs(r.ComputerIDs),
		joinIDs(r.ComputerGroupIDs), joinIDs(r.PolicyIDs), string(rights), millis(r.Created)}
	var id int64
	err = s.inTx(ctx, func(tx *Store) error {
		id = r.ID
		if !withID {
			var err error
			if id, err = tx.nextID(ctx, "roles"); err != nil {
				return err
			}
		} else if err := tx.raiseID(ctx, "roles", id); err != nil {
			return err
		}
		_, err := tx.w().ExecContext(ctx, `INSERT INTO roles (id, `+cols+`) VALUES ($14, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			append(args, id)...)
		if err != nil {
			return fmt.Errorf("inserting role: %w", err)
		}
		return nil
	})
	return id, err
}

// nextID allocates the next ID of a table from id_counters; IDs are never
// reused, even after the newest row is deleted.
func (s *Store) nextID(ctx context.Context, name string) (int64, error) {
	var id int64
	if err := s.w().QueryRowContext(ctx, `UPDATE id_counters SET last = last + 1 WHERE name = $1 RETURNING last`, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("allocating an ID for %s: %w", name, err)
	}
	return id, nil
}

// raiseID makes sure the counter of a table is at least id (for rows
// inserted with a fixed ID, the built-in roles).
func (s *Store) raiseID(ctx context.Context, name string, id int64) error {
	if _, err := s.w().ExecContext(ctx, `UPDATE id_counters SET last = $2 WHERE name = $1 AND last < $2`, name, id); err != nil {
		return fmt.Errorf("raising the ID counter of %s: %w", name, err)
	}
	return nil
}

// Role implements identity.AccessStore.
func (s *Store) Role(ctx context.Context, id int64) (identity.Role, error) {
	return scanRole(s.r().QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE id = $1`, id))
}

// Roles implements identity.AccessStore, running the filter as SQL.
func (s *Store) Roles(ctx context.Context, f search.Filter) ([]identity.Role, error) {
	where, args, tail := compileSearch(f, roleTable, 1)
	rows, err := s.r().QueryContext(ctx, `SELECT `+roleColumns+` FROM roles`+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("searching roles: %w", err)
	}
	defer rows.Close()
	out := []identity.Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRole implements identity.AccessStore.
func (s *Store) UpdateRole(ctx context.Context, r identity.Role) error {
	rights, err := json.Marshal(r.Rights)
	if err != nil {
		return fmt.Errorf("encoding rights: %w", err)
	}
	res, err := s.w().ExecContext(ctx, `UPDATE roles SET name = $2, description = $3, equal_or_lesser = $4, all_computers = $5,
		all_policies = $6, allow_ui = $7, allow_ws = $8, computer_ids = $9, computer_group_ids = $10, policy_ids = $11, rights = $12
		WHERE id = $1`,
		r.ID, r.Name, r.Description, boolInt(r.CanOnlyManipulateUsersWithEqualOrLesser), boolInt(r.AllComputers), boolInt(r.AllPolicies),
		boolInt(r.AllowUserInterface), boolInt(r.AllowWebService), joinIDs(r.ComputerIDs), joinIDs(r.ComputerGroupIDs), joinIDs(r.PolicyIDs), string(rights))
	return oneRow(res, err, identity.ErrNotFound)
}

// DeleteRole implements identity.AccessStore.
func (s *Store) DeleteRole(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, id)
	return oneRow(res, err, identity.ErrNotFound)
}

// RoleInUse implements identity.AccessStore.
func (s *Store) RoleInUse(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.r().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM api_keys WHERE role_id = $1) + (SELECT COUNT(*) FROM administrators WHERE role_id = $1)`, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("counting role users: %w", err)
	}
	return n > 0, nil
}

func scanRole(row scanner) (identity.Role, error) {
	var r identity.Role
	var immutable, lesser, allC, allP, ui, ws, created int64
	var cids, gids, pids, rights string
	err := row.Scan(&r.ID, &r.Name, &r.Description, &immutable, &lesser, &allC, &allP, &ui, &ws, &cids, &gids, &pids, &rights, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, identity.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("scanning role: %w", err)
	}
	r.Immutable, r.CanOnlyManipulateUsersWithEqualOrLesser = immutable != 0, lesser != 0
	r.AllComputers, r.AllPolicies, r.AllowUserInterface, r.AllowWebService = allC != 0, allP != 0, ui != 0, ws != 0
	r.ComputerIDs, r.ComputerGroupIDs, r.PolicyIDs, r.Created = splitIDs(cids), splitIDs(gids), splitIDs(pids), fromMillis(created)
	if err := json.Unmarshal([]byte(rights), &r.Rights); err != nil {
		return r, fmt.Errorf("decoding rights of role %d: %w", r.ID, err)
	}
	return r, nil
}

const keyColumns = `id, key_name, description, locale, role_id, time_zone, active, created, last_sign_in, unlock_time,
	failed, expiry_date, service_account, secret_hash`

var keyTable = searchTable{Name: "api_keys", IDColumn: "id", Columns: map[string]string{
	"ID": "id", "keyName": "key_name", "description": "description", "locale": "locale", "roleID": "role_id",
	"timeZone": "time_zone", "active": "active", "created": "created", "lastSignIn": "last_sign_in",
	"unlockTime": "unlock_time", "unsuccessfulSignInAttempts": "failed", "expiryDate": "expiry_date",
	"serviceAccount": "service_account",
}}

// InsertAPIKey implements identity.AccessStore.
func (s *Store) InsertAPIKey(ctx context.Context, k identity.APIKey, secretFor func(id int64) (string, error)) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *Store) error {
		var err error
		if id, err = tx.nextID(ctx, "api_keys"); err != nil {
			return err
		}
		_, err = tx.w().ExecContext(ctx, `INSERT INTO api_keys (id, key_name, description, locale, role_id, time_zone, active, created,
			last_sign_in, unlock_time, failed, expiry_date, service_account, secret_hash)
			VALUES ($13, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '')`,
			k.KeyName, k.Description, k.Locale, k.RoleID, k.TimeZone, boolInt(k.Active), millis(k.Created),
			nullMillis(k.LastSignIn), nullMillis(k.UnlockTime), k.UnsuccessfulSignInAttempts, nullMillis(k.ExpiryDate),
			boolInt(k.ServiceAccount), id)
		if err != nil {
			return fmt.Errorf("inserting API key: %w", err)
		}
		hash, err := secretFor(id)
		if err != nil {
			return err
		}
		_, err = tx.w().ExecContext(ctx, `UPDATE api_keys SET secret_hash = $2 WHERE id = $1`, id, hash)
		return err
	})
	return id, err
}

// APIKey implements identity.AccessStore.
func (s *Store) APIKey(ctx context.Context, id int64) (identity.APIKey, error) {
	return scanKey(s.r().QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
}

// APIKeys implements identity.AccessStore, running the filter as SQL.
func (s *Store) APIKeys(ctx context.Context, f search.Filter) ([]identity.APIKey, error) {
	where, args, tail := compileSearch(f, keyTable, 1)
	rows, err := s.r().QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys`+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("searching API keys: %w", err)
	}
	defer rows.Close()
	out := []identity.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// UpdateAPIKey implements identity.AccessStore.
func (s *Store) UpdateAPIKey(ctx context.Context, k identity.APIKey) error {
	res, err := s.w().ExecContext(ctx, `UPDATE api_keys SET key_name = $2, description = $3, locale = $4, role_id = $5, time_zone = $6,
		active = $7, last_sign_in = $8, unlock_time = $9, failed = $10, expiry_date = $11, service_account = $12, secret_hash = $13 WHERE id = $1`,
		k.ID, k.KeyName, k.Description, k.Locale, k.RoleID, k.TimeZone, boolInt(k.Active), nullMillis(k.LastSignIn),
		nullMillis(k.UnlockTime), k.UnsuccessfulSignInAttempts, nullMillis(k.ExpiryDate), boolInt(k.ServiceAccount), k.SecretHash)
	return oneRow(res, err, identity.ErrNotFound)
}

// RecordKeySignIn implements identity.AccessStore.
func (s *Store) RecordKeySignIn(ctx context.Context, id int64, secretHash string, at time.Time) error {
	_, err := s.w().ExecContext(ctx, `UPDATE api_keys SET last_sign_in = $2, failed = 0, unlock_time = NULL
		WHERE id = $1 AND secret_hash = $3`, id, at.UnixMilli(), secretHash)
	if err != nil {
		return fmt.Errorf("recording sign-in of API key %d: %w", id, err)
	}
	return nil
}

// RecordKeyFailure implements identity.AccessStore in one UPDATE, so that
// concurrent failures all count and nothing else of the key is written.
func (s *Store) RecordKeyFailure(ctx context.Context, id int64, now time.Time, maxFailed int, lockUntil time.Time) error {
	const count = `(CASE WHEN unlock_time IS NOT NULL AND unlock_time <= $2 THEN 1 ELSE failed + 1 END)`
	_, err := s.w().ExecContext(ctx, `UPDATE api_keys SET
		failed = `+count+`,
		unlock_time = CASE WHEN `+count+` >= $3 THEN $4
			WHEN unlock_time IS NOT NULL AND unlock_time <= $2 THEN NULL ELSE unlock_time END
		WHERE id = $1`, id, now.UnixMilli(), maxFailed, lockUntil.UnixMilli())
	if err != nil {
		return fmt.Errorf("counting failed sign-in of API key %d: %w", id, err)
	}
	return nil
}

// DeleteAPIKey implements identity.AccessStore.
func (s *Store) DeleteAPIKey(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	return oneRow(res, err, identity.ErrNotFound)
}

func scanKey(row scanner) (identity.APIKey, error) {
	var k identity.APIKey
	var active, created, service int64
	var last, unlock, expiry sql.NullInt64
	err := row.Scan(&k.ID, &k.KeyName, &k.Description, &k.Locale, &k.RoleID, &k.TimeZone, &active, &created, &last, &unlock,
		&k.UnsuccessfulSignInAttempts, &expiry, &service, &k.SecretHash)
	if errors.Is(err, sql.ErrNoRows) {
		return k, identity.ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("scanning API key: %w", err)
	}
	k.Active, k.ServiceAccount, k.Created = active != 0, service != 0, fromMillis(created)
	k.LastSignIn, k.UnlockTime, k.ExpiryDate = fromMillis(last.Int64), fromMillis(unlock.Int64), fromMillis(expiry.Int64)
	return k, nil
}

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, p := range splitList(s) {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}
