package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// at parses an RFC 3339 instant for tests.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func TestInWindow(t *testing.T) {
	sunday2 := prikke.Window{Cron: "0 2 * * 0", TimeZone: "UTC", Duration: 2 * time.Hour}
	tests := []struct {
		name   string
		w      prikke.Window
		t      string
		inside bool
		closes string
	}{
		{"zero window", prikke.Window{}, "2026-03-01T02:30:00Z", false, ""},
		{"before it opens", sunday2, "2026-03-01T01:59:59Z", false, ""},
		{"at the opening", sunday2, "2026-03-01T02:00:00Z", true, "2026-03-01T04:00:00Z"},
		{"inside", sunday2, "2026-03-01T03:59:59Z", true, "2026-03-01T04:00:00Z"},
		{"at the close: out", sunday2, "2026-03-01T04:00:00Z", false, ""},
		{"another day", sunday2, "2026-03-02T02:30:00Z", false, ""},
		{"empty zone is UTC", prikke.Window{Cron: "0 2 * * 0", Duration: time.Hour}, "2026-03-01T02:30:00Z", true, "2026-03-01T03:00:00Z"},
		{"in the zone's wall clock", prikke.Window{Cron: "0 2 * * *", TimeZone: "Europe/Oslo", Duration: time.Hour}, "2026-01-10T01:30:00Z", true, "2026-01-10T02:00:00Z"},
		// 02:00 does not happen on 2026-03-29 in Oslo: the window opens at
		// the change, 03:00 CEST = 01:00Z.
		{"DST gap opens at the change", prikke.Window{Cron: "30 2 * * *", TimeZone: "Europe/Oslo", Duration: time.Hour}, "2026-03-29T01:10:00Z", true, "2026-03-29T02:00:00Z"},
		// 02:30 happens twice on 2026-10-25 in Oslo: the window opens the
		// first time (00:30Z) only.
		{"DST fold: first 02:30", prikke.Window{Cron: "30 2 * * *", TimeZone: "Europe/Oslo", Duration: 30 * time.Minute}, "2026-10-25T00:45:00Z", true, "2026-10-25T01:00:00Z"},
		{"DST fold: not the second 02:30", prikke.Window{Cron: "30 2 * * *", TimeZone: "Europe/Oslo", Duration: 30 * time.Minute}, "2026-10-25T01:45:00Z", false, ""},
		{"overlapping windows chain", prikke.Window{Cron: "0 * * * *", Duration: 90 * time.Minute}, "2026-03-01T10:10:00Z", true, "2026-03-01T10:00:00Z"},
		{"touching windows chain", prikke.Window{Cron: "0 0,1 * * *", Duration: time.Hour}, "2026-03-01T00:10:00Z", true, "2026-03-01T02:00:00Z"},
		{"bad cron never opens", prikke.Window{Cron: "nope", Duration: time.Hour}, "2026-03-01T00:10:00Z", false, ""},
		{"bad zone never opens", prikke.Window{Cron: "* * * * *", TimeZone: "Mars/Base", Duration: time.Hour}, "2026-03-01T00:10:00Z", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inside, closes := InWindow(tt.w, at(t, tt.t))
			if inside != tt.inside {
				t.Fatalf("inside = %v, want %v", inside, tt.inside)
			}
			if tt.closes == "" {
				if !closes.IsZero() {
					t.Errorf("closes = %v, want zero", closes)
				}
				return
			}
			if tt.name == "overlapping windows chain" {
				// Always open: the close is far ahead (the chain's bound).
				if !closes.After(at(t, tt.t).Add(24 * time.Hour)) {
					t.Errorf("closes = %v, want far ahead", closes)
				}
				return
			}
			if !closes.Equal(at(t, tt.closes)) {
				t.Errorf("closes = %v, want %s", closes, tt.closes)
			}
		})
	}
}

