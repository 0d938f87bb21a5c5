-- In step with sqlite/migrations/00003_search_indexes.sql: case-insensitive
-- name lookups (LOWER(column) = LOWER($n)) use these indexes.

-- +goose Up
CREATE INDEX api_keys_name_lower ON api_keys (LOWER(key_name));
CREATE INDEX roles_name_lower ON roles (LOWER(name));

-- +goose Down
DROP INDEX roles_name_lower;
DROP INDEX api_keys_name_lower;
