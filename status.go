package prikke

import (
	"regexp"
	"time"
)

// ComponentStatus is the state of one part of Prikke, or of a job on a
// customer status page.
type ComponentStatus string

// Component states.
const (
	StatusOperational ComponentStatus = "operational"
	StatusDegraded    ComponentStatus = "degraded"
	StatusOutage      ComponentStatus = "outage"
)

// Components of Prikke's own status page.
var Components = []string{"api", "dashboard", "scheduler", "delivery"}

// IncidentStatus is where an incident stands.
type IncidentStatus string

// Incident states.
const (
	IncidentInvestigating IncidentStatus = "investigating"
	IncidentIdentified    IncidentStatus = "identified"
	IncidentMonitoring    IncidentStatus = "monitoring"
	IncidentResolved      IncidentStatus = "resolved"
)

// Incident is an operator-posted notice on the public status page.
type Incident struct {
	ID         ID
	Title      string
	Status     IncidentStatus
	Components []string
	Updates    []IncidentUpdate // newest first
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt *time.Time
}

// IncidentUpdate is one message in an incident's timeline.
type IncidentUpdate struct {
	ID         ID
	IncidentID ID
	Status     IncidentStatus
	Message    string
	CreatedAt  time.Time
}

// StatusSample is one day's health record of one component, for the 90-day
// uptime bars: how many checks ran and how many found it degraded or down.
type StatusSample struct {
	Day       string // "2026-11-26"
	Component string
	Checks    int
	Degraded  int
	Outage    int
}

// StatusPage is a customer-facing page at /s/<slug> that shows chosen jobs
// under display names. It reveals no URLs, headers, bodies or errors.
type StatusPage struct {
	ID        ID
	ProjectID ID
	Slug      string
	Title     string
	Published bool
	Jobs      []StatusPageJob
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusPageJob is one job shown on a status page.
type StatusPageJob struct {
	JobID       ID
	DisplayName string
	Position    int
}

// JobDay is one job's outcome counts for one UTC day, kept 90 days for
// uptime bars (longer than execution history).
type JobDay struct {
	JobID   ID
	Day     string
	Success int
	Failed  int
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$`)

// ValidateSlug checks a status page slug.
func ValidateSlug(v *Validation, field, slug string) {
	if !slugRE.MatchString(slug) {
		v.Add(field, "must be 3-63 lower-case letters, digits or dashes, not starting or ending with a dash")
	}
}
