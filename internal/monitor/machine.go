package monitor

import (
	"fmt"
	"slices"
	"time"

	"github.com/prikke/prikke"
)

// Outage is a span in which Prikke was not watching: deadlines that fell
// inside it are evaluated late, at start, and their flips say so. The zero
// Outage is none.
type Outage struct{ From, To time.Time }

// covers reports whether the deadline d lies inside the outage.
func (o Outage) covers(d time.Time) bool {
	if o.From.IsZero() && o.To.IsZero() {
		return false
	}
	return !d.Before(o.From) && !d.After(o.To)
}

// sentence is what an alert caused during the outage adds.
func (o Outage) sentence() string {
	return fmt.Sprintf("Prikke was not running from %s to %s; the ping may have been lost on our side.",
		formatTime(o.From, time.UTC), formatTime(o.To, time.UTC))
}

// step is one state change in progress: the monitor, the step's time, and
// the flips written so far.
type step struct {
	m     *prikke.Monitor
	t     time.Time
	ping  *prikke.Ping
	from  prikke.MonitorStatus // the status the next flip starts from
	flips []*prikke.MonitorFlip
}

// newStep starts a step on m at t. Flips chain from the stored status: a
// status passed through without a flip inside the step (a paused monitor
// resumed by its ping, a run that ended) is not in the history. The open
// runs are copied, so a caller's shallow copy of the monitor keeps its own.
func newStep(m *prikke.Monitor, t time.Time, p *prikke.Ping) *step {
	m.OpenRuns = slices.Clone(m.OpenRuns)
	return &step{m: m, t: t, ping: p, from: m.Status}
}

// flip records a change of status. A down flip written while muted holds
// its alert (MutedDown) until the mute ends; an up flip drops a held one.
func (s *step) flip(to prikke.MonitorStatus, event prikke.NotificationEvent, detail string) *prikke.MonitorFlip {
	m := s.m
	muted, _ := Muted(m.AlertPolicy, m.ProjectSnoozeUntil, s.t)
	if to != prikke.MonitorDown {
		// A recovery goes to whoever heard of the outage: it is muted
		// only when the down alert was held, whatever the mute is now.
		muted = m.MutedDown
	}
	f := &prikke.MonitorFlip{
		ID: prikke.NewID(), MonitorID: m.ID, ProjectID: m.ProjectID,
		From: s.from, To: to, Event: event, Detail: detail,
		Muted: muted, CreatedAt: s.t,
	}
	if s.ping != nil {
		f.PingID = &s.ping.ID
	}
	switch {
	case to == prikke.MonitorDown && muted:
		m.MutedDown = true
	case to == prikke.MonitorDown:
		m.AlertedAt = ptrTo(s.t)
	default: // up again: no alert held, none to repeat
		m.MutedDown, m.AlertedAt = false, nil
	}
	m.Status, s.from = to, to
	s.flips = append(s.flips, f)
	return f
}

// OnPing moves m on the ping p, at p.CreatedAt. It is a store.PingStep: it
// may set p.Duration (an end paired with its start) and returns the flips
// to write.
func OnPing(m *prikke.Monitor, p *prikke.Ping) []*prikke.MonitorFlip {
	s := newStep(m, p.CreatedAt, p)
	if p.Kind != prikke.PingLog {
		s.apply()
	}
	s.ping = nil // a held alert sent now is not the ping's doing
	s.release()
	setDeadline(m, s.t)
	return s.flips
}

// apply applies a start, success or fail ping.
func (s *step) apply() {
	m, p := s.m, s.ping
	m.LastPingAt, m.LastPingKind = ptrTo(s.t), p.Kind
	if m.Status == prikke.MonitorPaused {
		// A downgrade's pause holds until an upgrade (or the user's
		// resume within the plan's limit), a suspension's until the
		// operator lifts it: a ping resumes only the user's.
		if m.ManualResume || m.PauseReason == prikke.PauseForPlan || m.PauseReason == prikke.PauseForSuspension {
			return
		}
		resume(m)
	}
	switch p.Kind {
	case prikke.PingStart:
		s.start()
	case prikke.PingSuccess:
		s.end(true)
	case prikke.PingFail:
		s.end(false)
	}
}

