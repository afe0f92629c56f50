package web

import (
	"net/url"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/web/page"
)

// executionFilter is the status and time filter of an executions table,
// from the query string (a GET form), and its page cursor. Values a user
// could not have picked are ignored, never an error.
type executionFilter struct {
	Status   string // "" or an execution status
	Range    string // "" (all kept history) or a key of timeRanges
	BeforeAt time.Time
	BeforeID prikke.ID
}

// timeRanges are the time filter's choices.
var timeRanges = []struct {
	Key, Label string
	D          time.Duration
}{
	{"1h", "Last hour", time.Hour},
	{"24h", "Last 24 hours", 24 * time.Hour},
	{"7d", "Last 7 days", 7 * 24 * time.Hour},
	{"30d", "Last 30 days", 30 * 24 * time.Hour},
}

// executionsPage is how many executions one page lists.
const executionsPage = 50

func parseExecutionFilter(q url.Values) executionFilter {
	f := executionFilter{}
	if s := prikke.ExecutionStatus(q.Get("status")); s.Valid() {
		f.Status = string(s)
	}
	for _, tr := range timeRanges {
		if q.Get("range") == tr.Key {
			f.Range = tr.Key
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, q.Get("before")); err == nil {
		if id, err := prikke.ParseID(q.Get("before_id")); err == nil {
			f.BeforeAt, f.BeforeID = t, id
		}
	}
	return f
}

// Since is the start of the time filter at now (zero: none).
func (f executionFilter) Since(now time.Time) time.Time {
	for _, tr := range timeRanges {
		if tr.Key == f.Range {
			return now.Add(-tr.D)
		}
	}
	return time.Time{}
}

// serviceFilter returns the service's filter (without the job or project).
func (f executionFilter) serviceFilter(now time.Time) service.ExecutionFilter {
	sf := service.ExecutionFilter{Since: f.Since(now), BeforeCreatedAt: f.BeforeAt, BeforeID: f.BeforeID, Limit: executionsPage}
	if f.Status != "" {
		sf.Statuses = []prikke.ExecutionStatus{prikke.ExecutionStatus(f.Status)}
	}
	return sf
}

// Paged reports whether this is a later page (live rows are not added
// to it).
func (f executionFilter) Paged() bool { return !f.BeforeAt.IsZero() }

// Query is the filter as a query string, without the cursor.
func (f executionFilter) Query() url.Values {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Range != "" {
		q.Set("range", f.Range)
	}
	return q
}

// matches reports whether an execution belongs in the filtered table now.
func (f executionFilter) matches(e *prikke.Execution, now time.Time) bool {
	if f.Status != "" && string(e.Status) != f.Status {
		return false
	}
	since := f.Since(now)
	return since.IsZero() || !e.CreatedAt.Before(since)
}

// olderURL is the link to the page after es (newest first), or "" when es
// is not a full page.
func (f executionFilter) olderURL(path string, es []*prikke.Execution) string {
	if len(es) < executionsPage {
		return ""
	}
	last := es[len(es)-1]
	q := f.Query()
	q.Set("before", last.CreatedAt.Format(time.RFC3339Nano))
	q.Set("before_id", last.ID.String())
	return path + "?" + q.Encode()
}

// StatusOptions and RangeOptions are the filter form's choices.
func (f executionFilter) StatusOptions() []page.Option {
	o := []page.Option{{Value: "", Label: "All statuses"}}
	for _, s := range prikke.ExecutionStatuses {
		o = append(o, page.Option{Value: string(s), Label: statusBadge(s).Label})
	}
	return o
}

func (f executionFilter) RangeOptions() []page.Option {
	o := []page.Option{{Value: "", Label: "All kept history"}}
	for _, tr := range timeRanges {
		o = append(o, page.Option{Value: tr.Key, Label: tr.Label})
	}
	return o
}
