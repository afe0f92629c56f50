package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/cron"
	"github.com/prikke/prikke/internal/store"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func cronJob(expr string, next time.Time, edit func(*prikke.Job)) *store.DueJob {
	j := &prikke.Job{ID: prikke.NewID(), ProjectID: prikke.NewID(), OrganizationID: prikke.NewID(), Kind: prikke.JobKindCron,
		CronExpression: expr, TimeZone: "UTC", CatchUp: prikke.CatchUpLatest, CatchUpWindow: time.Hour,
		IntervalMinutes: 1, NextRunAt: &next}
	if edit != nil {
		edit(j)
	}
	return &store.DueJob{Job: j, Tier: prikke.TierPro}
}

func mustParse(t *testing.T, expr string) *cron.Schedule {
	t.Helper()
	s, err := cron.Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanOnTime(t *testing.T) {
	t.Parallel()
	d := cronJob("* * * * *", t0, nil)
	w := Plan(d, t0.Add(-3*time.Second), t0.Add(2*time.Second), mustParse(t, "* * * * *"), time.UTC)
	if len(w.Executions) != 1 {
		t.Fatalf("executions = %d", len(w.Executions))
	}
	e := w.Executions[0]
	if !e.ScheduledFor.Equal(t0) || !e.DueAt.Equal(t0) || e.Status != prikke.ExecutionStatusPending || e.Attempt != 1 ||
		e.MissedCount != 0 || e.Priority != 0 || e.JobID != d.Job.ID || e.OrganizationID != d.Job.OrganizationID {
		t.Errorf("execution = %+v", e)
	}
	if !w.NextRunAt.Equal(t0.Add(time.Minute)) || !w.PrevNextRunAt.Equal(t0) {
		t.Errorf("cursor %v -> %v", w.PrevNextRunAt, w.NextRunAt)
	}
	// Nothing within the horizon: only the cursor stays.
	d = cronJob("0 * * * *", t0.Add(time.Hour), func(j *prikke.Job) { j.IntervalMinutes = 60 })
	w = Plan(d, t0, t0.Add(5*time.Second), mustParse(t, "0 * * * *"), time.UTC)
	if len(w.Executions) != 0 || !w.NextRunAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("far job plan = %+v", w)
	}
}

func TestPlanPriority(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		tier     prikke.Tier
		interval int
		want     int
	}{{prikke.TierPro, 1, 0}, {prikke.TierPro, 60, 1}, {prikke.TierFree, 5, 2}, {prikke.TierFree, 1440, 3}} {
		d := cronJob("* * * * *", t0, func(j *prikke.Job) { j.IntervalMinutes = tc.interval })
		d.Tier = tc.tier
		w := Plan(d, t0, t0, mustParse(t, "* * * * *"), time.UTC)
		if got := w.Executions[0].Priority; got != tc.want {
			t.Errorf("%s interval %d: priority %d, want %d", tc.tier, tc.interval, got, tc.want)
		}
	}
}

func TestPlanOnce(t *testing.T) {
	t.Parallel()
	at := t0.Add(1500 * time.Millisecond)
	j := &prikke.Job{ID: prikke.NewID(), Kind: prikke.JobKindOnce, RunAt: &at, NextRunAt: &at}
	w := Plan(&store.DueJob{Job: j, Tier: prikke.TierFree}, t0, t0.Add(5*time.Second), nil, nil)
	if len(w.Executions) != 1 || !w.Executions[0].DueAt.Equal(at) || w.NextRunAt != nil || w.Executions[0].Priority != 2 {
		t.Errorf("one-time plan = %+v", w)
	}
	// A one-time job that fell in an outage still runs once.
	w = Plan(&store.DueJob{Job: j, Tier: prikke.TierPro}, at.Add(48*time.Hour), at.Add(48*time.Hour), nil, nil)
	if len(w.Executions) != 1 || w.Executions[0].Status != prikke.ExecutionStatusPending {
		t.Errorf("late one-time plan = %+v", w)
	}
}

