-- +goose Up
-- A job's alert policy, as monitors have it: alert after fail_threshold
-- failed runs in a row (0: the project's alert_after), recover after
-- recovery_threshold successes, alert again every realert_every_s seconds
-- while failing (0: never), and not while snoozed or inside the window
-- (window_cron in window_time_zone, open window_s seconds; with
-- window_skip_runs its runs are not made either).
ALTER TABLE jobs ADD COLUMN fail_threshold {{.Int}} NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN recovery_threshold {{.Int}} NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN realert_every_s {{.Int}} NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN snooze_until {{.Time}};
ALTER TABLE jobs ADD COLUMN window_cron {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN window_time_zone {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN window_s {{.Int}} NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN window_skip_runs {{.Bool}} NOT NULL DEFAULT {{.False}};
-- The engine's state: successes in a row while failing (toward
-- recovery_threshold), when the last failing alert was written (for
-- re-alerts), and whether the failing alert was held by a mute (sent at
-- the first run after the mute if the job still fails).
ALTER TABLE jobs ADD COLUMN consecutive_successes {{.Int}} NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN alerted_at {{.Time}};
ALTER TABLE jobs ADD COLUMN alert_held {{.Bool}} NOT NULL DEFAULT {{.False}};
-- A flip written while muted is recorded, not sent.
ALTER TABLE flips ADD COLUMN muted {{.Bool}} NOT NULL DEFAULT {{.False}};

-- +goose Down
ALTER TABLE flips DROP COLUMN muted;
ALTER TABLE jobs DROP COLUMN alert_held;
ALTER TABLE jobs DROP COLUMN alerted_at;
ALTER TABLE jobs DROP COLUMN consecutive_successes;
ALTER TABLE jobs DROP COLUMN window_skip_runs;
ALTER TABLE jobs DROP COLUMN window_s;
ALTER TABLE jobs DROP COLUMN window_time_zone;
ALTER TABLE jobs DROP COLUMN window_cron;
ALTER TABLE jobs DROP COLUMN snooze_until;
ALTER TABLE jobs DROP COLUMN realert_every_s;
ALTER TABLE jobs DROP COLUMN recovery_threshold;
ALTER TABLE jobs DROP COLUMN fail_threshold;
