package docs

import (
	"net/http"
	"strings"
	"time"

	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/web/page"
)

// Explanation is what the "explain" partial shows for a cron expression in
// a zone: its description and next fire times, or why it is invalid.
type Explanation struct {
	Expr        string
	Zone        string
	Description string
	Error       string // a sentence for the user; empty when valid
	Fires       []FireView
}

// FireView is one fire time, in UTC and in the schedule's zone.
type FireView struct {
	UTC         time.Time
	Local       time.Time
	DSTShifted  bool // fires at a spring-forward change instead of a skipped time
	DSTRepeated bool // the second of a repeated (fall-back) local time
}

// Date, Clock, UTCClock and UTCDate format a fire time for the tables:
// "Thu 26 Nov 2026", "09:30 CET", "08:30 UTC", and the UTC date only when
// it differs from the local one.
func (f FireView) Date() string     { return f.Local.Format("Mon 2 Jan 2006") }
func (f FireView) Clock() string    { return f.Local.Format("15:04 MST") }
func (f FireView) UTCClock() string { return f.UTC.Format("15:04") + " UTC" }
func (f FireView) UTCDate() string {
	if d := f.UTC.Format("Mon 2 Jan 2006"); d != f.Date() {
		return d
	}
	return ""
}

// ShowLocal reports whether the zone differs from UTC, so the local column
// is worth showing.
func (e Explanation) ShowLocal() bool { return e.Zone != "UTC" && e.Zone != "Etc/UTC" }

// explainCount is how many fire times the tester lists.
const explainCount = 5

// explain parses expr and lists its next fire times after now in zone (""
// means UTC). Invalid input yields an Explanation with Error set, never an
// error: it is the user's typing, shown back to them.
func explain(expr, zone string, now time.Time) Explanation {
	expr, zone = page.Clip(strings.TrimSpace(expr)), page.Clip(strings.TrimSpace(zone))
	if zone == "" {
		zone = "UTC"
	}
	e := Explanation{Expr: expr, Zone: zone}
	if expr == "" {
		e.Error = "Type a cron expression, such as 30 9 * * 1-5."
		return e
	}
	loc, err := cron.LoadLocation(zone)
	if err != nil {
		e.Error = page.Capitalize(err.Error()) + "."
		return e
	}
	s, err := cron.Parse(expr)
	if err != nil {
		e.Error = page.Capitalize(err.Error())
		if !strings.HasSuffix(e.Error, ".") {
			e.Error += "."
		}
		return e
	}
	e.Description = s.Describe()
	for _, f := range s.NextN(now, loc, explainCount) {
		e.Fires = append(e.Fires, FireView{UTC: f.Time.UTC(), Local: f.Time.In(loc),
			DSTShifted: f.DSTShifted, DSTRepeated: f.DSTRepeated})
	}
	return e
}

// CronTester is the data of the "cron_tester" partial: the form and the
// explanation of what it currently holds. Action is the page the form
// submits to without JavaScript (the page renders the answer itself).
type CronTester struct {
	Action      string
	Zones       []string // choices for the zone; the docs offer every zone
	Explanation Explanation
}

// TesterZones are the zones the landing page's tester offers.
var TesterZones = []string{
	"UTC", "Europe/Oslo", "Europe/Amsterdam", "Europe/Berlin", "Europe/Dublin", "Europe/Helsinki",
	"Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Paris", "Europe/Stockholm",
	"Europe/Warsaw", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney",
}

// Tester reads the tester's query parameters (expr, tz) so the page
// works without JavaScript, with def as the expression of a first visit.
func (h *Docs) Tester(r *http.Request, action, def string, zones []string) CronTester {
	q := r.URL.Query()
	expr, zone := def, "Europe/Oslo"
	if q.Has("expr") {
		expr = q.Get("expr")
	}
	if q.Has("tz") {
		zone = q.Get("tz")
	}
	return CronTester{Action: action, Zones: zones, Explanation: explain(expr, zone, h.deps.Now())}
}

// ShowExplanation answers the cron testers' htmx requests with the "explain"
// fragment. Invalid input is a normal answer (200) that says what is wrong.
func (h *Docs) ShowExplanation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Cache-Control", "no-store")
	h.deps.RenderPartial(w, r, http.StatusOK, "explain", explain(q.Get("expr"), q.Get("tz"), h.deps.Now()))
}
