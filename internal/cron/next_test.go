package cron

import (
	"testing"
	"time"
)

// nextTests chain Next: each want is the fire after the previous one,
// starting from after. Instants are UTC; comments give the wall clock.
var nextTests = []struct {
	name  string
	expr  string
	zone  string
	after string
	want  []string
}{
	// Basics.
	{"every minute, seconds ignored", "* * * * *", "UTC", "2026-01-01T09:00:30Z", []string{"2026-01-01T09:01:00Z", "2026-01-01T09:02:00Z"}},
	{"strictly after", "* * * * *", "UTC", "2026-01-01T09:00:00Z", []string{"2026-01-01T09:01:00Z"}},
	{"just before", "0 10 * * *", "UTC", "2026-01-01T09:59:59.999999999Z", []string{"2026-01-01T10:00:00Z"}},
	{"every 15", "*/15 * * * *", "UTC", "2026-01-01T23:50:00Z", []string{"2026-01-02T00:00:00Z", "2026-01-02T00:15:00Z"}},
	{"10/15", "10/15 * * * *", "UTC", "2026-01-01T00:00:00Z", []string{"2026-01-01T00:10:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:40:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:10:00Z"}},
	{"*/61 is minute 0", "*/61 * * * *", "UTC", "2026-01-01T00:00:00Z", []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
	{"year end", "0 0 1 1 *", "UTC", "2026-06-15T12:00:00Z", []string{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
	{"31st skips short months", "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z", []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"}},
	{"leap day", "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
	{"horizon across 2100", "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z"}},
	{"horizon across 2100 in Oslo", "0 0 29 2 *", "Europe/Oslo", "2096-03-01T00:00:00Z", []string{"2104-02-28T23:00:00Z"}},
	{"leap day or Monday", "0 0 30 2 1", "UTC", "2026-01-31T00:00:00Z", []string{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z", "2026-02-16T00:00:00Z", "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z"}},
	{"Friday the 13th rule is OR", "0 0 13 * 5", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z", "2026-04-24T00:00:00Z", "2026-05-01T00:00:00Z"}},
	{"odd days only", "0 0 */2 * *", "UTC", "2026-03-29T12:00:00Z", []string{"2026-03-31T00:00:00Z", "2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z"}},
	{"odd days or Monday", "0 0 */2 * 1", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-03T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-06T00:00:00Z", "2026-04-07T00:00:00Z", "2026-04-09T00:00:00Z"}},
	{"1-31 or Monday is every day", "0 0 1-31 * 1", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-02T00:00:00Z", "2026-04-03T00:00:00Z"}},
	{"dom star, dow decides", "0 0 * * 1", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-06T00:00:00Z", "2026-04-13T00:00:00Z"}},
	{"dow star, dom decides", "0 0 1 * *", "UTC", "2026-04-01T00:00:00Z", []string{"2026-05-01T00:00:00Z"}},
	{"7 is Sunday", "0 0 * * 7", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-05T00:00:00Z", "2026-04-12T00:00:00Z"}},
	{"fri-sun", "0 0 * * fri-sun", "UTC", "2026-04-01T00:00:00Z", []string{"2026-04-03T00:00:00Z", "2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-10T00:00:00Z"}},
	{"weekdays in a zone", "30 9 * * mon-fri", "Europe/Oslo", "2026-04-03T12:00:00Z", []string{"2026-04-06T07:30:00Z", "2026-04-07T07:30:00Z"}},
	{"quarterly", "0 6 1 jan-dec/3 *", "America/New_York", "2026-01-01T12:00:00Z", []string{"2026-04-01T10:00:00Z", "2026-07-01T10:00:00Z", "2026-10-01T10:00:00Z", "2027-01-01T11:00:00Z"}},
	{"half-hour zone", "0 9 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", []string{"2026-01-01T03:30:00Z"}},
	{"quarter-hour zone", "0 0 * * *", "Asia/Kathmandu", "2026-01-01T00:00:00Z", []string{"2026-01-01T18:15:00Z"}},

	// Europe/Oslo, spring forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z).
	{"Oslo gap, fixed hour fires once at the change", "30 2 * * *", "Europe/Oslo", "2026-03-28T00:00:00Z", []string{
		"2026-03-28T01:30:00Z", // 02:30 CET
		"2026-03-29T01:00:00Z", // 03:00 CEST, for the missing 02:30
		"2026-03-30T00:30:00Z", // 02:30 CEST
	}},
	{"Oslo gap, two times collapse", "0,30 2 * * *", "Europe/Oslo", "2026-03-29T00:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:30:00Z"}},
	{"Oslo gap, collapse with a regular firing", "0,30 2,3 * * *", "Europe/Oslo", "2026-03-29T00:00:00Z", []string{
		"2026-03-29T01:00:00Z", // 02:00, 02:30 and 03:00 CEST in one firing
		"2026-03-29T01:30:00Z", // 03:30 CEST
		"2026-03-30T00:00:00Z", // 02:00 CEST
	}},
	{"Oslo gap, daily 02:00", "0 2 * * *", "Europe/Oslo", "2026-03-28T12:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"}},
	{"Oslo gap, 03:00 is regular", "0 3 * * *", "Europe/Oslo", "2026-03-28T23:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z"}},
	{"Oslo gap, all hours skip", "30 * * * *", "Europe/Oslo", "2026-03-29T00:00:00Z", []string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z"}},
	{"Oslo gap, all hours skip from 00:30Z", "30 * * * *", "Europe/Oslo", "2026-03-29T00:30:00Z", []string{"2026-03-29T01:30:00Z"}},
	{"Oslo gap, every 20 minutes is real time", "*/20 * * * *", "Europe/Oslo", "2026-03-29T00:30:00Z", []string{"2026-03-29T00:40:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:20:00Z"}},
	{"Oslo gap, @hourly", "@hourly", "Europe/Oslo", "2026-03-28T23:30:00Z", []string{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
	{"Oslo gap, @daily unaffected", "@daily", "Europe/Oslo", "2026-03-28T12:00:00Z", []string{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}},
	{"Oslo gap, 0-22 is not all hours", "30 0-22 * * *", "Europe/Oslo", "2026-03-29T00:00:00Z", []string{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}},
	{"Oslo gap 2027", "15 2 * * *", "Europe/Oslo", "2027-03-27T12:00:00Z", []string{"2027-03-28T01:00:00Z", "2027-03-29T00:15:00Z"}},

	// Europe/Oslo, fall back 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
	{"Oslo fold, fixed hour fires the first time", "30 2 * * *", "Europe/Oslo", "2026-10-24T12:00:00Z", []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
	{"Oslo fold, started between the two", "30 2 * * *", "Europe/Oslo", "2026-10-25T00:45:00Z", []string{"2026-10-26T01:30:00Z"}},
	{"Oslo fold, started in the second hour", "30 2 * * *", "Europe/Oslo", "2026-10-25T01:15:00Z", []string{"2026-10-26T01:30:00Z"}},
	{"Oslo fold, several times in the hour", "*/20 2 * * *", "Europe/Oslo", "2026-10-24T23:00:00Z", []string{"2026-10-25T00:00:00Z", "2026-10-25T00:20:00Z", "2026-10-25T00:40:00Z", "2026-10-26T01:00:00Z"}},
	{"Oslo fold, several times, started between", "*/20 2 * * *", "Europe/Oslo", "2026-10-25T00:50:00Z", []string{"2026-10-26T01:00:00Z"}},
	{"Oslo fold, all hours fire twice", "30 * * * *", "Europe/Oslo", "2026-10-25T00:00:00Z", []string{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"}},
	{"Oslo fold, all hours started between", "30 * * * *", "Europe/Oslo", "2026-10-25T00:45:00Z", []string{"2026-10-25T01:30:00Z"}},
	{"Oslo fold, @hourly", "@hourly", "Europe/Oslo", "2026-10-24T23:30:00Z", []string{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"}},
	{"Oslo fold, @daily", "@daily", "Europe/Oslo", "2026-10-24T12:00:00Z", []string{"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"}},
	{"Oslo fold 2027", "15 2 * * *", "Europe/Oslo", "2027-10-30T12:00:00Z", []string{"2027-10-31T00:15:00Z", "2027-11-01T01:15:00Z"}},

	// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z),
	// 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z), 2027-03-14 and 2027-11-07.
	{"New York gap, fixed hour", "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", []string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
	{"New York gap, collapse", "0 2,3 * * *", "America/New_York", "2026-03-08T06:00:00Z", []string{"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T07:00:00Z"}},
	{"New York gap, every 15 minutes", "*/15 * * * *", "America/New_York", "2026-03-08T06:50:00Z", []string{"2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
	{"New York gap, all hours skip", "30 * * * *", "America/New_York", "2026-03-08T06:30:00Z", []string{"2026-03-08T07:30:00Z"}},
	{"New York fold, fixed hour", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
	{"New York fold, started between", "30 1 * * *", "America/New_York", "2026-11-01T05:45:00Z", []string{"2026-11-02T06:30:00Z"}},
	{"New York fold, all hours", "30 * * * *", "America/New_York", "2026-11-01T05:00:00Z", []string{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"}},
	{"New York fold, every 30 minutes", "*/30 * * * *", "America/New_York", "2026-11-01T05:40:00Z", []string{"2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z"}},
	{"New York gap 2027, Sundays 02:00", "0 2 * * 0", "America/New_York", "2027-03-13T00:00:00Z", []string{"2027-03-14T07:00:00Z", "2027-03-21T06:00:00Z"}},
	{"New York fold 2027, Sundays 01:00", "0 1 * * 0", "America/New_York", "2027-11-06T00:00:00Z", []string{"2027-11-07T05:00:00Z", "2027-11-14T06:00:00Z"}},
	{"New York fold 2027, @hourly", "@hourly", "America/New_York", "2027-11-07T04:30:00Z", []string{"2027-11-07T05:00:00Z", "2027-11-07T06:00:00Z", "2027-11-07T07:00:00Z"}},

	// Australia/Lord_Howe moves by 30 minutes at 02:00 local:
	// 2026-04-05 02:00 +11 -> 01:30 +10:30 (2026-04-04T15:00Z) and
	// 2026-10-04 02:00 +10:30 -> 02:30 +11 (2026-10-03T15:30Z).
	{"Lord Howe fold, fixed hour", "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00Z", []string{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}},
	{"Lord Howe fold, started between", "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:50:00Z", []string{"2026-04-05T15:15:00Z"}},
	{"Lord Howe fold, every 15 minutes", "*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:40:00Z", []string{
		"2026-04-04T14:45:00Z", // 01:45 +11
		"2026-04-04T15:00:00Z", // 01:30 +10:30, again
		"2026-04-04T15:15:00Z", // 01:45 +10:30, again
		"2026-04-04T15:30:00Z", // 02:00 +10:30
	}},
	{"Lord Howe fold, @hourly", "@hourly", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", []string{"2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z"}},
	{"Lord Howe gap, fixed hour", "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00Z", []string{"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}},
	{"Lord Howe gap, collapse", "0,15 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", []string{"2026-10-03T15:30:00Z", "2026-10-04T15:00:00Z", "2026-10-04T15:15:00Z"}},
	{"Lord Howe gap, 02:30 exists", "30 2 * * *", "Australia/Lord_Howe", "2026-10-03T15:00:00Z", []string{"2026-10-03T15:30:00Z", "2026-10-04T15:30:00Z"}},
	{"Lord Howe gap, every 15 minutes", "*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T15:10:00Z", []string{"2026-10-03T15:15:00Z", "2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"}},
	{"Lord Howe gap, @daily", "@daily", "Australia/Lord_Howe", "2026-10-03T12:00:00Z", []string{"2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"}},
	{"Lord Howe fold 2027", "45 1 * * *", "Australia/Lord_Howe", "2027-04-03T12:00:00Z", []string{"2027-04-03T14:45:00Z", "2027-04-04T15:15:00Z"}},
	{"Lord Howe gap 2027", "15 2 * * *", "Australia/Lord_Howe", "2027-10-02T12:00:00Z", []string{"2027-10-02T15:30:00Z", "2027-10-03T15:15:00Z"}},

	// Antarctica/Troll moves by two hours: 01:00 +00 -> 03:00 +02 on
	// 2026-03-29 and back on 2026-10-25, both at 01:00Z.
	{"Troll two-hour gap", "30 1,2 * * *", "Antarctica/Troll", "2026-03-28T12:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-29T23:30:00Z"}},
	// Sparse schedules skip ahead over whole offset periods, and must
	// still apply the DST rules where they land.
	{"sparse schedule lands in a gap", "30 2 29 3 *", "Europe/Oslo", "2025-04-01T00:00:00Z", []string{"2026-03-29T01:00:00Z", "2027-03-29T00:30:00Z"}},
	{"sparse schedule lands in a fold", "30 2 25 10 *", "Europe/Oslo", "2025-11-01T00:00:00Z", []string{"2026-10-25T00:30:00Z", "2027-10-25T00:30:00Z"}},
	{"sparse all-hours schedule in a fold", "30 * 25 10 *", "Europe/Oslo", "2026-10-25T00:45:00Z", []string{"2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"}},

	// Pacific/Apia skipped 2011-12-30: 23:59:59 -10 on the 29th was followed
	// by 00:00 +14 on the 31st (2011-12-30T10:00Z).
	{"Apia skipped day, daily job still runs", "0 9 * * *", "Pacific/Apia", "2011-12-29T12:00:00Z", []string{"2011-12-29T19:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T19:00:00Z"}},
	{"Apia skipped day, hourly skips it", "0 * * * *", "Pacific/Apia", "2011-12-30T09:30:00Z", []string{"2011-12-30T10:00:00Z", "2011-12-30T11:00:00Z"}},
	{"Apia skipped day, only that date", "0 12 30 12 *", "Pacific/Apia", "2011-06-01T00:00:00Z", []string{"2011-12-30T10:00:00Z", "2012-12-29T22:00:00Z"}},

	// Past Go's transition tables, periods come from the zone's rule, and
	// Go ends a leap year's last period on December 31 (see period).
	{"rule-based periods across a leap year's end", "0 0 * * *", "Europe/Oslo", "2096-12-30T12:00:00Z", []string{"2096-12-30T23:00:00Z", "2096-12-31T23:00:00Z", "2097-01-01T23:00:00Z"}},
	{"rule-based periods, every 30 minutes", "*/30 * * * *", "Europe/Oslo", "2096-12-30T23:20:00Z", []string{"2096-12-30T23:30:00Z", "2096-12-31T00:00:00Z", "2096-12-31T00:30:00Z"}},
	{"rule-based periods, southern hemisphere", "0 0 * * *", "Australia/Sydney", "2096-12-30T00:00:00Z", []string{"2096-12-30T13:00:00Z", "2096-12-31T13:00:00Z", "2097-01-01T13:00:00Z"}},

	{"Troll two-hour fold", "30 1,2 * * *", "Antarctica/Troll", "2026-10-24T23:00:00Z", []string{"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
}

func TestNext(t *testing.T) {
	for _, tt := range nextTests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			loc := mustLoad(t, tt.zone)
			after := mustTime(t, tt.after)
			for _, w := range tt.want {
				want := mustTime(t, w)
				got := s.Next(after, loc)
				if !got.Equal(want) {
					t.Fatalf("%q in %s: Next(%s) = %s, want %s", tt.expr, tt.zone, after.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339), w)
				}
				if got.Location() != loc {
					t.Errorf("Next returned location %v, want %v", got.Location(), loc)
				}
				after = got
			}
		})
	}
}

// TestPeriodAlwaysAdvances checks the workaround in period: whatever Go's
// zone data says, a period ends after the instant asked about, and the
// offset is the same at both ends.
func TestPeriodAlwaysAdvances(t *testing.T) {
	for _, zone := range []string{"Europe/Oslo", "Australia/Sydney", "America/New_York", "Australia/Lord_Howe"} {
		loc := mustLoad(t, zone)
		at := time.Date(2090, 1, 1, 0, 0, 0, 0, time.UTC).In(loc)
		for i := 0; i < 100 && at.Year() < 2110; i++ {
			offset, _, end := period(at)
			if end.IsZero() || !end.After(at) {
				t.Fatalf("%s: period(%v) ends at %v", zone, at, end)
			}
			if _, o := end.Add(-time.Nanosecond).Zone(); o != offset {
				t.Fatalf("%s: period(%v) has offset %d but %d just before its end %v", zone, at, offset, o, end)
			}
			at = end.In(loc)
		}
	}
}

func TestNextNilLocationIsUTC(t *testing.T) {
	s, err := Parse("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(mustTime(t, "2026-01-01T10:00:00+01:00"), nil)
	if want := mustTime(t, "2026-01-02T09:00:00Z"); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Next with nil location = %v, want %v in UTC", got, want)
	}
}

func TestNextExtremes(t *testing.T) {
	s, err := Parse("0 0 29 2 *")
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		got := s.Next(after, mustLoad(t, "Europe/Oslo"))
		if got.IsZero() || !got.After(after) {
			t.Errorf("Next(%v) = %v", after, got)
		}
	}
	if got := s.Next(time.Unix(1<<62, 0), nil); !got.IsZero() {
		t.Errorf("Next far beyond any calendar = %v, want zero", got)
	}
}

func TestNextN(t *testing.T) {
	oslo := mustLoad(t, "Europe/Oslo")
	tests := []struct {
		name  string
		expr  string
		after string
		want  []Fire // Time in UTC; compared with Equal
	}{
		{"gap shifts a fixed time", "30 2 * * *", "2026-03-28T00:00:00Z", []Fire{
			{Time: mustTime(t, "2026-03-28T01:30:00Z")},
			{Time: mustTime(t, "2026-03-29T01:00:00Z"), DSTShifted: true, OffsetChange: true},
			{Time: mustTime(t, "2026-03-30T00:30:00Z")},
		}},
		{"collapsed firing is shifted", "0,30 2,3 * * *", "2026-03-29T00:00:00Z", []Fire{
			{Time: mustTime(t, "2026-03-29T01:00:00Z"), DSTShifted: true, OffsetChange: true},
			{Time: mustTime(t, "2026-03-29T01:30:00Z")},
		}},
		{"fold repeats for all hours", "30 * * * *", "2026-10-25T00:00:00Z", []Fire{
			{Time: mustTime(t, "2026-10-25T00:30:00Z")},
			{Time: mustTime(t, "2026-10-25T01:30:00Z"), DSTRepeated: true, OffsetChange: true},
			{Time: mustTime(t, "2026-10-25T02:30:00Z")},
		}},
		{"first fire compares with after", "30 * * * *", "2026-10-25T00:45:00Z", []Fire{
			{Time: mustTime(t, "2026-10-25T01:30:00Z"), DSTRepeated: true, OffsetChange: true},
		}},
		{"fold does not repeat a fixed hour", "30 2 * * *", "2026-10-24T12:00:00Z", []Fire{
			{Time: mustTime(t, "2026-10-25T00:30:00Z")},
			{Time: mustTime(t, "2026-10-26T01:30:00Z"), OffsetChange: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := s.NextN(mustTime(t, tt.after), oslo, len(tt.want))
			if len(got) != len(tt.want) {
				t.Fatalf("NextN returned %d fires, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if !g.Time.Equal(w.Time) || g.DSTShifted != w.DSTShifted || g.DSTRepeated != w.DSTRepeated || g.OffsetChange != w.OffsetChange {
					t.Errorf("fire %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestNextNLimits(t *testing.T) {
	s, err := Parse("* * * * *")
	if err != nil {
		t.Fatal(err)
	}
	after := mustTime(t, "2026-01-01T00:00:00Z")
	if got := s.NextN(after, nil, 0); len(got) != 0 {
		t.Errorf("NextN(0) returned %d fires", len(got))
	}
	if got := s.NextN(after, nil, -5); len(got) != 0 {
		t.Errorf("NextN(-5) returned %d fires", len(got))
	}
	if got := s.NextN(after, nil, 5000); len(got) != 1000 {
		t.Errorf("NextN(5000) returned %d fires, want 1000", len(got))
	}
}

func TestMinInterval(t *testing.T) {
	tests := []struct {
		expr  string
		zone  string
		after string
		n     int
		want  time.Duration
	}{
		{"*/7 * * * *", "UTC", "2026-01-01T00:00:00Z", 20, 4 * time.Minute},
		{"*/15 * * * *", "UTC", "2026-01-01T00:00:00Z", 10, 15 * time.Minute},
		{"@hourly", "UTC", "2026-01-01T00:00:00Z", 1, time.Hour},
		{"0 0,1 * * *", "UTC", "2026-01-01T00:00:00Z", 2, 23 * time.Hour},
		{"0 0,1 * * *", "UTC", "2026-01-01T00:00:00Z", 3, time.Hour},
		{"30 2 * * *", "Europe/Oslo", "2026-03-28T00:00:00Z", 3, 23*time.Hour + 30*time.Minute},
		{"0,30 2,3 * * *", "Europe/Oslo", "2026-03-29T00:00:00Z", 2, 30 * time.Minute},
		{"30 * * * *", "Europe/Oslo", "2026-10-25T00:00:00Z", 3, time.Hour},
		{"0 0 29 2 *", "UTC", "2096-01-01T00:00:00Z", 2, 2921 * 24 * time.Hour},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.MinInterval(mustTime(t, tt.after), mustLoad(t, tt.zone), tt.n); got != tt.want {
			t.Errorf("%q MinInterval(n=%d) = %v, want %v", tt.expr, tt.n, got, tt.want)
		}
	}
}

// TestTransitionsAreReal guards the DST tables above: they assume these
// transitions in Go's tzdata.
func TestTransitionsAreReal(t *testing.T) {
	tests := []struct {
		zone       string
		at         string
		before     int // UTC offset in seconds just before
		afterwards int
	}{
		{"Europe/Oslo", "2026-03-29T01:00:00Z", 3600, 7200},
		{"Europe/Oslo", "2026-10-25T01:00:00Z", 7200, 3600},
		{"Europe/Oslo", "2027-03-28T01:00:00Z", 3600, 7200},
		{"Europe/Oslo", "2027-10-31T01:00:00Z", 7200, 3600},
		{"America/New_York", "2026-03-08T07:00:00Z", -5 * 3600, -4 * 3600},
		{"America/New_York", "2026-11-01T06:00:00Z", -4 * 3600, -5 * 3600},
		{"America/New_York", "2027-03-14T07:00:00Z", -5 * 3600, -4 * 3600},
		{"America/New_York", "2027-11-07T06:00:00Z", -4 * 3600, -5 * 3600},
		{"Australia/Lord_Howe", "2026-04-04T15:00:00Z", 11 * 3600, 10*3600 + 1800},
		{"Australia/Lord_Howe", "2026-10-03T15:30:00Z", 10*3600 + 1800, 11 * 3600},
		{"Australia/Lord_Howe", "2027-04-03T15:00:00Z", 11 * 3600, 10*3600 + 1800},
		{"Australia/Lord_Howe", "2027-10-02T15:30:00Z", 10*3600 + 1800, 11 * 3600},
		{"Antarctica/Troll", "2026-03-29T01:00:00Z", 0, 7200},
		{"Antarctica/Troll", "2026-10-25T01:00:00Z", 7200, 0},
	}
	for _, tt := range tests {
		loc := mustLoad(t, tt.zone)
		at := mustTime(t, tt.at)
		_, before := at.Add(-time.Second).In(loc).Zone()
		_, afterwards := at.In(loc).Zone()
		if before != tt.before || afterwards != tt.afterwards {
			t.Errorf("%s at %s: offsets %d -> %d, want %d -> %d", tt.zone, tt.at, before, afterwards, tt.before, tt.afterwards)
		}
	}
}

func mustLoad(t testing.TB, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
