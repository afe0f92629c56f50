package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
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

	// The search (issue 18), as typed; a value that cannot be searched
	// for is left out of the search and said in Problems.
	Code     string // "500" or "502, 503"
	Class    string // "" or "1xx" … "5xx"
	MinMS    string
	MaxMS    string
	Q        string // text in the response body
	Problems []string

	codes        []int
	class        int
	minMS, maxMS int
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
	parseSearch(&f, q)
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
	sf.StatusCodes, sf.StatusClass, sf.MinDurationMS, sf.MaxDurationMS, sf.BodyContains = f.codes, f.class, f.minMS, f.maxMS, f.Q
	return sf
}

// parseSearch reads the search fields of the filter form.
func parseSearch(f *executionFilter, q url.Values) {
	f.Code = strings.TrimSpace(q.Get("code"))
	for _, s := range splitList(f.Code) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			f.Problems = append(f.Problems, fmt.Sprintf("Status code %q is not an HTTP status (100 to 599); it is left out.", s))
			continue
		}
		f.codes = append(f.codes, n)
	}
	if c := q.Get("class"); len(c) == 3 && c[1:] == "xx" && c[0] >= '1' && c[0] <= '5' {
		f.Class, f.class = c, int(c[0]-'0')
	}
	ms := func(name, label string, raw *string, n *int) {
		*raw = strings.TrimSpace(q.Get(name))
		if *raw == "" {
			return
		}
		v, err := strconv.Atoi(*raw)
		if err != nil || v < 0 {
			f.Problems = append(f.Problems, fmt.Sprintf("%s %q is not a whole number of milliseconds; it is left out.", label, *raw))
			return
		}
		*n = v
	}
	ms("min_ms", "Duration from", &f.MinMS, &f.minMS)
	ms("max_ms", "Duration to", &f.MaxMS, &f.maxMS)
	if f.minMS > 0 && f.maxMS > 0 && f.minMS > f.maxMS {
		f.Problems = append(f.Problems, "The duration range is empty: from is more than to; both are left out.")
		f.minMS, f.maxMS = 0, 0
	}
	f.Q = q.Get("q")
	if err := service.ValidateSearch("q", f.Q); err != nil {
		f.Problems = append(f.Problems, "Response body text "+prikke.ErrorFields(err)[0].Message+"; it is left out.")
		f.Q = ""
	}
}

// Searching reports whether a search field is in use (live rows are not
// added then: the body search needs the stored body).
func (f executionFilter) Searching() bool {
	return len(f.codes) > 0 || f.class != 0 || f.minMS > 0 || f.maxMS > 0 || f.Q != ""
}

// Filtered reports whether any filter is in use.
func (f executionFilter) Filtered() bool { return f.Status != "" || f.Range != "" || f.Searching() }

// ClassOptions are the status class filter's choices.
func (f executionFilter) ClassOptions() []page.Option {
	o := []page.Option{{Value: "", Label: "Any"}}
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx"} {
		o = append(o, page.Option{Value: c, Label: c})
	}
	return o
}

// ExportURL is the export of the filtered list from base (the list's
// export path) in format.
func (f executionFilter) ExportURL(base, format string) string {
	q := f.Query()
	q.Set("format", format)
	return base + "?" + q.Encode()
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
	if f.Code != "" {
		q.Set("code", f.Code)
	}
	if f.Class != "" {
		q.Set("class", f.Class)
	}
	if f.MinMS != "" {
		q.Set("min_ms", f.MinMS)
	}
	if f.MaxMS != "" {
		q.Set("max_ms", f.MaxMS)
	}
	if f.Q != "" {
		q.Set("q", f.Q)
	}
	return q
}

// matches reports whether an execution belongs in the filtered table now.
func (f executionFilter) matches(e *prikke.Execution, now time.Time) bool {
	if f.Searching() || (f.Status != "" && string(e.Status) != f.Status) {
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
