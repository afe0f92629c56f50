package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestOccurrencesWriteLarge writes batches large enough for COPY: every
// job's cursor moves, every occurrence is written once with its tier's
// priority and a queue row to match, and an attempt already written (COPY
// fails on it) is skipped as the insert skips it, the rest of the batch
// written all the same.
func TestOccurrencesWriteLarge(t *testing.T) {
	t.Parallel()
	s := storetest.OpenPostgresSchema(t, storetest.NewSchemaName())
	ctx := context.Background()
	tn := storetest.NewTenant(t, s, prikke.TierPro)
	const n = 600
	jobs := make([]*prikke.Job, n)
	for i := range jobs {
		jobs[i] = storetest.NewJob(t, s, tn, nil)
	}
	t1, t2, t3 := storetest.T0.Add(time.Minute), storetest.T0.Add(2*time.Minute), storetest.T0.Add(3*time.Minute)
	occ := func(j *prikke.Job, at time.Time) *prikke.Execution {
		return &prikke.Execution{ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
			ScheduledFor: at, DueAt: at, Attempt: 1, Status: prikke.ExecutionStatusPending, CreatedAt: storetest.T0}
	}
	// One occurrence is there already (a second leader wrote it).
	pre := occ(jobs[5], t1)
	if err := s.ExecutionInsert(ctx, pre); err != nil {
		t.Fatal(err)
	}
	write := func(prev time.Time, next time.Time) int {
		t.Helper()
		ws := make([]*store.OccurrenceWrite, n)
		for i, j := range jobs {
			ws[i] = &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: prev, NextRunAt: &next, Executions: []*prikke.Execution{occ(j, prev)}}
		}
		got, err := s.OccurrencesWrite(ctx, ws)
		if err != nil {
			t.Fatalf("OccurrencesWrite: %v", err)
		}
		return got
	}
	if got := write(t1, t2); got != n-1 {
		t.Errorf("first write inserted %d, want %d (one was there)", got, n-1)
	}
	if got := write(t2, t3); got != n {
		t.Errorf("second write inserted %d, want %d", got, n)
	}
	// Stale cursors: nothing.
	if got := write(t1, t2); got != 0 {
		t.Errorf("stale write inserted %d, want 0", got)
	}
	var execs, queued, matched, moved, wrongPrio int
	if err := s.Pool().QueryRow(ctx, `SELECT
			(SELECT count(*) FROM executions WHERE organization_id = $1),
			(SELECT count(*) FROM execution_queue WHERE organization_id = $1),
			(SELECT count(*) FROM execution_queue q JOIN executions e ON e.id = q.id
				WHERE q.attempt = e.attempt AND q.priority = e.priority AND q.due_at = e.due_at AND q.organization_id = e.organization_id
					AND q.lease_expires_at IS NULL AND q.flow IS NULL AND e.organization_id = $1),
			(SELECT count(*) FROM jobs WHERE organization_id = $1 AND next_run_at = $2),
			(SELECT count(*) FROM executions WHERE organization_id = $1 AND priority <> $3 AND id <> ALL($4))`,
		tn.Org.ID, t3, prikke.Priority(prikke.TierPro, prikke.JobKindCron, jobs[0].IntervalMinutes), []prikke.ID{pre.ID}).
		Scan(&execs, &queued, &matched, &moved, &wrongPrio); err != nil {
		t.Fatal(err)
	}
	if execs != 2*n || queued != 2*n || matched != 2*n {
		t.Errorf("executions %d, queued %d, matching queue rows %d; want %d each", execs, queued, matched, 2*n)
	}
	if moved != n {
		t.Errorf("%d cursors at the third minute, want %d", moved, n)
	}
	if wrongPrio != 0 { // the one ExecutionInsert wrote keeps its own: left out
		t.Errorf("%d occurrences without their tier's priority", wrongPrio)
	}
}
