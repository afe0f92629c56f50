package cron

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadLocation(t *testing.T) {
	tests := []struct {
		name string
		want []string // substrings of the error; nil means success
	}{
		{"UTC", nil},
		{"Etc/UTC", nil},
		{"Europe/Oslo", nil},
		{"America/New_York", nil},
		{"Australia/Lord_Howe", nil},
		{"America/Argentina/ComodRivadavia", nil},
		{"US/Eastern", nil},
		{"Asia/Calcutta", nil},
		{"", []string{"time zone is required"}},
		{"Local", []string{`"Local"`, "not allowed"}},
		{"local", []string{"not allowed"}},
		{"europe/oslo", []string{`unknown time zone "europe/oslo"`, `did you mean "Europe/Oslo"?`}},
		{"EUROPE/OSLO", []string{`did you mean "Europe/Oslo"?`}},
		{"utc", []string{`did you mean "UTC"?`}},
		{"Europe/Olso", []string{"unknown time zone", "IANA"}},
		{"Mars/Olympus_Mons", []string{"unknown time zone"}},
		{"../../etc/passwd", []string{"unknown time zone"}},
		{"/etc/localtime", []string{"unknown time zone"}},
		{"Europe/../Europe/Oslo", []string{"unknown time zone"}},
		{"posix/Europe/Oslo", []string{"unknown time zone"}},
		{"right/UTC", []string{"unknown time zone"}},
		{"Factory", []string{"unknown time zone"}},
		{"Europe/Oslo\x00", []string{"unknown time zone"}},
		{" Europe/Oslo", []string{"unknown time zone"}},
		{"+01:00", []string{"unknown time zone"}},
		{strings.Repeat("A", 10000), []string{"unknown time zone", "…"}},
	}
	for _, tt := range tests {
		loc, err := LoadLocation(tt.name)
		if tt.want == nil {
			if err != nil || loc == nil {
				t.Errorf("LoadLocation(%q) = %v, %v", tt.name, loc, err)
			} else if loc.String() != tt.name {
				t.Errorf("LoadLocation(%q) loaded %q", tt.name, loc)
			}
			continue
		}
		if err == nil {
			t.Errorf("LoadLocation(%q) succeeded, want an error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("LoadLocation(%q) error %q does not contain %q", tt.name, err, w)
			}
		}
		if len(err.Error()) > 300 {
			t.Errorf("LoadLocation error is %d bytes long", len(err.Error()))
		}
	}
}

func TestZones(t *testing.T) {
	zones := Zones()
	if !slices.IsSorted(zones) {
		t.Error("Zones() is not sorted")
	}
	if len(zones) < 300 {
		t.Errorf("Zones() has only %d names", len(zones))
	}
	for _, want := range []string{"UTC", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"} {
		if _, ok := slices.BinarySearch(zones, want); !ok {
			t.Errorf("Zones() lacks %q", want)
		}
	}
	zones[0] = "changed"
	if Zones()[0] == "changed" {
		t.Error("Zones() returns the package's own slice")
	}
	if !slices.IsSorted(knownZones[:]) {
		t.Error("knownZones is not sorted")
	}
	// Every name offered in the picker must load, with the embedded data.
	for _, z := range zones[1:] {
		if _, err := LoadLocation(z); err != nil {
			t.Errorf("LoadLocation(%q) = %v", z, err)
		}
	}
	for _, z := range knownZones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("time.LoadLocation(%q) = %v", z, err)
		}
	}
}
