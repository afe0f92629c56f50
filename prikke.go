// Package prikke holds Prikke's domain vocabulary: organizations, users,
// projects, API keys, jobs, executions, channels and the rules that hold for
// them whatever surface (API, dashboard, CLI) or store (SQLite, PostgreSQL) is
// in use. It does no I/O: validation, tier limits, priorities and error codes
// live here so that every caller applies them the same way.
package prikke

import "time"

// Version is the running build's version. The command sets it at link time.
var Version = "dev"

// Month returns the usage month ("2026-11") that t falls in, in UTC.
// Quotas are metered per organization and calendar month in UTC.
func Month(t time.Time) string {
	return t.UTC().Format("2006-01")
}
