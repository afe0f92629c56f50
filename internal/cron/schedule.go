package cron

import (
	"math"
	"math/bits"
	"time"
)

// Schedule is a parsed, valid expression. It is immutable and safe for
// concurrent use.
type Schedule struct {
	expr string // trimmed, fields joined by single spaces

	// Bit v of each set is value v of its field.
	minute uint64 // 0-59
	hour   uint32 // 0-23
	dom    uint32 // 1-31
	month  uint16 // 1-12
	dow    uint8  // 0-6, Sunday = 0 (7 is folded into 0 by Parse)

	// domStar and dowStar record a bare "*", which alone makes a day field
	// unrestricted for the OR rule.
	domStar, dowStar bool

	// dowRep repeats dow every 7 bits so the weekdays of a whole month are
	// one shift away: bit j is dow[j%7].
	dowRep uint64
}

const allHoursMask = 1<<24 - 1

// String returns the expression as given: trimmed, with the whitespace
// between fields normalised to single spaces. Macros keep their spelling.
func (s *Schedule) String() string { return s.expr }

// AllHours reports whether the hour field selects all 24 hours. It switches
// the daylight-saving policy: such schedules run on real time, the others run
// once per selected wall-clock time (see the package documentation).
func (s *Schedule) AllHours() bool { return s.hour == allHoursMask }

// Fire is one fire time annotated for previews.
type Fire struct {
	Time         time.Time // the instant, in the schedule's location
	DSTShifted   bool      // fired at a spring-forward transition instead of at a nonexistent local time
	DSTRepeated  bool      // the second occurrence of a repeated local time (fall back); only all-hours schedules have these
	OffsetChange bool      // the UTC offset differs from the previous fire in the list, or from `after` for the first
}

// maxNextN bounds NextN so a request cannot ask for unbounded work.
const maxNextN = 1000

// maxMinIntervalN bounds MinInterval for the same reason.
const maxMinIntervalN = 100_000

// horizonYears bounds every search. The longest gap between fire times of a
// valid schedule is eight years: February 29 across a century year that is
// not a leap year, as from 2096-02-29 to 2104-02-29.
const horizonYears = 12

// maxShift is the largest offset change a zone could make (the span of UTC
// offsets, -12:00 to +14:00). Only wall-clock times that close to the start
// of an offset period can be repeats of the previous period.
const maxShift = 26 * 3600

// minUnix and maxUnix keep all arithmetic far from int64 overflow; instants
// outside (hundreds of millions of years away) have no fire times.
const (
	minUnix = -(1 << 52)
	maxUnix = 1 << 52
)

// fireKind says how a fire time came about, for Fire's annotations.
type fireKind uint8

const (
	fireRegular  fireKind = iota
	fireShifted           // at a spring-forward transition, for a skipped wall-clock time
	fireRepeated          // the second occurrence of a repeated wall-clock time
)

// Next returns the first fire instant strictly after `after`, evaluated on
// the wall clock of loc (nil means UTC), with minute precision and the
// daylight-saving rules of the package documentation. The result is in loc.
// It returns the zero time only if nothing fires within the search horizon,
// which cannot happen for a schedule returned by Parse.
func (s *Schedule) Next(after time.Time, loc *time.Location) time.Time {
	t, _ := s.next(after, loc)
	return t
}

// NextN returns the next n fire times after `after` (n is capped at 1000),
// annotated for previews.
func (s *Schedule) NextN(after time.Time, loc *time.Location, n int) []Fire {
	n = min(n, maxNextN)
	if n <= 0 {
		return nil
	}
	if loc == nil {
		loc = time.UTC
	}
	fires := make([]Fire, 0, n)
	_, prevOffset := after.In(loc).Zone()
	for t := after; len(fires) < n; {
		next, kind := s.next(t, loc)
		if next.IsZero() {
			break
		}
		_, offset := next.Zone()
		fires = append(fires, Fire{
			Time:         next,
			DSTShifted:   kind == fireShifted,
			DSTRepeated:  kind == fireRepeated,
			OffsetChange: offset != prevOffset,
		})
		prevOffset, t = offset, next
	}
	return fires
}

