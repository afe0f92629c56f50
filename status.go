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
// uptime bars: how many checks ran and how many found it degraded or down,
// and how many seconds of the day it spent in each state. The seconds are
// what uptime is computed from: they cover the stretches between checks
// and the gaps when no node was running to check (down time, or
// maintenance when the stop was planned). As an argument to
// Store.StatusSampleAdd it is what to add to the day's record.
type StatusSample struct {
	Day       string // "2026-11-26"
	Component string
	Checks    int
	Degraded  int
	Outage    int

	OperationalSeconds int
	DegradedSeconds    int
	OutageSeconds      int
	MaintenanceSeconds int // planned stops longer than a quick restart
}

var dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Validate checks a sample to add: a day, a component and no negative
// counter.
func (s *StatusSample) Validate() error {
	if !dayRE.MatchString(s.Day) || s.Component == "" {
		return Errorf(EINVALID, "A status sample needs a day like 2026-11-26 and a component, got %q and %q.", s.Day, s.Component)
	}
	if s.Checks < 0 || s.Degraded < 0 || s.Outage < 0 || s.Degraded+s.Outage > s.Checks ||
		s.OperationalSeconds < 0 || s.DegradedSeconds < 0 || s.OutageSeconds < 0 || s.MaintenanceSeconds < 0 {
		return Errorf(EINVALID, "A status sample's counters must not be negative, and degraded and outage checks are among the checks.")
	}
	return nil
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
	Monitors  []StatusPageMonitor
	CreatedAt time.Time
	UpdatedAt time.Time
}

// StatusPageMonitor is one monitor shown on a status page.
type StatusPageMonitor struct {
	MonitorID   ID
	DisplayName string
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
