package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// base is the instant scenario offsets count from (a Sunday, 10:00 UTC).
var base = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// An act is one step of a scenario, at base+at:
//
//	"start", "success", "fail", "log", "0".."255"  a ping (rid optional)
//	"deadline"  checks that DeadlineAt is base+at, then runs OnDeadline there
//	"tick"      runs OnDeadline at base+at whatever DeadlineAt is
//	"none"      checks that DeadlineAt is nil
//	"pause", "resume", "unsnooze", "reconfigure"
//	"snooze"    snoozes until base+until
//
// then checks the status (when want is set) and the events of the flips
// written (always: nil means none).
type act struct {
	at     time.Duration
	do     string
	rid    string
	body   string
	until  time.Duration
	edit   func(m *prikke.Monitor) // before "reconfigure"
	want   prikke.MonitorStatus
	events []prikke.NotificationEvent
	check  func(t *testing.T, m *prikke.Monitor, flips []*prikke.MonitorFlip)
}

// run plays acts on m, from base, and returns every flip written.
func run(t *testing.T, m *prikke.Monitor, o Outage, acts []act) []*prikke.MonitorFlip {
	t.Helper()
	return runFrom(t, base, m, o, acts)
}

// runFrom plays acts on m with offsets from start.
func runFrom(t *testing.T, start time.Time, m *prikke.Monitor, o Outage, acts []act) []*prikke.MonitorFlip {
	t.Helper()
	var all []*prikke.MonitorFlip
	for i, a := range acts {
		now := start.Add(a.at)
		var flips []*prikke.MonitorFlip
		switch a.do {
		case "deadline", "tick":
			if a.do == "deadline" {
				if m.DeadlineAt == nil || !m.DeadlineAt.Equal(now) {
					t.Fatalf("act %d: DeadlineAt = %v, want %v", i, fmtPtr(m.DeadlineAt), offset(now))
				}
			}
			flips = OnDeadline(m, now, o)
			if m.DeadlineAt != nil && !m.DeadlineAt.After(now) {
				t.Fatalf("act %d: after OnDeadline at %v, DeadlineAt = %v is not after it", i, offset(now), fmtPtr(m.DeadlineAt))
			}
		case "none":
			if m.DeadlineAt != nil {
				t.Fatalf("act %d: DeadlineAt = %v, want nil", i, fmtPtr(m.DeadlineAt))
			}
			continue
		case "pause":
			flips = Pause(m, now)
		case "resume":
			flips = Resume(m, now)
		case "snooze":
			flips = Snooze(m, ptr(start.Add(a.until)), now)
		case "unsnooze":
			flips = Snooze(m, nil, now)
		case "reconfigure":
			a.edit(m)
			flips = Reconfigure(m, now)
		default:
			p := &prikke.Ping{ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID, RID: a.rid, Body: []byte(a.body), BodySize: len(a.body), CreatedAt: now}
			switch a.do {
			case "start", "success", "fail", "log":
				p.Kind = prikke.PingKind(a.do)
			default:
				n, err := strconv.Atoi(a.do)
				if err != nil {
					t.Fatalf("act %d: unknown act %q", i, a.do)
				}
				p.ExitStatus = &n
				p.Kind = prikke.PingSuccess
				if n != 0 {
					p.Kind = prikke.PingFail
				}
			}
			flips = OnPing(m, p)
			for _, f := range flips {
				// A held alert released at the ping is not the ping's.
				if (f.PingID == nil) != (f.From == prikke.MonitorDown && f.Event == prikke.EventMonitorDown) || f.PingID != nil && *f.PingID != p.ID {
					t.Errorf("act %d: flip %s has PingID %v, the ping is %v", i, f.Event, f.PingID, p.ID)
				}
			}
		}
		if a.want != "" && m.Status != a.want {
			t.Fatalf("act %d (%s at %v): status %s, want %s", i, a.do, a.at, m.Status, a.want)
		}
		var events []prikke.NotificationEvent
		for _, f := range flips {
			events = append(events, f.Event)
			if f.MonitorID != m.ID || f.ProjectID != m.ProjectID || !f.CreatedAt.Equal(now) || f.ID == (prikke.ID{}) {
				t.Errorf("act %d: flip %+v: wrong IDs or time", i, f)
			}
		}
		if !slices.Equal(events, a.events) {
			t.Fatalf("act %d (%s at %v): flips %v, want %v (details: %s)", i, a.do, a.at, events, a.events, details(flips))
		}
		if a.check != nil {
			a.check(t, m, flips)
		}
		checkInvariants(t, m)
		all = append(all, flips...)
	}
	return all
}

