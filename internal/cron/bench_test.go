package cron

import (
	"testing"
	"time"
)

var benchExprs = []struct{ name, expr string }{
	{"every15", "*/15 * * * *"},
	{"weekdays", "30 9 * * mon-fri"},
	{"list", "0,5,10,15,20 8-18/2 1,15 jan-jun,sep *"},
	{"macro", "@daily"},
}

func BenchmarkParse(b *testing.B) {
	for _, bb := range benchExprs {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bb.expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("hostile", func(b *testing.B) {
		in := "0-99999999,1,2,3,4,5,6,7,8,9 * * * *"
		for b.Loop() {
			_, _ = Parse(in)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	benches := []struct{ name, expr, zone, after string }{
		{"every15/UTC", "*/15 * * * *", "UTC", "2026-06-15T10:07:00Z"},
		{"every15/Oslo", "*/15 * * * *", "Europe/Oslo", "2026-06-15T10:07:00Z"},
		{"weekdays/Oslo", "30 9 * * mon-fri", "Europe/Oslo", "2026-06-19T10:07:00Z"},
		{"daily/NewYork", "0 0 * * *", "America/New_York", "2026-06-15T10:07:00Z"},
		{"gap/Oslo", "30 2 * * *", "Europe/Oslo", "2026-03-28T02:00:00Z"},
		{"fold/Oslo", "30 2 * * *", "Europe/Oslo", "2026-10-25T00:45:00Z"},
		{"every15/LordHowe", "*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T15:10:00Z"},
		{"monthly/Oslo2045", "0 0 1 * *", "Europe/Oslo", "2045-06-15T10:07:00Z"},
		{"leapday/UTC", "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z"},
		{"leapday/Oslo", "0 0 29 2 *", "Europe/Oslo", "2096-03-01T00:00:00Z"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			s, err := Parse(bb.expr)
			if err != nil {
				b.Fatal(err)
			}
			loc := mustLoad(b, bb.zone)
			after := mustTime(b, bb.after)
			b.ReportAllocs()
			for b.Loop() {
				if s.Next(after, loc).IsZero() {
					b.Fatal("no fire time")
				}
			}
		})
	}
}

// BenchmarkNextSequence walks a day of 15-minute fire times, the pattern of
// counting missed occurrences.
func BenchmarkNextSequence(b *testing.B) {
	s, err := Parse("*/15 * * * *")
	if err != nil {
		b.Fatal(err)
	}
	loc := mustLoad(b, "Europe/Oslo")
	start := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		t := start
		for range 96 {
			t = s.Next(t, loc)
		}
	}
}
