package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestNextDue(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
		cron   string
		zone   string
		after  string
		want   string
	}{
		{"period", 10 * time.Minute, "", "", "2026-03-01T10:00:00Z", "2026-03-01T10:10:00Z"},
		{"period keeps seconds", time.Hour, "", "", "2026-03-01T10:00:30Z", "2026-03-01T11:00:30Z"},
		{"period ignores the zone", 24 * time.Hour, "", "Europe/Oslo", "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"},
		{"cron in UTC", 0, "0 3 * * *", "UTC", "2026-03-01T03:00:00Z", "2026-03-02T03:00:00Z"},
		{"cron, empty zone is UTC", 0, "0 3 * * *", "", "2026-03-01T02:59:00Z", "2026-03-01T03:00:00Z"},
		{"cron strictly after", 0, "*/5 * * * *", "UTC", "2026-03-01T10:05:00Z", "2026-03-01T10:10:00Z"},
		{"cron in Oslo winter", 0, "30 2 * * *", "Europe/Oslo", "2026-03-01T12:00:00Z", "2026-03-02T01:30:00Z"},
		// 02:30 is skipped on 2026-03-29 in Oslo: due at the change, 03:00 CEST.
		{"DST gap: at the change", 0, "30 2 * * *", "Europe/Oslo", "2026-03-28T01:31:00Z", "2026-03-29T01:00:00Z"},
		{"DST gap: the day after", 0, "30 2 * * *", "Europe/Oslo", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
		{"DST gap: hourly skips the missing hour", 0, "30 * * * *", "Europe/Oslo", "2026-03-29T00:31:00Z", "2026-03-29T01:30:00Z"},
		// 02:30 happens twice on 2026-10-25 in Oslo: a daily time is due
		// the first time only.
		{"DST fold: first 02:30", 0, "30 2 * * *", "Europe/Oslo", "2026-10-24T00:31:00Z", "2026-10-25T00:30:00Z"},
		{"DST fold: not the second", 0, "30 2 * * *", "Europe/Oslo", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		{"DST fold: hourly is due both times", 0, "30 * * * *", "Europe/Oslo", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &prikke.Monitor{Period: tt.period, Cron: tt.cron, TimeZone: tt.zone}
			got, err := NextDue(m, at(t, tt.after))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(at(t, tt.want)) || got.Location() != time.UTC {
				t.Errorf("NextDue = %v, want %s (UTC)", got, tt.want)
			}
		})
	}
	for _, m := range []*prikke.Monitor{{}, {Cron: "nope"}, {Cron: "* * * * *", TimeZone: "Mars/Base"}} {
		if _, err := NextDue(m, base); err == nil {
			t.Errorf("NextDue(%+v) gave no error", m)
		}
	}
}

// daily returns a cron monitor: "30 2 * * *" in Oslo, 10 minutes' grace.
func daily(expr string) *prikke.Monitor {
	m := every(0, 10*time.Minute)
	m.Cron, m.TimeZone = expr, "Europe/Oslo"
	return m
}

