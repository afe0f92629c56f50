{{/* SQLite only: on PostgreSQL execution_queue holds the running executions (00003). */ -}}
{{if .SQLite -}}
-- +goose Up
-- Running executions, by the node that claimed them and by job. The
-- executions table is also the history: every statement asking which
-- executions run on a node (rescuing a dead node's, forgetting its
-- heartbeat) or of a job (overlap=skip) otherwise read the whole table, or
-- each such job's whole history, as it grew. These hold only the rows
-- running now: a few hundred entries, whatever the history holds.
CREATE INDEX executions_running_idx ON executions (claimed_by) WHERE status = 'running';
CREATE INDEX executions_running_job_idx ON executions (job_id) WHERE status = 'running';

-- +goose Down
DROP INDEX executions_running_job_idx;
DROP INDEX executions_running_idx;
{{end -}}
