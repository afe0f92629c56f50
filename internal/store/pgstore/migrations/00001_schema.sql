-- +goose Up
-- The whole domain. Later changes add columns in new numbered files.

CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    tier       text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro')),
    personal   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    confirmed_at  timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash      bytea NOT NULL UNIQUE,
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    declined_at     timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX invitations_org_idx ON invitations (organization_id);

-- Sessions and one-time links (confirm, reset, email change), hashed.
CREATE TABLE tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('session', 'confirm', 'reset', 'email_change')),
    hash         bytea NOT NULL UNIQUE,
    data         text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX tokens_user_idx ON tokens (user_id, kind);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE projects (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL,
    signing_secret      bytea NOT NULL, -- encrypted (internal/seal)
    previous_secret     bytea,          -- encrypted; signs too until previous_until
    previous_until      timestamptz,
    alert_after         integer NOT NULL DEFAULT 1 CHECK (alert_after >= 1),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX projects_org_idx ON projects (organization_id);

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id      uuid REFERENCES projects (id) ON DELETE CASCADE,
    name            text NOT NULL,
    key_id          text NOT NULL UNIQUE,
    secret_hash     bytea NOT NULL,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id);

CREATE TABLE jobs (
    id                      uuid PRIMARY KEY,
    project_id              uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    organization_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                    text NOT NULL CHECK (kind IN ('cron', 'once', 'queue')),
    name                    text NOT NULL DEFAULT '',
    url                     text NOT NULL,
    method                  text NOT NULL DEFAULT 'GET',
    headers                 jsonb NOT NULL DEFAULT '[]',
    body                    text NOT NULL DEFAULT '',
    timeout_ms              integer NOT NULL DEFAULT 30000,
    retry_attempts          integer NOT NULL DEFAULT 5,
    enabled                 boolean NOT NULL DEFAULT true,
    cron_expression         text NOT NULL DEFAULT '',
    schedule_interval       text NOT NULL DEFAULT '',
    time_zone               text NOT NULL DEFAULT 'UTC',
    run_at                  timestamptz,
    catch_up                text NOT NULL DEFAULT 'latest',
    catch_up_window_s       integer NOT NULL DEFAULT 3600,
    overlap                 text NOT NULL DEFAULT 'allow',
    interval_minutes        integer NOT NULL DEFAULT 0,
    notify_mode             text NOT NULL DEFAULT 'project',
    next_run_at             timestamptz,
    health                  text NOT NULL DEFAULT 'healthy',
    consecutive_failures    integer NOT NULL DEFAULT 0,
    disabled_reason         text NOT NULL DEFAULT '',
    idempotency_key         text,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CHECK (kind <> 'cron' OR cron_expression <> ''),
    CHECK (kind = 'cron' OR run_at IS NOT NULL)
);
CREATE INDEX jobs_project_idx ON jobs (project_id, created_at, id);
CREATE INDEX jobs_org_idx ON jobs (organization_id) WHERE kind <> 'queue';
CREATE INDEX jobs_due_idx ON jobs (next_run_at) WHERE enabled AND next_run_at IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The executions table is the queue: one row per delivery attempt of one
-- occurrence (job at one scheduled time).
CREATE TABLE executions (
    id                 uuid PRIMARY KEY,
    job_id             uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id         uuid NOT NULL,
    organization_id    uuid NOT NULL,
    scheduled_for      timestamptz NOT NULL,
    due_at             timestamptz NOT NULL,
    attempt            integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    status             text NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'timeout', 'missed', 'skipped', 'quota_exceeded')),
    priority           smallint NOT NULL DEFAULT 0,
    rescued            boolean NOT NULL DEFAULT false,
    manual             boolean NOT NULL DEFAULT false,
    missed_count       integer NOT NULL DEFAULT 0,
    claimed_by         text NOT NULL DEFAULT '',
    claimed_at         timestamptz,
    lease_expires_at   timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz,
    request_method     text NOT NULL DEFAULT '',
    request_url        text NOT NULL DEFAULT '',
    request_headers    jsonb,
    response_status    integer NOT NULL DEFAULT 0,
    response_headers   jsonb,
    response_body      bytea,
    response_truncated boolean NOT NULL DEFAULT false,
    duration_ms        integer NOT NULL DEFAULT 0,
    error              text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
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
    name       text PRIMARY KEY,
    leader_id  text NOT NULL,
    elected_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Monthly request usage per organization (UTC calendar months).
