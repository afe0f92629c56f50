-- +goose Up
-- Flow control (flow.go): a project's limits on one destination, and the
-- GCRA state the claim advances. A key has a row only when it is limited
-- (configured, paused, or held by its endpoint); every other key is free.
CREATE TABLE flow_keys (
    id          {{.ID}} PRIMARY KEY,
    project_id  {{.ID}} NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key         {{.Text}} NOT NULL,
    rate        {{.Int}} NOT NULL DEFAULT 0,
    period_ms   {{.BigInt}} NOT NULL DEFAULT 1000,
    burst       {{.Int}} NOT NULL DEFAULT 1,
    parallelism {{.Int}} NOT NULL DEFAULT 0,
    paused      {{.Bool}} NOT NULL DEFAULT {{.False}},
    -- false: the row exists only because the endpoint held the key.
    configured  {{.Bool}} NOT NULL DEFAULT {{.True}},
    -- GCRA theoretical arrival time, and ready_at = the next free slot
    -- (tat less the burst tolerance, or the end of a hold).
    tat         {{.Time}},
    ready_at    {{.Time}},
    held_until  {{.Time}},
    hold_reason {{.Text}} NOT NULL DEFAULT '',
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL
);
CREATE UNIQUE INDEX flow_keys_project_key_idx ON flow_keys (project_id, key);

-- The key a job names ('' = its destination's host:port), and the key an
-- execution was made with (always set; retries and rescues keep it).
ALTER TABLE jobs ADD COLUMN flow_key {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN flow_key {{.Text}} NOT NULL DEFAULT '';
-- How long flow control held the attempt back (start slot less due).
ALTER TABLE executions ADD COLUMN throttled_ms {{.BigInt}} NOT NULL DEFAULT 0;

-- A waiting or running execution whose key has a row carries the row's id
-- in flow; the ordinary claim skips those (by its index's predicate), and
-- the flow claim reads them per key in FIFO order, never past what it can
-- start. Running ones are counted per key for the parallelism.
{{if .Postgres -}}
ALTER TABLE execution_queue ADD COLUMN flow uuid;
DROP INDEX execution_queue_pending_idx;
CREATE INDEX execution_queue_pending_idx ON execution_queue (priority, due_at) WHERE lease_expires_at IS NULL AND flow IS NULL;
CREATE INDEX execution_queue_flow_pending_idx ON execution_queue (flow, due_at) WHERE flow IS NOT NULL AND lease_expires_at IS NULL;
CREATE INDEX execution_queue_flow_running_idx ON execution_queue (flow) WHERE flow IS NOT NULL AND lease_expires_at IS NOT NULL;
{{- else -}}
ALTER TABLE executions ADD COLUMN flow TEXT;
DROP INDEX executions_pending_idx;
CREATE INDEX executions_pending_idx ON executions (priority, due_at) WHERE status = 'pending' AND flow IS NULL;
CREATE INDEX executions_flow_pending_idx ON executions (flow, due_at) WHERE status = 'pending' AND flow IS NOT NULL;
CREATE INDEX executions_flow_running_idx ON executions (flow) WHERE status = 'running' AND flow IS NOT NULL;
{{- end}}

-- +goose Down
{{if .Postgres -}}
DROP INDEX execution_queue_flow_running_idx;
DROP INDEX execution_queue_flow_pending_idx;
DROP INDEX execution_queue_pending_idx;
CREATE INDEX execution_queue_pending_idx ON execution_queue (priority, due_at) WHERE lease_expires_at IS NULL;
ALTER TABLE execution_queue DROP COLUMN flow;
{{- else -}}
DROP INDEX executions_flow_running_idx;
DROP INDEX executions_flow_pending_idx;
DROP INDEX executions_pending_idx;
CREATE INDEX executions_pending_idx ON executions (priority, due_at) WHERE status = 'pending';
ALTER TABLE executions DROP COLUMN flow;
{{- end}}
ALTER TABLE executions DROP COLUMN throttled_ms;
ALTER TABLE executions DROP COLUMN flow_key;
ALTER TABLE jobs DROP COLUMN flow_key;
DROP TABLE flow_keys;
