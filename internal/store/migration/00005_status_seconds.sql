{{/* INTEGER predates the type words and means the same in both dialects. */ -}}
-- +goose Up
-- Uptime is measured in seconds of each state, not in checks: the stretches
-- between checks and the gaps when no node was running to check (down
-- time, or maintenance when the stop was planned) count for what they
-- lasted. Each check so far stood for a minute.
ALTER TABLE status_samples ADD COLUMN operational_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_samples ADD COLUMN degraded_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_samples ADD COLUMN outage_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_samples ADD COLUMN maintenance_seconds INTEGER NOT NULL DEFAULT 0;
UPDATE status_samples SET operational_seconds = 60 * (checks - degraded - outage),
    degraded_seconds = 60 * degraded, outage_seconds = 60 * outage;

-- +goose Down
ALTER TABLE status_samples DROP COLUMN maintenance_seconds;
ALTER TABLE status_samples DROP COLUMN outage_seconds;
ALTER TABLE status_samples DROP COLUMN degraded_seconds;
ALTER TABLE status_samples DROP COLUMN operational_seconds;