// checkInvariants holds after every step.
func checkInvariants(t *testing.T, m *prikke.Monitor) {
	t.Helper()
	if m.Status == prikke.MonitorLate {
		t.Fatal("status late is stored")
	}
	if len(m.OpenRuns) > prikke.MaxOpenRuns {
		t.Fatalf("%d open runs", len(m.OpenRuns))
	}
	if m.ConsecutiveFailures > 0 && m.ConsecutiveSuccesses > 0 {
		t.Fatalf("failures %d and successes %d", m.ConsecutiveFailures, m.ConsecutiveSuccesses)
	}
	if m.Status == prikke.MonitorPaused && m.DeadlineAt != nil {
		t.Fatal("a paused monitor has a deadline")
	}
}

func details(flips []*prikke.MonitorFlip) string {
	var s []string
	for _, f := range flips {
		s = append(s, fmt.Sprintf("%s %s→%s %q", f.Event, f.From, f.To, f.Detail))
	}
	return strings.Join(s, "; ")
}

func offset(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func fmtPtr(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return offset(*t)
}

// every returns a period monitor: every period, with grace.
func every(period, grace time.Duration) *prikke.Monitor {
	return &prikke.Monitor{
		ID: prikke.NewID(), ProjectID: prikke.NewID(), Name: "backup", Slug: "backup",
		Period: period, Grace: grace,
		AlertPolicy:  prikke.AlertPolicy{FailThreshold: 1, RecoveryThreshold: 1},
		MonitorState: prikke.MonitorState{Status: prikke.MonitorNew},
	}
}

const (
	min = time.Minute
	hr  = time.Hour
)

var (
	down     = []prikke.NotificationEvent{prikke.EventMonitorDown}
	up       = []prikke.NotificationEvent{prikke.EventMonitorUp}
	failed   = []prikke.NotificationEvent{prikke.EventMonitorFailed}
	tooLong  = []prikke.NotificationEvent{prikke.EventMonitorTooLong}
	realert  = []prikke.NotificationEvent{prikke.EventMonitorRealert}
	upDown   = []prikke.NotificationEvent{prikke.EventMonitorUp, prikke.EventMonitorDown}
	noEvents []prikke.NotificationEvent
)

func TestTransitions(t *testing.T) {
	tests := []struct {
		name string
		m    func() *prikke.Monitor
		acts []act
	}{
		{"new has no deadline until the first ping", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{do: "none"},
			{at: 0, do: "log", want: prikke.MonitorNew},
			{do: "none"},
			{at: 0, do: "success", want: prikke.MonitorUp, events: noEvents},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{do: "none"},
			{at: 2 * hr, do: "success", want: prikke.MonitorUp, events: up},
			{at: 3*hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"a success inside grace keeps it up", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "0", want: prikke.MonitorUp},
			{at: hr + 4*min, do: "success", want: prikke.MonitorUp},
			{at: 2*hr + 9*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"fail ping and exit status", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success", want: prikke.MonitorUp},
			{at: 10 * min, do: "fail", want: prikke.MonitorDown, events: failed},
			{at: 20 * min, do: "3", want: prikke.MonitorDown},
			{at: 30 * min, do: "0", want: prikke.MonitorUp, events: up},
			{at: 40 * min, do: "2", want: prikke.MonitorDown, events: failed, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if !strings.Contains(f[0].Detail, "exit status 2") || f[0].From != prikke.MonitorUp || f[0].To != prikke.MonitorDown {
					t.Errorf("flip %+v", f[0])
				}
			}},
			// Down by a failure: no miss deadlines; the failure's DueAt is
			// kept for the recovery.
			{do: "none"},
		}},
		{"first ping a failure", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "fail", want: prikke.MonitorDown, events: failed},
		}},
		{"start and end: running, duration", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "start", want: prikke.MonitorRunning},
			{at: 2 * min, do: "success", want: prikke.MonitorUp, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.LastDuration == nil || *m.LastDuration != 2*min {
					t.Errorf("LastDuration %v", m.LastDuration)
				}
			}},
			{at: hr, do: "start", want: prikke.MonitorRunning},
			// Running past the due time and grace is down (Healthchecks).
			{at: hr + 7*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{at: hr + 8*min, do: "success", want: prikke.MonitorUp, events: up},
		}},
		{"a first start that never ends is missed at its due time", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "start", want: prikke.MonitorRunning},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{do: "none"},
			{at: 2 * hr, do: "resume", want: prikke.MonitorNew},
			{do: "none"},
			{at: 3 * hr, do: "start", want: prikke.MonitorRunning},
			{at: 4*hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"max_runtime: too long at start+max", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.MaxRuntime = 10 * min
			return m
		}, []act{
			{at: 0, do: "start", want: prikke.MonitorRunning},
			{at: 10 * min, do: "deadline", want: prikke.MonitorDown, events: tooLong, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if len(m.OpenRuns) != 0 || !strings.Contains(f[0].Detail, "10m") || f[0].From != prikke.MonitorRunning {
					t.Errorf("runs %v, flip %+v", m.OpenRuns, f[0])
				}
			}},
			{do: "none"},
			// The late end pairs with nothing: no duration, but a success.
			{at: 12 * min, do: "success", want: prikke.MonitorUp, events: up, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.LastDuration != nil {
					t.Errorf("LastDuration %v for an unpaired end", *m.LastDuration)
				}
			}},
		}},
		{"max_runtime: overlapping runs timed separately", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.MaxRuntime = 10 * min
			m.FailThreshold = 2
			return m
		}, []act{
			{at: 0, do: "start", rid: "a", want: prikke.MonitorRunning},
			{at: 3 * min, do: "start", rid: "b", want: prikke.MonitorRunning},
			{at: 6 * min, do: "start", rid: "c"},
			{at: 7 * min, do: "success", rid: "b", want: prikke.MonitorRunning},
			// a times out: one failure of two.
			{at: 10 * min, do: "deadline", want: prikke.MonitorRunning, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if len(m.OpenRuns) != 1 || m.OpenRuns[0].RID != "c" || m.ConsecutiveFailures != 1 {
					t.Errorf("runs %v, failures %d", m.OpenRuns, m.ConsecutiveFailures)
				}
			}},
			// c times out: the second failure: down.
			{at: 16 * min, do: "deadline", want: prikke.MonitorDown, events: tooLong},
		}},
		{"min_runtime: too soon is a failure", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.MinRuntime = time.Minute
			return m
		}, []act{
			{at: 0, do: "start"},
			{at: 30 * time.Second, do: "success", want: prikke.MonitorDown, events: failed, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if want := "finished in 30s, sooner than the minimum run time 1m"; !strings.Contains(f[0].Detail, want) {
					t.Errorf("detail %q, want %q", f[0].Detail, want)
				}
			}},
			{at: 10 * min, do: "start"},
			{at: 12 * min, do: "success", want: prikke.MonitorUp, events: up},
			// An end without a start has no duration: not too soon.
			{at: 13 * min, do: "success", want: prikke.MonitorUp},
		}},
		{"fail_threshold 3: two misses no flip, the third flips", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.FailThreshold = 3
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorUp, check: failures(1)},
			{at: 2*hr + 5*min, do: "deadline", want: prikke.MonitorUp, check: failures(2)},
			{at: 3*hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down, check: failures(3)},
			{do: "none"},
		}},
		{"fail_threshold 3: a success resets the count", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.FailThreshold = 3
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: 10 * min, do: "fail", want: prikke.MonitorUp, check: failures(1)},
			{at: 20 * min, do: "fail", want: prikke.MonitorUp, check: failures(2)},
			{at: 30 * min, do: "success", want: prikke.MonitorUp, check: failures(0)},
			{at: 40 * min, do: "fail", check: failures(1)},
			{at: 50 * min, do: "fail", check: failures(2)},
			{at: 60 * min, do: "fail", want: prikke.MonitorDown, events: failed},
		}},
		{"fail_threshold 3: a long silence counts at most three misses at once", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.FailThreshold = 3
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: 10 * hr, do: "tick", want: prikke.MonitorDown, events: down, check: failures(3)},
		}},
		{"recovery_threshold 2", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.RecoveryThreshold = 2
			return m
		}, []act{
			{at: 0, do: "fail", want: prikke.MonitorDown, events: failed},
			{at: 10 * min, do: "success", want: prikke.MonitorDown},
			{at: 20 * min, do: "fail", want: prikke.MonitorDown},
			{at: 30 * min, do: "success", want: prikke.MonitorDown},
			{at: 40 * min, do: "success", want: prikke.MonitorUp, events: up},
		}},
		{"rid pairing with overlapping runs", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "start", rid: "a"},
			{at: 1 * min, do: "start", rid: "b"},
			{at: 2 * min, do: "start"},
			{at: 3 * min, do: "success", rid: "a", want: prikke.MonitorRunning, check: lastDuration(3 * min)},
			{at: 5 * min, do: "success", want: prikke.MonitorRunning, check: lastDuration(3 * min)},
			{at: 11 * min, do: "fail", rid: "b", want: prikke.MonitorDown, events: failed, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				lastDuration(10*min)(t, m, f)
				if len(m.OpenRuns) != 0 || !strings.Contains(f[0].Detail, "It took 10m.") {
					t.Errorf("runs %v, detail %q", m.OpenRuns, f[0].Detail)
				}
			}},
			// An unknown rid pairs with nothing.
			{at: 12 * min, do: "start", rid: "c"},
			{at: 13 * min, do: "success", rid: "d", want: prikke.MonitorRunning, events: up, check: lastDuration(10 * min)},
			// A start with an open rid restarts that run.
			{at: 14 * min, do: "start", rid: "c", check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if len(m.OpenRuns) != 1 || m.OpenRuns[0].StartedAt != base.Add(14*min) {
					t.Errorf("runs %v", m.OpenRuns)
				}
			}},
		}},
		{"at most MaxOpenRuns, the oldest dropped", func() *prikke.Monitor { return every(hr, 5*min) }, func() []act {
			var acts []act
			for i := range prikke.MaxOpenRuns + 3 {
				acts = append(acts, act{at: time.Duration(i) * time.Second, do: "start", rid: strconv.Itoa(i)})
			}
			return append(acts, act{at: hr, do: "success", rid: "3", check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if len(m.OpenRuns) != prikke.MaxOpenRuns-1 || m.OpenRuns[0].RID != "4" {
					t.Errorf("%d runs, oldest %q", len(m.OpenRuns), m.OpenRuns[0].RID)
				}
			}})
		}()},
		{"manual_resume: pings recorded, stays down, resume gives new", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.ManualResume = true
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{at: 2 * hr, do: "success", want: prikke.MonitorDown, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.LastPingAt == nil || !m.LastPingAt.Equal(base.Add(2*hr)) || m.LastPingKind != prikke.PingSuccess {
					t.Errorf("last ping %v %s", m.LastPingAt, m.LastPingKind)
				}
			}},
			{at: 2*hr + 1*min, do: "start", want: prikke.MonitorDown},
			{do: "none"},
			{at: 3 * hr, do: "resume", want: prikke.MonitorNew, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.DueAt != nil || m.ConsecutiveSuccesses != 0 || len(m.OpenRuns) != 0 || m.AlertedAt != nil {
					t.Errorf("state after resume %+v", m.MonitorState)
				}
			}},
			{do: "none"},
			{at: 3*hr + min, do: "success", want: prikke.MonitorUp},
			{at: 4*hr + 6*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"pause and resume", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "start"},
			{at: min, do: "pause", want: prikke.MonitorPaused},
			{do: "none"},
			{at: 2 * hr, do: "tick", want: prikke.MonitorPaused},
			{at: 3 * hr, do: "resume", want: prikke.MonitorNew},
			{do: "none"},
			{at: 3 * hr, do: "success", want: prikke.MonitorUp},
			{at: 4*hr + 5*min, do: "deadline", events: down},
		}},
		{"a ping resumes a paused monitor", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "fail", events: failed},
			{at: min, do: "pause", want: prikke.MonitorPaused},
			{at: 2 * min, do: "log", want: prikke.MonitorPaused},
			{at: 3 * min, do: "success", want: prikke.MonitorUp, events: noEvents},
			{at: hr + 8*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"manual_resume: a ping does not resume a paused monitor", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.ManualResume = true
			return m
		}, []act{
			{at: 0, do: "pause"},
			{at: min, do: "success", want: prikke.MonitorPaused, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.LastPingAt == nil || m.DueAt != nil {
					t.Errorf("last ping %v, due %v", m.LastPingAt, m.DueAt)
				}
			}},
			{do: "none"},
		}},
		{"a suspension's pause holds against pings", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.PauseReason = prikke.PauseForSuspension
			return m
		}, []act{
			{at: 0, do: "pause", want: prikke.MonitorPaused},
			{at: min, do: "fail", want: prikke.MonitorPaused, events: noEvents},
			{at: 2 * min, do: "success", want: prikke.MonitorPaused, events: noEvents},
			{at: 2 * hr, do: "tick", want: prikke.MonitorPaused},
		}},
		{"snooze: down while snoozed is held, sent at the end", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success"},
			{at: min, do: "snooze", until: 2 * hr},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if !f[0].Muted || !m.MutedDown || m.AlertedAt != nil {
					t.Errorf("flip muted %v, MutedDown %v, AlertedAt %v", f[0].Muted, m.MutedDown, m.AlertedAt)
				}
			}},
			{at: 2 * hr, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if f[0].Muted || m.MutedDown || m.AlertedAt == nil || f[0].From != prikke.MonitorDown {
					t.Errorf("flip %+v, state %+v", f[0], m.MonitorState)
				}
			}},
			{do: "none"},
		}},
		{"snooze: up before the end drops the held alert", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success"},
			{at: min, do: "snooze", until: 2 * hr},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{at: hr + 30*min, do: "success", want: prikke.MonitorUp, events: up, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if !f[0].Muted || m.MutedDown {
					t.Errorf("flip muted %v, MutedDown %v", f[0].Muted, m.MutedDown)
				}
			}},
			{at: 2*hr + 35*min, do: "deadline", want: prikke.MonitorDown, events: down},
		}},
		{"snooze after a sent down alert: the recovery is still sent", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down, check: notMuted},
			{at: hr + 10*min, do: "snooze", until: 5 * hr},
			{at: hr + 30*min, do: "success", want: prikke.MonitorUp, events: up, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if f[0].Muted {
					t.Errorf("the recovery of a sent alert is muted: %+v", f[0])
				}
			}},
		}},
		{"a ping after the mute ended sends the held alert first", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success"},
			{at: min, do: "snooze", until: 2 * hr},
			{at: hr + 5*min, do: "deadline", events: down},
			{at: 2*hr + time.Second, do: "log", want: prikke.MonitorDown, events: down, check: notMuted},
			{at: 2*hr + 2*time.Second, do: "fail", want: prikke.MonitorDown},
			{do: "none"},
		}},
		{"unsnooze sends a held alert at once", func() *prikke.Monitor { return every(hr, 5*min) }, []act{
			{at: 0, do: "success"},
			{at: min, do: "snooze", until: 5 * hr},
			{at: hr + 5*min, do: "deadline", events: down},
			{at: hr + 10*min, do: "unsnooze", want: prikke.MonitorDown, events: down, check: notMuted},
			{do: "none"},
		}},
		{"window: down inside is held, sent when it closes", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.Window = prikke.Window{Cron: "0 11 * * *", TimeZone: "UTC", Duration: 2 * hr} // 11:00-13:00
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if !f[0].Muted || !m.MutedDown {
					t.Errorf("flip muted %v, MutedDown %v", f[0].Muted, m.MutedDown)
				}
			}},
			{at: 3 * hr, do: "deadline", want: prikke.MonitorDown, events: down, check: notMuted},
		}},
		{"project snooze", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.ProjectSnoozeUntil = ptr(base.Add(90 * min))
			return m
		}, []act{
			{at: 0, do: "fail", want: prikke.MonitorDown, events: failed, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if !f[0].Muted || !m.MutedDown {
					t.Errorf("flip muted %v, MutedDown %v", f[0].Muted, m.MutedDown)
				}
			}},
			{at: 90 * min, do: "deadline", want: prikke.MonitorDown, events: down, check: notMuted},
		}},
		{"realert_every", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.RealertEvery = 30 * min
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", want: prikke.MonitorDown, events: down},
			{at: hr + 35*min, do: "deadline", want: prikke.MonitorDown, events: realert},
			{at: 2*hr + 5*min, do: "deadline", events: realert, check: func(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
				if f[0].From != prikke.MonitorDown || f[0].To != prikke.MonitorDown {
					t.Errorf("flip %+v", f[0])
				}
			}},
			// Snoozed: the re-alert waits for the end of the snooze.
			{at: 2*hr + 10*min, do: "snooze", until: 4 * hr},
			{at: 4 * hr, do: "deadline", events: realert},
			{at: 4*hr + 10*min, do: "success", want: prikke.MonitorUp, events: up},
			{at: 5*hr + 15*min, do: "deadline", events: down},
		}},
		{"realert_every: down again while muted sends one alert at the end", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.RealertEvery = 10 * min
			return m
		}, []act{
			{at: 0, do: "fail", events: failed},
			{at: min, do: "success", events: up, check: func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
				if m.AlertedAt != nil {
					t.Errorf("AlertedAt %v after up", *m.AlertedAt)
				}
			}},
			{at: 2 * min, do: "snooze", until: hr},
			{at: 3 * min, do: "fail", events: failed},
			{at: hr, do: "deadline", events: down, check: notMuted},
			{at: hr + 10*min, do: "deadline", events: realert},
		}},
		{"reconfigure: a shorter period is due from the last ping", func() *prikke.Monitor { return every(24*hr, hr) }, []act{
			{at: 0, do: "success"},
			{at: 30 * min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Period, m.Grace = hr, 10*min }},
			{at: hr + 10*min, do: "deadline", events: down},
		}},
		{"reconfigure: after a miss, no miss counted twice", func() *prikke.Monitor {
			m := every(hr, 10*min)
			m.FailThreshold = 3
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 10*min, do: "deadline", check: failures(1)},
			{at: 2*hr + 10*min, do: "deadline", check: failures(2)},
			// Due at 3h; every 30m from the last ping, the dues before 3h
			// whose grace is over were counted: next due 2h30.
			{at: 2*hr + 15*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Period = 30 * min }},
			{at: 2*hr + 40*min, do: "deadline", events: down, check: failures(3)},
		}},
		{"reconfigure: a longer period after a miss", func() *prikke.Monitor {
			m := every(hr, 10*min)
			m.FailThreshold = 2
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 10*min, do: "deadline", check: failures(1)},
			{at: hr + 20*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Period = 3 * hr }},
			{at: 3*hr + 10*min, do: "deadline", events: down},
		}},
		{"reconfigure: an edit that keeps the schedule keeps the due time", func() *prikke.Monitor {
			m := every(hr, 10*min)
			m.FailThreshold = 5
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: 10 * min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Name = "x" }},
			{at: hr + 10*min, do: "deadline", check: failures(1)},
			{at: 2*hr + 10*min, do: "deadline", check: failures(2)},
			{at: 2*hr + 20*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Name = "y" }},
			{at: 2*hr + 50*min, do: "start"},
			{at: 2*hr + 55*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Name = "z" }},
			{at: 3*hr + 10*min, do: "deadline", check: failures(3)},
		}},
		{"reconfigure: a cron edit keeps the due time", func() *prikke.Monitor {
			m := daily("0 * * * *")
			m.FailThreshold = 5
			return m
		}, []act{
			{at: 5 * min, do: "success"},
			{at: 30 * min, do: "start"},
			{at: 40 * min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Grace = 11 * min }},
			{at: hr + 11*min, do: "deadline", check: failures(1)},
			{at: hr + 12*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Description = "d" }},
			{at: 2*hr + 11*min, do: "deadline", check: failures(2)},
		}},
		{"reconfigure: far behind", func() *prikke.Monitor {
			m := every(24*hr, 10*min)
			m.FailThreshold = 5
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: 24*hr + 10*min, do: "deadline", check: failures(1)},
			{at: 40 * hr, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Period = time.Minute }},
			// The first due time whose grace is not over: 39h51.
			{at: 40*hr + 1*min, do: "deadline", check: failures(2)},
		}},
		{"reconfigure: max_runtime added times the open runs", func() *prikke.Monitor { return every(hr, 10*min) }, []act{
			{at: 0, do: "start"},
			{at: min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.MaxRuntime = 5 * min }},
			{at: 5 * min, do: "deadline", events: tooLong},
		}},
		{"reconfigure: a window removed sends the held alert", func() *prikke.Monitor {
			m := every(hr, 5*min)
			m.Window = prikke.Window{Cron: "0 11 * * *", Duration: 2 * hr}
			return m
		}, []act{
			{at: 0, do: "success"},
			{at: hr + 5*min, do: "deadline", events: down},
			{at: hr + 10*min, do: "reconfigure", edit: func(m *prikke.Monitor) { m.Window = prikke.Window{} }, events: down, check: notMuted},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, tt.m(), Outage{}, tt.acts)
		})
	}
}

func failures(n int) func(*testing.T, *prikke.Monitor, []*prikke.MonitorFlip) {
	return func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
		t.Helper()
		if m.ConsecutiveFailures != n {
			t.Errorf("ConsecutiveFailures = %d, want %d", m.ConsecutiveFailures, n)
		}
	}
}

func lastDuration(d time.Duration) func(*testing.T, *prikke.Monitor, []*prikke.MonitorFlip) {
	return func(t *testing.T, m *prikke.Monitor, _ []*prikke.MonitorFlip) {
		t.Helper()
		if m.LastDuration == nil || *m.LastDuration != d {
			t.Errorf("LastDuration = %v, want %v", m.LastDuration, d)
		}
	}
}

func notMuted(t *testing.T, m *prikke.Monitor, f []*prikke.MonitorFlip) {
	t.Helper()
	if f[0].Muted || m.MutedDown || m.AlertedAt == nil || m.DeadlineAt != nil && m.RealertEvery == 0 {
		t.Errorf("flip %+v, state %+v", f[0], m.MonitorState)
	}
}
