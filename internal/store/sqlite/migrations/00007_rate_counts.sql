-- Rate-limit counts shared by the replicas of one database: calls counted
-- per (scope, key) and whole second. The PostgreSQL engine's counter uses
-- it; a single SQLite node counts in memory, and keeps the table only so
-- both schemas stay in step (rampart migrate-store copies table by table).

-- +goose Up
CREATE TABLE rate_counts (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    sec   BIGINT NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (scope, key, sec)
);

-- +goose Down
DROP TABLE rate_counts;
