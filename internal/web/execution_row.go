package web

import (
	"time"

	"github.com/prikke/prikke"
)

// executionRow is one row of an executions table: the "execution_row"
// partial, which pages render in a loop and the job page's event stream
// sends as executions change. It is self-contained, as partials are.
type executionRow struct {
	ID           prikke.ID
	JobID        prikke.ID
	JobName      string
	ShowJob      bool // the project's history shows the job; a job's does not
	Status       prikke.ExecutionStatus
	ScheduledFor time.Time
	StartedAt    *time.Time
	Attempt      int
	Duration     string
	StatusCode   int
	Manual       bool
	Rescued      bool
	MissedCount  int
	Error        string
}

// DOMID is the row's element id, which live updates replace.
func (e executionRow) DOMID() string { return "execution-" + e.ID.String() }

func newExecutionRow(e *prikke.Execution, jobName string, showJob bool) executionRow {
	row := executionRow{ID: e.ID, JobID: e.JobID, JobName: jobName, ShowJob: showJob, Status: e.Status,
		ScheduledFor: e.ScheduledFor, StartedAt: e.StartedAt, Attempt: e.Attempt, StatusCode: e.ResponseStatus,
		Manual: e.Manual, Rescued: e.Rescued, MissedCount: e.MissedCount, Error: e.Error, Duration: "—"}
	if e.Status.Delivered() {
		row.Duration = durationText(e.DurationMS)
	}
	if len(row.Error) > 160 {
		row.Error = clip160(row.Error)
	}
	return row
}

// clip160 shortens a long error for a table cell; the execution page has
// it whole.
func clip160(s string) string {
	cut := 160
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
