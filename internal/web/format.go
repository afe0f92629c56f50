package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
)

// How the dashboard writes times, durations and schedules.
//
// An instant is written one way everywhere, with its seconds, in the
// viewer's zone: the signed-in user's chosen zone (prikke.User.TimeZone,
// set on the account page), UTC for anyone else. timeTag wraps it in
// <time datetime> with the exact value, to the millisecond, in the title
// for a pointer hovering over it. A job's own zone is written out, in the
// same format, where it matters (its schedule, and beside its next run).

// layoutFull is the one format of an instant: "Sun 6 Dec 2026, 04:51:07 CET".
const layoutFull = "Mon 2 Jan 2006, 15:04:05 MST"

// layoutExact is the exact value: RFC 3339 with milliseconds.
const layoutExact = "2006-01-02T15:04:05.000Z07:00"

// instant is the time.Time or *time.Time a template passed, zero for nil.
func instant(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case *time.Time:
		if x != nil {
			return *x
		}
	}
	return time.Time{}
}

// userLocation is the zone the dashboard shows u's instants in; UTC when
// there is no user or the zone is unknown.
func userLocation(u *prikke.User) *time.Location {
	if u == nil {
		return time.UTC
	}
	loc, err := cron.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// zoneOf is the zone of the request's signed-in user (UTC without one).
func zoneOf(r *http.Request) *time.Location {
	if a := actorOf(r); a != nil {
		return userLocation(a.User)
	}
	return time.UTC
}

// timeTag renders an instant (time.Time or *time.Time) in loc (nil: UTC):
// <time datetime="2026-12-06T03:51:07.123Z" title="2026-12-06T04:51:07.123+01:00">Sun 6 Dec 2026, 04:51:07 CET</time>.
// nil and the zero time are "—".
func timeTag(v any, loc *time.Location) template.HTML {
	t := instant(v)
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	return template.HTML(`<time datetime="` + t.UTC().Format(layoutExact) + `" title="` + local.Format(layoutExact) + `">` +
		template.HTMLEscapeString(local.Format(layoutFull)) + `</time>`)
}

// inZone formats an instant in a named zone ("Mon 30 Nov 2026, 09:30:00
// CET"); an unknown zone falls back to UTC.
func inZone(v any, zone string) string {
	t := instant(v)
	if t.IsZero() {
		return "—"
	}
	loc, err := cron.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layoutFull)
}

// durationText writes a duration in milliseconds for people: "182 ms",
// "1.2 s", "2 min 5 s".
func durationText(ms int) string {
	switch {
	case ms < 0:
		return "—"
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	}
	return fmt.Sprintf("%d min %d s", ms/60_000, ms%60_000/1000)
}

// scheduleWords says when a job runs: "At 09:30, Monday through Friday
// (Europe/Oslo)", "Every hour", "Once at Thu 24 Dec, 18:00 CET".
func scheduleWords(j *prikke.Job) string {
	switch j.Kind {
	case prikke.JobKindOnce, prikke.JobKindQueue:
		if j.RunAt == nil {
			return "Once"
		}
		return "Once at " + inZone(*j.RunAt, j.TimeZone)
	}
	var words string
	switch j.Interval {
	case prikke.IntervalHourly:
		words = "Every hour, on the hour"
	case prikke.IntervalDaily:
		words = "Every day at 00:00"
	case prikke.IntervalWeekly:
		words = "Every Monday at 00:00"
	default:
		s, err := cron.Parse(j.CronExpression)
		if err != nil {
			return j.CronExpression
		}
		words = s.Describe()
	}
	if j.TimeZone != "" && j.TimeZone != "UTC" {
		return words + " (" + j.TimeZone + ")"
	}
	return words + " (UTC)"
}

// percent writes a share as a whole percentage, or "—" when there is
// nothing to share.
func percent(part, whole int) string {
	if whole <= 0 {
		return "—"
	}
	p := float64(part) * 100 / float64(whole)
	if p > 99 && p < 100 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// initial is the first letter of an address, for the avatar.
func initial(email string) string {
	r, _ := utf8.DecodeRuneInString(email)
	if r == utf8.RuneError {
		return "?"
	}
	return strings.ToUpper(string(r))
}

// bodyView is a stored body as a page shows it: text when it is UTF-8,
// else its size.
type bodyView struct {
	Text      string
	Binary    bool
	Size      int
	Truncated bool
}

func viewBody(b []byte, truncated bool) bodyView {
	v := bodyView{Size: len(b), Truncated: truncated}
	if utf8.Valid(b) {
		v.Text = string(b)
	} else {
		v.Binary = true
	}
	return v
}

// jobName is a job's name, or its method and host when it has none.
func jobName(j *prikke.Job) string {
	if strings.TrimSpace(j.Name) != "" {
		return j.Name
	}
	if u, err := url.Parse(j.URL); err == nil && u.Host != "" {
		return j.Method + " " + u.Host
	}
	return j.Method + " " + j.URL
}
