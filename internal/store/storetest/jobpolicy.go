package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

// testJobAlertPolicy: a job's alert policy is stored, and ExecutionComplete
// applies it: the fail threshold, the recovery threshold, re-alerts, and
// flips written muted (and a held alert sent) under a snooze or a window.
func testJobAlertPolicy(t *testing.T, open Opener, cov *coverage) {
	cov.covers("JobCreate", "JobGet", "JobUpdate", "ExecutionComplete", "FlipClaim", "ProjectUpdate")
	s := open(t)
	ctx := context.Background()
	a := NewTenant(t, s, prikke.TierPro)
	snooze := T0.Add(30 * time.Minute)
	policy := prikke.AlertPolicy{FailThreshold: 3, RecoveryThreshold: 2, RealertEvery: time.Hour, SnoozeUntil: &snooze,
		Window: prikke.Window{Cron: "0 2 * * 0", TimeZone: "Europe/Oslo", Duration: 90 * time.Minute, SkipRuns: true}}
	j := NewJob(t, s, a, func(j *prikke.Job) { j.AlertPolicy = policy })
	if got, err := s.JobGet(ctx, j.ID); err != nil || !reflect.DeepEqual(got.AlertPolicy, policy) {
		t.Fatalf("alert policy round trip = %+v, %v; want %+v", got.AlertPolicy, err, policy)
	}
	policy.SnoozeUntil, policy.Window = nil, prikke.Window{}
	j.AlertPolicy = policy
	if err := s.JobUpdate(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.JobGet(ctx, j.ID); !reflect.DeepEqual(got.AlertPolicy, policy) {
		t.Fatalf("alert policy after update = %+v; want %+v", got.AlertPolicy, policy)
	}

	// run completes a run of job at minute m with a result; flips returns
	// the flips written since the last call as "event" or "event(muted)".
	run := func(job *prikke.Job, m int, ok bool) {
		t.Helper()
		at := T0.Add(time.Duration(m) * time.Minute)
		NewExecution(t, s, job, prikke.TierPro, at)
		st := prikke.ExecutionStatusFailed
		if ok {
			st = prikke.ExecutionStatusSuccess
		}
		complete(t, s, "n", claimOne(t, s, "n", at), st, nil)
	}
	flips := func(job *prikke.Job) string {
		t.Helper()
		fs, err := s.FlipClaim(ctx, T0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			if f.JobID != job.ID {
				t.Errorf("flip of another job: %+v", f)
			}
			ev := string(f.Event)
			if f.Muted {
				ev += "(muted)"
			}
			out = append(out, ev)
		}
		return strings.Join(out, " ")
	}
	state := func(job *prikke.Job) string {
		t.Helper()
		g, err := s.JobGet(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %d/%d", g.Health, g.ConsecutiveFailures, g.ConsecutiveSuccesses)
	}
	step := func(job *prikke.Job, m int, ok bool, wantFlips, wantState string) {
		t.Helper()
		run(job, m, ok)
		if got := flips(job); got != wantFlips {
			t.Errorf("minute %d (ok %v): flips %q, want %q", m, ok, got, wantFlips)
		}
		if got := state(job); got != wantState {
			t.Errorf("minute %d (ok %v): state %q, want %q", m, ok, got, wantState)
		}
	}

	// Thresholds and re-alerts: failing at the third failure, again an
	// hour after that alert, healthy after two successes.
	step(j, 0, false, "", "healthy 1/0")
	step(j, 1, false, "", "healthy 2/0")
	step(j, 2, false, "job.failing", "failing 3/0")
	step(j, 30, false, "", "failing 4/0")
	step(j, 62, false, "job.failing", "failing 5/0")
	step(j, 63, true, "", "failing 0/1")
	step(j, 64, false, "", "failing 1/0") // a failure resets the successes
	step(j, 65, true, "", "failing 0/1")
	step(j, 66, true, "job.recovered", "healthy 0/0")

	// A snooze: the failing flip is muted and held; the first run after
	// the snooze sends it.
	snoozed := NewJob(t, s, a, func(j *prikke.Job) { j.AlertPolicy.SnoozeUntil = &snooze })
	step(snoozed, 0, false, "job.failing(muted)", "failing 1/0")
	step(snoozed, 10, false, "", "failing 2/0")
	step(snoozed, 40, false, "job.failing", "failing 3/0")
	step(snoozed, 41, false, "", "failing 4/0")
	step(snoozed, 42, true, "job.recovered", "healthy 0/0")

	// A window (09:00-09:30 UTC at T0): a failure and recovery inside it
	// are both muted; a recovery after the window whose failing alert was
	// held is muted too (nobody heard of the failure), and a failure
	// after the window is sent.
	windowed := NewJob(t, s, a, func(j *prikke.Job) {
		j.AlertPolicy.Window = prikke.Window{Cron: "0 9 * * *", TimeZone: "UTC", Duration: 30 * time.Minute}
	})
	step(windowed, 5, false, "job.failing(muted)", "failing 1/0")
	step(windowed, 10, true, "job.recovered(muted)", "healthy 0/0")
	step(windowed, 20, false, "job.failing(muted)", "failing 1/0")
	step(windowed, 35, true, "job.recovered(muted)", "healthy 0/0")
	step(windowed, 40, false, "job.failing", "failing 1/0")
	step(windowed, 41, true, "job.recovered", "healthy 0/0")

	// The project's snooze mutes its jobs the same way.
	b := NewTenant(t, s, prikke.TierPro)
	b.Project.SnoozeUntil = &snooze
	if err := s.ProjectUpdate(ctx, b.Project); err != nil {
		t.Fatal(err)
	}
	quiet := NewJob(t, s, b, nil)
	step(quiet, 0, false, "job.failing(muted)", "failing 1/0")
	step(quiet, 31, false, "job.failing", "failing 2/0")

	// A batch that fails and recovers writes no flip, as before policies.
	batch := NewJob(t, s, a, nil)
	NewExecution(t, s, batch, prikke.TierPro, T0)
	NewExecution(t, s, batch, prikke.TierPro, T0.Add(time.Second))
	cs := claimN(t, s, "n", T0.Add(time.Second), 2)
	if _, err := s.ExecutionComplete(ctx, "n", []*store.Completion{completion(cs[0], prikke.ExecutionStatusFailed),
		completion(cs[1], prikke.ExecutionStatusSuccess)}); err != nil {
		t.Fatal(err)
	}
	if got := flips(batch); got != "" {
		t.Errorf("a batch that failed and recovered wrote flips %q", got)
	}
	if got := state(batch); got != "healthy 0/0" {
		t.Errorf("after a failed and a good run in one batch: %q", got)
	}
}
