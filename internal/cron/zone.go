package cron

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // so zone loading never depends on the machine's zoneinfo
)

// LoadLocation validates the IANA zone name chosen for a schedule and loads
// it. Errors are sentences for users. The empty name is an error (the
// caller applies the UTC default for an absent field), and so is "Local",
// which would silently mean the server's zone. Only names in the IANA
// database bundled with Go are accepted, compared exactly, so behaviour does
// not depend on the machine; a name that differs only in case gets a
// suggestion, and path tricks such as "../../etc/passwd" are unknown names.
func LoadLocation(name string) (*time.Location, error) {
	switch {
	case name == "":
		return nil, errors.New(`time zone is required; choose an IANA time zone such as "Europe/Oslo" or "UTC"`)
	case strings.EqualFold(name, "Local"):
		return nil, errors.New(`time zone "Local" is not allowed because it depends on the server; choose an IANA time zone such as "Europe/Oslo" or "UTC"`)
	}
	if _, found := slices.BinarySearch(knownZones[:], name); !found {
		for _, z := range knownZones {
			if strings.EqualFold(z, name) {
				return nil, fmt.Errorf("unknown time zone %q; did you mean %q?", name, z)
			}
		}
		return nil, fmt.Errorf(`unknown time zone %q; use an IANA time zone name such as "Europe/Oslo", "America/New_York" or "UTC"`, shorten(name))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Unreachable with the embedded tzdata, but never hide the cause.
		return nil, fmt.Errorf("time zone %q could not be loaded: %w", name, err)
	}
	return loc, nil
}

// Zones returns the sorted canonical zone names for the dashboard's time-zone
// picker: "UTC" and one name per country and region (zone.tab). LoadLocation
// accepts these and also older aliases such as "US/Eastern".
func Zones() []string {
	return slices.Clone(pickerZones[:])
}

// shorten keeps error messages readable when a client sends a huge name.
func shorten(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
