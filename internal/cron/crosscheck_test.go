package cron

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// crossZones mix whole-hour, 30-minute and 2-hour changes, offsets with 30
// and 45 minutes, southern-hemisphere DST, changes at midnight (Santiago)
// negative DST (Casablanca), and history: Samoa skipping 2011-12-30
// (Apia), Kiribati skipping 1994-12-31, Brazil's midnight changes.
var crossZones = []string{
	"UTC", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "Antarctica/Troll",
	"America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "America/Santiago", "Africa/Casablanca",
	"Pacific/Apia", "America/Sao_Paulo", "Asia/Tehran", "Europe/Moscow", "Pacific/Kiritimati",
}

// TestNextMatchesBruteForce compares Next with a slow reference that walks
// every minute and applies the DST rules from their definitions, without
// bitset tricks or ZoneBounds. Start times cluster around real offset
// changes from 1975 to 2045; past 2037 Go computes them from each zone's
// rule string instead of its transition table.
func TestNextMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := 500
	if testing.Short() {
		cases = 60
	}
	for i := 0; i < cases; i++ {
		s := randomSchedule(r)
		loc := mustLoad(t, crossZones[r.IntN(len(crossZones))])
		checkAgainstBruteForce(t, s, loc, randomStart(r, loc), r.Int64N)
	}
}

// FuzzNextMatchesBruteForce is the fuzzing twin of the test above: any
// valid expression, any start from 1975 to 2045, any of crossZones.
func FuzzNextMatchesBruteForce(f *testing.F) {
	for i, tt := range nextTests {
		f.Add(tt.expr, mustTime(f, tt.after).Unix(), uint8(i))
	}
	locs := make([]*time.Location, len(crossZones))
	for i, z := range crossZones {
		locs[i] = mustLoad(f, z)
	}
	lo := time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, expr string, sec int64, zone uint8) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		after := time.Unix(lo+floorMod(sec, hi-lo), 0)
		checkAgainstBruteForce(t, s, locs[int(zone)%len(locs)], after, func(n int64) int64 { return n / 2 })
	})
}

// checkAgainstBruteForce compares Next after `after` with bruteNext over a
// window. When nothing fires within the window it checks the far result
// instead: nothing fires between after and it (via Next from a point pick
// chooses), and brute force finds it from shortly before.
func checkAgainstBruteForce(t *testing.T, s *Schedule, loc *time.Location, after time.Time, pick func(n int64) int64) {
	t.Helper()
	const window = 36 * time.Hour
	format := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	got, gotKind := s.next(after, loc)
	want, wantKind, found := bruteNext(s, after, loc, window)
	switch {
	case found && (!got.Equal(want) || gotKind != wantKind):
		t.Fatalf("%q in %v after %s: Next = %s (kind %d), brute force = %s (kind %d)",
			s, loc, format(after), format(got), gotKind, format(want), wantKind)
	case !found && (got.IsZero() || !got.After(after.Add(window))):
		t.Fatalf("%q in %v after %s: Next = %s, but brute force finds nothing within %v",
			s, loc, format(after), format(got), window)
	case !found:
		p := after.Add(time.Duration(pick(int64(got.Sub(after)))))
		if again := s.Next(p, loc); !again.Equal(got) {
			t.Fatalf("%q in %v: Next(%s) = %s but Next(%s) = %s", s, loc, format(after), format(got), format(p), format(again))
		}
		from := got.Add(-time.Duration(pick(int64(window-time.Second))) - time.Second)
		want, wantKind, found := bruteNext(s, from, loc, window)
		if !found || !want.Equal(got) || wantKind != gotKind {
			t.Fatalf("%q in %v: Next(%s) = %s (kind %d), brute force from %s = %s (kind %d, found %v)",
				s, loc, format(after), format(got), gotKind, format(from), format(want), wantKind, found)
		}
	}
}

