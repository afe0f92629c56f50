-- +goose Up
-- The zone the dashboard shows a user's instants in (an IANA name,
-- checked by the service). Users from before it see UTC until they choose.
ALTER TABLE users ADD COLUMN time_zone {{.Text}} NOT NULL DEFAULT 'UTC';

-- +goose Down
ALTER TABLE users DROP COLUMN time_zone;
