package mail

import (
	"strings"
	"testing"
	"time"
)

// TestMonitorAlertContent renders each monitor event: its subject, the
// sentences it must carry (the last ping for a missing one, how long it
// was down when it is up again, the note that Prikke itself was down only
// when it was).
func TestMonitorAlertContent(t *testing.T) {
	d := fixtures("backup")[KindMonitorAlert].(MonitorAlert)
	d.Detail, d.PrikkeDown = "expected by 14:00", false
	tests := []struct {
		name    string
		data    MonitorAlert
		subject string
		has     []string
		hasNot  []string
	}{
		{name: "down", data: d, subject: "[prikke] backup is down",
			has:    []string{"No ping from ", "since Tue 3 Nov 2026 13:05 CET", "expected by 14:00", "when the monitor is up"},
			hasNot: []string{"lost on our side", "Down for"}},
		{name: "down while prikke was down", data: with(d, func(d *MonitorAlert) { d.PrikkeDown = true }),
			has: []string{"Prikke itself was down when this deadline passed, so the ping may have been lost on our side"}},
		{name: "never pinged", data: with(d, func(d *MonitorAlert) { d.LastPingAt = time.Time{} }), has: []string{"since never"}},
		{name: "still down", data: with(d, func(d *MonitorAlert) { d.Event = MonitorRealert }), subject: "[prikke] backup is still down"},
		{name: "failed", data: with(d, func(d *MonitorAlert) { d.Event, d.Detail = MonitorFailed, "exit status 3\ndisk full" }),
			subject: "[prikke] backup failed", has: []string{"exit status 3", "disk full"}},
		{name: "too long", data: with(d, func(d *MonitorAlert) { d.Event = MonitorTooLong }), subject: "[prikke] backup ran too long",
			has: []string{"ran too long"}},
		{name: "up", data: with(d, func(d *MonitorAlert) { d.Event, d.DownFor, d.Detail = MonitorUp, 125*time.Minute, "" }),
			subject: "[prikke] backup is up again", has: []string{"after being down for 2 h 5 min"}, hasNot: []string{"when the monitor is up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, text, html, err := Render(KindMonitorAlert, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if tt.subject != "" && subject != tt.subject {
				t.Errorf("subject = %q, want %q", subject, tt.subject)
			}
			for _, s := range tt.has {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q:\n%s", s, text)
				}
				if !strings.Contains(html, s) {
					t.Errorf("html lacks %q", s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(text, s) || strings.Contains(html, s) {
					t.Errorf("mail has %q:\n%s", s, text)
				}
			}
		})
	}
	if _, _, _, err := Render(KindMonitorAlert, with(d, func(d *MonitorAlert) { d.Event = "exploded" })); err == nil {
		t.Error("an unknown event rendered")
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "", 45 * time.Second: "45 s", 90 * time.Second: "1 min",
		2*time.Hour + 5*time.Minute: "2 h 5 min", 2 * time.Hour: "2 h", 76*time.Hour + 10*time.Minute: "3 d 4 h"} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
