-- +goose Up
-- The whole domain. Later changes add columns in new numbered files.

CREATE TABLE settings (
    key        {{.Text}} PRIMARY KEY,
    value      {{.Text}} NOT NULL,
    created_at {{.Time}} NOT NULL DEFAULT {{.Now}}
);

CREATE TABLE organizations (
    id         {{.ID}} PRIMARY KEY,
    name       {{.Text}} NOT NULL,
    tier       {{.Text}} NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro')),
    personal   {{.Bool}} NOT NULL DEFAULT {{.False}},
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);

CREATE TABLE users (
    id            {{.ID}} PRIMARY KEY,
    email         {{.Text}} NOT NULL UNIQUE,
    password_hash {{.Text}} NOT NULL,
    confirmed_at  {{.Time}},
    created_at    {{.Time}} NOT NULL,
    updated_at    {{.Time}} NOT NULL
);

CREATE TABLE memberships (
    organization_id {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         {{.ID}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            {{.Text}} NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at      {{.Time}} NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invitations (
    id              {{.ID}} PRIMARY KEY,
    organization_id {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           {{.Text}} NOT NULL,
    role            {{.Text}} NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash      {{.Bytes}} NOT NULL UNIQUE,
    invited_by      {{.ID}} REFERENCES users (id) ON DELETE SET NULL,
    expires_at      {{.Time}} NOT NULL,
    accepted_at     {{.Time}},
    declined_at     {{.Time}},
    created_at      {{.Time}} NOT NULL
);
CREATE INDEX invitations_org_idx ON invitations (organization_id);

-- Sessions and one-time links (confirm, reset, email change), hashed.
CREATE TABLE tokens (
    id           {{.ID}} PRIMARY KEY,
    user_id      {{.ID}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         {{.Text}} NOT NULL CHECK (kind IN ('session', 'confirm', 'reset', 'email_change')),
    hash         {{.Bytes}} NOT NULL UNIQUE,
    data         {{.Text}} NOT NULL DEFAULT '',
    ip           {{.Text}} NOT NULL DEFAULT '',
    user_agent   {{.Text}} NOT NULL DEFAULT '',
    expires_at   {{.Time}} NOT NULL,
    last_seen_at {{.Time}} NOT NULL,
    created_at   {{.Time}} NOT NULL
);
CREATE INDEX tokens_user_idx ON tokens (user_id, kind);
CREATE INDEX tokens_expires_idx ON tokens (expires_at);

CREATE TABLE projects (
    id                  {{.ID}} PRIMARY KEY,
    organization_id     {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                {{.Text}} NOT NULL,
    signing_secret      {{.Bytes}} NOT NULL, -- encrypted (internal/seal)
    previous_secret     {{.Bytes}},          -- encrypted; signs too until previous_until
    previous_until      {{.Time}},
    alert_after         {{.Int}} NOT NULL DEFAULT 1 CHECK (alert_after >= 1),
    created_at          {{.Time}} NOT NULL,
    updated_at          {{.Time}} NOT NULL
);
CREATE INDEX projects_org_idx ON projects (organization_id);

CREATE TABLE api_keys (
    id              {{.ID}} PRIMARY KEY,
    organization_id {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id      {{.ID}} REFERENCES projects (id) ON DELETE CASCADE,
    name            {{.Text}} NOT NULL,
    key_id          {{.Text}} NOT NULL UNIQUE,
    secret_hash     {{.Bytes}} NOT NULL,
    created_by      {{.ID}} REFERENCES users (id) ON DELETE SET NULL,
    last_used_at    {{.Time}},
    revoked_at      {{.Time}},
    created_at      {{.Time}} NOT NULL
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id);

CREATE TABLE jobs (
    id                      {{.ID}} PRIMARY KEY,
    project_id              {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    organization_id         {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                    {{.Text}} NOT NULL CHECK (kind IN ('cron', 'once', 'queue')),
    name                    {{.Text}} NOT NULL DEFAULT '',
    url                     {{.Text}} NOT NULL,
    method                  {{.Text}} NOT NULL DEFAULT 'GET',
    headers                 {{.JSON}} NOT NULL DEFAULT '[]',
    body                    {{.Text}} NOT NULL DEFAULT '',
    timeout_ms              {{.Int}} NOT NULL DEFAULT 30000,
    retry_attempts          {{.Int}} NOT NULL DEFAULT 5,
    enabled                 {{.Bool}} NOT NULL DEFAULT {{.True}},
    cron_expression         {{.Text}} NOT NULL DEFAULT '',
    schedule_interval       {{.Text}} NOT NULL DEFAULT '',
    time_zone               {{.Text}} NOT NULL DEFAULT 'UTC',
    run_at                  {{.Time}},
    catch_up                {{.Text}} NOT NULL DEFAULT 'latest',
    catch_up_window_s       {{.Int}} NOT NULL DEFAULT 3600,
    overlap                 {{.Text}} NOT NULL DEFAULT 'allow',
    interval_minutes        {{.Int}} NOT NULL DEFAULT 0,
    notify_mode             {{.Text}} NOT NULL DEFAULT 'project',
    next_run_at             {{.Time}},
    health                  {{.Text}} NOT NULL DEFAULT 'healthy',
    consecutive_failures    {{.Int}} NOT NULL DEFAULT 0,
    disabled_reason         {{.Text}} NOT NULL DEFAULT '',
    idempotency_key         {{.Text}},
    created_at              {{.Time}} NOT NULL,
    updated_at              {{.Time}} NOT NULL,
    CHECK (kind <> 'cron' OR cron_expression <> ''),
    CHECK (kind = 'cron' OR run_at IS NOT NULL)
);
CREATE INDEX jobs_project_idx ON jobs (project_id, created_at, id);
CREATE INDEX jobs_org_idx ON jobs (organization_id) WHERE kind <> 'queue';
CREATE INDEX jobs_due_idx ON jobs (next_run_at) WHERE {{if .Postgres}}enabled{{else}}enabled = 1{{end}} AND next_run_at IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency_idx ON jobs (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The executions table is the queue: one row per delivery attempt of one
-- occurrence (job at one scheduled time).
CREATE TABLE executions (
    id                 {{.ID}} PRIMARY KEY,
    job_id             {{.ID}} NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id         {{.ID}} NOT NULL,
    organization_id    {{.ID}} NOT NULL,
    scheduled_for      {{.Time}} NOT NULL,
    due_at             {{.Time}} NOT NULL,
    attempt            {{.Int}} NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    status             {{.Text}} NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed', 'timeout', 'missed', 'skipped', 'quota_exceeded')),
    priority           {{.SmallInt}} NOT NULL DEFAULT 0,
    rescued            {{.Bool}} NOT NULL DEFAULT {{.False}},
    manual             {{.Bool}} NOT NULL DEFAULT {{.False}},
    missed_count       {{.Int}} NOT NULL DEFAULT 0,
    claimed_by         {{.Text}} NOT NULL DEFAULT '',
    claimed_at         {{.Time}},
    lease_expires_at   {{.Time}},
    started_at         {{.Time}},
    finished_at        {{.Time}},
    request_method     {{.Text}} NOT NULL DEFAULT '',
    request_url        {{.Text}} NOT NULL DEFAULT '',
    request_headers    {{.JSON}},
    response_status    {{.Int}} NOT NULL DEFAULT 0,
    response_headers   {{.JSON}},
    response_body      {{.Bytes}},
    response_truncated {{.Bool}} NOT NULL DEFAULT {{.False}},
    duration_ms        {{.Int}} NOT NULL DEFAULT 0,
    error              {{.Text}} NOT NULL DEFAULT '',
    created_at         {{.Time}} NOT NULL,
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
    name       {{.Text}} PRIMARY KEY,
    leader_id  {{.Text}} NOT NULL,
    elected_at {{.Time}} NOT NULL,
    expires_at {{.Time}} NOT NULL
);

-- Monthly request usage per organization (UTC calendar months).
CREATE TABLE usage (
    organization_id {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month           {{.Text}} NOT NULL,
    requests        {{.BigInt}} NOT NULL DEFAULT 0,
    notified_80     {{.Bool}} NOT NULL DEFAULT {{.False}},
    notified_100    {{.Bool}} NOT NULL DEFAULT {{.False}},
    PRIMARY KEY (organization_id, month)
);

CREATE TABLE audit_log (
    id               {{.ID}} PRIMARY KEY,
    organization_id  {{.ID}},
    actor_user_id    {{.ID}},
    actor_api_key_id {{.ID}},
    actor_email      {{.Text}} NOT NULL DEFAULT '',
    action           {{.Text}} NOT NULL,
    target_type      {{.Text}} NOT NULL DEFAULT '',
    target_id        {{.Text}} NOT NULL DEFAULT '',
    ip               {{.Text}} NOT NULL DEFAULT '',
    request_id       {{.Text}} NOT NULL DEFAULT '',
    detail           {{.Text}} NOT NULL DEFAULT '',
    created_at       {{.Time}} NOT NULL
);
CREATE INDEX audit_log_org_idx ON audit_log (organization_id, created_at DESC);

-- Fixed-window counters for login and other abuse limits, shared by all nodes.
CREATE TABLE rate_limits (
    key          {{.Text}} PRIMARY KEY,
    window_start {{.Time}} NOT NULL,
    count        {{.Int}} NOT NULL
);

CREATE TABLE channels (
    id                 {{.ID}} PRIMARY KEY,
    project_id         {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind               {{.Text}} NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'discord')),
    name               {{.Text}} NOT NULL DEFAULT '',
    target             {{.Text}} NOT NULL,
    confirmed_at       {{.Time}},
    confirm_token_hash {{.Bytes}} UNIQUE,
    enabled            {{.Bool}} NOT NULL DEFAULT {{.True}},
    disabled_reason    {{.Text}} NOT NULL DEFAULT '',
    failure_count      {{.Int}} NOT NULL DEFAULT 0,
    last_error         {{.Text}} NOT NULL DEFAULT '',
    created_at         {{.Time}} NOT NULL,
    updated_at         {{.Time}} NOT NULL
);
CREATE INDEX channels_project_idx ON channels (project_id);

-- Per-job channel lists (notify_mode = 'custom').
CREATE TABLE job_channels (
    job_id     {{.ID}} NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id {{.ID}} NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, channel_id)
);

-- Health flips waiting to be notified (an outbox).
CREATE TABLE flips (
    id           {{.ID}} PRIMARY KEY,
    job_id       {{.ID}} NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    project_id   {{.ID}} NOT NULL,
    execution_id {{.ID}},
    event        {{.Text}} NOT NULL,
    created_at   {{.Time}} NOT NULL,
    processed_at {{.Time}}
);
CREATE INDEX flips_unprocessed_idx ON flips (created_at) WHERE processed_at IS NULL;

-- Every notification send, successful or not.
CREATE TABLE notifications (
    id           {{.ID}} PRIMARY KEY,
    project_id   {{.ID}},
    channel_id   {{.ID}} REFERENCES channels (id) ON DELETE SET NULL,
    job_id       {{.ID}} REFERENCES jobs (id) ON DELETE SET NULL,
    execution_id {{.ID}},
    event        {{.Text}} NOT NULL,
    recipient    {{.Text}} NOT NULL DEFAULT '',
    ok           {{.Bool}} NOT NULL,
    error        {{.Text}} NOT NULL DEFAULT '',
    created_at   {{.Time}} NOT NULL
);
CREATE INDEX notifications_project_idx ON notifications (project_id, created_at DESC);
CREATE INDEX notifications_channel_idx ON notifications (channel_id, created_at DESC);

-- Per-job daily outcome counts, kept 90 days for uptime bars.
CREATE TABLE job_days (
    job_id  {{.ID}} NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    day     {{.Text}} NOT NULL,
    success {{.Int}} NOT NULL DEFAULT 0,
    failed  {{.Int}} NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, day)
);

CREATE TABLE status_pages (
    id         {{.ID}} PRIMARY KEY,
    project_id {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slug       {{.Text}} NOT NULL UNIQUE,
    title      {{.Text}} NOT NULL,
    published  {{.Bool}} NOT NULL DEFAULT {{.False}},
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);
CREATE INDEX status_pages_project_idx ON status_pages (project_id);

CREATE TABLE status_page_jobs (
    status_page_id {{.ID}} NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    job_id         {{.ID}} NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    display_name   {{.Text}} NOT NULL,
    position       {{.Int}} NOT NULL DEFAULT 0,
    PRIMARY KEY (status_page_id, job_id)
);

CREATE INDEX status_page_jobs_job_idx ON status_page_jobs (job_id);

-- Prikke's own status: incidents posted by operators and daily health samples.
CREATE TABLE incidents (
    id          {{.ID}} PRIMARY KEY,
    title       {{.Text}} NOT NULL,
    status      {{.Text}} NOT NULL,
    components  {{.Text}} NOT NULL DEFAULT '',
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL,
    resolved_at {{.Time}}
);

CREATE TABLE incident_updates (
    id          {{.ID}} PRIMARY KEY,
    incident_id {{.ID}} NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    status      {{.Text}} NOT NULL,
    message     {{.Text}} NOT NULL,
    created_at  {{.Time}} NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, created_at DESC);

CREATE TABLE status_samples (
    day       {{.Text}} NOT NULL,
    component {{.Text}} NOT NULL,
    checks    {{.Int}} NOT NULL DEFAULT 0,
    degraded  {{.Int}} NOT NULL DEFAULT 0,
    outage    {{.Int}} NOT NULL DEFAULT 0,
    PRIMARY KEY (day, component)
);

-- Live signals for /status: each node's heartbeat, per component.
CREATE TABLE heartbeats (
    name       {{.Text}} PRIMARY KEY,
    beat_at    {{.Time}} NOT NULL,
    detail     {{.Text}} NOT NULL DEFAULT ''
);

-- +goose Down
{{if .Postgres -}}
DROP TABLE heartbeats, status_samples, incident_updates, incidents, status_page_jobs, status_pages,
    job_days, notifications, flips, job_channels, channels, rate_limits, audit_log, usage, leaders,
    executions, jobs, api_keys, projects, tokens, invitations, memberships, users, organizations, settings;
{{- else -}}
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
{{- end}}