func TestCronMonitorAcrossDST(t *testing.T) {
	tests := []struct {
		name  string
		m     *prikke.Monitor
		start string
		acts  []act
	}{
		{"gap: due at the change, down at its grace", daily("30 2 * * *"), "2026-03-28T01:30:00Z", []act{
			{at: 0, do: "success", want: prikke.MonitorUp},
			// 2026-03-29 02:30 does not exist: due 03:00 CEST = 01:00Z.
			{at: 23*hr + 40*min, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if want := "expected by 2026-03-29 03:00:00 CEST (grace 10m)"; !strings.Contains(f[0].Detail, want) {
					t.Errorf("detail %q, want %q", f[0].Detail, want)
				}
			}},
			// The late run comes: due again the next day at 02:30 CEST.
			{at: 23*hr + 45*min, do: "success", want: prikke.MonitorUp, events: up},
			{at: 47*hr + 10*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"gap: a run at the change is on time", daily("30 2 * * *"), "2026-03-28T01:30:00Z", []act{
			{at: 0, do: "success"},
			{at: 23*hr + 31*min, do: "success", want: prikke.MonitorUp},
			{at: 47*hr + 10*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"fold: due the first 02:30 only", daily("30 2 * * *"), "2026-10-24T00:30:00Z", []act{
			{at: 0, do: "success"},
			{at: 24*hr + 1*min, do: "success", want: prikke.MonitorUp},
			// Not due at the second 02:30 (01:30Z): the next is 02:30 CET
			// on the 26th, 01:30Z.
			{at: 49*hr + 10*min, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if want := "expected by 2026-10-26 02:30:00 CET"; !strings.Contains(f[0].Detail, want) {
					t.Errorf("detail %q, want %q", f[0].Detail, want)
				}
			}},
		}},
		{"fold: missing the first 02:30 is down", daily("30 2 * * *"), "2026-10-24T00:30:00Z", []act{
			{at: 0, do: "success"},
			{at: 24*hr + 10*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"fold: an hourly monitor is due at both 02:30s", daily("30 * * * *"), "2026-10-25T00:00:00Z", []act{
			{at: 31 * min, do: "success"},
			{at: 91 * min, do: "success"},
			{at: 2*hr + 40*min, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if want := "expected by 2026-10-25 03:30:00 CET"; !strings.Contains(f[0].Detail, want) {
					t.Errorf("detail %q, want %q", f[0].Detail, want)
				}
			}},
		}},
		{"fold: missed hourly pings advance one fire at a time", func() *prikke.Monitor {
			m := daily("30 * * * *")
			m.FailThreshold = 3
			return m
		}(), "2026-10-25T00:00:00Z", []act{
			{at: 0, do: "success"},
			{at: 40 * min, do: "deadline", check: failures(1)},  // 02:30 CEST
			{at: 100 * min, do: "deadline", check: failures(2)}, // 02:30 CET
			{at: 160 * min, do: "deadline", events: down},       // 03:30 CET
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runFrom(t, at(t, tt.start), tt.m, Outage{}, tt.acts)
		})
	}
}

// TestGrace: past due the monitor is late (shown, not stored, no flip);
// past grace it is down.
func TestGrace(t *testing.T) {
	m := every(time.Hour, 10*time.Minute)
	OnPing(m, &prikke.Ping{Kind: prikke.PingSuccess, CreatedAt: base})
	for _, c := range []struct {
		at   time.Duration
		want prikke.MonitorStatus
	}{{0, prikke.MonitorUp}, {hr, prikke.MonitorUp}, {hr + time.Second, prikke.MonitorLate}, {hr + 10*min - 1, prikke.MonitorLate}} {
		if got := m.StatusAt(base.Add(c.at)); got != c.want {
			t.Errorf("StatusAt(+%v) = %s, want %s", c.at, got, c.want)
		}
	}
	if m.DeadlineAt == nil || !m.DeadlineAt.Equal(base.Add(hr+10*min)) {
		t.Fatalf("DeadlineAt = %v", m.DeadlineAt)
	}
	// A deadline step before the deadline changes nothing.
	if flips := OnDeadline(m, base.Add(hr+5*min), Outage{}); len(flips) != 0 || m.Status != prikke.MonitorUp || m.ConsecutiveFailures != 0 {
		t.Fatalf("early step: %v, %+v", flips, m.MonitorState)
	}
	// A running monitor past due is late too.
	OnPing(m, &prikke.Ping{Kind: prikke.PingStart, CreatedAt: base.Add(hr + 6*min)})
	if got := m.StatusAt(base.Add(hr + 7*min)); got != prikke.MonitorLate {
		t.Errorf("running past due: %s", got)
	}
	flips := OnDeadline(m, base.Add(hr+10*min), Outage{})
	if len(flips) != 1 || m.StatusAt(base.Add(hr+10*min)) != prikke.MonitorDown || m.DueAt != nil {
		t.Fatalf("at grace: %v, %+v", flips, m.MonitorState)
	}
}

func TestOutage(t *testing.T) {
	o := Outage{From: base.Add(30 * min), To: base.Add(2 * hr)}
	sentence := "Prikke was not running from 2026-03-01 10:30:00 UTC to 2026-03-01 12:00:00 UTC; the ping may have been lost on our side."
	prikkeDown := func(want bool) func(*testing.T, *prikke.Monitor, []*prikke.MonitorFlip) {
		return func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
			t.Helper()
			for _, f := range f {
				if f.PrikkeDown != want || strings.Contains(f.Detail, sentence) != want {
					t.Errorf("flip %s: PrikkeDown %v, detail %q; want %v", f.Event, f.PrikkeDown, f.Detail, want)
				}
			}
		}
	}
	t.Run("a deadline inside the outage", func(t *testing.T) {
		run(t, every(hr, 5*min), o, []act{
			{at: 0, do: "success"},
			// Evaluated at start, after the outage.
			{at: 2*hr + 10*time.Second, do: "tick", want: prikke.MonitorDown, events: down, check: prikkeDown(true)},
		})
	})
	t.Run("a deadline outside the outage", func(t *testing.T) {
		run(t, every(3*hr, 5*min), o, []act{
			{at: 0, do: "success"},
			{at: 3*hr + 5*min, do: "deadline", events: down, check: prikkeDown(false)},
		})
	})
	t.Run("at the outage's edges", func(t *testing.T) {
		for _, d := range []time.Duration{25 * min, 115 * min} {
			m := every(d, 5*min)
			run(t, m, o, []act{
				{at: 0, do: "success"},
				{at: 2*hr + time.Second, do: "tick", events: down, check: prikkeDown(true)},
			})
		}
	})
	t.Run("too long and realert", func(t *testing.T) {
		m := every(24*hr, 5*min)
		m.MaxRuntime, m.RealertEvery = 10*min, 30*min
		run(t, m, o, []act{
			{at: 25 * min, do: "start"},
			{at: 2*hr + time.Second, do: "tick", events: tooLong, check: prikkeDown(true)},
			{at: 2*hr + 30*min + time.Second, do: "deadline", events: realert, check: prikkeDown(false)},
		})
	})
}
