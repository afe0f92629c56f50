-- +goose Up
-- The operator console (operator.go): an organization an operator
-- suspended. Expand only: a node of the previous release keeps working
-- against this schema (the new columns have defaults; it never reads them,
-- and what a suspension does to jobs and monitors is the paused flag it
-- already honours).
ALTER TABLE organizations ADD COLUMN suspended_at {{.Time}};
ALTER TABLE organizations ADD COLUMN suspend_reason {{.Text}} NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organizations DROP COLUMN suspend_reason;
ALTER TABLE organizations DROP COLUMN suspended_at;
