package sqlitestore_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// cpu returns the process's CPU time so far (user and system).
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEngineMinute runs the engine's store path for one minute of
// 2,000 (and 20,000) cron jobs per op: the occurrences written, claimed in batches of
// 500 and completed in batches of 1,000 with a result the size of a real
// one. It prints the CPU time per delivery of each step.
func BenchmarkEngineMinute(b *testing.B) {
	for _, jobs := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) { benchmarkEngineMinute(b, jobs) })
	}
}

func benchmarkEngineMinute(b *testing.B, jobs int) {
	const claimBatch, completeBatch = 500, 1000
	s := storetest.OpenSQLite(b)
	ctx := context.Background()
	tn := storetest.NewTenant(b, s, prikke.TierPro)
	js := make([]*prikke.Job, jobs)
	for i := range js {
		js[i] = storetest.NewJob(b, s, tn, nil)
	}
	reqHeaders := []prikke.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "User-Agent", Value: "Prikke/1.0"},
		{Name: "Webhook-Id", Value: "msg_2bq8hTm3cV7yH1cZ"}, {Name: "Webhook-Timestamp", Value: "1764147600"},
		{Name: "Webhook-Signature", Value: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}, {Name: "X-Prikke-Attempt", Value: "1"}}
	respHeaders := []prikke.Header{{Name: "Content-Length", Value: "2"}, {Name: "Content-Type", Value: "text/plain; charset=utf-8"},
		{Name: "Date", Value: "Wed, 26 Nov 2026 09:01:00 GMT"}}
	var occ, claim, complete time.Duration
	minute := storetest.T0
	for b.Loop() {
		prev := minute.Add(time.Minute)
		minute = prev
		next := minute.Add(time.Minute)
		ws := make([]*store.OccurrenceWrite, jobs)
		for i, j := range js {
			ws[i] = &store.OccurrenceWrite{JobID: j.ID, PrevNextRunAt: prev, NextRunAt: &next, Executions: []*prikke.Execution{{
				ID: prikke.NewID(), JobID: j.ID, ProjectID: j.ProjectID, OrganizationID: j.OrganizationID,
				ScheduledFor: minute, DueAt: minute, Attempt: 1, Status: prikke.ExecutionStatusPending, CreatedAt: minute.Add(-5 * time.Second),
			}}}
		}
		t0 := cpu()
		if n, err := s.OccurrencesWrite(ctx, ws); err != nil || n != jobs {
			b.Fatalf("write occurrences: %d, %v", n, err)
		}
		t1 := cpu()
		occ += t1 - t0
		var claimed []*store.Claimed
		for {
			t0 := cpu()
			res, err := s.ExecutionClaim(ctx, &store.ClaimParams{Node: "bench", Limit: claimBatch, Now: minute,
				OrgRoom: map[prikke.ID]int{}, DefaultOrgRoom: 100000, LeaseGrace: 30 * time.Second, Lookahead: 100 * time.Millisecond})
			claim += cpu() - t0
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Claimed) == 0 {
				break
			}
			claimed = append(claimed, res.Claimed...)
		}
		if len(claimed) != jobs {
			b.Fatalf("claimed %d, want %d", len(claimed), jobs)
		}
		cs := make([]*store.Completion, len(claimed))
		for i, c := range claimed {
			at := minute.Add(time.Duration(i) * time.Microsecond)
			cs[i] = &store.Completion{ExecutionID: c.Execution.ID, JobID: c.Job.ID, OrganizationID: c.Execution.OrganizationID,
				Attempt: 1, Status: prikke.ExecutionStatusSuccess, StartedAt: at, FinishedAt: at.Add(3 * time.Millisecond), DurationMS: 3,
				RequestMethod: c.Job.Method, RequestURL: c.Job.URL, RequestHeaders: reqHeaders, RequestBody: []byte(c.Job.Body),
				ResponseStatus: 200, ResponseHeaders: respHeaders, ResponseBody: []byte("ok"),
				Trace:  &prikke.Trace{ConnectUS: 120, SendUS: 40, WaitUS: 2100, BodyUS: 15, RemoteAddr: "203.0.113.7:443"},
				Health: store.HealthSuccess}
		}
		for i := 0; i < len(cs); i += completeBatch {
			t0 := cpu()
			applied, err := s.ExecutionComplete(ctx, "bench", cs[i:min(i+completeBatch, len(cs))])
			complete += cpu() - t0
			if err != nil || len(applied) != min(completeBatch, len(cs)-i) {
				b.Fatalf("complete: %d, %v", len(applied), err)
			}
		}
	}
	n := float64(b.N * jobs)
	b.ReportMetric(float64(occ.Microseconds())/n, "occ-µs/delivery")
	b.ReportMetric(float64(claim.Microseconds())/n, "claim-µs/delivery")
	b.ReportMetric(float64(complete.Microseconds())/n, "complete-µs/delivery")
	b.ReportMetric(float64((occ+claim+complete).Microseconds())/n, "cpu-µs/delivery")
}
