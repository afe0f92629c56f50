{{/* PostgreSQL only: the SQLite store claims from the executions table itself. */ -}}
{{if .Postgres -}}
-- +goose Up
-- The queue moves out of the history table into a narrow one of its own.
--
-- An execution row is written three times: pending, running, finished. While
-- the history table indexed the queue's columns (status, lease, finish time),
-- each of the last two writes was a new row version with a new entry in every
-- index on the table. Now only execution_queue holds what changes while an
-- execution waits and runs: a row per pending or running execution, removed
-- when it finishes. The history table's indexes cover columns that never
-- change after insert, so claim and completion rewrite its rows in place
-- (heap-only tuples) and touch no index of it.
CREATE TABLE execution_queue (
    id               uuid PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    attempt          integer NOT NULL,
    priority         smallint NOT NULL,
    due_at           timestamptz NOT NULL,
    organization_id  uuid NOT NULL,
    claimed_by       text NOT NULL DEFAULT '',
    -- Set exactly while the execution runs: NULL is pending.
    lease_expires_at timestamptz
);
-- Claim: an index range scan per priority, most overdue first.
CREATE INDEX execution_queue_pending_idx ON execution_queue (priority, due_at) WHERE lease_expires_at IS NULL;
-- Rescue: running executions by lease.
CREATE INDEX execution_queue_lease_idx ON execution_queue (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

INSERT INTO execution_queue (id, attempt, priority, due_at, organization_id, claimed_by, lease_expires_at)
    SELECT id, attempt, priority, due_at, organization_id, claimed_by,
        CASE WHEN status = 'running' THEN coalesce(lease_expires_at, now()) END
    FROM executions WHERE status IN ('pending', 'running');

DROP INDEX executions_pending_idx;
DROP INDEX executions_lease_idx;
-- Retention finds old rows through executions_project_idx (created_at is
-- never later than finished_at).
DROP INDEX executions_finished_idx;

-- A row grows about sixfold when its result is stored (request and response
-- headers): pages filled to 15% at insert leave room for that growth on the
-- same page, which an in-place (heap-only) update needs.
ALTER TABLE executions SET (fillfactor = 15);

-- Completion asks which jobs of a batch were not healthy (to mark them
-- recovered): nearly none are, and this index holds only those.
CREATE INDEX jobs_unhealthy_idx ON jobs (id) WHERE health <> 'healthy' OR consecutive_failures <> 0;

-- +goose Down
DROP INDEX jobs_unhealthy_idx;
ALTER TABLE executions RESET (fillfactor);
CREATE INDEX executions_pending_idx ON executions (priority, due_at) WHERE status = 'pending';
CREATE INDEX executions_lease_idx ON executions (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX executions_finished_idx ON executions (organization_id, finished_at) WHERE finished_at IS NOT NULL;
DROP TABLE execution_queue;
{{end -}}
