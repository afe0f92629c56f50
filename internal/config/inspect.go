package config

import "strings"

// loadInspect reads what an execution records of each attempt (issue 18):
// PRIKKE_TRACE and PRIKKE_RECORD_REQUEST_BODY, both on unless set to
// false. They exist so an operator can measure their cost (prikke bench
// --ab) or turn them off; they are cheap.
func loadInspect(c *Config, getenv func(string) string, bad func(name, format string, args ...any)) {
	c.Trace = boolean(getenv, bad, "PRIKKE_TRACE", true)
	c.RecordRequestBody = boolean(getenv, bad, "PRIKKE_RECORD_REQUEST_BODY", true)
}

// boolean reads a true/false variable; unset is def.
func boolean(getenv func(string) string, bad func(name, format string, args ...any), name string, def bool) bool {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "":
		return def
	case "true":
		return true
	case "false":
		return false
	default:
		bad(name, "must be true or false, got %q", v)
		return def
	}
}