// MinInterval returns the smallest gap between consecutive fire times among
// the next n fires after `after` (n is at least 2 and at most 100,000). It
// measures real gaps, so DST changes and uneven lists count: "*/7" gives 4
// minutes, and "30 2 * * *" gives 23 hours across a spring-forward change.
// It returns 0 if fewer than two fire times exist.
func (s *Schedule) MinInterval(after time.Time, loc *time.Location, n int) time.Duration {
	n = min(max(n, 2), maxMinIntervalN)
	prev, _ := s.next(after, loc)
	if prev.IsZero() {
		return 0
	}
	best := time.Duration(math.MaxInt64)
	for i := 1; i < n; i++ {
		t, _ := s.next(prev, loc)
		if t.IsZero() {
			break
		}
		best = min(best, t.Sub(prev))
		prev = t
	}
	if best == math.MaxInt64 {
		return 0
	}
	return best
}

// next implements Next. It walks the zone's offset periods (intervals of
// constant UTC offset, from time.Time.ZoneBounds); inside one period wall
// time and instant differ by a constant, so a pure calendar search over the
// bitsets finds the candidate, and only the edges of periods need the DST
// rules:
//   - at the start of a period that follows a fall-back change, wall times
//     that already happened in the previous period are repeats, skipped
//     unless the schedule is all-hours;
//   - at the end of a period that precedes a spring-forward change, selected
//     wall times inside the gap fire once, at the change, unless the schedule
//     is all-hours.
func (s *Schedule) next(after time.Time, loc *time.Location) (time.Time, fireKind) {
	if loc == nil {
		loc = time.UTC
	}
	sec := after.Unix()
	if sec < minUnix || sec > maxUnix {
		return time.Time{}, fireRegular
	}
	horizon := sec + horizonYears*366*86400
	off, start, end := period(after.In(loc))
	// prevOff is the offset just before start, once known: zone lookups
	// dominate the cost of a search, so each period is looked up once.
	prevOff, knownPrev := 0, false
	// Minutes are counted on the wall clock, from 1970-01-01 00:00 local.
	// Fire times are whole wall-clock minutes strictly after `after`.
	from := ceilDiv(sec+int64(off)+1, 60)
	// Periods are months long in real zones; the cap only guards against
	// a pathological zone, where giving up beats spinning.
	for range maxPeriods {
		offset := int64(off)
		repeatEnd := int64(math.MinInt64)
		if !start.IsZero() && from*60-offset < start.Unix()+maxShift {
			if !knownPrev {
				_, prevOff = start.Add(-time.Nanosecond).Zone()
			}
			if int64(prevOff) > offset {
				// Wall times below repeatEnd happened in the previous period.
				repeatEnd = ceilDiv(start.Unix()+int64(prevOff), 60)
				if !s.AllHours() {
					from = max(from, repeatEnd)
				}
			}
		}
		until := int64(math.MaxInt64)
		if !end.IsZero() {
			until = ceilDiv(end.Unix()+offset, 60)
		}
		if w, ok := s.nextWall(from, until); ok {
			kind := fireRegular
			if w < repeatEnd {
				kind = fireRepeated
			}
			return time.Unix(w*60-offset, 0).In(loc), kind
		}
		if end.IsZero() {
			return time.Time{}, fireRegular
		}
		endSec := end.Unix()
		if endSec > horizon {
			return time.Time{}, fireRegular
		}
		// Sparse schedules would visit every period up to their next
		// wall-clock match. Every fire time, regular, shifted or repeated,
		// belongs to a selected wall time w at or after that match, and
		// lies within maxShift of w read with this period's offset, so the
		// periods before that are skipped.
		if w, ok := s.nextWall(until, math.MaxInt64); ok && w*60-offset-endSec > 2*maxShift {
			off, start, end = period(time.Unix(w*60-offset-2*maxShift, 0).In(loc))
			knownPrev, from = false, w
			continue
		}
		transition := end.In(loc)
		nextOff, nextStart, nextEnd := period(transition)
		if int64(nextOff) > offset && !s.AllHours() {
			// Wall times from end+offset up to end+nextOff do not exist.
			if _, ok := s.nextWall(ceilDiv(endSec+offset, 60), ceilDiv(endSec+int64(nextOff), 60)); ok {
				return transition, fireShifted
			}
		}
		prevOff, knownPrev = off, nextStart.Equal(end)
		off, start, end = nextOff, nextStart, nextEnd
		from = ceilDiv(endSec+int64(nextOff), 60)
	}
	return time.Time{}, fireRegular
}

// maxPeriods bounds the offset periods one search may visit: two a year
// for DST zones, plus a fake boundary at each year's end, over the horizon.
const maxPeriods = 16 * horizonYears