// start opens a run. A start whose RID is already open restarts that run.
func (s *step) start() {
	m, rid := s.m, s.ping.RID
	if rid != "" {
		m.OpenRuns = slices.DeleteFunc(m.OpenRuns, func(r prikke.MonitorRun) bool { return r.RID == rid })
	}
	m.OpenRuns = append(m.OpenRuns, prikke.MonitorRun{RID: rid, StartedAt: s.t})
	if n := len(m.OpenRuns) - prikke.MaxOpenRuns; n > 0 {
		m.OpenRuns = slices.Delete(m.OpenRuns, 0, n)
	}
	if m.DueAt == nil && m.Status != prikke.MonitorDown {
		// The first run (or the first after a resume) is under way: its
		// end is expected by the next due time, so a run that never
		// ends is missed there even without max_runtime.
		if due, err := NextDue(m, s.t); err == nil {
			m.DueAt = &due
		}
	}
	if m.Status != prikke.MonitorDown {
		m.Status = prikke.MonitorRunning
	}
}

// end closes the run the ping pairs with and counts a success or a failure.
func (s *step) end(ok bool) {
	m, p := s.m, s.ping
	if started, found := closeRun(m, p.RID); found {
		d := max(s.t.Sub(started), 0)
		p.Duration, m.LastDuration = ptrTo(d), ptrTo(d)
	}
	if due, err := NextDue(m, s.t); err == nil {
		m.DueAt = &due
	}
	switch {
	case !ok:
		s.fail(prikke.EventMonitorFailed, FailureDetail(p))
	case m.MinRuntime > 0 && p.Duration != nil && *p.Duration < m.MinRuntime:
		s.fail(prikke.EventMonitorFailed, fmt.Sprintf("The run finished in %s, sooner than the minimum run time %s.",
			formatDuration(*p.Duration), formatDuration(m.MinRuntime)))
	default:
		s.succeed()
	}
}

// closeRun removes the open run with the RID (with no RID: the newest run
// without one) and returns when it started.
func closeRun(m *prikke.Monitor, rid string) (time.Time, bool) {
	for i := len(m.OpenRuns) - 1; i >= 0; i-- {
		if r := m.OpenRuns[i]; r.RID == rid {
			m.OpenRuns = slices.Delete(m.OpenRuns, i, i+1)
			return r.StartedAt, true
		}
	}
	return time.Time{}, false
}

// succeed counts a success and brings a down monitor up at the recovery
// threshold (unless it waits for a manual resume).
func (s *step) succeed() {
	m := s.m
	m.ConsecutiveSuccesses++
	m.ConsecutiveFailures = 0
	if m.Status == prikke.MonitorDown {
		if m.ManualResume || m.ConsecutiveSuccesses < threshold(m.RecoveryThreshold) {
			return
		}
		detail := "A success ping came at " + formatTime(s.t, zoneOf(m)) + "."
		if d := s.ping.Duration; d != nil {
			detail = fmt.Sprintf("A success ping came at %s; the run took %s.", formatTime(s.t, zoneOf(m)), formatDuration(*d))
		}
		s.flip(runningOrUp(m), prikke.EventMonitorUp, detail)
		return
	}
	m.Status = runningOrUp(m)
}

// fail counts a failure and takes the monitor down at the threshold.
func (s *step) fail(event prikke.NotificationEvent, detail string) *prikke.MonitorFlip {
	m := s.m
	m.ConsecutiveFailures++
	m.ConsecutiveSuccesses = 0
	if m.Status == prikke.MonitorDown {
		return nil
	}
	if m.ConsecutiveFailures >= threshold(m.FailThreshold) {
		return s.flip(prikke.MonitorDown, event, detail)
	}
	m.Status = runningOrUp(m)
	return nil
}

// runningOrUp is the status of a monitor that is not down: running while a
// run is open.
func runningOrUp(m *prikke.Monitor) prikke.MonitorStatus {
	if len(m.OpenRuns) > 0 {
		return prikke.MonitorRunning
	}
	return prikke.MonitorUp
}

// threshold reads a threshold, 1 when unset.
func threshold(n int) int { return max(n, 1) }

// OnDeadline moves m at now, when its deadline has passed: runs past their
// maximum run time fail, missed pings count as failures (down at the
// threshold), a down monitor re-alerts, and a down alert held while muted
// is sent. Deadlines inside the outage o give flips marked PrikkeDown. It
// is a store.DeadlineStep (with o bound): DeadlineAt ends after now or nil.
func OnDeadline(m *prikke.Monitor, now time.Time, o Outage) []*prikke.MonitorFlip {
	s := newStep(m, now, nil)
	var passed time.Time // the deadline being acted on
	if m.DeadlineAt != nil {
		passed = *m.DeadlineAt
	}
	if m.Status != prikke.MonitorPaused {
		s.tooLong(o)
		s.missed(o)
		s.realert(o, passed)
		s.releaseIn(o, passed)
	}
	setDeadline(m, now)
	return s.flips
}

