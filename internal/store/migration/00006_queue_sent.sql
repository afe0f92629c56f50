{{/* PostgreSQL only, as execution_queue is (00003). */ -}}
{{if .Postgres -}}
-- +goose Up
-- A running execution's request has gone out: written by the worker in
-- batches just after its requests start. When a node's heartbeat stops, its
-- executions not marked sent go back to the queue as they were (the
-- request never left); the ones marked are settled as lost attempts and
-- delivered again.
ALTER TABLE execution_queue ADD COLUMN sent boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE execution_queue DROP COLUMN sent;
{{end -}}
