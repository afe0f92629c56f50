-- +goose Up
-- The whole domain. Later changes add columns in new numbered files.
-- SQLite dialect: ids are TEXT UUIDs, times are INTEGER Unix microseconds (UTC),
-- booleans are 0/1, JSON is TEXT.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    tier       TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro')),
    personal   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    confirmed_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash      BLOB NOT NULL UNIQUE,
    invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    declined_at     INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX invitations_org_idx ON invitations (organization_id);

-- Sessions and one-time links (confirm, reset, email change), hashed.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'confirm', 'reset', 'email_change')),
    hash         BLOB NOT NULL UNIQUE,
    data         TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX tokens_user_idx ON tokens (user_id, kind);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE projects (
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    signing_secret      BLOB NOT NULL, -- encrypted (internal/seal)
    previous_secret     BLOB,          -- encrypted; signs too until previous_until
    previous_until      INTEGER,
    alert_after         INTEGER NOT NULL DEFAULT 1 CHECK (alert_after >= 1),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX projects_org_idx ON projects (organization_id);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id      TEXT REFERENCES projects (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    key_id          TEXT NOT NULL UNIQUE,
    secret_hash     BLOB NOT NULL,
    created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    last_used_at    INTEGER,
    revoked_at      INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id);

CREATE TABLE jobs (
    id                      TEXT PRIMARY KEY,
    project_id              TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    organization_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                    TEXT NOT NULL CHECK (kind IN ('cron', 'once', 'queue')),
    name                    TEXT NOT NULL DEFAULT '',
    url                     TEXT NOT NULL,
    method                  TEXT NOT NULL DEFAULT 'GET',
    headers                 TEXT NOT NULL DEFAULT '[]',
    body                    TEXT NOT NULL DEFAULT '',
    timeout_ms              INTEGER NOT NULL DEFAULT 30000,
    retry_attempts          INTEGER NOT NULL DEFAULT 5,
    enabled                 INTEGER NOT NULL DEFAULT 1,
    cron_expression         TEXT NOT NULL DEFAULT '',
    schedule_interval       TEXT NOT NULL DEFAULT '',
    time_zone               TEXT NOT NULL DEFAULT 'UTC',
    run_at                  INTEGER,
    catch_up                TEXT NOT NULL DEFAULT 'latest',
    catch_up_window_s       INTEGER NOT NULL DEFAULT 3600,
    overlap                 TEXT NOT NULL DEFAULT 'allow',
    interval_minutes        INTEGER NOT NULL DEFAULT 0,
    notify_mode             TEXT NOT NULL DEFAULT 'project',
    next_run_at             INTEGER,
    health                  TEXT NOT NULL DEFAULT 'healthy',
    consecutive_failures    INTEGER NOT NULL DEFAULT 0,
    disabled_reason         TEXT NOT NULL DEFAULT '',
    idempotency_key         TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CHECK (kind <> 'cron' OR cron_expression <> ''),
    CHECK (kind = 'cron' OR run_at IS NOT NULL)
);
CREATE INDEX jobs_project_idx ON jobs (project_id, created_at, id);
CREATE INDEX jobs_org_idx ON jobs (organization_id) WHERE kind <> 'queue';
CREATE INDEX jobs_due_idx ON jobs (next_run_at) WHERE enabled = 1 AND next_run_at IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The executions table is the queue: one row per delivery attempt of one
-- occurrence (job at one scheduled time).
CREATE TABLE executions (
    id                 TEXT PRIMARY KEY,
    job_id             TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id         TEXT NOT NULL,
    organization_id    TEXT NOT NULL,
    scheduled_for      INTEGER NOT NULL,
    due_at             INTEGER NOT NULL,
    attempt            INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'timeout', 'missed', 'skipped', 'quota_exceeded')),
    priority           INTEGER NOT NULL DEFAULT 0,
    rescued            INTEGER NOT NULL DEFAULT 0,
    manual             INTEGER NOT NULL DEFAULT 0,
    missed_count       INTEGER NOT NULL DEFAULT 0,
    claimed_by         TEXT NOT NULL DEFAULT '',
    claimed_at         INTEGER,
    lease_expires_at   INTEGER,
    started_at         INTEGER,
    finished_at        INTEGER,
    request_method     TEXT NOT NULL DEFAULT '',
    request_url        TEXT NOT NULL DEFAULT '',
    request_headers    TEXT,
    response_status    INTEGER NOT NULL DEFAULT 0,
    response_headers   TEXT,
    response_body      BLOB,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    duration_ms        INTEGER NOT NULL DEFAULT 0,
    error              TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    UNIQUE (job_id, scheduled_for, attempt)
);
-- Claim: an index range scan per priority, most overdue first.
CREATE INDEX executions_pending_idx ON executions (priority, due_at) WHERE status = 'pending';
-- Running rows, by lease (a row has a lease exactly while it runs). The
-- predicate is deliberately not status = 'running': completion writes
-- filter on that status and must find their rows by primary key, not walk
-- an index full of entries that churn with every claim.
CREATE INDEX executions_lease_idx ON executions (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX executions_job_idx ON executions (job_id, created_at DESC);
CREATE INDEX executions_project_idx ON executions (project_id, created_at DESC);
CREATE INDEX executions_finished_idx ON executions (organization_id, finished_at);

-- One row per leadership (the scheduler's): a lease timed by the database clock.
CREATE TABLE leaders (
    name       TEXT PRIMARY KEY,
    leader_id  TEXT NOT NULL,
    elected_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Monthly request usage per organization (UTC calendar months).
CREATE TABLE usage (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month           TEXT NOT NULL,
    requests        INTEGER NOT NULL DEFAULT 0,
    notified_80     INTEGER NOT NULL DEFAULT 0,
    notified_100    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, month)
);

CREATE TABLE audit_log (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT,
    actor_user_id    TEXT,
    actor_api_key_id TEXT,
    actor_email      TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL,
    target_type      TEXT NOT NULL DEFAULT '',
    target_id        TEXT NOT NULL DEFAULT '',
    ip               TEXT NOT NULL DEFAULT '',
    request_id       TEXT NOT NULL DEFAULT '',
    detail           TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX audit_log_org_idx ON audit_log (organization_id, created_at DESC);

-- Fixed-window counters for login and other abuse limits, shared by all nodes.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
);

CREATE TABLE channels (
    id                 TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'discord')),
    name               TEXT NOT NULL DEFAULT '',
    target             TEXT NOT NULL,
    confirmed_at       INTEGER,
    confirm_token_hash BLOB UNIQUE,
    enabled            INTEGER NOT NULL DEFAULT 1,
    disabled_reason    TEXT NOT NULL DEFAULT '',
    failure_count      INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX channels_project_idx ON channels (project_id);

-- Per-job channel lists (notify_mode = 'custom').
CREATE TABLE job_channels (
    job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, channel_id)
);