// bruteNext returns the first fire time in (after, after+window] by walking
// UTC minutes. A regular firing is a minute whose wall time is selected and,
// unless the schedule is all-hours, had not occurred before; a shifted
// firing is a minute where the offset grows and some selected wall time in
// between never occurs at all.
func bruteNext(s *Schedule, after time.Time, loc *time.Location, window time.Duration) (time.Time, fireKind, bool) {
	const margin = 27 * time.Hour // longer than any fold
	lo := after.Add(-margin).Truncate(time.Minute)
	n := int((window+2*margin)/time.Minute) + 2
	instants := make([]int64, n)
	walls := make([]int64, n)
	offsets := make([]int64, n)
	first := make(map[int64]int, n)
	for k := range n {
		i := lo.Unix() + int64(k)*60
		_, off := time.Unix(i, 0).In(loc).Zone()
		instants[k], offsets[k], walls[k] = i, int64(off), floorDiv(i+int64(off), 60)
		if _, ok := first[walls[k]]; !ok {
			first[walls[k]] = k
		}
	}
	end := after.Add(window)
	for k := 1; k < n; k++ {
		at := time.Unix(instants[k], 0)
		if !at.After(after) {
			continue
		}
		if at.After(end) {
			break
		}
		if !s.AllHours() && offsets[k] > offsets[k-1] {
			for g := walls[k-1] + 1; g < walls[k]; g++ {
				if _, occurs := first[g]; !occurs && refMatch(s, g) {
					return at.In(loc), fireShifted, true
				}
			}
		}
		if refMatch(s, walls[k]) {
			if first[walls[k]] == k {
				return at.In(loc), fireRegular, true
			}
			if s.AllHours() {
				return at.In(loc), fireRepeated, true
			}
		}
	}
	return time.Time{}, fireRegular, false
}

// refMatch reports whether a wall-clock minute (counted from 1970-01-01
// 00:00) is selected, using the time package for the calendar.
func refMatch(s *Schedule, wall int64) bool {
	t := time.Unix(wall*60, 0).UTC()
	if s.minute&(1<<t.Minute()) == 0 || s.hour&(1<<t.Hour()) == 0 || s.month&(1<<int(t.Month())) == 0 {
		return false
	}
	domOK := s.dom&(1<<t.Day()) != 0
	dowOK := s.dow&(1<<int(t.Weekday())) != 0
	switch {
	case s.domStar && s.dowStar:
		return true
	case s.domStar:
		return dowOK
	case s.dowStar:
		return domOK
	}
	return domOK || dowOK
}

// randomSchedule returns a random valid schedule, biased towards the cases
// that matter: all-hours or not, both day fields restricted, sparse lists.
func randomSchedule(r *rand.Rand) *Schedule {
	for {
		fields := []string{
			randomField(r, 0, 59, 0.15),
			randomField(r, 0, 23, 0.4),
			randomField(r, 1, 31, 0.6),
			randomField(r, 1, 12, 0.7),
			randomField(r, 0, 7, 0.6),
		}
		switch r.IntN(12) {
		case 0:
			fields[1] = "*/1"
		case 1:
			fields[1] = "0-23"
		}
		if s, err := Parse(strings.Join(fields, " ")); err == nil {
			return s
		}
	}
}

func randomField(r *rand.Rand, lo, hi int, star float64) string {
	if r.Float64() < star {
		return "*"
	}
	item := func() string {
		a := lo + r.IntN(hi-lo+1)
		b := a + r.IntN(hi-a+1)
		step := 1 + r.IntN(hi-lo+2)
		switch r.IntN(6) {
		case 0:
			return fmt.Sprintf("*/%d", step)
		case 1:
			return fmt.Sprintf("%d-%d", a, b)
		case 2:
			return fmt.Sprintf("%d-%d/%d", a, b, step)
		case 3:
			return fmt.Sprintf("%d/%d", a, step)
		}
		return fmt.Sprint(a)
	}
	items := []string{item()}
	for r.IntN(3) == 0 {
		items = append(items, item())
	}
	return strings.Join(items, ",")
}

// randomStart returns an instant with random seconds, usually within 30
// hours of one of loc's offset changes, in 2026-2027 (the years the product
// starts in) or any year from 1975 to 2045.
func randomStart(r *rand.Rand, loc *time.Location) time.Time {
	year := 2026 + r.IntN(2)
	if r.IntN(2) == 0 {
		year = 1975 + r.IntN(71)
	}
	if r.IntN(4) > 0 {
		var changes []time.Time
		t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		for range 8 {
			_, end := t.ZoneBounds()
			if end.IsZero() || end.Year() > year {
				break
			}
			changes = append(changes, end)
			t = end
		}
		if len(changes) > 0 {
			c := changes[r.IntN(len(changes))]
			return c.Add(time.Duration(r.Int64N(int64(60*time.Hour))) - 30*time.Hour)
		}
	}
	base := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
}
