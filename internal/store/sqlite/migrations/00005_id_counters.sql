-- IDs of API keys and roles are never reused: a deleted key's secret
-- starts with its ID, and a client still sending it must not count
-- failures against (or lock out) a newer key. The counters live in a table
-- both engines share instead of engine-specific AUTOINCREMENT / sequences.

-- +goose Up
CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO id_counters (name, last) SELECT 'api_keys', COALESCE(MAX(id), 0) FROM api_keys;
INSERT INTO id_counters (name, last) SELECT 'roles', COALESCE(MAX(id), 2) FROM roles;

-- +goose Down
DROP TABLE id_counters;
