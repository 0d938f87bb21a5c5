-- The first schema: Apex Central applications, the managed fleet and the
-- agents' command queue. Times are Unix milliseconds (BIGINT), booleans
-- 0/1, lists comma-joined as the wire shows them. *_key columns hold the
-- case-insensitive comparison form the filters use.

-- +goose Up
CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    sealed_key      BLOB NOT NULL,
    enabled         INTEGER NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE servers (
    seq              INTEGER PRIMARY KEY,
    entity_key       TEXT NOT NULL UNIQUE,
    host_key         TEXT NOT NULL,
    product_key      TEXT NOT NULL,
    entity_id        TEXT NOT NULL,
    product          TEXT NOT NULL,
    ad_domain        TEXT NOT NULL,
    ip_address_list  TEXT NOT NULL,
    mac_address_list TEXT NOT NULL,
    host_name        TEXT NOT NULL,
    capabilities     TEXT NOT NULL,
    update_sources   TEXT
);

CREATE TABLE agents (
    seq                 INTEGER PRIMARY KEY,
    entity_key          TEXT NOT NULL UNIQUE,
    host_key            TEXT NOT NULL,
    product_key         TEXT NOT NULL,
    managing_server_key TEXT NOT NULL,
    entity_id           TEXT NOT NULL,
    product             TEXT NOT NULL,
    managing_server_id  TEXT NOT NULL,
    ad_domain           TEXT NOT NULL,
    folder_path         TEXT NOT NULL,
    ip_address_list     TEXT NOT NULL,
    mac_address_list    TEXT NOT NULL,
    host_name           TEXT NOT NULL,
    isolation_status    TEXT NOT NULL,
    capabilities        TEXT NOT NULL,
    update_source       TEXT NOT NULL,
    uninstalling        INTEGER NOT NULL,
    last_check_in       BIGINT NOT NULL
);
CREATE INDEX agents_host ON agents (host_key);
CREATE INDEX agents_server ON agents (managing_server_key);

-- addresses makes "ip_address equals any address in the list" an index
-- lookup instead of a string scan.
CREATE TABLE addresses (
    owner_kind TEXT NOT NULL,
    owner_key  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner_key, kind, value)
);
CREATE INDEX addresses_value ON addresses (kind, value, owner_kind);

CREATE TABLE commands (
    id           TEXT PRIMARY KEY,
    agent_key    TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    params       TEXT NOT NULL,
    state        TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL
);
CREATE INDEX commands_agent_state ON commands (agent_key, state, created_at);

-- +goose Down
DROP TABLE commands;
DROP TABLE addresses;
DROP TABLE agents;
DROP TABLE servers;
DROP TABLE applications;