// tooLong fails every open run past its maximum run time.
func (s *step) tooLong(o Outage) {
	m := s.m
	if m.MaxRuntime <= 0 {
		return
	}
	for i := 0; i < len(m.OpenRuns); {
		r := m.OpenRuns[i]
		end := r.StartedAt.Add(m.MaxRuntime)
		if end.After(s.t) {
			i++
			continue
		}
		m.OpenRuns = slices.Delete(m.OpenRuns, i, i+1)
		detail := fmt.Sprintf("The run started at %s and had not ended after %s (max_runtime).",
			formatTime(r.StartedAt, zoneOf(m)), formatDuration(m.MaxRuntime))
		if r.RID != "" {
			detail = fmt.Sprintf("The run %s started at %s and had not ended after %s (max_runtime).",
				r.RID, formatTime(r.StartedAt, zoneOf(m)), formatDuration(m.MaxRuntime))
		}
		outage(s.fail(prikke.EventMonitorTooLong, detail), o, o.covers(end))
	}
	if m.Status == prikke.MonitorRunning && len(m.OpenRuns) == 0 {
		m.Status = prikke.MonitorUp
	}
}

// missed counts the pings missing after DueAt+Grace (at most the
// threshold's worth at once), moving DueAt on; down at the threshold.
func (s *step) missed(o Outage) {
	m := s.m
	if m.Status == prikke.MonitorDown || m.DueAt == nil {
		return
	}
	var lost bool
	missedDue := *m.DueAt
	for misses := 0; m.DueAt != nil && !m.DueAt.Add(m.Grace).After(s.t) && misses < threshold(m.FailThreshold); misses++ {
		missedDue = *m.DueAt
		lost = lost || o.covers(missedDue.Add(m.Grace))
		m.ConsecutiveFailures++
		m.ConsecutiveSuccesses = 0
		next, err := NextDue(m, missedDue)
		if err != nil {
			m.DueAt = nil
			break
		}
		m.DueAt = &next
	}
	if missedDue.Add(m.Grace).After(s.t) || m.ConsecutiveFailures < threshold(m.FailThreshold) {
		return
	}
	last := "no ping yet"
	if m.LastPingAt != nil {
		last = "the last ping came at " + formatTime(*m.LastPingAt, zoneOf(m))
	}
	f := s.flip(prikke.MonitorDown, prikke.EventMonitorDown, fmt.Sprintf("A ping was expected by %s (grace %s); %s.",
		formatTime(missedDue, zoneOf(m)), formatDuration(m.Grace), last))
	outage(f, o, lost)
	m.DueAt = nil
}

// realert re-sends the alert of a monitor still down, every RealertEvery,
// unless muted (a held alert is sent by release instead).
func (s *step) realert(o Outage, passed time.Time) {
	m := s.m
	if m.Status != prikke.MonitorDown || m.RealertEvery <= 0 || m.AlertedAt == nil || m.MutedDown {
		return
	}
	due := m.AlertedAt.Add(m.RealertEvery)
	if due.After(s.t) {
		return
	}
	if muted, _ := Muted(m.AlertPolicy, m.ProjectSnoozeUntil, s.t); muted {
		return
	}
	f := s.flip(prikke.MonitorDown, prikke.EventMonitorRealert, "Still down; the last alert was at "+formatTime(*m.AlertedAt, zoneOf(m))+".")
	// Its deadline may have been put off to the end of a mute: the
	// deadline being acted on.
	outage(f, o, o.covers(due) || o.covers(passed))
}

// release sends the down alert held while muted, once the mute is over
// and the monitor is still down.
func (s *step) release() { s.releaseIn(Outage{}, time.Time{}) }

// releaseIn is release at the deadline d, which may lie inside o.
func (s *step) releaseIn(o Outage, d time.Time) {
	m := s.m
	if !m.MutedDown {
		return
	}
	if m.Status != prikke.MonitorDown {
		m.MutedDown = false
		return
	}
	if muted, _ := Muted(m.AlertPolicy, m.ProjectSnoozeUntil, s.t); muted {
		return
	}
	m.MutedDown = false
	f := s.flip(prikke.MonitorDown, prikke.EventMonitorDown, "The monitor went down while its alerts were muted (snooze or maintenance window), and it is still down.")
	outage(f, o, !d.IsZero() && o.covers(d))
}

// outage marks f (if any) as caused by a deadline inside o.
func outage(f *prikke.MonitorFlip, o Outage, inside bool) {
	if f == nil || !inside {
		return
	}
	f.PrikkeDown = true
	f.Detail += " " + o.sentence()
}