-- Health flips waiting to be notified (an outbox).
CREATE TABLE flips (
    id           TEXT PRIMARY KEY,
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id   TEXT NOT NULL,
    execution_id TEXT,
    event        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    processed_at INTEGER
);
CREATE INDEX flips_unprocessed_idx ON flips (created_at) WHERE processed_at IS NULL;

-- Every notification send, successful or not.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    project_id   TEXT,
    channel_id   TEXT REFERENCES channels (id) ON DELETE SET NULL,
    job_id       TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    execution_id TEXT,
    event        TEXT NOT NULL,
    recipient    TEXT NOT NULL DEFAULT '',
    ok           INTEGER NOT NULL,
    error        TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX notifications_project_idx ON notifications (project_id, created_at DESC);
CREATE INDEX notifications_channel_idx ON notifications (channel_id, created_at DESC);

-- Per-job daily outcome counts, kept 90 days for uptime bars.
CREATE TABLE job_days (
    job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    success INTEGER NOT NULL DEFAULT 0,
    failed  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, day)
);

CREATE TABLE status_pages (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    published  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX status_pages_project_idx ON status_pages (project_id);

CREATE TABLE status_page_jobs (
    status_page_id TEXT NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    job_id         TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    display_name   TEXT NOT NULL,
    position       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (status_page_id, job_id)
);

CREATE INDEX status_page_jobs_job_idx ON status_page_jobs (job_id);

-- Prikke's own status: incidents posted by operators and daily health samples.
CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL,
    components  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    resolved_at INTEGER
);

CREATE TABLE incident_updates (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, created_at DESC);

CREATE TABLE status_samples (
    day       TEXT NOT NULL,
    component TEXT NOT NULL,
    checks    INTEGER NOT NULL DEFAULT 0,
    degraded  INTEGER NOT NULL DEFAULT 0,
    outage    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, component)
);

-- Live signals for /status: each node's heartbeat, per component.
CREATE TABLE heartbeats (
    name       TEXT PRIMARY KEY,
    beat_at    INTEGER NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE heartbeats;
DROP TABLE status_samples;
DROP TABLE incident_updates;
DROP TABLE incidents;
DROP TABLE status_page_jobs;
DROP TABLE status_pages;
DROP TABLE job_days;
DROP TABLE notifications;
DROP TABLE flips;
DROP TABLE job_channels;
DROP TABLE channels;
DROP TABLE rate_limits;
DROP TABLE audit_log;
DROP TABLE usage;
DROP TABLE leaders;
DROP TABLE executions;
DROP TABLE jobs;
DROP TABLE api_keys;
DROP TABLE projects;
DROP TABLE tokens;
DROP TABLE invitations;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
DROP TABLE settings;