CREATE TABLE usage (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month           text NOT NULL,
    requests        bigint NOT NULL DEFAULT 0,
    notified_80     boolean NOT NULL DEFAULT false,
    notified_100    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (organization_id, month)
);

CREATE TABLE audit_log (
    id               uuid PRIMARY KEY,
    organization_id  uuid,
    actor_user_id    uuid,
    actor_api_key_id uuid,
    actor_email      text NOT NULL DEFAULT '',
    action           text NOT NULL,
    target_type      text NOT NULL DEFAULT '',
    target_id        text NOT NULL DEFAULT '',
    ip               text NOT NULL DEFAULT '',
    request_id       text NOT NULL DEFAULT '',
    detail           text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL
);
CREATE INDEX audit_log_org_idx ON audit_log (organization_id, created_at DESC);

-- Fixed-window counters for login and other abuse limits, shared by all nodes.
CREATE TABLE rate_limits (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL
);

CREATE TABLE channels (
    id                 uuid PRIMARY KEY,
    project_id         uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind               text NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'discord')),
    name               text NOT NULL DEFAULT '',
    target             text NOT NULL,
    confirmed_at       timestamptz,
    confirm_token_hash bytea UNIQUE,
    enabled            boolean NOT NULL DEFAULT true,
    disabled_reason    text NOT NULL DEFAULT '',
    failure_count      integer NOT NULL DEFAULT 0,
    last_error         text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX channels_project_idx ON channels (project_id);

-- Per-job channel lists (notify_mode = 'custom').
CREATE TABLE job_channels (
    job_id     uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, channel_id)
);

-- Health flips waiting to be notified (an outbox).
CREATE TABLE flips (
    id           uuid PRIMARY KEY,
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id   uuid NOT NULL,
    execution_id uuid,
    event        text NOT NULL,
    created_at   timestamptz NOT NULL,
    processed_at timestamptz
);
CREATE INDEX flips_unprocessed_idx ON flips (created_at) WHERE processed_at IS NULL;

-- Every notification send, successful or not.
CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    project_id   uuid,
    channel_id   uuid REFERENCES channels (id) ON DELETE SET NULL,
    job_id       uuid REFERENCES jobs (id) ON DELETE SET NULL,
    execution_id uuid,
    event        text NOT NULL,
    recipient    text NOT NULL DEFAULT '',
    ok           boolean NOT NULL,
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL
);
CREATE INDEX notifications_project_idx ON notifications (project_id, created_at DESC);
CREATE INDEX notifications_channel_idx ON notifications (channel_id, created_at DESC);

-- Per-job daily outcome counts, kept 90 days for uptime bars.
CREATE TABLE job_days (
    job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    day     text NOT NULL,
    success integer NOT NULL DEFAULT 0,
    failed  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, day)
);

CREATE TABLE status_pages (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slug       text NOT NULL UNIQUE,
    title      text NOT NULL,
    published  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX status_pages_project_idx ON status_pages (project_id);

CREATE TABLE status_page_jobs (
    status_page_id uuid NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    job_id         uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    display_name   text NOT NULL,
    position       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (status_page_id, job_id)
);

CREATE INDEX status_page_jobs_job_idx ON status_page_jobs (job_id);

-- Prikke's own status: incidents posted by operators and daily health samples.
CREATE TABLE incidents (
    id          uuid PRIMARY KEY,
    title       text NOT NULL,
    status      text NOT NULL,
    components  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    resolved_at timestamptz
);

CREATE TABLE incident_updates (
    id          uuid PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    status      text NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, created_at DESC);

CREATE TABLE status_samples (
    day       text NOT NULL,
    component text NOT NULL,
    checks    integer NOT NULL DEFAULT 0,
    degraded  integer NOT NULL DEFAULT 0,
    outage    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, component)
);

-- Live signals for /status: each node's heartbeat, per component.
CREATE TABLE heartbeats (
    name       text PRIMARY KEY,
    beat_at    timestamptz NOT NULL,
    detail     text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE heartbeats, status_samples, incident_updates, incidents, status_page_jobs, status_pages,
    job_days, notifications, flips, job_channels, channels, rate_limits, audit_log, usage, leaders,
    executions, jobs, api_keys, projects, tokens, invitations, memberships, users, organizations, settings;
