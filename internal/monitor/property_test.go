package monitor

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

// TestRandomSequences plays random pings, deadlines, pauses, snoozes and
// edits on random monitors, with the scheduler acting at every deadline
// as it comes, and checks the invariants after every step:
//
//   - after OnDeadline, DeadlineAt is nil or after the step's time;
//   - the stored status is never late; a paused monitor has no deadline;
//   - at most MaxOpenRuns open runs;
//   - ConsecutiveFailures and ConsecutiveSuccesses are never both > 0;
//   - flips chain: each starts from the status the last one left, the
//     last ends at the monitor's status, and a paused monitor writes none;
//   - a down monitor alerted (not muted) has AlertedAt.
func TestRandomSequences(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 13))
		m := randomMonitor(r)
		now := base
		var flips int
		for range 200 {
			next := now.Add(time.Duration(r.Int64N(int64(3 * m.schedule()))))
			// The scheduler acts on each deadline that comes first.
			for n := 0; m.DeadlineAt != nil && !m.DeadlineAt.After(next); n++ {
				if n > 1000 {
					t.Fatalf("seed %d: deadlines do not advance: %v", seed, *m.DeadlineAt)
				}
				now = *m.DeadlineAt
				var o Outage
				if r.IntN(10) == 0 { // evaluated late, after an outage
					o = Outage{From: now.Add(-time.Minute), To: now.Add(time.Minute)}
					now = o.To
				}
				before := m.Status
				f := OnDeadline(m.Monitor, now, o)
				flips += len(f)
				checkStep(t, seed, "deadline", m.Monitor, before, f)
				if m.DeadlineAt != nil && !m.DeadlineAt.After(now) {
					t.Fatalf("seed %d: DeadlineAt %v not after %v", seed, *m.DeadlineAt, now)
				}
				for _, f := range f {
					if f.PrikkeDown != (o != Outage{}) && f.Event != prikke.EventMonitorDown {
						// A deadline inside the outage marks its flips; a
						// miss counted from an earlier deadline may not.
						t.Errorf("seed %d: flip %s PrikkeDown %v in outage %v", seed, f.Event, f.PrikkeDown, o)
					}
				}
			}
			now = next
			before := m.Status
			var f []*prikke.MonitorFlip
			what := "ping"
			switch k := r.IntN(100); {
			case k < 3:
				what, f = "pause", Pause(m.Monitor, now)
			case k < 8:
				what, f = "resume", Resume(m.Monitor, now)
			case k < 11:
				what, f = "snooze", Snooze(m.Monitor, ptr(now.Add(time.Duration(r.Int64N(int64(4*time.Hour))))), now)
			case k < 13:
				what, f = "unsnooze", Snooze(m.Monitor, nil, now)
			case k < 15:
				what = "reconfigure"
				m.MaxRuntime = []time.Duration{0, time.Minute, 10 * time.Minute}[r.IntN(3)]
				m.FailThreshold = 1 + r.IntN(3)
				f = Reconfigure(m.Monitor, now)
			default:
				f = OnPing(m.Monitor, randomPing(r, now))
			}
			flips += len(f)
			checkStep(t, seed, what, m.Monitor, before, f)
		}
		if flips == 0 {
			t.Errorf("seed %d: no flips at all", seed)
		}
	}
}

// randomized is a monitor with its typical gap between pings.
type randomized struct{ *prikke.Monitor }

func (m randomized) schedule() time.Duration {
	if m.Period > 0 {
		return m.Period
	}
	return time.Hour
}

func randomMonitor(r *rand.Rand) randomized {
	m := every([]time.Duration{time.Minute, 10 * time.Minute, time.Hour}[r.IntN(3)], []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}[r.IntN(3)])
	if r.IntN(3) == 0 {
		m.Period, m.Cron, m.TimeZone = 0, []string{"0 * * * *", "30 2 * * *", "*/20 * * * *"}[r.IntN(3)], "Europe/Oslo"
	}
	if r.IntN(2) == 0 {
		m.MaxRuntime = []time.Duration{time.Minute, 10 * time.Minute, 2 * time.Hour}[r.IntN(3)]
	}
	if r.IntN(3) == 0 {
		m.MinRuntime = 30 * time.Second
	}
	m.FailThreshold, m.RecoveryThreshold = 1+r.IntN(3), 1+r.IntN(2)
	if r.IntN(2) == 0 {
		m.RealertEvery = []time.Duration{time.Minute, time.Hour}[r.IntN(2)]
	}
	if r.IntN(3) == 0 {
		m.Window = prikke.Window{Cron: []string{"0 * * * *", "0 3 * * *", "*/30 * * * *"}[r.IntN(3)], Duration: []time.Duration{time.Minute, 20 * time.Minute, 3 * time.Hour}[r.IntN(3)]}
	}
	if r.IntN(4) == 0 {
		m.ProjectSnoozeUntil = ptr(base.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))))
	}
	m.ManualResume = r.IntN(5) == 0
	return randomized{m}
}

func randomPing(r *rand.Rand, now time.Time) *prikke.Ping {
	p := &prikke.Ping{ID: prikke.NewID(), CreatedAt: now}
	if r.IntN(2) == 0 {
		p.RID = strconv.Itoa(r.IntN(4))
	}
	switch k := r.IntN(10); {
	case k < 3:
		p.Kind = prikke.PingStart
	case k < 7:
		p.Kind = prikke.PingSuccess
	case k < 8:
		p.Kind = prikke.PingFail
	case k < 9:
		p.Kind = prikke.PingLog
	default:
		n := r.IntN(3)
		p.ExitStatus, p.Kind = &n, prikke.PingSuccess
		if n != 0 {
			p.Kind = prikke.PingFail
		}
		p.Body = []byte("out\xff\n")
	}
	return p
}

func checkStep(t *testing.T, seed int, what string, m *prikke.Monitor, before prikke.MonitorStatus, flips []*prikke.MonitorFlip) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, %s: "+format+"; state %+v", append(append([]any{seed, what}, args...), m.MonitorState)...)
	}
	switch {
	case m.Status == prikke.MonitorLate:
		fail("status late stored")
	case m.Status == prikke.MonitorPaused && m.DeadlineAt != nil:
		fail("paused with a deadline")
	case len(m.OpenRuns) > prikke.MaxOpenRuns:
		fail("%d open runs", len(m.OpenRuns))
	case m.ConsecutiveFailures > 0 && m.ConsecutiveSuccesses > 0:
		fail("both counters")
	case m.MutedDown && m.Status != prikke.MonitorDown:
		fail("MutedDown while %s", m.Status)
	case m.MutedDown && m.AlertedAt != nil:
		fail("an alert held and one sent")
	case m.AlertedAt != nil && m.Status != prikke.MonitorDown:
		fail("AlertedAt while %s", m.Status)
	}
	from := before
	for _, f := range flips {
		if f.From != from {
			fail("flip %s from %s, want from %s", f.Event, f.From, from)
		}
		if f.To == prikke.MonitorDown && !f.Muted && (m.AlertedAt == nil) {
			fail("unmuted down flip without AlertedAt")
		}
		if before == prikke.MonitorPaused && what != "ping" {
			fail("flip %s on a paused monitor", f.Event)
		}
		from = f.To
	}
	if from != m.Status && len(flips) > 0 {
		fail("last flip to %s, status %s", from, m.Status)
	}
}
