-- Appliances that check in over the agent protocol carry out the steps
-- that happen on the appliance: such a migration waits (awaiting = 1) at
-- those steps until the appliance reports the step done.

-- +goose Up
ALTER TABLE appliances ADD COLUMN agent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN managed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN awaiting INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE migrations DROP COLUMN awaiting;
ALTER TABLE migrations DROP COLUMN managed;
ALTER TABLE appliances DROP COLUMN agent;
