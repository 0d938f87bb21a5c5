-- Network Security appliances and their migrations. A migration's step is
-- persisted before it is reported; runners claim work with a lease
-- (lease_owner, lease_until) and advance by compare-and-swap on step.

-- +goose Up
CREATE TABLE appliances (
    id            BIGINT PRIMARY KEY,
    instance_id   TEXT NOT NULL,
    host_name     TEXT NOT NULL,
    provider      TEXT NOT NULL,
    version       TEXT NOT NULL,
    previous      TEXT NOT NULL,
    dv_version    TEXT NOT NULL,
    fail_step     INTEGER NOT NULL,
    fail_message  TEXT NOT NULL,
    last_check_in BIGINT NOT NULL
);

CREATE TABLE migrations (
    id           INTEGER PRIMARY KEY,
    appliance_id BIGINT NOT NULL REFERENCES appliances (id),
    action       TEXT NOT NULL,
    from_version TEXT NOT NULL,
    to_version   TEXT NOT NULL,
    step         INTEGER NOT NULL,
    total_steps  INTEGER NOT NULL,
    state        TEXT NOT NULL,
    result       TEXT NOT NULL,
    message      TEXT NOT NULL,
    fail_step    INTEGER NOT NULL,
    fail_message TEXT NOT NULL,
    step_at      BIGINT NOT NULL,
    finished     BIGINT NOT NULL,
    lease_owner  TEXT NOT NULL,
    lease_until  BIGINT NOT NULL
);
CREATE INDEX migrations_appliance ON migrations (appliance_id, id);
CREATE INDEX migrations_running ON migrations (result, step_at);

-- +goose Down
DROP TABLE migrations;
DROP TABLE appliances;