func TestPlanCatchUp(t *testing.T) {
	t.Parallel()
	every := mustParse(t, "* * * * *")
	for _, tc := range []struct {
		name      string
		policy    prikke.CatchUp
		window    time.Duration
		now       time.Time
		status    prikke.ExecutionStatus
		scheduled time.Time
		due       time.Time
		missed    int
	}{
		// Down 10 minutes: occurrences 09:00..09:10 passed. Back at 09:10:20:
		// the 09:10 run is merely late and runs; the ten before it are counted.
		{"late", prikke.CatchUpLatest, time.Hour, t0.Add(10*time.Minute + 20*time.Second),
			prikke.ExecutionStatusPending, t0.Add(10 * time.Minute), t0.Add(10 * time.Minute), 10},
		{"late under skip policy", prikke.CatchUpSkip, time.Hour, t0.Add(10*time.Minute + 20*time.Second),
			prikke.ExecutionStatusPending, t0.Add(10 * time.Minute), t0.Add(10 * time.Minute), 10},
		// Back at 09:12 with a 5-minute job: the latest (09:10) is late but
		// within the window: it runs now, the two before it are counted.
		{"catch up", prikke.CatchUpLatest, time.Hour, t0.Add(12 * time.Minute),
			prikke.ExecutionStatusPending, t0.Add(10 * time.Minute), t0.Add(12 * time.Minute), 2},
		{"skip", prikke.CatchUpSkip, time.Hour, t0.Add(12 * time.Minute),
			prikke.ExecutionStatusMissed, t0.Add(10 * time.Minute), t0.Add(10 * time.Minute), 3},
		{"outside window", prikke.CatchUpLatest, 90 * time.Second, t0.Add(27 * time.Minute),
			prikke.ExecutionStatusMissed, t0.Add(25 * time.Minute), t0.Add(25 * time.Minute), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expr := "* * * * *"
			sched := every
			if tc.name != "late" && tc.name != "late under skip policy" {
				expr, sched = "*/5 * * * *", mustParse(t, "*/5 * * * *")
			}
			d := cronJob(expr, t0, func(j *prikke.Job) { j.CatchUp = tc.policy; j.CatchUpWindow = tc.window })
			now := tc.now
			w := Plan(d, now, now.Add(2*time.Second), sched, time.UTC)
			if len(w.Executions) != 1 {
				t.Fatalf("executions = %d, want exactly one row for the outage", len(w.Executions))
			}
			e := w.Executions[0]
			if e.Status != tc.status || !e.ScheduledFor.Equal(tc.scheduled) || !e.DueAt.Equal(tc.due) || e.MissedCount != tc.missed {
				t.Errorf("row = status %s scheduled %v due %v missed %d; want %s %v %v %d",
					e.Status, e.ScheduledFor, e.DueAt, e.MissedCount, tc.status, tc.scheduled, tc.due, tc.missed)
			}
			if e.Status == prikke.ExecutionStatusMissed && (e.FinishedAt == nil || e.Error == "") {
				t.Errorf("missed row without finish time or note: %+v", e)
			}
			if !w.NextRunAt.After(now) {
				t.Errorf("cursor %v not after now", w.NextRunAt)
			}
		})
	}
}

func TestPlanLongOutage(t *testing.T) {
	t.Parallel()
	d := cronJob("* * * * *", t0.AddDate(-3, 0, 0), func(j *prikke.Job) { j.CatchUp = prikke.CatchUpSkip })
	start := time.Now()
	w := Plan(d, t0, t0, mustParse(t, "* * * * *"), time.UTC)
	if len(w.Executions) != 1 || w.Executions[0].Status != prikke.ExecutionStatusPending || !w.Executions[0].ScheduledFor.Equal(t0) {
		t.Fatalf("plan = %+v", w.Executions)
	}
	if w.Executions[0].MissedCount < maxCount-1 {
		t.Errorf("missed count %d", w.Executions[0].MissedCount)
	}
	// The work is bounded by counting (the missed count stops at its cap,
	// checked above), not by a wall-clock limit that a busy machine breaks.
	t.Logf("planning a three-year outage took %v", time.Since(start).Round(time.Millisecond))
}

