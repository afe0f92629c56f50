-- +goose Up
-- Knowing what happened (inspect.go): the request body as sent, where an
-- attempt's time went, replays, a job's response assertions and a
-- project's redaction. Expand only: a node of the previous release keeps
-- working against this schema (every new column is nullable or has a
-- default, and nothing it reads or writes changes).
ALTER TABLE executions ADD COLUMN request_body {{.Bytes}};
ALTER TABLE executions ADD COLUMN request_truncated {{.Bool}} NOT NULL DEFAULT {{.False}};
ALTER TABLE executions ADD COLUMN trace {{.JSON}};
ALTER TABLE executions ADD COLUMN replay_of {{.ID}};
ALTER TABLE jobs ADD COLUMN expect {{.JSON}};
ALTER TABLE projects ADD COLUMN redact {{.JSON}};

-- +goose Down
ALTER TABLE projects DROP COLUMN redact;
ALTER TABLE jobs DROP COLUMN expect;
ALTER TABLE executions DROP COLUMN replay_of;
ALTER TABLE executions DROP COLUMN trace;
ALTER TABLE executions DROP COLUMN request_truncated;
ALTER TABLE executions DROP COLUMN request_body;
