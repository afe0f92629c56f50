package page

import (
	"fmt"
	"html/template"
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
// set on the account page), UTC for anyone else. TimeTag wraps it in
// <time datetime> with the exact value, to the millisecond, in the title
// for a pointer hovering over it. A job's own zone is written out, in the
// same format, where it matters (its schedule, and beside its next run).

// LayoutFull is the one format of an instant: "Sun 6 Dec 2026, 04:51:07 CET".
const LayoutFull = "Mon 2 Jan 2006, 15:04:05 MST"

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

// UserLocation is the zone the dashboard shows u's instants in; UTC when
// there is no user or the zone is unknown.
func UserLocation(u *prikke.User) *time.Location {
	if u == nil {
		return time.UTC
	}
	loc, err := cron.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// TimeTag renders an instant (time.Time or *time.Time) in loc (nil: UTC):
// <time datetime="2026-12-06T03:51:07.123Z" title="2026-12-06T04:51:07.123+01:00">Sun 6 Dec 2026, 04:51:07 CET</time>.
// nil and the zero time are "—".
func TimeTag(v any, loc *time.Location) template.HTML {
	t := instant(v)
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	return template.HTML(`<time datetime="` + t.UTC().Format(layoutExact) + `" title="` + local.Format(layoutExact) + `">` +
		template.HTMLEscapeString(local.Format(LayoutFull)) + `</time>`)
}

// InZone formats an instant in a named zone ("Mon 30 Nov 2026, 09:30:00
// CET"); an unknown zone falls back to UTC.
func InZone(v any, zone string) string {
	t := instant(v)
	if t.IsZero() {
		return "—"
	}
	loc, err := cron.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(LayoutFull)
}

// Duration writes a duration in milliseconds for people: "182 ms",
// "1.2 s", "2 min 5 s".
func Duration(ms int) string {
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

// Percent writes a share as a whole percentage, or "—" when there is
// nothing to share.
func Percent(part, whole int) string {
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

// maxEcho bounds what a page copies of a visitor's input into its answer
// (a cron expression, a zone); the parsers reject long input anyway.
const maxEcho = 200

// Clip cuts s to maxEcho bytes, on a character boundary, marking the cut.
func Clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// Capitalize upper-cases the first letter of an ASCII sentence, such as an
// error message that becomes a sentence on the page.
func Capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
