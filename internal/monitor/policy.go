package monitor

import (
	"sync"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
)

// maxWindowChain bounds how many back-to-back windows InWindow follows to
// find when a run of overlapping windows closes. A window that is always
// open (every minute, for an hour) reports a close that far ahead, and the
// deadline at that close finds it still open and looks again.
const maxWindowChain = 200

// InWindow reports whether t is inside the recurring window w (opened at a
// fire time of w.Cron in w.TimeZone, open for w.Duration), and when that
// window closes. When windows overlap or touch, closes is the end of the
// run of them. The zero window, and one that does not parse, is never open.
func InWindow(w prikke.Window, t time.Time) (inside bool, closes time.Time) {
	if w.IsZero() || w.Duration <= 0 {
		return false, time.Time{}
	}
	s, loc, err := parseWindow(w)
	if err != nil {
		return false, time.Time{}
	}
	// The first window opening after t-Duration is the earliest one still
	// open at t, if it opened by t.
	open := s.Next(t.Add(-w.Duration), loc)
	if open.IsZero() || open.After(t) {
		return false, time.Time{}
	}
	closes = open.Add(w.Duration)
	for range maxWindowChain {
		next := s.Next(open, loc)
		if next.IsZero() || next.After(closes) {
			break
		}
		open, closes = next, next.Add(w.Duration)
	}
	return true, closes.UTC()
}

// Muted reports whether alerts under policy p are muted at now (p.SnoozeUntil
// after now, projectSnooze after now, or inside p.Window), and when the
// mute ends (the latest of those that apply).
func Muted(p prikke.AlertPolicy, projectSnooze *time.Time, now time.Time) (muted bool, until time.Time) {
	for _, s := range []*time.Time{p.SnoozeUntil, projectSnooze} {
		if s != nil && s.After(now) {
			muted = true
			if s.After(until) {
				until = *s
			}
		}
	}
	if inside, closes := InWindow(p.Window, now); inside {
		muted = true
		if closes.After(until) {
			until = closes
		}
	}
	return muted, until
}

// ValidateWindow adds field errors under prefix ("window" gives
// "window.cron", "window.duration", "window.timezone"): the cron
// expression parses, the zone is known (empty means UTC), and the duration
// is between 1 minute and 7 days. The zero window is valid.
func ValidateWindow(v *prikke.Validation, prefix string, w prikke.Window) {
	if w.IsZero() {
		if w.Duration != 0 || w.SkipRuns {
			v.Add(prefix+".cron", "is required for a window: when the window opens, as a cron expression such as \"0 2 * * 0\"")
		}
		return
	}
	if _, err := cron.Parse(w.Cron); err != nil {
		v.Add(prefix+".cron", "%s", err.Error())
	}
	if w.TimeZone != "" {
		if _, err := loadLocation(w.TimeZone); err != nil {
			v.Add(prefix+".timezone", "%s", err.Error())
		}
	}
	if w.Duration < time.Minute || w.Duration > prikke.MaxWindowDuration {
		v.Add(prefix+".duration", "must be between 1m and 7 days (168h)")
	}
}

// parseWindow parses the window's expression and zone (empty: UTC).
func parseWindow(w prikke.Window) (*cron.Schedule, *time.Location, error) {
	s, err := parseCron(w.Cron)
	if err != nil {
		return nil, nil, err
	}
	zone := w.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	loc, err := loadLocation(zone)
	if err != nil {
		return nil, nil, err
	}
	return s, loc, nil
}

// schedules caches parsed expressions (a *cron.Schedule is immutable), so
// that the many steps of a monitor do not parse its expressions again. It
// is emptied when full: expressions come from users, so it is bounded.
var schedules struct {
	sync.Mutex
	m map[string]*cron.Schedule
}

const maxSchedules = 4096

// parseCron is cron.Parse with a cache of the expressions that parsed.
func parseCron(expr string) (*cron.Schedule, error) {
	schedules.Lock()
	s, ok := schedules.m[expr]
	schedules.Unlock()
	if ok {
		return s, nil
	}
	s, err := cron.Parse(expr)
	if err != nil {
		return nil, err
	}
	schedules.Lock()
	if schedules.m == nil || len(schedules.m) >= maxSchedules {
		schedules.m = make(map[string]*cron.Schedule)
	}
	schedules.m[expr] = s
	schedules.Unlock()
	return s, nil
}

// locations caches loaded zones by name. Only names cron.LoadLocation
// accepts are stored, so it is bounded by the zone database; a
// *time.Location is safe for concurrent use.
var locations sync.Map // string → *time.Location

// loadLocation is cron.LoadLocation with a cache: loading a zone from the
// embedded database parses it each time, and every step may need one.
func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	loc, err := cron.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}
