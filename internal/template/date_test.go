package template

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zones never depend on the machine
)

func TestDateFilters(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   string
		loc  *time.Location
		tmpl string
		want string
	}{
		{"2026-12-06T14:05:09Z", nil, "{{ t | date }} {{ t | time }} {{ t | unix }}", "2026-12-06 14:05:09 1796565909"},
		{"2026-12-06T23:30:00Z", ams, "{{ t | date }} {{ t | time }}", "2026-12-07 00:30:00"},
		{"2026-12-06T23:30:00Z", ams, "{{ t | previous_day | date }}", "2026-12-06"},
		{"2026-12-06T23:30:00Z", nil, "{{ t | previous_day | date }}", "2026-12-05"},
		{"2026-12-06T23:30:00Z", nil, "{{ t | previous_day }}", "2026-12-05T23:30:00Z"},
		{"2026-12-31T10:00:00.250Z", nil, "{{ t | next_day }}", "2027-01-01T10:00:00.250Z"},
		{"2026-12-06T00:10:00Z", nil, "{{ t | previous_hour | date }} {{ t | previous_hour | time }}", "2026-12-05 23:10:00"},
		// Over the spring change (29 March 2026, 02:00 → 03:00 in
		// Amsterdam) a calendar day is 23 hours: same local time of day.
		{"2026-03-29T10:00:00Z", ams, "{{ t | previous_day | time }}", "12:00:00"},
		{"2026-03-29T10:00:00Z", ams, "{{ t | previous_day }}", "2026-03-28T11:00:00Z"},
		{"2026-01-15T12:00:00Z", nil, "{{ t | previous_month }}", "2025-12-01T00:00:00Z"},
		{"2026-03-31T12:00:00Z", ams, "{{ t | previous_month | date }}", "2026-02-01"},
		{"2026-03-31T12:00:00Z", ams, "{{ t | previous_month }}", "2026-01-31T23:00:00Z"},
		{"2026-12-06T14:05:09+01:00", nil, "{{ t | time }}", "13:05:09"},
		{"2026-12-06T14:05:09Z", nil, "{{ t | date | url }}", "2026-12-06"},
	} {
		got, err := Render(tc.tmpl, mapScope{"t": tc.at}, Options{Location: tc.loc})
		if err != nil || got != tc.want {
			t.Errorf("%s with t=%s: %q, %v; want %q", tc.tmpl, tc.at, got, err, tc.want)
		}
	}
}

func TestDateFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		v    any
		tmpl string
	}{
		{"yesterday", "{{ t | date }}"},
		{float64(3), "{{ t | previous_day }}"},
		{"2026-12-06", "{{ t | unix }}"},
		{"2026-12-06T14:05:09Z", "{{ t | date | date }}"},
	} {
		_, err := Render(tc.tmpl, mapScope{"t": tc.v}, Options{})
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("%s with %v: err = %v, want a *FilterError", tc.tmpl, tc.v, err)
		}
	}
}
