-- +goose Up
-- Cron monitors (issue 13): a customer's own job pings Prikke; the
-- scheduler acts on each monitor's deadline_at. Durations are stored in
-- milliseconds.
CREATE TABLE monitors (
    id                    {{.ID}} PRIMARY KEY,
    project_id            {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                  {{.Text}} NOT NULL,
    slug                  {{.Text}} NOT NULL,
    description           {{.Text}} NOT NULL DEFAULT '',
    ping_token            {{.Text}} NOT NULL UNIQUE,
    badge_token           {{.Text}} NOT NULL UNIQUE,
    period_ms             {{.BigInt}} NOT NULL DEFAULT 0,
    cron_expression       {{.Text}} NOT NULL DEFAULT '',
    time_zone             {{.Text}} NOT NULL DEFAULT 'UTC',
    grace_ms              {{.BigInt}} NOT NULL DEFAULT 0,
    max_runtime_ms        {{.BigInt}} NOT NULL DEFAULT 0,
    min_runtime_ms        {{.BigInt}} NOT NULL DEFAULT 0,
    fail_threshold        {{.Int}} NOT NULL DEFAULT 1,
    recovery_threshold    {{.Int}} NOT NULL DEFAULT 1,
    realert_every_ms      {{.BigInt}} NOT NULL DEFAULT 0,
    snooze_until          {{.Time}},
    window_cron           {{.Text}} NOT NULL DEFAULT '',
    window_time_zone      {{.Text}} NOT NULL DEFAULT '',
    window_duration_ms    {{.BigInt}} NOT NULL DEFAULT 0,
    window_skip_runs      {{.Bool}} NOT NULL DEFAULT {{.False}},
    manual_resume         {{.Bool}} NOT NULL DEFAULT {{.False}},
    notify_mode           {{.Text}} NOT NULL DEFAULT 'project',
    status                {{.Text}} NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'up', 'running', 'down', 'paused')),
    consecutive_failures  {{.Int}} NOT NULL DEFAULT 0,
    consecutive_successes {{.Int}} NOT NULL DEFAULT 0,
    last_ping_at          {{.Time}},
    last_ping_kind        {{.Text}} NOT NULL DEFAULT '',
    last_duration_ms      {{.BigInt}},
    due_at                {{.Time}},
    open_runs             {{.JSON}} NOT NULL DEFAULT '[]',
    deadline_at           {{.Time}},
    alerted_at            {{.Time}},
    muted_down            {{.Bool}} NOT NULL DEFAULT {{.False}},
    version               {{.BigInt}} NOT NULL DEFAULT 0,
    created_at            {{.Time}} NOT NULL,
    updated_at            {{.Time}} NOT NULL,
    UNIQUE (project_id, slug)
);
CREATE INDEX monitors_project_idx ON monitors (project_id, created_at, id);
-- The scheduler's next deadline and the due monitors, soonest first.
CREATE INDEX monitors_deadline_idx ON monitors (deadline_at) WHERE deadline_at IS NOT NULL;

-- Per-monitor channel lists (notify_mode = 'custom').
CREATE TABLE monitor_channels (
    monitor_id {{.ID}} NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    channel_id {{.ID}} NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (monitor_id, channel_id)
);

-- Every ping, kept within the tier's history window (each monitor's
-- newest 100 always).
CREATE TABLE pings (
    id             {{.ID}} PRIMARY KEY,
    monitor_id     {{.ID}} NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    project_id     {{.ID}} NOT NULL,
    kind           {{.Text}} NOT NULL CHECK (kind IN ('start', 'success', 'fail', 'log')),
    exit_status    {{.Int}},
    rid            {{.Text}} NOT NULL DEFAULT '',
    duration_ms    {{.BigInt}},
    method         {{.Text}} NOT NULL DEFAULT '',
    source_ip      {{.Text}} NOT NULL DEFAULT '',
    user_agent     {{.Text}} NOT NULL DEFAULT '',
    body           {{.Bytes}},
    body_size      {{.Int}} NOT NULL DEFAULT 0,
    body_truncated {{.Bool}} NOT NULL DEFAULT {{.False}},
    created_at     {{.Time}} NOT NULL
);
CREATE INDEX pings_monitor_idx ON pings (monitor_id, created_at DESC);

-- A monitor's status changes: its history, and the notifier's outbox.
CREATE TABLE monitor_flips (
    id            {{.ID}} PRIMARY KEY,
    monitor_id    {{.ID}} NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    project_id    {{.ID}} NOT NULL,
    ping_id       {{.ID}},
    event         {{.Text}} NOT NULL,
    from_status   {{.Text}} NOT NULL DEFAULT '',
    to_status     {{.Text}} NOT NULL DEFAULT '',
    detail        {{.Text}} NOT NULL DEFAULT '',
    prikke_down   {{.Bool}} NOT NULL DEFAULT {{.False}},
    muted         {{.Bool}} NOT NULL DEFAULT {{.False}},
    created_at    {{.Time}} NOT NULL,
    -- A notifier's claim: until then no other claims the flip; it sets
    -- processed_at once every channel was sent to, so a flip whose
    -- notifier died is claimed again after its lease.
    claimed_until {{.Time}},
    processed_at  {{.Time}}
);
CREATE INDEX monitor_flips_unprocessed_idx ON monitor_flips (created_at) WHERE processed_at IS NULL;
CREATE INDEX monitor_flips_monitor_idx ON monitor_flips (monitor_id, created_at DESC);

CREATE TABLE status_page_monitors (
    status_page_id {{.ID}} NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    monitor_id     {{.ID}} NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    display_name   {{.Text}} NOT NULL,
    position       {{.Int}} NOT NULL DEFAULT 0,
    PRIMARY KEY (status_page_id, monitor_id)
);
CREATE INDEX status_page_monitors_monitor_idx ON status_page_monitors (monitor_id);

-- The project's name in slug ping URLs, random; projects from before get
-- one here.
ALTER TABLE projects ADD COLUMN ping_key {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN snooze_until {{.Time}};
{{if .Postgres -}}
UPDATE projects SET ping_key = translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/=', '-_');
{{- else -}}
UPDATE projects SET ping_key = lower(hex(randomblob(11)));
{{- end}}
CREATE UNIQUE INDEX projects_ping_key_idx ON projects (ping_key);

ALTER TABLE notifications ADD COLUMN monitor_id {{.ID}} REFERENCES monitors (id) ON DELETE SET NULL;
CREATE INDEX notifications_monitor_idx ON notifications (monitor_id) WHERE monitor_id IS NOT NULL;

-- The alert policy jobs share with monitors (thresholds, re-alert,
-- snooze, window), as JSON, and the run of successes toward recovery.
ALTER TABLE jobs ADD COLUMN alert_policy {{.JSON}} NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN consecutive_successes {{.Int}} NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE jobs DROP COLUMN consecutive_successes;
ALTER TABLE jobs DROP COLUMN alert_policy;
DROP INDEX notifications_monitor_idx;
ALTER TABLE notifications DROP COLUMN monitor_id;
DROP INDEX projects_ping_key_idx;
ALTER TABLE projects DROP COLUMN snooze_until;
ALTER TABLE projects DROP COLUMN ping_key;
DROP TABLE status_page_monitors;
DROP TABLE monitor_flips;
DROP TABLE pings;
DROP TABLE monitor_channels;
DROP TABLE monitors;
