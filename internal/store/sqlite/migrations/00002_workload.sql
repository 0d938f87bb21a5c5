-- The Workload Security identity: administrators, their sessions, roles
-- and API keys. Times are Unix milliseconds; 0 means "not set" for the
-- optional ones (lastSignIn, unlockTime, expiryDate, lockedUntil).

-- +goose Up
CREATE TABLE roles (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    immutable           INTEGER NOT NULL,
    equal_or_lesser     INTEGER NOT NULL,
    all_computers       INTEGER NOT NULL,
    all_policies        INTEGER NOT NULL,
    allow_ui            INTEGER NOT NULL,
    allow_ws            INTEGER NOT NULL,
    computer_ids        TEXT NOT NULL,
    computer_group_ids  TEXT NOT NULL,
    policy_ids          TEXT NOT NULL,
    rights              TEXT NOT NULL,
    created             BIGINT NOT NULL
);

CREATE TABLE administrators (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role_id       BIGINT NOT NULL REFERENCES roles (id),
    failed        INTEGER NOT NULL,
    locked_until  BIGINT NOT NULL,
    totp_secret   TEXT NOT NULL,
    created       BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    rid           TEXT NOT NULL,
    admin_id      BIGINT NOT NULL REFERENCES administrators (id) ON DELETE CASCADE,
    created       BIGINT NOT NULL,
    last_activity BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY,
    key_name        TEXT NOT NULL,
    description     TEXT NOT NULL,
    locale          TEXT NOT NULL,
    role_id         BIGINT NOT NULL REFERENCES roles (id),
    time_zone       TEXT NOT NULL,
    active          INTEGER NOT NULL,
    created         BIGINT NOT NULL,
    last_sign_in    BIGINT,
    unlock_time     BIGINT,
    failed          INTEGER NOT NULL,
    expiry_date     BIGINT,
    service_account INTEGER NOT NULL,
    secret_hash     TEXT NOT NULL
);
CREATE INDEX api_keys_name ON api_keys (key_name);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE administrators;
DROP TABLE roles;
