-- Case-insensitive name lookups (SearchFilter string tests compile to
-- LOWER(column) = LOWER($n)) use these instead of scanning the table.

-- +goose Up
CREATE INDEX api_keys_name_lower ON api_keys (LOWER(key_name));
CREATE INDEX roles_name_lower ON roles (LOWER(name));

-- +goose Down
DROP INDEX roles_name_lower;
DROP INDEX api_keys_name_lower;
