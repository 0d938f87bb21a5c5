-- In step with sqlite/migrations/00005_id_counters.sql: IDs of API keys and
-- roles are never reused; the counters live in a table both engines share.

-- +goose Up
CREATE TABLE id_counters (
    name TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO id_counters (name, last) SELECT 'api_keys', COALESCE(MAX(id), 0) FROM api_keys;
INSERT INTO id_counters (name, last) SELECT 'roles', COALESCE(MAX(id), 2) FROM roles;

-- +goose Down
DROP TABLE id_counters;
