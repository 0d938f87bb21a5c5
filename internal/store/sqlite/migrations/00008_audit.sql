-- The audit trail (internal/audit): one row per change made through an API
-- family, the web console or the operator CLI. Rows are only ever
-- inserted, so id grows with every event and orders them; at is Unix
-- milliseconds. No request body, secret, token or password is kept.

-- +goose Up
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    family     TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    status     BIGINT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);

-- +goose Down
DROP TABLE audit_events;
