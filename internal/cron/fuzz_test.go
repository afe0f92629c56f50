package cron

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that rejections are
// *ParseErrors with a message, and that every accepted schedule round-trips
// through String, describes itself, and fires after any start in any zone.
func FuzzParse(f *testing.F) {
	for _, tt := range acceptTests {
		f.Add(tt.expr)
	}
	for _, tt := range rejectTests {
		f.Add(tt.expr)
	}
	for _, tt := range describeTests {
		f.Add(tt.expr)
	}
	for _, tt := range nextTests {
		f.Add(tt.expr)
	}
	var locs []*time.Location
	for _, z := range []string{"UTC", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe"} {
		locs = append(locs, mustLoad(f, z))
	}
	starts := []time.Time{
		mustTime(f, "2026-03-29T00:59:30Z"), // Oslo spring forward
		mustTime(f, "2026-10-25T00:45:00Z"), // Oslo fall back
		mustTime(f, "2026-10-03T15:10:00Z"), // Lord Howe spring forward
		mustTime(f, "2096-02-28T12:00:00Z"), // a leap year, past Go's tables
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Message == "" || perr.Expr != expr || s != nil {
				t.Fatalf("Parse(%q) = %v, %#v", expr, s, err)
			}
			return
		}
		again, err := Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q fails: %v", expr, s, err)
		}
		if !sameSchedule(s, again) || again.String() != s.String() {
			t.Fatalf("Parse(%q) = %+v, but Parse(String()) = %+v", expr, *s, *again)
		}
		checkDescription(t, s)
		for _, loc := range locs {
			for _, start := range starts {
				got := s.Next(start, loc)
				if got.IsZero() || !got.After(start) {
					t.Fatalf("%q in %v: Next(%v) = %v", expr, loc, start, got)
				}
				if again := s.Next(got.Add(-time.Nanosecond), loc); !again.Equal(got) {
					t.Fatalf("%q in %v: Next(%v) = %v but Next just before that = %v", expr, loc, start, got, again)
				}
			}
		}
	})
}