// period returns the UTC offset at t and the bounds of the period of
// constant offset around t, as time.Time.ZoneBounds does (zero bounds mean
// unbounded), but guarantees end > t so a search always advances. Beyond the
// last transition in its tables Go computes periods from the zone's rule
// and, in leap years, ends the last period of the year a day early, at
// 00:00 UTC on December 31 (ystart + 365 days in time.tzset), so t at that
// end gets back a period that has already ended. The true period then runs
// to the next UTC new year, where the rule's arithmetic is right again; if
// the offset differs there, the change is found by bisection.
func period(t time.Time) (offset int, start, end time.Time) {
	_, offset = t.Zone()
	start, end = t.ZoneBounds()
	if end.IsZero() || end.After(t) {
		return offset, start, end
	}
	lo := t.Truncate(time.Second) // whole seconds keep the bisection exact
	hi := time.Date(t.UTC().Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).In(t.Location())
	if _, o := hi.Zone(); o == offset {
		return offset, start, hi
	}
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2 / time.Second * time.Second)
		if _, o := mid.Zone(); o == offset {
			lo = mid
		} else {
			hi = mid
		}
	}
	return offset, start, hi
}

// nextWall returns the first selected wall-clock minute w with
// from <= w < until, on the zone-less proleptic Gregorian calendar, with
// minutes counted from 1970-01-01 00:00. It jumps to the next selected
// month, day, hour and minute with bit operations, so its cost depends on
// how many months it crosses, not on how many minutes.
func (s *Schedule) nextWall(from, until int64) (int64, bool) {
	if from >= until {
		return 0, false
	}
	day := floorDiv(from, 1440)
	h, mi := int((from-day*1440)/60), int((from-day*1440)%60)
	y, m, d := civilFromDays(day)
	lastYear := y + horizonYears
	// past reports whether day d of the current month already starts at or
	// after until, which ends the search early for short windows.
	past := func() bool { return daysFromCivil(y, m, d)*1440 >= until }
	for {
		if s.month&(1<<m) == 0 {
			later := s.month &^ (1<<(m+1) - 1)
			if later == 0 {
				if y++; y > lastYear {
					return 0, false
				}
				later = s.month
			}
			m, d, h, mi = bits.TrailingZeros16(later), 1, 0, 0
			if past() {
				return 0, false
			}
		}
		days := s.dayMask(y, m) &^ (1<<d - 1)
		if days == 0 {
			if m++; m > 12 {
				if y++; y > lastYear {
					return 0, false
				}
				m = 1
			}
			d, h, mi = 1, 0, 0
			if past() {
				return 0, false
			}
			continue
		}
		if nd := bits.TrailingZeros32(days); nd != d {
			d, h, mi = nd, 0, 0
			if past() {
				return 0, false
			}
		}
		hours := s.hour &^ (1<<h - 1)
		if hours == 0 {
			d, h, mi = d+1, 0, 0 // past the month's end, dayMask is empty
			if past() {
				return 0, false
			}
			continue
		}
		if nh := bits.TrailingZeros32(hours); nh != h {
			h, mi = nh, 0
		}
		minutes := s.minute &^ (1<<mi - 1)
		if minutes == 0 {
			h, mi = h+1, 0 // at 24, the hour set is empty
			continue
		}
		w := (daysFromCivil(y, m, d)*24+int64(h))*60 + int64(bits.TrailingZeros64(minutes))
		if w >= until {
			return 0, false
		}
		return w, true
	}
}

// dayMask returns the matching days of month m of year y as bits 1-31,
// applying the day-of-month / day-of-week OR rule.
func (s *Schedule) dayMask(y int64, m int) uint32 {
	valid := uint32(1)<<(daysIn(y, m)+1) - 2
	if s.domStar && s.dowStar {
		return valid
	}
	var mask uint32
	if !s.domStar {
		mask = s.dom
	}
	if !s.dowStar {
		// Day 1 has weekday w1, so day d has weekday (w1+d-1)%7, which is
		// bit w1+d-1 of dowRep.
		w1 := floorMod(daysFromCivil(y, m, 1)+4, 7) // 1970-01-01 was a Thursday
		mask |= uint32((s.dowRep << 1) >> w1)
	}
	return mask & valid
}

// maxDaysIn is the longest each month can be; February counts leap years.
var maxDaysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// monthNames are for messages and descriptions; index 0 is unused.
var monthNames = [13]string{"", "January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"}

// dayNames are for descriptions; Sunday = 0.
var dayNames = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int64, m int) int {
	if m == 2 && !isLeap(y) {
		return 28
	}
	return maxDaysIn[m]
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d, using
// Howard Hinnant's algorithm, which is exact for the proleptic Gregorian
// calendar and far cheaper than time.Date.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64(m+9) % 12 // March = 0
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int((mp+2)%12 + 1)
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
