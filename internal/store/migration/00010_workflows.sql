-- +goose Up
-- Workflows (workflow.go): a project's versioned step lists, their runs,
-- the state of every step of every run, and project secrets. A step's
-- attempts are executions of a hidden queue job (jobs.run_id, jobs.step),
-- so claims, leases, rescue, retries, flow control and history apply as
-- they do to any job.
CREATE TABLE workflows (
    id                   {{.ID}} PRIMARY KEY,
    project_id           {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    organization_id      {{.ID}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                 {{.Text}} NOT NULL,
    version              {{.Int}} NOT NULL DEFAULT 1,
    health               {{.Text}} NOT NULL DEFAULT 'healthy',
    consecutive_failures {{.Int}} NOT NULL DEFAULT 0,
    last_run_at          {{.Time}},
    last_run_status      {{.Text}} NOT NULL DEFAULT '',
    created_at           {{.Time}} NOT NULL,
    updated_at           {{.Time}} NOT NULL
);
CREATE INDEX workflows_project_idx ON workflows (project_id, created_at, id);

-- Every version ever saved; a run reads the version it started with.
CREATE TABLE workflow_versions (
    workflow_id {{.ID}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     {{.Int}} NOT NULL,
    definition  {{.JSON}} NOT NULL,
    created_at  {{.Time}} NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE workflow_runs (
    id              {{.ID}} PRIMARY KEY,
    workflow_id     {{.ID}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    project_id      {{.ID}} NOT NULL,
    organization_id {{.ID}} NOT NULL,
    version         {{.Int}} NOT NULL,
    status          {{.Text}} NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    trigger_kind    {{.Text}} NOT NULL DEFAULT 'api',
    job_id          {{.ID}},
    payload         {{.JSON}},
    idempotency_key {{.Text}},
    scheduled_for   {{.Time}} NOT NULL,
    error           {{.Text}} NOT NULL DEFAULT '',
    created_at      {{.Time}} NOT NULL,
    finished_at     {{.Time}},
    updated_at      {{.Time}} NOT NULL
);
CREATE INDEX workflow_runs_workflow_idx ON workflow_runs (workflow_id, created_at DESC);
CREATE INDEX workflow_runs_project_idx ON workflow_runs (project_id, created_at DESC);
CREATE INDEX workflow_runs_running_idx ON workflow_runs (updated_at) WHERE status = 'running';
CREATE UNIQUE INDEX workflow_runs_idempotency_idx ON workflow_runs (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One row per step of a run (item = -1), and per item of a for_each step.
CREATE TABLE workflow_run_steps (
    run_id             {{.ID}} NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    step_key           {{.Text}} NOT NULL,
    item               {{.Int}} NOT NULL DEFAULT -1,
    item_value         {{.JSON}},
    items              {{.Int}} NOT NULL DEFAULT -1,
    status             {{.Text}} NOT NULL CHECK (status IN ('waiting', 'scheduled', 'succeeded', 'failed', 'skipped', 'cancelled')),
    job_id             {{.ID}},
    attempts           {{.Int}} NOT NULL DEFAULT 0,
    due_at             {{.Time}},
    reason             {{.Text}} NOT NULL DEFAULT '',
    response_status    {{.Int}} NOT NULL DEFAULT 0,
    response_headers   {{.JSON}},
    response_body      {{.Bytes}},
    response_truncated {{.Bool}} NOT NULL DEFAULT {{.False}},
    started_at         {{.Time}},
    finished_at        {{.Time}},
    duration_ms        {{.Int}} NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, step_key, item)
);
CREATE INDEX workflow_run_steps_job_idx ON workflow_run_steps (job_id) WHERE job_id IS NOT NULL;

-- A job may target a workflow (each occurrence starts a run); a hidden
-- queue job may carry one step instance of a run.
ALTER TABLE jobs ADD COLUMN workflow_id {{.ID}} REFERENCES workflows (id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN run_id {{.ID}} REFERENCES workflow_runs (id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN step {{.JSON}};
CREATE INDEX jobs_workflow_idx ON jobs (workflow_id) WHERE workflow_id IS NOT NULL;
CREATE INDEX jobs_run_idx ON jobs (run_id) WHERE run_id IS NOT NULL;

-- Project secrets: values sealed like signing secrets.
CREATE TABLE project_secrets (
    project_id {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       {{.Text}} NOT NULL,
    value      {{.Bytes}} NOT NULL,
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- Flips of workflows, sent like jobs' (a failed run flips a healthy
-- workflow to failing; a succeeded run flips it back).
CREATE TABLE workflow_flips (
    id           {{.ID}} PRIMARY KEY,
    workflow_id  {{.ID}} NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    project_id   {{.ID}} NOT NULL,
    run_id       {{.ID}},
    event        {{.Text}} NOT NULL,
    created_at   {{.Time}} NOT NULL,
    processed_at {{.Time}}
);
CREATE INDEX workflow_flips_unprocessed_idx ON workflow_flips (created_at) WHERE processed_at IS NULL;

-- +goose Down
DROP TABLE workflow_flips;
DROP TABLE project_secrets;
DROP INDEX jobs_run_idx;
DROP INDEX jobs_workflow_idx;
ALTER TABLE jobs DROP COLUMN step;
ALTER TABLE jobs DROP COLUMN run_id;
ALTER TABLE jobs DROP COLUMN workflow_id;
DROP TABLE workflow_run_steps;
DROP TABLE workflow_runs;
DROP TABLE workflow_versions;
DROP TABLE workflows;