// setDeadline sets DeadlineAt to the next instant the monitor can change
// without a ping: its due time plus grace, the oldest open run's start
// plus max runtime, a re-alert, the end of the mute holding a down alert.
func setDeadline(m *prikke.Monitor, t time.Time) {
	var d *time.Time
	soonest := func(c time.Time) {
		if d == nil || c.Before(*d) {
			d = ptrTo(c)
		}
	}
	if m.Status == prikke.MonitorPaused {
		m.DeadlineAt = nil
		return
	}
	if m.Status != prikke.MonitorDown && m.DueAt != nil {
		soonest(m.DueAt.Add(m.Grace))
	}
	if m.MaxRuntime > 0 {
		for _, r := range m.OpenRuns {
			soonest(r.StartedAt.Add(m.MaxRuntime))
		}
	}
	if m.Status == prikke.MonitorDown {
		muted, until := Muted(m.AlertPolicy, m.ProjectSnoozeUntil, t)
		if m.RealertEvery > 0 && m.AlertedAt != nil {
			r := m.AlertedAt.Add(m.RealertEvery)
			if muted && until.After(r) {
				r = until
			}
			soonest(r)
		}
		if m.MutedDown && muted {
			soonest(until)
		}
	}
	m.DeadlineAt = d
}

// Pause stops watching m: no deadlines, no alerts; pings are still
// recorded, and one resumes it (unless ManualResume, or the plan paused it). No flip.
func Pause(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	m.Status = prikke.MonitorPaused
	m.DueAt, m.OpenRuns, m.DeadlineAt, m.AlertedAt, m.MutedDown = nil, nil, nil, nil, false
	return nil
}

// Resume sets a paused or down monitor back to new: counters reset,
// nothing due until the next ping. No flip. Other monitors are unchanged.
func Resume(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	if m.Status == prikke.MonitorPaused || m.Status == prikke.MonitorDown {
		resume(m)
	}
	setDeadline(m, now)
	return nil
}

func resume(m *prikke.Monitor) {
	m.Status = prikke.MonitorNew
	m.ConsecutiveFailures, m.ConsecutiveSuccesses = 0, 0
	m.DueAt, m.OpenRuns, m.AlertedAt, m.MutedDown = nil, nil, nil, false
}

// Snooze mutes m's alerts until the instant (nil: unsnooze). A down alert
// held by a mute that is now over is sent.
func Snooze(m *prikke.Monitor, until *time.Time, now time.Time) []*prikke.MonitorFlip {
	m.SnoozeUntil = until
	s := newStep(m, now, nil)
	s.release()
	setDeadline(m, now)
	return s.flips
}

// Reconfigure recomputes DueAt and DeadlineAt after an edit of the
// schedule, runtimes, policy or window (the service calls it inside
// MonitorModify after changing the configuration, for any edit). A down
// alert held by a mute the edit ended is sent.
func Reconfigure(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip {
	if m.DueAt != nil && m.LastPingAt != nil {
		if due, ok := rebase(m, *m.DueAt, now); ok {
			m.DueAt = &due
		}
	}
	s := newStep(m, now, nil)
	if m.Status != prikke.MonitorPaused {
		s.release()
	}
	setDeadline(m, now)
	return s.flips
}

// rebase is DueAt under the (new) schedule: the first due time after the
// last ping that is not one already counted as missed (before the old due
// time, with its grace over). An edit that leaves the schedule alone so
// gives the old due time back, and one that changes it counts no miss
// twice. After a start ping, the end of the run before is not known, so
// the due time only moves earlier.
func rebase(m *prikke.Monitor, old, now time.Time) (time.Time, bool) {
	due, err := NextDue(m, *m.LastPingAt)
	if err != nil {
		return time.Time{}, false
	}
	for i := 0; due.Before(old) && !due.Add(m.Grace).After(now); i++ {
		if i == maxRebase { // a long way behind: the first due not yet over
			from := now.Add(-m.Grace)
			if from.Before(*m.LastPingAt) {
				from = *m.LastPingAt
			}
			due, err = NextDue(m, from)
		} else {
			due, err = NextDue(m, due)
		}
		if err != nil {
			return time.Time{}, false
		}
	}
	if m.LastPingKind == prikke.PingStart && old.Before(due) {
		due = old
	}
	return due, true
}

// maxRebase bounds rebase's walk through due times.
const maxRebase = 1000

func ptrTo[T any](v T) *T { return &v }
