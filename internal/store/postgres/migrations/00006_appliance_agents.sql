-- In step with sqlite/migrations/00006_appliance_agents.sql: appliances
-- that check in carry out the on-appliance steps, which then wait
-- (awaiting = 1) for their report.

-- +goose Up
ALTER TABLE appliances ADD COLUMN agent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN managed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN awaiting BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE migrations DROP COLUMN awaiting;
ALTER TABLE migrations DROP COLUMN managed;
ALTER TABLE appliances DROP COLUMN agent;
