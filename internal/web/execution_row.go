package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
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
	Zone         *time.Location // the viewer's, for the times
}

// DOMID is the row's element id, which live updates replace.
func (e executionRow) DOMID() string { return "execution-" + e.ID.String() }

func newExecutionRow(e *prikke.Execution, jobName string, showJob bool, loc *time.Location) executionRow {
	row := executionRow{ID: e.ID, JobID: e.JobID, JobName: jobName, ShowJob: showJob, Status: e.Status, Zone: loc,
		ScheduledFor: e.ScheduledFor, StartedAt: e.StartedAt, Attempt: e.Attempt, StatusCode: e.ResponseStatus,
		Manual: e.Manual, Rescued: e.Rescued, MissedCount: e.MissedCount, Error: e.Error, Duration: "—"}
	if e.Status.Delivered() {
		row.Duration = page.Duration(e.DurationMS)
	}
	if len(row.Error) > 160 {
		row.Error = clip160(row.Error)
	}
	return row
}

// Outcome says once what went wrong: "HTTP 503", "HTTP 503 · refused",
// "timed out after 10 s". The delivery records a bad status as the error
// "HTTP 503" too, which is not said twice.
func (e executionRow) Outcome() string {
	code := ""
	if e.StatusCode != 0 {
		code = "HTTP " + strconv.Itoa(e.StatusCode)
	}
	switch {
	case e.Error == "" || e.Error == code:
		return code
	case code == "":
		return e.Error
	}
	return code + " · " + e.Error
}

// executionLabel names what an execution delivered: its job's name from
// names, or, for a queued request (which has no name and is not listed
// with the jobs), "Queued request → host/path".
func executionLabel(e *prikke.Execution, names map[prikke.ID]string) string {
	if name, ok := names[e.JobID]; ok {
		return name
	}
	u, err := url.Parse(e.RequestURL)
	if err != nil || u.Host == "" {
		return "Queued request"
	}
	return "Queued request → " + u.Host + u.EscapedPath()
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
