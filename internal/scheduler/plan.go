package scheduler

import (
	"fmt"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/store"
)

// LateTolerance is how late an occurrence may be found and still run as a
// plain (late) run rather than count as missed: enough to cover a leader
// failover, far less than any catch-up window.
const LateTolerance = time.Minute

// maxCount bounds how many missed occurrences are counted after a long
// outage (two years of a minute job); beyond it the count is a lower bound.
const maxCount = 1_000_000

// maxAhead bounds how many future occurrences one plan writes.
const maxAhead = 100

// Plan decides what the scheduler writes for one due job, given the
// database clock now and the write-ahead horizon:
//   - a one-time job gets its single occurrence, due at its instant (or at
//     once if that passed while Prikke was down: it runs once);
//   - a cron job gets every occurrence up to horizon. Occurrences already
//     past are judged as a group: the latest runs if it is within
//     LateTolerance, or within the job's catch-up window when the policy is
//     "latest"; the others are counted on the row that runs
//     (missed_count), or on one row with status missed when none runs.
//
// A cron job whose alert policy has a window with SkipRuns has no
// occurrences inside the window: the cursor moves past them, and they are
// neither run nor counted as missed.
//
// sched and loc are the job's parsed expression and zone (nil for a
// one-time job).
func Plan(d *store.DueJob, now, horizon time.Time, sched *cron.Schedule, loc *time.Location) *store.OccurrenceWrite {
	j := d.Job
	w := &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: *j.NextRunAt}
	prio := prikke.Priority(d.Tier, j.Kind, j.IntervalMinutes)
	newExec := func(at, due time.Time) *prikke.Execution {
		return &prikke.Execution{
			ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: at, DueAt: due, Attempt: 1, Status: prikke.ExecutionStatusPending,
			Priority: prio, FlowKey: j.Flow(), CreatedAt: now,
		}
	}
	if j.Kind != prikke.JobKindCron {
		at := *j.NextRunAt
		w.Executions = append(w.Executions, newExec(at, at))
		return w // NextRunAt nil: no more occurrences
	}
	if sched == nil {
		return w // unparsable expression: stop scheduling rather than spin
	}

	next := runnable(j.AlertPolicy.Window, sched, loc, horizon)
	t := next(*j.NextRunAt)
	var latest time.Time
	count := 0
	for !t.IsZero() && !t.After(now) && count < maxCount {
		latest, count = t, count+1
		t = next(sched.Next(t, loc))
	}
	if count == maxCount && !t.After(now) {
		// Counting stopped: a schedule that fired a million times fires at
		// least hourly, so the latest occurrence is within the last 8 days.
		for u := next(sched.Next(now.Add(-8*24*time.Hour), loc)); !u.IsZero() && !u.After(now); u = next(sched.Next(u, loc)) {
			latest = u
			t = next(sched.Next(u, loc))
		}
	}
	if count > 0 {
		late := now.Sub(latest)
		switch {
		case late <= LateTolerance:
			e := newExec(latest, latest)
			e.MissedCount = count - 1
			w.Executions = append(w.Executions, e)
		case j.CatchUp == prikke.CatchUpLatest && late <= j.CatchUpWindow:
			// A catch-up run starts now; its lateness is the outage's, not
			// the engine's.
			e := newExec(latest, now)
			e.MissedCount = count - 1
			w.Executions = append(w.Executions, e)
		default:
			e := newExec(latest, latest)
			e.Status = prikke.ExecutionStatusMissed
			e.MissedCount = count
			e.FinishedAt = &now
			e.Error = missedNote(count, j.CatchUp)
			w.Executions = append(w.Executions, e)
		}
	}
	for n := 0; !t.IsZero() && !t.After(horizon) && n < maxAhead; n++ {
		w.Executions = append(w.Executions, newExec(t, t))
		t = next(sched.Next(t, loc))
	}
	if t.IsZero() {
		return w
	}
	w.NextRunAt = &t
	return w
}

// maxSkips bounds how many runs of windows one step past a skip window
// follows; the cursor then stays where it got to.
const maxSkips = 1000

// runnable returns the function that moves a fire time of sched forward
// past the skip window w: to the first fire time at or after the end of
// the window it falls in (repeatedly, while that one falls in a window
// too). Without a skip window it returns its argument. It stops once past
// horizon: a later plan carries on from there.
func runnable(w prikke.Window, sched *cron.Schedule, loc *time.Location, horizon time.Time) func(time.Time) time.Time {
	if !w.SkipRuns || w.IsZero() {
		return func(t time.Time) time.Time { return t }
	}
	return func(t time.Time) time.Time {
		for range maxSkips {
			if t.IsZero() || t.After(horizon) {
				return t
			}
			inside, closes := monitor.InWindow(w, t)
			if !inside {
				return t
			}
			t = sched.Next(closes.Add(-time.Nanosecond), loc)
		}
		return t
	}
}

func missedNote(count int, policy prikke.CatchUp) string {
	occ := "occurrence was"
	if count != 1 {
		occ = fmt.Sprintf("%d occurrences were", count)
	} else {
		occ = "1 " + occ
	}
	if policy == prikke.CatchUpSkip {
		return "missed: " + occ + " due while Prikke was not running; the job's catch-up policy is skip"
	}
	return "missed: " + occ + " due while Prikke was not running, longer ago than the job's catch-up window"
}