func TestPlanDST(t *testing.T) {
	t.Parallel()
	oslo, err := cron.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	// A daily 02:30 job over the spring-forward night runs once, at 03:00
	// local (01:00Z), and next at 02:30 local the day after.
	sched := mustParse(t, "30 2 * * *")
	first := sched.Next(time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), oslo)
	if want := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC); !first.Equal(want) {
		t.Fatalf("first fire %v, want %v", first, want)
	}
	d := cronJob("30 2 * * *", first, func(j *prikke.Job) { j.TimeZone = "Europe/Oslo"; j.IntervalMinutes = 1440 })
	w := Plan(d, first.Add(-time.Second), first.Add(4*time.Second), sched, oslo)
	if len(w.Executions) != 1 || !w.NextRunAt.Equal(time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("plan = %+v next %v", w.Executions, w.NextRunAt)
	}
}

// TestPlanSkipWindow: a window with SkipRuns removes exactly the
// occurrences inside it, also on the night its zone's clocks go back
// (Europe/Oslo, 2026-10-25 03:00 CEST → 02:00 CET): opened at 01:30 in
// Oslo and open for two real hours, it covers 23:30-01:30 UTC that night
// and 00:30-02:30 UTC the next. Skipped occurrences are not missed ones.
func TestPlanSkipWindow(t *testing.T) {
	t.Parallel()
	window := prikke.Window{Cron: "30 1 * * *", TimeZone: "Europe/Oslo", Duration: 2 * time.Hour, SkipRuns: true}
	sched := mustParse(t, "*/30 * * * *")
	start := time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC)
	horizon := time.Date(2026, 10, 26, 2, 0, 0, 0, time.UTC)
	skipped := func(at time.Time) bool {
		for _, r := range [][2]time.Time{
			{time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
			{time.Date(2026, 10, 26, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 26, 2, 30, 0, 0, time.UTC)},
		} {
			if !at.Before(r[0]) && at.Before(r[1]) {
				return true
			}
		}
		return false
	}
	for _, skip := range []bool{true, false} {
		w := window
		w.SkipRuns = skip
		d := cronJob("*/30 * * * *", start, func(j *prikke.Job) { j.IntervalMinutes = 30; j.AlertPolicy.Window = w })
		plan := Plan(d, start, horizon, sched, time.UTC)
		var want []time.Time
		for at := start; !at.After(horizon); at = at.Add(30 * time.Minute) {
			if !skip || !skipped(at) {
				want = append(want, at)
			}
		}
		var got []time.Time
		for _, e := range plan.Executions {
			got = append(got, e.ScheduledFor)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("skip %v: occurrences\n%v\nwant\n%v", skip, got, want)
		}
		if wantNext := horizon.Add(30 * time.Minute); plan.NextRunAt == nil || !plan.NextRunAt.Equal(wantNext) {
			t.Errorf("skip %v: cursor %v, want %v", skip, plan.NextRunAt, wantNext)
		}
	}

	// After an outage across the window, its occurrences are not counted
	// as missed: only 01:30 is due, a minute late.
	from := time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC)
	now := time.Date(2026, 10, 25, 1, 31, 0, 0, time.UTC)
	for _, c := range []struct {
		skip   bool
		missed int
	}{{true, 0}, {false, 4}} {
		w := window
		w.SkipRuns = c.skip
		d := cronJob("*/30 * * * *", from, func(j *prikke.Job) { j.IntervalMinutes = 30; j.AlertPolicy.Window = w })
		plan := Plan(d, now, now.Add(2*time.Second), sched, time.UTC)
		if len(plan.Executions) != 1 || !plan.Executions[0].ScheduledFor.Equal(now.Add(-time.Minute)) ||
			plan.Executions[0].MissedCount != c.missed || plan.Executions[0].Status != prikke.ExecutionStatusPending {
			t.Errorf("skip %v after the outage: %+v; want the 01:30 run with %d missed", c.skip, plan.Executions, c.missed)
		}
	}
}