func TestMuted(t *testing.T) {
	now := at(t, "2026-03-01T02:30:00Z")
	window := prikke.Window{Cron: "0 2 * * 0", Duration: 2 * time.Hour} // 02:00-04:00Z this Sunday
	tests := []struct {
		name    string
		p       prikke.AlertPolicy
		project *time.Time
		muted   bool
		until   string
	}{
		{"nothing", prikke.AlertPolicy{}, nil, false, ""},
		{"snoozed", prikke.AlertPolicy{SnoozeUntil: ptr(now.Add(time.Hour))}, nil, true, "2026-03-01T03:30:00Z"},
		{"snooze ended", prikke.AlertPolicy{SnoozeUntil: ptr(now.Add(-time.Hour))}, nil, false, ""},
		{"snooze ends now", prikke.AlertPolicy{SnoozeUntil: ptr(now)}, nil, false, ""},
		{"project snoozed", prikke.AlertPolicy{}, ptr(now.Add(time.Minute)), true, "2026-03-01T02:31:00Z"},
		{"project snooze ended", prikke.AlertPolicy{}, ptr(now.Add(-time.Minute)), false, ""},
		{"window", prikke.AlertPolicy{Window: window}, nil, true, "2026-03-01T04:00:00Z"},
		{"latest wins: window", prikke.AlertPolicy{SnoozeUntil: ptr(now.Add(time.Minute)), Window: window}, ptr(now.Add(time.Hour)), true, "2026-03-01T04:00:00Z"},
		{"latest wins: snooze", prikke.AlertPolicy{SnoozeUntil: ptr(now.Add(5 * time.Hour)), Window: window}, ptr(now.Add(time.Hour)), true, "2026-03-01T07:30:00Z"},
		{"latest wins: project", prikke.AlertPolicy{SnoozeUntil: ptr(now.Add(time.Minute))}, ptr(now.Add(time.Hour)), true, "2026-03-01T03:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			muted, until := Muted(tt.p, tt.project, now)
			if muted != tt.muted {
				t.Fatalf("muted = %v, want %v", muted, tt.muted)
			}
			if tt.until == "" {
				if !until.IsZero() {
					t.Errorf("until = %v, want zero", until)
				}
			} else if !until.Equal(at(t, tt.until)) {
				t.Errorf("until = %v, want %s", until, tt.until)
			}
		})
	}
}

func TestValidateWindow(t *testing.T) {
	tests := []struct {
		name string
		w    prikke.Window
		want map[string]string // field → substring of its message
	}{
		{"zero", prikke.Window{}, nil},
		{"valid", prikke.Window{Cron: "0 2 * * 0", TimeZone: "Europe/Oslo", Duration: time.Hour}, nil},
		{"empty zone is UTC", prikke.Window{Cron: "0 2 * * 0", Duration: time.Minute}, nil},
		{"longest", prikke.Window{Cron: "0 2 * * 0", Duration: 7 * 24 * time.Hour}, nil},
		{"duration without cron", prikke.Window{Duration: time.Hour}, map[string]string{"window.cron": "is required"}},
		{"bad cron", prikke.Window{Cron: "0 2 * *", Duration: time.Hour}, map[string]string{"window.cron": "5 fields"}},
		{"bad zone", prikke.Window{Cron: "0 2 * * 0", TimeZone: "Europe/Olso", Duration: time.Hour}, map[string]string{"window.timezone": "unknown time zone"}},
		{"no duration", prikke.Window{Cron: "0 2 * * 0"}, map[string]string{"window.duration": "between 1m and 7 days"}},
		{"too short", prikke.Window{Cron: "0 2 * * 0", Duration: 59 * time.Second}, map[string]string{"window.duration": "between 1m and 7 days"}},
		{"too long", prikke.Window{Cron: "0 2 * * 0", Duration: 7*24*time.Hour + time.Second}, map[string]string{"window.duration": "between 1m and 7 days"}},
		{"everything wrong", prikke.Window{Cron: "x", TimeZone: "Local", Duration: -1}, map[string]string{"window.cron": "", "window.timezone": "not allowed", "window.duration": "between"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v prikke.Validation
			ValidateWindow(&v, "window", tt.w)
			checkFields(t, v.Err(), tt.want)
		})
	}
}

// checkFields checks that err names exactly the fields of want, each with
// a message containing want[field].
func checkFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	fields := prikke.ErrorFields(err)
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
		return
	}
	if prikke.ErrorCode(err) != prikke.EINVALID {
		t.Errorf("code = %q, want %q", prikke.ErrorCode(err), prikke.EINVALID)
	}
	got := map[string]string{}
	for _, f := range fields {
		got[f.Field] = f.Message
	}
	for f, sub := range want {
		msg, ok := got[f]
		if !ok {
			t.Errorf("no error for %s in %v", f, err)
		} else if !strings.Contains(msg, sub) {
			t.Errorf("%s: %q does not contain %q", f, msg, sub)
		}
	}
	for f, msg := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("unexpected error %s: %s", f, msg)
		}
	}
}
