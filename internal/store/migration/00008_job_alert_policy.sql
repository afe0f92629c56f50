-- +goose Up
-- What applying a job's alert policy (00007's jobs.alert_policy) needs
-- besides the run of successes: when the last failing alert was written
-- (for re-alerts), and whether the failing alert was held by a snooze or
-- window (sent at the first run after it if the job still fails).
ALTER TABLE jobs ADD COLUMN alerted_at {{.Time}};
ALTER TABLE jobs ADD COLUMN alert_held {{.Bool}} NOT NULL DEFAULT {{.False}};
-- A job flip written while muted is recorded, not sent.
ALTER TABLE flips ADD COLUMN muted {{.Bool}} NOT NULL DEFAULT {{.False}};

-- +goose Down
ALTER TABLE flips DROP COLUMN muted;
ALTER TABLE jobs DROP COLUMN alert_held;
ALTER TABLE jobs DROP COLUMN alerted_at;
